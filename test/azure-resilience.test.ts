/**
 * Resilience against the wire-level fake: 429 honoured with Retry-After, 5xx retried page by page
 * (a failure on page 2 retries page 2, not the listing), persistent failures and timeouts turned
 * into gaps that keep what was read, unlicensed or forbidden APIs reported instead of silently
 * missing, bad credentials, bounded concurrency, and cancellation.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createAzureConnector, type AzureConnector, type AzureConnectorDeps } from "../src/providers/azure/index.js";
import type { FakeAzureEstate, FakeSecret } from "./fakes/azure/estate.js";
import { collectWith, countsByApi, fakeConfig, instantRetry, trustingHttpClient } from "./fakes/azure/harness.js";
import { FakeAzureServer } from "./fakes/azure/server.js";
import { NONPROD, PROD, READER_CLIENT_ID, READER_SECRET, TENANT, TENANT_SCOPE, smallEstate } from "./fakes/azure/small-estate.js";

const bigSecrets: FakeSecret[] = Array.from({ length: 60 }, (_, index) => ({
  name: `app-secret-${String(index).padStart(3, "0")}`,
  version: `${index.toString(16).padStart(32, "0")}`,
  attributes: { enabled: true, created: 1_700_000_000, updated: 1_700_000_000 },
}));

function estate(): FakeAzureEstate {
  const base = smallEstate();
  return { ...base, vaults: [...base.vaults, { name: "kv-big", tenantId: TENANT, secrets: bigSecrets, certificates: [], keys: [] }] };
}

let fake: FakeAzureServer;
const connectors: AzureConnector[] = [];
beforeAll(async () => {
  fake = await FakeAzureServer.start(estate());
});
afterAll(async () => fake.close());
beforeEach(() => {
  fake.resetLog();
  fake.clearFaults();
});
afterEach(() => {
  for (const connector of connectors.splice(0)) connector.close();
});

function connector(vaults: string[], overrides: Record<string, unknown> = {}, deps: AzureConnectorDeps = {}, subscriptions: string[] = []): AzureConnector {
  const created = createAzureConnector(
    { ...fakeConfig(fake, { id: TENANT, subscriptions }, vaults, READER_CLIENT_ID), cacheTtlSeconds: 0, ...overrides },
    { httpClient: trustingHttpClient(), insecureLocalVaults: true, environment: { WIAM_TEST_AZURE_CLIENT_SECRET: READER_SECRET }, retry: instantRetry(), ...deps },
  );
  connectors.push(created);
  return created;
}

const vaultOnly = { tenants: [{ id: TENANT, workloadIdentities: false, managementGroups: false }] };

/** Without subscriptions every vault also carries the "not found in the configured subscriptions" gap; leave it aside. */
function dataGaps(snapshot: { gaps?: Array<{ source: string }> | undefined }) {
  return (snapshot.gaps ?? []).filter((gap) => gap.source !== "keyvault:vaults.listBySubscription");
}

describe("retries", () => {
  test("429 waits for Retry-After, then succeeds; every attempt is tallied", async () => {
    fake.addFault({ route: "secrets.list", status: 429, retryAfter: 3, times: 1 });
    const delays: number[] = [];
    const { snapshot, operations } = await collectWith(connector(["kv-payments"], vaultOnly, { retry: instantRetry(delays) }), "throttled");
    expect(dataGaps(snapshot)).toEqual([]);
    expect(delays).toEqual([3000]);
    expect(countsByApi(operations)["keyvault:listPropertiesOfSecrets"]).toBe(2);
    expect(snapshot.vaultItems.filter((item) => item.kind === "secret")).toHaveLength(5);
  });

  test("a 503 on page 2 of 3 retries that page only, with jittered backoff", async () => {
    fake.addFault({ route: "secrets.list", status: 503, page: 25, times: 2 });
    const delays: number[] = [];
    const { snapshot, operations } = await collectWith(connector(["kv-big"], vaultOnly, { retry: instantRetry(delays) }), "flaky-page");
    expect(dataGaps(snapshot)).toEqual([]);
    expect(snapshot.vaultItems.map((item) => item.name)).toEqual(bigSecrets.map((secret) => secret.name));
    // Pages at 0, 25 (twice failed, then ok), 50.
    expect(countsByApi(operations)["keyvault:listPropertiesOfSecrets"]).toBe(5);
    expect(fake.requests.filter((r) => r.route === "secrets.list").map((r) => r.status)).toEqual([200, 503, 503, 200, 200]);
    // random() = 0.5 with a 100 ms base: half of 100, then half of 200.
    expect(delays).toEqual([50, 100]);
  });

  test("a persistent 500 mid-listing becomes a gap that keeps the pages already read", async () => {
    fake.addFault({ route: "secrets.list", status: 500, page: 25 });
    const { snapshot, operations } = await collectWith(connector(["kv-big"], { ...vaultOnly, maxAttempts: 3 }), "broken-page");
    expect(snapshot.vaultItems).toHaveLength(25);
    expect(dataGaps(snapshot)).toEqual([
      {
        provider: "azure",
        scopeId: fake.vaultUrl("kv-big"),
        source: "keyvault:listPropertiesOfSecrets",
        reason: "secret listing incomplete (the 25 secrets read before the failure are kept): RestError/InternalServerError (HTTP 500): Pagination failed with unexpected statusCode 500",
      },
    ]);
    expect(countsByApi(operations)["keyvault:listPropertiesOfSecrets"]).toBe(4);
  });

  test("a request that does not answer in time is abandoned, retried, then reported", async () => {
    // Generous margins, no wall-clock assertion (see the AWS and Google equivalents).
    fake.addFault({ route: "certificates.list", delayMs: 6000 });
    const { snapshot, operations } = await collectWith(connector(["kv-payments"], { ...vaultOnly, callTimeoutMs: 1000, maxAttempts: 2 }), "slow");
    expect(dataGaps(snapshot)).toEqual([
      {
        provider: "azure",
        scopeId: fake.vaultUrl("kv-payments"),
        source: "keyvault:listPropertiesOfCertificates",
        reason: "certificate listing incomplete: CallTimeoutError: keyvault:listPropertiesOfCertificates did not answer within 1000 ms",
      },
    ]);
    expect(countsByApi(operations)["keyvault:listPropertiesOfCertificates"]).toBe(2);
    expect(snapshot.vaultItems.filter((item) => item.kind === "secret")).toHaveLength(5);
  });

  test("a failing certificate policy leaves the certificate in, without policy, and says so", async () => {
    fake.addFault({ route: "certificate.policy", status: 500 });
    const { snapshot } = await collectWith(connector(["kv-payments"], { ...vaultOnly, maxAttempts: 1 }), "no-policy");
    expect(snapshot.vaultItems.filter((item) => item.kind === "certificate").map((item) => [item.name, item.certificatePolicy ?? null])).toEqual([
      ["api-payments-example-com", null],
      ["mtls-client-payments", null],
    ]);
    expect(dataGaps(snapshot)[0]).toMatchObject({
      source: "keyvault:getCertificatePolicy",
      reason: expect.stringMatching(/^policy \(issuer, auto-renew\) unknown for 2 of 2 certificates; first: api-payments-example-com: RestError.*\(HTTP 500\)/),
    });
  });
});

describe("partial results say what failed", () => {
  test("no sign-in licence: identities are kept without activity, and the gap says why", async () => {
    const base = estate();
    const unlicensed = await FakeAzureServer.start({ ...base, tenants: base.tenants.map((t) => ({ ...t, signIns: "forbidden" as const })) });
    try {
      const azure = createAzureConnector(
        { ...fakeConfig(unlicensed, { id: TENANT, subscriptions: [] }, [], READER_CLIENT_ID), cacheTtlSeconds: 0 },
        { httpClient: trustingHttpClient(), insecureLocalVaults: true, environment: { WIAM_TEST_AZURE_CLIENT_SECRET: READER_SECRET }, retry: instantRetry() },
      );
      const { snapshot, operations } = await collectWith(azure, "unlicensed");
      expect(snapshot.gaps).toEqual([
        {
          provider: "azure",
          scopeId: TENANT_SCOPE,
          source: "graph:servicePrincipalSignInActivities",
          reason: expect.stringMatching(/^sign-in activity not available \(needs Entra ID P1\/P2 and AuditLog\.Read\.All\), so staleness cannot be decided: RestError.*\(HTTP 403\): Neither tenant is B2C/),
        },
      ]);
      expect(countsByApi(operations)["graph:servicePrincipalSignInActivities"]).toBe(1);
      expect(snapshot.principals.filter((p) => p.kind === "application")).toHaveLength(6);
      expect(snapshot.principals.some((p) => p.lastActivity)).toBe(false);
    } finally {
      await unlicensed.close();
    }
  });

  test("no management group access: subscriptions hang off the tenant and a gap marks the hierarchy unknown", async () => {
    const base = estate();
    const forbidden = await FakeAzureServer.start({ ...base, tenants: base.tenants.map((t) => ({ ...t, managementGroups: "forbidden" as const })) });
    try {
      const azure = createAzureConnector(
        { ...fakeConfig(forbidden, { id: TENANT, subscriptions: [PROD] }, [], READER_CLIENT_ID), cacheTtlSeconds: 0 },
        { httpClient: trustingHttpClient(), insecureLocalVaults: true, environment: { WIAM_TEST_AZURE_CLIENT_SECRET: READER_SECRET }, retry: instantRetry() },
      );
      const { snapshot } = await collectWith(azure, "no-mg");
      // The assignment inherited from mg-landingzones still places that group above the subscription.
      expect(snapshot.scopes.find((s) => s.id === `/subscriptions/${PROD}`)?.parentId).toBe("/providers/Microsoft.Management/managementGroups/mg-landingzones");
      expect(snapshot.scopes.find((s) => s.id === "/providers/Microsoft.Management/managementGroups/mg-landingzones")?.parentId).toBe(TENANT_SCOPE);
      expect(snapshot.gaps).toEqual([
        {
          provider: "azure",
          scopeId: TENANT_SCOPE,
          source: "management:managementGroups.list",
          reason: expect.stringMatching(/^management group hierarchy not read, so assignments inherited from management groups are unknown: RestError.*\(HTTP 403\)/),
        },
      ]);
    } finally {
      await forbidden.close();
    }
  });

  test("a rejected client secret leaves every part as a gap, none silently empty", async () => {
    const azure = connector(["kv-payments"], { maxAttempts: 1 }, { environment: { WIAM_TEST_AZURE_CLIENT_SECRET: "FAKE-wrong-secret" } }, [PROD]);
    const { snapshot } = await collectWith(azure, "bad-secret");
    expect(snapshot.principals).toEqual([]);
    expect(snapshot.vaultItems).toEqual([]);
    const sources = (snapshot.gaps ?? []).map((gap) => gap.source).sort();
    expect(sources).toEqual([
      "authorization:denyAssignments.listForScope",
      "authorization:roleAssignments.listForScope",
      "authorization:roleDefinitions.list",
      "authorization:roleEligibilityScheduleInstances.listForScope",
      "graph:applications",
      "graph:applications.owners",
      "graph:organization",
      "graph:roleManagement.directory.roleAssignments",
      "graph:roleManagement.directory.roleDefinitions",
      "graph:roleManagement.directory.roleEligibilityScheduleInstances",
      "graph:servicePrincipalSignInActivities",
      "graph:servicePrincipals",
      "graph:servicePrincipals.owners",
      "keyvault:listPropertiesOfCertificates",
      "keyvault:listPropertiesOfKeys",
      "keyvault:listPropertiesOfSecrets",
      "keyvault:vaults.listBySubscription",
      "keyvault:vaults.listBySubscription",
      "management:managementGroups.list",
      "msi:userAssignedIdentities.listBySubscription",
    ]);
    expect(snapshot.gaps?.find((gap) => gap.source === "graph:applications")?.reason).toMatch(/AADSTS7000215|invalid_client/);
  });

  test("a missing client secret variable is one clear gap per tenant and vault", async () => {
    const azure = connector(["kv-payments"], vaultOnly, { environment: {} });
    const { snapshot } = await collectWith(azure, "no-secret");
    expect(dataGaps(snapshot).map((gap) => [(gap as { scopeId?: string }).scopeId, gap.source, (gap as { reason?: string }).reason])).toEqual([
      [TENANT_SCOPE, "credential", `not collected: Error: environment variable WIAM_TEST_AZURE_CLIENT_SECRET (client secret of ${READER_CLIENT_ID}) is not set`],
      [fake.vaultUrl("kv-payments"), "credential", `not collected: Error: environment variable WIAM_TEST_AZURE_CLIENT_SECRET (client secret of ${READER_CLIENT_ID}) is not set`],
    ]);
  });
});

describe("bounds", () => {
  test("requests in flight never exceed maxConcurrency", async () => {
    const slow = await FakeAzureServer.start(estate(), { latencyMs: 15 });
    try {
      const azure = createAzureConnector(
        { ...fakeConfig(slow, { id: TENANT, subscriptions: [PROD, NONPROD] }, ["kv-payments", "kv-legacy", "kv-big"], READER_CLIENT_ID), cacheTtlSeconds: 0, maxConcurrency: 2 },
        { httpClient: trustingHttpClient(), insecureLocalVaults: true, environment: { WIAM_TEST_AZURE_CLIENT_SECRET: READER_SECRET }, retry: instantRetry() },
      );
      const { snapshot } = await collectWith(azure, "bounded");
      expect(snapshot.vaultItems.length).toBeGreaterThan(60);
      expect(slow.maxInFlight).toBeLessThanOrEqual(2);
      expect(slow.maxInFlight).toBeGreaterThanOrEqual(1);
    } finally {
      await slow.close();
    }
  });

  test("cancelling the task stops the collection", async () => {
    fake.addFault({ route: "secrets.list", delayMs: 300 });
    const controller = new AbortController();
    const running = collectWith(connector(["kv-big"], vaultOnly), "cancelled", { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("task cancelled")), 100);
    await expect(running).rejects.toThrow("task cancelled");
  });
});
