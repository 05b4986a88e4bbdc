/**
 * The approval queue's store in the state store the server runs on: `approvals.db` beside the
 * audit log on one machine, or the shared PostgreSQL database of the replicas, each with its own
 * versioned migrations under the component name "approvals".
 */
import type { StateTables } from "../state/state-store.js";
import { PostgresApprovalStore } from "./postgres-store.js";
import { APPROVAL_SQLITE_MIGRATIONS, APPROVALS_DB_FILE, SqliteApprovalStore } from "./sqlite-store.js";
import type { ApprovalStore } from "./store.js";

export async function openApprovalStore(tables: StateTables): Promise<ApprovalStore> {
  if (tables.kind === "postgres") return PostgresApprovalStore.open(tables.pool, tables.migrate);
  return new SqliteApprovalStore(tables.openDatabase(APPROVALS_DB_FILE, "approvals", APPROVAL_SQLITE_MIGRATIONS));
}
