/**
 * Runs the configured connectors and keeps the merged inventory for a TTL, so one question does
 * not re-collect an estate and concurrent calls share one collection.
 */
import type { CloudOperation, Connector } from "../connectors/connector.js";
import { mergeSnapshots } from "../connectors/merge.js";
import { Inventory } from "../model/inventory-index.js";
import { shareRepeatedValues } from "../model/share-values.js";
import type { DataSourceInfo } from "../../tools/define-tool.js";
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

export class InventoryService {
  private cache: CacheEntry | undefined;

  constructor(
    private connectors: readonly Connector[],
    private readonly ttlMs: number,
    private readonly now: () => Date = () => new Date(),
  ) {
    if (connectors.length === 0) throw new Error("InventoryService needs at least one connector");
  }

  get connectorIds(): string[] {
    return this.connectors.map((c) => c.id);
  }

  async get(request: InventoryRequest): Promise<LoadedInventory> {
    const nowMs = this.now().getTime();
    if (this.cache && this.cache.expiresAt > nowMs) return this.cache.loaded;
    const loaded = this.collect(request);
    this.cache = { loaded, expiresAt: nowMs + this.ttlMs };
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
    return null;
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
  }

  /** After a config reload names other providers: the next call collects from the new set. */
  replaceConnectors(connectors: readonly Connector[]): void {
    if (connectors.length === 0) throw new Error("InventoryService needs at least one connector");
    this.connectors = connectors;
    this.cache = undefined;
  }

  private async collect(request: InventoryRequest): Promise<LoadedInventory> {
    const now = this.now();
    // One progress stream for all connectors of this collection (see collection-progress.ts).
    const progress = request.progress ? collectionProgress(request.progress) : undefined;
    const parts = await Promise.all(
      this.connectors.map(async (connector) => {
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
      }),
    );
    const snapshot = parts.length === 1 && parts[0] ? parts[0] : mergeSnapshots(parts, now.toISOString());
    const kinds = new Set(this.connectors.map((c) => (c.id === "demo" ? "demo" : c.id === "snapshot" ? "snapshot" : "live")));
    const kind = kinds.size === 1 ? ([...kinds][0] as DataSourceInfo["kind"]) : "mixed";
    const demo = snapshot.demo === true;
    return {
      inventory: new Inventory(snapshot, { builtInDemo: kinds.size === 1 && kinds.has("demo") }),
      dataSource: {
        kind,
        demo,
        generatedAt: snapshot.generatedAt,
        notice: demo ? DEMO_NOTICE : kinds.has("demo") ? `Includes demo data. ${DEMO_NOTICE}` : null,
      },
    };
  }
}
