/**
 * Benchmark of the Azure connector against the wire-level fake: one vault with 10,000 secrets and
 * 2,000 certificates (each certificate's policy is read too), 20 ms injected latency per request,
 * through the real Key Vault SDK clients, a real ClientSecretCredential and HTTPS with a test CA.
 * Prints API calls by API, wall time and the collector's peak RSS.
 *
 *   npm run build && node dist/bench/azure-collect.js
 *
 * The fake and the collection run in their own processes, so the RSS measured is the connector's
 * alone and the fake's CPU does not slow the collector's event loop.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { firstMessage, measureCollect } from "./collect-harness.js";
import { createAzureConnector } from "../src/providers/azure/index.js";
import type { FakeAzureEstate, FakeCertificate, FakeSecret } from "../test/fakes/azure/estate.js";
import { trustingHttpClient } from "../test/fakes/azure/harness.js";
import { FakeAzureServer } from "../test/fakes/azure/server.js";
import { testTls } from "../test/fakes/azure/tls.js";

const TENANT = "0f0f0f0f-1111-4222-8333-444444444444";
const CLIENT_ID = "cccccccc-0000-4000-8000-00000000c11e";
const CLIENT_SECRET = "FAKE-bench-secret-EXAMPLE";
const LATENCY_MS = 20;
const SECRETS = 10_000;
const CERTIFICATES = 2_000;
const TIME_TARGET_MS = 60_000;

interface FakeInfo {
  loginUrl: string;
  vaultUrl: string;
  ca: string;
}

interface RunResult {
  items: number;
  withPolicy: number;
  gaps: number;
  callsByApi: Record<string, number>;
  totalCalls: number;
  wallMs: number;
  peakRssMb: number;
}

function estate(): FakeAzureEstate {
  const created = 1_700_000_000;
  const secrets: FakeSecret[] = Array.from({ length: SECRETS }, (_, i) => ({
    name: `app-secret-${String(i).padStart(5, "0")}`,
    version: i.toString(16).padStart(32, "0"),
    attributes: { enabled: i % 50 !== 0, created, updated: created, ...(i % 3 === 0 ? {} : { exp: created + 86_400 * (i % 400) }) },
    contentType: "text/plain",
    tags: { team: `team-${i % 20}` },
  }));
  const certificates: FakeCertificate[] = Array.from({ length: CERTIFICATES }, (_, i) => ({
    name: `cert-${String(i).padStart(5, "0")}`,
    version: (i + 1).toString(16).padStart(32, "0"),
    attributes: { enabled: true, created, updated: created, exp: created + 86_400 * (i % 365) },
    policy: { issuer: i % 2 ? "Self" : "DigiCert", validityMonths: 12, lifetimeActions: [i % 2 ? { action: "AutoRenew", lifetimePercentage: 80 } : { action: "EmailContacts", daysBeforeExpiry: 30 }] },
  }));
  return {
    tenants: [],
    subscriptions: [],
    clients: [{ clientId: CLIENT_ID, secret: CLIENT_SECRET, objectId: "cccccccc-0000-4000-8000-0000000000b1" }],
    vaults: [{ name: "kv-bench", tenantId: TENANT, secrets, certificates, keys: [] }],
  };
}


/** Child: serve the large vault until told to stop. */
async function serveFake(): Promise<void> {
  const fake = await FakeAzureServer.start(estate(), { latencyMs: LATENCY_MS });
  fake.recordRequests = false;
  const info: FakeInfo = { loginUrl: fake.loginUrl, vaultUrl: fake.vaultUrl("kv-bench"), ca: testTls().ca };
  process.send?.({ info });
  process.on("message", (message) => {
    if (message === "counts") process.send?.({ counts: fake.callCounts(), violations: fake.violations.length });
    if (message === "stop") void fake.close().then(() => process.exit(0));
  });
}

/** Child: collect once and report. */
async function collectOnce(info: FakeInfo): Promise<void> {
  const connector = createAzureConnector(
    {
      tenants: [{ id: TENANT, workloadIdentities: false, managementGroups: false }],
      vaults: [{ url: info.vaultUrl }],
      credential: { type: "clientSecret", clientId: CLIENT_ID, clientSecretEnv: "WIAM_BENCH_SECRET" },
      authorityHost: info.loginUrl,
      disableInstanceDiscovery: true,
    },
    { httpClient: trustingHttpClient(info.ca), insecureLocalVaults: true, environment: { WIAM_BENCH_SECRET: CLIENT_SECRET }, caller: "wiam-bench" },
  );
  const { snapshot, callsByApi, totalCalls, wallMs, peakRssMb } = await measureCollect(connector);
  const result: RunResult = {
    items: snapshot.vaultItems.length,
    withPolicy: snapshot.vaultItems.filter((item) => item.certificatePolicy).length,
    // The bench vault is in no configured subscription: that one placement gap is expected.
    gaps: (snapshot.gaps ?? []).filter((gap) => gap.source !== "keyvault:vaults.listBySubscription").length,
    callsByApi,
    totalCalls,
    wallMs,
    peakRssMb,
  };
  process.send?.({ result });
}


async function main(): Promise<void> {
  const [mode, payload] = process.argv.slice(2);
  if (mode === "--fake-server") return serveFake();
  if (mode === "--collect" && payload) return collectOnce(JSON.parse(payload) as FakeInfo);

  console.log(`Azure connector benchmark: one vault, ${SECRETS} secrets + ${CERTIFICATES} certificates (with policies), ${LATENCY_MS} ms latency per request\n`);
  const self = fileURLToPath(import.meta.url);
  const fake = fork(self, ["--fake-server"]);
  let ok = true;
  try {
    const info = await firstMessage<FakeInfo>(fake, "info");
    const collector = fork(self, ["--collect", JSON.stringify(info)]);
    const result = await firstMessage<RunResult>(collector, "result");
    collector.kill();
    fake.send("counts");
    const fakeCounts = await firstMessage<Record<string, number>>(fake, "counts");
    console.log(`  inventory: ${result.items} vault items (${result.withPolicy} certificates with policy), ${result.gaps} gaps`);
    console.log(`  API calls (connector tally): ${result.totalCalls}`);
    for (const [api, count] of Object.entries(result.callsByApi)) console.log(`    ${api.padEnd(40)} ${count}`);
    console.log(`  fake saw: ${Object.entries(fakeCounts).map(([route, count]) => `${route} ${count}`).join(", ")}`);
    console.log(`  wall time: ${(result.wallMs / 1000).toFixed(2)} s`);
    console.log(`  peak RSS (collector process): ${result.peakRssMb} MB`);
    const expectedPages = Math.ceil(SECRETS / 25) + Math.ceil(CERTIFICATES / 25) + 1;
    if (result.items !== SECRETS + CERTIFICATES || result.withPolicy !== CERTIFICATES || result.gaps !== 0) {
      console.log("FAIL: items, policies or gaps differ from the estate");
      ok = false;
    }
    if (result.totalCalls !== expectedPages + CERTIFICATES) {
      console.log(`FAIL: expected ${expectedPages} list pages + ${CERTIFICATES} policy reads`);
      ok = false;
    }
    if (result.wallMs > TIME_TARGET_MS) {
      console.log(`FAIL: took longer than ${TIME_TARGET_MS / 1000} s`);
      ok = false;
    }
  } finally {
    fake.send("stop");
  }
  console.log(ok ? "targets met: pages of 25 plus one policy read per certificate, no gaps" : "targets NOT met");
  process.exitCode = ok ? 0 : 1;
}

await main();
