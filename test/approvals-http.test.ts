/**
 * Second-person approval end to end over HTTP: real tokens from a real authorization server
 * (oidc-provider) for the caller (`analysts`) and approvers (`secops`), the SDK's streamable HTTP
 * client for the call, and the admin endpoint (and `wiam approvals` on the host) for the decision.
 * The call waits while its request is pending and runs once a second person approves; the caller
 * can never approve it, by any token; the audit chain records the request, the decision and reuse.
 */
import { execFile } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CallToolResultSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_ANCHORS } from "../src/connectors/demo/index.js";
import { parseConfig } from "../src/config/load.js";
import type { HttpConfig } from "../src/config/http-schema.js";
import { runHost, type ServeHost } from "../src/server/host.js";
import { httpTransport } from "../src/transports/http.js";
import { osUserName } from "../src/util/os-user.js";
import { freePort, startAuthorizationServer, type AuthorizationServer } from "./fixtures/authorization-server.js";
import { tempDataDir, textOf } from "./fixtures/mcp.js";

const intent = "Review the production deploy role before the release";
const principal = DEMO_ANCHORS.aws.prodDeployRole;
const CLI = join(import.meta.dirname, "..", "dist/src/cli/main.js");

interface View {
  id: string;
  status: string;
  tool: string;
  caller: string;
  taskId: string;
  intent: string;
  arguments: unknown;
  scope: string;
  why: string[];
  approvers: { policyId: string; groups: string[] }[];
  approver: string | null;
  note: string | null;
}

describe("second-person approval over HTTP", () => {
  let as: AuthorizationServer;
  let host: ServeHost;
  let base: string;
  let resource: string;
  const dataDir = tempDataDir();
  const configPath = join(dataDir, "wiam.yaml");
  const tokens = new Map<string, string>();
  const token = async (client: string) => {
    const known = tokens.get(client);
    if (known !== undefined) return known;
    const fresh = await as.token(client, { resource });
    tokens.set(client, fresh);
    return fresh;
  };

  async function connectAs(client: string): Promise<Client> {
    const mcp = new Client({ name: "approvals-test", version: "1.0.0" });
    await mcp.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${await token(client)}` } } }));
    return mcp;
  }

  async function admin(client: string | null, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${base}/admin/approvals${path}`, {
      method: init.method ?? "GET",
      headers: { ...(client === null ? {} : { authorization: `Bearer ${await token(client)}` }), "content-type": "application/json" },
      ...(init.body === undefined ? {} : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
    });
    return { status: response.status, body: await response.json() };
  }

  /** The one pending request, once the waiting call has put it in the queue. */
  async function pending(approver = "secops-sue"): Promise<View> {
    for (let i = 0; i < 500; i++) {
      const { body } = await admin(approver, "?status=pending");
      const [request] = (body as { requests: View[] }).requests;
      if (request !== undefined) return request;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error("no request appeared in the queue");
  }

  const describeCall = (mcp: Client, taskId: string) =>
    mcp.callTool({ name: "describe_identity", arguments: { intent, principal, task_id: taskId } }, undefined, { timeout: 120_000 }) as Promise<CallToolResult>;
  const auditIdOf = (result: CallToolResult) => (result._meta as Record<string, string>)["workload-iam-mcp/auditId"] ?? "";

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    resource = `${base}/mcp`;
    as = await startAuthorizationServer([resource]);
    const policyFile = join(dataDir, "policy.cedar");
    writeFileSync(
      policyFile,
      [
        '@id("allow-read") permit (principal, action in Wiam::Action::"read", resource);',
        '@id("production-needs-secops") @approval("second-person") @approvers("token:secops, host-approvers")',
        '@reason("describing a production identity needs a second person from secops")',
        'forbid (principal, action == Wiam::Action::"describe_identity", resource) when { resource.environment == "production" } unless { context.approved };',
      ].join("\n"),
      { mode: 0o600 },
    );
    const config = {
      governance: { policyFile, approvalTimeoutSeconds: 600, approvals: { pollIntervalMs: 50, approverClientIds: ["secops-sam", "secops-sue"] }, callerGroups: { "host-approvers": [osUserName()] } },
      http: { host: "127.0.0.1", port, resource, auth: { type: "oauth", issuer: as.issuer, requiredScopes: ["wiam.read"], callerClaim: "sub", groupsClaim: "groups" } },
    };
    writeFileSync(configPath, JSON.stringify(config), { mode: 0o600 });
    const http = parseConfig(config, "(test)").http as HttpConfig;
    host = await runHost({ globals: { config: configPath, dataDir, logLevel: "error" }, transport: () => httpTransport(http), exit: () => undefined });
  }, 60_000);

  afterAll(async () => {
    await host?.shutdown();
    await as?.stop().catch(() => undefined);
  });

  it("holds an analyst's call until a secops member approves it through the admin endpoint, then runs it once", async () => {
    const alice = await connectAs("analyst-alice");
    const call = describeCall(alice, "release-42");
    const request = await pending();
    expect(request).toMatchObject({
      status: "pending",
      tool: "describe_identity",
      caller: `${as.issuer}|analyst-alice`,
      taskId: "release-42",
      intent,
      arguments: { principal },
      why: ["describing a production identity needs a second person from secops"],
      approvers: [{ policyId: "production-needs-secops", groups: ["token:secops", "host-approvers"] }],
      approver: null,
    });
    expect(request.scope).toBe('account "aws:account/222222222222" (environment: production)');

    // The caller is no approver: the queue is closed to her (her client is not granted the approve scope), and a name in the body changes nothing.
    expect(await admin("analyst-alice", "")).toEqual({ status: 403, body: { error: "insufficient_scope", error_description: "the admin endpoint needs the scope wiam.approve (governance.approvals.approverScopes)" } });
    expect((await admin("analyst-alice", `/${request.id}/approve`, { method: "POST", body: {} })).status).toBe(403);

    const decided = await admin("secops-sam", `/${request.id}/approve`, { method: "POST", body: { note: "release owner confirmed" } });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({ id: request.id, status: "approved", approver: `${as.issuer}|secops-sam`, note: "release owner confirmed" });

    const result = await call;
    expect(result.isError, textOf(result)).toBeFalsy();
    expect((result.structuredContent as { identity: { id: string } }).identity.id).toBe(principal);
    const record = host.app.audit?.get(auditIdOf(result));
    expect(record).toMatchObject({
      decision: "approval_required",
      approver: `${as.issuer}|secops-sam`,
      policyIds: ["production-needs-secops"],
      approval: { outcome: "approved", note: "release owner confirmed", kind: "second-person", requestId: request.id },
    });
    // The request and the decision are records of their own in the chain, which still verifies.
    const steps = host.app.audit?.search({ order: "asc" }).filter((r) => r.tool.startsWith("approvals/")) ?? [];
    expect(steps.map((r) => [r.tool, r.caller, (r.arguments as { requestId: string }).requestId])).toEqual([
      ["approvals/request", `${as.issuer}|analyst-alice`, request.id],
      ["approvals/approve", `${as.issuer}|secops-sam`, request.id],
    ]);
    expect(host.app.audit?.verify().ok).toBe(true);

    // The identical call in the same task is not asked again; the audit names the approval it reuses.
    const again = await describeCall(alice, "release-42");
    expect(again.isError, textOf(again)).toBeFalsy();
    expect(host.app.audit?.get(auditIdOf(again))?.approval).toEqual({ outcome: "approved", note: "release owner confirmed", kind: "second-person", reusedFrom: request.id, decidedAt: expect.any(String) as string });
    // Another task asks again.
    const otherTask = describeCall(alice, "release-43");
    const second = await pending();
    expect(second.id).not.toBe(request.id);
    await admin("secops-sue", `/${second.id}/deny`, { method: "POST", body: { note: "use the release-42 task" } });
    const refused = await otherTask;
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toBe(
      `approval required (describing a production identity needs a second person from secops): approval request ${second.id} was denied by ${as.issuer}|secops-sue (note: "use the release-42 task"); the call was not run`,
    );
    await alice.close();
  }, 60_000);

  it("runs the wait as an MCP task over HTTP, so it outlives the client's request timeout", async () => {
    const alice = await connectAs("analyst-alice");
    const stream = alice.experimental.tasks.callToolStream({ name: "describe_identity", arguments: { intent, principal, task_id: "as-a-task" } }, CallToolResultSchema, {
      timeout: 300,
      task: { ttl: 60_000 },
    });
    let result: CallToolResult | undefined;
    const consumed = (async () => {
      for await (const message of stream) {
        if (message.type === "result") result = message.result as CallToolResult;
        if (message.type === "error") throw message.error;
      }
    })();
    const request = await pending();
    // Longer than the client waits for any one request.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect((await admin("secops-sue", `/${request.id}/approve`, { method: "POST" })).status).toBe(200);
    await consumed;
    expect(result?.isError, textOf(result ?? {})).toBeFalsy();
    expect(host.app.audit?.get(auditIdOf(result as CallToolResult))?.approval).toMatchObject({ kind: "second-person", requestId: request.id });
    await alice.close();
  }, 60_000);

  it("cancels a session's waiting task when the client ends the session, and withdraws its request", async () => {
    const alice = await connectAs("analyst-alice");
    const { CreateTaskResultSchema } = await import("@modelcontextprotocol/sdk/experimental/tasks/types.js");
    await alice.request({ method: "tools/call", params: { name: "describe_identity", arguments: { intent, principal, task_id: "ended-session" }, task: { ttl: 60_000 } } }, CreateTaskResultSchema);
    const request = await pending();
    // DELETE on the session: nobody can fetch the task's answer any more.
    await (alice.transport as StreamableHTTPClientTransport).terminateSession();
    let withdrawn: View | undefined;
    for (let i = 0; i < 500 && withdrawn === undefined; i++) {
      const { body } = await admin("secops-sue", "?status=withdrawn");
      withdrawn = (body as { requests: View[] }).requests.find((r) => r.id === request.id);
      if (withdrawn === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(withdrawn).toMatchObject({ id: request.id, status: "withdrawn", taskId: "ended-session" });
    let audited = host.app.audit?.search({ tool: "describe_identity" }).find((r) => (r.approval as { requestId?: string } | null)?.requestId === request.id);
    for (let i = 0; i < 500 && audited === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      audited = host.app.audit?.search({ tool: "describe_identity" }).find((r) => (r.approval as { requestId?: string } | null)?.requestId === request.id);
    }
    expect(audited?.approval).toMatchObject({ outcome: "cancelled", kind: "second-person", requestId: request.id });
    await alice.close();
  }, 60_000);

  it("never lets a secops member approve their own request, not with a second token either", async () => {
    const sam = await connectAs("secops-sam");
    const call = describeCall(sam, "sam-own");
    const request = await pending("secops-sue");
    const own = { status: 403, body: { error: "forbidden", error_description: `approval request ${request.id} is your own: a second person must decide it` } };
    expect(await admin("secops-sam", `/${request.id}/approve`, { method: "POST", body: { note: "trust me" } })).toEqual(own);
    tokens.delete("secops-sam");
    expect(await admin("secops-sam", `/${request.id}/approve`, { method: "POST" })).toEqual(own);
    expect((await admin("secops-sue", `/${request.id}`)).body).toMatchObject({ status: "pending" });
    expect((await admin("secops-sue", `/${request.id}/approve`, { method: "POST" })).status).toBe(200);
    expect((await call).isError).toBeFalsy();
    const refusals = host.app.audit?.search({ tool: "approvals/refuse" }) ?? [];
    expect(refusals.length).toBe(2);
    expect(refusals.every((r) => r.caller === `${as.issuer}|secops-sam` && r.status === "denied")).toBe(true);
    await sam.close();
  }, 60_000);

  it("refuses malformed admin requests with the field and the problem, and unauthenticated ones with 401", async () => {
    expect((await admin(null, "")).status).toBe(401);
    expect(await admin("secops-sue", "?status=everything")).toMatchObject({ status: 400, body: { error: "invalid_request" } });
    expect(await admin("secops-sue", "/not-an-id")).toEqual({ status: 404, body: { error: "not_found", error_description: "no such approval request" } });
    const id = "01JZZZZZZZZZZZZZZZZZZZZZZZ";
    expect((await admin("secops-sue", `/${id}/approve`, { method: "POST", body: { note: 5 } })).body).toMatchObject({ error: "invalid_request", error_description: expect.stringMatching(/^body: note: /) as string });
    expect((await admin("secops-sue", `/${id}/approve`, { method: "POST", body: { approver: "someone-else" } })).body).toMatchObject({ error: "invalid_request" });
    expect((await admin("secops-sue", `/${id}/approve`, { method: "POST", body: "{not json" })).body).toEqual({ error: "invalid_request", error_description: "the body is not JSON" });
    expect((await admin("secops-sue", `/${id}/approve`)).status).toBe(405);
    expect((await admin("secops-sue", `/${id}/approve`, { method: "POST" })).status).toBe(404);
  });

  it("needs the approver scope at the admin endpoint (a /mcp token cannot approve), and an allowed approver client", async () => {
    const mcpOnly = await as.token("secops-sue", { resource, scope: "wiam.read" });
    const response = await fetch(`${base}/admin/approvals?status=pending`, { headers: { authorization: `Bearer ${mcpOnly}` } });
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toBe('Bearer error="insufficient_scope", scope="wiam.approve"');
    expect(await response.json()).toEqual({ error: "insufficient_scope", error_description: "the admin endpoint needs the scope wiam.approve (governance.approvals.approverScopes)" });
    expect(await admin("secops-automation", "?status=pending")).toEqual({
      status: 403,
      body: { error: "forbidden", error_description: "approving is allowed only with tokens issued to the approver clients in governance.approvals.approverClientIds" },
    });
  });

  it("lets an OS account in a host approver group decide with `wiam approvals` on the host", async () => {
    if (!existsSync(CLI)) throw new Error("dist/ is missing: emit it with `npx tsc -p tsconfig.json`");
    const alice = await connectAs("analyst-alice");
    const call = describeCall(alice, "host-decides");
    const request = await pending();
    const wiam = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [CLI, "--config", configPath, "--data-dir", dataDir, "approvals", ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
        );
      });
    const listed = await wiam("list");
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(request.id);
    const shown = await wiam("show", request.id, "--json");
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: request.id, caller: `${as.issuer}|analyst-alice`, intent });
    const approved = await wiam("approve", request.id, "--note", "approved from the host");
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toBe(`${request.id} approved by ${osUserName()}\n`);
    const result = await call;
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(host.app.audit?.get(auditIdOf(result))).toMatchObject({ approver: osUserName(), approval: { kind: "second-person", requestId: request.id, note: "approved from the host" } });
    const late = await wiam("deny", request.id);
    expect(late.code).toBe(1);
    expect(late.stderr).toBe(`wiam: approval request ${request.id} is already approved (by ${osUserName()})\n`);
    await alice.close();
  }, 60_000);
});
