/**
 * Two `wiam serve --http` replicas on one PostgreSQL database, as behind a load balancer: a call
 * waiting for a second person on replica A is released by an approval given through replica B's
 * admin endpoint by a `secops` member; the caller's own approval, given through B, is refused.
 * Real processes (the built CLI), a real PostgreSQL and real tokens from oidc-provider.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOrCreateRedactionKey, REDACTION_KEY_FILE } from "../redaction/index.js";
import { DEMO_ANCHORS } from "../src/connectors/demo/index.js";
import { osUserName } from "../src/util/os-user.js";
import { freePort, startAuthorizationServer, type AuthorizationServer } from "./fixtures/authorization-server.js";
import { tempDataDir, textOf } from "./fixtures/mcp.js";
import { startPostgres, type PostgresServer } from "./support/postgres.js";

const CLI = join(import.meta.dirname, "..", "dist/src/cli/main.js");
const intent = "Review the production deploy role before the release";
const principal = DEMO_ANCHORS.aws.prodDeployRole;

interface Replica {
  name: string;
  base: string;
  configPath: string;
  dataDir: string;
  process: ChildProcess;
  stderr: string[];
}

describe("second-person approval across two replicas on PostgreSQL", () => {
  let postgres: PostgresServer;
  let as: AuthorizationServer;
  /** The address clients use for the service (a load balancer's); tokens name it as their audience. */
  let resource: string;
  const replicas: Replica[] = [];
  const root = tempDataDir();

  async function startReplica(name: string, databaseUrl: string, policyFile: string): Promise<Replica> {
    const port = await freePort();
    const dataDir = join(root, name);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // Replicas sharing the database share one redaction key, or they refuse to start.
    loadOrCreateRedactionKey(join(root, "shared-key"));
    copyFileSync(join(root, "shared-key", REDACTION_KEY_FILE), join(dataDir, REDACTION_KEY_FILE));
    const configPath = join(dataDir, "wiam.yaml");
    const config = {
      state: { postgres: { url: databaseUrl } },
      governance: { policyFile, approvalTimeoutSeconds: 600, approvals: { pollIntervalMs: 100 }, callerGroups: { "host-approvers": [osUserName()] } },
      http: { host: "127.0.0.1", port, resource, auth: { type: "oauth", issuer: as.issuer, requiredScopes: ["wiam.read"], callerClaim: "sub", groupsClaim: "groups" } },
    };
    writeFileSync(configPath, JSON.stringify(config), { mode: 0o600 });
    const child = spawn(process.execPath, [CLI, "--config", configPath, "--data-dir", dataDir, "--log-level", "warning", "serve", "--http"], { stdio: ["ignore", "ignore", "pipe"] });
    const replica: Replica = { name, base: `http://127.0.0.1:${port}`, configPath, dataDir, process: child, stderr: [] };
    child.stderr?.on("data", (chunk: Buffer) => replica.stderr.push(chunk.toString("utf8")));
    for (let i = 0; i < 300; i++) {
      const ready = await fetch(`${replica.base}/readyz`).then((r) => r.status === 200).catch(() => false);
      if (ready) return replica;
      if (child.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`replica ${name} did not become ready: ${replica.stderr.join("")}`);
  }

  const tokenOf = (client: string) => as.token(client, { resource });

  const wiam = (replica: Replica, ...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [CLI, "--config", replica.configPath, "--data-dir", replica.dataDir, ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
      );
    });

  async function connectTo(replica: Replica, client: string): Promise<Client> {
    const mcp = new Client({ name: "replica-test", version: "1.0.0" });
    await mcp.connect(new StreamableHTTPClientTransport(new URL(`${replica.base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${await tokenOf(client)}` } } }));
    return mcp;
  }

  async function admin(replica: Replica, client: string, path: string, method = "GET", body?: unknown): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${replica.base}/admin/approvals${path}`, {
      method,
      headers: { authorization: `Bearer ${await tokenOf(client)}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.json() };
  }

  async function pendingOn(replica: Replica, approver: string): Promise<{ id: string; caller: string }> {
    for (let i = 0; i < 300; i++) {
      const { body } = await admin(replica, approver, "?status=pending");
      const [request] = (body as { requests: { id: string; caller: string }[] }).requests;
      if (request) return request;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("no pending request reached the shared queue");
  }

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error("dist/ is missing: emit it with `npx tsc -p tsconfig.json`");
    postgres = await startPostgres();
    const databaseUrl = await postgres.createDatabase();
    resource = `http://127.0.0.1:${await freePort()}/mcp`;
    as = await startAuthorizationServer([resource]);
    const policyFile = join(root, "policy.cedar");
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
    replicas.push(await startReplica("a", databaseUrl, policyFile));
    replicas.push(await startReplica("b", databaseUrl, policyFile));
  }, 120_000);

  afterAll(async () => {
    for (const replica of replicas) {
      if (replica.process.exitCode === null) {
        const exited = new Promise((resolve) => replica.process.once("exit", resolve));
        replica.process.kill("SIGTERM");
        await exited;
      }
    }
    await as?.stop().catch(() => undefined);
    await postgres?.stop();
  }, 60_000);

  it("releases a call waiting on replica A with an approval given through replica B, and refuses the caller's own", async () => {
    const [a, b] = replicas as [Replica, Replica];
    const describeOn = (mcp: Client, taskId: string) =>
      mcp.callTool({ name: "describe_identity", arguments: { intent, principal, task_id: taskId } }, undefined, { timeout: 120_000 }) as Promise<CallToolResult>;

    // An analyst's call on A; a secops member approves through B.
    const alice = await connectTo(a, "analyst-alice");
    const aliceCall = describeOn(alice, "release-42");
    const aliceRequest = await pendingOn(b, "secops-sam");
    expect(aliceRequest.caller).toBe(`${as.issuer}|analyst-alice`);
    expect((await admin(b, "analyst-alice", `/${aliceRequest.id}/approve`, "POST", {})).status).toBe(403);
    const approved = await admin(b, "secops-sam", `/${aliceRequest.id}/approve`, "POST", { note: "approved through replica B" });
    expect(approved).toMatchObject({ status: 200, body: { status: "approved", approver: `${as.issuer}|secops-sam` } });
    const released = await aliceCall;
    expect(released.isError, textOf(released)).toBeFalsy();
    expect((released.structuredContent as { identity: { id: string } }).identity.id).toBe(principal);

    // A secops member's own call on A: his approval through B is refused; another member's releases it.
    const sam = await connectTo(a, "secops-sam");
    const samCall = describeOn(sam, "sam-own");
    const samRequest = await pendingOn(b, "secops-sue");
    expect(await admin(b, "secops-sam", `/${samRequest.id}/approve`, "POST", {})).toEqual({
      status: 403,
      body: { error: "forbidden", error_description: `approval request ${samRequest.id} is your own: a second person must decide it` },
    });
    expect((await admin(a, "secops-sue", `/${samRequest.id}`)).body).toMatchObject({ status: "pending" });
    // On a replica's host, `wiam approvals` reads the same shared queue.
    const listed = await wiam(a, "approvals", "list", "--json");
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { id: string }[]).map((r) => r.id)).toEqual([samRequest.id]);
    expect((await admin(b, "secops-sue", `/${samRequest.id}/approve`, "POST", {})).status).toBe(200);
    const samResult = await samCall;
    expect(samResult.isError, textOf(samResult)).toBeFalsy();

    // The identical call in the same task on B reuses the approval given for A's call.
    const aliceOnB = await connectTo(b, "analyst-alice");
    const reused = await describeOn(aliceOnB, "release-42");
    expect(reused.isError, textOf(reused)).toBeFalsy();
    expect((await admin(b, "secops-sam", "?status=pending")).body).toEqual({ requests: [] });

    await alice.close();
    await sam.close();
    await aliceOnB.close();
  }, 120_000);
});
