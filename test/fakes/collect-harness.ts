/** Plumbing every connector test (and collection benchmark) shares, whatever the cloud. */
import type { CloudOperation, CollectContext } from "../../src/connectors/connector.js";
import type { InventorySnapshot } from "../../src/model/inventory.js";

/** Retries without waiting; delays are recorded so tests can check the backoff (and Retry-After). */
export function instantRetry(delays: number[] = []) {
  return {
    baseDelayMs: 100,
    maxDelayMs: 2000,
    random: () => 0.5,
    sleep: async (ms: number) => {
      delays.push(ms);
    },
  };
}

export interface Collected {
  snapshot: InventorySnapshot;
  operations: CloudOperation[];
  progress: Array<{ done: number; total: number | undefined; message: string }>;
}

export async function collectWith(
  connector: { collect(context: CollectContext): Promise<InventorySnapshot> },
  taskId: string,
  options: { now?: Date | undefined; signal?: AbortSignal | undefined } = {},
): Promise<Collected> {
  const operations: CloudOperation[] = [];
  const progress: Collected["progress"] = [];
  const snapshot = await connector.collect({
    taskId,
    now: options.now ?? new Date(),
    ...(options.signal ? { signal: options.signal } : {}),
    recordOperation: (operation) => operations.push(operation),
    progress: (done, total, message) => progress.push({ done, total, message }),
  });
  return { snapshot, operations, progress };
}

/** `{ api: count }` summed over scopes, for compact assertions. */
export function countsByApi(operations: readonly CloudOperation[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const operation of operations) counts[operation.api] = (counts[operation.api] ?? 0) + operation.count;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}
