/**
 * What several benches measure the same way, so their baselines are one measurement.
 */
import type { Inventory } from "../src/model/inventory-index.js";

/** Budgets a bench never reaches: it measures queries, not refusals. */
export const UNLIMITED = { callsPerMinute: 100_000, itemsReturned: 10_000_000, distinctScopes: 100_000 };

/**
 * The baseline the query benches print beside their medians: one pass over every principal and
 * its credentials, the least any whole-estate question must do. Milliseconds, one entry a run.
 */
export function principalPassTimes(inventory: Inventory, runs: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    let workloads = 0;
    for (const p of inventory.snapshot.principals) if (p.workload && inventory.credentialsOf(p.id).length >= 0) workloads++;
    times.push(performance.now() - start);
    // Keeps the loop from being optimised away.
    if (workloads < 0) throw new Error("unreachable");
  }
  return times;
}
