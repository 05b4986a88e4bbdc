/**
 * Entra service principal and managed identity sign-ins (#18) from the wire-level Graph fake with
 * the real pipeline: the beta endpoint, filtered to those event types and the window, followed
 * across pages; a tenant without P1/P2 or without AuditLog.Read.All says which is missing.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createAzureConnector, type AzureConnector } from "../src/providers/azure/index.js";
import { inventorySnapshotSchema } from "../src/model/inventory.js";
import { collectWith, fakeConfig, instantRetry, trustingHttpClient } from "./fakes/azure/harness.js";
import { FakeAzureServer } from "./fakes/azure/server.js";
import type { FakeAzureEstate } from "./fakes/azure/estate.js";
import { NONPROD, PROD, READER_CLIENT_ID, READER_SECRET, TENANT, TENANT_SCOPE, smallEstate } from "./fakes/azure/small-estate.js";

const NOW = new Date("2026-03-10T12:00:00.000Z");
const SP = "3f2a9c1e-7b4d-4e8a-9c21-5d6e7f8a9b01";
const MI = "1b3d5f7a-9c1e-4a3f-8b6d-8e0a2c4d6f7b";

function signIn(id: string, minutesAgo: number, overrides: Record<string, unknown> = {}) {
  return {
    id,
    createdDateTime: new Date(NOW.getTime() - minutesAgo * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    servicePrincipalId: SP,
    appId: "0b6e2d41-9a3c-4f7e-8d15-2c4a6e8f0b13",
    ipAddress: "20.50.2.17",
    location: { countryOrRegion: "NL" },
    status: { errorCode: 0 },
    signInEventTypes: ["servicePrincipal"],
    resourceId: "e406a681-f3d4-42a8-90b6-c2b029497af1",
    servicePrincipalCredentialKeyId: "a3c5e7b9-1d2f-4a6c-8e0b-2d4f6a8c0e1b",
    ...overrides,
  };
}

const DEPLOYER = "9a1c3e5f-7b9d-4f1e-8a5c-7d9f1b3c5e6a";
const OBJECT_ID_CLAIM = "http://schemas.microsoft.com/identity/claims/objectidentifier";

function control(id: string, minutesAgo: number, operation: string, status: string, overrides: Record<string, unknown> = {}) {
  return {
    eventDataId: id,
    eventTimestamp: new Date(NOW.getTime() - minutesAgo * 60_000).toISOString(),
    caller: DEPLOYER,
    claims: { [OBJECT_ID_CLAIM]: DEPLOYER, appid: "5d0c6a3e-1111-4222-8333-444444444444" },
    operationName: { value: operation, localizedValue: operation },
    status: { value: status },
    subStatus: { value: "" },
    resourceId: `/subscriptions/${PROD}/resourceGroups/rg-payments/providers/Microsoft.Web/sites/payments`,
    httpRequest: { clientIpAddress: "52.234.10.5", method: "PUT" },
    properties: { requestbody: "{\"properties\":{\"secret\":\"FAKE-EXAMPLE\"}}" },
    ...overrides,
  };
}

function estate(logs: NonNullable<FakeAzureEstate["tenants"][number]["signInLogs"]>): FakeAzureEstate {
  const base = smallEstate();
  const tenant = base.tenants[0];
  if (tenant) tenant.signInLogs = logs;
  const prod = base.subscriptions.find((subscription) => subscription.id === PROD);
  if (prod) {
    prod.activityLog = [
      control("c-1", 90, "Microsoft.Web/sites/write", "Started"),
      control("c-2", 89, "Microsoft.Web/sites/write", "Succeeded"),
      control("c-3", 60, "Microsoft.Authorization/roleAssignments/write", "Succeeded"),
      control("c-4", 30, "Microsoft.KeyVault/vaults/write", "Failed", { subStatus: { value: "Forbidden" } }),
      control("c-5", 20, "Microsoft.Web/sites/write", "Succeeded", { caller: "alice@example.com", claims: {} }),
    ];
  }
  return base;
}

let fake: FakeAzureServer;
const connectors: AzureConnector[] = [];
const LOGS = [
  signIn("s-1", 30),
  signIn("s-2", 20, { ipAddress: "192.0.2.140", location: { countryOrRegion: "BR" } }),
  signIn("s-3", 10, { status: { errorCode: 7000215 } }),
  signIn("s-4", 5, { servicePrincipalId: MI, ipAddress: "10.1.2.3", signInEventTypes: ["managedIdentity"], servicePrincipalCredentialKeyId: null }),
  // An interactive user sign-in and one older than the window: not asked for.
  signIn("u-1", 15, { servicePrincipalId: null, signInEventTypes: ["interactiveUser"] }),
  signIn("s-old", 40 * 24 * 60),
];

beforeAll(async () => {
  fake = await FakeAzureServer.start(estate(LOGS), { armPageSize: 2, graphPageSize: 2 });
});
afterAll(async () => fake.close());
beforeEach(() => fake.resetLog());
afterEach(() => {
  for (const connector of connectors.splice(0)) connector.close();
});

function connector(server: FakeAzureServer, activity: Record<string, unknown> | undefined): AzureConnector {
  const config = fakeConfig(server, { id: TENANT, subscriptions: [PROD, NONPROD] }, [], READER_CLIENT_ID);
  const created = createAzureConnector(
    { ...config, tenants: [{ ...config.tenants[0], id: TENANT, ...(activity ? { activity } : {}) }] },
    { httpClient: trustingHttpClient(), insecureLocalVaults: true, environment: { WIAM_TEST_AZURE_CLIENT_SECRET: READER_SECRET }, retry: instantRetry(), now: () => NOW },
  );
  connectors.push(created);
  return created;
}

describe("Entra sign-in logs", () => {
  test("service principal and managed identity sign-ins of the window, across pages, metadata only", async () => {
    const { snapshot } = await collectWith(connector(fake, {}), "sign-ins", { now: NOW });
    expect(() => inventorySnapshotSchema.parse(snapshot)).not.toThrow();
    expect(snapshot.activityLog?.events.filter((e) => e.kind === "sign_in").map((e) => [e.id, e.principalId, e.action, e.network, e.country ?? null, e.outcome, e.credentialId ?? null])).toEqual([
      ["s-1", SP, "servicePrincipalSignIn", "unknown", "NL", "success", "a3c5e7b9-1d2f-4a6c-8e0b-2d4f6a8c0e1b"],
      ["s-2", SP, "servicePrincipalSignIn", "unknown", "BR", "success", "a3c5e7b9-1d2f-4a6c-8e0b-2d4f6a8c0e1b"],
      ["s-3", SP, "servicePrincipalSignIn", "unknown", "NL", "failure", "a3c5e7b9-1d2f-4a6c-8e0b-2d4f6a8c0e1b"],
      ["s-4", MI, "managedIdentitySignIn", "inside", "NL", "success", null],
    ]);
    expect(snapshot.activityLog?.sources[0]).toEqual({
      provider: "azure",
      scopeId: TENANT_SCOPE,
      source: "graph:beta/auditLogs/signIns (service principal, managed identity)",
      from: "2026-02-08T12:00:00.000Z",
      to: NOW.toISOString(),
      complete: true,
    });
    const reads = fake.requests.filter((request) => request.path === "/beta/auditLogs/signIns");
    expect(reads).toHaveLength(2);
  });

  test("a tenant without P1/P2, or without AuditLog.Read.All, says which is missing", async () => {
    for (const [logs, note] of [
      ["unlicensed", "the tenant has no Entra ID P1/P2 license: service principal sign-in logs are not available"],
      ["forbidden", "the server's identity lacks AuditLog.Read.All (application permission) to read sign-in logs"],
    ] as const) {
      const server = await FakeAzureServer.start(estate(logs), {});
      try {
        const { snapshot } = await collectWith(connector(server, { hours: 24 }), "refused", { now: NOW });
        expect(snapshot.activityLog?.events.filter((e) => e.kind === "sign_in")).toEqual([]);
        expect(snapshot.activityLog?.sources[0]).toMatchObject({ complete: false, note, from: "2026-03-09T12:00:00.000Z" });
      } finally {
        await server.close();
      }
    }
  });

  test("each subscription's Activity Log: final records of workloads only, selected fields, never request bodies", async () => {
    const { snapshot } = await collectWith(connector(fake, { hours: 24 }), "activity-log", { now: NOW });
    const control = snapshot.activityLog?.events.filter((e) => e.kind === "api_call") ?? [];
    expect(control.map((e) => [e.id, e.principalId, e.action, e.category ?? null, e.outcome, e.scopeId])).toEqual([
      ["c-2", DEPLOYER, "Microsoft.Web/sites/write", null, "success", `/subscriptions/${PROD}`],
      ["c-3", DEPLOYER, "Microsoft.Authorization/roleAssignments/write", "iam_change", "success", `/subscriptions/${PROD}`],
      ["c-4", DEPLOYER, "Microsoft.KeyVault/vaults/write", null, "denied", `/subscriptions/${PROD}`],
    ]);
    expect(JSON.stringify(snapshot.activityLog)).not.toContain("FAKE-EXAMPLE");
    expect(snapshot.activityLog?.sources.map((s) => [s.scopeId, s.source, s.complete])).toEqual([
      [TENANT_SCOPE, "graph:beta/auditLogs/signIns (service principal, managed identity)", true],
      [`/subscriptions/${PROD}`, "arm:Microsoft.Insights/eventtypes/management/values", true],
      [`/subscriptions/${NONPROD}`, "arm:Microsoft.Insights/eventtypes/management/values", true],
    ]);
    expect(fake.violations).toEqual([]);
  });

  test("no activity configured reads no sign-in log", async () => {
    const { snapshot } = await collectWith(connector(fake, undefined), "none", { now: NOW });
    expect(snapshot.activityLog).toBeUndefined();
    expect(fake.requests.filter((request) => request.path === "/beta/auditLogs/signIns")).toEqual([]);
  });
});
