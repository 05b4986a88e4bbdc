/**
 * The seam between the server and where its shared state lives. Two implementations:
 *
 * - embedded (default): SQLite files in the data directory, for one machine (the stdio servers of
 *   one user and `wiam` commands share them);
 * - PostgreSQL (`state.postgres`): for replicas behind a load balancer, which must share one audit
 *   chain, one budget count and one approval queue.
 *
 * Everything is async because PostgreSQL is. Each part is its own interface, so a part (the
 * pipeline's audit sink, the governor's budget ledger) depends only on what it uses.
 */
import type pg from "pg";
import type Database from "better-sqlite3";
import type { AuditSigningKey } from "../audit/signing.js";
import type {
  AuditAcceptance,
  AuditCheckpoint,
  AuditCompletion,
  AuditFilter,
  AuditRecord,
  AuditStats,
  PruneResult,
  VerifyOptions,
  VerifyResult,
} from "../audit/types.js";
import type { BudgetLimits, UsageView } from "../governance/tasks.js";

export type StateStoreKind = "sqlite" | "postgres";

/**
 * The audit log: one linear hash chain, whichever process appends. `accept` resolves once the
 * acceptance is committed (a call runs only after that); a store that cannot commit rejects with
 * StateUnavailableError (or AuditLogBusyError for a SQLite lock), and the pipeline refuses the call.
 */
export interface AuditLog {
  accept(acceptance: AuditAcceptance): Promise<string>;
  complete(id: string, completion: AuditCompletion): Promise<void>;
  get(id: string): Promise<AuditRecord | null>;
  /** The last `n` calls, oldest first. */
  tail(n: number): Promise<AuditRecord[]>;
  /** Newest first unless `order: "asc"`; at most `limit` (default 100). */
  search(filter?: AuditFilter): Promise<AuditRecord[]>;
  /** Oldest first, no default limit (export). */
  iterate(filter?: AuditFilter): AsyncIterable<AuditRecord>;
  stats(filter?: AuditFilter): Promise<AuditStats>;
  verify(options?: VerifyOptions): Promise<VerifyResult>;
  createCheckpoint(signingKey: AuditSigningKey): Promise<AuditCheckpoint>;
  prune(now?: Date, retentionDays?: number): Promise<PruneResult>;
  /** Events accepted in memory but not yet written (a locked or unreachable database). */
  readonly pendingEvents: number;
  close(): Promise<void>;
}

/** One call about to run, as the budget ledger counts it. */
export interface UsageAdmission {
  /** The task as budgets count it (per caller over HTTP). */
  taskKey: string;
  callerKey: string;
  scopeKey: string;
  /** Kept as the task's intent when this call opens the task. */
  intent: string;
  nowMs: number;
  /** A task idle this long, or older than the lifetime, is over: the same id starts a new one. */
  idleMs: number;
  maxLifetimeMs: number;
}

/** Usage before the admitted call, as the ledger saw it inside the same atomic step that counted it. */
export interface LedgerUsage {
  task: UsageView;
  caller: UsageView;
  taskIntent: string;
  /** When the task started (ms): it tells a task apart from a later one under the same key. */
  taskStartedAt: number;
  /** Open tasks the caller holds besides this one (0 when this task was already open). */
  otherOpenTasks: number;
  taskHasScope: boolean;
  callerHasScope: boolean;
}

/**
 * Budgets and task usage. `admit` counts the call and returns the usage before it in one atomic
 * step, so two replicas admitting the same caller's calls at once cannot both see room for one.
 * Items returned per caller are counted over the trailing hour, calls per minute over the trailing
 * minute, in sixty buckets each (a window is exact to its bucket).
 */
export interface UsageLedger {
  admit(admission: UsageAdmission): Promise<LedgerUsage>;
  recordResult(taskKey: string, callerKey: string, scopeKey: string, items: number, nowMs: number): Promise<void>;
  /** The task is over (its session closed, or it idled out): the same id starts afresh. */
  endTask(taskKey: string, nowMs: number): Promise<void>;
}

/** Re-exported so callers of the ledger need not import the in-memory registry. */
export type { BudgetLimits, UsageView };

/** A versioned schema change of one component (audit, usage, approvals, history, ...). */
export interface Migration {
  /** 1, 2, 3, ... in order; each runs once, in a transaction with its version bump. */
  version: number;
  description: string;
  /** PostgreSQL: SQL text. */
  sql: string;
}

/**
 * Where other parts keep their own tables (inventory snapshots, approvals): the raw handle of the
 * store plus the migration runner, so each part versions its own schema under its component name.
 */
export type StateTables =
  | {
      kind: "sqlite";
      /** The data directory: each part keeps its own file there (a writer does not lock the audit log). */
      dataDir: string;
      /** Opens (creating, mode 0600) `<dataDir>/<file>` and applies the component's migrations. */
      openDatabase(file: string, component: string, migrations: readonly SqliteMigration[]): Database.Database;
    }
  | {
      kind: "postgres";
      /** The shared pool: use it for short statements; do not hold a client across awaits of other work. */
      pool: pg.Pool;
      /** Applies the component's migrations (serialised across replicas by an advisory lock). */
      migrate(component: string, migrations: readonly Migration[]): Promise<void>;
    };

export interface SqliteMigration {
  version: number;
  description: string;
  /** Statements run by `db.exec`. */
  sql: string;
}

/** What `/readyz` reports for the state store. */
export interface StateHealth {
  ok: boolean;
  /** Why not, in words (no URL, no credentials). */
  detail: string | null;
}

export interface StateStore {
  readonly kind: StateStoreKind;
  readonly audit: AuditLog;
  readonly usage: UsageLedger;
  readonly tables: StateTables;
  /** Checks now: a round trip that must be writable (PostgreSQL) or a writable file (SQLite). */
  health(): Promise<StateHealth>;
  /**
   * The last known health, without waiting (readiness probes answer at once): updated by every
   * operation that fails for want of the database or succeeds, and by a background probe while
   * unhealthy, so `/readyz` turns ready again soon after the database returns.
   */
  healthNow(): StateHealth;
  close(): Promise<void>;
}
