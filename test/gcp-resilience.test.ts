/** Quota errors, 5xx, stalls, permission gaps, caching and bounded concurrency against the fake. */
import { afterEach, describe, expect, test } from "vitest";
import { createGcpConnector } from "../src/providers/gcp/index.js";
import { collectWith, countsByApi, endpointsOf, fakeAdcCredentials, instantRetry } from "./fakes/gcp/harness.js";
import { FakeGcpServer, type FakeGcpOptions } from "./fakes/gcp/server.js";
import { DEPLOYER, PROD, SANDBOX, SANDBOX_BOT, smallEstate } from "./fakes/gcp/small-estate.js";
import type { InventorySnapshot } from "../src/model/inventory.js";

const NOW = new Date();
const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const item of open.splice(0)) await item.close();
});

async function setup(config: Record<string, unknown> = {}, options: FakeGcpOptions = {}, delays: number[] = [], clock = { now: NOW }) {
  const fake = await FakeGcpServer.start(smallEstate(NOW), options);
  const connector = createGcpConnector(
    { organization: "111111111111", endpoints: endpointsOf(fake.url), ...config },
    { credentials: fakeAdcCredentials(), retry: instantRetry(delays), now: () => clock.now },
  );
  open.push(fake, connector);
  return { fake, connector };
}

describe("resilience", () => {
  test("quota errors (429 RESOURCE_EXHAUSTED) are retried with jittered exponential backoff", async () => {
    const delays: number[] = [];
    const { fake, connector } = await setup({}, {}, delays);
    fake.faults = [{ api: "iam.serviceAccounts.list", pathIncludes: "prod-data-01", kind: "error", status: 429, times: 2 }];
    const { snapshot, operations } = await collectWith(connector, "t", NOW);
    expect(snapshot.gaps).toEqual([]);
    expect(snapshot.principals.some((p) => p.id === `serviceAccount:${DEPLOYER}`)).toBe(true);
    // random 0.5 × min(2000, 100 × 2^(attempt-1))
    expect(delays).toEqual([50, 100]);
    expect(countsByApi(operations)["iam.serviceAccounts.list"]).toBe(3 + 2);
    expect(fake.callCounts()["iam.serviceAccounts.list"]).toBe(5);
  });

  test("gax clients do not retry on their own: one 503 on a REST-fallback call is one extra request", async () => {
    const { fake, connector } = await setup();
    fake.faults = [{ api: "cloudresourcemanager.organizations.getIamPolicy", kind: "error", status: 503, statusName: "UNAVAILABLE", times: 1 }];
    const { snapshot } = await collectWith(connector, "t", NOW);
    expect(snapshot.gaps).toEqual([]);
    expect(fake.callCounts()["cloudresourcemanager.organizations.getIamPolicy"]).toBe(2);
  });

  test("a failure that outlasts the retries becomes a gap naming scope and API; the rest is collected and nothing failed is cached", async () => {
    const { fake, connector } = await setup({ maxAttempts: 3 });
    fake.faults = [{ api: "iam.serviceAccounts.keys.list", pathIncludes: DEPLOYER, kind: "error", status: 503, statusName: "UNAVAILABLE", message: "backend unavailable (FAKE)" }];
    const first = await collectWith(connector, "t", NOW);
    expect(first.snapshot.gaps).toEqual([
      { provider: "gcp", scopeId: PROD, source: "iam.serviceAccounts.keys.list", reason: `keys of ${DEPLOYER} not read: HTTP 503 UNAVAILABLE: backend unavailable (FAKE)` },
    ]);
    expect(first.snapshot.credentials.some((c) => c.principalId === `serviceAccount:${DEPLOYER}`)).toBe(false);
    expect(first.snapshot.credentials).toHaveLength(4);
    expect(fake.callCounts()["iam.serviceAccounts.keys.list"]).toBe(9 - 1 + 3);
    // The failed project is read again on the next collection; the healthy ones come from the cache.
    fake.faults = [];
    fake.resetCounts();
    const second = await collectWith(connector, "t", NOW);
    expect(second.snapshot.gaps).toEqual([]);
    expect(second.snapshot.credentials).toHaveLength(6);
    expect(fake.callCounts()).toEqual({
      "iam.serviceAccounts.getIamPolicy": 5,
      "iam.serviceAccounts.keys.list": 5,
      "iam.serviceAccounts.list": 1,
      "iam.workloadIdentityPools.list": 1,
      "policyanalyzer.serviceAccountKeyLastAuthentication": 1,
      "policyanalyzer.serviceAccountLastAuthentication": 1,
      // The project's secrets, keys and buckets are read again with it.
      "cloudkms.keyRings.list": 2,
      "cloudkms.locations.list": 1,
      "secretmanager.secrets.list": 1,
      "storage.buckets.list": 1,
    });
  });

  test("permission denied is not retried and leaves a gap for that project only", async () => {
    const { fake, connector } = await setup();
    fake.faults = [{ api: "*", pathIncludes: "sandbox-01/locations/global/activityTypes", kind: "error", status: 403, statusName: "PERMISSION_DENIED", message: "Policy Analyzer API has not been used in project sandbox-01 (FAKE)" }];
    const { snapshot } = await collectWith(connector, "t", NOW);
    expect(snapshot.gaps?.map(({ scopeId, source }) => ({ scopeId, source }))).toEqual([
      { scopeId: SANDBOX, source: "policyanalyzer:serviceAccountLastAuthentication" },
      { scopeId: SANDBOX, source: "policyanalyzer:serviceAccountKeyLastAuthentication" },
    ]);
    expect(fake.callCounts()["policyanalyzer.serviceAccountLastAuthentication"]).toBe(3);
    // No activity source for the sandbox account: unknown, not "never used".
    expect(snapshot.principals.find((p) => p.scopeId === SANDBOX)?.lastActivity).toBeUndefined();
  });

  test("a call that stalls is abandoned after callTimeoutMs, retried, then reported", async () => {
    // Generous margins, no wall-clock assertion: every other call answers well within 1 s on a
    // loaded machine, and the stalled one would hold the collection 2 x 8 s if it were not abandoned.
    const { fake, connector } = await setup({ callTimeoutMs: 1000, maxAttempts: 2 });
    fake.faults = [{ api: "cloudresourcemanager.projects.getIamPolicy", pathIncludes: "prod-data-01", kind: "delay", delayMs: 8000 }];
    const { snapshot } = await collectWith(connector, "t", NOW);
    expect(snapshot.gaps).toEqual([
      {
        provider: "gcp",
        scopeId: PROD,
        source: "cloudresourcemanager:projects.getIamPolicy",
        reason: "IAM policy not read; bindings here and inherited below are unknown: cloudresourcemanager:projects.getIamPolicy did not answer within 1000 ms",
      },
    ]);
    expect(fake.callCounts()["cloudresourcemanager.projects.getIamPolicy"]).toBe(3 - 1 + 2);
  });

  test("collected data is reused within the TTL and read again after it", async () => {
    const clock = { now: NOW };
    const { fake, connector } = await setup({ cacheTtlSeconds: 300 }, {}, [], clock);
    await collectWith(connector, "t", NOW);
    const firstCount = fake.requests.length;
    const again = await collectWith(connector, "t", NOW);
    expect(fake.requests.length).toBe(firstCount);
    expect(again.operations).toEqual([]);
    expect(again.snapshot.principals).toHaveLength(11);
    clock.now = new Date(NOW.getTime() + 301_000);
    await collectWith(connector, "t", clock.now);
    expect(fake.requests.length).toBe(2 * firstCount);
  });

  test("data reused from the cache keeps the time it was read; data read again gets the new time", async () => {
    const clock = { now: NOW };
    const later = new Date(NOW.getTime() + 60_000);
    const { fake, connector } = await setup({ cacheTtlSeconds: 300, maxAttempts: 1 }, {}, [], clock);
    // sandbox-01's accounts fail once (transiently), so that project alone is not cached.
    fake.faults = [{ api: "iam.serviceAccounts.list", pathIncludes: "sandbox-01", kind: "error", status: 503, statusName: "UNAVAILABLE", times: 1 }];
    const first = await collectWith(connector, "t", NOW);
    expect(new Set(observedTimes(first.snapshot))).toEqual(new Set([NOW.toISOString()]));

    clock.now = later;
    const { snapshot } = await collectWith(connector, "t", later);
    expect(snapshot.generatedAt).toBe(later.toISOString());
    const principal = (id: string) => snapshot.principals.find((p) => p.id === id);
    expect(principal(`serviceAccount:${DEPLOYER}`)?.evidence.observedAt).toBe(NOW.toISOString());
    expect(principal(`serviceAccount:${DEPLOYER}`)?.lastActivity?.observedAt).toBe(NOW.toISOString());
    expect(principal(`serviceAccount:${SANDBOX_BOT}`)?.evidence.observedAt).toBe(later.toISOString());
    const sandboxTimes = new Set([...snapshot.principals.filter((p) => p.scopeId === SANDBOX && p.kind === "service_account"), ...snapshot.credentials.filter((c) => c.scopeId === SANDBOX)].map((item) => item.evidence.observedAt));
    expect(sandboxTimes).toEqual(new Set([later.toISOString()]));
    // Everything else (scopes, policies, grants, other projects) comes from the first collection.
    const others = observedTimes({ ...snapshot, principals: snapshot.principals.filter((p) => p.scopeId !== SANDBOX), credentials: snapshot.credentials.filter((c) => c.scopeId !== SANDBOX) });
    expect(new Set(others)).toEqual(new Set([NOW.toISOString()]));
  });

  test("an unreadable organization loses only its display name: an unscoped gap that names what is missing", async () => {
    const { fake, connector } = await setup();
    fake.faults = [{ api: "cloudresourcemanager.organizations.get", kind: "error", status: 403, statusName: "PERMISSION_DENIED", message: "Permission 'resourcemanager.organizations.get' denied (FAKE)" }];
    const { snapshot } = await collectWith(connector, "t", NOW);
    expect(snapshot.scopes.find((s) => s.id === "organizations/111111111111")?.name).toBe("organizations/111111111111");
    expect(snapshot.gaps).toEqual([
      {
        provider: "gcp",
        source: "cloudresourcemanager:organizations.get (display name)",
        reason: expect.stringMatching(/^display name of organizations\/111111111111 not read; the organization id is shown instead: /),
      },
    ]);
    // Everything below the organization is still collected.
    expect(snapshot.principals.filter((p) => p.kind === "service_account")).toHaveLength(9);
    expect(snapshot.grants.some((g) => g.resource === "organizations/111111111111")).toBe(true);
  });

  test("calls in flight never exceed maxConcurrency", async () => {
    const { fake, connector } = await setup({ maxConcurrency: 3 }, { latencyMs: 15 });
    await collectWith(connector, "t", NOW);
    expect(fake.maxInFlight).toBe(3);
  });

  test("a cancelled task stops and throws instead of returning a partial snapshot", async () => {
    const { connector } = await setup({}, { latencyMs: 30 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("task cancelled")), 50);
    await expect(collectWith(connector, "t", NOW, controller.signal)).rejects.toThrow("task cancelled");
  });
});

/** Every observedAt anywhere in the snapshot (evidence and activity). */
function observedTimes(snapshot: InventorySnapshot): string[] {
  const times: string[] = [];
  JSON.stringify(snapshot, (key, value: unknown) => {
    if (key === "observedAt" && typeof value === "string") times.push(value);
    return value;
  });
  return times;
}
