/**
 * History end to end on a real PostgreSQL through real processes: `wiam collect` (real AWS SDK
 * against the wire-level fake) stores two collections with a change between them in the shared
 * database; a `wiam serve --http` replica started afterwards answers from the stored copy without
 * one cloud call and `what_changed` names the exact change; a second replica with its own data
 * directory serves the same copy; `wiam doctor` verifies the copy in PostgreSQL.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOrCreateRedactionKey } from "../redaction/index.js";
import { freePort } from "./fixtures/authorization-server.js";
import { runProcess, type ProcessRun } from "./fixtures/run-process.js";
import { tempDataDir, textOf } from "./fixtures/mcp.js";
import { FAKE_BASE_ACCESS_KEY_ID, FAKE_BASE_SECRET_ACCESS_KEY } from "./fakes/aws/estate.js";
import { FakeAwsServer } from "./fakes/aws/server.js";
import { PROD, READ_ROLE, smallEstate } from "./fakes/aws/small-estate.js";
import { startPostgres, type PostgresServer } from "./support/postgres.js";

const CLI = join(import.meta.dirname, "..", "dist/src/cli/main.js");
const DATABASE_ENV = "WIAM_TEST_STATE_URL";
const prodUser = (name: string) => `arn:aws:iam::${PROD}:user/automation/${name}`;

describe("history on PostgreSQL, end to end", () => {
  let postgres: PostgresServer;
  let fake: FakeAwsServer;
  let databaseUrl: string;
  const root = tempDataDir();
  const checkpointKeyFile = join(root, "checkpoint-key.pem");
  const children: ChildProcess[] = [];

  /** A host's data directory and config: every host reads the same AWS account, database and keys. */
  function host(name: string, port = 0): { dataDir: string; config: string } {
    const dataDir = join(root, name);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // Replicas sharing the database share the redaction key (copied from the first host's).
    if (name !== "collector") copyFileSync(join(root, "collector", "redaction.key"), join(dataDir, "redaction.key"));
    const config = join(dataDir, "wiam.yaml");
    const settings = {
      state: { postgres: { url: { env: DATABASE_ENV } }, checkpointKey: { file: checkpointKeyFile } },
      history: { enabled: true, refreshMinutes: 0, sensitive: { tags: {}, resources: [] } },
      providers: { aws: { accounts: [{ id: PROD, roleArn: READ_ROLE(PROD) }] } },
      http: { host: "127.0.0.1", port, auth: { type: "none" } },
    };
    writeFileSync(config, JSON.stringify(settings), { mode: 0o600 });
    return { dataDir, config };
  }

  const childEnv = () => ({
    PATH: process.env.PATH ?? "",
    HOME: root,
    [DATABASE_ENV]: databaseUrl,
    AWS_ENDPOINT_URL: fake.url,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: FAKE_BASE_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: FAKE_BASE_SECRET_ACCESS_KEY,
    AWS_EC2_METADATA_DISABLED: "true",
  });

  /** Runs a command to its end without blocking this process's event loop, which serves the fake AWS. */
  function wiam(name: string, args: string[]): Promise<ProcessRun> {
    const { dataDir, config } = host(name);
    return runProcess(process.execPath, [CLI, "--config", config, "--data-dir", dataDir, ...args], childEnv());
  }

  async function collect(): Promise<{ outcome: string; collectionId: string; collectedAt: string }> {
    const run = await wiam("collector", ["collect", "--intent", "scheduled collection of the estate", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const result = (JSON.parse(run.stdout) as { result: { refreshed: { connector: string; outcome: string; collectionId: string; collectedAt: string }[] } }).result;
    expect(result.refreshed.map((r) => r.connector)).toStrictEqual(["aws"]);
    return result.refreshed[0] as { outcome: string; collectionId: string; collectedAt: string };
  }

  /** `wiam serve --http` on a fresh port; resolves once it is ready, with an MCP client connected. */
  async function startReplica(name: string): Promise<Client> {
    const port = await freePort();
    const { dataDir, config } = host(name, port);
    const child = spawn(process.execPath, [CLI, "--config", config, "--data-dir", dataDir, "--log-level", "warning", "serve", "--http"], { env: childEnv(), stdio: ["ignore", "ignore", "pipe"] });
    children.push(child);
    const stderr: string[] = [];
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString("utf8")));
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 600; i++) {
      if (await fetch(`${base}/readyz`).then((r) => r.status === 200).catch(() => false)) {
        const client = new Client({ name: `history-postgres-${name}`, version: "1.0.0" });
        await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
        return client;
      }
      if (child.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`replica ${name} did not become ready: ${stderr.join("")}`);
  }

  async function call(client: Client, name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const result = (await client.callTool({ name, arguments: { intent: "what the stored estate holds", ...args } })) as CallToolResult;
    expect(result.isError, textOf(result)).toBeFalsy();
    return result.structuredContent as Record<string, unknown>;
  }

  const cloudCalls = () => Object.values(fake.callCounts()).reduce((sum, n) => sum + n, 0);
  const identityIds = (answer: Record<string, unknown>) => (answer.identities as { id: string }[]).map((i) => i.id).sort();

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error("dist/ is missing: emit it with `npx tsc -p tsconfig.json`");
    postgres = await startPostgres();
    databaseUrl = await postgres.createDatabase();
    fake = await FakeAwsServer.start(smallEstate());
    writeFileSync(checkpointKeyFile, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    mkdirSync(join(root, "collector"), { recursive: true, mode: 0o700 });
    loadOrCreateRedactionKey(join(root, "collector"));
  }, 120_000);

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    await fake?.close();
    await postgres?.stop();
  }, 60_000);

  it("stores two collections in PostgreSQL, and replicas serve the latest without calling AWS, with its exact changes", async () => {
    const first = await collect();
    expect([first.outcome, first.collectionId]).toStrictEqual(["refreshed", "1"]);
    expect(cloudCalls()).toBeGreaterThan(0);

    // Between the collections: a new user in the production account.
    fake.estate.accounts[PROD]?.users.push({ name: "batch-runner", id: "AIDAEXAMPLE0000000009", path: "/automation/", created: "2026-06-02T00:00:00Z", groups: [] });
    const second = await collect();
    expect([second.outcome, second.collectionId]).toStrictEqual(["refreshed", "2"]);

    fake.resetLog();
    const replicaA = await startReplica("replica-a");
    const servedByA = await call(replicaA, "list_identities", { limit: 100 });
    expect(cloudCalls()).toBe(0);
    expect(identityIds(servedByA)).toContain(prodUser("batch-runner"));
    expect((servedByA.dataSource as { collectedAt: Record<string, string> }).collectedAt).toStrictEqual({ aws: second.collectedAt });

    const changes = await call(replicaA, "what_changed", { since_collection: "1" });
    expect(changes.collections).toStrictEqual([{ id: "2", source: expect.stringMatching(/^aws@/) as unknown, collectedAt: second.collectedAt, compared: true }]);
    expect((changes.changes as Record<string, unknown>[]).map((c) => [c.change, c.id, c.collectionId])).toStrictEqual([["identity_added", prodUser("batch-runner"), "2"]]);

    // A second replica, its own data directory, the same database and keys: the same stored copy.
    const replicaB = await startReplica("replica-b");
    const servedByB = await call(replicaB, "list_identities", { limit: 100 });
    expect(cloudCalls()).toBe(0);
    expect(identityIds(servedByB)).toStrictEqual(identityIds(servedByA));
    expect((servedByB.dataSource as { collectedAt: Record<string, string> }).collectedAt).toStrictEqual({ aws: second.collectedAt });
    expect((await call(replicaB, "what_changed", { since_collection: "1" })).changes).toStrictEqual(changes.changes);
    await replicaA.close();
    await replicaB.close();

    const doctor = await wiam("doctor-host", ["doctor"]);
    expect(doctor.stdout).toContain("OK      stored inventory: postgres (state.postgres), schema version 2: 1 stored copy\n");
    expect(doctor.stdout).toMatch(/^OK {6}stored copy aws \(collection 2\): opens, format known, checksum verified with the configured key: scope aws:account\/\d+; \d+ identities, \d+ grants$/m);
    expect(doctor.stdout).toContain(`OK      stored copy aws (collection 2): 2 collections in its history, the oldest collected ${first.collectedAt}; none past retention (history.retentionDays: 90, history.keepCollections: 10)\n`);
  }, 240_000);
});
