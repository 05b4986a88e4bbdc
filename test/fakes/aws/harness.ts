/** Shared plumbing for tests that drive the AWS connector against the wire-level fake. */
import type { CloudOperation, CollectContext } from "../../../src/connectors/connector.js";
import type { InventorySnapshot } from "../../../src/model/inventory.js";
import { FAKE_BASE_ACCESS_KEY_ID, FAKE_BASE_SECRET_ACCESS_KEY } from "./estate.js";

export const FAKE_BASE_CREDENTIALS = { accessKeyId: FAKE_BASE_ACCESS_KEY_ID, secretAccessKey: FAKE_BASE_SECRET_ACCESS_KEY };

/** Retries and report polls without waiting; delays are recorded so tests can check the backoff. */
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
  signal?: AbortSignal,
): Promise<Collected> {
  const operations: CloudOperation[] = [];
  const progress: Collected["progress"] = [];
  const snapshot = await connector.collect({
    taskId,
    now: new Date(),
    ...(signal ? { signal } : {}),
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

export function byId<T extends { id: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
