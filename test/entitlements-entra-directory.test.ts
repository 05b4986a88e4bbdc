/**
 * Entra escalation through the directory: owners of a service principal, directory roles that
 * manage application credentials (tenant-wide, object-scoped, through a group, PIM-eligible) and
 * Microsoft Graph application permissions reach what the service principal can reach. Forward and
 * reverse, exact paths.
 */
import { describe, expect, it } from "vitest";
import { entitlementAnswerSchema, explainEntitlementPaths } from "../src/analysis/entitlements/index.js";
import type { EntitlementAnswer } from "../src/analysis/entitlements/index.js";
import type { DirectoryRoleAssignment, InventorySnapshot, Principal } from "../src/model/inventory.js";
import type { Inventory } from "../src/model/inventory-index.js";
import { allow, estate, grant, policy, principal, scope, vaultSecret } from "./fixtures/iam-estate.js";

const TENANT = "tenant-1";
const SUB = "/subscriptions/00000000-0000-0000-0000-0000000000aa";
const RG = `${SUB}/resourceGroups/rg1`;
const KV = `${RG}/providers/Microsoft.KeyVault/vaults/kv-pay`;
const GET_SECRET = "Microsoft.KeyVault/vaults/secrets/getSecret/action";
const secret = vaultSecret(KV, "kv-pay", "db");

const PAYMENTS_SP = "aaaaaaaa-0000-4000-8000-000000000001";
const OTHER_SP = "aaaaaaaa-0000-4000-8000-000000000002";
const OWNER = "bbbbbbbb-0000-4000-8000-000000000001";
const APP_ADMIN = "bbbbbbbb-0000-4000-8000-000000000002";
const PIM_ADMIN = "bbbbbbbb-0000-4000-8000-000000000003";
const GRAPH_APP = "aaaaaaaa-0000-4000-8000-000000000003";
const ADMINS_GROUP = "cccccccc-0000-4000-8000-000000000001";
const GROUP_MEMBER = "bbbbbbbb-0000-4000-8000-000000000004";
const SCOPED_ADMIN = "bbbbbbbb-0000-4000-8000-000000000005";
const MANAGED = "dddddddd-0000-4000-8000-000000000001";

const APPLICATION_ADMINISTRATOR = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3";
const CLOUD_APPLICATION_ADMINISTRATOR = "158c047a-c907-4556-b7ef-446551a6b5f7";
const PRIVILEGED_ROLE_ADMINISTRATOR = "e8611ab8-c189-46e8-94e1-60213ab1f814";
const ADD_CREDENTIAL = "microsoft.directory/servicePrincipals/credentials/update";

function role(roleId: string, name: string, assignment: DirectoryRoleAssignment["assignment"] = "active", directoryScopeId = "/"): DirectoryRoleAssignment {
  return { roleId, name, directoryScopeId, assignment };
}

const secretsUser = policy("/providers/Microsoft.Authorization/roleDefinitions/kv-secrets-user", "azure", "role", [allow("dataActions", [GET_SECRET])]);

function entra(principals: Principal[], extra: Partial<InventorySnapshot> = {}): Inventory {
  return estate({
    scopes: [
      scope(TENANT, "tenant", "azure"),
      scope(SUB, "subscription", "azure", TENANT),
      scope(RG, "resource_group", "azure", SUB),
      scope(KV, "vault", "azure", RG, { enableRbacAuthorization: true }),
    ],
    principals: [
      principal(PAYMENTS_SP, "azure", "service_principal", TENANT, { name: "payments-api", owners: [OWNER] }),
      principal(MANAGED, "azure", "managed_identity", RG, { name: "vm-identity" }),
      ...principals,
    ],
    vaultItems: [secret],
    policies: [secretsUser],
    grants: [grant("ra-pay", "azure", "role_assignment", PAYMENTS_SP, secretsUser.id, KV)],
    ...extra,
  });
}

function ask(inventory: Inventory, query: Parameters<typeof explainEntitlementPaths>[1]): EntitlementAnswer {
  const answer = explainEntitlementPaths(inventory, query);
  expect(entitlementAnswerSchema.parse(answer)).toEqual(answer);
  return answer;
}

function summary(answer: EntitlementAnswer) {
  return answer.paths.map((p) => ({ principalId: p.principalId, via: p.via, outcome: p.outcome, escalation: p.privilegeEscalation }));
}

const user = (id: string, name: string, extra: Partial<Principal> = {}) => principal(id, "azure", "user", TENANT, { name, ...extra });

describe("Entra owners and directory roles as escalation", () => {
  it("an owner of the service principal reaches its secret by adding a credential", () => {
    const inventory = entra([user(OWNER, "olivia")]);
    const forward = ask(inventory, { principal: OWNER, action: GET_SECRET, resource: secret.id });
    expect(summary(forward)).toEqual([{ principalId: OWNER, via: [OWNER, PAYMENTS_SP], outcome: "allowed", escalation: true }]);
    expect(forward.paths[0]?.hops.map((h) => [h.type, h.id])).toEqual([
      ["principal", OWNER],
      ["escalate", PAYMENTS_SP],
      ["grant", "ra-pay"],
      ["policy", secretsUser.id],
      ["resource", secret.id],
    ]);
    expect(forward.paths[0]?.justification).toEqual([`entra:owner/${PAYMENTS_SP}/${OWNER}`, "ra-pay", `${secretsUser.id}#dataActions`]);
  });

  it("reverse: who can read the secret lists the service principal, its owner and tenant-wide application administrators", () => {
    const inventory = entra([
      user(OWNER, "olivia"),
      user(APP_ADMIN, "adam", { directoryRoles: [role(APPLICATION_ADMINISTRATOR, "Application Administrator")] }),
      principal(GRAPH_APP, "azure", "service_principal", TENANT, { name: "automation", graphAppPermissions: ["Application.ReadWrite.All", "User.Read.All"] }),
    ]);
    expect(summary(ask(inventory, { action: GET_SECRET, resource: secret.id }))).toEqual([
      { principalId: PAYMENTS_SP, via: [PAYMENTS_SP], outcome: "allowed", escalation: false },
      { principalId: GRAPH_APP, via: [GRAPH_APP, PAYMENTS_SP], outcome: "allowed", escalation: true },
      { principalId: OWNER, via: [OWNER, PAYMENTS_SP], outcome: "allowed", escalation: true },
      { principalId: APP_ADMIN, via: [APP_ADMIN, PAYMENTS_SP], outcome: "allowed", escalation: true },
    ]);
  });

  it("forward: an application administrator can take over every service principal of the tenant, not managed identities", () => {
    const inventory = entra([
      user(APP_ADMIN, "adam", { directoryRoles: [role(CLOUD_APPLICATION_ADMINISTRATOR, "Cloud Application Administrator")] }),
      principal(OTHER_SP, "azure", "service_principal", TENANT, { name: "reports" }),
    ]);
    const answer = ask(inventory, { principal: APP_ADMIN, action: ADD_CREDENTIAL });
    expect(answer.paths.map((p) => [p.resource, p.outcome, p.hops[1]?.note])).toEqual([
      [PAYMENTS_SP, "allowed", "Cloud Application Administrator: can add a credential"],
      [OTHER_SP, "allowed", "Cloud Application Administrator: can add a credential"],
    ]);
  });

  it("a role scoped to one object reaches only that object; a group's role reaches its members", () => {
    const inventory = entra([
      user(SCOPED_ADMIN, "sam", { directoryRoles: [role(APPLICATION_ADMINISTRATOR, "Application Administrator", "active", `/${OTHER_SP}`)] }),
      principal(OTHER_SP, "azure", "service_principal", TENANT, { name: "reports" }),
      principal(ADMINS_GROUP, "azure", "group", TENANT, { name: "app-admins", directoryRoles: [role(APPLICATION_ADMINISTRATOR, "Application Administrator")] }),
      user(GROUP_MEMBER, "gia", { memberOf: [ADMINS_GROUP] }),
    ]);
    expect(ask(inventory, { principal: SCOPED_ADMIN, action: GET_SECRET, resource: secret.id }).paths).toEqual([]);
    expect(ask(inventory, { principal: SCOPED_ADMIN, action: ADD_CREDENTIAL }).paths.map((p) => p.resource)).toEqual([OTHER_SP]);
    const member = ask(inventory, { principal: GROUP_MEMBER, action: GET_SECRET, resource: secret.id });
    expect(summary(member)).toEqual([{ principalId: GROUP_MEMBER, via: [GROUP_MEMBER, PAYMENTS_SP], outcome: "allowed", escalation: true }]);
    expect(member.paths[0]?.justification.slice(0, 2)).toEqual([`entra:directoryRole/${APPLICATION_ADMINISTRATOR}@${ADMINS_GROUP}`, ADMINS_GROUP]);
  });

  it("a PIM-eligible role gives an eligible path, ranked after allowed ones and named in the answer", () => {
    const inventory = entra([
      user(OWNER, "olivia"),
      user(PIM_ADMIN, "pat", { directoryRoles: [role(PRIVILEGED_ROLE_ADMINISTRATOR, "Privileged Role Administrator", "eligible")] }),
    ]);
    const reverse = ask(inventory, { action: GET_SECRET, resource: secret.id });
    expect(summary(reverse)).toEqual([
      { principalId: PAYMENTS_SP, via: [PAYMENTS_SP], outcome: "allowed", escalation: false },
      { principalId: OWNER, via: [OWNER, PAYMENTS_SP], outcome: "allowed", escalation: true },
      // Elevating to User Access Administrator at root (entitlements-entra-elevation.test.ts), and taking over the service principal.
      { principalId: PIM_ADMIN, via: [PIM_ADMIN], outcome: "eligible", escalation: true },
      { principalId: PIM_ADMIN, via: [PIM_ADMIN, PAYMENTS_SP], outcome: "eligible", escalation: true },
    ]);
    const eligible = reverse.paths[3];
    expect(eligible?.eligibility).toEqual([`entra:directoryRole/${PRIVILEGED_ROLE_ADMINISTRATOR}@${PIM_ADMIN}`]);
    expect(eligible?.hops[1]?.note).toBe("Privileged Role Administrator (PIM-eligible): can assign itself Application Administrator, then add a credential");
  });

  it("Graph permissions that do not escalate, and roles that do not manage credentials, add nothing", () => {
    const inventory = entra([
      principal(GRAPH_APP, "azure", "service_principal", TENANT, { name: "reader", graphAppPermissions: ["Directory.Read.All"] }),
      user(APP_ADMIN, "adam", { directoryRoles: [role("88d8e3e3-8f55-4a1e-953a-9b9898b8876b", "Directory Readers")] }),
    ]);
    // Only the owner (named by id, not collected as a user here) adds a way in.
    expect(summary(ask(inventory, { action: GET_SECRET, resource: secret.id }))).toEqual([
      { principalId: PAYMENTS_SP, via: [PAYMENTS_SP], outcome: "allowed", escalation: false },
      { principalId: OWNER, via: [OWNER, PAYMENTS_SP], outcome: "allowed", escalation: true },
    ]);
  });

  it("a disabled service principal cannot be taken over", () => {
    const inventory = entra([user(OWNER, "olivia")], {});
    const disabled = estate({ ...inventory.snapshot, principals: inventory.snapshot.principals.map((p) => (p.id === PAYMENTS_SP ? { ...p, disabled: true } : p)) });
    expect(ask(disabled, { principal: OWNER, action: GET_SECRET, resource: secret.id }).paths).toEqual([]);
    expect(ask(disabled, { principal: OWNER, action: ADD_CREDENTIAL }).paths.map((p) => [p.outcome, p.blockedBy?.kind])).toEqual([["denied", "disabled_principal"]]);
  });
});
