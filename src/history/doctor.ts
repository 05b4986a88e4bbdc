/**
 * `wiam doctor`'s checks of the stored inventory (history.enabled): for each source's stored copy,
 * that it opens and its format is this build's, that its checksum verifies with the configured
 * key (and, when not, whether another key wrote it or it was changed), how old it is against
 * `history.refreshMinutes`, that its file is private, and where its history stands against
 * retention. Nothing is created, migrated or dropped: the store is opened read-only.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type pg from "pg";
import type { WiamConfig } from "../config/schema.js";
import type { DoctorCheck } from "../providers/provider.js";
import { describePostgresFailure } from "../state/errors.js";
import { decodeInventory } from "./columnar-codec.js";
import { existingStoredInventoryKey, storedCopyKeyId } from "./copy-key.js";
import { PostgresSnapshotStore } from "./postgres-snapshot-store.js";
import { INVENTORY_DB_FILE, SqliteSnapshotStore, copiesDirOf } from "./sqlite-snapshot-store.js";
import type { InventorySnapshotStore, StoredCollection, StoredCopy } from "./snapshot-store.js";

export interface StoredInventoryDoctorOptions {
  config: WiamConfig;
  dataDir: string;
  /** The sources the configuration in force serves (inventorySourceOf), each with its connector's id. */
  sources: ReadonlyMap<string, string>;
  now: Date;
  /** With `state.postgres`: a pool on it (the caller ends it), or the reason none could be made. */
  postgres?: { pool: pg.Pool } | { unavailable: string };
}

const CHECK = "stored inventory";
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** A copy older than this many refresh intervals has missed more than one refresh. */
const STALE_AFTER_INTERVALS = 2;
/** Scopes named per copy; the rest are counted. */
const SCOPES_NAMED = 3;

function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}

/** An error line when others may read `path` (`allowed`: the bits it may have). */
function privacy(check: string, what: string, path: string, allowed: number): DoctorCheck {
  const mode = modeOf(path);
  return mode & ~allowed & 0o077
    ? { level: "error", check, detail: `${what} ${path} is open to other users (mode ${mode.toString(8)}); chmod ${allowed.toString(8)} it` }
    : { level: "ok", check, detail: `${what} ${path} mode ${mode.toString(8)}` };
}

function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

function ago(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / MINUTE_MS));
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? "" : "s"} ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} hours ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

function connectorOf(source: string, sources: ReadonlyMap<string, string>): string {
  return sources.get(source) ?? source.slice(0, source.indexOf("@") === -1 ? source.length : source.indexOf("@"));
}

function scopesOf(scopes: readonly { id: string; parentId?: string | undefined }[]): string {
  const ids = new Set(scopes.map((scope) => scope.id));
  const roots = scopes.filter((scope) => scope.parentId === undefined || !ids.has(scope.parentId)).map((scope) => scope.id);
  if (roots.length === 0) return "no scopes";
  const named = roots.slice(0, SCOPES_NAMED).join(", ");
  return roots.length > SCOPES_NAMED ? `scopes ${named} and ${roots.length - SCOPES_NAMED} more` : `scope${roots.length === 1 ? "" : "s"} ${named}`;
}

/** What happens to a copy that is not served, and what the admin can do. */
function notServed(connector: string): string {
  return `it is not served: the server collects ${connector} afresh at its next load (or run wiam collect now)`;
}

/** Opens, verifies and describes one copy: the integrity line. */
async function integrity(store: InventorySnapshotStore, copy: StoredCopy, connector: string, check: string, key: Buffer | null): Promise<DoctorCheck> {
  const source = copy.collection.source;
  if (key === null) {
    return { level: "error", check, detail: `the key that checksummed it is gone (no audit-signing.key in the data directory and no state.checkpointKey); ${notServed(connector)}` };
  }
  const latest = await store.latest(source);
  if (latest === null || latest.collection.id !== copy.collection.id) {
    return { level: "warning", check, detail: "replaced while doctor ran (a refresh stored a newer collection): run wiam doctor again" };
  }
  const keyId = storedCopyKeyId(key);
  try {
    const decoded = decodeInventory(latest.blob, key);
    const { snapshot } = decoded;
    return {
      level: "ok",
      check,
      detail: `opens, format known, checksum verified with the configured key: ${scopesOf(snapshot.scopes)}; ${count(snapshot.principals.length, "identity", "identities")}, ${count(decoded.grants.length, "grant")}`,
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (reason.endsWith("checksum mismatch") && copy.keyId !== null && copy.keyId !== keyId) {
      return {
        level: "error",
        check,
        detail:
          `written under another checksum key (key id ${copy.keyId}; the configured key is ${keyId}): state.checkpointKey or the data directory's audit-signing.key ` +
          `changed since, or replicas use different keys; ${notServed(connector)}, or configure the key that wrote it`,
      };
    }
    if (reason.endsWith("checksum mismatch")) {
      return { level: "error", check, detail: `checksum mismatch with the configured key: the copy was changed or damaged after it was written; ${notServed(connector)}` };
    }
    if (latest.blob.length === 0 && copy.file !== null) {
      return { level: "error", check, detail: `its file ${copy.file} is missing or unreadable; ${notServed(connector)}` };
    }
    return { level: "error", check, detail: `${reason}; ${notServed(connector)}` };
  }
}

function age(copy: StoredCopy, check: string, config: WiamConfig, now: Date): DoctorCheck {
  const collectedAt = copy.collection.collectedAt;
  const ageMs = now.getTime() - Date.parse(collectedAt);
  const { refreshMinutes } = config.history;
  if (refreshMinutes === 0) {
    return { level: "ok", check, detail: `collected ${collectedAt}, ${ago(ageMs)}; refreshed only by wiam collect (history.refreshMinutes: 0)` };
  }
  if (ageMs > STALE_AFTER_INTERVALS * refreshMinutes * MINUTE_MS) {
    return {
      level: "warning",
      check,
      detail:
        `collected ${collectedAt}, ${ago(ageMs)}: stale, older than ${STALE_AFTER_INTERVALS} refresh intervals (history.refreshMinutes: ${refreshMinutes}); ` +
        "is a server running with history on? Its log says why a refresh failed; wiam collect refreshes now",
    };
  }
  return { level: "ok", check, detail: `collected ${collectedAt}, ${ago(ageMs)}; refreshed every ${refreshMinutes} minutes` };
}

/** Collections the next prune would drop, as the stores' prune rule reads (kept: the copy's own and the latest `keep`). */
function pastRetention(collections: readonly StoredCollection[], copy: StoredCopy, cutoff: string, keep: number): number {
  return collections.filter((c, index) => c.collectedAt < cutoff && c.id !== copy.collection.id && collections.length - 1 - index >= keep).length;
}

async function retention(store: InventorySnapshotStore, copy: StoredCopy, check: string, config: WiamConfig, now: Date): Promise<DoctorCheck> {
  const { retentionDays, keepCollections } = config.history;
  const collections = await store.collections({ source: copy.collection.source });
  const oldest = collections[0];
  const rule = `history.retentionDays: ${retentionDays}, history.keepCollections: ${keepCollections}`;
  const kept = `${count(collections.length, "collection")} in its history${oldest ? `, the oldest collected ${oldest.collectedAt}` : ""}`;
  const due = pastRetention(collections, copy, new Date(now.getTime() - retentionDays * DAY_MS).toISOString(), keepCollections);
  if (due > 0) {
    return { level: "warning", check, detail: `${kept}; ${due} past retention (${rule}), dropped at the source's next stored collection: is it refreshed?` };
  }
  return { level: "ok", check, detail: `${kept}; none past retention (${rule})` };
}

/** Files in the copies' directory no row names: left by a write that was interrupted. */
function strayCopies(copiesDir: string, copies: readonly StoredCopy[]): DoctorCheck[] {
  if (!existsSync(copiesDir)) return [];
  const named = new Set(copies.map((copy) => copy.file).filter((file): file is string => file !== null));
  const stray = readdirSync(copiesDir).filter((name) => !named.has(join(copiesDir, name)));
  if (stray.length === 0) return [];
  return [{ level: "warning", check: CHECK, detail: `${count(stray.length, "file")} in ${copiesDir} belong${stray.length === 1 ? "s" : ""} to no stored copy (left by an interrupted write): safe to delete while no server runs` }];
}

async function copyChecks(store: InventorySnapshotStore, copies: readonly StoredCopy[], options: StoredInventoryDoctorOptions, key: Buffer | null): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const stored = new Set(copies.map((copy) => copy.collection.source));
  for (const copy of copies) {
    const connector = connectorOf(copy.collection.source, options.sources);
    const check = `stored copy ${connector} (collection ${copy.collection.id})`;
    if (!options.sources.has(copy.collection.source)) {
      checks.push({
        level: "ok",
        check,
        detail: `source ${copy.collection.source} is from an earlier configuration of ${connector} (its providers settings changed since): never served, kept with its history`,
      });
      continue;
    }
    checks.push(await integrity(store, copy, connector, check, key));
    checks.push(age(copy, check, options.config, options.now));
    if (copy.file !== null && existsSync(copy.file)) checks.push(privacy(check, "file", copy.file, 0o600));
    checks.push(await retention(store, copy, check, options.config, options.now));
  }
  for (const [source, connector] of options.sources) {
    if (!stored.has(source)) checks.push({ level: "ok", check: `stored copy ${connector}`, detail: "none yet: the first collection stores it (wiam collect, or the server's first answer)" });
  }
  return checks;
}

function summary(kind: string, where: string, schemaVersion: number, copies: number): DoctorCheck {
  return { level: "ok", check: CHECK, detail: `${kind} ${where}, schema version ${schemaVersion}: ${count(copies, "stored copy", "stored copies")}` };
}

function schemaProblem(where: string, found: number, known: number): DoctorCheck {
  return found > known
    ? { level: "error", check: CHECK, detail: `${where}: schema version ${found} is newer than this release knows (${known}): written by a newer workload-iam-mcp; upgrade this host` }
    : { level: "warning", check: CHECK, detail: `${where}: schema version ${found} of ${known}: the server migrates it when it next starts; the stored copies are checked after that` };
}

async function sqliteChecks(options: StoredInventoryDoctorOptions, key: Buffer | null): Promise<DoctorCheck[]> {
  const path = join(options.dataDir, INVENTORY_DB_FILE);
  if (!existsSync(path)) return [{ level: "ok", check: CHECK, detail: `${path} not created yet: a server with history on creates it` }];
  const checks: DoctorCheck[] = [privacy(CHECK, "database", path, 0o600)];
  const copiesDir = copiesDirOf(path);
  if (existsSync(copiesDir)) checks.push(privacy(CHECK, "copies directory", copiesDir, 0o700));
  let inspected: ReturnType<typeof SqliteSnapshotStore.inspect>;
  try {
    inspected = SqliteSnapshotStore.inspect(path);
  } catch (error) {
    return [...checks, { level: "error", check: CHECK, detail: `${path} does not open: ${error instanceof Error ? error.message : String(error)}; move it aside and the server starts a new one` }];
  }
  const { store, schemaVersion, knownVersion } = inspected;
  if (store === null) return [...checks, schemaProblem(path, schemaVersion, knownVersion)];
  try {
    const copies = await store.copies();
    checks.unshift(summary("sqlite", path, schemaVersion, copies.length));
    checks.push(...strayCopies(copiesDir, copies), ...(await copyChecks(store, copies, options, key)));
    return checks;
  } catch (error) {
    return [...checks, { level: "error", check: CHECK, detail: `${path} could not be read: ${error instanceof Error ? error.message : String(error)}` }];
  } finally {
    await store.close();
  }
}

async function postgresChecks(options: StoredInventoryDoctorOptions, postgres: NonNullable<StoredInventoryDoctorOptions["postgres"]>, key: Buffer | null): Promise<DoctorCheck[]> {
  const where = "PostgreSQL (state.postgres)";
  if ("unavailable" in postgres) return [{ level: "error", check: CHECK, detail: `${where} could not be opened: ${postgres.unavailable}` }];
  let inspected: Awaited<ReturnType<typeof PostgresSnapshotStore.inspect>>;
  try {
    inspected = await PostgresSnapshotStore.inspect(postgres.pool);
  } catch (error) {
    return [{ level: "error", check: CHECK, detail: `${where} could not be read: ${describePostgresFailure(error)}` }];
  }
  const { store, schemaVersion, knownVersion } = inspected;
  if (schemaVersion === 0) return [{ level: "ok", check: CHECK, detail: `${where}: no inventory tables yet: a server with history on creates them` }];
  if (store === null) return [schemaProblem(where, schemaVersion, knownVersion)];
  try {
    const copies = await store.copies();
    return [summary("postgres", "(state.postgres)", schemaVersion, copies.length), ...(await copyChecks(store, copies, options, key))];
  } catch (error) {
    return [{ level: "error", check: CHECK, detail: `${where} could not be read: ${describePostgresFailure(error)}` }];
  }
}

export async function storedInventoryChecks(options: StoredInventoryDoctorOptions): Promise<DoctorCheck[]> {
  const { config, dataDir } = options;
  if (!config.history.enabled) {
    const leftover = config.state.postgres === undefined && existsSync(join(dataDir, INVENTORY_DB_FILE));
    return [
      {
        level: "ok",
        check: CHECK,
        detail: `history is off (history.enabled: false): each process collects afresh and nothing is stored${leftover ? `; ${join(dataDir, INVENTORY_DB_FILE)} is left from when it was on and is not read` : ""}`,
      },
    ];
  }
  let key: Buffer | null;
  try {
    key = existingStoredInventoryKey(config, dataDir);
  } catch (error) {
    return [{ level: "error", check: CHECK, detail: `the copies' checksum key cannot be read: ${error instanceof Error ? error.message : String(error)}` }];
  }
  if (config.state.postgres !== undefined) {
    return postgresChecks(options, options.postgres ?? { unavailable: "no connection was opened" }, key);
  }
  return sqliteChecks(options, key);
}
