/**
 * The analysis tools answer on live Azure data exactly as on the demo estate: the connector's
 * snapshot (collected through the real SDKs from the fake) feeds find_expiring_credentials,
 * find_stale_service_accounts and explain_entitlement_paths unchanged.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { explainEntitlementPaths } from "../src/analysis/entitlements/index.js";
import { findExpiringCredentials } from "../src/analysis/expiring.js";
import { findStaleServiceAccounts } from "../src/analysis/stale.js";
import { createAzureConnector } from "../src/providers/azure/index.js";
import { Inventory } from "../src/model/inventory-index.js";
import { collectWith, fakeConfig, instantRetry, trustingHttpClient } from "./fakes/azure/harness.js";
import { FakeAzureServer } from "./fakes/azure/server.js";
import { GET_SECRET, GITHUB_SUBJECT, ID, KV_LEGACY, KV_PAYMENTS, NONPROD, NOW, PROD, READER_CLIENT_ID, READER_SECRET, TENANT, smallEstate } from "./fakes/azure/small-estate.js";

let fake: FakeAzureServer; let inventory: Inventory;
beforeAll(async () => {
  fake = await FakeAzureServer.start(smallEstate());
  const azure = createAzureConnector({ ...fakeConfig(fake, { id: TENANT, subscriptions: [PROD, NONPROD] }, ["kv-payments", "kv-legacy", "kv-orphan"], READER_CLIENT_ID) },
    { httpClient: trustingHttpClient(), insecureLocalVaults: true, environment: { WIAM_TEST_AZURE_CLIENT_SECRET: READER_SECRET }, retry: instantRetry() });
  inventory = new Inventory((await collectWith(azure, "analysis")).snapshot);
});
afterAll(async () => fake.close());
const STALE = { now: NOW, inactiveDays: 90, rotationDays: 365, neverUsedGraceDays: 30 };

describe("find_expiring_credentials on live Azure data", () => {
  test("vault items and Entra credentials: expired, expiring, no expiry, disabled; managed backing secrets left to their certificate", () => {
    const findings = findExpiringCredentials(inventory, { now: NOW, withinDays: 30 });
    // Ties (same status and day) are ordered by id, and vault item ids carry the fake's random ports: order ties by name.
    const rows = findings.map((f) => [f.name, f.category, f.kind, f.status, f.daysUntilExpiry, f.autoRenew] as const);
    const tieKey = (row: (typeof rows)[number]) => `${row[3]}|${row[4] ?? ""}`;
    const ordered = rows.map((row, index) => ({ row, index })).sort((a, b) => (tieKey(a.row) === tieKey(b.row) ? a.row[0].localeCompare(b.row[0]) : a.index - b.index)).map(({ row }) => row);
    expect(ordered).toEqual([
      ["crm-2", "credential", "client_secret", "expired", -30, null],
      ["legacy-portal-example-com", "vault_item", "certificate", "expired", -20, false],
      ["CN=partner-export", "credential", "certificate", "expired", -15, null],
      ["psp-webhook-signing", "vault_item", "secret", "expired", -9, null],
      ["smtp-relay-password", "vault_item", "secret", "expiring", 5, null],
      ["prod-rotation", "credential", "client_secret", "expiring", 9, null],
      ["api-payments-example-com", "vault_item", "certificate", "expiring", 12, false],
      ["sp-level-secret", "credential", "client_secret", "expiring", 20, null],
      ["stripe-api-key", "vault_item", "secret", "expiring", 21, null],
      ["mtls-client-payments", "vault_item", "certificate", "expiring", 25, true],
      ["crm-forever", "credential", "client_secret", "no_expiry", null, null],
      ["crm-sync-password", "vault_item", "secret", "no_expiry", null, null],
      ["ledger-service-password", "vault_item", "secret", "no_expiry", null, null],
      ["payments-cmk", "vault_item", "key", "no_expiry", null, null],
      ["old-3ds-key", "vault_item", "secret", "disabled", null, null],
    ]);
    const credential = findings.find((f) => f.name === "prod-rotation");
    expect(credential).toMatchObject({ id: ID.secretExpiring, principalId: ID.gatewayApp, source: "graph:applications" });
    expect(findings.find((f) => f.name === "stripe-api-key")).toMatchObject({ scopeId: KV_PAYMENTS, source: "keyvault:listPropertiesOfSecrets" });
  });
});

describe("find_stale_service_accounts on live Azure data", () => {
  test("sign-in activity decides: inactive, not seen in the report's window, with credentials overdue for rotation", () => {
    const findings = findStaleServiceAccounts(inventory, STALE);
    expect(findings.map((f) => [f.principal.name, f.principal.kind, f.severity, f.reasons.map((r) => r.code), f.activity.daysSinceLastUse])).toEqual([
      ["legacy-crm-connector", "application", "high", ["inactive", "credential_not_rotated"], 240],
      ["legacy-crm-connector", "service_principal", "high", ["inactive"], 240],
      ["vm-legacy", "managed_identity", "high", ["inactive"], 130],
      ["partner-export", "application", "medium", ["not_seen_in_window"], null],
      ["partner-export", "service_principal", "medium", ["not_seen_in_window"], null],
    ]);
    expect(findings[0]?.activity.source).toBe("graph:servicePrincipalSignInActivities");
  });
});

describe("explain_entitlement_paths on live Azure data", () => {
  const summary = (answer: ReturnType<typeof explainEntitlementPaths>) => answer.paths.map((p) => [p.principalId, p.outcome, p.privilegeEscalation]);

  test("who can read secrets in the RBAC vault: direct, managed identity, group members; the deny assignment blocks one", () => {
    const answer = explainEntitlementPaths(inventory, { action: GET_SECRET, resource: KV_PAYMENTS });
    expect(summary(answer)).toEqual([
      [ID.gatewaySp, "allowed", false],
      [ID.paymentsIdentity, "allowed", false],
      [ID.alice, "allowed", false],
      [ID.bob, "allowed", false],
      [ID.ordersSp, "denied", false],
    ]);
    const bob = answer.paths.find((p) => p.principalId === ID.bob);
    expect(bob?.hops.map((h) => h.type)).toEqual(["principal", "member_of", "grant", "policy", "resource"]);
    expect(answer.paths.find((p) => p.principalId === ID.ordersSp)?.blockedBy?.kind).toBe("deny_policy");
  });

  test("who can read secrets in the access-policy vault: policy holders, and vault writers by escalation", () => {
    const answer = explainEntitlementPaths(inventory, { action: GET_SECRET, resource: KV_LEGACY });
    expect(summary(answer)).toEqual([
      [ID.crmSp, "allowed", false],
      [ID.partnerSp, "allowed", false],
      [ID.vmIdentity, "allowed", false],
      [ID.tom, "allowed", false],
      [ID.githubSp, "allowed", true],
      [ID.tom, "allowed", true],
      [GITHUB_SUBJECT, "conditional", true],
    ]);
  });

  test("what a service principal can reach", () => {
    const answer = explainEntitlementPaths(inventory, { principal: ID.gatewaySp });
    expect(answer.paths.map((p) => [p.action, p.resource, p.outcome])).toEqual([
      [GET_SECRET, KV_PAYMENTS, "allowed"],
      ["Microsoft.KeyVault/vaults/secrets/readMetadata/action", KV_PAYMENTS, "allowed"],
    ]);
  });

  test("a vault no configured subscription holds gets no invented scope: its items keep the URL and a gap says why", () => {
    const orphan = inventory.snapshot.vaultItems.find((item) => item.name === "orphan-token");
    expect(orphan?.scopeId).toBe(fake.vaultUrl("kv-orphan"));
    expect(inventory.scopes.has(orphan?.scopeId ?? "")).toBe(false);
    expect(inventory.snapshot.gaps?.map((gap) => [gap.scopeId, gap.source])).toEqual([[fake.vaultUrl("kv-orphan"), "keyvault:vaults.listBySubscription"]]);
  });
});
