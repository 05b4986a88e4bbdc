/**
 * Runs the configured connectors and keeps the merged inventory for a TTL, so one question does
 * not re-collect an estate and concurrent calls share one collection.
 *
 * With history (src/history/), each cloud connector's collection is stored: a new process serves
 * the stored copy without calling any cloud, the copy is replaced only by a refresh (background or
 * `wiam collect`), and the served inventory is swapped in one assignment once the new one is built.
 * A refresh that fails keeps the previous copy and says so in the answer's `incomplete`; a stored
 * copy that is damaged is forgotten and collected again, never served.
 */
import type { CloudOperation, Connector } from "../connectors/connector.js";
import { mergeSnapshots } from "../connectors/merge.js";
import { Inventory } from "../model/inventory-index.js";
import { shareRepeatedValues } from "../model/share-values.js";
import type { DataSourceInfo, HistoryView } from "../../tools/define-tool.js";
import { GrantTable } from "../model/grant-table.js";
import type { CollectionGap, InventorySnapshot } from "../model/inventory.js";
import { PROVIDER_IDS } from "../providers/ids.js";
import type { InventoryHistory, StoredPart } from "../history/inventory-history.js";
import { collectionProgress } from "./collection-progress.js";

export interface LoadedInventory {
  inventory: Inventory;
  dataSource: DataSourceInfo;
}

export const DEMO_NOTICE = "DEMO DATA: answers come from the built-in demo estate, not from a real cloud";

interface CacheEntry {
  loaded: Promise<LoadedInventory>;
  expiresAt: number;
}

export interface InventoryRequest {
  taskId: string;
  recordOperation(operation: CloudOperation): void;
  signal?: AbortSignal | undefined;
  progress?(done: number, total: number | undefined, message: string): void;
}

/** What a refresh did for one connector. */
export interface RefreshOutcome {
  connector: string;
  outcome: "refreshed" | "failed";
  collectionId: string | null;
  collectedAt: string | null;
  /** Failed: why (the previous copy, if any, is still served and marked stale). */
  error?: string;
}

export interface HistoryOptions {
  history: InventoryHistory;
  /** The store's source key of a connector: its id and what it is configured to read. */
  sourceOf(connector: Connector): string;
  /** Warnings the operator should see (a damaged stored copy, a store that could not be written). */
  warn?(message: string): void;
}

/** A connector's part of the served inventory, with history: its columns and when it was collected. */
interface PartState extends StoredPart {
  /** Set when the last refresh failed: the copy is older than it should be. */
  stale?: { at: string; reason: string };
}

export class InventoryService {
  private cache: CacheEntry | undefined;
  private readonly parts = new Map<string, PartState>();
  /** Refreshes run one after another, so two never diff against the same previous collection. */
  private refreshing: Promise<unknown> = Promise.resolve();

  constructor(
    private connectors: readonly Connector[],
    private readonly ttlMs: number,
    private readonly now: () => Date = () => new Date(),
    private readonly historyOptions?: HistoryOptions,
  ) {
    if (connectors.length === 0) throw new Error("InventoryService needs at least one connector");
  }

  /** The stored history of the sources configured now, when the server keeps one (what_changed reads it). */
  get history(): HistoryView | undefined {
    const options = this.historyOptions;
    if (!options) return undefined;
    return {
      changes: (filter) => options.history.changes({ ...filter, sources: this.connectors.map((c) => options.sourceOf(c)) }),
    };
  }

  get connectorIds(): string[] {
    return this.connectors.map((c) => c.id);
  }

  async get(request: InventoryRequest): Promise<LoadedInventory> {
    const nowMs = this.now().getTime();
    if (this.cache && this.cache.expiresAt > nowMs) return this.cache.loaded;
    const loaded = this.historyOptions ? this.loadParts(request, true).then((built) => built as LoadedInventory) : this.collect(request);
    // With history the served copy lasts until a refresh replaces it.
    this.cache = { loaded, expiresAt: this.historyOptions ? Number.POSITIVE_INFINITY : nowMs + this.ttlMs };
    // A failed collection must not be served from the cache to the next caller.
    loaded.catch(() => {
      if (this.cache?.loaded === loaded) this.cache = undefined;
    });
    return loaded;
  }

  /**
   * The inventory for a policy decision, without calling any cloud: the cached one when fresh (or
   * being collected), a local collection when every connector is local, and null otherwise.
   */
  async peekForPolicy(request: InventoryRequest): Promise<Inventory | null> {
    const nowMs = this.now().getTime();
    if (this.cache && this.cache.expiresAt > nowMs) return (await this.cache.loaded.catch(() => null))?.inventory ?? null;
    if (this.connectors.every((c) => c.local === true)) return (await this.get(request)).inventory;
    if (this.historyOptions) {
      // Stored copies are local too: served when every cloud connector has one.
      const built = await this.loadParts(request, false).catch(() => null);
      if (built === null) return null;
      this.cache ??= { loaded: Promise.resolve(built), expiresAt: Number.POSITIVE_INFINITY };
      return (await this.cache.loaded).inventory;
    }
    return null;
  }

  /**
   * Collects these connectors (all when none named) afresh and swaps the served inventory once the
   * new one is built. A connector that fails keeps its previous copy, marked stale. Without history,
   * the next call simply collects again.
   */
  async refresh(request: InventoryRequest, connectorIds?: readonly string[]): Promise<RefreshOutcome[]> {
    const run = this.refreshing.then(() => this.refreshNow(request, connectorIds));
    this.refreshing = run.catch(() => undefined);
    return run;
  }

  private async refreshNow(request: InventoryRequest, connectorIds?: readonly string[]): Promise<RefreshOutcome[]> {
    const selected = this.connectors.filter((c) => connectorIds === undefined || connectorIds.includes(c.id));
    if (!this.historyOptions) {
      this.cache = undefined;
      const loaded = await this.get(request);
      return selected.map((c) => ({ connector: c.id, outcome: "refreshed", collectionId: null, collectedAt: loaded.dataSource.generatedAt }));
    }
    const progress = request.progress ? collectionProgress(request.progress) : undefined;
    const outcomes = await Promise.all(selected.map((connector) => this.refreshPart(connector, request, progress)));
    const built = await this.loadParts(request, true);
    if (built) this.cache = { loaded: Promise.resolve(built), expiresAt: Number.POSITIVE_INFINITY };
    return outcomes;
  }

  private async refreshPart(connector: Connector, request: InventoryRequest, progress: InventoryRequest["progress"]): Promise<RefreshOutcome> {
    const options = this.historyOptions as HistoryOptions;
    const source = options.sourceOf(connector);
    let previous: StoredPart | null = this.parts.get(connector.id) ?? null;
    let baseId = previous?.collection?.id ?? null;
    if (previous === null && connector.local !== true) {
      const stored = await options.history.load(source);
      if (stored && "part" in stored) previous = stored.part;
      else if (stored) {
        options.warn?.(`${connector.id}: ${stored.unreadable}; collecting afresh`);
        baseId = stored.latestId;
      }
      baseId = previous?.collection?.id ?? baseId;
    }
    try {
      const part = await this.collectPart(connector, request, progress, previous, baseId);
      this.parts.set(connector.id, part);
      return { connector: connector.id, outcome: "refreshed", collectionId: part.collection?.id ?? null, collectedAt: part.collectedAt };
    } catch (error) {
      const reason = (error as Error).message;
      if (previous) this.parts.set(connector.id, { ...previous, stale: { at: this.now().toISOString(), reason } });
      return { connector: connector.id, outcome: "failed", collectionId: previous?.collection?.id ?? null, collectedAt: previous?.collectedAt ?? null, error: reason };
    }
  }

  /** Collects one connector and, for a cloud connector, stores the collection with its delta. */
  private async collectPart(
    connector: Connector,
    request: InventoryRequest,
    progress: InventoryRequest["progress"],
    previous: StoredPart | null,
    baseId: string | null,
  ): Promise<PartState> {
    const options = this.historyOptions as HistoryOptions;
    const snapshot = await this.collectOne(connector, request, this.now(), progress);
    if (previous) refuseNewGaps(snapshot, previous);
    const inventory = { snapshot: { ...snapshot, grants: [] }, grants: new GrantTable(snapshot.grants) };
    const source = options.sourceOf(connector);
    // Local sources (the demo, snapshot files) are re-read in a moment: nothing to keep.
    if (connector.local === true) return { source, collection: null, collectedAt: snapshot.generatedAt, inventory, reach: [] };
    try {
      return await options.history.record(source, inventory, previous, baseId);
    } catch (error) {
      // The collection is good; only keeping it failed. Serve it, and say why history has a hole.
      options.warn?.(`${connector.id}: collection not stored (${(error as Error).message})`);
      return { source, collection: null, collectedAt: snapshot.generatedAt, inventory, reach: [] };
    }
  }

  /**
   * Every connector's part, from memory, else the store, else a collection (when `collect`); null
   * when a part would need a collection and `collect` is false. Then the served inventory.
   */
  private async loadParts(request: InventoryRequest, collect: boolean): Promise<LoadedInventory | null> {
    const options = this.historyOptions as HistoryOptions;
    const progress = request.progress ? collectionProgress(request.progress) : undefined;
    const parts: PartState[] = [];
    for (const connector of this.connectors) {
      let part = this.parts.get(connector.id);
      let baseId: string | null = null;
      if (!part && connector.local !== true) {
        const stored = await options.history.load(options.sourceOf(connector));
        if (stored && "part" in stored) part = stored.part;
        else if (stored) {
          options.warn?.(`${connector.id}: ${stored.unreadable}; collecting afresh`);
          baseId = stored.latestId;
        }
      }
      if (!part) {
        if (!collect && connector.local !== true) return null;
        part = await this.collectPart(connector, request, progress, null, baseId);
      }
      this.parts.set(connector.id, part);
      parts.push(part);
    }
    return this.build(parts);
  }

  /** The served inventory from the connectors' parts (merged when several), with stale parts said. */
  private build(parts: readonly PartState[]): LoadedInventory {
    const staleGaps: CollectionGap[] = [];
    for (const part of parts) {
      if (!part.stale) continue;
      const reason = `refresh at ${part.stale.at} failed (${part.stale.reason}); serving the collection of ${part.collectedAt}`;
      for (const provider of providersOf(part)) staleGaps.push({ provider, source: "inventory refresh", reason });
    }
    let snapshot: InventorySnapshot;
    let grants: GrantTable | undefined;
    const only = parts.length === 1 ? parts[0] : undefined;
    if (only) {
      snapshot = { ...only.inventory.snapshot };
      grants = only.inventory.grants;
    } else {
      // The oldest collection time: the merged answer is as old as its oldest part. Grants are
      // joined in columns (not merged as objects: a million grants would each be spelled out).
      const oldest = parts.map((p) => p.collectedAt).sort()[0] ?? this.now().toISOString();
      const providers = parts.flatMap((part) => providersOf(part));
      if (new Set(providers).size === providers.length) {
        snapshot = mergeSnapshots(parts.map((p) => p.inventory.snapshot), oldest);
        grants = GrantTable.concat(parts.map((p) => p.inventory.grants));
      } else {
        // Two sources of one provider (a snapshot file beside the live account) may hold the same
        // grants: merged by id, first source first, as without history.
        snapshot = mergeSnapshots(parts.map((p) => ({ ...p.inventory.snapshot, grants: p.inventory.grants.toArray() })), oldest);
      }
    }
    if (staleGaps.length > 0) snapshot.gaps = [...(snapshot.gaps ?? []), ...staleGaps];
    const collectedAt: Record<string, string> = {};
    for (const [index, part] of parts.entries()) collectedAt[this.connectors[index]?.id ?? part.source] = part.collectedAt;
    return {
      inventory: new Inventory(snapshot, { builtInDemo: this.isBuiltInDemo(), ...(grants ? { grants } : {}) }),
      dataSource: { ...this.dataSourceOf(snapshot), collectedAt },
    };
  }

  private isBuiltInDemo(): boolean {
    return this.connectors.every((c) => c.id === "demo");
  }

  private dataSourceOf(snapshot: InventorySnapshot): DataSourceInfo {
    const kinds = new Set(this.connectors.map((c) => (c.id === "demo" ? "demo" : c.id === "snapshot" ? "snapshot" : "live")));
    const kind = kinds.size === 1 ? ([...kinds][0] as DataSourceInfo["kind"]) : "mixed";
    const demo = snapshot.demo === true;
    return {
      kind,
      demo,
      generatedAt: snapshot.generatedAt,
      notice: demo ? DEMO_NOTICE : kinds.has("demo") ? `Includes demo data. ${DEMO_NOTICE}` : null,
    };
  }

  private async collectOne(connector: Connector, request: InventoryRequest, now: Date, progress: InventoryRequest["progress"]): Promise<InventorySnapshot> {
    const part = await connector.collect({
      taskId: request.taskId,
      now,
      recordOperation: request.recordOperation,
      ...(request.signal ? { signal: request.signal } : {}),
      ...(progress ? { progress } : {}),
    });
    // Live data repeats ids, dates and evidence in separate copies; sharing them halves a large
    // estate's memory. Local connectors (demo, snapshot files) hand over shared values already.
    return connector.local === true ? part : shareRepeatedValues(part);
  }

  /** What credentials served this task, per connector, for the audit record. */
  credentialScope(taskId: string): string {
    return this.connectors.map((c) => c.describeCredentialScope?.(taskId) ?? c.id).join("; ");
  }

  endTask(taskId: string): void {
    for (const connector of this.connectors) connector.endTask?.(taskId);
  }

  invalidate(): void {
    this.cache = undefined;
    this.parts.clear();
  }

  /** After a config reload names other providers: the next call collects from the new set. */
  replaceConnectors(connectors: readonly Connector[]): void {
    if (connectors.length === 0) throw new Error("InventoryService needs at least one connector");
    this.connectors = connectors;
    this.cache = undefined;
    this.parts.clear();
  }

  private async collect(request: InventoryRequest): Promise<LoadedInventory> {
    const now = this.now();
    // One progress stream for all connectors of this collection (see collection-progress.ts).
    const progress = request.progress ? collectionProgress(request.progress) : undefined;
    const parts = await Promise.all(this.connectors.map((connector) => this.collectOne(connector, request, now, progress)));
    const snapshot = parts.length === 1 && parts[0] ? parts[0] : mergeSnapshots(parts, now.toISOString());
    const collectedAt: Record<string, string> = {};
    for (const [index, part] of parts.entries()) collectedAt[this.connectors[index]?.id ?? String(index)] = part.generatedAt;
    return {
      inventory: new Inventory(snapshot, { builtInDemo: this.isBuiltInDemo() }),
      dataSource: { ...this.dataSourceOf(snapshot), collectedAt },
    };
  }
}

const gapKey = (gap: CollectionGap): string => JSON.stringify([gap.provider, gap.scopeId ?? null, gap.source]);

/**
 * A refresh that could not read what the previous collection read is a failed refresh: serving it
 * would drop the unread part's identities as if they were gone (and record them as removed).
 * Connectors report such failures as gaps rather than throwing, so the gaps decide.
 */
function refuseNewGaps(snapshot: InventorySnapshot, previous: StoredPart): void {
  const known = new Set((previous.inventory.snapshot.gaps ?? []).map(gapKey));
  const fresh = (snapshot.gaps ?? []).filter((gap) => !known.has(gapKey(gap)));
  if (fresh.length === 0) return;
  const named = fresh.slice(0, 3).map((gap) => `${gap.scopeId ?? gap.provider} ${gap.source}: ${gap.reason}`);
  throw new Error(`${fresh.length} part(s) could not be read (${named.join("; ")}${fresh.length > 3 ? "; ..." : ""})`);
}

/** The providers a part holds data of (a stale cloud connector's own; a snapshot file's several). */
function providersOf(part: StoredPart): CollectionGap["provider"][] {
  const providers = new Set<CollectionGap["provider"]>();
  for (const scope of part.inventory.snapshot.scopes) providers.add(scope.provider);
  for (const principal of part.inventory.snapshot.principals) providers.add(principal.provider);
  if (providers.size === 0 && (PROVIDER_IDS as readonly string[]).includes(part.source.split("@")[0] ?? "")) {
    providers.add(part.source.split("@")[0] as CollectionGap["provider"]);
  }
  return [...providers].sort();
}
