/**
 * Cost of auditing a tool call: latency added per call and sustained audited calls per second,
 * against the same calls with auditing off, for each durability setting considered.
 *
 *   npm run build && node dist/bench/audit.js [calls]
 *
 * A simulated call builds a realistic acceptance, a ~2 KB redacted response (identity items),
 * serializes and SHA-256 hashes it and builds the completion; with auditing on it also runs
 * accept + complete against a real SQLite file in a temp dir (same filesystem as os.tmpdir()).
 * Added latency = audited percentile - baseline percentile. Targets: median added <= 0.3 ms,
 * >= 5,000 audited calls/s.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditStore, type AuditStoreOptions } from "../src/audit/store.js";
import type { AuditAcceptance, AuditCompletion } from "../src/audit/types.js";

const CALLS = Number(process.argv[2] ?? 20_000);
const WARMUP = 500;
const TARGET_MEDIAN_ADDED_MS = 0.3;
const TARGET_CALLS_PER_SECOND = 5_000;

interface Setting {
  name: string;
  options: Omit<AuditStoreOptions, "now">;
  /** fsync per commit is slow; fewer calls keep the run short. */
  calls: number;
}

/** A cheap stand-in for the pipeline's redactor, exercising the guard's cost on every event. */
const guard = (text: string): string =>
  text.replace(/\bAKIA[0-9A-Z]{16}\b/g, "[REDACTED:aws_access_key_id]").replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----/g, "[REDACTED:pem]");

const SETTINGS: Setting[] = [
  { name: "WAL, synchronous=NORMAL, body=summary (default)", options: { responseBody: "summary" }, calls: CALLS },
  { name: "WAL, synchronous=NORMAL, body=full", options: { responseBody: "full" }, calls: CALLS },
  { name: "WAL, synchronous=NORMAL, summary + redactText guard", options: { responseBody: "summary", redactText: guard }, calls: CALLS },
  { name: "WAL, synchronous=FULL, body=summary", options: { responseBody: "summary", durability: "full" }, calls: Math.min(CALLS, 3_000) },
];

function responseFor(i: number): { items: unknown[]; nextCursor: string | null } {
  const items = [];
  for (let k = 0; k < 6; k++) {
    items.push({
      id: `arn:aws:iam::123456789012:role/service-role/app-${i}-${k}`,
      kind: "role",
      provider: "aws",
      scopeId: "aws:account/123456789012",
      lastUsedAt: "2025-02-11T08:14:00Z",
      credentials: [{ id: `AKIAEXAMPLE${String(k).padStart(9, "0")}`, status: "active", createdAt: "2024-06-01T00:00:00Z" }],
      risk: { stale: k % 2 === 0, reasons: ["no use in 90 days", "admin policy attached"] },
    });
  }
  return { items, nextCursor: i % 3 === 0 ? null : `cursor-${i}` };
}

function acceptanceFor(i: number): AuditAcceptance {
  return {
    sessionId: "7f1c2a9e-5d3b-4c1f-9a8e-EXAMPLE00001",
    clientName: "claude-desktop",
    clientVersion: "0.9.2",
    caller: "analyst",
    transport: "stdio",
    tool: "list_identities",
    intent: "quarterly review of unused machine identities",
    taskId: `TASK-${i % 50}`,
    arguments: { provider: "aws", kinds: ["role", "user"], pageSize: 50, cursor: `cursor-${i}` },
    decision: "allow",
    decisionRule: "allowlist",
    approver: null,
    redactionRulesetVersion: "2025.1",
  };
}

/** One simulated call; returns its duration in ms. */
function simulateCall(i: number, store: AuditStore | null): number {
  const started = performance.now();
  const acceptance = acceptanceFor(i);
  const id = store === null ? null : store.accept(acceptance);
  const response = responseFor(i);
  const text = JSON.stringify(response);
  const completion: AuditCompletion = {
    status: "ok",
    error: null,
    credentialScope: "aws:account/123456789012 read-only",
    cloudOperations: [{ provider: "aws", api: "iam:GetAccountAuthorizationDetails", scopeId: "aws:account/123456789012", count: 1, requestIds: [`req-${i}`] }],
    result: { itemCount: response.items.length, byteSize: Buffer.byteLength(text), sha256: createHash("sha256").update(text).digest("hex"), truncated: false },
    redactionFindings: { aws_secret_access_key: i % 7 === 0 ? 1 : 0 },
    responseBody: text,
    durationMs: 3,
  };
  if (store !== null && id !== null) store.complete(id, completion);
  return performance.now() - started;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

interface Run {
  median: number;
  p95: number;
  callsPerSecond: number;
}

function run(calls: number, store: AuditStore | null): Run {
  for (let i = 0; i < WARMUP; i++) simulateCall(i, store);
  const durations = new Array<number>(calls);
  const started = performance.now();
  for (let i = 0; i < calls; i++) durations[i] = simulateCall(WARMUP + i, store);
  const elapsedSeconds = (performance.now() - started) / 1000;
  durations.sort((a, b) => a - b);
  return { median: percentile(durations, 0.5), p95: percentile(durations, 0.95), callsPerSecond: calls / elapsedSeconds };
}

function main(): void {
  const sample = JSON.stringify(responseFor(1));
  console.log(`audit bench: ${CALLS} calls per setting (FULL: fewer), response ${sample.length} bytes, db in ${tmpdir()}`);
  const rows: string[][] = [["setting", "calls", "median added", "p95 added", "audited calls/s", "baseline calls/s", "target"]];
  for (const setting of SETTINGS) {
    const baseline = run(setting.calls, null);
    const dir = mkdtempSync(join(tmpdir(), "wiam-audit-bench-"));
    const store = AuditStore.open(join(dir, "audit.db"), setting.options);
    let audited: Run;
    try {
      audited = run(setting.calls, store);
      const verify = store.verify();
      if (!verify.ok) throw new Error(`chain broken after bench: ${JSON.stringify(verify.firstBroken)}`);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const medianAdded = audited.median - baseline.median;
    const meets = medianAdded <= TARGET_MEDIAN_ADDED_MS && audited.callsPerSecond >= TARGET_CALLS_PER_SECOND;
    rows.push([
      setting.name,
      String(setting.calls),
      `${medianAdded.toFixed(3)} ms`,
      `${(audited.p95 - baseline.p95).toFixed(3)} ms`,
      audited.callsPerSecond.toFixed(0),
      baseline.callsPerSecond.toFixed(0),
      meets ? "met" : "missed",
    ]);
  }
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  for (const row of rows) console.log(row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join("  "));
  console.log(`targets: median added <= ${TARGET_MEDIAN_ADDED_MS} ms, >= ${TARGET_CALLS_PER_SECOND} audited calls/s`);
}

main();
