/**
 * Time and peak memory of each core tool on synthetic estates of 10k and 100k identities
 * (about 1M grants at 100k). Each size runs in its own child process so peak RSS is per size.
 *
 *   node dist/bench/core-queries.js            # both sizes
 *   node dist/bench/core-queries.js 100000     # one size (used by the parent)
 *
 * Each query runs through the full call pipeline (validation, analysis, paging, redaction,
 * SQLite audit), as a client would meet it. The baseline is one pass over every principal and
 * credential: the least work any whole-estate question needs; ratios are against it.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createApp } from "../src/app.js";
import { parseConfig } from "../src/config/load.js";
import type { Connector } from "../src/connectors/connector.js";
import { Inventory } from "../src/model/inventory-index.js";
import { generateSyntheticEstate } from "./generate-estate.js";

const RUNS = 15;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(0);
}

async function measureSize(identities: number): Promise<void> {
  const now = new Date("2026-11-24T00:00:00Z");
  const t0 = performance.now();
  const snapshot = generateSyntheticEstate({ identities, seed: 7, now });
  const generateMs = performance.now() - t0;
  const t1 = performance.now();
  const inventory = new Inventory(snapshot);
  const indexMs = performance.now() - t1;

  const connector: Connector = { id: "snapshot", description: "synthetic", collect: async () => snapshot };
  const dataDir = mkdtempSync(join(tmpdir(), "wiam-bench-"));
  const app = createApp({ config: parseConfig({ cacheTtlMinutes: 60 }, "(bench)"), dataDir, logLevel: "error", now: () => now, connectors: [connector] });

  const caller = { sessionId: "bench", clientName: "bench", clientVersion: null, caller: "bench", transport: "cli" as const };
  const intent = "benchmark of the core queries";
  const principalSample = snapshot.principals.filter((p) => p.workload).slice(0, RUNS + 1);
  const resourceSample = snapshot.vaultItems.slice(0, RUNS + 1);
  const queries: [string, (i: number) => Record<string, unknown>][] = [
    // Thresholds vary per run so every timed call computes its answer (no memo hits).
    ["find_stale_service_accounts", (i) => ({ inactive_days: 90 + i })],
    ["find_expiring_credentials", (i) => ({ within_days: 30 + i })],
    ["explain_entitlement_paths (forward)", (i) => ({ principal: principalSample[i % principalSample.length]?.id })],
    ["explain_entitlement_paths (reverse)", (i) => ({ action: "secretmanager.versions.access", resource: resourceSample[i % resourceSample.length]?.id ?? "*" })],
    ["describe_identity", (i) => ({ principal: principalSample[i % principalSample.length]?.id })],
    ["inventory_summary", () => ({})],
    ["find_stale_service_accounts (next page)", () => ({ inactive_days: 90, cursor: staleCursor })],
  ];
  let staleCursor: string | undefined;
  const firstPage = await app.pipeline.execute({ tool: "find_stale_service_accounts", arguments: { intent, inactive_days: 90 }, caller });
  staleCursor = ((firstPage.structured?.page as { nextCursor?: string } | undefined)?.nextCursor) ?? undefined;

  // Baseline: touch every principal and credential once.
  const baseline: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    let workloads = 0;
    for (const p of inventory.snapshot.principals) if (p.workload && inventory.credentialsOf(p.id).length >= 0) workloads++;
    baseline.push(performance.now() - start);
    if (workloads < 0) throw new Error("unreachable");
  }
  const baselineMedian = median(baseline);

  console.log(`\n${identities.toLocaleString()} identities: ${snapshot.grants.length.toLocaleString()} grants, ${snapshot.policies.length.toLocaleString()} policies, ` +
    `${snapshot.credentials.length.toLocaleString()} credentials, ${snapshot.vaultItems.length.toLocaleString()} vault items ` +
    `(generated in ${generateMs.toFixed(0)} ms, indexed in ${indexMs.toFixed(0)} ms)`);
  console.log(`baseline (one pass over principals + credentials): median ${baselineMedian.toFixed(2)} ms`);
  console.log("query                                  median ms   p95 ms   x baseline   items/page");
  for (const [label, argsFor] of queries) {
    const name = label.split(" ")[0] as string;
    const times: number[] = [];
    let items = 0;
    // One warm-up call builds the lazy indexes and the cache, as the first question of a session would.
    await app.pipeline.execute({ tool: name, arguments: { intent, ...argsFor(RUNS) }, caller });
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      const response = await app.pipeline.execute({ tool: name, arguments: { intent, ...argsFor(i) }, caller });
      times.push(performance.now() - start);
      if (response.isError) throw new Error(`${label}: ${response.text}`);
      items = ((response.structured?.page as { returned?: number } | undefined)?.returned) ?? 1;
    }
    const sorted = [...times].sort((a, b) => a - b);
    const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? 0;
    console.log(`${label.padEnd(38)} ${median(times).toFixed(2).padStart(9)} ${p95.toFixed(2).padStart(8)} ${(median(times) / baselineMedian).toFixed(1).padStart(12)} ${String(items).padStart(12)}`);
  }
  const usage = process.resourceUsage();
  console.log(`peak RSS: ${mb(usage.maxRSS * 1024)} MB (heap used now ${mb(process.memoryUsage().heapUsed)} MB)`);
  app.close();
  rmSync(dataDir, { recursive: true, force: true });
}

const requested = Number(process.argv[2]);
if (Number.isFinite(requested) && requested > 0) {
  await measureSize(requested);
} else {
  const self = fileURLToPath(import.meta.url);
  for (const size of [10_000, 100_000]) {
    process.stdout.write(execFileSync(process.execPath, ["--max-old-space-size=4096", self, String(size)], { encoding: "utf8" }));
  }
}
