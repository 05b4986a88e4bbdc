/**
 * The Global Administrator elevation edge: a user holding Global Administrator elevates to User
 * Access Administrator at root scope and can then assign itself any Azure role; a Privileged Role
 * Administrator gets there by assigning itself Global Administrator first; a PIM-eligible role
 * gives an eligible path; a role held through a group counts; deny assignments still apply. A
 * service principal holding Global Administrator cannot elevate: no such path. Exact paths.
 */
import { describe, expect, it } from "vitest";
import { entitlementAnswerSchema, explainEntitlementPaths } from "../src/analysis/entitlements/index.js";
import type { EntitlementAnswer } from "../src/analysis/entitlements/index.js";
import type { DirectoryRoleAssignment, Principal } from "../src/model/inventory.js";
import type { Inventory } from "../src/model/inventory-index.js";
import { estate, policy, principal, scope, vaultSecret } from "./fixtures/iam-estate.js";

const TENANT = "tenant-1";
const OTHER_TENANT = "tenant-2";
const SUB = "/subscriptions/00000000-0000-0000-0000-0000000000aa";
const OTHER_SUB = "/subscriptions/00000000-0000-0000-0000-0000000000bb";
const RG = `${SUB}/resourceGroups/rg1`;
const KV = `${RG}/providers/Microsoft.KeyVault/vaults/kv-pay`;
const GET_SECRET = "Microsoft.KeyVault/vaults/secrets/getSecret/action";
const secret = vaultSecret(KV, "kv-pay", "db");

const GLOBAL_ADMIN = "eeeeeeee-0000-4000-8000-000000000001";
const ROLE_ADMIN = "eeeeeeee-0000-4000-8000-000000000002";
const ELIGIBLE_ADMIN = "eeeeeeee-0000-4000-8000-000000000003";
const GROUP_MEMBER = "eeeeeeee-0000-4000-8000-000000000004";
const ADMINS_GROUP = "eeeeeeee-0000-4000-8000-000000000005";
const ADMIN_SP = "eeeeeeee-0000-4000-8000-000000000006";
const PLAIN_USER = "eeeeeeee-0000-4000-8000-000000000007";
const GA = "62e90394-69f5-4237-9190-012177145e10";
const PRA = "e8611ab8-c189-46e8-94e1-60213ab1f814";
const ELEVATE = "elevates access (Microsoft.Authorization/elevateAccess/action) to User Access Administrator at root scope /, then assigns itself any role";

function role(roleId: string, name: string, assignment: DirectoryRoleAssignment["assignment"] = "active"): DirectoryRoleAssignment {
  return { roleId, name, directoryScopeId: "/", assignment };
}
const user = (id: string, name: string, extra: Partial<Principal> = {}) => principal(id, "azure", "user", TENANT, { name, ...extra });

function tenant(extra: { denyOn?: string } = {}): Inventory {
  return estate({
    scopes: [
      scope(TENANT, "tenant", "azure"),
      scope(SUB, "subscription", "azure", TENANT),
      scope(RG, "resource_group", "azure", SUB),
      scope(KV, "vault", "azure", RG, { enableRbacAuthorization: true }),
      scope(OTHER_TENANT, "tenant", "azure"),
      scope(OTHER_SUB, "subscription", "azure", OTHER_TENANT),
    ],
    principals: [
      user(GLOBAL_ADMIN, "gina", { directoryRoles: [role(GA, "Global Administrator")] }),
      user(ROLE_ADMIN, "pete", { directoryRoles: [role(PRA, "Privileged Role Administrator")] }),
      user(ELIGIBLE_ADMIN, "erin", { directoryRoles: [role(GA, "Global Administrator", "eligible")] }),
      user(GROUP_MEMBER, "gus", { memberOf: [ADMINS_GROUP] }),
      principal(ADMINS_GROUP, "azure", "group", TENANT, { name: "tenant-admins", directoryRoles: [role(GA, "Global Administrator")] }),
      principal(ADMIN_SP, "azure", "service_principal", TENANT, { name: "automation", directoryRoles: [role(GA, "Global Administrator")] }),
      user(PLAIN_USER, "paula"),
    ],
    vaultItems: [secret],
    policies: extra.denyOn
      ? [policy("deny-secrets", "azure", "deny", [{ id: "d1", effect: "Deny", actions: [GET_SECRET], principals: ["*"] }], { attachedTo: [extra.denyOn] })]
      : [],
  });
}

function ask(inventory: Inventory, query: Parameters<typeof explainEntitlementPaths>[1]): EntitlementAnswer {
  const answer = explainEntitlementPaths(inventory, query);
  expect(entitlementAnswerSchema.parse(answer)).toEqual(answer);
  return answer;
}

describe("Global Administrator elevation", () => {
  it("a Global Administrator user reaches a vault secret by elevating: one escalation hop, exact path", () => {
    const [path, ...rest] = ask(tenant(), { principal: GLOBAL_ADMIN, action: GET_SECRET, resource: secret.id }).paths;
    expect(rest).toEqual([]);
    expect(path).toEqual({
      principalId: GLOBAL_ADMIN,
      via: [GLOBAL_ADMIN],
      action: GET_SECRET,
      resource: secret.id,
      outcome: "allowed",
      hops: [
        { type: "principal", id: GLOBAL_ADMIN, label: 'user "gina"' },
        { type: "escalate", id: GLOBAL_ADMIN, label: `Global Administrator: ${ELEVATE}` },
        { type: "resource", id: secret.id, label: secret.id },
      ],
      justification: [`entra:directoryRole/${GA}@${GLOBAL_ADMIN}`],
      privilegeEscalation: true,
    });
  });

  it("Privileged Role Administrator takes one more step; an eligible Global Administrator is eligible; a group's role counts", () => {
    const inventory = tenant();
    const outcome = (id: string) => ask(inventory, { principal: id, action: GET_SECRET, resource: secret.id }).paths.map((p) => [p.outcome, p.hops.map((h) => h.label)]);
    expect(outcome(ROLE_ADMIN)).toEqual([
      ["allowed", ['user "pete"', "Privileged Role Administrator: assigns itself Global Administrator, elevates access to User Access Administrator at root scope /, then assigns itself any role", secret.id]],
    ]);
    expect(outcome(ELIGIBLE_ADMIN)).toEqual([["eligible", ['user "erin"', `Global Administrator (PIM-eligible): ${ELEVATE}`, secret.id]]]);
    expect(outcome(GROUP_MEMBER)).toEqual([["allowed", ['user "gus"', 'group "tenant-admins"', `Global Administrator: ${ELEVATE}`, secret.id]]]);
    expect(outcome(PLAIN_USER)).toEqual([]);
  });

  it("a service principal holding Global Administrator cannot elevate: no path to Azure resources", () => {
    expect(ask(tenant(), { principal: ADMIN_SP, action: GET_SECRET, resource: secret.id }).paths).toEqual([]);
  });

  it("the edge stays inside the tenant; deny assignments still apply", () => {
    expect(ask(tenant(), { principal: GLOBAL_ADMIN, action: "Microsoft.Compute/virtualMachines/read", resource: OTHER_SUB }).paths).toEqual([]);
    const denied = ask(tenant({ denyOn: SUB }), { principal: GLOBAL_ADMIN, action: GET_SECRET, resource: secret.id }).paths;
    expect(denied.map((p) => [p.outcome, p.blockedBy?.kind])).toEqual([["denied", "deny_policy"]]);
  });

  it("reverse: who can read the secret lists every user that can elevate, with its outcome", () => {
    const reverse = ask(tenant(), { action: GET_SECRET, resource: secret.id }).paths.map((p) => [p.principalId, p.outcome, p.privilegeEscalation]);
    expect(reverse.sort()).toEqual(
      [
        [GLOBAL_ADMIN, "allowed", true],
        [ROLE_ADMIN, "allowed", true],
        [GROUP_MEMBER, "allowed", true],
        [ELIGIBLE_ADMIN, "eligible", true],
      ].sort(),
    );
  });
});
