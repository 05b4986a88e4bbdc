/**
 * Benchmark of the Google Cloud connector against the wire-level fake: an organization with 50
 * projects, 5,000 service accounts and 10,000 keys, 20 ms injected latency per request. Prints
 * API calls by API, wall time and the collector's peak RSS.
 *
 *   npm run build && node dist/bench/gcp-collect.js
 *
 * The fake and each collection run in their own processes, so the RSS measured is the
 * connector's alone and the fake's CPU does not slow the collector's event loop.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { firstMessage, measureCollect } from "./collect-harness.js";
import { createGcpConnector } from "../src/providers/gcp/index.js";
import { largeEstate } from "../test/fakes/gcp/estate.js";
import { endpointsOf, fakeAdcCredentials } from "../test/fakes/gcp/harness.js";
import { FakeGcpServer } from "../test/fakes/gcp/server.js";

const LATENCY_MS = 20;
const SIZE = { projects: 50, serviceAccounts: 5000, keys: 10_000 };
const CONCURRENCY = [16, 32];

interface RunResult {
  principals: number;
  credentials: number;
  grants: number;
  trustEdges: number;
  gaps: number;
  callsByApi: Record<string, number>;
  totalCalls: number;
  wallMs: number;
  peakRssMb: number;
}


async function serveFake(): Promise<void> {
  const fake = await FakeGcpServer.start(largeEstate({ ...SIZE, now: new Date() }), { latencyMs: LATENCY_MS });
  fake.recordRequests = false;
  process.send?.({ url: fake.url });
  process.on("message", (message) => {
    if (message === "counts") process.send?.({ counts: fake.callCounts() });
    if (message === "stop") void fake.close().then(() => process.exit(0));
  });
}

async function collectOnce(url: string, maxConcurrency: number): Promise<void> {
  const connector = createGcpConnector(
    { organization: "100000000001", maxConcurrency, endpoints: endpointsOf(url) },
    { credentials: fakeAdcCredentials("wiam-bench@example.com"), caller: "wiam-bench" },
  );
  const { snapshot, callsByApi, totalCalls, wallMs, peakRssMb } = await measureCollect(connector);
  const result: RunResult = {
    principals: snapshot.principals.length,
    credentials: snapshot.credentials.length,
    grants: snapshot.grants.length,
    trustEdges: snapshot.trustEdges.length,
    gaps: snapshot.gaps?.length ?? 0,
    callsByApi,
    totalCalls,
    wallMs,
    peakRssMb,
  };
  process.send?.({ result });
}


async function run(maxConcurrency: number): Promise<RunResult & { fakeTotal: number }> {
  const self = fileURLToPath(import.meta.url);
  const fake = fork(self, ["--fake-server"]);
  try {
    const url = await firstMessage<string>(fake, "url");
    const collector = fork(self, ["--collect", url, String(maxConcurrency)]);
    const result = await firstMessage<RunResult>(collector, "result");
    collector.kill();
    fake.send("counts");
    const counts = await firstMessage<Record<string, number>>(fake, "counts");
    return { ...result, fakeTotal: Object.values(counts).reduce((sum, count) => sum + count, 0) };
  } finally {
    fake.send("stop");
  }
}

async function main(): Promise<void> {
  const [mode, first, second] = process.argv.slice(2);
  if (mode === "--fake-server") return serveFake();
  if (mode === "--collect" && first) return collectOnce(first, Number(second));

  console.log(
    `Google Cloud connector benchmark: ${SIZE.projects} projects, ${SIZE.serviceAccounts} service accounts, ${SIZE.keys} keys through the wire-level fake, ${LATENCY_MS} ms latency per request\n`,
  );
  let ok = true;
  for (const maxConcurrency of CONCURRENCY) {
    const result = await run(maxConcurrency);
    console.log(`maxConcurrency ${maxConcurrency}:`);
    console.log(`  inventory: ${result.principals} principals, ${result.credentials} credentials, ${result.grants} grants, ${result.trustEdges} trust edges, ${result.gaps} gaps`);
    console.log(`  API calls: ${result.totalCalls} (the fake saw ${result.fakeTotal})`);
    for (const [api, count] of Object.entries(result.callsByApi)) console.log(`    ${api.padEnd(52)} ${count}`);
    console.log(`  wall time: ${(result.wallMs / 1000).toFixed(2)} s`);
    console.log(`  peak RSS (collector process): ${result.peakRssMb} MB\n`);
    if (result.credentials !== SIZE.keys || result.gaps !== 0 || result.fakeTotal !== result.totalCalls) ok = false;
  }
  console.log(ok ? "complete: every key collected, no gaps, recorded calls match the fake" : "INCOMPLETE collection");
  process.exitCode = ok ? 0 : 1;
}

await main();
