/**
 * Benchmark of the AWS connector against the wire-level fake: one account with 5,000 roles and
 * 2,000 users (and half of that), 20 ms injected latency per request. Prints API calls by API,
 * wall time and the collector's peak RSS, and checks the targets: calls grow with pages, not
 * identities, and a full collection takes under 30 s.
 *
 *   npm run build && node dist/bench/aws-collect.js
 *
 * The fake and each collection run in their own processes, so the RSS measured is the
 * connector's alone and the fake's CPU does not slow the collector's event loop.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { firstMessage, measureCollect } from "./collect-harness.js";
import { createAwsConnector } from "../src/providers/aws/index.js";
import { FAKE_BASE_ACCESS_KEY_ID, FAKE_BASE_SECRET_ACCESS_KEY, largeAccount } from "../test/fakes/aws/estate.js";
import { FakeAwsServer } from "../test/fakes/aws/server.js";

const ACCOUNT_ID = "123456789012";
const ROLE_ARN = `arn:aws:iam::${ACCOUNT_ID}:role/wiam-read`;
const LATENCY_MS = 20;
const TIME_TARGET_MS = 30_000;

interface Size {
  label: string;
  roles: number;
  users: number;
  /** A report younger than 4 hours exists, so no polling (AWS reuses it). */
  reportReady: boolean;
}

const SIZES: Size[] = [
  { label: "full", roles: 5000, users: 2000, reportReady: false },
  { label: "half", roles: 2500, users: 1000, reportReady: false },
  { label: "full, credential report already generated", roles: 5000, users: 2000, reportReady: true },
];

interface RunResult {
  principals: number;
  credentials: number;
  policies: number;
  gaps: number;
  callsByApi: Record<string, number>;
  totalCalls: number;
  wallMs: number;
  peakRssMb: number;
}


/** Child: serve a large account until told to stop. */
async function serveFake(roles: number, users: number, reportReady: boolean): Promise<void> {
  const account = largeAccount(ACCOUNT_ID, { roles, users });
  if (reportReady) account.credentialReport = { pendingGenerates: 0 };
  account.roles.push({ name: "wiam-read", id: "AROAEXAMPLEBENCHREAD1", created: "2024-01-01T00:00:00Z", trust: { Version: "2012-10-17", Statement: [] } });
  const fake = await FakeAwsServer.start(
    { accounts: { [ACCOUNT_ID]: account }, baseAccountId: "999999999999", baseIdentityArn: "arn:aws:iam::999999999999:user/wiam-bench" },
    { latencyMs: LATENCY_MS },
  );
  fake.recordRequests = false;
  process.send?.({ url: fake.url });
  process.on("message", (message) => {
    if (message === "counts") process.send?.({ counts: fake.callCounts() });
    if (message === "stop") void fake.close().then(() => process.exit(0));
  });
}

/** Child: collect once from the fake at `url` and report. */
async function collectOnce(url: string): Promise<void> {
  process.env.AWS_ENDPOINT_URL = url;
  process.env.AWS_REGION = "us-east-1";
  const connector = createAwsConnector(
    { accounts: [{ id: ACCOUNT_ID, roleArn: ROLE_ARN }] },
    { credentials: { accessKeyId: FAKE_BASE_ACCESS_KEY_ID, secretAccessKey: FAKE_BASE_SECRET_ACCESS_KEY }, caller: "wiam-bench" },
  );
  const { snapshot, callsByApi, totalCalls, wallMs, peakRssMb } = await measureCollect(connector);
  const result: RunResult = {
    principals: snapshot.principals.length,
    credentials: snapshot.credentials.length,
    policies: snapshot.policies.length,
    gaps: snapshot.gaps?.length ?? 0,
    callsByApi,
    totalCalls,
    wallMs,
    peakRssMb,
  };
  process.send?.({ result });
}


async function runSize(size: Size): Promise<RunResult & { fakeCounts: Record<string, number> }> {
  const self = fileURLToPath(import.meta.url);
  const fake = fork(self, ["--fake-server", String(size.roles), String(size.users), String(size.reportReady)]);
  try {
    const url = await firstMessage<string>(fake, "url");
    const collector = fork(self, ["--collect", url]);
    const result = await firstMessage<RunResult>(collector, "result");
    collector.kill();
    fake.send("counts");
    const fakeCounts = await firstMessage<Record<string, number>>(fake, "counts");
    return { ...result, fakeCounts };
  } finally {
    fake.send("stop");
  }
}

async function main(): Promise<void> {
  const [mode, first, second, third] = process.argv.slice(2);
  if (mode === "--fake-server") return serveFake(Number(first), Number(second), third === "true");
  if (mode === "--collect" && first) return collectOnce(first);

  console.log(`AWS connector benchmark: one account through the wire-level fake, ${LATENCY_MS} ms latency per request\n`);
  const results: Array<{ size: Size; result: Awaited<ReturnType<typeof runSize>> }> = [];
  for (const size of SIZES) {
    const result = await runSize(size);
    results.push({ size, result });
    console.log(`${size.label}: ${size.roles} roles, ${size.users} users${size.reportReady ? "" : " (credential report generated on demand: 2 polls, 2 s + 4 s)"}`);
    console.log(`  inventory: ${result.principals} principals, ${result.credentials} credentials, ${result.policies} policies, ${result.gaps} gaps`);
    console.log(`  API calls: ${result.totalCalls}`);
    for (const [api, count] of Object.entries(result.callsByApi)) console.log(`    ${api.padEnd(40)} ${count}`);
    console.log(`  wall time: ${(result.wallMs / 1000).toFixed(2)} s`);
    console.log(`  peak RSS (collector process): ${result.peakRssMb} MB\n`);
  }

  const [full, half] = results;
  let ok = true;
  if (full && half) {
    const identityRatio = (full.size.roles + full.size.users) / (half.size.roles + half.size.users);
    const callRatio = full.result.totalCalls / half.result.totalCalls;
    console.log(`identities x${identityRatio.toFixed(1)} → calls x${callRatio.toFixed(2)} (grows with pages of 1000 items and report polls, not per identity)`);
    const perIdentity = full.result.totalCalls > (full.size.roles + full.size.users) / 100;
    if (perIdentity) {
      console.log("FAIL: calls grow with identities");
      ok = false;
    }
    if (full.result.wallMs > TIME_TARGET_MS) {
      console.log(`FAIL: full collection took longer than ${TIME_TARGET_MS / 1000} s`);
      ok = false;
    }
    const agrees = Object.values(full.result.fakeCounts).reduce((sum, count) => sum + count, 0) === full.result.totalCalls;
    console.log(`fake saw ${Object.values(full.result.fakeCounts).reduce((sum, count) => sum + count, 0)} requests for the full run (${agrees ? "matches" : "DIFFERS FROM"} the recorded operations)`);
    if (!agrees) ok = false;
  }
  console.log(ok ? "targets met: O(pages) calls, under 30 s" : "targets NOT met");
  process.exitCode = ok ? 0 : 1;
}

await main();
