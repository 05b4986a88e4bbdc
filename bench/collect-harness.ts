/**
 * What the collection benchmarks share: each runs the fake cloud in one child process and the
 * connector in another (so peak RSS is the collector's own), and reports calls, time and memory
 * the same way.
 */
import type { ChildProcess } from "node:child_process";
import type { CloudOperation, CollectContext } from "../src/connectors/connector.js";
import type { InventorySnapshot } from "../src/model/inventory.js";
import { countsByApi } from "../test/fakes/collect-harness.js";

export interface CollectMeasurement {
  snapshot: InventorySnapshot;
  callsByApi: Record<string, number>;
  totalCalls: number;
  wallMs: number;
  /** Peak resident memory of this process so far. */
  peakRssMb: number;
}

/** Collects once for a task named "bench" and measures calls, wall time and peak RSS. */
export async function measureCollect(connector: { collect(context: CollectContext): Promise<InventorySnapshot>; close?(): void }): Promise<CollectMeasurement> {
  const operations: CloudOperation[] = [];
  const started = performance.now();
  const snapshot = await connector.collect({ taskId: "bench", now: new Date(), recordOperation: (operation) => operations.push(operation) });
  const wallMs = performance.now() - started;
  connector.close?.();
  const callsByApi = countsByApi(operations);
  return {
    snapshot,
    callsByApi,
    totalCalls: Object.values(callsByApi).reduce((sum, count) => sum + count, 0),
    wallMs: Math.round(wallMs),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/** Resolves with the first IPC message from `child` that carries `key`. */
export function firstMessage<T>(child: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (typeof message === "object" && message !== null && key in message) {
        child.off("message", onMessage);
        resolve((message as Record<string, T>)[key] as T);
      }
    };
    child.on("message", onMessage);
    child.once("exit", (code) => reject(new Error(`child exited with ${code} before sending ${key}`)));
  });
}
