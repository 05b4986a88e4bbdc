/**
 * Two `wiam serve --http` replicas on one PostgreSQL database, as behind a load balancer (real
 * processes from the built CLI, a real PostgreSQL): calls through both form one audit chain that
 * `wiam audit verify` accepts; a caller's budget spent on replica A is refused on replica B, from a
 * new session too; killing a replica in the middle of a burst loses no call it answered.
 * (The second-person approval across replicas is test/approvals-replicas.test.ts.)
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOrCreateRedactionKey, REDACTION_KEY_FILE } from "../redaction/index.js";
import { postgresConfigSchema } from "../src/config/state-schema.js";
import { PostgresStateStore } from "../src/state/postgres/store.js";
import { freePort } from "./fixtures/authorization-server.js";
import { tempDataDir, textOf } from "./fixtures/mcp.js";
import { startPostgres, type PostgresServer } from "./support/postgres.js";

const CLI = join(import.meta.dirname, "..", "dist/src/cli/main.js");
const AUDIT_ID = "workload-iam-mcp/auditId";
/** Per-caller calls a minute in the budget test's config: small, so a few calls spend it. */
const CALLER_CALLS_PER_MINUTE = 6;

interface Replica {
  name: string;
  base: string;
  process: ChildProcess;
  stderr: string[];
}

describe("two replicas on one PostgreSQL database", () => {
  let postgres: PostgresServer;
  let databaseUrl: string;
  const root = tempDataDir();
  const replicas: Replica[] = [];
  const databaseEnv = "WIAM_TEST_STATE_URL";
  const sharedRedactionKey = () => {
    loadOrCreateRedactionKey(join(root, "shared-key"));
    return join(root, "shared-key", REDACTION_KEY_FILE);
  };

  function configFile(name: string, port: number, extra: Record<string, unknown> = {}): string {
    const dataDir = join(root, name);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // Replicas sharing the database share one redaction key, or they refuse to start.
    copyFileSync(sharedRedactionKey(), join(dataDir, REDACTION_KEY_FILE));
    const path = join(dataDir, "wiam.yaml");
    const config = {
      state: { postgres: { url: { env: databaseEnv } } },
      http: { host: "127.0.0.1", port, auth: { type: "none" } },
      ...extra,
    };
    writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
    return path;
  }

  const childEnv = () => ({ PATH: process.env.PATH ?? "", [databaseEnv]: databaseUrl });

  async function startReplica(name: string, extra: Record<string, unknown> = {}): Promise<Replica> {
    const port = await freePort();
    const configPath = configFile(name, port, extra);
    const child = spawn(process.execPath, [CLI, "--config", configPath, "--data-dir", join(root, name), "--log-level", "warning", "serve", "--http"], {
      stdio: ["ignore", "ignore", "pipe"],
      env: childEnv(),
    });
    const replica: Replica = { name, base: `http://127.0.0.1:${port}`, process: child, stderr: [] };
    child.stderr?.on("data", (chunk: Buffer) => replica.stderr.push(chunk.toString("utf8")));
    for (let i = 0; i < 300; i++) {
      const ready = await fetch(`${replica.base}/readyz`).then((r) => r.status === 200).catch(() => false);
      if (ready) {
        replicas.push(replica);
        return replica;
      }
      if (child.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`replica ${name} did not become ready: ${replica.stderr.join("")}`);
  }

  async function stopReplica(replica: Replica, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (replica.process.exitCode !== null || replica.process.signalCode !== null) return;
    const exited = new Promise((resolve) => replica.process.once("exit", resolve));
    replica.process.kill(signal);
    await exited;
  }

  async function connectTo(replica: Replica): Promise<Client> {
    const client = new Client({ name: `replica-test-${replica.name}`, version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${replica.base}/mcp`)));
    return client;
  }

  const call = (client: Client, intent: string, taskId?: string) =>
    client.callTool({ name: "inventory_summary", arguments: { intent, ...(taskId === undefined ? {} : { task_id: taskId }) } }) as Promise<CallToolResult>;

  const auditIdOf = (result: CallToolResult): string => String((result._meta as Record<string, unknown> | undefined)?.[AUDIT_ID] ?? "");

  /** `wiam audit <args>` against the shared database, as an admin runs it on any host. */
  function wiamAudit(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const configPath = configFile("admin", 1);
    const run = spawnSync(process.execPath, [CLI, "--config", configPath, "--data-dir", join(root, "admin"), "audit", ...args], { encoding: "utf8", env: childEnv(), timeout: 60_000 });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  }

  async function openStore(): Promise<PostgresStateStore> {
    return PostgresStateStore.open({ config: postgresConfigSchema.parse({ url: databaseUrl }), audit: { responseBody: "none" } });
  }

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error("dist/ is missing: emit it with `npx tsc -p tsconfig.json`");
    postgres = await startPostgres();
  }, 120_000);

  afterAll(async () => {
    for (const replica of replicas) await stopReplica(replica);
    await postgres?.stop();
  }, 60_000);

  it("records calls through both replicas in one chain that wiam audit verify accepts", async () => {
    databaseUrl = await postgres.createDatabase();
    const a = await startReplica("a");
    const b = await startReplica("b");
    const [onA, onB] = [await connectTo(a), await connectTo(b)];
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => call(i % 2 === 0 ? onA : onB, `chain check ${i} through replica ${i % 2 === 0 ? "a" : "b"}`, `CHAIN-${i % 4}`)),
    );
    for (const result of results) expect(result.isError, textOf(result)).toBeFalsy();
    await onA.close();
    await onB.close();

    const verified = wiamAudit(["verify", "--json"]);
    expect(verified.status, verified.stderr).toBe(0);
    const verify = JSON.parse(verified.stdout) as { ok: boolean; firstSeq: number; headSeq: number; checked: number };
    expect(verify).toMatchObject({ ok: true, firstSeq: 1 });
    expect(verify.checked).toBe(verify.headSeq);

    const found = wiamAudit(["search", "--intent", "chain check", "--json", "--limit", "100"]);
    expect(found.status, found.stderr).toBe(0);
    const records = JSON.parse(found.stdout) as { id: string; status: string }[];
    expect(records.map((r) => r.id).sort()).toEqual(results.map(auditIdOf).sort());
    expect(new Set(records.map((r) => r.status))).toEqual(new Set(["ok"]));
    await stopReplica(a);
    await stopReplica(b);
  }, 120_000);

  it("refuses on replica B a caller's budget spent on replica A, and a new session does not reset it", async () => {
    const budgets = { governance: { budgets: { perCaller: { callsPerMinute: CALLER_CALLS_PER_MINUTE }, onExceed: "deny" } } };
    databaseUrl = await postgres.createDatabase();
    const a = await startReplica("budget-a", budgets);
    const b = await startReplica("budget-b", budgets);
    const onA = await connectTo(a);
    for (let i = 0; i < CALLER_CALLS_PER_MINUTE; i++) {
      const result = await call(onA, `spend the budget ${i}`);
      expect(result.isError, textOf(result)).toBeFalsy();
    }
    await onA.close();
    // Another replica, a new MCP session and a task id never used: the caller's budget is the same.
    const onB = await connectTo(b);
    const refused = await call(onB, "one more call through the other replica", "A-FRESH-TASK");
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toBe(`refused: over budget (caller made ${CALLER_CALLS_PER_MINUTE} calls in the last minute (budget ${CALLER_CALLS_PER_MINUTE}))`);
    await onB.close();
    const store = await openStore();
    try {
      expect(await store.audit.get(auditIdOf(refused))).toMatchObject({ status: "denied", decision: "deny", decisionRule: "budget" });
    } finally {
      await store.close();
    }
    await stopReplica(a);
    await stopReplica(b);
  }, 120_000);

  it("loses no answered call when a replica is killed in the middle of a burst", async () => {
    databaseUrl = await postgres.createDatabase();
    const a = await startReplica("burst-a");
    const b = await startReplica("burst-b");
    const clients = await Promise.all([connectTo(a), connectTo(a), connectTo(b), connectTo(b)]);
    const answered: string[] = [];
    let killed = false;
    const worker = async (client: Client, index: number) => {
      for (let i = 0; i < 25; i++) {
        try {
          const result = await call(client, `burst worker ${index} call ${i}`, `BURST-${index}`);
          if (!result.isError) answered.push(auditIdOf(result));
        } catch {
          // The killed replica's clients lose their connection: those calls were never answered.
          return;
        }
        if (!killed && answered.length >= 20) {
          killed = true;
          await stopReplica(a, "SIGKILL");
        }
      }
    };
    await Promise.all(clients.map((client, index) => worker(client, index)));
    for (const client of clients) await client.close().catch(() => undefined);
    expect(killed).toBe(true);
    expect(answered.length).toBeGreaterThan(20);

    const store = await openStore();
    try {
      // Every answer the clients got is on record as completed; the chain stays one and intact.
      for (const id of answered) expect((await store.audit.get(id))?.status, id).toBe("ok");
      expect((await store.audit.verify()).ok).toBe(true);
    } finally {
      await store.close();
    }
    await stopReplica(b);
  }, 120_000);
});
