/**
 * The Azure connector end to end: the real SDK clients (Key Vault secrets/certificates/keys,
 * arm-authorization, arm-keyvault, arm-msi), a real ClientSecretCredential (MSAL) and Graph over
 * core-rest-pipeline, all against the wire-level HTTPS fake, with small pages so every listing
 * follows nextLink. The snapshot must follow the demo estate's conventions exactly.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createAzureConnector, type AzureConnector, type AzureConnectorDeps } from "../src/providers/azure/index.js";
import { inventorySnapshotSchema } from "../src/model/inventory.js";
import { collectWith, countsByApi, fakeConfig, instantRetry, trustingHttpClient } from "./fakes/azure/harness.js";
import { FakeAzureServer } from "./fakes/azure/server.js";
import {
  DENY_ID,
  GITHUB_SUBJECT,
  ID,
  KV_LEGACY,
  KV_PAYMENTS,
  LANDING_MG,
  LEGACY_RG,
  NONPROD,
  PAYMENTS_IDENTITY_ARM,
  PAYMENTS_RG,
  PROD,
  READER_CLIENT_ID,
  READER_OBJECT_ID,
  READER_SECRET,
  ROLE,
  ROOT_MG,
  TENANT,
  TENANT_SCOPE,
  VM_ARM,
  assignmentId,
  roleId,
  smallEstate,
} from "./fakes/azure/small-estate.js";

let fake: FakeAzureServer;
const connectors: AzureConnector[] = [];

beforeAll(async () => {
  fake = await FakeAzureServer.start(smallEstate(), { armPageSize: 2, graphPageSize: 3 });
});
afterAll(async () => fake.close());
beforeEach(() => fake.resetLog());
afterEach(() => {
  for (const connector of connectors.splice(0)) connector.close();
});

function connector(overrides: Record<string, unknown> = {}, deps: AzureConnectorDeps = {}): AzureConnector {
  const created = createAzureConnector(
    { ...fakeConfig(fake, { id: TENANT, subscriptions: [PROD, NONPROD] }, ["kv-payments", "kv-legacy", "kv-orphan"], READER_CLIENT_ID), ...overrides },
    { httpClient: trustingHttpClient(), insecureLocalVaults: true, environment: { WIAM_TEST_AZURE_CLIENT_SECRET: READER_SECRET }, retry: instantRetry(), caller: "analyst@example.com", ...deps },
  );
  connectors.push(created);
  return created;
}

describe("collection", () => {
  test("scopes form the tenant → management group → subscription → resource group → vault chain", async () => {
    const { snapshot } = await collectWith(connector(), "scopes");
    const orphan = fake.vaultUrl("kv-orphan");
    expect(snapshot.scopes.map((scope) => [scope.kind, scope.id, scope.name, scope.parentId ?? null])).toEqual([
      ["tenant", TENANT_SCOPE, "Acme FAKE", null],
      ["management_group", ROOT_MG, "Tenant Root Group", TENANT_SCOPE],
      ["management_group", LANDING_MG, "Landing Zones", ROOT_MG],
      ["subscription", `/subscriptions/${PROD}`, "acme-prod", LANDING_MG],
      ["subscription", `/subscriptions/${NONPROD}`, "acme-nonprod", LANDING_MG],
      ["resource_group", PAYMENTS_RG, "rg-payments", `/subscriptions/${PROD}`],
      ["vault", KV_PAYMENTS, "kv-payments", PAYMENTS_RG],
      ["resource_group", LEGACY_RG, "rg-legacy", `/subscriptions/${NONPROD}`],
      ["vault", KV_LEGACY, "kv-legacy", LEGACY_RG],
    ]);
    const payments = snapshot.scopes.find((scope) => scope.id === KV_PAYMENTS);
    expect(payments?.tags).toEqual({ environment: "production" });
    expect(payments?.attributes).toEqual({
      enableRbacAuthorization: true,
      vaultUri: `${fake.vaultUrl("kv-payments")}/`,
      enableSoftDelete: true,
      softDeleteRetentionInDays: 90,
      enablePurgeProtection: true,
      publicNetworkAccess: "Disabled",
      networkDefaultAction: "Deny",
      tenantId: TENANT,
    });
    expect(snapshot.scopes.find((scope) => scope.id === KV_LEGACY)?.attributes?.enableRbacAuthorization).toBe(false);
    expect(snapshot.gaps).toEqual([
      {
        provider: "azure",
        scopeId: orphan,
        source: "keyvault:vaults.listBySubscription",
        reason: "vault not found in the configured subscriptions: its permission model, access policies and inherited role assignments are unknown",
      },
    ]);
    expect(inventorySnapshotSchema.parse(snapshot)).toEqual(JSON.parse(JSON.stringify(snapshot)));
    expect(fake.violations).toEqual([]);
  });

  test("vault items are metadata only, placed in their vault, with certificate policies", async () => {
    const { snapshot } = await collectWith(connector(), "items");
    const summary = snapshot.vaultItems.map((item) => [item.kind, item.name, item.scopeId === KV_PAYMENTS ? "payments" : item.scopeId === KV_LEGACY ? "legacy" : "orphan", item.enabled, item.managed ?? false, item.expiresAt !== undefined]);
    expect(summary).toEqual([
      ["certificate", "api-payments-example-com", "payments", true, false, true],
      ["certificate", "mtls-client-payments", "payments", true, false, true],
      ["secret", "stripe-api-key", "payments", true, false, true],
      ["secret", "psp-webhook-signing", "payments", true, false, true],
      ["secret", "ledger-service-password", "payments", true, false, false],
      ["secret", "old-3ds-key", "payments", false, false, false],
      ["secret", "api-payments-example-com", "payments", true, true, true],
      ["key", "payments-cmk", "payments", true, false, false],
      ["certificate", "legacy-portal-example-com", "legacy", true, false, true],
      ["secret", "crm-sync-password", "legacy", true, false, false],
      ["secret", "smtp-relay-password", "legacy", true, false, true],
      ["secret", "orphan-token", "orphan", true, false, true],
    ]);
    const stripe = snapshot.vaultItems.find((item) => item.name === "stripe-api-key");
    expect(stripe).toMatchObject({
      id: `${fake.vaultUrl("kv-payments")}/secrets/stripe-api-key`,
      provider: "azure",
      contentType: "text/plain",
      recoveryLevel: "Recoverable+Purgeable",
      tags: { environment: "production" },
      evidence: { source: "keyvault:listPropertiesOfSecrets" },
    });
    expect(snapshot.vaultItems.filter((item) => item.certificatePolicy).map((item) => [item.name, item.certificatePolicy])).toEqual([
      ["api-payments-example-com", { issuer: "DigiCert", validityMonths: 12, autoRenew: false, lifetimeActions: ["EmailContacts 30 days before expiry"] }],
      ["mtls-client-payments", { issuer: "Self", validityMonths: 12, autoRenew: true, lifetimeActions: ["AutoRenew at 80% of lifetime"] }],
      ["legacy-portal-example-com", { issuer: "Self", validityMonths: 12, autoRenew: false, lifetimeActions: ["EmailContacts 30 days before expiry"] }],
    ]);
    expect(fake.requests.filter((request) => request.route === "secret-value")).toEqual([]);
  });

  test("workload identities: applications, service principals, managed identities, groups and users", async () => {
    const { snapshot } = await collectWith(connector(), "identities");
    const rows = snapshot.principals.map((p) => [p.kind, p.name, p.id, p.scopeId, p.workload, p.memberOf ?? [], p.lastActivity ? (p.lastActivity.lastUsedAt ? "seen" : "not seen") : "no source"]);
    expect(rows).toEqual([
      ["managed_identity", "id-payments-api", ID.paymentsIdentity, PAYMENTS_RG, true, [], "seen"],
      ["application", "payments-gateway-prod", ID.gatewayApp, TENANT_SCOPE, true, [], "seen"],
      ["application", "legacy-crm-connector", ID.crmApp, TENANT_SCOPE, true, [], "seen"],
      ["application", "partner-export", ID.partnerApp, TENANT_SCOPE, true, [], "not seen"],
      ["application", "github-deploy-azure", ID.githubApp, TENANT_SCOPE, true, [], "seen"],
      ["external", "repo:acme/infra-azure:environment:production from https://token.actions.githubusercontent.com", GITHUB_SUBJECT, TENANT_SCOPE, true, [], "no source"],
      ["application", "orders-sync", ID.ordersApp, TENANT_SCOPE, true, [], "seen"],
      ["application", "terraform-prod", ID.terraformApp, TENANT_SCOPE, true, [], "seen"],
      ["service_principal", "payments-gateway-prod", ID.gatewaySp, TENANT_SCOPE, true, [], "seen"],
      ["service_principal", "legacy-crm-connector", ID.crmSp, TENANT_SCOPE, true, [], "seen"],
      ["service_principal", "partner-export", ID.partnerSp, TENANT_SCOPE, true, [], "not seen"],
      ["service_principal", "github-deploy-azure", ID.githubSp, TENANT_SCOPE, true, [], "seen"],
      ["service_principal", "orders-sync", ID.ordersSp, TENANT_SCOPE, true, [ID.readersGroup], "seen"],
      ["service_principal", "terraform-prod", ID.terraformSp, TENANT_SCOPE, true, [], "seen"],
      ["managed_identity", "vm-legacy", ID.vmIdentity, LEGACY_RG, true, [], "seen"],
      ["user", "tom.weber@acme.example.com", ID.tom, TENANT_SCOPE, false, [], "no source"],
      ["group", "grp-kv-readers-prod", ID.readersGroup, TENANT_SCOPE, false, [], "no source"],
      ["group", "grp-payments-engineers", ID.engineersGroup, TENANT_SCOPE, false, [], "no source"],
      ["user", "alice.nguyen@acme.example.com", ID.alice, TENANT_SCOPE, false, [ID.readersGroup], "no source"],
      ["user", "bob.martin@acme.example.com", ID.bob, TENANT_SCOPE, false, [ID.engineersGroup], "no source"],
    ]);
    // Microsoft's first-party principal holds nothing here and is left out.
    expect(snapshot.principals.some((p) => p.id === ID.firstPartySp)).toBe(false);
    const identity = snapshot.principals.find((p) => p.id === ID.paymentsIdentity);
    expect(identity).toMatchObject({ uniqueId: ID.paymentsIdentityClient, description: `User-assigned identity ${PAYMENTS_IDENTITY_ARM}`, tags: { team: "payments" } });
    expect(identity?.lastActivity).toMatchObject({ coverage: "window", source: "graph:servicePrincipalSignInActivities" });
    expect(snapshot.principals.find((p) => p.id === ID.vmIdentity)?.description).toBe(`System-assigned identity of ${VM_ARM}`);
    expect(snapshot.trustEdges).toEqual([
      {
        id: `${ID.githubApp}/federatedIdentityCredentials/github-production`,
        provider: "azure",
        kind: "federation",
        from: GITHUB_SUBJECT,
        to: ID.githubSp,
        conditions: [{ expression: "audience in [api://AzureADTokenExchange]", keys: ["aud"] }],
        evidence: expect.objectContaining({ source: "graph:applications/federatedIdentityCredentials" }),
      },
    ]);
  });

  test("credentials carry key ids and dates, never secret text or hints", async () => {
    const { snapshot } = await collectWith(connector(), "credentials");
    expect(snapshot.credentials.map((c) => [c.id, c.kind, c.principalId, c.name, c.status, c.expiresAt !== undefined, c.evidence.source])).toEqual([
      [ID.secretExpiring, "client_secret", ID.gatewayApp, "prod-rotation", "active", true, "graph:applications"],
      [ID.certificateCredential, "certificate", ID.gatewayApp, "CN=payments-gateway-prod", "active", true, "graph:applications"],
      [ID.secretExpired, "client_secret", ID.crmApp, "crm-2", "active", true, "graph:applications"],
      [ID.secretNoEnd, "client_secret", ID.crmApp, "crm-forever", "active", false, "graph:applications"],
      [ID.partnerCertificate, "certificate", ID.partnerApp, "CN=partner-export", "active", true, "graph:applications"],
      [ID.terraformSecret, "client_secret", ID.terraformApp, "terraform-cloud", "active", true, "graph:applications"],
      [ID.spSecret, "client_secret", ID.partnerSp, "sp-level-secret", "active", true, "graph:servicePrincipals"],
    ]);
    expect(snapshot.credentials[1]?.algorithm).toBe("AsymmetricX509Cert");
    const text = JSON.stringify(snapshot);
    expect(text).not.toMatch(/"hint"|secretText|"FAK"|customKeyIdentifier/);
  });

  test("role assignments (inherited ones once), role definitions once, deny assignments and access policies", async () => {
    const { snapshot } = await collectWith(connector(), "rbac");
    expect(snapshot.grants.map((g) => [g.kind, g.id, g.principalId, g.policyId, g.resource])).toEqual([
      ["role_assignment", assignmentId(LANDING_MG, 1), ID.terraformSp, roleId(ROLE.reader), LANDING_MG],
      ["role_assignment", assignmentId(KV_PAYMENTS, 2), ID.gatewaySp, roleId(ROLE.secretsUser), KV_PAYMENTS],
      ["role_assignment", assignmentId(KV_PAYMENTS, 3), ID.paymentsIdentity, roleId(ROLE.secretsUser), KV_PAYMENTS],
      ["role_assignment", assignmentId(KV_PAYMENTS, 4), ID.readersGroup, roleId(ROLE.secretsUser), KV_PAYMENTS],
      ["role_assignment", assignmentId(PAYMENTS_RG, 5), ID.engineersGroup, roleId(ROLE.vaultAdministrator), PAYMENTS_RG],
      ["role_assignment", assignmentId(`/subscriptions/${PROD}`, 6), ID.terraformSp, roleId(ROLE.contributor), `/subscriptions/${PROD}`],
      ["role_assignment", assignmentId(LEGACY_RG, 7), ID.githubSp, roleId(ROLE.contributor), LEGACY_RG],
      ["role_assignment", assignmentId(KV_LEGACY, 8), ID.tom, roleId(ROLE.vaultContributor), KV_LEGACY],
      ["access_policy", `${KV_LEGACY}/accessPolicies/${ID.crmSp}#grant`, ID.crmSp, `${KV_LEGACY}/accessPolicies/${ID.crmSp}`, KV_LEGACY],
      ["access_policy", `${KV_LEGACY}/accessPolicies/${ID.partnerSp}#grant`, ID.partnerSp, `${KV_LEGACY}/accessPolicies/${ID.partnerSp}`, KV_LEGACY],
      ["access_policy", `${KV_LEGACY}/accessPolicies/${ID.vmIdentity}#grant`, ID.vmIdentity, `${KV_LEGACY}/accessPolicies/${ID.vmIdentity}`, KV_LEGACY],
      ["access_policy", `${KV_LEGACY}/accessPolicies/${ID.tom}#grant`, ID.tom, `${KV_LEGACY}/accessPolicies/${ID.tom}`, KV_LEGACY],
    ]);
    const byId = new Map(snapshot.policies.map((p) => [p.id, p]));
    expect(snapshot.policies.filter((p) => p.kind === "role").map((p) => p.name)).toEqual(["Key Vault Secrets User", "Key Vault Administrator", "Key Vault Contributor", "Contributor", "Reader"]);
    expect(byId.get(roleId(ROLE.secretsUser))?.statements).toEqual([
      { id: "dataActions", effect: "Allow", actions: ["Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"] },
    ]);
    expect(byId.get(roleId(ROLE.contributor))?.statements).toEqual([
      { id: "actions", effect: "Allow", actions: ["*"], notActions: ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write", "Microsoft.Authorization/elevateAccess/Action"] },
    ]);
    expect(byId.get(DENY_ID)).toMatchObject({
      kind: "deny",
      attachedTo: [KV_PAYMENTS],
      statements: [{ id: "dataActions", effect: "Deny", actions: ["Microsoft.KeyVault/vaults/secrets/getSecret/action"], principals: [ID.ordersSp] }],
    });
    expect(byId.get(`${KV_LEGACY}/accessPolicies/${ID.partnerSp}`)).toMatchObject({
      kind: "access_policy",
      scopeId: KV_LEGACY,
      description: "secret permissions get, list; key permissions get, sign",
      statements: [
        { id: "secrets", effect: "Allow", actions: ["Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"] },
        { id: "keys", effect: "Allow", actions: ["Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/sign/action"] },
      ],
    });
    expect(byId.get(`${KV_LEGACY}/accessPolicies/${ID.tom}`)?.statements[0]).toEqual({ id: "secrets", effect: "Allow", actions: ["Microsoft.KeyVault/vaults/secrets/*"] });
  });

  test("calls are tallied per API and scope with request ids; pages follow nextLink", async () => {
    const { operations } = await collectWith(connector(), "calls");
    expect(countsByApi(operations)).toEqual({
      "authorization:denyAssignments.listForScope": 2,
      // 6 + 3 assignments in pages of 2; 5 definitions per subscription in pages of 2.
      "authorization:roleAssignments.listForScope": 5,
      "authorization:roleDefinitions.list": 6,
      "authorization:roleEligibilityScheduleInstances.listForScope": 2,
      // Each listing twice: once with credentials, once with owners expanded.
      "graph:applications": 4,
      "graph:groups": 1,
      "graph:groups.transitiveMembers": 2,
      "graph:organization": 1,
      "graph:servicePrincipalSignInActivities": 3,
      "graph:roleManagement.directory.roleAssignments": 1,
      "graph:roleManagement.directory.roleDefinitions": 1,
      "graph:roleManagement.directory.roleEligibilityScheduleInstances": 1,
      "graph:servicePrincipals": 6,
      "graph:servicePrincipals.appRoleAssignedTo": 1,
      "graph:users": 1,
      "keyvault:getCertificatePolicy": 3,
      "keyvault:listPropertiesOfCertificates": 3,
      "keyvault:listPropertiesOfKeys": 3,
      "keyvault:listPropertiesOfSecrets": 3,
      "keyvault:vaults.listBySubscription": 2,
      "management:managementGroups.get": 2,
      "management:managementGroups.list": 1,
      "msi:userAssignedIdentities.listBySubscription": 2,
    });
    expect(operations.find((o) => o.api === "authorization:roleAssignments.listForScope" && o.scopeId === `/subscriptions/${PROD}`)?.count).toBe(3);
    expect(operations.find((o) => o.api === "keyvault:listPropertiesOfSecrets" && o.scopeId === fake.vaultUrl("kv-payments"))?.count).toBe(1);
    expect(operations.find((o) => o.api === "graph:applications")?.scopeId).toBe(TENANT_SCOPE);
    for (const operation of operations) expect(operation.requestIds).toHaveLength(operation.count);
    // Each Key Vault client authenticates through the 401 challenge once; no request is unexpected.
    expect(fake.callCounts().challenge).toBe(9);
    expect(fake.violations).toEqual([]);
  });
});

describe("per-task tokens", () => {
  test("the audit description names the identity and token lifetimes, never a token", async () => {
    const azure = connector();
    expect(azure.describeCredentialScope("task-a")).toBe("azure task task-a: no tokens held");
    await collectWith(azure, "task-a");
    const description = azure.describeCredentialScope("task-a");
    expect(description).toMatch(
      new RegExp(`^azure task task-a: tenant ${TENANT} via clientSecret credential: client ${READER_CLIENT_ID}, object ${READER_OBJECT_ID}, type app; tokens for `),
    );
    for (const audience of ["https://management.azure.com/.default", "https://vault.azure.net/.default", "https://graph.microsoft.com/.default"]) expect(description).toContain(audience);
    expect(description).not.toMatch(/eyJ|FAKE-signature|FAKE-client-secret/);
    expect(azure.describeCredentialScope("other-task")).toBe("azure task other-task: no tokens held");
  });

  test("each task gets its own credential and tokens; endTask drops them", async () => {
    const azure = connector({ cacheTtlSeconds: 0 });
    await collectWith(azure, "task-1");
    const firstTokens = fake.tokensIssued.length;
    expect(new Set(fake.tokensIssued.map((t) => t.audience))).toEqual(new Set(["https://vault.azure.net", "https://management.azure.com", "https://graph.microsoft.com"]));
    await collectWith(azure, "task-1");
    expect(fake.tokensIssued.length).toBe(firstTokens);
    await collectWith(azure, "task-2");
    expect(fake.tokensIssued.length).toBeGreaterThanOrEqual(firstTokens + 3);
    azure.endTask("task-1");
    expect(azure.describeCredentialScope("task-1")).toBe("azure task task-1: no tokens held");
    expect(azure.describeCredentialScope("task-2")).toContain(`client ${READER_CLIENT_ID}`);
  });

  test("expired tokens are not reused: the task's credential is replaced", async () => {
    let clock = Date.now();
    const azure = connector({ cacheTtlSeconds: 0 }, { now: () => new Date(clock) });
    await collectWith(azure, "long-task");
    const before = fake.tokensIssued.length;
    clock += 2 * 3600_000;
    await collectWith(azure, "long-task");
    expect(fake.tokensIssued.length).toBeGreaterThanOrEqual(before + 3);
  });
});

describe("cache", () => {
  test("a second collection within the TTL makes no calls; clearCache reads again", async () => {
    const azure = connector();
    const first = await collectWith(azure, "cached");
    const requests = fake.requests.length;
    const second = await collectWith(azure, "cached");
    expect(fake.requests.length).toBe(requests);
    expect(second.operations).toEqual([]);
    expect(second.snapshot.vaultItems).toEqual(first.snapshot.vaultItems);
    azure.clearCache();
    await collectWith(azure, "cached");
    expect(fake.requests.length).toBeGreaterThan(requests);
  });
});
