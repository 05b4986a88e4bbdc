/**
 * MCP over streamable HTTP (`wiam serve --http`), as an OAuth 2.1 resource server.
 *
 * Every request passes, in order: Host and Origin checks (DNS rebinding) → draining? → routes
 * (`/healthz`, `/readyz`, protected resource metadata) → bearer token (401/403/503) → body size
 * (413) and JSON (a JSON-RPC parse error) → the caller's own session → the SDK's transport.
 * One MCP server per session, built by the host's factory; a session belongs to the caller that
 * opened it, and the caller of each call comes from that request's verified token, as data.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import { isIP, type AddressInfo } from "node:net";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { httpStartRefusal, isLoopbackHost, type HttpConfig } from "../config/http-schema.js";
import { UserFacingError } from "../errors.js";
import { BodyTooLarge, hostRefusal, originRefusal, readBody, type HostPolicy } from "../http/request-guards.js";
import { approvalAdminContextOf, isApprovalAdminPath, serveApprovalAdmin } from "../http/admin-approvals.js";
import { TokenRejection, TokenVerifier, type TokenVerifierOptions, type VerifiedCaller } from "../http/token-verifier.js";
import type { CallerIdentity } from "../server/create-server.js";
import type { HostedSession, ServeHost, ServeTransport } from "../server/host.js";
import { asksForProgress, HttpSessionTransport } from "./http-session.js";

/** The caller of every request when `auth: none` (loopback only): nobody is authenticated. */
export const UNAUTHENTICATED_CALLER = "anonymous@loopback";
/** Sessions unused this long are closed (their tasks end with them). */
const SESSION_IDLE_MS = 30 * 60_000;
const MAX_SESSIONS = 10_000;
/** One caller cannot hold every session slot: past this, it must close (DELETE) or let some idle out. */
const MAX_SESSIONS_PER_CALLER = 64;
const PROTECTED_RESOURCE_PATH = "/.well-known/oauth-protected-resource";

interface Session {
  id: string;
  transport: HttpSessionTransport;
  hosted: HostedSession;
  /** The caller that opened it; nobody else may use it. */
  caller: string;
  lastUsed: number;
}

export interface HttpTransportOptions {
  /** Token verifier settings (tests inject time and fetch). */
  verifier?: TokenVerifierOptions;
  /** Called once listening, with the bound address (port 0 picks a free one). */
  onListening?: (address: AddressInfo) => void;
  maxSessionsPerCaller?: number;
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  response.end(text);
}

const jsonRpcError = (code: number, message: string) => ({ jsonrpc: "2.0", id: null, error: { code, message } });

/** The verified caller and source address the transport put on the request, read back in the tool call. */
function callerFromAuthInfo(authInfo: AuthInfo | undefined): CallerIdentity {
  const source = authInfo?.extra?.wiamSource;
  const sourceAddress = typeof source === "string" ? { sourceAddress: source } : {};
  const verified = authInfo?.extra?.wiamCaller as VerifiedCaller | undefined;
  if (verified === undefined || typeof verified.caller !== "string") return { caller: UNAUTHENTICATED_CALLER, ...sourceAddress };
  return { caller: verified.caller, authenticated: verified.authenticated, ...sourceAddress };
}

/** `::ffff:127.0.0.1` (an IPv4 peer on a dual-stack socket) as `127.0.0.1`. */
function plainAddress(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * Who sent the request, for the audit record: the socket's peer, or, when the peer is a trusted
 * reverse proxy, the address that proxy appended to `X-Forwarded-For` (the last entry; earlier
 * ones were written by the client and prove nothing).
 */
export function sourceAddressOf(request: IncomingMessage, trustedProxies: readonly string[]): string | undefined {
  const peer = request.socket.remoteAddress === undefined ? undefined : plainAddress(request.socket.remoteAddress);
  if (peer === undefined || !trustedProxies.some((proxy) => plainAddress(proxy) === peer)) return peer;
  const header = request.headers["x-forwarded-for"];
  const forwarded = (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",").at(-1)?.trim() ?? "";
  return isIP(forwarded) !== 0 ? plainAddress(forwarded) : peer;
}

export function httpTransport(settings: HttpConfig, options: HttpTransportOptions = {}): ServeTransport {
  const refusal = httpStartRefusal(settings);
  if (refusal !== null) throw new UserFacingError("config_invalid", `refusing to serve over HTTP: ${refusal}`);
  const auth = settings.auth;
  const policy: HostPolicy = { allowedHosts: settings.allowedHosts, allowedOrigins: settings.allowedOrigins };
  const listeningOnLoopback = isLoopbackHost(settings.host);
  const sessions = new Map<string, Session>();
  let server: HttpServer | null = null;
  let host: ServeHost | null = null;
  let verifier: TokenVerifier | null = null;
  let resource = settings.resource ?? "";
  let mcpPath = "/mcp";
  let metadataUrl = "";
  let draining = false;
  let inFlight = 0;
  let idle: (() => void) | null = null;
  let sweeper: NodeJS.Timeout | null = null;

  const challenge = (extra: string) => `Bearer resource_metadata="${metadataUrl}"${extra}`;

  function refuseToken(response: ServerResponse, rejection: TokenRejection): void {
    host?.app.logger.debug(`http: token refused (${rejection.status}): ${rejection.internalReason}`);
    const scope = rejection.errorCode === "insufficient_scope" && auth?.type === "oauth" ? `, scope="${auth.requiredScopes.join(" ")}"` : "";
    const headers: Record<string, string> = { "www-authenticate": challenge(`, error="${rejection.errorCode}", error_description="${rejection.publicDescription}"${scope}`) };
    if (rejection.status === 503) headers["retry-after"] = "5";
    sendJson(response, rejection.status, { error: rejection.errorCode, error_description: rejection.publicDescription }, headers);
  }

  /** The caller of this request, or null when an answer (401/403/503) has been sent. */
  async function authenticate(request: IncomingMessage, response: ServerResponse): Promise<VerifiedCaller | "anonymous" | null> {
    if (verifier === null) return "anonymous";
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
    if (match?.[1] === undefined) {
      // No token (or not a bearer token): tell the client where to get one, nothing more (RFC 6750 §3.1).
      const headers = { "www-authenticate": challenge(header === undefined ? "" : ', error="invalid_request"') };
      sendJson(response, 401, { error: header === undefined ? "unauthorized" : "invalid_request", error_description: "a bearer access token is required" }, headers);
      return null;
    }
    try {
      return await verifier.verify(match[1]);
    } catch (error) {
      if (error instanceof TokenRejection) refuseToken(response, error);
      else throw error;
      return null;
    }
  }

  /** The approval admin endpoint: bearer tokens only (with `auth: none` nobody can be an approver). */
  async function handleApprovalAdmin(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (auth?.type !== "oauth" || host === null) return sendJson(response, 404, { error: "not_found" });
    const verified = await authenticate(request, response);
    if (verified === null || verified === "anonymous") return;
    await serveApprovalAdmin(request, response, verified, approvalAdminContextOf(host.app), sendJson);
  }

  /**
   * Each check is "ok" or "failed": the endpoint answers anyone who reaches the port, so the details
   * (paths, provider names) go to the log instead.
   */
  function readiness(): { ready: boolean; checks: Record<string, "ok" | "failed" | "draining"> } {
    const checks: Record<string, "ok" | "failed" | "draining"> = {};
    let ready = true;
    const check = (name: string, test: () => void) => {
      try {
        test();
        checks[name] = "ok";
      } catch (error) {
        ready = false;
        checks[name] = "failed";
        host?.app.logger.warning(`readiness: ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    const app = host?.app;
    check("config", () => {
      if (app === undefined) throw new Error("not loaded");
      app.config();
    });
    check("policy", () => {
      if ((app?.policySet().policies.size ?? 0) === 0) throw new Error("no policies loaded");
    });
    check("audit", () => {
      // A benchmark's in-memory sink has no store to check. The state store answers from its last
      // known health (the database away or read-only: not ready until a probe finds it back).
      const health = app?.state?.healthNow();
      if (health !== undefined && !health.ok) throw new Error(health.detail ?? "the state store is unavailable");
    });
    check("providers", () => {
      if ((app?.inventory.connectorIds ?? []).length === 0) throw new Error("none configured");
    });
    if (draining) {
      ready = false;
      checks.server = "draining";
    }
    return { ready, checks };
  }

  function openSession(caller: string): Session {
    const id = randomUUID();
    const transport = new HttpSessionTransport(id);
    const hosted = (host as ServeHost).openSession({ sessionId: id, transport: "http", caller: callerFromAuthInfo });
    const session: Session = { id, transport, hosted, caller, lastUsed: Date.now() };
    hosted.server.onclose = () => {
      sessions.delete(id);
      hosted.end();
      host?.app.logger.debug(`http: session ${id} of ${caller} closed`);
    };
    return session;
  }

  async function handleMcp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const verified = await authenticate(request, response);
    if (verified === null) return;
    const caller = verified === "anonymous" ? UNAUTHENTICATED_CALLER : verified.caller;

    let body: unknown;
    if (request.method === "POST") {
      let raw: Buffer;
      try {
        raw = await readBody(request, settings.maxBodyBytes);
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
        sendJson(response, 413, jsonRpcError(-32600, `request body over ${settings.maxBodyBytes} bytes; nothing was run`), { connection: "close" });
        return;
      }
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        sendJson(response, 400, jsonRpcError(-32700, "parse error: the body is not JSON"));
        return;
      }
    }

    const sessionHeader = request.headers["mcp-session-id"];
    let session: Session | undefined;
    if (typeof sessionHeader === "string") {
      session = sessions.get(sessionHeader);
      // Another caller's session is answered exactly like an unknown one.
      if (session === undefined || session.caller !== caller) {
        sendJson(response, 404, jsonRpcError(-32001, "session not found; initialize a new one"));
        return;
      }
    } else if (request.method === "POST" && (isInitializeRequest(body) || (Array.isArray(body) && body.some(isInitializeRequest)))) {
      if (sessions.size >= MAX_SESSIONS) {
        sendJson(response, 503, jsonRpcError(-32000, "too many open sessions; try again later"), { "retry-after": "30" });
        return;
      }
      const perCaller = options.maxSessionsPerCaller ?? MAX_SESSIONS_PER_CALLER;
      if ([...sessions.values()].filter((s) => s.caller === caller).length >= perCaller) {
        sendJson(response, 429, jsonRpcError(-32000, `too many open sessions for this caller (${perCaller}); end one (HTTP DELETE) or let one idle out`), { "retry-after": "30" });
        return;
      }
      session = openSession(caller);
      await session.hosted.server.connect(session.transport);
      sessions.set(session.id, session);
      host?.app.logger.debug(`http: session ${session.id} opened for ${caller}`);
    } else {
      sendJson(response, 400, jsonRpcError(-32000, "bad request: no Mcp-Session-Id header; send initialize first"));
      return;
    }
    session.lastUsed = Date.now();

    const source = sourceAddressOf(request, settings.trustedProxies);
    const wiamSource = source === undefined ? {} : { wiamSource: source };
    const authInfo: AuthInfo =
      verified === "anonymous"
        ? { token: "", clientId: "", scopes: [], extra: wiamSource }
        : // The token stays out: handlers get who the caller is, never a credential to pass on.
          {
            token: "",
            clientId: verified.authenticated.clientId,
            scopes: [...verified.authenticated.scopes],
            expiresAt: verified.expiresAt,
            extra: { wiamCaller: verified, ...wiamSource },
          };
    // Calls in flight are POSTs; a GET is the long-lived notification stream and never drains.
    let answersAsJson = false;
    if (request.method === "POST") {
      inFlight += 1;
      response.once("close", () => {
        inFlight -= 1;
        if (inFlight === 0) idle?.();
      });
      // Plain JSON when nothing can come mid-call: the client cannot be asked (no elicitation) and wants no progress.
      answersAsJson = session.hosted.server.getClientCapabilities()?.elicitation === undefined && !isInitializeRequest(body) && !asksForProgress(body);
    }
    session.transport.handle({ request, response, body, authInfo, answersAsJson });
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const refusedHost = hostRefusal(request.headers.host, policy);
    const refusedOrigin = refusedHost ?? originRefusal(request.headers.origin, policy, listeningOnLoopback);
    if (refusedOrigin !== null) {
      sendJson(response, 403, { error: "forbidden", error_description: refusedOrigin });
      return;
    }
    const origin = request.headers.origin;
    if (origin !== undefined) {
      response.setHeader("access-control-allow-origin", origin);
      response.setHeader("access-control-expose-headers", "mcp-session-id, www-authenticate");
      response.setHeader("vary", "origin");
    }
    if (draining) {
      sendJson(response, 503, jsonRpcError(-32000, "the server is shutting down"), { connection: "close", "retry-after": "5" });
      return;
    }
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const method = request.method ?? "GET";
    if (method === "OPTIONS") {
      response.writeHead(204, {
        "access-control-allow-methods": "GET, POST, DELETE",
        "access-control-allow-headers": "authorization, content-type, accept, mcp-session-id, mcp-protocol-version, last-event-id",
        "access-control-max-age": "600",
      });
      response.end();
      return;
    }
    if (path === "/healthz" && method === "GET") return sendJson(response, 200, { status: "ok" });
    if (path === "/readyz" && method === "GET") {
      const state = readiness();
      return sendJson(response, state.ready ? 200 : 503, state);
    }
    if ((path === PROTECTED_RESOURCE_PATH || path === `${PROTECTED_RESOURCE_PATH}${mcpPath}`) && method === "GET" && auth?.type === "oauth") {
      return sendJson(response, 200, {
        resource,
        authorization_servers: [auth.issuer],
        scopes_supported: auth.requiredScopes,
        bearer_methods_supported: ["header"],
        resource_name: "workload-iam-mcp",
      });
    }
    if (isApprovalAdminPath(path)) return handleApprovalAdmin(request, response);
    if (path === mcpPath) {
      if (!["GET", "POST", "DELETE"].includes(method)) return sendJson(response, 405, jsonRpcError(-32000, "method not allowed"), { allow: "GET, POST, DELETE" });
      return handleMcp(request, response);
    }
    sendJson(response, 404, { error: "not_found" });
  }

  return {
    async start(serving: ServeHost): Promise<string> {
      host = serving;
      const requestTimeoutMs = settings.requestTimeoutSeconds * 1000;
      server = createServer(
        {
          // A client has requestTimeoutSeconds to send its whole request (a trickled body is cut off
          // with 408); the answer, however long the call or an approval takes, is not bounded here.
          requestTimeout: requestTimeoutMs,
          headersTimeout: Math.min(30_000, requestTimeoutMs),
          // How often Node checks those timeouts (default 30 s, too coarse for short ones).
          connectionsCheckingInterval: Math.min(30_000, Math.max(250, requestTimeoutMs / 4)),
        },
        (request, response) => {
          handle(request, response).catch((error: unknown) => {
            serving.app.logger.error(`http: request failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
            sendJson(response, 500, jsonRpcError(-32603, "internal error"));
          });
        },
      );
      await new Promise<void>((resolve, reject) => {
        server?.once("error", reject);
        server?.listen(settings.port, settings.host, () => resolve());
      });
      const address = server.address() as AddressInfo;
      const hostPart = address.family === "IPv6" ? `[${address.address}]` : address.address;
      resource = settings.resource ?? `http://${hostPart}:${address.port}/mcp`;
      const resourceUrl = new URL(resource);
      mcpPath = resourceUrl.pathname === "" ? "/" : resourceUrl.pathname;
      metadataUrl = `${resourceUrl.origin}${PROTECTED_RESOURCE_PATH}${mcpPath === "/" ? "" : mcpPath}`;
      if (auth?.type === "oauth") {
        const onGroupsOmitted = (caller: string) =>
          serving.app.logger.warning(`http: the token of ${caller} names its groups elsewhere (groups overage, "_claim_names"); served without groups. Ask the authorization server to emit fewer groups, e.g. only those assigned to this application.`);
        verifier = new TokenVerifier(auth, resource, { onGroupsOmitted, ...options.verifier });
      }
      sweeper = setInterval(() => {
        const cutoff = Date.now() - SESSION_IDLE_MS;
        for (const session of sessions.values()) if (session.lastUsed < cutoff) void session.transport.close();
      }, 60_000);
      sweeper.unref();
      options.onListening?.(address);
      return `streamable HTTP at http://${hostPart}:${address.port}${mcpPath} (auth ${auth?.type ?? "none"}${auth?.type === "oauth" ? `, issuer ${auth.issuer}, resource ${resource}` : ""})`;
    },

    async stop(): Promise<void> {
      if (server === null) return;
      draining = true;
      if (sweeper) clearInterval(sweeper);
      const listening = server;
      const closed = new Promise<void>((resolve) => listening.close(() => resolve()));
      // Calls in flight finish (and are audited) before their sessions close; a bound keeps a stuck call from holding the exit.
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, settings.drainSeconds * 1000);
          idle = () => (clearTimeout(timer), resolve());
        });
      }
      for (const session of [...sessions.values()]) await session.transport.close().catch(() => undefined);
      listening.closeAllConnections();
      await closed;
      server = null;
    },
  };
}
