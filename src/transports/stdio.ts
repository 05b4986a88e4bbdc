/**
 * MCP over stdio: newline-delimited JSON-RPC on stdin/stdout, one session for the life of the
 * process, the caller being the OS user. Unlike the SDK's stdio transport, a line over the size
 * limit or a line that is not JSON-RPC gets a JSON-RPC error back and the session goes on: the
 * SDK's transport drops such input (or ends the session), and the client then waits forever.
 */
import { randomUUID } from "node:crypto";
import type { Readable, Writable } from "node:stream";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { JSONRPCMessageSchema, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { osUserName } from "../util/os-user.js";
import type { HostedSession, ServeHost, ServeTransport } from "../server/host.js";

/** The SDK's own stdio limit: larger requests are refused with an error naming the limit. */
export const STDIO_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
/** Bytes kept from each end of an oversized line, to find the request's id for the error reply. */
const KEPT_EDGE_BYTES = 512;

type JsonRpcId = string | number | null;

/** The id of a request whose body could not be read whole: the SDK client writes it last, others first. */
function idFromEdges(head: string, tail: string): JsonRpcId {
  const last = /"id"\s*:\s*(-?\d{1,15}|"(?:[^"\\]|\\.){0,200}")\s*\}\s*$/.exec(tail);
  const first = /^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*(-?\d{1,15}|"(?:[^"\\]|\\.){0,200}")/.exec(head);
  const raw = last?.[1] ?? first?.[1];
  if (raw === undefined) return null;
  try {
    const id: unknown = JSON.parse(raw);
    return typeof id === "string" || typeof id === "number" ? id : null;
  } catch {
    return null;
  }
}

function idOf(value: unknown): JsonRpcId {
  if (typeof value !== "object" || value === null || !("id" in value)) return null;
  const id = (value as { id: unknown }).id;
  return typeof id === "string" || typeof id === "number" ? id : null;
}

function errorReply(id: JsonRpcId, code: number, message: string): string {
  return `${JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } })}\n`;
}

/** Line framing with a size bound; implements the SDK's Transport so the SDK server runs on it. */
export class BoundedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Set while the rest of an oversized line is skipped: its head and its tail so far. */
  private oversized: { head: string; tail: Buffer } | null = null;
  private closed = false;

  constructor(
    private readonly input: Readable = process.stdin,
    private readonly output: Writable = process.stdout,
    private readonly maxMessageBytes = STDIO_MAX_MESSAGE_BYTES,
  ) {}

  private readonly onData = (chunk: Buffer) => {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(10, start);
      const end = newline === -1 ? chunk.length : newline;
      this.take(chunk.subarray(start, end));
      if (newline === -1) return;
      this.finishLine();
      start = newline + 1;
    }
  };

  private readonly onInputError = (error: Error) => this.onerror?.(error);
  private readonly onEnd = () => void this.close();

  private take(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.oversized) {
      this.oversized.tail = Buffer.concat([this.oversized.tail, piece]).subarray(-KEPT_EDGE_BYTES);
      return;
    }
    if (this.buffered + piece.length > this.maxMessageBytes) {
      const all = Buffer.concat([...this.chunks, piece]);
      this.oversized = { head: all.subarray(0, KEPT_EDGE_BYTES).toString("utf8"), tail: all.subarray(-KEPT_EDGE_BYTES) };
      this.chunks = [];
      this.buffered = 0;
      return;
    }
    this.chunks.push(piece);
    this.buffered += piece.length;
  }

  private finishLine(): void {
    if (this.oversized) {
      const id = idFromEdges(this.oversized.head, this.oversized.tail.toString("utf8"));
      this.oversized = null;
      this.reply(errorReply(id, -32600, `request too large: over ${this.maxMessageBytes} bytes; nothing was run. Send a smaller request`));
      return;
    }
    const line = Buffer.concat(this.chunks).toString("utf8").replace(/\r$/, "");
    this.chunks = [];
    this.buffered = 0;
    if (line.trim().length === 0) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.reply(errorReply(null, -32700, "parse error: the line is not JSON"));
      return;
    }
    const message = JSONRPCMessageSchema.safeParse(value);
    if (!message.success) {
      this.reply(errorReply(idOf(value), -32600, "invalid request: not a JSON-RPC 2.0 message"));
      return;
    }
    this.onmessage?.(message.data);
  }

  private reply(text: string): void {
    if (!this.closed) this.output.write(text);
  }

  start(): Promise<void> {
    this.input.on("data", this.onData);
    this.input.on("error", this.onInputError);
    // The client closing stdin is the normal way a stdio session ends.
    this.input.once("end", this.onEnd);
    return Promise.resolve();
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed || this.output.write(`${JSON.stringify(message)}\n`)) resolve();
      else this.output.once("drain", resolve);
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.input.off("data", this.onData);
    this.input.off("error", this.onInputError);
    this.input.off("end", this.onEnd);
    if (this.input.listenerCount("data") === 0) this.input.pause();
    this.chunks = [];
    this.onclose?.();
    return Promise.resolve();
  }
}

/** The stdio transport for the host: one session, ended (and the process with it) when stdin closes. */
export function stdioTransport(): ServeTransport {
  let session: HostedSession | null = null;
  return {
    async start(host: ServeHost): Promise<string> {
      const sessionId = randomUUID();
      const opened = host.openSession({ sessionId, transport: "stdio", caller: osUserName() });
      session = opened;
      opened.server.onclose = () => {
        opened.end();
        void host.shutdown();
      };
      await opened.server.connect(new BoundedStdioTransport());
      return "stdio";
    },
    async stop(): Promise<void> {
      await session?.server.close().catch(() => undefined);
    },
  };
}
