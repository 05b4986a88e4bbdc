/**
 * Where collected inventories are kept between runs: the latest collection of each source in full
 * (the columnar form, src/history/columnar-codec.ts) and every collection's changes against the one
 * before it (src/history/collection-delta.ts), so a restart serves without collecting and
 * `what_changed` can answer from the deltas alone.
 *
 * A source is one connector and what it was configured to read (`aws@<hash of providers.aws>`):
 * a config that names other accounts starts a history of its own instead of diffing against a
 * different estate.
 */

/** One stored collection of one source. Ids increase with every collection a store keeps. */
export interface StoredCollection {
  id: string;
  source: string;
  collectedAt: string;
  storedAt: string;
  /** The collection this one's delta is against; null for the first of its source. */
  baseId: string | null;
  /** Items per list (principals, grants, ...), for listings without reading the blob. */
  counts: Record<string, number>;
}

export interface LatestCollection {
  collection: StoredCollection;
  blob: Buffer;
  reach: Buffer | null;
}

export interface NewCollection {
  source: string;
  collectedAt: string;
  storedAt: string;
  counts: Record<string, number>;
  /** The full collection, columnar: replaces the source's previous full copy. */
  blob: Buffer;
  /** Allowed paths to sensitive resources in this collection (compressed JSON), diffed by the next one. */
  reach: Buffer;
  /** Changes against `baseId` (compressed JSON); null for a first collection. */
  delta: Buffer | null;
  /**
   * The collection the delta was computed against: the store refuses the write when the source's
   * latest is another one (a replica stored in between), so no delta skips a collection.
   */
  baseId: string | null;
  /**
   * Which key checksummed the full copy (storedCopyKeyId), kept beside it so `wiam doctor` can
   * tell a copy written under another key from a damaged one. Not secret, and not trusted: the
   * checksum alone decides whether a copy is served.
   */
  keyId?: string | undefined;
}

/** A source's latest full copy as the store keeps it, for `wiam doctor`. */
export interface StoredCopy {
  collection: StoredCollection;
  /** The key id written with the copy; null when written before key ids were kept. */
  keyId: string | null;
  /** The file holding the copy (SQLite keeps copies in files); null when it is in the database. */
  file: string | null;
}

export class CollectionConflict extends Error {
  constructor(
    source: string,
    expected: string | null,
    /** The source's latest stored collection. */
    readonly found: string | null,
  ) {
    super(`collection of ${source}: computed against ${expected ?? "nothing"}, but the latest stored is ${found ?? "nothing"}`);
    this.name = "CollectionConflict";
  }
}

export interface CollectionFilter {
  source?: string | undefined;
  /** Collections taken after this time (ISO 8601). */
  collectedAfter?: string | undefined;
  /** Collections stored after this one (by id). */
  afterId?: string | undefined;
}

export interface RetentionRule {
  /** Deltas of collections taken before this time are dropped. */
  collectedBefore: string;
  /** ... but each source keeps at least its latest this many. */
  keepPerSource: number;
}

export interface InventorySnapshotStore {
  /** "sqlite" or "postgres", for status output. */
  readonly kind: string;
  /** The source's latest collection with its full copy, or null when none is stored. */
  latest(source: string): Promise<LatestCollection | null>;
  /** Stores a collection atomically: its row, its delta and the source's new full copy, or nothing. */
  put(entry: NewCollection): Promise<StoredCollection>;
  /** Collections in id order. */
  collections(filter?: CollectionFilter): Promise<StoredCollection[]>;
  collection(id: string): Promise<StoredCollection | null>;
  /** The deltas of these collections (those that have one). */
  deltas(ids: readonly string[]): Promise<Map<string, Buffer>>;
  /** Every source's latest full copy (without its bytes: `latest` reads them), by source. */
  copies(): Promise<StoredCopy[]>;
  /** Forgets the source's full copy (found unreadable): the next load collects afresh. */
  dropLatest(source: string): Promise<void>;
  /** Drops old collections' rows and deltas; returns how many. */
  prune(rule: RetentionRule): Promise<number>;
  close(): Promise<void>;
}

/**
 * Full copies are written to PostgreSQL in parts: it sends bytea as hex text, so a part stays far
 * below V8's longest string. (SQLite keeps each copy in a file of its own.)
 */
export const BLOB_CHUNK_BYTES = 32 * 1024 * 1024;

export function chunksOf(blob: Buffer, chunkBytes = BLOB_CHUNK_BYTES): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < blob.length; offset += chunkBytes) chunks.push(blob.subarray(offset, offset + chunkBytes));
  return chunks.length === 0 ? [Buffer.alloc(0)] : chunks;
}

/** The parts joined: a single part as it is (joining copies, and 100 MB copies are not free). */
export function joinChunks(chunks: readonly Buffer[]): Buffer {
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

/**
 * A store that is still opening (PostgreSQL migrates asynchronously, while the app is built
 * synchronously): every call waits for the opening, and an opening that failed fails each call.
 */
export class OpeningSnapshotStore implements InventorySnapshotStore {
  constructor(
    readonly kind: string,
    private readonly opening: Promise<InventorySnapshotStore>,
  ) {
    // Reported by the first call that needs the store, not as an unhandled rejection.
    opening.catch(() => undefined);
  }

  async latest(source: string): Promise<LatestCollection | null> {
    return (await this.opening).latest(source);
  }

  async put(entry: NewCollection): Promise<StoredCollection> {
    return (await this.opening).put(entry);
  }

  async collections(filter?: CollectionFilter): Promise<StoredCollection[]> {
    return (await this.opening).collections(filter);
  }

  async collection(id: string): Promise<StoredCollection | null> {
    return (await this.opening).collection(id);
  }

  async deltas(ids: readonly string[]): Promise<Map<string, Buffer>> {
    return (await this.opening).deltas(ids);
  }

  async copies(): Promise<StoredCopy[]> {
    return (await this.opening).copies();
  }

  async dropLatest(source: string): Promise<void> {
    return (await this.opening).dropLatest(source);
  }

  async prune(rule: RetentionRule): Promise<number> {
    return (await this.opening).prune(rule);
  }

  async close(): Promise<void> {
    const store = await this.opening.catch(() => null);
    await store?.close();
  }
}
