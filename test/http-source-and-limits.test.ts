/**
 * The HTTP transport's audit facts and request limits: the source address of every call (the
 * socket's peer; X-Forwarded-For only from a configured trusted proxy), a client that trickles a
 * body is cut off, and an approval given over HTTP is recorded as the caller's own confirmation.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { connect as connectSocket } from "node:net";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { createApp, type App } from "../src/app.js";
import { parseConfig } from "../src/config/load.js";
import type { HttpConfig } from "../src/config/http-schema.js";
import { buildDemoEstate, DEMO_ANCHORS } from "../src/connectors/demo/index.js";
import { Governor } from "../src/governance/governor.js";
import { defaultPolicyText } from "../src/governance/policy-set.js";
import { governanceSettingsOf, taskSettingsOf } from "../src/governance/settings.js";
import { TaskRegistry } from "../src/governance/tasks.js";
import { Inventory } from "../src/model/inventory-index.js";
import { AUDIT_ID_META_KEY } from "../src/server/create-server.js";
import { SELF_CONFIRMATION_NOTE } from "../src/server/elicitation-approver.js";
import { appSessions, type ServeHost, type ServeTransport } from "../src/server/host.js";
import { httpTransport } from "../src/transports/http.js";
import { freePort } from "./fixtures/authorization-server.js";
import { demoAsRealEstate, tempDataDir, textOf } from "./fixtures/mcp.js";

const intent = "check what the audit records about HTTP callers";

interface Running {
  app: App;
  transport: ServeTransport;
  url: string;
  port: number;
}

let running: Running | undefined;
afterEach(async () => {
  await running?.transport.stop();
  running?.app.close();
  running = undefined;
});

async function serve(http: Record<string, unknown>, realEstate = false, governance: Record<string, unknown> = {}): Promise<Running> {
  const app = createApp({
    config: parseConfig({ governance }, "(test)"),
    dataDir: tempDataDir(),
    logLevel: "error",
    logWrite: () => undefined,
    ...(realEstate ? { connectors: [demoAsRealEstate()] } : {}),
  });
  const port = await freePort();
  const settings = parseConfig({ http: { port, auth: { type: "none" }, ...http } }, "(test)").http as HttpConfig;
  const transport = httpTransport(settings);
  const host: ServeHost = {
    app,
    configPath: null,
    ...appSessions(app),
    shutdown: () => transport.stop(),
  };
  await transport.start(host);
  running = { app, transport, url: `http://127.0.0.1:${port}/mcp`, port };
  return running;
}

async function client(url: string, headers: Record<string, string> = {}, approve = false, asked: unknown[] = []): Promise<Client> {
  const mcp = new Client({ name: "source-test", version: "1" }, approve ? { capabilities: { elicitation: { form: {} } } } : {});
  if (approve) mcp.setRequestHandler(ElicitRequestSchema, async (request) => (asked.push(request), { action: "accept", content: { approve: true, note: "looks fine" } }));
  await mcp.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return mcp;
}

async function sourceOfCall(server: Running, headers: Record<string, string>): Promise<string | null | undefined> {
  const mcp = await client(server.url, headers);
  const result = await mcp.callTool({ name: "inventory_summary", arguments: { intent } });
  expect(result.isError, textOf(result)).toBeFalsy();
  await mcp.close();
  return server.app.audit?.get(String(result._meta?.[AUDIT_ID_META_KEY]))?.sourceAddress;
}

describe("the source address in the audit record", () => {
  it("is the socket's peer, and a client's own X-Forwarded-For is ignored", async () => {
    const server = await serve({});
    expect(await sourceOfCall(server, { "x-forwarded-for": "203.0.113.9" })).toBe("127.0.0.1");
  });

  it("is the address a trusted proxy appended to X-Forwarded-For, not what the client wrote before it", async () => {
    const server = await serve({ trustedProxies: ["127.0.0.1"] });
    expect(await sourceOfCall(server, { "x-forwarded-for": "203.0.113.9, 198.51.100.7" })).toBe("198.51.100.7");
    // A proxy that appended nothing usable: its own address is what is known.
    expect(await sourceOfCall(server, { "x-forwarded-for": "not-an-address" })).toBe("127.0.0.1");
  });

  it("refuses a trusted proxy that is not an IP address, naming the field", () => {
    expect(() => parseConfig({ http: { auth: { type: "none" }, trustedProxies: ["proxy.example.com"] } }, "(test)")).toThrow(
      /http\.trustedProxies\[0\]: must be an IP address \(IPv4 or IPv6\), not a name or a range/,
    );
  });
});

describe("request limits", () => {
  it("cuts off a client that trickles its body past requestTimeoutSeconds with 408, and keeps serving", async () => {
    const server = await serve({ requestTimeoutSeconds: 1 });
    const socket = connectSocket(server.port, "127.0.0.1");
    const answer = new Promise<string>((resolve) => {
      let received = "";
      socket.on("data", (chunk: Buffer) => (received += chunk.toString("utf8")));
      socket.on("close", () => resolve(received));
      socket.on("error", () => resolve(received));
    });
    socket.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":`);
    // A byte now and then, never the whole body: the server must not wait for it forever.
    const trickle = setInterval(() => socket.write(" "), 200);
    const received = await answer;
    clearInterval(trickle);
    expect(received.split("\r\n")[0]).toBe("HTTP/1.1 408 Request Timeout");
    expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(200);
  }, 30_000);
});

describe("approval over HTTP", () => {
  it("records an approval the caller's own client gave as a self-confirmation, with the person's note", async () => {
    const server = await serve({}, true);
    const mcp = await client(server.url, {}, true);
    // An entitlement query into production needs approval at request time (the built-in policy).
    const result = await mcp.callTool({
      name: "explain_entitlement_paths",
      arguments: { intent, resource: DEMO_ANCHORS.aws.prodPaymentsSecret, action: "secretsmanager:GetSecretValue" },
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    await mcp.close();
    const record = server.app.audit?.get(String(result._meta?.[AUDIT_ID_META_KEY]));
    expect(record?.decision).toBe("approval_required");
    expect(record?.approver).toBe("anonymous@loopback via source-test");
    expect(record?.approval).toEqual({ outcome: "approved", note: `${SELF_CONFIRMATION_NOTE}; note: looks fine`, kind: "self-confirmation" });
    expect(record?.sourceAddress).toBe("127.0.0.1");
  });

  it("refuses over HTTP without asking, with the deployment page's policy snippet, while stdio is still asked", async () => {
    const page = readFileSync(new URL("../docs/deployment.md", import.meta.url), "utf8");
    const snippet = /```cedar\n(\/\/ Over HTTP the approver[\s\S]*?)```/.exec(page)?.[1] ?? "";
    expect(snippet).toContain("no-self-approval-over-http");
    const dataDir = tempDataDir();
    const policyFile = join(dataDir, "policy.cedar");
    writeFileSync(policyFile, `${defaultPolicyText()}\n${snippet}`, { mode: 0o600 });
    const server = await serve({}, true, { policyFile });
    const asked: unknown[] = [];
    const mcp = await client(server.url, {}, true, asked);
    const refused = await mcp.callTool({
      name: "explain_entitlement_paths",
      arguments: { intent, resource: DEMO_ANCHORS.aws.prodPaymentsSecret, action: "secretsmanager:GetSecretValue" },
    });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toBe("refused by policy: entitlement paths that can reach production need a person's approval; this needs a second person's approval, which cannot be asked over HTTP");
    // The answer's reach into production is withheld, not asked about.
    const described = await mcp.callTool({ name: "describe_identity", arguments: { intent, principal: DEMO_ANCHORS.aws.prodDeployRole } });
    expect((described.structuredContent as { withheld: { policyIds: string[] }[] }).withheld.map((w) => w.policyIds)).toEqual([
      ["approve-production-reach-in-answers", "no-self-approval-of-answers-over-http"],
      ["approve-production-reach-in-answers", "no-self-approval-of-answers-over-http"],
      ["approve-production-reach-in-answers", "no-self-approval-of-answers-over-http"],
      // Its activity summary, asked as find_anomalous_activity too.
      ["approve-production-activity", "approve-production-reach-in-answers", "no-self-approval-of-answers-over-http"],
    ]);
    expect(asked).toEqual([]);
    await mcp.close();
    // The same query from a terminal is put to the person there.
    const inventory = new Inventory({ ...buildDemoEstate(new Date()), demo: false });
    const governor = new Governor(() => governanceSettingsOf(server.app.config(), server.app.policySet()), new TaskRegistry(() => taskSettingsOf(server.app.config()), () => undefined));
    const stdioCall = {
      tool: "explain_entitlement_paths",
      intent,
      taskId: "T-terminal",
      caller: { name: "alice", client: "wiam", transport: "stdio" },
      query: { resource: DEMO_ANCHORS.aws.prodPaymentsSecret },
      arguments: { resource: DEMO_ANCHORS.aws.prodPaymentsSecret, action: "secretsmanager:GetSecretValue" },
      limit: 25,
      now: new Date(),
    };
    expect(governor.dryRun(stdioCall, inventory, false).decision.kind).toBe("approval");
    expect(governor.dryRun({ ...stdioCall, caller: { ...stdioCall.caller, transport: "http" } }, inventory, false).decision.kind).toBe("deny");
  });
});

describe("how calls are answered", () => {
  const headers = { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18" };

  async function session(url: string, capabilities: Record<string, unknown>): Promise<Record<string, string>> {
    const initialize = { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities, clientInfo: { name: "raw", version: "1" } } };
    const opened = await fetch(url, { method: "POST", headers, body: JSON.stringify(initialize) });
    await opened.text();
    const withSession = { ...headers, "mcp-session-id": opened.headers.get("mcp-session-id") ?? "" };
    await fetch(url, { method: "POST", headers: withSession, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) });
    return withSession;
  }

  const call = (url: string, sessionHeaders: Record<string, string>, meta: Record<string, unknown> = {}) =>
    fetch(url, {
      method: "POST",
      headers: sessionHeaders,
      body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "inventory_summary", arguments: { intent }, _meta: meta } }),
    });

  it("answers in plain JSON when nothing can come mid-call, and streams when progress is asked for or a person may be asked", async () => {
    const server = await serve({});
    const plain = await session(server.url, {});
    const json = await call(server.url, plain);
    expect(json.headers.get("content-type")).toBe("application/json");
    const answer = (await json.json()) as { id: number; result: { isError?: boolean } };
    expect(answer.id).toBe(7);
    expect(answer.result.isError).toBeUndefined();

    const progress = await call(server.url, plain, { progressToken: "p-1" });
    expect(progress.headers.get("content-type")).toBe("text/event-stream");
    expect(await progress.text()).toContain('"id":7');

    const askable = await session(server.url, { elicitation: { form: {} } });
    const streamed = await call(server.url, askable);
    expect(streamed.headers.get("content-type")).toBe("text/event-stream");
    expect(await streamed.text()).toContain('"id":7');
  });

  it("still asks a person through the SDK client over HTTP, and answers SDK clients without elicitation", async () => {
    const server = await serve({}, true);
    const asked: unknown[] = [];
    const approving = await client(server.url, {}, true, asked);
    const approved = await approving.callTool({
      name: "explain_entitlement_paths",
      arguments: { intent, resource: DEMO_ANCHORS.aws.prodPaymentsSecret, action: "secretsmanager:GetSecretValue" },
    });
    expect(approved.isError, textOf(approved)).toBeFalsy();
    expect(asked.length).toBe(1);
    await approving.close();
    const plain = await client(server.url);
    const answers = await Promise.all(Array.from({ length: 4 }, () => plain.callTool({ name: "inventory_summary", arguments: { intent } })));
    expect(answers.map((a) => a.isError ?? false)).toEqual([false, false, false, false]);
    await plain.close();
  });
});
