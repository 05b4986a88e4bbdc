/**
 * Approval requests in PostgreSQL, shared by every replica: a call waiting on one replica sees a
 * decision given through another. Each state change is one conditional UPDATE, so concurrent
 * approvers (or an approver and the expiry) cannot both win. Times are ISO 8601 UTC text, as in
 * SQLite, so both stores compare them the same way.
 */
import type pg from "pg";
import { newRecordId } from "../audit/record-id.js";
import { describePostgresFailure, isPostgresUnavailable, StateUnavailableError } from "../state/errors.js";
import type { Migration } from "../state/state-store.js";
import { APPROVAL_COLUMNS, recordOfRow } from "./record-schema.js";
import type { ApprovalStore } from "./store.js";
import type { ApprovalBinding, ApprovalDecision, ApprovalListFilter, ApprovalRequestRecord, NewApprovalRequest } from "./types.js";

const DEFAULT_LIST_LIMIT = 100;

export const APPROVAL_POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "approval requests",
    sql: `
CREATE TABLE wiam_approval_requests (
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
);
CREATE INDEX wiam_approval_requests_binding ON wiam_approval_requests (task_key, tool, arguments_hash) WHERE status = 'approved';
CREATE INDEX wiam_approval_requests_requested ON wiam_approval_requests (requested_at);
`,
  },
];

export class PostgresApprovalStore implements ApprovalStore {
  /** Takes the shared pool; `migrate` (StateTables.migrate) must have applied APPROVAL_POSTGRES_MIGRATIONS. */
  constructor(private readonly pool: pg.Pool) {}

  static async open(pool: pg.Pool, migrate: (component: string, migrations: readonly Migration[]) => Promise<void>): Promise<PostgresApprovalStore> {
    await migrate("approvals", APPROVAL_POSTGRES_MIGRATIONS);
    return new PostgresApprovalStore(pool);
  }

  /** A query; the database being away is a clear error naming what could not be done, never connection details. */
  private async query(sql: string, values: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }> {
    try {
      return await this.pool.query(sql, values);
    } catch (error) {
      if (!isPostgresUnavailable(error)) throw error;
      throw new StateUnavailableError("the approval queue could not be reached", describePostgresFailure(error), "nothing was decided or run");
    }
  }

  private async one(sql: string, values: unknown[]): Promise<ApprovalRequestRecord | null> {
    const row = (await this.query(sql, values)).rows[0];
    return row === undefined ? null : recordOfRow(row);
  }

  async create(request: NewApprovalRequest): Promise<ApprovalRequestRecord> {
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
    const placeholders = APPROVAL_COLUMNS.map((_, index) => `$${index + 1}`).join(", ");
    const created = await this.one(`INSERT INTO wiam_approval_requests (${APPROVAL_COLUMNS.join(", ")}) VALUES (${placeholders}) RETURNING *`, values);
    if (created === null) throw new Error(`approval request ${id}: insert returned nothing`);
    return created;
  }

  get(id: string): Promise<ApprovalRequestRecord | null> {
    return this.one("SELECT * FROM wiam_approval_requests WHERE id = $1", [id]);
  }

  async list(filter: ApprovalListFilter = {}): Promise<ApprovalRequestRecord[]> {
    const limit = filter.limit ?? DEFAULT_LIST_LIMIT;
    const result =
      filter.status === undefined
        ? await this.query("SELECT * FROM wiam_approval_requests ORDER BY requested_at DESC, id DESC LIMIT $1", [limit])
        : await this.query("SELECT * FROM wiam_approval_requests WHERE status = $1 ORDER BY requested_at DESC, id DESC LIMIT $2", [filter.status, limit]);
    return result.rows.map((row) => recordOfRow(row));
  }

  decide(id: string, decision: ApprovalDecision): Promise<ApprovalRequestRecord | null> {
    const at = decision.at.toISOString();
    return this.one(
      "UPDATE wiam_approval_requests SET status = $1, decided_at = $2, approver = $3, note = $4 WHERE id = $5 AND status = 'pending' AND expires_at > $2 RETURNING *",
      [decision.status, at, decision.approver, decision.note, id],
    );
  }

  close(id: string, status: "expired" | "withdrawn", at: Date): Promise<ApprovalRequestRecord | null> {
    const when = at.toISOString();
    return status === "expired"
      ? this.one("UPDATE wiam_approval_requests SET status = 'expired', decided_at = $1 WHERE id = $2 AND status = 'pending' AND expires_at <= $1 RETURNING *", [when, id])
      : this.one("UPDATE wiam_approval_requests SET status = 'withdrawn', decided_at = $1 WHERE id = $2 AND status = 'pending' RETURNING *", [when, id]);
  }

  findApproved(binding: ApprovalBinding, decidedSince: Date): Promise<ApprovalRequestRecord | null> {
    return this.one(
      `SELECT * FROM wiam_approval_requests WHERE status = 'approved' AND task_key = $1 AND tool = $2 AND arguments_hash = $3 AND caller = $4 AND policy_version = $5 AND decided_at >= $6
       ORDER BY decided_at DESC, id DESC LIMIT 1`,
      [binding.taskKey, binding.tool, binding.argumentsHash, binding.caller, binding.policyVersion, decidedSince.toISOString()],
    );
  }

  async prune(before: Date): Promise<number> {
    const when = before.toISOString();
    const result = await this.query("DELETE FROM wiam_approval_requests WHERE requested_at < $1 AND (status <> 'pending' OR expires_at < $1)", [when]);
    return result.rowCount ?? 0;
  }

  /** The pool belongs to the state store, which closes it. */
  dispose(): Promise<void> {
    return Promise.resolve();
  }
}
