/**
 * Budgets and task usage counted in PostgreSQL, so every replica sees the same counts: a caller's
 * budget spent through one replica is spent on all of them, and a new session (a new default task)
 * does not give a caller's own budgets back.
 *
 * Counts match the in-memory ledger exactly: totals per task and caller, calls per trailing minute
 * in one-second buckets, items per trailing hour in one-minute buckets (fixed-window rows updated
 * with INSERT ... ON CONFLICT DO UPDATE), and distinct scopes as rows. A task idle past the idle
 * timeout, past its lifetime, or ended, starts afresh under the same id: its rows are keyed by the
 * time it started, so an old generation's buckets never count for the new one.
 *
 * One caller's admissions are serialised by a transaction-scoped advisory lock on the caller, so two
 * replicas admitting the same caller at once cannot both see room for one more call.
 */
import type pg from "pg";
import { describePostgresFailure, isPostgresUnavailable, StateUnavailableError } from "../errors.js";
import { migratePostgres } from "../migrations.js";
import { checkOut, type CheckedOutClient } from "./connection.js";
import type { LedgerUsage, Migration, UsageAdmission, UsageLedger } from "../state-store.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Sixty buckets per window, as the in-memory SlidingCounter keeps. */
const CALL_BUCKET_MS = MINUTE / 60;
const ITEM_BUCKET_MS = HOUR / 60;
/** Advisory lock class for caller admissions (the two-key form keeps it apart from other locks). */
const ADMISSION_LOCK_CLASS = 0x7769;
/** How often one process deletes buckets and tasks no window can reach any more. */
const CLEANUP_EVERY_MS = 10 * MINUTE;

export const USAGE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "tasks, callers, windowed counters and distinct scopes",
    sql: `
CREATE TABLE wiam_usage_tasks (
  task_key TEXT PRIMARY KEY,
  caller_key TEXT NOT NULL,
  intent TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  ended BOOLEAN NOT NULL DEFAULT false,
  calls BIGINT NOT NULL DEFAULT 0,
  items BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX wiam_usage_tasks_caller ON wiam_usage_tasks (caller_key) WHERE NOT ended;
CREATE TABLE wiam_usage_callers (
  caller_key TEXT PRIMARY KEY,
  calls BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE wiam_usage_buckets (
  subject TEXT NOT NULL,
  metric TEXT NOT NULL,
  bucket_start BIGINT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (subject, metric, bucket_start)
);
CREATE TABLE wiam_usage_scopes (
  subject TEXT NOT NULL,
  scope TEXT NOT NULL,
  PRIMARY KEY (subject, scope)
);
`,
  },
];

interface TaskRow {
  caller_key: string;
  intent: string;
  started_at: number;
  last_seen_at: number;
  ended: boolean;
  calls: number;
  items: number;
}

interface UsageRow {
  other_open: number;
  task_calls_minute: number;
  task_scopes: number;
  task_has_scope: boolean;
  caller_calls: number | null;
  caller_calls_minute: number;
  caller_items_hour: number;
  caller_scopes: number;
  caller_has_scope: boolean;
}

const taskSubject = (taskKey: string, startedAt: number): string => `t:${startedAt}:${taskKey}`;
const callerSubject = (callerKey: string): string => `c:${callerKey}`;
const bucketOf = (nowMs: number, bucketMs: number): number => Math.floor(nowMs / bucketMs) * bucketMs;

export class PostgresUsageLedger implements UsageLedger {
  private lastCleanup = 0;
  private availability: (error: unknown) => void = () => undefined;

  private constructor(private readonly pool: pg.Pool) {}

  static async open(pool: pg.Pool): Promise<PostgresUsageLedger> {
    await migratePostgres(pool, "usage", USAGE_MIGRATIONS);
    return new PostgresUsageLedger(pool);
  }

  /** The store's health follows the ledger's round trips too. */
  onAvailability(listener: (error: unknown) => void): void {
    this.availability = listener;
  }

  async admit(admission: UsageAdmission): Promise<LedgerUsage> {
    return this.transaction("the budget ledger could not count the call", async (client) => {
      const { taskKey, callerKey, scopeKey, intent, nowMs, idleMs, maxLifetimeMs } = admission;
      await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [ADMISSION_LOCK_CLASS, callerKey]);
      const existing = (await client.query<TaskRow>("SELECT caller_key, intent, started_at, last_seen_at, ended, calls, items FROM wiam_usage_tasks WHERE task_key = $1 FOR UPDATE", [taskKey])).rows[0];
      const over = existing === undefined || existing.ended || nowMs - existing.started_at >= maxLifetimeMs || nowMs - existing.last_seen_at >= idleMs;
      let task: TaskRow;
      if (over) {
        task = { caller_key: callerKey, intent, started_at: nowMs, last_seen_at: nowMs, ended: false, calls: 0, items: 0 };
        await client.query(
          `INSERT INTO wiam_usage_tasks (task_key, caller_key, intent, started_at, last_seen_at, ended, calls, items)
           VALUES ($1, $2, $3, $4, $4, false, 0, 0)
           ON CONFLICT (task_key) DO UPDATE SET caller_key = excluded.caller_key, intent = excluded.intent, started_at = excluded.started_at,
             last_seen_at = excluded.last_seen_at, ended = false, calls = 0, items = 0`,
          [taskKey, callerKey, intent, nowMs],
        );
      } else {
        task = existing;
      }
      const taskScope = taskSubject(taskKey, task.started_at);
      const callerScope = callerSubject(callerKey);
      const usage = (
        await client.query<UsageRow>(
          `SELECT
             CASE WHEN $8 THEN (SELECT count(*) FROM wiam_usage_tasks WHERE caller_key = $2 AND task_key <> $1 AND NOT ended
                                  AND $5 - started_at < $6 AND $5 - last_seen_at < $7)::int ELSE 0 END AS other_open,
             (SELECT coalesce(sum(count), 0) FROM wiam_usage_buckets WHERE subject = $3 AND metric = 'calls' AND bucket_start > $5 - ${MINUTE})::float8 AS task_calls_minute,
             (SELECT count(*) FROM wiam_usage_scopes WHERE subject = $3)::int AS task_scopes,
             EXISTS (SELECT 1 FROM wiam_usage_scopes WHERE subject = $3 AND scope = $9) AS task_has_scope,
             (SELECT calls FROM wiam_usage_callers WHERE caller_key = $2) AS caller_calls,
             (SELECT coalesce(sum(count), 0) FROM wiam_usage_buckets WHERE subject = $4 AND metric = 'calls' AND bucket_start > $5 - ${MINUTE})::float8 AS caller_calls_minute,
             (SELECT coalesce(sum(count), 0) FROM wiam_usage_buckets WHERE subject = $4 AND metric = 'items' AND bucket_start > $5 - ${HOUR})::float8 AS caller_items_hour,
             (SELECT count(*) FROM wiam_usage_scopes WHERE subject = $4)::int AS caller_scopes,
             EXISTS (SELECT 1 FROM wiam_usage_scopes WHERE subject = $4 AND scope = $9) AS caller_has_scope`,
          [taskKey, callerKey, taskScope, callerScope, nowMs, maxLifetimeMs, idleMs, over, scopeKey],
        )
      ).rows[0];
      if (usage === undefined) throw new Error("the usage query returned no row");
      await client.query(
        `WITH task AS (UPDATE wiam_usage_tasks SET calls = calls + 1, last_seen_at = $3 WHERE task_key = $1 RETURNING 1),
              caller AS (INSERT INTO wiam_usage_callers (caller_key, calls) VALUES ($2, 1)
                         ON CONFLICT (caller_key) DO UPDATE SET calls = wiam_usage_callers.calls + 1 RETURNING 1),
              buckets AS (INSERT INTO wiam_usage_buckets (subject, metric, bucket_start, count) VALUES ($4, 'calls', $6, 1), ($5, 'calls', $6, 1)
                          ON CONFLICT (subject, metric, bucket_start) DO UPDATE SET count = wiam_usage_buckets.count + 1 RETURNING 1)
         SELECT (SELECT count(*) FROM task) + (SELECT count(*) FROM caller) + (SELECT count(*) FROM buckets) AS written`,
        [taskKey, callerKey, nowMs, taskScope, callerScope, bucketOf(nowMs, CALL_BUCKET_MS)],
      );
      return {
        task: { calls: task.calls, callsLastMinute: usage.task_calls_minute, itemsReturned: task.items, distinctScopes: usage.task_scopes },
        caller: {
          calls: usage.caller_calls ?? 0,
          callsLastMinute: usage.caller_calls_minute,
          itemsReturned: usage.caller_items_hour,
          distinctScopes: usage.caller_scopes,
        },
        taskIntent: task.intent,
        taskStartedAt: Number(task.started_at),
        otherOpenTasks: usage.other_open,
        taskHasScope: usage.task_has_scope,
        callerHasScope: usage.caller_has_scope,
      };
    });
  }

  async recordResult(taskKey: string, callerKey: string, scopeKey: string, items: number, nowMs: number): Promise<void> {
    await this.run("the budget ledger could not record what the call returned", async (client) => {
      await client.query(
        `WITH task AS (UPDATE wiam_usage_tasks SET items = items + $3 WHERE task_key = $1 AND NOT ended RETURNING started_at),
              task_scope AS (INSERT INTO wiam_usage_scopes (subject, scope)
                             SELECT 't:' || started_at::text || ':' || $1, $4 FROM task ON CONFLICT DO NOTHING RETURNING 1),
              caller_scope AS (INSERT INTO wiam_usage_scopes (subject, scope) VALUES ($2, $4) ON CONFLICT DO NOTHING RETURNING 1),
              caller_items AS (INSERT INTO wiam_usage_buckets (subject, metric, bucket_start, count) VALUES ($2, 'items', $5, $3)
                               ON CONFLICT (subject, metric, bucket_start) DO UPDATE SET count = wiam_usage_buckets.count + excluded.count RETURNING 1)
         SELECT (SELECT count(*) FROM task_scope) + (SELECT count(*) FROM caller_scope) + (SELECT count(*) FROM caller_items) AS written`,
        [taskKey, callerSubject(callerKey), items, scopeKey, bucketOf(nowMs, ITEM_BUCKET_MS)],
      );
      await this.cleanupNow(client, nowMs);
    });
  }

  async endTask(taskKey: string): Promise<void> {
    await this.run("the budget ledger could not end the task", (client) => client.query("UPDATE wiam_usage_tasks SET ended = true WHERE task_key = $1", [taskKey]));
  }

  /** Buckets older than any window and tasks over for a day go, once per ten minutes per process. */
  private async cleanupNow(client: pg.PoolClient, nowMs: number): Promise<void> {
    if (nowMs - this.lastCleanup < CLEANUP_EVERY_MS) return;
    this.lastCleanup = nowMs;
    await client.query("DELETE FROM wiam_usage_buckets WHERE bucket_start < $1", [nowMs - 2 * HOUR]);
    await client.query(
      `WITH gone AS (DELETE FROM wiam_usage_tasks WHERE last_seen_at < $1 RETURNING 't:' || started_at::text || ':' || task_key AS subject)
       DELETE FROM wiam_usage_scopes WHERE subject IN (SELECT subject FROM gone)`,
      [nowMs - 24 * HOUR],
    );
  }

  private async transaction<T>(what: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.run(what, async (client) => {
      await client.query("BEGIN");
      try {
        const result = await work(client);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    });
  }

  private async run<T>(what: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let checkedOut: CheckedOutClient;
    try {
      checkedOut = await checkOut(this.pool);
    } catch (error) {
      const failure = unavailable(error, what);
      this.availability(failure);
      throw failure;
    }
    let broken = false;
    try {
      const result = await work(checkedOut.client);
      this.availability(null);
      return result;
    } catch (error) {
      broken = isPostgresUnavailable(error);
      const failure = unavailable(error, what);
      this.availability(failure);
      throw failure;
    } finally {
      checkedOut.release(broken);
    }
  }
}

function unavailable(error: unknown, what: string): Error {
  if (error instanceof StateUnavailableError) return error;
  if (isPostgresUnavailable(error)) return new StateUnavailableError(what, describePostgresFailure(error));
  return error instanceof Error ? error : new Error(String(error));
}
