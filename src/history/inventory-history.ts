/**
 * Stored inventories and their history, over one InventorySnapshotStore: loads a source's latest
 * collection (refusing a damaged one), records a new collection as a full copy plus its delta
 * against the previous one, applies retention, and reads the changes back for `what_changed`.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { z } from "zod";
import { Inventory } from "../model/inventory-index.js";
import { StoredInventoryUnreadable, decodeInventory, encodeInventory, type ColumnarInventory } from "./columnar-codec.js";
import { decodeDelta, diffCollections, encodeDelta, type EntityChange, type SensitiveReach } from "./collection-delta.js";
import { storedCopyKeyId } from "./copy-key.js";
import { sensitiveReach, type SensitiveSettings } from "./sensitive-reach.js";
import { CollectionConflict, type InventorySnapshotStore, type StoredCollection } from "./snapshot-store.js";

export interface HistorySettings {
  retentionDays: number;
  /** Each source keeps at least this many collections, whatever their age. */
  keepCollections: number;
  sensitive: SensitiveSettings;
}

/** A source's collection as the server holds it: the columns and the sensitive reach. */
export interface StoredPart {
  source: string;
  /** Null when it could not be stored (the store failed): served, but not in history. */
  collection: StoredCollection | null;
  collectedAt: string;
  inventory: ColumnarInventory;
  reach: SensitiveReach[];
}

export type LoadResult = { part: StoredPart } | { unreadable: string; latestId: string } | null;

/** One change as `what_changed` reads it: the entity change and the collection that first saw it. */
export interface RecordedChange extends EntityChange {
  collectionId: string;
  collectedAt: string;
  source: string;
}

export interface ChangeHistory {
  /** The collections read, oldest first. */
  collections: StoredCollection[];
  changes: RecordedChange[];
  /** Collections whose changes are not known (first of their source, or stored after an unreadable copy). */
  notCompared: StoredCollection[];
}

const reachSchema = z.array(
  z.object({ resource: z.string(), principal: z.string(), provider: z.string(), via: z.string(), hops: z.number().int().min(0) }),
);

const DAY_MS = 86_400_000;

export class InventoryHistory {
  /**
   * `key` keys the stored copies' checksum (HMAC-SHA256), so a copy written by anyone without it
   * is refused like a damaged one; the app derives it from the server's redaction key.
   */
  constructor(
    readonly store: InventorySnapshotStore,
    private readonly settings: () => HistorySettings,
    private readonly now: () => Date = () => new Date(),
    private readonly key?: Buffer,
  ) {}

  /** The source's latest stored collection; `unreadable` when it is damaged (it is forgotten, never served). */
  async load(source: string): Promise<LoadResult> {
    const latest = await this.store.latest(source);
    if (!latest) return null;
    let inventory: ColumnarInventory;
    let reach: SensitiveReach[] = [];
    try {
      inventory = decodeInventory(latest.blob, this.key);
      if (latest.reach) {
        const parsed = reachSchema.safeParse(JSON.parse(gunzipSync(latest.reach).toString("utf8")));
        if (!parsed.success) throw new StoredInventoryUnreadable("sensitive reach list damaged");
        reach = parsed.data;
      }
    } catch (error) {
      const reason = error instanceof StoredInventoryUnreadable ? error.message : `stored inventory unreadable: ${(error as Error).message}`;
      await this.store.dropLatest(source);
      return { unreadable: reason, latestId: latest.collection.id };
    }
    return { part: { source, collection: latest.collection, collectedAt: latest.collection.collectedAt, inventory, reach } };
  }

  /**
   * Stores a new collection of `source`: its full copy and its changes against `previous` (none
   * when `previous` is null; `baseId` then names the collection it follows, if any).
   */
  async record(source: string, inventory: ColumnarInventory, previous: StoredPart | null, baseId: string | null = previous?.collection?.id ?? null): Promise<StoredPart> {
    const settings = this.settings();
    const { tags, resources } = settings.sensitive;
    // Nothing marked sensitive: no search (and no index built for one).
    const reach = Object.keys(tags).length === 0 && resources.length === 0 ? [] : sensitiveReach(new Inventory(inventory.snapshot, { grants: inventory.grants }), settings.sensitive);
    const blob = encodeInventory(inventory.snapshot, inventory.grants, this.key);
    const counts: Record<string, number> = {
      scopes: inventory.snapshot.scopes.length,
      principals: inventory.snapshot.principals.length,
      credentials: inventory.snapshot.credentials.length,
      vaultItems: inventory.snapshot.vaultItems.length,
      policies: inventory.snapshot.policies.length,
      grants: inventory.grants.length,
      trustEdges: inventory.snapshot.trustEdges.length,
      paths: reach.length,
    };
    const deltaAgainst = (base: StoredPart | null) =>
      base ? encodeDelta(diffCollections(base.inventory, inventory, { before: base.reach, after: reach })) : null;
    const entry = {
      source,
      collectedAt: inventory.snapshot.generatedAt,
      storedAt: this.now().toISOString(),
      counts,
      blob,
      reach: gzipSync(Buffer.from(JSON.stringify(reach), "utf8")),
      keyId: this.key === undefined ? undefined : storedCopyKeyId(this.key),
    };
    let collection: StoredCollection;
    try {
      collection = await this.store.put({ ...entry, delta: deltaAgainst(previous), baseId });
    } catch (error) {
      if (!(error instanceof CollectionConflict)) throw error;
      // Another replica stored a collection of this source meanwhile: diff against that one (when
      // its full copy is readable; else the new collection follows it with its changes unknown).
      const latest = await this.load(source);
      const base = latest && "part" in latest && latest.part.collection?.id === error.found ? latest.part : null;
      collection = await this.store.put({ ...entry, delta: deltaAgainst(base), baseId: error.found });
    }
    await this.store.prune({
      collectedBefore: new Date(this.now().getTime() - settings.retentionDays * DAY_MS).toISOString(),
      keepPerSource: settings.keepCollections,
    });
    return { source, collection, collectedAt: entry.collectedAt, inventory, reach };
  }

  /** The changes recorded by collections taken after `since` (or stored after collection `afterId`). */
  async changes(filter: { since?: string | undefined; afterId?: string | undefined; sources?: readonly string[] | undefined }): Promise<ChangeHistory> {
    const all = await this.store.collections({ collectedAfter: filter.since, afterId: filter.afterId });
    const collections = filter.sources ? all.filter((c) => filter.sources?.includes(c.source)) : all;
    const deltas = await this.store.deltas(collections.map((c) => c.id));
    const changes: RecordedChange[] = [];
    const notCompared: StoredCollection[] = [];
    for (const collection of collections) {
      const bytes = deltas.get(collection.id);
      if (!bytes) {
        notCompared.push(collection);
        continue;
      }
      for (const change of decodeDelta(bytes, collection.id).changes) {
        changes.push({ ...change, collectionId: collection.id, collectedAt: collection.collectedAt, source: collection.source });
      }
    }
    return { collections, changes, notCompared };
  }
}
