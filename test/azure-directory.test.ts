/**
 * Entra directory control collected from the wire-level Graph fake through the real connector:
 * owners (via $expand), directory role assignments and PIM eligibilities, and Microsoft Graph
 * application permissions land on principals, and the entitlement engine turns them into
 * escalation paths to what the taken-over service principal reaches.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { explainEntitlementPaths } from "../src/analysis/entitlements/index.js";
import { Inventory } from "../src/model/inventory-index.js";
import type { InventorySnapshot } from "../src/model/inventory.js";
import { createAzureConnector, type AzureConnector } from "../src/providers/azure/index.js";
import type { FakeAzureEstate } from "./fakes/azure/estate.js";
import { collectWith, fakeConfig, instantRetry, trustingHttpClient } from "./fakes/azure/harness.js";
import { FakeAzureServer } from "./fakes/azure/server.js";
import { GET_SECRET, ID, KV_PAYMENTS, NONPROD, PROD, READER_CLIENT_ID, READER_SECRET, ROLE, TENANT, smallEstate } from "./fakes/azure/small-estate.js";

const APPLICATION_ADMINISTRATOR = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3";
const PRIVILEGED_ROLE_ADMINISTRATOR = "e8611ab8-c189-46e8-94e1-60213ab1f814";
const APPLICATION_READWRITE_ALL = "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9";
const USER_READ_ALL = "df021288-bdef-4463-88db-98f22de89214";
/** Users with no Azure RBAC access of their own, so only the directory leads them anywhere. */
const APP_ADMIN = "d0000000-0000-4000-8000-000000000010";
const ROLE_ADMIN = "d0000000-0000-4000-8000-000000000011";
const ON_CALL = "d0000000-0000-4000-8000-000000000012";

function directoryEstate(eligibility: "rows" | "forbidden"): FakeAzureEstate {
  const estate = smallEstate();
  const tenant = estate.tenants[0];
  if (!tenant) throw new Error("the small estate has a tenant");
  // tom owns the payments gateway's application registration.
  tenant.applications = tenant.applications.map((app) => (app.id === ID.gatewayApp ? { ...app, owners: [{ id: ID.tom }] } : app));
  tenant.users = [
    ...tenant.users,
    { id: APP_ADMIN, displayName: "Una Admin", userPrincipalName: "una.admin@acme.example.com" },
    { id: ROLE_ADMIN, displayName: "Pat Roles", userPrincipalName: "pat.roles@acme.example.com" },
    { id: ON_CALL, displayName: "Oz Call", userPrincipalName: "oz.call@acme.example.com" },
  ];
  // Azure RBAC through PIM: the on-call engineer may activate Key Vault Secrets User on the vault.
  const prod = estate.subscriptions.find((sub) => sub.id === PROD);
  if (!prod) throw new Error("the small estate has the production subscription");
  prod.roleEligibilities = [
    {
      id: `${KV_PAYMENTS}/providers/Microsoft.Authorization/roleEligibilityScheduleInstances/e1`,
      name: "e1",
      type: "Microsoft.Authorization/roleEligibilityScheduleInstances",
      properties: {
        scope: KV_PAYMENTS,
        roleDefinitionId: `/subscriptions/${PROD}/providers/Microsoft.Authorization/roleDefinitions/${ROLE.secretsUser}`,
        principalId: ON_CALL,
        principalType: "User",
        status: "Provisioned",
      },
    },
  ];
  tenant.directoryRoleDefinitions = [
    { id: APPLICATION_ADMINISTRATOR, displayName: "Application Administrator", templateId: APPLICATION_ADMINISTRATOR },
    { id: PRIVILEGED_ROLE_ADMINISTRATOR, displayName: "Privileged Role Administrator", templateId: PRIVILEGED_ROLE_ADMINISTRATOR },
  ];
  tenant.directoryRoleAssignments = [{ id: "ra-1", principalId: APP_ADMIN, roleDefinitionId: APPLICATION_ADMINISTRATOR, directoryScopeId: "/" }];
  tenant.directoryRoleEligibilities =
    eligibility === "forbidden" ? "forbidden" : [{ id: "re-1", principalId: ROLE_ADMIN, roleDefinitionId: PRIVILEGED_ROLE_ADMINISTRATOR, directoryScopeId: "/" }];
  tenant.appRoleAssignedTo = [
    { id: "ara-1", principalId: ID.ordersSp, resourceId: ID.firstPartySp, appRoleId: APPLICATION_READWRITE_ALL },
    { id: "ara-2", principalId: ID.crmSp, resourceId: ID.firstPartySp, appRoleId: USER_READ_ALL },
  ];
  return estate;
}

const connectors: AzureConnector[] = [];
afterEach(() => {
  for (const connector of connectors.splice(0)) connector.close();
});

async function collect(fake: FakeAzureServer, label: string): Promise<InventorySnapshot> {
  const azure = createAzureConnector(
    { ...fakeConfig(fake, { id: TENANT, subscriptions: [PROD, NONPROD] }, ["kv-payments"], READER_CLIENT_ID) },
    { httpClient: trustingHttpClient(), insecureLocalVaults: true, environment: { WIAM_TEST_AZURE_CLIENT_SECRET: READER_SECRET }, retry: instantRetry() },
  );
  connectors.push(azure);
  return (await collectWith(azure, label)).snapshot;
}

describe("Entra directory control from Graph", () => {
  let fake: FakeAzureServer;
  let snapshot: InventorySnapshot;
  beforeAll(async () => {
    fake = await FakeAzureServer.start(directoryEstate("rows"), { graphPageSize: 3 });
    snapshot = await collect(fake, "directory");
  });
  afterAll(async () => fake.close());

  test("owners, directory roles (active and eligible) and escalating Graph permissions land on principals", () => {
    const byId = new Map(snapshot.principals.map((p) => [p.id, p]));
    expect(byId.get(ID.gatewaySp)?.owners).toEqual([ID.tom]);
    expect(byId.get(APP_ADMIN)?.directoryRoles).toEqual([{ roleId: APPLICATION_ADMINISTRATOR, name: "Application Administrator", directoryScopeId: "/", assignment: "active" }]);
    expect(byId.get(ROLE_ADMIN)?.directoryRoles).toEqual([{ roleId: PRIVILEGED_ROLE_ADMINISTRATOR, name: "Privileged Role Administrator", directoryScopeId: "/", assignment: "eligible" }]);
    expect(byId.get(ID.ordersSp)?.graphAppPermissions).toEqual(["Application.ReadWrite.All"]);
    expect(byId.get(ID.crmSp)?.graphAppPermissions).toBeUndefined();
    expect(snapshot.gaps?.filter((g) => g.source.startsWith("graph:"))).toEqual([]);
  });

  test("who can read a payments secret: the gateway's owner, the application administrator, the Graph-permitted app, and the eligible role administrator", () => {
    const inventory = new Inventory(snapshot);
    const secret = snapshot.vaultItems.find((item) => item.scopeId === KV_PAYMENTS && item.kind === "secret");
    if (!secret) throw new Error("the small estate has a payments secret");
    const answer = explainEntitlementPaths(inventory, { action: GET_SECRET, resource: secret.id });
    const takeovers = answer.paths
      .filter((p) => p.via.length === 2 && p.via[1] === ID.gatewaySp)
      .map((p) => [p.principalId, p.outcome, p.hops[1]?.note]);
    expect(takeovers).toEqual([
      [ID.ordersSp, "allowed", "Microsoft Graph Application.ReadWrite.All: can add a credential to any application or service principal"],
      [ID.tom, "allowed", "owner: can add a credential"],
      [APP_ADMIN, "allowed", "Application Administrator: can add a credential"],
      [ROLE_ADMIN, "eligible", "Privileged Role Administrator (PIM-eligible): can assign itself Application Administrator, then add a credential"],
    ]);
  });

  test("a PIM-eligible Azure role assignment gives the eligible outcome, forward and reverse", () => {
    const inventory = new Inventory(snapshot);
    const secret = snapshot.vaultItems.find((item) => item.scopeId === KV_PAYMENTS && item.kind === "secret");
    if (!secret) throw new Error("the small estate has a payments secret");
    const eligibilityId = `${KV_PAYMENTS}/providers/Microsoft.Authorization/roleEligibilityScheduleInstances/e1`;
    expect(snapshot.grants.filter((g) => g.kind === "eligible_role_assignment").map((g) => [g.id, g.principalId, g.resource])).toEqual([[eligibilityId, ON_CALL, KV_PAYMENTS]]);
    const forward = explainEntitlementPaths(inventory, { principal: ON_CALL, action: GET_SECRET, resource: secret.id });
    expect(forward.paths.map((p) => [p.outcome, p.eligibility, p.hops[1]?.label])).toEqual([["eligible", [eligibilityId], `"Key Vault Secrets User" eligible (PIM) at ${KV_PAYMENTS}`]]);
    const reverse = explainEntitlementPaths(inventory, { action: GET_SECRET, resource: secret.id });
    expect(reverse.paths.filter((p) => p.principalId === ON_CALL).map((p) => p.outcome)).toEqual(["eligible"]);
  });
});

describe("without PIM data", () => {
  test("an unreadable eligibility listing is a gap of its own; other answers stay decided", async () => {
    const fake = await FakeAzureServer.start(directoryEstate("forbidden"));
    try {
      const snapshot = await collect(fake, "no-pim");
      expect(snapshot.gaps?.filter((g) => g.source.startsWith("graph:roleManagement")).map((g) => g.source)).toEqual([
        "graph:roleManagement.directory.roleEligibilityScheduleInstances",
      ]);
      const inventory = new Inventory(snapshot);
      const secret = snapshot.vaultItems.find((item) => item.scopeId === KV_PAYMENTS && item.kind === "secret");
      if (!secret) throw new Error("the small estate has a payments secret");
      const paths = explainEntitlementPaths(inventory, { principal: APP_ADMIN, action: GET_SECRET, resource: secret.id }).paths;
      expect(paths.map((p) => p.outcome)).not.toContain("unknown");
      expect(paths.some((p) => p.via.join(">") === `${APP_ADMIN}>${ID.gatewaySp}` && p.outcome === "allowed")).toBe(true);
    } finally {
      await fake.close();
    }
  });
});
