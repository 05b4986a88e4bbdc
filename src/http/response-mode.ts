/**
 * Plain JSON answers where no message can come mid-call, SSE everywhere else.
 *
 * The SDK's streamable HTTP transport answers a POST either as an SSE stream or, with
 * `enableJsonResponse`, as one JSON body; the JSON path costs about a third less server CPU per
 * call (bench/http.ts). In JSON mode anything the server sends during the call (an approval
 * question by elicitation, progress notifications) is dropped, so JSON is used only when nothing
 * can be sent: the client declared no elicitation (the approver answers "unsupported" without
 * sending) and no request in the body carries a progress token. The SDK reads the mode per
 * transport, not per request, so a session switches mode only while it has no POST in flight; a
 * request that needs SSE while JSON answers are in flight waits for them to finish first.
 * If the SDK's transport no longer has the switch this relies on, every answer stays SSE.
 */
import type { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

/** The SDK transport's internal mode flag (a private field of its web-standard transport). */
interface ModeFlag {
  _enableJsonResponse: boolean;
}

function modeFlagOf(transport: StreamableHTTPServerTransport): ModeFlag | null {
  const inner = (transport as unknown as { _webStandardTransport?: unknown })._webStandardTransport;
  if (typeof inner !== "object" || inner === null) return null;
  return typeof (inner as Partial<ModeFlag>)._enableJsonResponse === "boolean" ? (inner as ModeFlag) : null;
}

/** True when no JSON-RPC request in the body asks for progress (`params._meta.progressToken`). */
export function asksForProgress(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some((message) => {
    if (typeof message !== "object" || message === null) return false;
    const meta = (message as { params?: { _meta?: { progressToken?: unknown } } }).params?._meta;
    return meta?.progressToken !== undefined;
  });
}

export class ResponseModeSwitch {
  private readonly flag: ModeFlag | null;
  private inFlight = 0;
  /** Requests waiting for the JSON answers in flight to finish; new JSON requests queue behind them. */
  private waiting = 0;
  private idle: Promise<void> | null = null;
  private resolveIdle: (() => void) | null = null;

  constructor(transport: StreamableHTTPServerTransport) {
    this.flag = modeFlagOf(transport);
  }

  /**
   * Chooses the mode for one POST before the transport sees it, and counts it in flight until
   * `done`. `json` is whether this request may be answered as plain JSON.
   */
  async begin(json: boolean): Promise<"json" | "sse"> {
    const flag = this.flag;
    if (flag === null) return "sse";
    // A request that needs the stream must not share the transport with JSON answers in flight;
    // while one waits, new requests wait too, so a busy session cannot starve it.
    while (flag._enableJsonResponse && this.inFlight > 0 && (!json || this.waiting > 0)) {
      this.waiting += 1;
      await this.idle;
      this.waiting -= 1;
    }
    if (this.inFlight === 0) flag._enableJsonResponse = json;
    this.inFlight += 1;
    if (this.idle === null) this.idle = new Promise<void>((resolve) => (this.resolveIdle = resolve));
    return flag._enableJsonResponse ? "json" : "sse";
  }

  done(): void {
    if (this.flag === null) return;
    this.inFlight -= 1;
    if (this.inFlight > 0) return;
    const resolve = this.resolveIdle;
    this.idle = null;
    this.resolveIdle = null;
    resolve?.();
  }
}
