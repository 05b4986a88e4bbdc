/**
 * The PostgreSQL state store: one database shared by every replica for the audit chain, budgets
 * and task usage, and the tables other parts add (approvals, inventory history) through `tables`.
 *
 * Health: every operation that fails for want of the database marks the store unhealthy, and a
 * probe then retries every `probeMs` until a writable round trip succeeds; `/readyz` reads the
 * result without waiting. On recovery the probe also writes the audit events owed from the outage
 * (refusals, completions), so they land even if no new call comes.
 */
import type pg from "pg";
import type { PostgresConfig } from "../../config/state-schema.js";
import { describePostgresFailure, isPostgresUnavailable, StateUnavailableError } from "../errors.js";
import { migratePostgres } from "../migrations.js";
import type { AuditLog, Migration, StateHealth, StateStore, StateTables } from "../state-store.js";
import { PostgresAuditLog, type PostgresAuditLogOptions } from "./audit-log.js";
import { createPostgresPool } from "./connection.js";
import { PostgresUsageLedger } from "./usage-ledger.js";

const DEFAULT_PROBE_MS = 2_000;

export interface PostgresStateStoreOptions {
  config: PostgresConfig;
  audit: PostgresAuditLogOptions;
  env?: NodeJS.ProcessEnv;
  /** Hears about connection trouble (already in words; no URL). */
  warn?: (message: string) => void;
  /** Milliseconds between health probes while the database is away. */
  probeMs?: number;
}

export class PostgresStateStore implements StateStore {
  readonly kind = "postgres";
  readonly tables: StateTables;
  private last: StateHealth = { ok: true, detail: null };
  private probe: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    readonly pool: pg.Pool,
    readonly audit: PostgresAuditLog,
    readonly usage: PostgresUsageLedger,
    private readonly probeMs: number,
    private readonly warn: (message: string) => void,
  ) {
    this.tables = {
      kind: "postgres",
      pool,
      migrate: async (component: string, migrations: readonly Migration[]) => {
        await migratePostgres(pool, component, migrations);
      },
    };
  }

  /**
   * Connects, applies pending migrations (refusing a newer schema) and returns the store. A
   * database that cannot be reached at start stops the start with the reason.
   */
  static async open(options: PostgresStateStoreOptions): Promise<PostgresStateStore> {
    const warn = options.warn ?? (() => undefined);
    const pool = await createPostgresPool(options.config, (error) => warn(`shared state: an idle connection was dropped (${describePostgresFailure(error)})`), options.env);
    try {
      const audit = await PostgresAuditLog.open(pool, options.audit);
      const usage = await PostgresUsageLedger.open(pool);
      const store = new PostgresStateStore(pool, audit, usage, options.probeMs ?? DEFAULT_PROBE_MS, warn);
      audit.onAvailability((error) => store.observe(error));
      usage.onAvailability((error) => store.observe(error));
      return store;
    } catch (error) {
      await pool.end().catch(() => undefined);
      if (isPostgresUnavailable(error)) {
        throw new StateUnavailableError("the shared state store (state.postgres) could not be opened", describePostgresFailure(error), "the server did not start");
      }
      throw error;
    }
  }

  healthNow(): StateHealth {
    return this.last;
  }

  async health(): Promise<StateHealth> {
    try {
      const row = (await this.pool.query<{ read_only: string; recovery: boolean }>("SELECT current_setting('transaction_read_only') AS read_only, pg_is_in_recovery() AS recovery")).rows[0];
      if (row?.read_only === "on" || row?.recovery === true) {
        this.last = { ok: false, detail: "the PostgreSQL database is read-only (a standby, or default_transaction_read_only is on)" };
      } else {
        this.last = { ok: true, detail: null };
      }
    } catch (error) {
      this.last = { ok: false, detail: describePostgresFailure(error) };
    }
    if (!this.last.ok) this.startProbe();
    return this.last;
  }

  /** An operation's outcome: an outage error marks the store unhealthy; success (null) clears it. */
  observe(error: unknown): void {
    if (error === null) {
      if (!this.last.ok) this.last = { ok: true, detail: null };
      return;
    }
    if (!(error instanceof StateUnavailableError) && !isPostgresUnavailable(error)) return;
    const detail = error instanceof StateUnavailableError ? error.why : describePostgresFailure(error);
    if (this.last.ok) this.warn(`shared state unavailable: ${detail}; calls are refused until it answers`);
    this.last = { ok: false, detail };
    this.startProbe();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.probe !== null) clearTimeout(this.probe);
    this.probe = null;
    await this.audit.close();
    await this.pool.end();
  }

  private startProbe(): void {
    if (this.probe !== null || this.closed) return;
    const tick = (): void => {
      this.probe = null;
      void this.health().then(async (health) => {
        if (!health.ok) return;
        this.warn("shared state available again");
        await this.audit.writeOwed().catch(() => undefined);
      });
    };
    this.probe = setTimeout(tick, this.probeMs);
    this.probe.unref();
  }
}

export type { AuditLog };
