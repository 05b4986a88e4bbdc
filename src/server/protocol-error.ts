/**
 * A JSON-RPC error this server answers with. The SDK's McpError puts "MCP error <code>: " into its
 * message, and the client's McpError adds the same prefix again when it reads the answer; an error
 * that carries its code and data as fields reaches the client with the message said once.
 */
export class ProtocolError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = "ProtocolError";
  }
}
