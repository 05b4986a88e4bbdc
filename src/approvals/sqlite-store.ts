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
import { APPROVAL_COLUMNS, columnValuesOf, recordOfRow } from "./record-schema.js";
import type { ApprovalStore, CreateLimits, CreateOutcome } from "./store.js";
import { coversRequirements, type ApprovalBinding, type ApprovalDecision, type ApprovalListFilter, type ApprovalRequestRecord, type NewApprovalRequest } from "./types.js";

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
  {
    version: 2,
    description: "approval requests: the caller's OAuth client; pending requests by caller",
    sql: `
ALTER TABLE approval_requests ADD COLUMN caller_client_id TEXT NOT NULL DEFAULT '';
CREATE INDEX approval_requests_pending ON approval_requests (caller, expires_at) WHERE status = 'pending';
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

  create(request: NewApprovalRequest, limits: CreateLimits): Promise<CreateOutcome> {
    const now = request.requestedAt.toISOString();
    // IMMEDIATE: the count and the insert see no other writer in between (another process included).
    const outcome = this.db
      .transaction((): CreateOutcome => {
        const same = this.db
          .prepare(
            `SELECT * FROM approval_requests WHERE status = 'pending' AND expires_at > ? AND caller = ? AND task_key = ? AND tool = ? AND arguments_hash = ? AND policy_version = ?
             ORDER BY requested_at, id LIMIT ?`,
          )
          .all(now, request.caller, request.taskKey, request.tool, request.argumentsHash, request.policyVersion, limits.maxPendingPerCaller)
          .map(recordOfRow)
          .find((record) => coversRequirements(record.requirements, request.requirements));
        if (same !== undefined) return { kind: "joined", record: same };
        const { pending } = this.db.prepare("SELECT COUNT(*) AS pending FROM approval_requests WHERE status = 'pending' AND caller = ? AND expires_at > ?").get(request.caller, now) as { pending: number };
        if (pending >= limits.maxPendingPerCaller) return { kind: "over-limit", pending };
        const id = newRecordId(request.requestedAt);
        this.db.prepare(`INSERT INTO approval_requests (${APPROVAL_COLUMNS.join(", ")}) VALUES (${APPROVAL_COLUMNS.map(() => "?").join(", ")})`).run(...columnValuesOf(id, request));
        return { kind: "created", record: recordOfRow(this.db.prepare("SELECT * FROM approval_requests WHERE id = ?").get(id)) };
      })
      .immediate();
    return Promise.resolve(outcome);
  }

  get(id: string): Promise<ApprovalRequestRecord | null> {
    const row = this.db.prepare("SELECT * FROM approval_requests WHERE id = ?").get(id);
    return Promise.resolve(row === undefined ? null : recordOfRow(row));
  }

  list(filter: ApprovalListFilter = {}): Promise<ApprovalRequestRecord[]> {
    const where: string[] = [];
    const values: (string | number)[] = [];
    if (filter.status !== undefined) {
      where.push("status = ?");
      values.push(filter.status);
    }
    if (filter.groups !== undefined) {
      // Before the LIMIT: a flood of requests for other groups must not push the decider's out of the page.
      where.push("EXISTS (SELECT 1 FROM json_each(requirements) AS r, json_each(r.value, '$.groups') AS g WHERE g.value IN (SELECT value FROM json_each(?)))");
      values.push(JSON.stringify(filter.groups));
    }
    const sql = `SELECT * FROM approval_requests${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY requested_at DESC, id DESC LIMIT ?`;
    return Promise.resolve(this.db.prepare(sql).all(...values, filter.limit ?? DEFAULT_LIST_LIMIT).map(recordOfRow));
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
