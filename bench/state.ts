/**
 * Shared state: audited calls per second and the latency the audit adds, on the embedded SQLite
 * store (the baseline, measured in the same run) and on PostgreSQL with one and two replicas.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/state.js [calls]
 *
 * One audited call = the acceptance (committed before the call may run) and the completion, each a
 * chained append through the state store's audit log, as the pipeline does it. Two measurements:
 * - added latency: calls one after another (nothing to batch), p50 and p95 of accept + complete;
 * - throughput: 64 calls in flight per process (a busy replica), calls/s over the whole run; the
 *   appends that arrive together share one transaction (group commit), and each still resolves
 *   only after its transaction committed.
 * Two replicas are two processes appending to one database at once; the chain must verify after.
 *
 * PostgreSQL runs from Debian's binaries in a temp dir with fsync and synchronous_commit on (as
 * in production); SQLite runs WAL with synchronous=NORMAL (its default here). Target: >= 2,000
 * audited calls/s on PostgreSQL.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AUDIT_DB_FILE, AuditStore } from "../src/audit/store.js";
import type { AuditAcceptance, AuditCompletion } from "../src/audit/types.js";
import { postgresConfigSchema } from "../src/config/state-schema.js";
import { PostgresStateStore } from "../src/state/postgres/store.js";
import { SqliteAuditLog } from "../src/state/sqlite/audit-log.js";
import type { AuditLog } from "../src/state/state-store.js";
import { startPostgres } from "../test/support/postgres.js";

const CALLS = Number(process.argv[2] ?? 10_000);
const IN_FLIGHT = 64;
const LATENCY_CALLS = 1_000;
const TARGET_CALLS_PER_SECOND = 2_000;

function acceptanceFor(i: number, replica: string): AuditAcceptance {
  return {
    sessionId: `session-${replica}-${i % 50}`,
    clientName: "bench-client",
    clientVersion: "1.0.0",
    caller: `analyst-${i % 20}@example.com`,
    transport: "http",
    sourceAddress: "192.0.2.10",
    tool: "find_stale_identities",
    intent: "quarterly review of stale service accounts",
    taskId: `T-${i % 40}`,
    arguments: { intent: "quarterly review of stale service accounts", provider: "aws", limit: 50, task_id: `T-${i % 40}` },
    decision: "allow",
    decisionRule: "policy: default-allow",
    approver: null,
    policyIds: ["default-allow"],
    redactionRulesetVersion: "2025.1",
  };
}

function completionFor(i: number): AuditCompletion {
  return {
    status: "ok",
    error: null,
    credentialScope: "aws:account/123456789012 read-only",
    cloudOperations: [{ provider: "aws", api: "iam:GetAccountAuthorizationDetails", scopeId: "aws:account/123456789012", count: 1, requestIds: [`req-EXAMPLE-${i}`] }],
    result: { itemCount: 6, byteSize: 2048, sha256: "b".repeat(64), truncated: false },
    redactionFindings: { aws_access_key_id: 1 },
    responseBody: `Stale identities in aws:account/123456789012: 6 found (call ${i}). ${"arn:aws:iam::123456789012:role/app ".repeat(20)}`,
    durationMs: 12.5,
  };
}

async function auditedCall(log: AuditLog, i: number, replica: string): Promise<void> {
  const id = await log.accept(acceptanceFor(i, replica));
  await log.complete(id, completionFor(i));
}

/** p50/p95 of accept + complete, one call at a time. */
async function latency(log: AuditLog, replica: string): Promise<{ p50: number; p95: number }> {
  const times: number[] = [];
  for (let i = 0; i < LATENCY_CALLS; i++) {
    const started = performance.now();
    await auditedCall(log, i, replica);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)] ?? 0;
  return { p50: at(0.5), p95: at(0.95) };
}

/** Calls per second with IN_FLIGHT calls outstanding. */
async function throughput(log: AuditLog, calls: number, replica: string): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < calls) await auditedCall(log, next++, replica);
    }),
  );
  return calls / ((performance.now() - started) / 1000);
}

async function openPostgres(url: string): Promise<PostgresStateStore> {
  return PostgresStateStore.open({ config: postgresConfigSchema.parse({ url, poolSize: 8 }), audit: { responseBody: "summary" } });
}

/** Child mode: one replica appending `calls` calls as fast as it can; prints its wall time. */
async function worker(url: string, calls: number, replica: string): Promise<void> {
  const store = await openPostgres(url);
  // Both replicas start together: the parent releases them with a line on stdin.
  process.stdout.write("ready\n");
  await new Promise<void>((resolve) => process.stdin.once("data", () => resolve()));
  process.stdin.destroy();
  const perSecond = await throughput(store.audit, calls, replica);
  process.stdout.write(`${JSON.stringify({ perSecond, seconds: calls / perSecond })}\n`);
  await store.close();
}

async function twoReplicas(url: string, callsEach: number): Promise<{ perSecond: number; replicaRates: number[] }> {
  const script = fileURLToPath(import.meta.url);
  const children = ["r1", "r2"].map((replica) => spawn(process.execPath, [script, "--worker", url, String(callsEach), replica], { stdio: ["pipe", "pipe", "inherit"] }));
  const lines = children.map((child) => {
    let buffer = "";
    const waiting: ((line: string) => void)[] = [];
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        waiting.shift()?.(line);
        newline = buffer.indexOf("\n");
      }
    });
    return () => new Promise<string>((resolve) => waiting.push(resolve));
  });
  const ready = lines.map((next) => next());
  await Promise.all(ready);
  const results = lines.map((next) => next());
  const started = performance.now();
  // Ending stdin releases the worker and lets it exit once done.
  for (const child of children) child.stdin.end("go\n");
  const reports = (await Promise.all(results)).map((line) => JSON.parse(line) as { perSecond: number });
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once("exit", resolve)))));
  return { perSecond: (2 * callsEach) / seconds, replicaRates: reports.map((r) => r.perSecond) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "wiam-bench-state-"));
  const sqlite = new SqliteAuditLog(AuditStore.open(join(dir, AUDIT_DB_FILE), { responseBody: "summary" }));
  const server = await startPostgres({ durable: true });
  // An interrupted bench must not leave its PostgreSQL server running.
  const interrupted = () => void server.stop().finally(() => process.exit(130));
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    console.log(`state bench: ${CALLS} audited calls per throughput run (${IN_FLIGHT} in flight per process), ${LATENCY_CALLS} one at a time for latency`);
    const rows: string[][] = [["store", "replicas", "audited calls/s", "p50 added ms", "p95 added ms"]];

    const sqliteLatency = await latency(sqlite, "sqlite");
    const sqliteRate = await throughput(sqlite, CALLS, "sqlite");
    rows.push(["SQLite WAL NORMAL (baseline)", "1", sqliteRate.toFixed(0), sqliteLatency.p50.toFixed(3), sqliteLatency.p95.toFixed(3)]);

    const oneUrl = await server.createDatabase("bench_one");
    const one = await openPostgres(oneUrl);
    const pgLatency = await latency(one.audit, "pg");
    const pgRate = await throughput(one.audit, CALLS, "pg");
    const oneVerified = await one.audit.verify();
    await one.close();
    rows.push(["PostgreSQL (fsync, synchronous_commit on)", "1", pgRate.toFixed(0), pgLatency.p50.toFixed(3), pgLatency.p95.toFixed(3)]);

    const twoUrl = await server.createDatabase("bench_two");
    const setup = await openPostgres(twoUrl);
    await setup.close();
    const two = await twoReplicas(twoUrl, CALLS / 2);
    const check = await openPostgres(twoUrl);
    const twoVerified = await check.audit.verify();
    await check.close();
    rows.push(["PostgreSQL (fsync, synchronous_commit on)", "2", `${two.perSecond.toFixed(0)} (${two.replicaRates.map((r) => r.toFixed(0)).join(" + ")})`, "-", "-"]);

    const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
    for (const row of rows) console.log(row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join("  "));
    console.log(`chains: 1 replica ${oneVerified.ok ? "verifies" : "BROKEN"} (${oneVerified.checked} events); 2 replicas ${twoVerified.ok ? "verifies" : "BROKEN"} (${twoVerified.checked} events, expected ${2 * CALLS})`);
    const worst = Math.min(pgRate, two.perSecond);
    console.log(`target: >= ${TARGET_CALLS_PER_SECOND} audited calls/s on PostgreSQL: ${worst >= TARGET_CALLS_PER_SECOND ? "met" : "NOT met"} (lowest ${worst.toFixed(0)})`);
    if (!oneVerified.ok || !twoVerified.ok || twoVerified.checked !== 2 * CALLS) process.exitCode = 1;
  } finally {
    await sqlite.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--worker") {
  await worker(process.argv[3] ?? "", Number(process.argv[4] ?? 0), process.argv[5] ?? "r");
} else {
  await main();
}
