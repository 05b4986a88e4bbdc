/**
 * The state store contract, run against the embedded SQLite store and a real PostgreSQL: the audit
 * chain (one linear chain whoever appends, the same review answers on both), budgets and task
 * usage, and versioned migrations. Two stores opened on one database stand for two replicas (two
 * processes on one machine for SQLite).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GENESIS_HASH } from "../src/audit/chain.js";
import { generateSigningKey } from "../src/audit/signing.js";
import { AUDIT_DB_FILE, AuditStore } from "../src/audit/store.js";
import { postgresConfigSchema } from "../src/config/state-schema.js";
import { budgetCheckOf, type TaskSettings } from "../src/governance/tasks.js";
import { migrateSqlite } from "../src/state/migrations.js";
import { PostgresStateStore } from "../src/state/postgres/store.js";
import { SqliteStateStore } from "../src/state/sqlite/store.js";
import type { StateStore, UsageAdmission } from "../src/state/state-store.js";
import { acceptance, completion, steppingClock } from "./fixtures/audit-fixtures.js";
import { startPostgres, type PostgresServer } from "./support/postgres.js";

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server.stop();
});

interface Replicas {
  a: StateStore;
  b: StateStore;
  /** Rewrites one stored event's body behind the store's back (an attacker with database access). */
  tamper(seq: number, body: string): Promise<void>;
  /** Points an event's back link at another hash behind the store's back. */
  relink(seq: number, prevHash: string): Promise<void>;
  close(): Promise<void>;
}

interface Backend {
  name: "sqlite" | "postgres";
  /** Budgets are shared between replicas (PostgreSQL) rather than counted per process (SQLite). */
  sharedBudgets: boolean;
  open(clock?: () => Date): Promise<Replicas>;
}

function postgresConfig(url: string, overrides: Record<string, unknown> = {}) {
  return postgresConfigSchema.parse({ url, poolSize: 4, connectTimeoutMs: 2_000, lockTimeoutMs: 2_000, statementTimeoutMs: 10_000, ...overrides });
}

const sqlite: Backend = {
  name: "sqlite",
  sharedBudgets: false,
  async open(clock = steppingClock()) {
    const dir = mkdtempSync(join(tmpdir(), "wiam-state-"));
    const path = join(dir, AUDIT_DB_FILE);
    const openOne = () => new SqliteStateStore(AuditStore.open(path, { responseBody: "summary", now: clock }), dir);
    const a = openOne();
    const b = openOne();
    return {
      a,
      b,
      async tamper(seq, body) {
        const db = new Database(path);
        db.prepare("UPDATE audit_events SET body = ? WHERE seq = ?").run(body, seq);
        db.close();
      },
      async relink(seq, prevHash) {
        const db = new Database(path);
        db.prepare("UPDATE audit_events SET prev_hash = ? WHERE seq = ?").run(prevHash, seq);
        db.close();
      },
      async close() {
        await a.close();
        await b.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgres: Backend = {
  name: "postgres",
  sharedBudgets: true,
  async open(clock = steppingClock()) {
    const url = await server.createDatabase();
    const openOne = () => PostgresStateStore.open({ config: postgresConfig(url), audit: { responseBody: "summary", now: clock } });
    const a = await openOne();
    const b = await openOne();
    return {
      a,
      b,
      async tamper(seq, body) {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query("UPDATE wiam_audit_events SET body = $1 WHERE seq = $2", [body, seq]);
        await client.end();
      },
      async relink(seq, prevHash) {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query("UPDATE wiam_audit_events SET prev_hash = $1 WHERE seq = $2", [prevHash, seq]);
        await client.end();
      },
      async close() {
        await a.close();
        await b.close();
      },
    };
  },
};

const taskSettings: TaskSettings = {
  idleMs: 30 * 60_000,
  maxLifetimeMs: 8 * 3_600_000,
  perTask: { callsPerMinute: 3, itemsReturned: 100, distinctScopes: 2 },
  perCaller: { callsPerMinute: 5, itemsReturned: 150, distinctScopes: 3 },
  maxTasksPerCaller: 2,
};

function admission(overrides: Partial<UsageAdmission> = {}): UsageAdmission {
  return {
    taskKey: "alice#T-1",
    callerKey: "alice",
    scopeKey: "aws:account/111122223333",
    intent: "review stale keys",
    nowMs: Date.parse("2025-03-01T12:00:00.000Z"),
    idleMs: taskSettings.idleMs,
    maxLifetimeMs: taskSettings.maxLifetimeMs,
    ...overrides,
  };
}

describe.each([sqlite, postgres])("state store on $name", (backend) => {
  let replicas: Replicas;
  beforeAll(async () => {
    replicas = await backend.open();
  });
  afterAll(async () => {
    await replicas.close();
  });

  describe("audit log", () => {
    it("records a call as accepted, then completed, and reads it back", async () => {
      const id = await replicas.a.audit.accept(acceptance({ tool: "find_stale_identities", intent: "first call on this store" }));
      expect(await replicas.b.audit.get(id)).toMatchObject({ id, status: "accepted", completion: null, tool: "find_stale_identities" });
      await replicas.a.audit.complete(id, completion({ durationMs: 17 }));
      const record = await replicas.b.audit.get(id);
      expect(record).toMatchObject({
        id,
        tool: "find_stale_identities",
        caller: "alice",
        intent: "first call on this store",
        status: "ok",
        decision: "allow",
        completion: { status: "ok", durationMs: 17, cloudOperations: [{ provider: "aws", api: "iam:GetAccountAuthorizationDetails", count: 2 }] },
      });
      expect(record?.completionSeq).toBe((record?.seq ?? 0) + 1);
    });

    it("refuses a completion for an unknown call and a second completion, writing neither", async () => {
      await expect(replicas.a.audit.complete("01UNKNOWNCALLID0000000000", completion())).rejects.toThrow("no accepted audit record with id 01UNKNOWNCALLID0000000000");
      const id = await replicas.a.audit.accept(acceptance());
      await replicas.a.audit.complete(id, completion());
      await expect(replicas.b.audit.complete(id, completion())).rejects.toThrow(`audit record ${id} is already completed`);
      expect((await replicas.a.audit.verify()).ok).toBe(true);
    });

    it("keeps one linear chain when two replicas append at once, and it verifies", async () => {
      const before = await replicas.a.audit.verify();
      const burst = async (store: StateStore, who: string) =>
        Promise.all(
          Array.from({ length: 40 }, async (_, i) => {
            const id = await store.audit.accept(acceptance({ caller: who, intent: `burst call ${i}` }));
            await store.audit.complete(id, completion({ durationMs: i }));
            return id;
          }),
        );
      const [fromA, fromB] = await Promise.all([burst(replicas.a, "replica-a"), burst(replicas.b, "replica-b")]);
      expect(new Set([...fromA, ...fromB]).size).toBe(80);
      const result = await replicas.b.audit.verify();
      expect(result).toMatchObject({ ok: true, firstSeq: 1, headSeq: before.headSeq + 160, checked: before.checked + 160 });
      const burstRecords = [...(await replicas.a.audit.search({ caller: "replica-a", limit: 1000 })), ...(await replicas.a.audit.search({ caller: "replica-b", limit: 1000 }))];
      expect(burstRecords.map((r) => r.status).filter((s) => s !== "ok")).toEqual([]);
      const seqs = burstRecords.flatMap((r) => [r.seq, r.completionSeq ?? 0]).sort((x, y) => x - y);
      expect(seqs).toEqual(Array.from({ length: 160 }, (_, i) => before.headSeq + 1 + i));
    });

    it("answers search, tail, iterate and stats the same way", async () => {
      const ids: string[] = [];
      for (const [tool, status] of [["describe_identity", "ok"], ["describe_identity", "error"], ["find_expiring_credentials", "ok"]] as const) {
        const id = await replicas.a.audit.accept(acceptance({ tool, caller: "stats-caller", intent: `Check ${tool} for the QUARTERLY review`, taskId: "STATS-1" }));
        await replicas.a.audit.complete(id, completion({ status, error: status === "error" ? "provider throttled" : null, durationMs: 10 * (ids.length + 1) }));
        ids.push(id);
      }
      expect((await replicas.b.audit.search({ caller: "stats-caller", order: "asc" })).map((r) => r.id)).toEqual(ids);
      expect((await replicas.b.audit.search({ caller: "stats-caller", tool: "describe_identity", status: "error" })).map((r) => r.id)).toEqual([ids[1]]);
      expect((await replicas.b.audit.search({ intentContains: "quarterly review", taskId: "STATS-1" })).map((r) => r.id)).toEqual([ids[2], ids[1], ids[0]]);
      expect((await replicas.b.audit.tail(2)).map((r) => r.id)).toEqual([ids[1], ids[2]]);
      const iterated: string[] = [];
      for await (const record of replicas.b.audit.iterate({ caller: "stats-caller" })) iterated.push(record.id);
      expect(iterated).toEqual(ids);
      const stats = await replicas.b.audit.stats({ caller: "stats-caller" });
      expect(stats).toMatchObject({
        calls: 3,
        byStatus: { accepted: 0, ok: 2, error: 1, denied: 0 },
        byDecision: { allow: 3 },
        byTool: {
          describe_identity: { calls: 2, errors: 1, denied: 0, count: 2, medianMs: 10, p95Ms: 20 },
          find_expiring_credentials: { calls: 1, errors: 0, denied: 0, count: 1, medianMs: 30, p95Ms: 30 },
        },
        cloudOperations: 6,
        redactionFindings: { aws_secret_access_key: 3 },
      });
    });

    it("signs checkpoints over the shared head that the other replica verifies", async () => {
      const key = generateSigningKey();
      const checkpoint = await replicas.a.audit.createCheckpoint(key);
      const verified = await replicas.b.audit.verify({ checkpoints: [checkpoint], trustedPublicKeys: [key.publicKey] });
      expect(verified).toMatchObject({ ok: true, headSeq: checkpoint.seq, headHash: checkpoint.headHash, checkpointsVerified: 1 });
    });

    it("tells an event moved in the chain from a forged back link", async () => {
      const own = await backend.open();
      try {
        for (let i = 0; i < 3; i++) await own.a.audit.complete(await own.a.audit.accept(acceptance({ intent: `call ${i}` })), completion());
        const events = await own.a.audit.search({ order: "asc", limit: 10 });
        const second = events[0];
        // Event 5 now claims to follow event 2 (the first call's completion): written elsewhere in the chain.
        await own.relink(5, second?.completionHash ?? "");
        expect((await own.b.audit.verify()).firstBroken).toEqual({
          seq: 5,
          id: events[2]?.id,
          reason: "reordered",
          detail: "the event at seq 5 was written after the event now at seq 2: events were moved",
        });
        await own.relink(5, "f".repeat(64));
        expect((await own.b.audit.verify()).firstBroken).toMatchObject({ seq: 5, reason: "prev_mismatch" });
      } finally {
        await own.close();
      }
    });

    it("starts from the genesis hash", async () => {
      const first = (await replicas.a.audit.search({ order: "asc", limit: 1 }))[0];
      expect(first?.prevHash).toBe(GENESIS_HASH);
      expect(first?.seq).toBe(1);
    });

    // Last of the audit cases: it breaks the chain on purpose.
    it("finds an event edited behind the store's back", async () => {
      const first = (await replicas.a.audit.search({ order: "asc", limit: 1 }))[0];
      await replicas.tamper(1, JSON.stringify({ ...first, intent: "edited afterwards" }));
      expect((await replicas.b.audit.verify()).firstBroken).toEqual({
        seq: 1,
        id: first?.id,
        reason: "hash_mismatch",
        detail: "the stored hash does not match the event's content: the row was edited",
      });
    });
  });

  describe("budgets and task usage", () => {
    it("counts calls, items and scopes per task and per caller, and names what is exceeded", async () => {
      const usage = replicas.a.usage;
      const t0 = Date.parse("2025-03-01T12:00:00.000Z");
      const first = await usage.admit(admission({ taskKey: "u1#T-1", callerKey: "u1", nowMs: t0 }));
      expect(first).toEqual({
        task: { calls: 0, callsLastMinute: 0, itemsReturned: 0, distinctScopes: 0 },
        caller: { calls: 0, callsLastMinute: 0, itemsReturned: 0, distinctScopes: 0 },
        taskIntent: "review stale keys",
        taskStartedAt: t0,
        otherOpenTasks: 0,
        taskHasScope: false,
        callerHasScope: false,
      });
      await usage.recordResult("u1#T-1", "u1", "aws:account/111122223333", 60, t0);
      await usage.admit(admission({ taskKey: "u1#T-1", callerKey: "u1", nowMs: t0 + 1_000, intent: "a later intent does not replace the task's" }));
      await usage.recordResult("u1#T-1", "u1", "aws:account/444455556666", 50, t0 + 1_000);
      const third = await usage.admit(admission({ taskKey: "u1#T-1", callerKey: "u1", nowMs: t0 + 2_000, scopeKey: "gcp:project/prod" }));
      expect(third).toEqual({
        task: { calls: 2, callsLastMinute: 2, itemsReturned: 110, distinctScopes: 2 },
        caller: { calls: 2, callsLastMinute: 2, itemsReturned: 110, distinctScopes: 2 },
        taskIntent: "review stale keys",
        taskStartedAt: t0,
        otherOpenTasks: 0,
        taskHasScope: false,
        callerHasScope: false,
      });
      expect(budgetCheckOf("T-1", third, taskSettings).exceeded).toEqual([
        "task T-1 has received 110 items (budget 100)",
        "task T-1 has asked about 2 scopes (budget 2)",
      ]);
      // A minute later the per-minute windows are empty again; totals stay.
      const later = await usage.admit(admission({ taskKey: "u1#T-1", callerKey: "u1", nowMs: t0 + 62_500, scopeKey: "aws:account/111122223333" }));
      expect(later.task).toEqual({ calls: 3, callsLastMinute: 0, itemsReturned: 110, distinctScopes: 2 });
      expect(later.caller.callsLastMinute).toBe(0);
      expect(later.taskHasScope).toBe(true);
    });

    it("counts a caller's other open tasks, forgets an ended one, and restarts a task after its idle timeout", async () => {
      const usage = replicas.a.usage;
      const t0 = Date.parse("2025-03-02T12:00:00.000Z");
      await usage.admit(admission({ taskKey: "u2#A", callerKey: "u2", nowMs: t0 }));
      await usage.admit(admission({ taskKey: "u2#B", callerKey: "u2", nowMs: t0 + 1 }));
      const third = await usage.admit(admission({ taskKey: "u2#C", callerKey: "u2", nowMs: t0 + 2 }));
      expect(third.otherOpenTasks).toBe(2);
      expect(budgetCheckOf("C", third, taskSettings).exceeded).toEqual(["caller has 2 open tasks (budget 2); reuse a task_id or wait for one to end"]);
      await usage.endTask("u2#A", t0 + 3);
      expect((await usage.admit(admission({ taskKey: "u2#D", callerKey: "u2", nowMs: t0 + 4 }))).otherOpenTasks).toBe(2);
      const afterIdle = await usage.admit(admission({ taskKey: "u2#B", callerKey: "u2", nowMs: t0 + taskSettings.idleMs + 10, intent: "a new investigation" }));
      expect(afterIdle.task).toEqual({ calls: 0, callsLastMinute: 0, itemsReturned: 0, distinctScopes: 0 });
      expect(afterIdle.taskIntent).toBe("a new investigation");
      expect(afterIdle.caller.calls).toBe(4);
    });

    it.runIf(backend.sharedBudgets)("refuses on one replica a caller's budget spent on the other, whatever the task", async () => {
      const t0 = Date.parse("2025-03-03T12:00:00.000Z");
      for (let i = 0; i < 5; i++) {
        const replica = i % 2 === 0 ? replicas.a : replicas.b;
        const usage = await replica.usage.admit(admission({ taskKey: `u3#session-${i}`, callerKey: "u3", nowMs: t0 + i }));
        expect(budgetCheckOf(`session-${i}`, usage, { ...taskSettings, maxTasksPerCaller: 100 }).exceeded).toEqual([]);
      }
      const sixth = await replicas.b.usage.admit(admission({ taskKey: "u3#a-new-session", callerKey: "u3", nowMs: t0 + 10 }));
      expect(budgetCheckOf("a-new-session", sixth, { ...taskSettings, maxTasksPerCaller: 100 }).exceeded).toEqual(["caller made 5 calls in the last minute (budget 5)"]);
    });

    it.runIf(backend.sharedBudgets)("admits one caller's simultaneous calls on two replicas one at a time", async () => {
      const t0 = Date.parse("2025-03-04T12:00:00.000Z");
      const seen = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? replicas.a : replicas.b).usage.admit(admission({ taskKey: "u4#T", callerKey: "u4", nowMs: t0 + 100 }))),
      );
      expect(seen.map((u) => u.task.calls).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    });
  });
});

describe("migrations", () => {
  it("refuses a PostgreSQL database written by a newer release, naming the component and versions", async () => {
    const url = await server.createDatabase();
    const store = await PostgresStateStore.open({ config: postgresConfig(url), audit: { responseBody: "none" } });
    await store.pool.query("UPDATE wiam_schema_version SET version = 7 WHERE component = 'audit'");
    await store.close();
    await expect(PostgresStateStore.open({ config: postgresConfig(url), audit: { responseBody: "none" } })).rejects.toThrow(
      "shared state: the audit schema is at version 7, newer than this release knows (1); it was written by a newer workload-iam-mcp",
    );
  });

  it("applies each migration once, in order, on SQLite too, and refuses a newer one", () => {
    const dir = mkdtempSync(join(tmpdir(), "wiam-migrate-"));
    const db = new Database(join(dir, "parts.db"));
    const migrations = [
      { version: 1, description: "one table", sql: "CREATE TABLE parts (id TEXT PRIMARY KEY)" },
      { version: 2, description: "a column", sql: "ALTER TABLE parts ADD COLUMN name TEXT" },
    ];
    expect(migrateSqlite(db, "parts", migrations.slice(0, 1), "parts.db")).toBe(1);
    expect(migrateSqlite(db, "parts", migrations, "parts.db")).toBe(2);
    expect(migrateSqlite(db, "parts", migrations, "parts.db")).toBe(2);
    expect(db.prepare("SELECT name FROM pragma_table_info('parts') ORDER BY cid").all()).toEqual([{ name: "id" }, { name: "name" }]);
    expect(() => migrateSqlite(db, "parts", migrations.slice(0, 1), "parts.db")).toThrow(
      "parts.db: the parts schema is at version 2, newer than this release knows (1); it was written by a newer workload-iam-mcp",
    );
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
