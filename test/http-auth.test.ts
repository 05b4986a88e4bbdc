/**
 * `wiam serve --http` as an OAuth resource server, against a real authorization server
 * (oidc-provider) issuing real tokens, called through the SDK's streamable HTTP client.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema, LoggingMessageNotificationSchema, type ElicitRequest, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { exportJWK, generateKeyPair, importJWK, SignJWT } from "jose";
import { DEMO_ANCHORS } from "../src/connectors/demo/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.js";
import type { HttpConfig } from "../src/config/http-schema.js";
import { runHost, type ServeHost } from "../src/server/host.js";
import { httpTransport } from "../src/transports/http.js";
import { freePort, startAuthorizationServer, type AuthorizationServer } from "./fixtures/authorization-server.js";
import { tempDataDir, textOf } from "./fixtures/mcp.js";

const intent = "Check the HTTP service end to end";
const INVALID = { error: "invalid_token", error_description: "the access token is not valid" };

describe("wiam serve --http with OAuth", () => {
  let as: AuthorizationServer;
  let host: ServeHost;
  let base: string;
  let resource: string;
  let http: HttpConfig;
  const dataDir = tempDataDir();

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const initialize = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } };

  async function connectAs(token: string, approve?: (request: ElicitRequest) => ElicitResult): Promise<Client> {
    const client = new Client({ name: "http-test", version: "1.0.0" }, approve ? { capabilities: { elicitation: { form: {} } } } : {});
    if (approve) client.setRequestHandler(ElicitRequestSchema, (request) => approve(request));
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    return client;
  }

  /** A token signed with the provider's own key but claims of the test's choosing. */
  async function forge(claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
    const key = await importJWK(as.signingKey, "RS256");
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ sub: "analyst-alice", scope: "wiam.read", ...claims })
      .setProtectedHeader({ alg: "RS256", kid: as.signingKey.kid, ...header })
      .setIssuer((claims.iss as string | undefined) ?? as.issuer)
      .setAudience((claims.aud as string | undefined) ?? resource)
      .setIssuedAt(now)
      .setExpirationTime((claims.exp as number | undefined) ?? now + 300)
      .sign(key);
  }

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    resource = `${base}/mcp`;
    as = await startAuthorizationServer([resource, "https://other.example.com/mcp"]);
    // Groups from the token reach Cedar: only secops may describe an identity.
    const policyFile = join(dataDir, "policy.cedar");
    writeFileSync(
      policyFile,
      [
        '@id("allow-read") permit (principal, action in Wiam::Action::"read", resource);',
        '@id("describe-is-secops-only") @reason("describe_identity is for secops")',
        'forbid (principal, action == Wiam::Action::"describe_identity", resource) unless { principal in Wiam::CallerGroup::"token:secops" };',
        '@id("approve-production-reach-in-answers") @approval("required") @reason("the answer reveals reach into production")',
        "forbid (principal, action, resource) when { context has resultContainsProduction && context.resultContainsProduction } unless { context.approved };",
      ].join("\n"),
      { mode: 0o600 },
    );
    const configPath = join(dataDir, "wiam.yaml");
    const config = {
      governance: { policyFile },
      http: {
        host: "127.0.0.1",
        port,
        resource,
        allowedHosts: ["wiam.example.com"],
        allowedOrigins: ["https://console.example.com"],
        maxBodyBytes: 65_536,
        auth: { type: "oauth", issuer: as.issuer, requiredScopes: ["wiam.read"], callerClaim: "sub", groupsClaim: "groups" },
      },
    };
    writeFileSync(configPath, JSON.stringify(config), { mode: 0o600 });
    http = parseConfig(config, "(test)").http as HttpConfig;
    host = await runHost({
      globals: { config: configPath, dataDir, logLevel: "error" },
      // No refetch cooldown, so a token with an unknown key goes to the JWKS endpoint every time.
      transport: () => httpTransport(http, { verifier: { refetchCooldownSeconds: 0 } }),
      exit: () => undefined,
    });
  }, 60_000);

  afterAll(async () => {
    await host?.shutdown();
    await as?.stop().catch(() => undefined);
  });

  it("publishes protected resource metadata naming the authorization server", async () => {
    for (const path of ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]) {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        resource,
        authorization_servers: [as.issuer],
        scopes_supported: ["wiam.read"],
        bearer_methods_supported: ["header"],
        resource_name: "workload-iam-mcp",
      });
    }
  });

  it("answers a request without a token with 401 and where to find the authorization server", async () => {
    const response = await post(initialize);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe(`Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`);
  });

  it("serves a real token's holder through the SDK client; the caller is the token's issuer and subject", async () => {
    const token = await as.token("analyst-alice", { resource });
    const client = await connectAs(token);
    const { tools } = await client.listTools();
    expect(tools.length).toBe(8);
    const result = await client.callTool({ name: "inventory_summary", arguments: { intent } });
    expect(result.isError, textOf(result)).toBeFalsy();
    const auditId = (result._meta as Record<string, string>)["workload-iam-mcp/auditId"] ?? "";
    const record = host.app.audit?.get(auditId);
    expect(record?.caller).toBe(`${as.issuer}|analyst-alice`);
    expect(record?.transport).toBe("http");
    // The token is nowhere in the audit log, not even its signature.
    const signature = token.split(".")[2] ?? "";
    const auditFiles = readdirSync(dataDir).filter((f) => f.startsWith("audit.db"));
    expect(auditFiles).toContain("audit.db");
    for (const file of auditFiles) {
      expect(readFileSync(join(dataDir, file)).includes(signature), file).toBe(false);
    }
    await client.close();
  });

  it("puts the token's groups into Cedar: a secops-only tool refuses an analyst and answers secops", async () => {
    const alice = await connectAs(await as.token("analyst-alice", { resource }));
    const sam = await connectAs(await as.token("secops-sam", { resource }));
    const someone = await sam.callTool({ name: "list_identities", arguments: { intent, limit: 1 } });
    const principal = (someone.structuredContent as { identities: { id: string }[] }).identities[0]?.id ?? "";
    const refused = await alice.callTool({ name: "describe_identity", arguments: { intent, principal } });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toBe("refused by policy: describe_identity is for secops");
    const answered = await sam.callTool({ name: "describe_identity", arguments: { intent, principal } });
    expect(answered.isError, textOf(answered)).toBeFalsy();
    await alice.close();
    await sam.close();
  });

  it("asks the caller's own client, over the open HTTP request, before releasing reach into production", async () => {
    const asked: ElicitRequest[] = [];
    const approving = await connectAs(await as.token("secops-sam", { resource }), (request) => {
      asked.push(request);
      return { action: "accept", content: { approve: true } };
    });
    const principal = DEMO_ANCHORS.aws.prodDeployRole;
    const approved = await approving.callTool({ name: "describe_identity", arguments: { intent, principal } });
    expect(asked.length).toBe(1);
    const released = approved.structuredContent as { identity: { canBeAssumedBy: unknown[] }; withheld?: unknown };
    expect(released.withheld).toBeUndefined();
    expect(released.identity.canBeAssumedBy.length).toBe(1);
    const silent = await connectAs(await as.token("secops-sam", { resource }));
    const withheld = (await silent.callTool({ name: "describe_identity", arguments: { intent, principal } })).structuredContent as {
      identity: { canBeAssumedBy: unknown[] };
      withheld: { part: string }[];
    };
    expect(withheld.identity.canBeAssumedBy).toEqual([]);
    expect(withheld.withheld.map((w) => w.part)).toEqual(["identity.grants", "identity.canAssume", "identity.canBeAssumedBy", "recentActivity"]);
    await approving.close();
    await silent.close();
  });

  it("refuses a token without the required scope with 403 insufficient_scope", async () => {
    const response = await post(initialize, { authorization: `Bearer ${await as.token("reporting-bot", { resource })}` });
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toBe(
      `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp", error="insufficient_scope", error_description="the access token lacks the scope wiam.read", scope="wiam.read"`,
    );
  });

  it("refuses every bad token with the same 401 and no detail", async () => {
    const now = Math.floor(Date.now() / 1000);
    const good = await as.token("analyst-alice", { resource });
    const [header, payload, signature] = good.split(".");
    const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString()) as Record<string, unknown>;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: "secops-sam" })).toString("base64url")}.${signature}`;
    const unsigned = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`;
    // HS256 keyed with the provider's public key: the classic algorithm confusion attack.
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = as.signingKey;
    const publicKeyBytes = new TextEncoder().encode(JSON.stringify(publicJwk));
    const confused = await new SignJWT({ sub: "analyst-alice", scope: "wiam.read" })
      .setProtectedHeader({ alg: "HS256", kid: as.signingKey.kid })
      .setIssuer(as.issuer)
      .setAudience(resource)
      .setExpirationTime(now + 300)
      .sign(publicKeyBytes);
    const { privateKey: strangerKey } = await generateKeyPair("RS256", { extractable: true });
    const stranger = await new SignJWT({ sub: "analyst-alice", scope: "wiam.read" })
      .setProtectedHeader({ alg: "RS256", kid: "not-a-known-key" })
      .setIssuer(as.issuer)
      .setAudience(resource)
      .setExpirationTime(now + 300)
      .sign(strangerKey);
    const bad: Record<string, string> = {
      expired: await forge({ exp: now - 3_600 }),
      "not yet valid": await forge({ nbf: now + 3_600 }),
      "wrong audience": await as.token("analyst-alice", { resource: "https://other.example.com/mcp" }),
      "wrong issuer": await forge({ iss: "https://evil.example.com" }),
      "alg none": unsigned,
      "HS256 with the public key": confused,
      "unknown kid": stranger,
      "tampered payload": tampered,
      "not a JWT": "FAKE-opaque-token-EXAMPLE",
    };
    for (const [name, token] of Object.entries(bad)) {
      const response = await post(initialize, { authorization: `Bearer ${token}` });
      expect(response.status, name).toBe(401);
      expect(await response.json(), name).toEqual(INVALID);
      expect(response.headers.get("www-authenticate"), name).toContain('error="invalid_token"');
    }
    void exportJWK;
  });

  it("refuses Hosts and Origins it was not told about with 403, and accepts configured ones", async () => {
    const token = await as.token("analyst-alice", { resource });
    const asked = async (headers: Record<string, string>) => {
      // fetch will not set Host; node:http can.
      const { request } = await import("node:http");
      return new Promise<number>((resolve, reject) => {
        const req = request(`${base}/healthz`, { headers }, (res) => (res.resume(), resolve(res.statusCode ?? 0)));
        req.on("error", reject);
        req.end();
      });
    };
    expect(await asked({ host: "evil.example.net" })).toBe(403);
    expect(await asked({ host: "wiam.example.com" })).toBe(200);
    expect(await asked({ host: "localhost:1234" })).toBe(200);
    const fromEvil = await post(initialize, { authorization: `Bearer ${token}`, origin: "https://evil.example.net" });
    expect(fromEvil.status).toBe(403);
    expect(await fromEvil.json()).toEqual({ error: "forbidden", error_description: "Origin not allowed" });
    const fromConsole = await post(initialize, { authorization: `Bearer ${token}`, origin: "https://console.example.com" });
    expect(fromConsole.status).toBe(200);
    expect(fromConsole.headers.get("access-control-allow-origin")).toBe("https://console.example.com");
  });

  it("refuses an oversized body with 413 and a malformed one with a JSON-RPC parse error, and keeps serving", async () => {
    const token = await as.token("analyst-alice", { resource });
    const auth = { authorization: `Bearer ${token}` };
    const big = await post({ ...initialize, params: { ...initialize.params, padding: "x".repeat(70_000) } }, auth);
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "request body over 65536 bytes; nothing was run" } });
    const malformed = await post("{not json", auth);
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error: the body is not JSON" } });
    const client = await connectAs(token);
    expect((await client.listTools()).tools.length).toBe(8);
    await client.close();
  });

  it("keeps a session to the caller who opened it", async () => {
    const aliceToken = await as.token("analyst-alice", { resource });
    const opened = await post(initialize, { authorization: `Bearer ${aliceToken}` });
    const sessionId = opened.headers.get("mcp-session-id") ?? "";
    expect(sessionId).not.toBe("");
    const samToken = await as.token("secops-sam", { resource });
    const hijack = await post({ jsonrpc: "2.0", id: 2, method: "tools/list" }, { authorization: `Bearer ${samToken}`, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" });
    expect(hijack.status).toBe(404);
  });

  it("keeps a task id one caller picks apart from the same id another caller picks", async () => {
    const alice = await connectAs(await as.token("analyst-alice", { resource }));
    const sam = await connectAs(await as.token("secops-sam", { resource }));
    const args = { intent, task_id: "INC-1234" };
    const first = await alice.callTool({ name: "inventory_summary", arguments: args });
    const second = await sam.callTool({ name: "inventory_summary", arguments: args });
    const auditOf = (result: typeof first) => host.app.audit?.get((result._meta as Record<string, string>)["workload-iam-mcp/auditId"] ?? "");
    // The audit keeps the id as given, next to who gave it; budgets and cloud sessions are per caller.
    expect([auditOf(first)?.taskId, auditOf(first)?.caller]).toEqual(["INC-1234", `${as.issuer}|analyst-alice`]);
    expect([auditOf(second)?.taskId, auditOf(second)?.caller]).toEqual(["INC-1234", `${as.issuer}|secops-sam`]);
    expect([...host.app.tasks.activeTaskIds].filter((id) => id.endsWith("#INC-1234")).sort()).toEqual([
      `${as.issuer}|analyst-alice#INC-1234`,
      `${as.issuer}|secops-sam#INC-1234`,
    ]);
    await alice.close();
    await sam.close();
  });

  it("does not send the server's log, which speaks of every caller, to any one caller", async () => {
    const alice = await connectAs(await as.token("analyst-alice", { resource }));
    const received: unknown[] = [];
    alice.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => void received.push(notification.params));
    host.app.logger.error("a line about another caller's call");
    await alice.listTools();
    expect(received).toEqual([]);
    await alice.close();
  });

  it("answers health and readiness", async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    // Anyone who reaches the port may ask: the answer names checks, never paths or providers.
    expect(await ready.json()).toEqual({ ready: true, checks: { config: "ok", policy: "ok", audit: "ok", providers: "ok" } });
  });

  // Last: it stops the authorization server.
  it("keeps verifying tokens signed with known keys while the JWKS endpoint is down, and answers 503 for unknown keys", async () => {
    const token = await as.token("analyst-alice", { resource });
    const { privateKey } = await generateKeyPair("RS256", { extractable: true });
    const rotated = await new SignJWT({ sub: "analyst-alice", scope: "wiam.read" })
      .setProtectedHeader({ alg: "RS256", kid: "test-key-2" })
      .setIssuer(as.issuer)
      .setAudience(resource)
      .setExpirationTime(Math.floor(Date.now() / 1000) + 300)
      .sign(privateKey);
    await as.stop();
    const client = await connectAs(token);
    expect((await client.listTools()).tools.length).toBe(8);
    await client.close();
    const response = await post(initialize, { authorization: `Bearer ${rotated}` });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(await response.json()).toEqual({ error: "temporarily_unavailable", error_description: "the authorization server's keys cannot be read; try again later" });
  });
});
