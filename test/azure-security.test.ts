/**
 * Findings of the security review, each against the real SDK clients and the HTTPS fake:
 * a vault host cannot obtain a token for another audience (ARM, Graph) through its 401 challenge;
 * assignments inherited from management groups still apply when the hierarchy is not read; deny
 * assignments apply `actions` to the control plane and `dataActions` to the data plane only;
 * Graph and management-group paging stops on a repeated nextLink.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import type { HttpClient } from "@azure/core-rest-pipeline";
import { explainEntitlementPaths } from "../src/analysis/entitlements/index.js";
import { createAzureConnector, type AzureConnector, type AzureConnectorDeps } from "../src/providers/azure/index.js";
import { isKeyVaultScope } from "../src/providers/azure/clients.js";
import { Inventory } from "../src/model/inventory-index.js";
import type { InventorySnapshot } from "../src/model/inventory.js";
import type { FakeAzureEstate } from "./fakes/azure/estate.js";
import { collectWith, fakeConfig, instantRetry, trustingHttpClient } from "./fakes/azure/harness.js";
import { FakeAzureServer } from "./fakes/azure/server.js";
import {
  GET_SECRET,
  ID,
  KV_LEGACY,
  KV_PAYMENTS,
  LANDING_MG,
  NONPROD,
  PROD,
  READER_CLIENT_ID,
  READER_SECRET,
  ROLE,
  ROOT_MG,
  TENANT,
  TENANT_SCOPE,
  assignment,
  smallEstate,
} from "./fakes/azure/small-estate.js";

const ARM = "https://management.azure.com";
const connectors: AzureConnector[] = [];
afterEach(() => {
  for (const connector of connectors.splice(0)) connector.close();
});

function connect(fake: FakeAzureServer, config: Record<string, unknown>, deps: AzureConnectorDeps = {}): AzureConnector {
  const created = createAzureConnector(
    { ...fakeConfig(fake, { id: TENANT, subscriptions: [] }, [], READER_CLIENT_ID), cacheTtlSeconds: 0, ...config },
    { httpClient: trustingHttpClient(), insecureLocalVaults: true, environment: { WIAM_TEST_AZURE_CLIENT_SECRET: READER_SECRET }, retry: instantRetry(), ...deps },
  );
  connectors.push(created);
  return created;
}

/** The fake's vaults under a real-looking host name: the transport sends them to the fake, the SDK sees the name. */
function hostAliasing(aliases: Record<string, string>): HttpClient {
  const inner = trustingHttpClient();
  return {
    async sendRequest(request) {
      const original = request.url;
      const origin = new URL(original).origin;
      const target = aliases[origin];
      if (target) request.url = `${target}${original.slice(origin.length)}`;
      try {
        return await inner.sendRequest(request);
      } finally {
        request.url = original;
      }
    },
  };
}

describe("vault token audience", () => {
  let fake: FakeAzureServer;
  beforeAll(async () => {
    const estate = smallEstate();
    estate.vaults.push(
      { name: "kv-hostile", tenantId: TENANT, secrets: [], certificates: [], keys: [], challengeResource: ARM },
      { name: "kv-sovereign", tenantId: TENANT, secrets: [{ name: "db-password", version: "0000000aaaabbbbccccddddeeeeffff", attributes: { enabled: true, created: 1_700_000_000, updated: 1_700_000_000 } }], certificates: [], keys: [], challengeResource: "https://vault.azure.cn" },
    );
    fake = await FakeAzureServer.start(estate);
  });
  afterAll(async () => fake.close());

  const vaultOnly = (url: string, subscriptions: string[] = []) => ({
    tenants: [{ id: TENANT, subscriptions, workloadIdentities: false, managementGroups: false }],
    vaults: [{ url, certificatePolicies: false }],
  });

  test("a vault whose challenge asks for the ARM audience gets no token, even with an ARM token cached; the vault is a gap", async () => {
    fake.resetLog();
    const url = fake.vaultUrl("kv-hostile");
    // PROD is read first with the same task credential, so an ARM token sits in its cache.
    const { snapshot } = await collectWith(connect(fake, vaultOnly(url, [PROD])), "hostile");
    expect(fake.tokensIssued.map((t) => t.audience)).toContain(ARM);
    expect(fake.vaultTokenAudiences).toEqual([]);
    const refused = `refused a token for ${ARM}/.default to a vault: only Key Vault audiences are requested for vault data-plane calls`;
    // The three listings run concurrently: their gaps may arrive in any order.
    const vaultGaps = (snapshot.gaps ?? []).filter((gap) => gap.scopeId === url).map((gap) => [gap.source, gap.reason]);
    expect(vaultGaps.sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
      ["keyvault:listPropertiesOfCertificates", `certificate listing incomplete: VaultAudienceRefusedError: ${refused}`],
      ["keyvault:listPropertiesOfKeys", `key listing incomplete: VaultAudienceRefusedError: ${refused}`],
      ["keyvault:listPropertiesOfSecrets", `secret listing incomplete: VaultAudienceRefusedError: ${refused}`],
      ["keyvault:vaults.listBySubscription", "vault not found in the configured subscriptions: its permission model, access policies and inherited role assignments are unknown"],
    ]);
  });

  test("without the test-only dependency, challenge resource verification is on: a loopback vault naming vault.azure.net is refused", async () => {
    fake.resetLog();
    const url = fake.vaultUrl("kv-payments");
    const { snapshot } = await collectWith(connect(fake, vaultOnly(url), { insecureLocalVaults: false }), "verify");
    expect(fake.tokensIssued).toEqual([]);
    expect(fake.vaultTokenAudiences).toEqual([]);
    expect(snapshot.vaultItems).toEqual([]);
    const gaps = snapshot.gaps?.filter((gap) => gap.source.startsWith("keyvault:listPropertiesOf")) ?? [];
    expect(gaps).toHaveLength(3);
    for (const gap of gaps) expect(gap.reason).toContain("The challenge resource 'vault.azure.net' does not match the requested domain");
  });

  test("a real vault host (sovereign cloud) keeps verification on even with the test dependency: an ARM challenge is refused by the SDK", async () => {
    fake.resetLog();
    const host = "https://kv-hostile.vault.azure.cn";
    const { snapshot } = await collectWith(connect(fake, vaultOnly(host), { httpClient: hostAliasing({ [host]: fake.vaultUrl("kv-hostile") }) }), "sovereign-hostile");
    expect(fake.tokensIssued).toEqual([]);
    expect(fake.vaultTokenAudiences).toEqual([]);
    const gaps = snapshot.gaps?.filter((gap) => gap.source.startsWith("keyvault:listPropertiesOf")) ?? [];
    expect(gaps).toHaveLength(3);
    for (const gap of gaps) expect(gap.reason).toContain("The challenge resource 'management.azure.com' does not match the requested domain");
  });

  test("a sovereign vault whose challenge names its own cloud's Key Vault audience is read", async () => {
    fake.resetLog();
    const host = "https://kv-sovereign.vault.azure.cn";
    const { snapshot } = await collectWith(connect(fake, vaultOnly(host), { httpClient: hostAliasing({ [host]: fake.vaultUrl("kv-sovereign") }) }), "sovereign");
    expect(fake.vaultTokenAudiences.map((a) => a.audience)).toEqual(["https://vault.azure.cn", "https://vault.azure.cn", "https://vault.azure.cn"]);
    expect(snapshot.vaultItems.map((item) => item.name)).toEqual(["db-password"]);
    expect(snapshot.gaps?.map((gap) => gap.source)).toEqual(["keyvault:vaults.listBySubscription"]);
  });

  test("Key Vault audiences of every cloud are accepted; ARM and Graph are not", () => {
    for (const scope of ["https://vault.azure.net/.default", "https://vault.azure.cn/.default", "https://vault.usgovcloudapi.net/.default", "https://vault.microsoftazure.de", "https://managedhsm.azure.net/.default"]) {
      expect(isKeyVaultScope(scope)).toBe(true);
    }
    for (const scope of [`${ARM}/.default`, "https://graph.microsoft.com/.default", "https://vault.azure.net.example.com/.default", "https://evil.example.com/vault.azure.net/.default"]) {
      expect(isKeyVaultScope(scope)).toBe(false);
    }
  });
});

describe("assignments inherited from management groups that were not collected", () => {
  function estateWith(change: (estate: FakeAzureEstate) => void): FakeAzureEstate {
    const estate = smallEstate();
    change(estate);
    return estate;
  }
  const explain = (snapshot: InventorySnapshot, query: Parameters<typeof explainEntitlementPaths>[1]) => explainEntitlementPaths(new Inventory(snapshot), query);

  test("managementGroups: false — the management group is placed above both subscriptions and its Reader grant reaches the vault", async () => {
    const fake = await FakeAzureServer.start(smallEstate());
    try {
      const { snapshot } = await collectWith(connect(fake, { tenants: [{ id: TENANT, subscriptions: [PROD, NONPROD], managementGroups: false }] }), "no-mg");
      const parents = (id: string) => snapshot.scopes.find((s) => s.id === id)?.parentId;
      expect(parents(`/subscriptions/${PROD}`)).toBe(LANDING_MG);
      expect(parents(`/subscriptions/${NONPROD}`)).toBe(LANDING_MG);
      expect(snapshot.scopes.find((s) => s.id === LANDING_MG)).toMatchObject({ kind: "management_group", name: "mg-landingzones", parentId: TENANT_SCOPE });
      expect(snapshot.gaps).toEqual([]);
      const answer = explain(snapshot, { principal: ID.terraformSp, action: "Microsoft.KeyVault/vaults/read", resource: KV_LEGACY });
      expect(answer.paths.map((p) => [p.outcome, p.hops.find((h) => h.type === "grant")?.label])).toEqual([["allowed", `"Reader" assigned at ${LANDING_MG}`]]);
    } finally {
      await fake.close();
    }
  });

  test("a Secrets User grant at the root scope '/' reaches the RBAC vault's secrets: '/' sits above the tenant root group", async () => {
    const fake = await FakeAzureServer.start(
      estateWith((estate) => {
        estate.subscriptions[0]?.roleAssignments.push(assignment("/", 41, ID.partnerSp, "ServicePrincipal", ROLE.secretsUser, PROD));
      }),
    );
    try {
      const { snapshot } = await collectWith(connect(fake, { tenants: [{ id: TENANT, subscriptions: [PROD] }] }), "root-scope");
      expect(snapshot.scopes.find((s) => s.id === "/")).toMatchObject({ kind: "management_group", parentId: TENANT_SCOPE });
      expect(snapshot.scopes.find((s) => s.id === ROOT_MG)?.parentId).toBe("/");
      expect(snapshot.gaps).toEqual([]);
      const answer = explain(snapshot, { principal: ID.partnerSp, action: GET_SECRET, resource: KV_PAYMENTS });
      expect(answer.paths.map((p) => [p.outcome, p.hops.find((h) => h.type === "grant")?.label])).toEqual([["allowed", '"Key Vault Secrets User" assigned at /']]);
    } finally {
      await fake.close();
    }
  });

  test("a group the reader cannot see goes directly above the subscription, below its known parent, and its grant applies", async () => {
    const platform = "/providers/Microsoft.Management/managementGroups/mg-platform";
    const fake = await FakeAzureServer.start(
      estateWith((estate) => {
        estate.subscriptions[0]?.roleAssignments.push(assignment(platform, 40, ID.crmSp, "ServicePrincipal", ROLE.secretsUser, PROD));
      }),
    );
    try {
      const { snapshot } = await collectWith(connect(fake, { tenants: [{ id: TENANT, subscriptions: [PROD] }] }), "unseen-mg");
      expect(snapshot.gaps).toEqual([]);
      const parents = Object.fromEntries(snapshot.scopes.filter((s) => s.kind === "management_group" || s.kind === "subscription").map((s) => [s.id, s.parentId]));
      expect(parents).toEqual({ [ROOT_MG]: TENANT_SCOPE, [LANDING_MG]: ROOT_MG, [platform]: LANDING_MG, [`/subscriptions/${PROD}`]: platform });
      const crm = explain(snapshot, { principal: ID.crmSp, action: GET_SECRET, resource: KV_PAYMENTS });
      expect(crm.paths.map((p) => [p.outcome, p.hops.find((h) => h.type === "grant")?.label])).toEqual([["allowed", `"Key Vault Secrets User" assigned at ${platform}`]]);
    } finally {
      await fake.close();
    }
  });

  test("an unseen group that cannot sit consistently above two subscriptions is a gap on the second: answers there are unknown, not empty", async () => {
    const hidden = "/providers/Microsoft.Management/managementGroups/mg-hidden";
    const fake = await FakeAzureServer.start(
      estateWith((estate) => {
        // nonprod hangs off the root group, prod off landing zones: one hidden parent cannot be above both directly.
        const tenant = estate.tenants[0];
        if (tenant && tenant.managementGroups !== "forbidden") {
          tenant.managementGroups[0]?.children.push({ kind: "subscription", id: NONPROD, displayName: "acme-nonprod" });
          const landing = tenant.managementGroups[1];
          if (landing) landing.children = landing.children.filter((child) => child.id !== NONPROD);
        }
        estate.subscriptions[0]?.roleAssignments.push(assignment(hidden, 43, ID.crmSp, "ServicePrincipal", ROLE.reader, PROD));
        estate.subscriptions[1]?.roleAssignments.push(assignment(hidden, 43, ID.crmSp, "ServicePrincipal", ROLE.reader, NONPROD));
      }),
    );
    try {
      const { snapshot } = await collectWith(connect(fake, { tenants: [{ id: TENANT, subscriptions: [PROD, NONPROD] }] }), "conflict");
      const gap = {
        provider: "azure",
        scopeId: `/subscriptions/${NONPROD}`,
        source: "authorization:roleAssignments.listForScope",
        reason: `assignments inherited from ${hidden} could not be placed in the management group hierarchy, so what they grant or deny below this subscription is unknown`,
      };
      expect(snapshot.gaps).toEqual([gap]);
      expect(snapshot.scopes.find((s) => s.id === `/subscriptions/${PROD}`)?.parentId).toBe(hidden);
      expect(snapshot.scopes.find((s) => s.id === `/subscriptions/${NONPROD}`)?.parentId).toBe(ROOT_MG);
      const answer = explain(snapshot, { action: "Microsoft.KeyVault/vaults/read", resource: KV_LEGACY });
      const github = answer.paths.find((p) => p.principalId === ID.githubSp);
      expect(github?.outcome).toBe("unknown");
      expect(github?.unknownReason).toContain(`collection gap for azure /subscriptions/${NONPROD} (${gap.source}): ${gap.reason}`);
    } finally {
      await fake.close();
    }
  });

  test("managementGroups: false with nested groups: the group seen by more subscriptions sits higher", async () => {
    const fake = await FakeAzureServer.start(
      estateWith((estate) => {
        const [prod, nonprod] = estate.subscriptions;
        prod?.roleAssignments.push(assignment("/providers/Microsoft.Management/managementGroups/mg-prod", 42, ID.crmSp, "ServicePrincipal", ROLE.secretsUser, PROD));
        // A deny assignment at the same unseen group is placed too, so it still subtracts.
        prod?.denyAssignments.push({
          id: "/providers/Microsoft.Management/managementGroups/mg-prod/providers/Microsoft.Authorization/denyAssignments/da000000-0000-4000-8000-000000000042",
          name: "da000000-0000-4000-8000-000000000042",
          type: "Microsoft.Authorization/denyAssignments",
          properties: {
            denyAssignmentName: "no secrets for the crm connector",
            scope: "/providers/Microsoft.Management/managementGroups/mg-prod",
            permissions: [{ actions: [], notActions: [], dataActions: ["Microsoft.KeyVault/vaults/secrets/*"], notDataActions: [] }],
            principals: [{ id: ID.crmSp, type: "ServicePrincipal" }],
            excludePrincipals: [],
            doNotApplyToChildScopes: false,
          },
        });
        void nonprod;
      }),
    );
    try {
      const { snapshot } = await collectWith(connect(fake, { tenants: [{ id: TENANT, subscriptions: [PROD, NONPROD], managementGroups: false }] }), "nested");
      const parents = Object.fromEntries(snapshot.scopes.filter((s) => s.kind === "management_group" || s.kind === "subscription").map((s) => [s.id, s.parentId]));
      expect(parents).toEqual({
        [`/subscriptions/${PROD}`]: "/providers/Microsoft.Management/managementGroups/mg-prod",
        [`/subscriptions/${NONPROD}`]: LANDING_MG,
        [LANDING_MG]: TENANT_SCOPE,
        "/providers/Microsoft.Management/managementGroups/mg-prod": LANDING_MG,
      });
      const answer = explain(snapshot, { principal: ID.crmSp, action: GET_SECRET, resource: KV_PAYMENTS });
      expect(answer.paths.map((p) => [p.outcome, p.blockedBy?.kind])).toEqual([["denied", "deny_policy"]]);
    } finally {
      await fake.close();
    }
  });
});

describe("deny assignments: actions for the control plane, dataActions for the data plane", () => {
  let fake: FakeAzureServer;
  let inventory: Inventory;
  beforeAll(async () => {
    const estate = smallEstate();
    const deny = estate.subscriptions[0]?.denyAssignments[0];
    // A typical managed-application deny: every control-plane write denied to everyone, reads allowed, no data actions.
    if (deny) Object.assign(deny.properties, { permissions: [{ actions: ["*"], notActions: ["*/read"], dataActions: [], notDataActions: [] }], principals: [{ id: "00000000-0000-0000-0000-000000000000", type: "SystemDefined" }] });
    fake = await FakeAzureServer.start(estate);
    const azure = connect(fake, { ...fakeConfig(fake, { id: TENANT, subscriptions: [PROD, NONPROD] }, ["kv-payments"], READER_CLIENT_ID), cacheTtlSeconds: 0 });
    inventory = new Inventory((await collectWith(azure, "deny")).snapshot);
  });
  afterAll(async () => fake.close());

  test("the deny is one control-plane statement", () => {
    expect(inventory.snapshot.policies.find((p) => p.kind === "deny")?.statements).toEqual([
      { id: "actions", effect: "Deny", actions: ["*"], notActions: ["*/read"], principals: ["00000000-0000-0000-0000-000000000000"] },
    ]);
  });

  test("getSecret through the readers group is still allowed; a vault write by Contributor is denied", () => {
    const secrets = explainEntitlementPaths(inventory, { principal: ID.ordersSp, action: GET_SECRET, resource: KV_PAYMENTS });
    expect(secrets.paths.map((p) => [p.outcome, p.blockedBy?.kind])).toEqual([["allowed", undefined]]);
    const write = explainEntitlementPaths(inventory, { principal: ID.terraformSp, action: "Microsoft.KeyVault/vaults/write", resource: KV_PAYMENTS });
    expect(write.paths.map((p) => [p.outcome, p.blockedBy?.id])).toEqual([
      ["denied", `${inventory.snapshot.policies.find((p) => p.kind === "deny")?.id}#actions`],
    ]);
  });
});

describe("paging stops on a repeated nextLink", () => {
  let fake: FakeAzureServer;
  beforeAll(async () => {
    fake = await FakeAzureServer.start(smallEstate());
  });
  afterAll(async () => fake.close());

  test("Graph: the service principal listing that names itself as next page ends in a gap after two requests", async () => {
    fake.resetLog();
    fake.selfLinkingRoutes.add("servicePrincipals");
    try {
      const { snapshot } = await collectWith(connect(fake, { tenants: [{ id: TENANT, subscriptions: [PROD], managementGroups: false, signInActivity: false }] }), "graph-loop");
      expect(fake.callCounts().servicePrincipals).toBe(2);
      const gap = snapshot.gaps?.find((g) => g.reason.includes("RepeatedNextLinkError"));
      expect(gap).toMatchObject({ provider: "azure", scopeId: TENANT_SCOPE });
      expect(gap?.reason).toContain("the listing returned the same nextLink twice (/v1.0/servicePrincipals); stopped to avoid an endless loop");
    } finally {
      fake.selfLinkingRoutes.clear();
    }
  });

  test("management groups: the listing that names itself as next page ends in a gap on the tenant", async () => {
    fake.resetLog();
    fake.selfLinkingRoutes.add("managementGroups.list");
    try {
      const { snapshot } = await collectWith(connect(fake, { tenants: [{ id: TENANT, subscriptions: [], workloadIdentities: false }] }), "mg-loop");
      expect(fake.callCounts()["managementGroups.list"]).toBe(2);
      expect(snapshot.gaps).toEqual([
        {
          provider: "azure",
          scopeId: TENANT_SCOPE,
          source: "management:managementGroups.list",
          reason:
            "management group hierarchy not read, so assignments inherited from management groups are unknown: RepeatedNextLinkError: the listing returned the same nextLink twice (/providers/Microsoft.Management/managementGroups); stopped to avoid an endless loop",
        },
      ]);
    } finally {
      fake.selfLinkingRoutes.clear();
    }
  });
});
