/**
 * Versioned schema migrations for each component of the shared state (audit, usage, approvals,
 * history, ...). Each component's version lives in one row of `wiam_schema_version`; migrations
 * newer than that row run at start, in order, each in a transaction with its version bump. A
 * database written by a newer release (a version this build does not know) is refused with a
 * message saying so, rather than written with an older idea of the schema.
 *
 * Replicas starting together serialise on an advisory lock, so each migration runs exactly once.
 */
import type pg from "pg";
import type Database from "better-sqlite3";
import { UserFacingError } from "../errors.js";
import type { Migration, SqliteMigration } from "./state-store.js";

/** Advisory lock key for migrations: "wiam" as an int plus 1. */
const MIGRATION_LOCK_KEY = 0x7769616d + 1;

const VERSION_TABLE = `CREATE TABLE IF NOT EXISTS wiam_schema_version (
  component TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  applied_at TEXT NOT NULL
)`;

function checkOrder(component: string, migrations: readonly { version: number }[]): number {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) throw new Error(`migrations of ${component} must be numbered 1, 2, 3, ...: found ${migration.version} at position ${index + 1}`);
  });
  return migrations.length;
}

function newerSchema(component: string, found: number, known: number, where: string): UserFacingError {
  return new UserFacingError(
    "config_invalid",
    `${where}: the ${component} schema is at version ${found}, newer than this release knows (${known}); it was written by a newer workload-iam-mcp`,
    "Upgrade workload-iam-mcp on this host (replicas sharing one database must run the same release or newer), or point it at another database.",
  );
}

/** Applies the component's pending migrations to PostgreSQL; returns the version now in force. */
export async function migratePostgres(pool: pg.Pool, component: string, migrations: readonly Migration[], where = "shared state"): Promise<number> {
  const known = checkOrder(component, migrations);
  const client = await pool.connect();
  // A connection dropping mid-migration fails the statement in flight; without a listener the
  // client's "error" event would crash the process instead.
  const onError = (): void => undefined;
  client.on("error", onError);
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    await client.query(VERSION_TABLE);
    const row = await client.query<{ version: number }>("SELECT version FROM wiam_schema_version WHERE component = $1", [component]);
    const current = row.rows[0]?.version ?? 0;
    if (current > known) throw newerSchema(component, current, known, where);
    for (const migration of migrations.slice(current)) {
      await client.query(migration.sql);
    }
    if (known > current) {
      await client.query(
        "INSERT INTO wiam_schema_version (component, version, applied_at) VALUES ($1, $2, $3) ON CONFLICT (component) DO UPDATE SET version = excluded.version, applied_at = excluded.applied_at",
        [component, known, new Date().toISOString()],
      );
    }
    await client.query("COMMIT");
    return known;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.off("error", onError);
    client.release();
  }
}

/** The same for a SQLite database (one writer at a time: an IMMEDIATE transaction serialises). */
export function migrateSqlite(db: Database.Database, component: string, migrations: readonly SqliteMigration[], where: string): number {
  const known = checkOrder(component, migrations);
  const run = db.transaction(() => {
    db.exec(VERSION_TABLE);
    const row = db.prepare<[string], { version: number }>("SELECT version FROM wiam_schema_version WHERE component = ?").get(component);
    const current = row?.version ?? 0;
    if (current > known) throw newerSchema(component, current, known, where);
    for (const migration of migrations.slice(current)) db.exec(migration.sql);
    if (known > current) {
      db.prepare("INSERT INTO wiam_schema_version (component, version, applied_at) VALUES (?, ?, ?) ON CONFLICT (component) DO UPDATE SET version = excluded.version, applied_at = excluded.applied_at").run(
        component,
        known,
        new Date().toISOString(),
      );
    }
    return known;
  });
  return run.immediate();
}

/**
 * The component's schema version in a SQLite database, without changing anything (0 when it has
 * none): for checks that must not migrate, such as `wiam doctor`.
 */
export function sqliteSchemaVersion(db: Database.Database, component: string): number {
  const table = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'wiam_schema_version'").get();
  if (!table) return 0;
  return db.prepare<[string], { version: number }>("SELECT version FROM wiam_schema_version WHERE component = ?").get(component)?.version ?? 0;
}

/** The same in PostgreSQL. */
export async function postgresSchemaVersion(pool: pg.Pool, component: string): Promise<number> {
  const table = await pool.query<{ found: string | null }>("SELECT to_regclass('wiam_schema_version')::text AS found");
  if (!table.rows[0]?.found) return 0;
  const row = await pool.query<{ version: number }>("SELECT version FROM wiam_schema_version WHERE component = $1", [component]);
  return row.rows[0]?.version ?? 0;
}
