import { describe, expect, it } from "vitest";
import { entitlementAnswerSchema, explainEntitlementPaths } from "../src/analysis/entitlements/index.js";
import type { EntitlementAnswer, EntitlementPath } from "../src/analysis/entitlements/index.js";
import type { InventorySnapshot, Policy } from "../src/model/inventory.js";
import { allow, estate, grant, policy, principal, scope, vaultSecret } from "./fixtures/iam-estate.js";

const TENANT = "tenant-1";
const MG = "/providers/Microsoft.Management/managementGroups/mg1";
const SUB = "/subscriptions/00000000-0000-0000-0000-0000000000aa";
const RG = `${SUB}/resourceGroups/rg1`;
const KV_RBAC = `${RG}/providers/Microsoft.KeyVault/vaults/kv-rbac`;
const KV_AP = `${RG}/providers/Microsoft.KeyVault/vaults/kv-ap`;
const KV_OLD = `${RG}/providers/Microsoft.KeyVault/vaults/kv-old`;

const APP = "11111111-1111-1111-1111-111111111111";
const USER = "22222222-2222-2222-2222-222222222222";
const GROUP = "33333333-3333-3333-3333-333333333333";
const ADMIN = "44444444-4444-4444-4444-444444444444";

const GET_SECRET = "Microsoft.KeyVault/vaults/secrets/getSecret/action";
const rbacSecret = vaultSecret(KV_RBAC, "kv-rbac", "db");
const apSecret = vaultSecret(KV_AP, "kv-ap", "db");
const oldSecret = vaultSecret(KV_OLD, "kv-old", "db");

const scopes = [
  scope(TENANT, "tenant", "azure"),
  scope(MG, "management_group", "azure", TENANT),
  scope(SUB, "subscription", "azure", MG),
  scope(RG, "resource_group", "azure", SUB),
  scope(KV_RBAC, "vault", "azure", RG, { enableRbacAuthorization: true }),
  scope(KV_AP, "vault", "azure", RG, { enableRbacAuthorization: false }),
  scope(KV_OLD, "vault", "azure", RG),
];

function roleDefinition(name: string, statements: Policy["statements"]): Policy {
  return policy(`/providers/Microsoft.Authorization/roleDefinitions/${name}`, "azure", "role", statements);
}

const secretsUser = roleDefinition("kv-secrets-user", [allow("dataActions", [GET_SECRET, "Microsoft.KeyVault/vaults/secrets/readMetadata/action"])]);
const owner = roleDefinition("owner", [allow("permissions", ["*"])]);
const accessAdmin = roleDefinition("user-access-admin", [allow("permissions", ["Microsoft.Authorization/*", "*/read"])]);
const kvContributor = roleDefinition("kv-contributor", [allow("permissions", ["Microsoft.KeyVault/*"])]);
const accessPolicyEntry = policy("ap-app-secrets", "azure", "access_policy", [allow("secrets", [GET_SECRET, "Microsoft.KeyVault/vaults/secrets/list/action"])]);

const people = [
  principal(APP, "azure", "service_principal", TENANT, { name: "billing-app" }),
  principal(USER, "azure", "user", TENANT, { name: "ana", memberOf: [GROUP] }),
  principal(GROUP, "azure", "group", TENANT, { name: "ops" }),
  principal(ADMIN, "azure", "user", TENANT, { name: "root-admin" }),
];

function assign(id: string, principalId: string, role: Policy, at: string) {
  return grant(id, "azure", "role_assignment", principalId, role.id, at);
}

function build(parts: Partial<InventorySnapshot>) {
  return estate({
    scopes,
    principals: people,
    vaultItems: [rbacSecret, apSecret, oldSecret],
    ...parts,
    policies: [secretsUser, owner, accessAdmin, kvContributor, accessPolicyEntry, ...(parts.policies ?? [])],
  });
}

function ask(inventory: ReturnType<typeof build>, query: Parameters<typeof explainEntitlementPaths>[1]): EntitlementAnswer {
  const answer = explainEntitlementPaths(inventory, query);
  expect(entitlementAnswerSchema.parse(answer)).toEqual(answer);
  return answer;
}

function summary(path: EntitlementPath) {
  return { via: path.via, action: path.action, resource: path.resource, outcome: path.outcome };
}

describe("Azure RBAC and Key Vault permission models", () => {
  it("a data-action role assigned at the subscription reaches a secret in an RBAC vault", () => {
    const inventory = build({ grants: [assign("ra1", APP, secretsUser, SUB)] });
    const answer = ask(inventory, { principal: "billing-app", action: GET_SECRET, resource: rbacSecret.id });
    expect(answer.paths).toEqual([
      {
        principalId: APP,
        via: [APP],
        action: GET_SECRET,
        resource: rbacSecret.id,
        outcome: "allowed",
        hops: [
          { type: "principal", id: APP, label: 'service_principal "billing-app"' },
          { type: "grant", id: "ra1", label: `"kv-secrets-user" assigned at ${SUB}` },
          { type: "policy", id: secretsUser.id, label: 'role "kv-secrets-user"' },
          { type: "resource", id: rbacSecret.id, label: rbacSecret.id },
        ],
        justification: ["ra1", `${secretsUser.id}#dataActions`],
        privilegeEscalation: false,
      },
    ]);
  });

  it("the same assignment grants no data access in an access-policy vault", () => {
    const inventory = build({ grants: [assign("ra1", APP, secretsUser, SUB)] });
    const answer = ask(inventory, { principal: APP, action: GET_SECRET, resource: apSecret.id });
    expect(answer.paths).toEqual([]);
    expect(answer.notes).toContain(`role assignments grant no Key Vault data actions in ${KV_AP}: the vault uses access policies`);
  });

  it("access policies grant in access-policy vaults and are ignored in RBAC vaults", () => {
    const inventory = build({
      grants: [
        grant("ap1", "azure", "access_policy", APP, accessPolicyEntry.id, KV_AP),
        grant("ap2", "azure", "access_policy", APP, accessPolicyEntry.id, KV_RBAC),
      ],
    });
    const [path] = ask(inventory, { principal: APP, action: GET_SECRET, resource: apSecret.id }).paths;
    expect(summary(path as EntitlementPath)).toEqual({ via: [APP], action: GET_SECRET, resource: apSecret.id, outcome: "allowed" });
    expect(path?.hops[1]).toEqual({ type: "grant", id: "ap1", label: `access policy on ${KV_AP}` });
    const ignored = ask(inventory, { principal: APP, action: GET_SECRET, resource: rbacSecret.id });
    expect(ignored.paths).toEqual([]);
    expect(ignored.notes).toContain(`access policies of ${KV_RBAC} are ignored: the vault uses RBAC authorization`);
  });

  it("Contributor (control-plane *) does not read secrets but does read the vault", () => {
    const contributor = roleDefinition("contributor", [
      allow("permissions", ["*"], undefined, { notActions: ["Microsoft.Authorization/*/Write", "Microsoft.Authorization/*/Delete"] }),
    ]);
    const inventory = build({ policies: [contributor], grants: [assign("ra1", ADMIN, contributor, SUB)] });
    expect(ask(inventory, { principal: ADMIN, action: GET_SECRET, resource: rbacSecret.id }).paths).toEqual([]);
    expect(ask(inventory, { principal: ADMIN, action: "Microsoft.KeyVault/vaults/read", resource: KV_RBAC }).paths.map((p) => p.outcome)).toEqual(["allowed"]);
  });

  it("Owner reads secrets only by assigning itself a role (an escalation)", () => {
    const inventory = build({ grants: [assign("ra1", ADMIN, owner, SUB)] });
    const paths = ask(inventory, { principal: ADMIN, action: GET_SECRET, resource: rbacSecret.id }).paths;
    expect(paths.map((p) => [p.outcome, p.privilegeEscalation])).toEqual([["allowed", true]]);
  });

  it("group assignments reach members, and ids compare case-insensitively", () => {
    const inventory = build({ grants: [assign("ra1", GROUP, secretsUser, RG.toLowerCase())] });
    const [path] = ask(inventory, { principal: "ana", action: GET_SECRET, resource: `${KV_RBAC.toUpperCase()}/secrets/db` }).paths;
    expect(path?.outcome).toBe("allowed");
    expect(path?.hops.slice(0, 3).map((h) => `${h.type}:${h.id}`)).toEqual([`principal:${USER}`, `member_of:${GROUP}`, "grant:ra1"]);
  });

  it("a deny assignment at the resource group blocks", () => {
    const denyAssignment = policy("deny-kv", "azure", "deny", [{ id: "d1", effect: "Deny", actions: ["Microsoft.KeyVault/vaults/secrets/*"], principals: ["00000000-0000-0000-0000-000000000000"], exceptPrincipals: [ADMIN] }], { attachedTo: [RG] });
    const inventory = build({ policies: [denyAssignment], grants: [assign("ra1", APP, secretsUser, SUB), assign("ra2", ADMIN, secretsUser, SUB)] });
    const [blocked] = ask(inventory, { principal: APP, action: GET_SECRET, resource: rbacSecret.id }).paths;
    expect(blocked?.outcome).toBe("denied");
    expect(blocked?.blockedBy).toEqual({ kind: "deny_policy", id: "deny-kv#d1", description: `deny assignment deny-kv denies ${GET_SECRET} to ${APP}` });
    expect(ask(inventory, { principal: ADMIN, action: GET_SECRET, resource: rbacSecret.id }).paths.map((p) => p.outcome)).toEqual(["allowed"]);
  });
});

describe("Azure escalation and reverse queries", () => {
  it("roleAssignments/write at a scope is an escalation to anything below it", () => {
    const inventory = build({ grants: [assign("ra1", ADMIN, accessAdmin, RG)] });
    const [path] = ask(inventory, { principal: ADMIN, action: GET_SECRET, resource: rbacSecret.id }).paths;
    expect(summary(path as EntitlementPath)).toEqual({ via: [ADMIN], action: GET_SECRET, resource: rbacSecret.id, outcome: "allowed" });
    expect(path?.privilegeEscalation).toBe(true);
    expect(path?.hops.find((h) => h.type === "escalate")?.label).toBe(
      `Microsoft.Authorization/roleAssignments/write at ${rbacSecret.id}: can assign itself any role there`,
    );
  });

  it("writing an access-policy vault is an escalation to its data", () => {
    const inventory = build({ grants: [assign("ra1", ADMIN, kvContributor, KV_AP), assign("ra2", ADMIN, kvContributor, KV_RBAC)] });
    const [path] = ask(inventory, { principal: ADMIN, action: GET_SECRET, resource: apSecret.id }).paths;
    expect(path?.outcome).toBe("allowed");
    expect(path?.privilegeEscalation).toBe(true);
    expect(ask(inventory, { principal: ADMIN, action: GET_SECRET, resource: rbacSecret.id }).paths).toEqual([]);
  });

  it("who can getSecret on an RBAC vault: direct holders, group members and escalators", () => {
    const inventory = build({
      grants: [assign("ra1", APP, secretsUser, KV_RBAC), assign("ra2", GROUP, secretsUser, SUB), assign("ra3", ADMIN, accessAdmin, MG), assign("ra4", ADMIN, owner, SUB)],
    });
    const answer = ask(inventory, { action: GET_SECRET, resource: KV_RBAC });
    expect(answer.paths.map((p) => [p.principalId, p.outcome, p.privilegeEscalation])).toEqual([
      [APP, "allowed", false],
      [USER, "allowed", false],
      [ADMIN, "allowed", true],
    ]);
  });

  it("who can getSecret on an access-policy vault: access-policy holders and vault writers", () => {
    const inventory = build({
      grants: [grant("ap1", "azure", "access_policy", APP, accessPolicyEntry.id, KV_AP), assign("ra1", USER, kvContributor, RG), assign("ra2", ADMIN, secretsUser, SUB)],
    });
    const answer = ask(inventory, { action: GET_SECRET, resource: apSecret.id });
    expect(answer.paths.map((p) => [p.principalId, p.privilegeEscalation])).toEqual([
      [APP, false],
      [USER, true],
    ]);
  });
});

describe("Azure unknowns", () => {
  it("a vault that does not record its permission model gives unknown", () => {
    const inventory = build({ grants: [assign("ra1", APP, secretsUser, SUB)] });
    const [path] = ask(inventory, { principal: APP, action: GET_SECRET, resource: oldSecret.id }).paths;
    expect(path?.outcome).toBe("unknown");
    expect(path?.unknownReason).toBe(`vault ${KV_OLD} does not record its permission model (enableRbacAuthorization)`);
  });

  it("a gap on the subscription makes the path unknown", () => {
    const inventory = build({
      grants: [assign("ra1", APP, secretsUser, SUB)],
      gaps: [{ provider: "azure", scopeId: SUB, source: "Microsoft.Authorization/roleAssignments", reason: "403" }],
    });
    const [path] = ask(inventory, { principal: APP, action: GET_SECRET, resource: rbacSecret.id }).paths;
    expect(path?.outcome).toBe("unknown");
    expect(path?.unknownReason).toBe(`collection gap for azure ${SUB} (Microsoft.Authorization/roleAssignments): 403`);
  });

  it("a vault outside the inventory is unknown for inherited assignments", () => {
    const inventory = build({ grants: [assign("ra1", APP, secretsUser, SUB)] });
    const elsewhere = "https://kv-missing.vault.azure.net/secrets/db";
    const answer = ask(inventory, { principal: APP, action: GET_SECRET, resource: elsewhere });
    expect(answer.paths.map((p) => p.outcome)).toEqual(["unknown"]);
    expect(answer.notes).toContain(`${elsewhere} could not be placed in a collected azure scope; answers that depend on it are unknown`);
  });
});

describe("Azure scope queries", () => {
  it("a forward query on a resource group lists assignments inside it and above it", () => {
    const inventory = build({ grants: [assign("ra1", APP, secretsUser, KV_RBAC), assign("ra2", APP, accessAdmin, SUB)] });
    const paths = ask(inventory, { principal: APP, resource: RG }).paths;
    expect(paths.filter((p) => !p.privilegeEscalation).map((p) => [p.action, p.resource])).toEqual([
      ["*/read", RG],
      ["Microsoft.Authorization/*", RG],
      [GET_SECRET, KV_RBAC],
      ["Microsoft.KeyVault/vaults/secrets/readMetadata/action", KV_RBAC],
    ]);
  });

  it("a deny assignment on one vault below a subscription-wide grant is a carve-out note", () => {
    const denyAssignment = policy("deny-one", "azure", "deny", [{ id: "d1", effect: "Deny", actions: ["Microsoft.KeyVault/vaults/secrets/*"] }], {
      attachedTo: [KV_RBAC],
    });
    const inventory = build({ policies: [denyAssignment], grants: [assign("ra1", APP, secretsUser, SUB)] });
    const [path] = ask(inventory, { principal: APP, action: GET_SECRET }).paths;
    expect(path?.outcome).toBe("allowed");
    expect(path?.resource).toBe(SUB);
    expect(path?.notes).toContain(`except what deny assignment deny-one#d1 denies at ${KV_RBAC}`);
  });
});

describe("Azure action syntax", () => {
  it("a GCP permission asked of an Azure vault matches no Azure wildcard role", () => {
    const inventory = build({ grants: [assign("ra1", ADMIN, owner, SUB)] });
    const answer = ask(inventory, { action: "secretmanager.versions.access", resource: rbacSecret.id });
    expect(answer.paths).toEqual([]);
    expect(answer.notes).toContain(`secretmanager.versions.access is not an action of the provider ${rbacSecret.id} belongs to`);
  });
});

describe("Azure deny assignments: control plane and data plane", () => {
  const EVERYONE = "00000000-0000-0000-0000-000000000000";
  const VAULT_WRITE = "Microsoft.KeyVault/vaults/write";
  // A managed application's lock: every control-plane write denied, reads allowed, no data actions.
  const managedAppDeny = policy("deny-app", "azure", "deny", [{ id: "actions", effect: "Deny", actions: ["*"], notActions: ["*/read"], principals: [EVERYONE] }], { attachedTo: [RG] });

  it("a deny of control-plane actions ['*'] does not block a data action such as getSecret", () => {
    const inventory = build({ policies: [managedAppDeny], grants: [assign("ra1", APP, secretsUser, SUB)] });
    const [path] = ask(inventory, { principal: APP, action: GET_SECRET, resource: rbacSecret.id }).paths;
    expect(summary(path as EntitlementPath)).toEqual({ via: [APP], action: GET_SECRET, resource: rbacSecret.id, outcome: "allowed" });
    expect(path?.blockedBy).toBeUndefined();
  });

  it("the same deny blocks a control-plane write", () => {
    const inventory = build({ policies: [managedAppDeny], grants: [assign("ra1", ADMIN, owner, SUB)] });
    const [path] = ask(inventory, { principal: ADMIN, action: VAULT_WRITE, resource: KV_RBAC }).paths;
    expect(path?.outcome).toBe("denied");
    expect(path?.blockedBy).toEqual({ kind: "deny_policy", id: "deny-app#actions", description: `deny assignment deny-app denies ${VAULT_WRITE} to ${ADMIN}` });
  });

  it("a deny of data actions ['*'] blocks getSecret but not a control-plane write", () => {
    const dataDeny = policy("deny-data", "azure", "deny", [{ id: "dataActions", effect: "Deny", actions: ["*"], principals: [EVERYONE] }], { attachedTo: [RG] });
    const inventory = build({ policies: [dataDeny], grants: [assign("ra1", APP, secretsUser, SUB), assign("ra2", ADMIN, owner, SUB)] });
    expect(ask(inventory, { principal: APP, action: GET_SECRET, resource: rbacSecret.id }).paths.map((p) => [p.outcome, p.blockedBy?.id])).toEqual([["denied", "deny-data#dataActions"]]);
    // The second path is Owner's self-escalation (roleAssignments/write), equally not denied.
    expect(ask(inventory, { principal: ADMIN, action: VAULT_WRITE, resource: KV_RBAC }).paths.map((p) => [p.outcome, p.blockedBy?.id, p.privilegeEscalation])).toEqual([
      ["allowed", undefined, false],
      ["allowed", undefined, true],
    ]);
  });

  it("a one-plane deny against a wildcard request is a note, not a block", () => {
    const inventory = build({ policies: [managedAppDeny], grants: [assign("ra1", ADMIN, owner, SUB)] });
    const [path] = ask(inventory, { principal: ADMIN, action: "Microsoft.KeyVault/vaults/*", resource: KV_RBAC }).paths;
    expect(path?.outcome).toBe("allowed");
    expect(path?.notes).toContain("except what deny assignment deny-app#actions denies");
  });

  it("doNotApplyToChildScopes (resources = its scope): the deny applies at its scope, not below it", () => {
    const atRgOnly = policy("deny-rg-only", "azure", "deny", [{ id: "actions", effect: "Deny", actions: ["*"], resources: [RG], principals: [EVERYONE] }], { attachedTo: [RG] });
    const inventory = build({ policies: [atRgOnly], grants: [assign("ra1", ADMIN, owner, SUB)] });
    const rgWrite = "Microsoft.Resources/subscriptions/resourceGroups/write";
    expect(ask(inventory, { principal: ADMIN, action: rgWrite, resource: RG }).paths.map((p) => [p.outcome, p.blockedBy?.id])).toEqual([["denied", "deny-rg-only#actions"]]);
    // The second path is Owner's self-escalation (roleAssignments/write), equally not denied.
    expect(ask(inventory, { principal: ADMIN, action: VAULT_WRITE, resource: KV_RBAC }).paths.map((p) => [p.outcome, p.blockedBy?.id, p.privilegeEscalation])).toEqual([
      ["allowed", undefined, false],
      ["allowed", undefined, true],
    ]);
  });

  it("doNotApplyToChildScopes on a vault still covers the vault's secrets (data-plane items are not child scopes)", () => {
    const atVaultOnly = policy("deny-kv-only", "azure", "deny", [{ id: "dataActions", effect: "Deny", actions: [GET_SECRET], resources: [KV_RBAC], principals: [APP] }], { attachedTo: [KV_RBAC] });
    const inventory = build({ policies: [atVaultOnly], grants: [assign("ra1", APP, secretsUser, SUB)] });
    expect(ask(inventory, { principal: APP, action: GET_SECRET, resource: rbacSecret.id }).paths.map((p) => [p.outcome, p.blockedBy?.id])).toEqual([["denied", "deny-kv-only#dataActions"]]);
  });
});
