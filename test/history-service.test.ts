/**
 * The stored inventory end to end, with the real AWS SDK against the wire-level fake: a restart
 * serves the stored copy without one cloud call, a failed refresh keeps the previous copy and says
 * it is stale, a damaged stored copy is collected again (never served), and what_changed names the
 * exact changes between two collections with the collection that first saw each.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createApp, type App } from "../src/app.js";
import { parseConfig } from "../src/config/load.js";
import type { Approver } from "../src/governance/governor.js";
import { createAwsConnector } from "../src/providers/aws/index.js";
import { INVENTORY_DB_FILE, copiesDirOf } from "../src/history/sqlite-snapshot-store.js";
import { FAKE_BASE_CREDENTIALS, instantRetry } from "./fakes/aws/harness.js";
import { FakeAwsServer } from "./fakes/aws/server.js";
import { PROD, READ_ROLE, smallEstate } from "./fakes/aws/small-estate.js";

const FIRST = "2026-06-01T12:00:00.000Z";
const SECOND = "2026-06-02T12:00:00.000Z";
const caller = { sessionId: "s", clientName: "test", clientVersion: null, caller: "analyst", transport: "in-memory" as const };
const approve: Approver = async () => ({ outcome: "approved", approver: "reviewer", note: null });
const intent = "check the stored inventory";
const prodUser = (name: string) => `arn:aws:iam::${PROD}:user/automation/${name}`;

let fake: FakeAwsServer;
let dataDir: string;
const apps: App[] = [];
let clock = new Date(FIRST);

beforeAll(async () => {
  fake = await FakeAwsServer.start(smallEstate());
  process.env.AWS_ENDPOINT_URL = fake.url;
  process.env.AWS_REGION = "us-east-1";
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "wiam-history-"));
  clock = new Date(FIRST);
  fake.resetLog();
  fake.clearFaults();
});
afterEach(() => {
  for (const app of apps.splice(0)) app.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A server process: the same data directory each time, a fresh AWS connector (no cache carried over). */
function startServer(): App {
  const now = () => clock;
  const aws = createAwsConnector(
    { accounts: [{ id: PROD, name: "prod", roleArn: READ_ROLE(PROD), environment: "production" }], cacheTtlSeconds: 0 },
    { credentials: FAKE_BASE_CREDENTIALS, now, caller: "analyst@example.com", retry: instantRetry() },
  );
  const config = parseConfig({ history: { enabled: true, refreshMinutes: 0, sensitive: { tags: {}, resources: [] } } }, "(test)");
  const app = createApp({ config, dataDir, logLevel: "error", logWrite: () => undefined, now, connectors: [aws] });
  apps.push(app);
  return app;
}

async function call(app: App, tool: string, args: Record<string, unknown> = {}) {
  const response = await app.pipeline.execute({ tool, arguments: { intent, ...args }, caller, approve });
  if (response.isError) throw new Error(`${tool}: ${response.text}`);
  return response.structured as Record<string, unknown>;
}

const identityIds = (answer: Record<string, unknown>) => (answer.identities as { id: string }[]).map((i) => i.id);
const cloudCalls = () => Object.values(fake.callCounts()).reduce((sum, n) => sum + n, 0);

describe("the stored inventory", () => {
  test("a restart serves the stored copy without any cloud call, and says when it was collected", async () => {
    const first = startServer();
    const collected = await call(first, "list_identities", { limit: 100 });
    expect(cloudCalls()).toBeGreaterThan(0);
    first.close();
    apps.length = 0;

    fake.resetLog();
    clock = new Date(SECOND);
    const restarted = startServer();
    const served = await call(restarted, "list_identities", { limit: 100 });
    expect(fake.callCounts()).toStrictEqual({});
    expect(identityIds(served)).toStrictEqual(identityIds(collected));
    expect((served.dataSource as { collectedAt: Record<string, string> }).collectedAt).toStrictEqual({ aws: FIRST });
  });

  test("a refresh that fails keeps the previous copy and marks it stale in incomplete", async () => {
    const app = startServer();
    const before = await call(app, "list_identities", { limit: 100 });
    expect(before.incomplete).toStrictEqual([]);
    clock = new Date(SECOND);
    fake.addFault({ action: "*", kind: "error", status: 500, code: "InternalFailure" });
    const outcomes = await app.inventory.refresh({ taskId: "refresh", recordOperation: () => undefined });
    expect(outcomes.map((o) => [o.connector, o.outcome, o.collectedAt])).toStrictEqual([["aws", "failed", FIRST]]);

    const after = await call(app, "list_identities", { limit: 100 });
    expect(identityIds(after)).toStrictEqual(identityIds(before));
    const stale = (after.incomplete as { provider: string; source: string; reason: string }[]).filter((gap) => gap.source === "inventory refresh");
    expect(stale).toHaveLength(1);
    expect(stale[0]?.provider).toBe("aws");
    expect(stale[0]?.reason.startsWith(`refresh at ${SECOND} failed (`)).toBe(true);
    expect(stale[0]?.reason.endsWith(`); serving the collection of ${FIRST}`)).toBe(true);
    expect((after.dataSource as { collectedAt: Record<string, string> }).collectedAt).toStrictEqual({ aws: FIRST });
  });

  test("a damaged stored copy is detected and collected again, never served", async () => {
    const first = startServer();
    const collected = await call(first, "list_identities", { limit: 100 });
    first.close();
    apps.length = 0;

    // One flipped byte in the middle of the stored copy (a file beside inventory.db, named by its row).
    const db = new Database(join(dataDir, INVENTORY_DB_FILE));
    const row = db.prepare<[], { copy_file: string }>("SELECT copy_file FROM inventory_latest").get();
    db.close();
    if (!row) throw new Error("nothing stored");
    const file = join(copiesDirOf(join(dataDir, INVENTORY_DB_FILE)), row.copy_file);
    const damaged = readFileSync(file);
    const middle = Math.floor(damaged.length / 2);
    damaged[middle] = (damaged[middle] as number) ^ 0xff;
    writeFileSync(file, damaged);

    fake.resetLog();
    clock = new Date(SECOND);
    const restarted = startServer();
    const served = await call(restarted, "list_identities", { limit: 100 });
    expect(cloudCalls()).toBeGreaterThan(0);
    expect(identityIds(served)).toStrictEqual(identityIds(collected));
    expect((served.dataSource as { collectedAt: Record<string, string> }).collectedAt).toStrictEqual({ aws: SECOND });
    // The new collection follows the damaged one in history, with its changes unknown.
    const changes = await call(restarted, "what_changed", { since: "2026-01-01" });
    expect(changes.collections).toStrictEqual([
      { id: "1", source: expect.stringMatching(/^aws@/) as unknown, collectedAt: FIRST, compared: false },
      { id: "2", source: expect.stringMatching(/^aws@/) as unknown, collectedAt: SECOND, compared: false },
    ]);
  });

  test("what_changed names each change between two collections, with the collection that first saw it", async () => {
    const app = startServer();
    await call(app, "list_identities");
    const account = fake.estate.accounts[PROD];
    const deployer = account?.users.find((u) => u.name === "ci-deployer");
    if (!account || !deployer) throw new Error("small estate has the ci-deployer user");
    // The inactive key deleted and a new one created; the active one deactivated; a new user.
    deployer.accessKeys = [
      { id: "AKIAEXAMPLE000000001", status: "Inactive", created: "2025-01-10T00:00:00Z", lastUsed: { date: "2026-05-30T08:00:00Z", service: "lambda", region: "us-east-1" } },
      { id: "AKIAEXAMPLE000000003", status: "Active", created: "2026-06-02T00:00:00Z" },
    ];
    account.users.push({ name: "batch-runner", id: "AIDAEXAMPLE0000000009", path: "/automation/", created: "2026-06-02T00:00:00Z", groups: [] });
    clock = new Date(SECOND);
    const outcomes = await app.inventory.refresh({ taskId: "refresh", recordOperation: () => undefined });
    expect(outcomes.map((o) => [o.outcome, o.collectionId])).toStrictEqual([["refreshed", "2"]]);

    const answer = await call(app, "what_changed", { since: "2026-06-01T13:00:00Z", provider: "aws" });
    expect(answer.collections).toStrictEqual([{ id: "2", source: expect.stringMatching(/^aws@/) as unknown, collectedAt: SECOND, compared: true }]);
    const rows = (answer.changes as Record<string, unknown>[]).map((c) => [c.change, c.id, c.principal, c.before, c.after, c.collectionId]);
    // AWS access keys are read from the credential report, whose slots are the credentials' ids:
    // slot 2 now holds a newer key (rotated), and both slots changed status.
    const slot = (n: number) => `${prodUser("ci-deployer")}#access_key_${n}`;
    expect(rows).toStrictEqual([
      ["identity_added", prodUser("batch-runner"), prodUser("batch-runner"), null, null, "2"],
      ["credential_rotated", slot(2), prodUser("ci-deployer"), "2024-02-01T00:00:00.000Z", "2026-06-02T00:00:00.000Z", "2"],
      ["credential_changed", slot(1), prodUser("ci-deployer"), "active", "inactive", "2"],
      ["credential_changed", slot(2), prodUser("ci-deployer"), "inactive", "active", "2"],
    ]);
    expect(answer.counts).toStrictEqual({ identity_added: 1, credential_rotated: 1, credential_changed: 2 });

    // Filters: one identity, one kind; and nothing since the second collection.
    const ofDeployer = await call(app, "what_changed", { since_collection: "1", principal: prodUser("ci-deployer"), kinds: ["credential_rotated"] });
    expect((ofDeployer.changes as { id: string }[]).map((c) => c.id)).toStrictEqual([slot(2)]);
    const none = await call(app, "what_changed", { since_collection: "2" });
    expect(none.changes).toStrictEqual([]);
    expect(none.page).toStrictEqual({ returned: 0, total: 0, nextCursor: null });
  });

  test("without history, what_changed answers with no change and says how to enable it", async () => {
    const app = createApp({ config: parseConfig({}, "(test)"), dataDir, logLevel: "error", logWrite: () => undefined });
    apps.push(app);
    const answer = await call(app, "what_changed");
    expect([answer.changes, answer.collections, answer.counts]).toStrictEqual([[], [], {}]);
    expect((answer.notes as string[])[0]).toMatch(/^The server keeps no history of collections, so no change can be named\. An admin enables it with history\.enabled/);
  });
});
