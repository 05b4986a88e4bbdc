/**
 * The inventory store in PostgreSQL, for replicas that share one estate: whichever replica
 * refreshes a source stores it, and every replica's next load serves it. Writes of one source are
 * serialised by an advisory lock on the source, and a write computed against an older collection
 * than the latest is refused (CollectionConflict), so no delta skips a collection.
 */
import type pg from "pg";
import { postgresSchemaVersion } from "../state/migrations.js";
import type { Migration } from "../state/state-store.js";
import {
  CollectionConflict,
  chunksOf,
  joinChunks,
  type CollectionFilter,
  type InventorySnapshotStore,
  type LatestCollection,
  type NewCollection,
  type RetentionRule,
  type StoredCollection,
  type StoredCopy,
} from "./snapshot-store.js";

export const INVENTORY_POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "collections with their deltas, and each source's latest full copy in chunks",
    sql: `
      CREATE TABLE wiam_inventory_collections (
        id BIGSERIAL PRIMARY KEY,
        source TEXT NOT NULL,
        collected_at TEXT NOT NULL,
        stored_at TEXT NOT NULL,
        base_id BIGINT,
        counts TEXT NOT NULL,
        delta BYTEA,
        reach BYTEA
      );
      CREATE INDEX wiam_inventory_collections_by_source ON wiam_inventory_collections (source, id);
      CREATE TABLE wiam_inventory_latest (
        source TEXT NOT NULL,
        chunk INTEGER NOT NULL,
        collection_id BIGINT NOT NULL,
        bytes BYTEA NOT NULL,
        PRIMARY KEY (source, chunk)
      );`,
  },
  {
    version: 2,
    description: "the id of the key that checksummed each full copy, for wiam doctor",
    sql: "ALTER TABLE wiam_inventory_latest ADD COLUMN key_id TEXT;",
  },
];

interface CollectionRow {
  id: string;
  source: string;
  collected_at: string;
  stored_at: string;
  base_id: string | null;
  counts: string;
}

const COLUMNS = "id::text AS id, source, collected_at, stored_at, base_id::text AS base_id, counts";

function collectionOf(row: CollectionRow): StoredCollection {
  return {
    id: row.id,
    source: row.source,
    collectedAt: row.collected_at,
    storedAt: row.stored_at,
    baseId: row.base_id,
    counts: JSON.parse(row.counts) as Record<string, number>,
  };
}

export class PostgresSnapshotStore implements InventorySnapshotStore {
  readonly kind = "postgres";

  /** `pool` must already carry the inventory migrations (see `open`). */
  constructor(private readonly pool: pg.Pool) {}

  /**
   * The store over a pool, without migrating, for `wiam doctor`: the schema version found, and
   * the store when it is this build's.
   */
  static async inspect(pool: pg.Pool): Promise<{ schemaVersion: number; knownVersion: number; store: PostgresSnapshotStore | null }> {
    const schemaVersion = await postgresSchemaVersion(pool, "inventory");
    const knownVersion = INVENTORY_POSTGRES_MIGRATIONS.length;
    return { schemaVersion, knownVersion, store: schemaVersion === knownVersion ? new PostgresSnapshotStore(pool) : null };
  }

  /** Applies the inventory schema through the state store's migration runner, then opens. */
  static async open(pool: pg.Pool, migrate: (component: string, migrations: readonly Migration[]) => Promise<void>): Promise<PostgresSnapshotStore> {
    await migrate("inventory", INVENTORY_POSTGRES_MIGRATIONS);
    return new PostgresSnapshotStore(pool);
  }

  async latest(source: string): Promise<LatestCollection | null> {
    const client = await this.pool.connect();
    try {
      // One snapshot of the database: a concurrent put cannot mix two collections' chunks.
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const chunks = await client.query<{ collection_id: string; bytes: Buffer }>(
        "SELECT collection_id::text AS collection_id, bytes FROM wiam_inventory_latest WHERE source = $1 ORDER BY chunk",
        [source],
      );
      const first = chunks.rows[0];
      let found: LatestCollection | null = null;
      if (first) {
        const row = await client.query<CollectionRow & { reach: Buffer | null }>(`SELECT ${COLUMNS}, reach FROM wiam_inventory_collections WHERE id = $1`, [first.collection_id]);
        const collection = row.rows[0];
        if (collection) found = { collection: collectionOf(collection), blob: joinChunks(chunks.rows.map((chunk) => chunk.bytes)), reach: collection.reach };
      }
      await client.query("COMMIT");
      return found;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async put(entry: NewCollection): Promise<StoredCollection> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`wiam_inventory:${entry.source}`]);
      const latest = await client.query<{ id: string }>("SELECT id::text AS id FROM wiam_inventory_collections WHERE source = $1 ORDER BY id DESC LIMIT 1", [entry.source]);
      const found = latest.rows[0]?.id ?? null;
      if (found !== entry.baseId) throw new CollectionConflict(entry.source, entry.baseId, found);
      const inserted = await client.query<{ id: string }>(
        "INSERT INTO wiam_inventory_collections (source, collected_at, stored_at, base_id, counts, delta, reach) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id::text AS id",
        [entry.source, entry.collectedAt, entry.storedAt, entry.baseId, JSON.stringify(entry.counts), entry.delta, entry.reach],
      );
      const id = inserted.rows[0]?.id;
      if (id === undefined) throw new Error("inventory store: insert returned no id");
      await client.query("DELETE FROM wiam_inventory_latest WHERE source = $1", [entry.source]);
      let index = 0;
      for (const chunk of chunksOf(entry.blob)) {
        await client.query("INSERT INTO wiam_inventory_latest (source, chunk, collection_id, bytes, key_id) VALUES ($1, $2, $3, $4, $5)", [
          entry.source,
          index++,
          id,
          chunk,
          entry.keyId ?? null,
        ]);
      }
      await client.query("COMMIT");
      return { id, source: entry.source, collectedAt: entry.collectedAt, storedAt: entry.storedAt, baseId: entry.baseId, counts: entry.counts };
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async collections(filter: CollectionFilter = {}): Promise<StoredCollection[]> {
    const where: string[] = [];
    const values: string[] = [];
    if (filter.source !== undefined) {
      values.push(filter.source);
      where.push(`source = $${values.length}`);
    }
    if (filter.collectedAfter !== undefined) {
      values.push(filter.collectedAfter);
      where.push(`collected_at > $${values.length}`);
    }
    if (filter.afterId !== undefined) {
      values.push(filter.afterId);
      where.push(`id > $${values.length}::bigint`);
    }
    const result = await this.pool.query<CollectionRow>(
      `SELECT ${COLUMNS} FROM wiam_inventory_collections${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id`,
      values,
    );
    return result.rows.map(collectionOf);
  }

  async collection(id: string): Promise<StoredCollection | null> {
    if (!/^\d{1,15}$/.test(id)) return null;
    const result = await this.pool.query<CollectionRow>(`SELECT ${COLUMNS} FROM wiam_inventory_collections WHERE id = $1::bigint`, [id]);
    const row = result.rows[0];
    return row ? collectionOf(row) : null;
  }

  async deltas(ids: readonly string[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    if (ids.length === 0) return out;
    const result = await this.pool.query<{ id: string; delta: Buffer | null }>(
      "SELECT id::text AS id, delta FROM wiam_inventory_collections WHERE id = ANY($1::bigint[])",
      [ids],
    );
    for (const row of result.rows) if (row.delta) out.set(row.id, row.delta);
    return out;
  }

  async copies(): Promise<StoredCopy[]> {
    const result = await this.pool.query<CollectionRow & { key_id: string | null }>(
      `SELECT c.id::text AS id, c.source, c.collected_at, c.stored_at, c.base_id::text AS base_id, c.counts, l.key_id
         FROM wiam_inventory_latest l JOIN wiam_inventory_collections c ON c.id = l.collection_id
        WHERE l.chunk = 0 ORDER BY l.source`,
    );
    return result.rows.map((row) => ({ collection: collectionOf(row), keyId: row.key_id, file: null }));
  }

  async dropLatest(source: string): Promise<void> {
    await this.pool.query("DELETE FROM wiam_inventory_latest WHERE source = $1", [source]);
  }

  async prune(rule: RetentionRule): Promise<number> {
    const result = await this.pool.query(
      `DELETE FROM wiam_inventory_collections c WHERE c.collected_at < $1
         AND c.id NOT IN (SELECT collection_id FROM wiam_inventory_latest)
         AND (SELECT count(*) FROM wiam_inventory_collections newer WHERE newer.source = c.source AND newer.id > c.id) >= $2`,
      [rule.collectedBefore, rule.keepPerSource],
    );
    return result.rowCount ?? 0;
  }

  async close(): Promise<void> {
    // The pool belongs to the state store, which closes it.
  }
}
