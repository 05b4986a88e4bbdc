/**
 * The inventory store in SQLite: its own file, `inventory.db` in the data directory, not a table in
 * the audit database. The audit log is evidence (hash-chained, kept for a year, copied for review);
 * stored inventories are a cache with history, rewritten on every refresh and tens of megabytes at
 * 100k identities. Apart, an admin can delete the inventory without touching the evidence, and a
 * refresh's large write never holds the audit log's lock.
 *
 * The full copies themselves are files beside it (`inventory-copies/`, one per source, mode 0600),
 * named by the database row that serves them: SQLite reads a 63 MB value at about a fifth of the
 * speed of reading the file, and that read is most of a restart's first answer. A copy is written
 * (and synced) under a fresh name before the row naming it is committed, and the copy it replaced
 * is removed after, so the row always names a whole file.
 */
import { createHash, randomUUID } from "node:crypto";
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { migrateSqlite, sqliteSchemaVersion } from "../state/migrations.js";
import type { SqliteMigration } from "../state/state-store.js";
import {
  CollectionConflict,
  joinChunks,
  type CollectionFilter,
  type InventorySnapshotStore,
  type LatestCollection,
  type NewCollection,
  type RetentionRule,
  type StoredCollection,
  type StoredCopy,
} from "./snapshot-store.js";

export const INVENTORY_DB_FILE = "inventory.db";

interface CollectionRow {
  id: number;
  source: string;
  collected_at: string;
  stored_at: string;
  base_id: number | null;
  counts: string;
}

function collectionOf(row: CollectionRow): StoredCollection {
  return {
    id: String(row.id),
    source: row.source,
    collectedAt: row.collected_at,
    storedAt: row.stored_at,
    baseId: row.base_id === null ? null : String(row.base_id),
    counts: JSON.parse(row.counts) as Record<string, number>,
  };
}

/** The inventory component's schema (shared with src/state's migration runner and version table). */
export const INVENTORY_SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: "collections with their deltas, and each source's latest full copy in chunks",
    sql: `
      CREATE TABLE inventory_collections (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        source TEXT NOT NULL,
        collected_at TEXT NOT NULL,
        stored_at TEXT NOT NULL,
        base_id INTEGER,
        counts TEXT NOT NULL,
        delta BLOB,
        reach BLOB
      );
      CREATE INDEX inventory_collections_by_source ON inventory_collections (source, id);
      CREATE TABLE inventory_latest (
        source TEXT NOT NULL,
        chunk INTEGER NOT NULL,
        collection_id INTEGER NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (source, chunk)
      );`,
  },
  {
    version: 2,
    description: "full copies in files beside the database: the row names its file",
    sql: "ALTER TABLE inventory_latest ADD COLUMN copy_file TEXT;",
  },
  {
    version: 3,
    description: "the id of the key that checksummed each full copy, for wiam doctor",
    sql: "ALTER TABLE inventory_latest ADD COLUMN key_id TEXT;",
  },
];

/** Where the full copies of the store at `dbPath` live. */
export function copiesDirOf(dbPath: string): string {
  return join(dirname(dbPath), "inventory-copies");
}

/** Writes `bytes` under a fresh name in `dir`, synced, readable by the owner only; returns the name. */
function writeCopy(dir: string, source: string, bytes: Buffer): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const name = `${createHash("sha256").update(source).digest("hex").slice(0, 16)}-${randomUUID()}.wiamcol`;
  const temporary = join(dir, `.${name}.tmp`);
  const fd = openSync(temporary, "wx", 0o600);
  try {
    for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, join(dir, name));
  return name;
}

export class SqliteSnapshotStore implements InventorySnapshotStore {
  readonly kind = "sqlite";

  /** A database already opened and migrated (the state store's `tables.openDatabase`), and its copies' directory. */
  constructor(
    private readonly db: Database.Database,
    private readonly copiesDir: string,
  ) {}

  /** Opens (creating, mode 0600) `<dataDir>/inventory.db`, or the file at `path`. */
  static open(options: { dataDir: string } | { path: string }): SqliteSnapshotStore {
    const path = "path" in options ? options.path : join(options.dataDir, INVENTORY_DB_FILE);
    // Created owner-only before SQLite opens it: it holds the estate's metadata.
    closeSync(openSync(path, "a", 0o600));
    chmodSync(path, 0o600);
    const db = new Database(path, { timeout: 10_000 });
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      migrateSqlite(db, "inventory", INVENTORY_SQLITE_MIGRATIONS, path);
    } catch (error) {
      db.close();
      throw error;
    }
    return new SqliteSnapshotStore(db, copiesDirOf(path));
  }

  /**
   * Opens an existing `inventory.db` read-only and without migrating it, for `wiam doctor`: its
   * schema version, and the store when the version is this build's (else null: an older one is
   * migrated by the server's next start, a newer one was written by a newer release).
   */
  static inspect(path: string): { schemaVersion: number; knownVersion: number; store: SqliteSnapshotStore | null } {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    const knownVersion = INVENTORY_SQLITE_MIGRATIONS.length;
    try {
      const schemaVersion = sqliteSchemaVersion(db, "inventory");
      if (schemaVersion !== knownVersion) {
        db.close();
        return { schemaVersion, knownVersion, store: null };
      }
      return { schemaVersion, knownVersion, store: new SqliteSnapshotStore(db, copiesDirOf(path)) };
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async latest(source: string): Promise<LatestCollection | null> {
    return this.db.transaction(() => {
      const chunks = this.db
        .prepare<[string], { collection_id: number; bytes: Buffer; copy_file: string | null }>(
          "SELECT collection_id, bytes, copy_file FROM inventory_latest WHERE source = ? ORDER BY chunk",
        )
        .all(source);
      const first = chunks[0];
      if (!first) return null;
      const row = this.db
        .prepare<[number], CollectionRow & { reach: Buffer | null }>("SELECT id, source, collected_at, stored_at, base_id, counts, reach FROM inventory_collections WHERE id = ?")
        .get(first.collection_id);
      if (!row) return null;
      return { collection: collectionOf(row), blob: first.copy_file === null ? joinChunks(chunks.map((chunk) => chunk.bytes)) : this.readCopy(first.copy_file), reach: row.reach };
    })();
  }

  /** A copy's bytes; a missing or unreadable file reads as nothing, which the decoder refuses (and the source is collected again). */
  private readCopy(name: string): Buffer {
    try {
      return readFileSync(join(this.copiesDir, name));
    } catch {
      return Buffer.alloc(0);
    }
  }

  private removeCopies(names: readonly (string | null)[]): void {
    for (const name of names) if (name !== null) rmSync(join(this.copiesDir, name), { force: true });
  }

  async put(entry: NewCollection): Promise<StoredCollection> {
    const copy = writeCopy(this.copiesDir, entry.source, entry.blob);
    let replaced: (string | null)[] = [];
    try {
      const stored = this.db.transaction(() => {
        const latest = this.db
          .prepare<[string], { id: number }>("SELECT id FROM inventory_collections WHERE source = ? ORDER BY id DESC LIMIT 1")
          .get(entry.source);
        const found = latest === undefined ? null : String(latest.id);
        if (found !== entry.baseId) throw new CollectionConflict(entry.source, entry.baseId, found);
        const inserted = this.db
          .prepare<[string, string, string, number | null, string, Buffer | null, Buffer]>(
            "INSERT INTO inventory_collections (source, collected_at, stored_at, base_id, counts, delta, reach) VALUES (?, ?, ?, ?, ?, ?, ?)",
          )
          .run(entry.source, entry.collectedAt, entry.storedAt, entry.baseId === null ? null : Number(entry.baseId), JSON.stringify(entry.counts), entry.delta, entry.reach);
        const id = Number(inserted.lastInsertRowid);
        replaced = this.db.prepare<[string], { copy_file: string | null }>("SELECT copy_file FROM inventory_latest WHERE source = ?").all(entry.source).map((r) => r.copy_file);
        this.db.prepare<[string]>("DELETE FROM inventory_latest WHERE source = ?").run(entry.source);
        this.db
          .prepare<[string, number, Buffer, string, string | null]>("INSERT INTO inventory_latest (source, chunk, collection_id, bytes, copy_file, key_id) VALUES (?, 0, ?, ?, ?, ?)")
          .run(entry.source, id, Buffer.alloc(0), copy, entry.keyId ?? null);
        return {
          id: String(id),
          source: entry.source,
          collectedAt: entry.collectedAt,
          storedAt: entry.storedAt,
          baseId: entry.baseId,
          counts: entry.counts,
        };
      }).immediate();
      this.removeCopies(replaced);
      return stored;
    } catch (error) {
      this.removeCopies([copy]);
      throw error;
    }
  }

  async collections(filter: CollectionFilter = {}): Promise<StoredCollection[]> {
    const where: string[] = [];
    const values: (string | number)[] = [];
    if (filter.source !== undefined) {
      where.push("source = ?");
      values.push(filter.source);
    }
    if (filter.collectedAfter !== undefined) {
      where.push("collected_at > ?");
      values.push(filter.collectedAfter);
    }
    if (filter.afterId !== undefined) {
      where.push("id > ?");
      values.push(Number(filter.afterId));
    }
    const sql = `SELECT id, source, collected_at, stored_at, base_id, counts FROM inventory_collections${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id`;
    return this.db.prepare<(string | number)[], CollectionRow>(sql).all(...values).map(collectionOf);
  }

  async collection(id: string): Promise<StoredCollection | null> {
    if (!/^\d{1,15}$/.test(id)) return null;
    const row = this.db.prepare<[number], CollectionRow>("SELECT id, source, collected_at, stored_at, base_id, counts FROM inventory_collections WHERE id = ?").get(Number(id));
    return row ? collectionOf(row) : null;
  }

  async deltas(ids: readonly string[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    const select = this.db.prepare<[number], { delta: Buffer | null }>("SELECT delta FROM inventory_collections WHERE id = ?");
    for (const id of ids) {
      const row = select.get(Number(id));
      if (row?.delta) out.set(id, row.delta);
    }
    return out;
  }

  async copies(): Promise<StoredCopy[]> {
    return this.db
      .prepare<[], CollectionRow & { copy_file: string | null; key_id: string | null }>(
        `SELECT c.id, c.source, c.collected_at, c.stored_at, c.base_id, c.counts, l.copy_file, l.key_id
           FROM inventory_latest l JOIN inventory_collections c ON c.id = l.collection_id
          WHERE l.chunk = 0 ORDER BY l.source`,
      )
      .all()
      .map((row) => ({ collection: collectionOf(row), keyId: row.key_id, file: row.copy_file === null ? null : join(this.copiesDir, row.copy_file) }));
  }

  async dropLatest(source: string): Promise<void> {
    const copies = this.db.prepare<[string], { copy_file: string | null }>("SELECT copy_file FROM inventory_latest WHERE source = ?").all(source).map((r) => r.copy_file);
    this.db.prepare<[string]>("DELETE FROM inventory_latest WHERE source = ?").run(source);
    this.removeCopies(copies);
  }

  async prune(rule: RetentionRule): Promise<number> {
    return this.db.transaction(() => {
      // A source's latest `keepPerSource` collections stay whatever their age, and so does every
      // collection whose full copy is the one kept.
      const result = this.db
        .prepare<[string, number]>(
          `DELETE FROM inventory_collections WHERE collected_at < ?
             AND id NOT IN (SELECT collection_id FROM inventory_latest)
             AND (SELECT count(*) FROM inventory_collections newer
                  WHERE newer.source = inventory_collections.source AND newer.id > inventory_collections.id) >= ?`,
        )
        .run(rule.collectedBefore, rule.keepPerSource);
      return result.changes;
    })();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
