/**
 * The embedded state store: SQLite files in the data directory. The audit log is today's
 * `audit.db` (group-committed), budgets are counted in this process's memory (one server process
 * per MCP client on one machine: each counts the calls it serves), and other parts open their own
 * file next to it, so a writer of one never locks another.
 */
import { accessSync, constants as fsConstants } from "node:fs";
import { join } from "node:path";
import type Database from "better-sqlite3";
import type { AuditStore } from "../../audit/store.js";
import { MemoryUsageLedger } from "../../governance/tasks.js";
import { migrateSqlite } from "../migrations.js";
import type { SqliteMigration, StateHealth, StateStore, StateTables } from "../state-store.js";
import { SqliteAuditLog } from "./audit-log.js";
import { openPrivateDatabase } from "./private-database.js";

export class SqliteStateStore implements StateStore {
  readonly kind = "sqlite";
  readonly audit: SqliteAuditLog;
  readonly usage = new MemoryUsageLedger();
  readonly tables: StateTables;

  constructor(
    /** The embedded audit log, also used directly by in-process review (tests, `wiam audit`). */
    readonly auditStore: AuditStore,
    readonly dataDir: string,
  ) {
    this.audit = new SqliteAuditLog(auditStore);
    this.tables = {
      kind: "sqlite",
      dataDir,
      openDatabase: (file: string, component: string, migrations: readonly SqliteMigration[]): Database.Database => {
        const path = join(dataDir, file);
        const db = openPrivateDatabase(path);
        try {
          migrateSqlite(db, component, migrations, path);
        } catch (error) {
          db.close();
          throw error;
        }
        return db;
      },
    };
  }

  async health(): Promise<StateHealth> {
    return this.healthNow();
  }

  healthNow(): StateHealth {
    try {
      accessSync(this.auditStore.path, fsConstants.W_OK);
      return { ok: true, detail: null };
    } catch (error) {
      const code = typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : "unwritable";
      return { ok: false, detail: `the audit log file is not writable (${code})` };
    }
  }

  async close(): Promise<void> {
    await this.audit.close();
  }
}
