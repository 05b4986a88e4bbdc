/**
 * Approval requests in `approvals.db` in the data directory (mode 0600, WAL), shared by every
 * server process on the host and by `wiam approvals`. Times are ISO 8601 UTC text, which sorts and
 * compares as time.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import { platform } from "node:os";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { newRecordId } from "../audit/record-id.js";
import { migrateSqlite } from "../state/migrations.js";
import type { SqliteMigration } from "../state/state-store.js";
import { APPROVAL_COLUMNS, recordOfRow } from "./record-schema.js";
import type { ApprovalStore } from "./store.js";
import type { ApprovalBinding, ApprovalDecision, ApprovalListFilter, ApprovalRequestRecord, NewApprovalRequest } from "./types.js";

export const APPROVALS_DB_FILE = "approvals.db";
const DEFAULT_LIST_LIMIT = 100;

/** The approvals component's schema, versioned with the other parts' in wiam_schema_version. */
export const APPROVAL_SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: "approval requests",
    sql: `
CREATE TABLE approval_requests (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired', 'withdrawn')),
  tool TEXT NOT NULL,
  arguments_hash TEXT NOT NULL,
  caller TEXT NOT NULL,
  caller_subject TEXT NOT NULL,
  task_key TEXT NOT NULL,
  task_id TEXT NOT NULL,
  policy_version TEXT NOT NULL,
  intent TEXT NOT NULL,
  arguments TEXT NOT NULL,
  scope TEXT NOT NULL,
  reasons TEXT NOT NULL,
  requirements TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  decided_at TEXT,
  approver TEXT,
  note TEXT
) STRICT;
CREATE INDEX approval_requests_binding ON approval_requests (task_key, tool, arguments_hash) WHERE status = 'approved';
CREATE INDEX approval_requests_requested ON approval_requests (requested_at);
`,
  },
];

function prepareFile(path: string): void {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  closeSync(openSync(path, "a", 0o600));
  const mode = statSync(path).mode;
  if (platform() !== "win32" && (mode & 0o077) !== 0) chmodSync(path, mode & 0o700);
}

export class SqliteApprovalStore implements ApprovalStore {
  /** Takes a database whose approvals migrations have been applied (StateTables.openDatabase does). */
  constructor(private readonly db: Database.Database) {}

  /** Opens (creating, mode 0600, WAL) the file and applies the approvals migrations. */
  static open(path: string, busyTimeoutMs = 10_000): SqliteApprovalStore {
    prepareFile(path);
    const db = new Database(path, { timeout: busyTimeoutMs });
    try {
      db.pragma("journal_mode = WAL");
      migrateSqlite(db, "approvals", APPROVAL_SQLITE_MIGRATIONS, `approvals database ${path}`);
    } catch (error) {
      db.close();
      throw error;
    }
    return new SqliteApprovalStore(db);
  }

  static openInDataDir(dataDir: string): SqliteApprovalStore {
    return SqliteApprovalStore.open(join(dataDir, APPROVALS_DB_FILE));
  }

  create(request: NewApprovalRequest): Promise<ApprovalRequestRecord> {
    const id = newRecordId(request.requestedAt);
    const values = [
      id,
      "pending",
      request.tool,
      request.argumentsHash,
      request.caller,
      request.callerSubject,
      request.taskKey,
      request.taskId,
      request.policyVersion,
      request.intent,
      JSON.stringify(request.arguments ?? null),
      request.scope,
      JSON.stringify(request.reasons),
      JSON.stringify(request.requirements),
      request.requestedAt.toISOString(),
      request.expiresAt.toISOString(),
    ];
    this.db.prepare(`INSERT INTO approval_requests (${APPROVAL_COLUMNS.join(", ")}) VALUES (${APPROVAL_COLUMNS.map(() => "?").join(", ")})`).run(...values);
    return this.get(id).then((record) => {
      if (record === null) throw new Error(`approval request ${id} vanished after insert`);
      return record;
    });
  }

  get(id: string): Promise<ApprovalRequestRecord | null> {
    const row = this.db.prepare("SELECT * FROM approval_requests WHERE id = ?").get(id);
    return Promise.resolve(row === undefined ? null : recordOfRow(row));
  }

  list(filter: ApprovalListFilter = {}): Promise<ApprovalRequestRecord[]> {
    const limit = filter.limit ?? DEFAULT_LIST_LIMIT;
    const rows =
      filter.status === undefined
        ? this.db.prepare("SELECT * FROM approval_requests ORDER BY requested_at DESC, id DESC LIMIT ?").all(limit)
        : this.db.prepare("SELECT * FROM approval_requests WHERE status = ? ORDER BY requested_at DESC, id DESC LIMIT ?").all(filter.status, limit);
    return Promise.resolve(rows.map(recordOfRow));
  }

  decide(id: string, decision: ApprovalDecision): Promise<ApprovalRequestRecord | null> {
    const at = decision.at.toISOString();
    const changed = this.db
      .prepare("UPDATE approval_requests SET status = ?, decided_at = ?, approver = ?, note = ? WHERE id = ? AND status = 'pending' AND expires_at > ?")
      .run(decision.status, at, decision.approver, decision.note, id, at).changes;
    return changed === 1 ? this.get(id) : Promise.resolve(null);
  }

  close(id: string, status: "expired" | "withdrawn", at: Date): Promise<ApprovalRequestRecord | null> {
    const when = at.toISOString();
    // Expiry needs the deadline passed; a caller that stops waiting may withdraw at any time.
    const changed = this.db
      .prepare(`UPDATE approval_requests SET status = ?, decided_at = ? WHERE id = ? AND status = 'pending'${status === "expired" ? " AND expires_at <= ?" : ""}`)
      .run(...(status === "expired" ? [status, when, id, when] : [status, when, id])).changes;
    return changed === 1 ? this.get(id) : Promise.resolve(null);
  }

  findApproved(binding: ApprovalBinding, decidedSince: Date): Promise<ApprovalRequestRecord | null> {
    const row = this.db
      .prepare(
        `SELECT * FROM approval_requests WHERE status = 'approved' AND task_key = ? AND tool = ? AND arguments_hash = ? AND caller = ? AND policy_version = ? AND decided_at >= ?
         ORDER BY decided_at DESC, id DESC LIMIT 1`,
      )
      .get(binding.taskKey, binding.tool, binding.argumentsHash, binding.caller, binding.policyVersion, decidedSince.toISOString());
    return Promise.resolve(row === undefined ? null : recordOfRow(row));
  }

  prune(before: Date): Promise<number> {
    const when = before.toISOString();
    // A pending request whose waiter died is over once its expiry passed.
    return Promise.resolve(this.db.prepare("DELETE FROM approval_requests WHERE requested_at < ? AND (status <> 'pending' OR expires_at < ?)").run(when, when).changes);
  }

  dispose(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}
