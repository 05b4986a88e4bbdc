/**
 * The stored inventory at scale: synthetic estates of 10k, 100k and 1M identities (about 10
 * grants each: 10M grants at 1M), side by side. For each size, three processes:
 *
 * 1. write: generates the estate (as a connector would hand it over), indexes it as a server does
 *    after a collection (the baseline: what serving it costs without a stored copy), and stores it
 *    (columnar encoding + SQLite write): storage size on disk and write time.
 * 2. serve: a fresh server process with history on, as after a restart: time to the first answer
 *    from the stored copy (open, load, index, answer), then every core query through the full
 *    pipeline (median of RUNS, against one pass over every principal and credential as the
 *    baseline) and the process's peak RSS. It runs with Node's default heap settings and holds
 *    what `wiam serve` holds: the app (policy engine, redactor) and one MCP session whose client
 *    has listed the tools.
 * 3. diff (100k only): two collections with 1% of identities changed (added, removed, a grant
 *    moved), the time to compute the delta, against one pass building a set of every grant id of
 *    both (the least any grant diff must do).
 *
 *   node dist/bench/history.js                    # 10k, 100k and 1M
 *   node dist/bench/history.js 10000 100000       # these sizes only
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { createApp, inventorySourceOf, openInventoryHistory } from "../src/app.js";
import { parseConfig } from "../src/config/load.js";
import { appSessions } from "../src/server/host.js";
import type { Connector } from "../src/connectors/connector.js";
import type { Approver } from "../src/governance/governor.js";
import { diffCollections } from "../src/history/collection-delta.js";
import { GrantTable } from "../src/model/grant-table.js";
import { Inventory } from "../src/model/inventory-index.js";
import type { Grant, InventorySnapshot } from "../src/model/inventory.js";
import { generateSyntheticEstate } from "./generate-estate.js";
import { principalPassTimes, UNLIMITED } from "./shared.js";

const RUNS = 15;
const NOW = new Date("2026-11-24T00:00:00Z");
/** Sensitive reach is left out: it is the entitlement search's cost (bench/core-queries.ts), not storage's. */
const CONFIG = { cacheTtlMinutes: 60, history: { enabled: true, refreshMinutes: 0, sensitive: { tags: {}, resources: [] } }, governance: { budgets: { perTask: UNLIMITED, perCaller: UNLIMITED, onExceed: "deny" } } };

/** The source a server stores and loads; collecting it is refused: the bench serves only the stored copy. */
const STORED_ONLY: Connector = {
  id: "synthetic",
  description: "synthetic estate, served from the store only",
  collect: async () => {
    throw new Error("the bench serves the stored copy: no collection");
  },
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const mb = (bytes: number) => bytes / 1024 / 1024;
const peakRssMb = () => mb(process.resourceUsage().maxRSS * 1024);

/** Bytes of every file under `dir` (the database and the copies beside it). */
function dirBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (sum, entry) => sum + (entry.isDirectory() ? dirBytes(join(dir, entry.name)) : statSync(join(dir, entry.name)).size),
    0,
  );
}

interface WriteResult {
  identities: number;
  grants: number;
  generateMs: number;
  indexMs: number;
  writeMs: number;
  storeBytes: number;
  principalSample: string[];
  resourceSample: string[];
}

async function write(identities: number, dataDir: string): Promise<WriteResult> {
  const t0 = performance.now();
  const estate = generateSyntheticEstate({ identities, seed: 7, now: NOW });
  const generateMs = performance.now() - t0;
  const principalSample = estate.principals.filter((p) => p.workload).slice(0, RUNS + 1).map((p) => p.id);
  const resourceSample = estate.vaultItems.slice(0, RUNS + 1).map((v) => v.id);
  // Baseline: indexing the collected estate, as a server does after every collection.
  const t1 = performance.now();
  const indexed = new Inventory(estate);
  const indexMs = performance.now() - t1;
  const config = parseConfig(CONFIG, "(bench)");
  const history = openInventoryHistory(dataDir, () => config, () => NOW);
  const t2 = performance.now();
  await history.record(inventorySourceOf(STORED_ONLY, config), { snapshot: { ...estate, grants: [] }, grants: indexed.grants }, null);
  const writeMs = performance.now() - t2;
  await history.store.close();
  return { identities, grants: indexed.grants.length, generateMs, indexMs, writeMs, storeBytes: dirBytes(dataDir), principalSample, resourceSample };
}

interface ServeResult {
  /** RSS with the server's code loaded, before anything is opened: what no estate size changes. */
  startRssMb: number;
  firstAnswerMs: number;
  baselineMs: number;
  queries: [string, number][];
  peakRssMb: number;
}

async function serve(dataDir: string, principalSample: string[], resourceSample: string[]): Promise<ServeResult> {
  const caller = { sessionId: "bench", clientName: "bench", clientVersion: null, caller: "bench", transport: "cli" as const };
  const approve: Approver = async () => ({ outcome: "approved", approver: "bench", note: null });
  const intent = "benchmark of the stored inventory";
  const startRssMb = mb(process.memoryUsage().rss);
  const t0 = performance.now();
  const app = createApp({ config: parseConfig(CONFIG, "(bench)"), dataDir, logLevel: "error", now: () => NOW, connectors: [STORED_ONLY] });
  const first = await app.pipeline.execute({ tool: "inventory_summary", arguments: { intent }, caller, approve });
  const firstAnswerMs = performance.now() - t0;
  if (first.isError) throw new Error(`first answer: ${first.text}`);
  // An MCP session as a client of `wiam serve` holds one (the queries below take the pipeline
  // directly, as that session's calls do, without the JSON-RPC round trip).
  const session = appSessions(app).openSession({ sessionId: "bench", transport: "stdio", caller: "bench" });
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await session.server.connect(serverSide);
  const client = new Client({ name: "bench", version: "1.0.0" });
  await client.connect(clientSide);
  await client.listTools();
  const { inventory } = await app.inventory.get({ taskId: "bench", recordOperation: () => undefined });

  const baseline = principalPassTimes(inventory, RUNS);
  let staleCursor: string | undefined;
  const queries: [string, (i: number) => Record<string, unknown>][] = [
    ["find_stale_service_accounts", (i) => ({ inactive_days: 90 + i })],
    ["find_expiring_credentials", (i) => ({ within_days: 30 + i })],
    ["explain_entitlement_paths (forward)", (i) => ({ principal: principalSample[i % principalSample.length] })],
    ["explain_entitlement_paths (reverse)", (i) => ({ action: "secretmanager.versions.access", resource: resourceSample[i % resourceSample.length] ?? "*" })],
    ["describe_identity", (i) => ({ principal: principalSample[i % principalSample.length] })],
    ["inventory_summary", () => ({})],
    ["list_identities", (i) => ({ name_contains: `-${i % 10}` })],
    ["find_stale_service_accounts (next page)", () => ({ inactive_days: 90, cursor: staleCursor })],
    ["what_changed", (i) => ({ since: `2026-11-${String(1 + i).padStart(2, "0")}` })],
  ];
  const results: [string, number][] = [];
  for (const [label, argsFor] of queries) {
    const name = label.split(" ")[0] as string;
    if (label.endsWith("(next page)")) {
      const page = await app.pipeline.execute({ tool: name, arguments: { intent, inactive_days: 90 }, caller, approve });
      staleCursor = (page.structured?.page as { nextCursor?: string } | undefined)?.nextCursor ?? undefined;
    }
    await app.pipeline.execute({ tool: name, arguments: { intent, ...argsFor(RUNS) }, caller, approve });
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      const response = await app.pipeline.execute({ tool: name, arguments: { intent, ...argsFor(i) }, caller, approve });
      times.push(performance.now() - start);
      if (response.isError) throw new Error(`${label}: ${response.text}`);
    }
    results.push([label, median(times)]);
  }
  await client.close();
  session.end();
  app.close();
  return { startRssMb, firstAnswerMs, baselineMs: median(baseline), queries: results, peakRssMb: peakRssMb() };
}

/** 1% of identities changed: half of them removed, as many new ones added, and one grant of each changed one moved. */
function changedCopy(estate: InventorySnapshot): InventorySnapshot {
  const step = 100;
  const removed = new Set<string>();
  estate.principals.forEach((p, i) => {
    if (i % (step * 2) === 0) removed.add(p.id);
  });
  const principals = estate.principals.filter((p) => !removed.has(p.id));
  const added = [...removed].map((id, i) => ({ ...(estate.principals.find((p) => p.id === id) as InventorySnapshot["principals"][number]), id: `${id}-new-${i}` }));
  const grants: Grant[] = [];
  let moved = 0;
  for (const grant of estate.grants) {
    if (removed.has(grant.principalId)) continue;
    if (moved < removed.size && grant.principalId.length % step === 3) {
      grants.push({ id: `${grant.id}#moved`, provider: grant.provider, kind: grant.kind, principalId: grant.principalId, policyId: grant.policyId, evidence: grant.evidence });
      moved++;
      continue;
    }
    grants.push(grant);
  }
  return { ...estate, principals: [...principals, ...added], grants, credentials: estate.credentials.filter((c) => !removed.has(c.principalId ?? "")) };
}

function diff(identities: number): { diffMs: number; baselineMs: number; changes: number } {
  const before = generateSyntheticEstate({ identities, seed: 7, now: NOW });
  const after = changedCopy(generateSyntheticEstate({ identities, seed: 7, now: NOW }));
  const columns = (estate: InventorySnapshot) => ({ snapshot: { ...estate, grants: [] }, grants: new GrantTable(estate.grants) });
  const a = columns(before);
  const b = columns(after);
  const t0 = performance.now();
  const ids = new Set<string>();
  for (const table of [a.grants, b.grants]) for (let row = 0; row < table.length; row++) ids.add(table.at(row).id);
  const baselineMs = performance.now() - t0;
  const t1 = performance.now();
  const delta = diffCollections(a, b);
  const diffMs = performance.now() - t1;
  return { diffMs, baselineMs, changes: delta.changes.length };
}

const self = fileURLToPath(import.meta.url);
const [mode, ...rest] = process.argv.slice(2);

function child<T>(args: string[], heapMb?: number): T {
  const flags = heapMb === undefined ? [] : [`--max-old-space-size=${heapMb}`];
  const out = execFileSync(process.execPath, [...flags, self, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const last = out.trim().split("\n").at(-1) ?? "{}";
  return JSON.parse(last) as T;
}

if (mode === "write") {
  console.log(JSON.stringify(await write(Number(rest[0]), rest[1] as string)));
} else if (mode === "serve") {
  const samples = JSON.parse(rest[1] as string) as { principals: string[]; resources: string[] };
  console.log(JSON.stringify(await serve(rest[0] as string, samples.principals, samples.resources)));
} else if (mode === "diff") {
  console.log(JSON.stringify(diff(Number(rest[0]))));
} else {
  const sizes = [mode, ...rest].filter((a): a is string => a !== undefined).map(Number).filter((n) => n > 0);
  const run = sizes.length > 0 ? sizes : [10_000, 100_000, 1_000_000];
  const rows: { write: WriteResult; serve: ServeResult }[] = [];
  for (const size of run) {
    const dataDir = mkdtempSync(join(tmpdir(), "wiam-bench-history-"));
    try {
      // Generating 10M grants as objects takes more than the default heap; the writer is not the server.
      const written = child<WriteResult>(["write", String(size), dataDir], 16_000);
      const served = child<ServeResult>(["serve", dataDir, JSON.stringify({ principals: written.principalSample, resources: written.resourceSample })]);
      rows.push({ write: written, serve: served });
      console.error(`${size} done`);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const col = (values: string[]) => values.map((v) => v.padStart(14)).join("");
  console.log(`\nStored inventory (columnar, SQLite), Node ${process.version}, default heap in the serving process`);
  console.log(`${"".padEnd(44)}${col(rows.map((r) => `${r.write.identities.toLocaleString()} ids`))}`);
  const line = (label: string, values: string[]) => console.log(`${label.padEnd(44)}${col(values)}`);
  line("grants", rows.map((r) => r.write.grants.toLocaleString()));
  line("storage on disk (MB)", rows.map((r) => mb(r.write.storeBytes).toFixed(1)));
  line("write: encode + store (ms)", rows.map((r) => r.write.writeMs.toFixed(0)));
  line("baseline: index the collected estate (ms)", rows.map((r) => r.write.indexMs.toFixed(0)));
  line("restart: first answer from the store (ms)", rows.map((r) => r.serve.firstAnswerMs.toFixed(0)));
  line("baseline: pass over principals (ms)", rows.map((r) => r.serve.baselineMs.toFixed(2)));
  for (const [index, [label]] of (rows[0]?.serve.queries ?? []).entries()) {
    line(`p50 ${label} (ms)`, rows.map((r) => (r.serve.queries[index]?.[1] ?? 0).toFixed(2)));
  }
  line("peak RSS of the serving process (MB)", rows.map((r) => r.serve.peakRssMb.toFixed(0)));
  line("  of which at start, code loaded (MB)", rows.map((r) => r.serve.startRssMb.toFixed(0)));
  const diffSize = 100_000;
  const diffed = child<{ diffMs: number; baselineMs: number; changes: number }>(["diff", String(diffSize)], 8_000);
  console.log(
    `\ndiff of two ${diffSize.toLocaleString()}-identity collections, 1% of identities changed: ${diffed.diffMs.toFixed(0)} ms ` +
      `(${diffed.changes.toLocaleString()} changes; baseline: a set of every grant id of both, ${diffed.baselineMs.toFixed(0)} ms)`,
  );
}
