/**
 * Time and peak memory of each core tool on synthetic estates of 10k and 100k identities
 * (about 1M grants at 100k). Each size runs in its own child process so peak RSS is per size.
 *
 *   node dist/bench/core-queries.js                 # both sizes
 *   node dist/bench/core-queries.js 100000          # one size (used by the parent)
 *   node dist/bench/core-queries.js --memory 100000 # also: live heap at each phase (forces GCs,
 *                                                   # so its peak RSS is not the one to quote)
 *   node dist/bench/core-queries.js --alone 100000  # each query in its own process: the peak RSS
 *                                                   # of loading the estate and asking only that
 *
 * At 100k the whole session also runs with the heap capped at HEAP_CAP_MB, as an operator would
 * start a server that must stay within a memory budget (NODE_OPTIONS=--max-old-space-size=...):
 * with Node's default cap (about 4 GB here) V8 lets the garbage of earlier questions pile up
 * before it collects, so the uncapped peak is mostly garbage, not state.
 *
 * Each query runs through the full call pipeline (validation, governance, analysis, paging,
 * redaction, SQLite audit), as a client would meet it. The first call of each tool is reported
 * apart: it builds the lazy indexes of that tool, as the first question of a session would.
 * The baseline is one pass over every principal and credential: the least work any
 * whole-estate question needs; ratios are against it.
 *
 * Memory is the server's: the bench keeps no index or copy of the estate of its own, so peak
 * RSS is the generated estate (what a connector would hand over), the server's indexes and
 * caches, and the garbage of answering.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createApp } from "../src/app.js";
import { parseConfig } from "../src/config/load.js";
import type { Connector } from "../src/connectors/connector.js";
import type { Approver } from "../src/governance/governor.js";
import type { InventorySnapshot } from "../src/model/inventory.js";
import { generateSyntheticEstate } from "./generate-estate.js";
import { principalPassTimes, UNLIMITED } from "./shared.js";

const RUNS = 15;
/** The bench is one task making hundreds of calls a minute: far beyond the default budgets. */

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(0);
}

interface LiveMemory {
  heap: number;
  rss: number;
}

/** Live heap (and RSS) after a full collection, when the process runs with --expose-gc (the --memory mode). */
function liveMemory(): LiveMemory | undefined {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) return undefined;
  collect();
  const { heapUsed, rss } = process.memoryUsage();
  return { heap: heapUsed, rss };
}

async function measureSize(identities: number, only?: number): Promise<void> {
  const phases: [string, LiveMemory | undefined][] = [["start (server code loaded)", liveMemory()]];
  const now = new Date("2026-11-24T00:00:00Z");
  const t0 = performance.now();
  let estate: InventorySnapshot | undefined = generateSyntheticEstate({ identities, seed: 7, now });
  const generateMs = performance.now() - t0;
  const counts = `${estate.grants.length.toLocaleString()} grants, ${estate.policies.length.toLocaleString()} policies, ` +
    `${estate.credentials.length.toLocaleString()} credentials, ${estate.vaultItems.length.toLocaleString()} vault items`;
  const principalSample = estate.principals.filter((p) => p.workload).slice(0, RUNS + 1).map((p) => p.id);
  const resourceSample = estate.vaultItems.slice(0, RUNS + 1).map((v) => v.id);
  phases.push(["estate generated", liveMemory()]);

  // Handed over once, as a connector's collection would be: afterwards only the server holds it.
  const connector: Connector = {
    id: "snapshot",
    description: "synthetic",
    collect: async () => {
      const handed = estate;
      estate = undefined;
      if (!handed) throw new Error("the bench estate is collected once");
      return handed;
    },
  };
  const dataDir = mkdtempSync(join(tmpdir(), "wiam-bench-"));
  const config = parseConfig({ cacheTtlMinutes: 60, governance: { budgets: { perTask: UNLIMITED, perCaller: UNLIMITED, onExceed: "deny" } } }, "(bench)");
  const app = createApp({ config, dataDir, logLevel: "error", now: () => now, connectors: [connector] });

  const t1 = performance.now();
  const { inventory } = await app.inventory.get({ taskId: "bench", recordOperation: () => {} });
  const indexMs = performance.now() - t1;
  phases.push(["estate indexed (server state, no query yet)", liveMemory()]);

  const caller = { sessionId: "bench", clientName: "bench", clientVersion: null, caller: "bench", transport: "cli" as const };
  const intent = "benchmark of the core queries";
  // Questions into production scopes need a person's approval under the default policy: granted at once.
  const approve: Approver = async () => ({ outcome: "approved", approver: "bench", note: null });
  const queries: [string, (i: number) => Record<string, unknown>][] = [
    // Thresholds vary per run so every timed call computes its answer (no memo hits).
    ["find_stale_service_accounts", (i) => ({ inactive_days: 90 + i })],
    ["find_expiring_credentials", (i) => ({ within_days: 30 + i })],
    ["explain_entitlement_paths (forward)", (i) => ({ principal: principalSample[i % principalSample.length] })],
    ["explain_entitlement_paths (reverse)", (i) => ({ action: "secretmanager.versions.access", resource: resourceSample[i % resourceSample.length] ?? "*" })],
    ["describe_identity", (i) => ({ principal: principalSample[i % principalSample.length] })],
    ["inventory_summary", () => ({})],
    ["find_stale_service_accounts (next page)", () => ({ inactive_days: 90, cursor: staleCursor })],
  ];
  let staleCursor: string | undefined;

  // Baseline: touch every principal and credential once.
  const baseline = principalPassTimes(inventory, RUNS);
  const baselineMedian = median(baseline);

  console.log(`\n${identities.toLocaleString()} identities: ${counts} (generated in ${generateMs.toFixed(0)} ms, indexed in ${indexMs.toFixed(0)} ms)`);
  console.log(`baseline (one pass over principals + credentials): median ${baselineMedian.toFixed(2)} ms`);
  const peakRss = () => mb(process.resourceUsage().maxRSS * 1024);
  console.log(`peak RSS so far: ${peakRss()} MB (estate generated and indexed)`);
  // "peak RSS" per query: the process's high-water mark once that query's runs are done.
  console.log("query                                  first ms  median ms   p95 ms   x baseline   items/page  peak RSS MB");
  for (const [index, [label, argsFor]] of queries.entries()) {
    if (only !== undefined && index !== only) continue;
    const name = label.split(" ")[0] as string;
    const times: number[] = [];
    let items = 0;
    // The first call builds the tool's lazy indexes, as the first question of a session would.
    const firstStart = performance.now();
    const first = await app.pipeline.execute({ tool: name, arguments: { intent, ...argsFor(RUNS) }, caller, approve });
    const firstMs = performance.now() - firstStart;
    if (first.isError) throw new Error(`${label}: ${first.text}`);
    if (name === "find_stale_service_accounts" && staleCursor === undefined) {
      const page = await app.pipeline.execute({ tool: name, arguments: { intent, inactive_days: 90 }, caller, approve });
      staleCursor = (page.structured?.page as { nextCursor?: string } | undefined)?.nextCursor ?? undefined;
    }
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      const response = await app.pipeline.execute({ tool: name, arguments: { intent, ...argsFor(i) }, caller, approve });
      times.push(performance.now() - start);
      if (response.isError) throw new Error(`${label}: ${response.text}`);
      items = ((response.structured?.page as { returned?: number } | undefined)?.returned) ?? 1;
    }
    const sorted = [...times].sort((a, b) => a - b);
    const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? 0;
    console.log(
      `${label.padEnd(38)} ${firstMs.toFixed(0).padStart(8)} ${median(times).toFixed(2).padStart(10)} ${p95.toFixed(2).padStart(8)} ` +
        `${(median(times) / baselineMedian).toFixed(1).padStart(12)} ${String(items).padStart(12)} ${peakRss().padStart(12)}`,
    );
  }
  phases.push(["after the queries (indexes and memoized answers)", liveMemory()]);
  const usage = process.resourceUsage();
  console.log(`peak RSS: ${mb(usage.maxRSS * 1024)} MB (heap used now ${mb(process.memoryUsage().heapUsed)} MB)`);
  if (phases.some(([, memory]) => memory !== undefined)) {
    console.log("after a full GC, by phase:                          live heap MB   RSS MB");
    for (const [label, memory] of phases) {
      if (memory) console.log(`  ${label.padEnd(50)} ${mb(memory.heap).padStart(12)} ${mb(memory.rss).padStart(8)}`);
    }
  }
  app.close();
  rmSync(dataDir, { recursive: true, force: true });
}

const QUERY_COUNT = 7;
const HEAP_CAP_MB = 384;
const args = process.argv.slice(2);
const memoryMode = args.includes("--memory");
const aloneMode = args.includes("--alone");
const onlyArg = args.find((a) => a.startsWith("--only="));
const only = onlyArg === undefined ? undefined : Number(onlyArg.slice("--only=".length));
const requested = Number(args.find((a) => !a.startsWith("--")));
const self = fileURLToPath(import.meta.url);
const flags = ["--max-old-space-size=4096", ...(memoryMode ? ["--expose-gc"] : [])];
const child = (childArgs: string[], heapMb?: number) =>
  execFileSync(process.execPath, [...(heapMb ? [`--max-old-space-size=${heapMb}`] : flags), self, ...childArgs], { encoding: "utf8" });

/** Each query in its own process after the same load: the memory of one question, not of a session's garbage. */
function measureAlone(size: number): void {
  console.log(`\n${size.toLocaleString()} identities, each query alone in its own process (load, first call, ${RUNS} runs):`);
  console.log("query                                  median ms  peak RSS MB");
  for (let index = 0; index < QUERY_COUNT; index++) {
    const out = child([`--only=${index}`, String(size)]);
    const row = out.split("\n").find((line) => /^\S.*\s\d+\s*$/.test(line) && !line.startsWith("peak") && !line.startsWith("query") && /\d+\.\d+/.test(line));
    const fields = row?.trim().split(/\s+/) ?? [];
    const label = row ? row.slice(0, 38).trim() : `query ${index}`;
    console.log(`${label.padEnd(38)} ${(fields[fields.length - 5] ?? "?").padStart(10)} ${(fields[fields.length - 1] ?? "?").padStart(12)}`);
  }
}

if (Number.isFinite(requested) && requested > 0 && !aloneMode && (!memoryMode || liveMemory() !== undefined)) {
  await measureSize(requested, only);
} else {
  const sizes = Number.isFinite(requested) && requested > 0 ? [requested] : [10_000, 100_000];
  for (const size of sizes) {
    if (!aloneMode) process.stdout.write(child([...(memoryMode ? ["--memory"] : []), String(size)]));
    // At the large size: each question alone, and the session again within a heap budget.
    if (aloneMode || (!memoryMode && size >= 100_000)) measureAlone(size);
    if (!aloneMode && !memoryMode && size >= 100_000) {
      console.log(`\nThe same session with the heap capped at ${HEAP_CAP_MB} MB (--max-old-space-size=${HEAP_CAP_MB}):`);
      process.stdout.write(child([String(size)], HEAP_CAP_MB));
    }
  }
}
