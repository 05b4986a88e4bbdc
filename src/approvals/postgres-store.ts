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
import { APPROVAL_COLUMNS, columnValuesOf, recordOfRow } from "./record-schema.js";
import type { ApprovalStore, CreateLimits, CreateOutcome } from "./store.js";
import { coversRequirements, type ApprovalBinding, type ApprovalDecision, type ApprovalListFilter, type ApprovalRequestRecord, type NewApprovalRequest } from "./types.js";

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
  {
    version: 2,
    description: "approval requests: the caller's OAuth client; pending requests by caller",
    sql: `
ALTER TABLE wiam_approval_requests ADD COLUMN caller_client_id TEXT NOT NULL DEFAULT '';
CREATE INDEX wiam_approval_requests_pending ON wiam_approval_requests (caller, expires_at) WHERE status = 'pending';
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

  async create(request: NewApprovalRequest, limits: CreateLimits): Promise<CreateOutcome> {
    const now = request.requestedAt.toISOString();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      if (!isPostgresUnavailable(error)) throw error;
      throw new StateUnavailableError("the approval queue could not be reached", describePostgresFailure(error), "nothing was decided or run");
    }
    try {
      await client.query("BEGIN");
      // One caller's requests are counted and inserted one transaction at a time, on every replica.
      await client.query("SELECT pg_advisory_xact_lock(hashtext('wiam-approvals'), hashtext($1))", [request.caller]);
      const same = await client.query(
        `SELECT * FROM wiam_approval_requests WHERE status = 'pending' AND expires_at > $1 AND caller = $2 AND task_key = $3 AND tool = $4 AND arguments_hash = $5 AND policy_version = $6
         ORDER BY requested_at, id LIMIT $7`,
        [now, request.caller, request.taskKey, request.tool, request.argumentsHash, request.policyVersion, limits.maxPendingPerCaller],
      );
      const joinable = same.rows.map(recordOfRow).find((record) => coversRequirements(record.requirements, request.requirements));
      let outcome: CreateOutcome;
      if (joinable !== undefined) outcome = { kind: "joined", record: joinable };
      else {
        const counted = await client.query<{ pending: number }>("SELECT COUNT(*)::int AS pending FROM wiam_approval_requests WHERE status = 'pending' AND caller = $1 AND expires_at > $2", [request.caller, now]);
        const pending = counted.rows[0]?.pending ?? 0;
        if (pending >= limits.maxPendingPerCaller) outcome = { kind: "over-limit", pending };
        else {
          const placeholders = APPROVAL_COLUMNS.map((_, index) => `$${index + 1}`).join(", ");
          const inserted = await client.query(`INSERT INTO wiam_approval_requests (${APPROVAL_COLUMNS.join(", ")}) VALUES (${placeholders}) RETURNING *`, columnValuesOf(newRecordId(request.requestedAt), request));
          outcome = { kind: "created", record: recordOfRow(inserted.rows[0]) };
        }
      }
      await client.query("COMMIT");
      return outcome;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => null);
      if (!isPostgresUnavailable(error)) throw error;
      throw new StateUnavailableError("the approval queue could not be reached", describePostgresFailure(error), "nothing was decided or run");
    } finally {
      client.release();
    }
  }

  get(id: string): Promise<ApprovalRequestRecord | null> {
    return this.one("SELECT * FROM wiam_approval_requests WHERE id = $1", [id]);
  }

  async list(filter: ApprovalListFilter = {}): Promise<ApprovalRequestRecord[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (filter.status !== undefined) {
      values.push(filter.status);
      where.push(`status = $${values.length}`);
    }
    if (filter.groups !== undefined) {
      // Before the LIMIT: a flood of requests for other groups must not push the decider's out of the page.
      values.push([...filter.groups]);
      where.push(`EXISTS (SELECT 1 FROM jsonb_array_elements(requirements::jsonb) AS r, jsonb_array_elements_text(r->'groups') AS g WHERE g = ANY($${values.length}::text[]))`);
    }
    values.push(filter.limit ?? DEFAULT_LIST_LIMIT);
    const sql = `SELECT * FROM wiam_approval_requests${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY requested_at DESC, id DESC LIMIT $${values.length}`;
    return (await this.query(sql, values)).rows.map((row) => recordOfRow(row));
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
