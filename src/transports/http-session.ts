/**
 * One MCP session over streamable HTTP, written against Node's own request and response objects.
 *
 * The SDK's server transport converts every Node request into a web `Request` and every answer
 * back from a web `Response` (through @hono/node-server), and it picks JSON or SSE answers for the
 * whole transport at once. Here each POST chooses its own answer form: plain JSON when nothing can
 * come mid-call (the caller decides, see `answersAsJson`), an SSE stream otherwise. That removes
 * the conversions (about a fifth of the server's CPU per call in bench/http.ts) and the need to
 * hold streaming requests back while JSON answers are in flight.
 *
 * What the specification asks of the server side (transports, "Streamable HTTP"), as the SDK's
 * transport does it: POST carries one JSON-RPC message or a batch; notifications and responses
 * only → 202; requests → one JSON body or an SSE stream that ends after the last answer; messages
 * the server sends during a request go on that request's stream; GET opens the one stream for
 * messages not tied to a request (409 for a second); DELETE ends the session; an unsupported
 * `MCP-Protocol-Version` is 400. Resumability (Last-Event-ID) is not offered: no event store.
 * Host, Origin, authentication, body size, JSON parsing and which session a request belongs to are
 * checked before a request gets here (transports/http.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import {
  isInitializeRequest,
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  JSONRPCMessageSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";

/** As the SDK's transport: more messages in one POST is refused. */
const MAX_BATCH_MESSAGES = 100;
/** A comment line on open streams this often, so proxies do not close a stream waiting on an approval. */
const KEEP_ALIVE_MS = 15_000;
/** Headers a tool handler never sees: credentials stay with the transport. */
const WITHHELD_HEADERS = new Set(["authorization", "cookie", "proxy-authorization"]);

const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache, no-transform", connection: "keep-alive", "x-accel-buffering": "no" };

/** The requests of one POST, answered together on its response. */
interface Exchange {
  response: ServerResponse;
  form: "json" | "sse";
  /** In the order they came, so a batch is answered in order. */
  ids: RequestId[];
  answers: Map<RequestId, JSONRPCMessage>;
  keepAlive: NodeJS.Timeout | null;
  /** The client's connection closed before the answers: they are dropped when they come. */
  orphaned: boolean;
}

export interface SessionRequest {
  request: IncomingMessage;
  response: ServerResponse;
  /** The POST body, already parsed (undefined for GET and DELETE). */
  body: unknown;
  authInfo: AuthInfo;
  /** Answer this POST's requests as one JSON body: nothing may be sent to the client mid-call. */
  answersAsJson: boolean;
}

function sendError(response: ServerResponse, status: number, code: number, message: string, sessionId: string): void {
  if (response.headersSent) return void response.end();
  response.writeHead(status, { "content-type": "application/json", "mcp-session-id": sessionId });
  response.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code, message } }));
}

function sseEvent(message: JSONRPCMessage): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}

const isAnswer = (message: JSONRPCMessage): boolean => isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message);

/** `application/json`, parameters allowed (`; charset=utf-8`), nothing else. */
function isJsonMediaType(header: string | undefined): boolean {
  return header?.split(";")[0]?.trim().toLowerCase() === "application/json";
}

export class HttpSessionTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  private initialized = false;
  private closed = false;
  /** Open exchanges by the id of each request they carry. */
  private readonly exchanges = new Map<RequestId, Exchange>();
  /** The GET stream, for messages tied to no request (log messages, list changes). */
  private standalone: { response: ServerResponse; keepAlive: NodeJS.Timeout } | null = null;

  constructor(readonly sessionId: string) {}

  start(): Promise<void> {
    return Promise.resolve();
  }

  /** Serves one HTTP request of this session. */
  handle(call: SessionRequest): void {
    const { request, response } = call;
    if (this.closed) return sendError(response, 404, -32001, "session not found; initialize a new one", this.sessionId);
    const version = request.headers["mcp-protocol-version"];
    // An initialize request negotiates its version in the body; every later one must name a version we speak.
    if (typeof version === "string" && !(SUPPORTED_PROTOCOL_VERSIONS as readonly string[]).includes(version)) {
      return sendError(response, 400, -32000, `unsupported MCP-Protocol-Version ${JSON.stringify(version.slice(0, 40))} (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")})`, this.sessionId);
    }
    if (request.method === "POST") return this.post(call);
    if (request.method === "GET") return this.openStandaloneStream(request, response);
    if (request.method === "DELETE") {
      response.writeHead(200, { "mcp-session-id": this.sessionId }).end();
      void this.close();
      return;
    }
    response.writeHead(405, { allow: "GET, POST, DELETE", "content-type": "application/json" });
    response.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32000, message: "method not allowed" } }));
  }

  private post({ request, response, body, authInfo, answersAsJson }: SessionRequest): void {
    const accept = request.headers.accept ?? "";
    if (!accept.includes("application/json") || !accept.includes("text/event-stream")) {
      return sendError(response, 406, -32000, "not acceptable: the client must accept both application/json and text/event-stream", this.sessionId);
    }
    if (!isJsonMediaType(request.headers["content-type"])) return sendError(response, 415, -32000, "unsupported media type: the body must be application/json", this.sessionId);
    const raw = Array.isArray(body) ? body : [body];
    if (raw.length === 0 || raw.length > MAX_BATCH_MESSAGES) return sendError(response, 400, -32600, `invalid request: a batch holds 1 to ${MAX_BATCH_MESSAGES} messages`, this.sessionId);
    const messages: JSONRPCMessage[] = [];
    for (const item of raw) {
      const parsed = JSONRPCMessageSchema.safeParse(item);
      if (!parsed.success) return sendError(response, 400, -32700, "parse error: not a JSON-RPC message", this.sessionId);
      messages.push(parsed.data);
    }
    const initializing = messages.some(isInitializeRequest);
    if (initializing) {
      if (this.initialized) return sendError(response, 400, -32600, "invalid request: the session is already initialized", this.sessionId);
      if (messages.length > 1) return sendError(response, 400, -32600, "invalid request: initialize must come alone", this.sessionId);
      this.initialized = true;
    } else if (!this.initialized) {
      return sendError(response, 400, -32000, "bad request: the session is not initialized", this.sessionId);
    }

    const extra: MessageExtraInfo = { authInfo, requestInfo: { headers: visibleHeaders(request), url: new URL(request.url ?? "/", "http://localhost") } };
    const ids = messages.filter(isJSONRPCRequest).map((message) => message.id);
    if (ids.length === 0) {
      // Notifications and the client's answers to our requests (an elicitation, say): nothing to wait for.
      response.writeHead(202, { "mcp-session-id": this.sessionId }).end();
      for (const message of messages) this.onmessage?.(message, extra);
      return;
    }
    if (ids.some((id) => this.exchanges.has(id)) || new Set(ids).size !== ids.length) {
      return sendError(response, 400, -32600, "invalid request: a request id is already in use in this session", this.sessionId);
    }

    const exchange: Exchange = { response, form: answersAsJson ? "json" : "sse", ids, answers: new Map(), keepAlive: null, orphaned: false };
    for (const id of ids) this.exchanges.set(id, exchange);
    if (exchange.form === "sse") {
      response.writeHead(200, { ...SSE_HEADERS, "mcp-session-id": this.sessionId });
      response.flushHeaders();
      exchange.keepAlive = keepAlive(response);
    }
    // The client went away. Its calls still run to the end and are audited (the specification: a
    // disconnection is not a cancellation; a client cancels with notifications/cancelled), and their
    // ids stay taken until they answer, so a new request reusing an id never receives an old answer.
    response.once("close", () => this.orphan(exchange));
    for (const message of messages) this.onmessage?.(message, extra);
  }

  private openStandaloneStream(request: IncomingMessage, response: ServerResponse): void {
    if (!(request.headers.accept ?? "").includes("text/event-stream")) {
      return sendError(response, 406, -32000, "not acceptable: the client must accept text/event-stream", this.sessionId);
    }
    if (this.standalone !== null) return sendError(response, 409, -32000, "conflict: this session already has its notification stream open", this.sessionId);
    response.writeHead(200, { ...SSE_HEADERS, "mcp-session-id": this.sessionId });
    response.flushHeaders();
    const stream = { response, keepAlive: keepAlive(response) };
    this.standalone = stream;
    response.once("close", () => {
      clearInterval(stream.keepAlive);
      if (this.standalone === stream) this.standalone = null;
    });
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const id = isAnswer(message) ? (message as { id: RequestId }).id : options?.relatedRequestId;
    if (id === undefined) {
      if (isAnswer(message)) return Promise.reject(new Error("an answer must name the request it answers"));
      // Not tied to a request: the GET stream if the client opened one, else it is not delivered (as the SDK does).
      this.standalone?.response.write(sseEvent(message));
      return Promise.resolve();
    }
    const exchange = this.exchanges.get(id);
    // The request's client went away (or the session closed): there is no one to tell.
    if (exchange === undefined) return Promise.resolve();
    if (exchange.orphaned) {
      if (isJSONRPCRequest(message)) return Promise.reject(new Error("the client's connection for this request has closed: nothing can be asked of it"));
    } else if (exchange.form === "sse") exchange.response.write(sseEvent(message));
    else if (isJSONRPCRequest(message)) {
      // Only the caller's choice of JSON makes this possible; refusing lets the asking code fail cleanly instead of waiting forever.
      return Promise.reject(new Error("this request is answered as one JSON body: nothing can be asked of the client mid-call"));
    }
    if (isAnswer(message)) {
      exchange.answers.set(id, message);
      if (exchange.answers.size === exchange.ids.length) this.finish(exchange);
    }
    return Promise.resolve();
  }

  private finish(exchange: Exchange): void {
    this.release(exchange);
    if (exchange.orphaned) return;
    if (exchange.form === "sse") return void exchange.response.end();
    const answers = exchange.ids.map((id) => exchange.answers.get(id));
    exchange.response.writeHead(200, { "content-type": "application/json", "mcp-session-id": this.sessionId });
    exchange.response.end(JSON.stringify(answers.length === 1 ? answers[0] : answers));
  }

  private orphan(exchange: Exchange): void {
    if (exchange.answers.size === exchange.ids.length) return;
    exchange.orphaned = true;
    if (exchange.keepAlive !== null) clearInterval(exchange.keepAlive);
    exchange.keepAlive = null;
  }

  private release(exchange: Exchange): void {
    if (exchange.keepAlive !== null) clearInterval(exchange.keepAlive);
    exchange.keepAlive = null;
    for (const id of exchange.ids) if (this.exchanges.get(id) === exchange) this.exchanges.delete(id);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const exchange of new Set(this.exchanges.values())) {
      this.release(exchange);
      if (exchange.orphaned) continue;
      if (exchange.form === "sse") exchange.response.end();
      else sendError(exchange.response, 404, -32001, "the session ended before this request was answered", this.sessionId);
    }
    if (this.standalone !== null) {
      clearInterval(this.standalone.keepAlive);
      this.standalone.response.end();
      this.standalone = null;
    }
    this.onclose?.();
    return Promise.resolve();
  }
}

function keepAlive(response: ServerResponse): NodeJS.Timeout {
  const timer = setInterval(() => response.write(": keepalive\n\n"), KEEP_ALIVE_MS);
  timer.unref();
  return timer;
}

function visibleHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || WITHHELD_HEADERS.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/** True when a request in the body asks for progress notifications (`params._meta.progressToken`). */
export function asksForProgress(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some((message) => {
    if (typeof message !== "object" || message === null) return false;
    const meta = (message as { params?: { _meta?: { progressToken?: unknown } } }).params?._meta;
    return meta?.progressToken !== undefined;
  });
}
