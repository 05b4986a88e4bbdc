import { describe, expect, it } from "vitest";
import { entitlementAnswerSchema, explainEntitlementPaths } from "../src/analysis/entitlements/index.js";
import type { EntitlementAnswer, EntitlementPath } from "../src/analysis/entitlements/index.js";
import type { InventorySnapshot, Policy } from "../src/model/inventory.js";
import { allow, estate, grant, policy, principal, scope, trust } from "./fixtures/iam-estate.js";

const DEV = "user:dev@example.com";
const LEAD = "user:lead@example.com";
const ENG = "group:eng@example.com";
const SA1 = "serviceAccount:sa1@p1.iam.gserviceaccount.com";
const SA2 = "serviceAccount:sa2@p2.iam.gserviceaccount.com";
const SA1_RESOURCE = "projects/p1/serviceAccounts/sa1@p1.iam.gserviceaccount.com";
const SECRET = "projects/p1/secrets/db";
const API_SECRET = "projects/p2/secrets/api";
const ACCESS = "secretmanager.versions.access";

const scopes = [
  scope("organizations/1", "organization", "gcp"),
  scope("folders/10", "folder", "gcp", "organizations/1"),
  scope("projects/p1", "project", "gcp", "folders/10"),
  scope("projects/p2", "project", "gcp", "organizations/1"),
];

function role(name: string, permissions: string[]): Policy {
  return policy(`roles/${name}`, "gcp", "role", [allow("permissions", permissions)]);
}

const roles = [
  role("secretmanager.secretAccessor", [ACCESS]),
  role("iam.serviceAccountTokenCreator", ["iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.signBlob"]),
  role("iam.serviceAccountKeyAdmin", ["iam.serviceAccountKeys.create"]),
  role("iam.serviceAccountUser", ["iam.serviceAccounts.actAs"]),
  role("compute.instanceAdmin", ["compute.instances.create", "compute.instances.get"]),
  role("resourcemanager.projectIamAdmin", ["resourcemanager.projects.setIamPolicy"]),
];

const people = [
  principal(DEV, "gcp", "user", "organizations/1", { email: "dev@example.com", memberOf: [ENG] }),
  principal(LEAD, "gcp", "user", "organizations/1", { email: "lead@example.com", memberOf: [ENG] }),
  principal(ENG, "gcp", "group", "organizations/1", { email: "eng@example.com" }),
  principal(SA1, "gcp", "service_account", "projects/p1", { email: "sa1@p1.iam.gserviceaccount.com" }),
  principal(SA2, "gcp", "service_account", "projects/p2", { email: "sa2@p2.iam.gserviceaccount.com" }),
];

function bind(id: string, member: string, roleName: string, resource: string, conditions?: Parameters<typeof grant>[6]) {
  return grant(id, "gcp", "binding", member, `roles/${roleName}`, resource, conditions);
}

function build(parts: Partial<InventorySnapshot>) {
  return estate({ scopes, principals: people, ...parts, policies: [...roles, ...(parts.policies ?? [])] });
}

function ask(inventory: ReturnType<typeof build>, query: Parameters<typeof explainEntitlementPaths>[1]): EntitlementAnswer {
  const answer = explainEntitlementPaths(inventory, query);
  expect(entitlementAnswerSchema.parse(answer)).toEqual(answer);
  return answer;
}

function summary(path: EntitlementPath) {
  return { via: path.via, action: path.action, resource: path.resource, outcome: path.outcome };
}

describe("GCP allow bindings", () => {
  it("a binding on a folder reaches a secret in a project below it", () => {
    const inventory = build({ grants: [bind("b1", DEV, "secretmanager.secretAccessor", "folders/10")] });
    const answer = ask(inventory, { principal: "dev@example.com", action: ACCESS, resource: SECRET });
    expect(answer.paths).toEqual([
      {
        principalId: DEV,
        via: [DEV],
        action: ACCESS,
        resource: SECRET,
        outcome: "allowed",
        hops: [
          { type: "principal", id: DEV, label: 'user "dev@example.com"' },
          { type: "binding", id: "b1", label: '"secretmanager.secretAccessor" on folders/10' },
          { type: "policy", id: "roles/secretmanager.secretAccessor", label: 'role "secretmanager.secretAccessor"' },
          { type: "resource", id: SECRET, label: SECRET },
        ],
        justification: ["b1", "roles/secretmanager.secretAccessor#permissions"],
        privilegeEscalation: false,
      },
    ]);
    expect(answer.notes).toEqual([]);
  });

  it("a binding on another project does not reach", () => {
    const inventory = build({ grants: [bind("b1", DEV, "secretmanager.secretAccessor", "projects/p2")] });
    expect(ask(inventory, { principal: DEV, action: ACCESS, resource: SECRET }).paths).toEqual([]);
  });

  it("a binding on a secret reaches its versions; group bindings reach members", () => {
    const inventory = build({ grants: [bind("b1", ENG, "secretmanager.secretAccessor", SECRET)] });
    const [path] = ask(inventory, { principal: DEV, action: ACCESS, resource: `${SECRET}/versions/3` }).paths;
    expect(path?.outcome).toBe("allowed");
    expect(path?.hops.map((h) => `${h.type}:${h.id}`)).toEqual([
      `principal:${DEV}`,
      `member_of:${ENG}`,
      "binding:b1",
      "policy:roles/secretmanager.secretAccessor",
      `resource:${SECRET}/versions/3`,
    ]);
  });

  it("a conditional binding makes the path conditional", () => {
    const condition = { expression: 'request.time < timestamp("2026-12-31T00:00:00Z")', title: "expires" };
    const inventory = build({ grants: [bind("b1", DEV, "secretmanager.secretAccessor", "projects/p1", [condition])] });
    const [path] = ask(inventory, { principal: DEV, action: ACCESS, resource: SECRET }).paths;
    expect(path?.outcome).toBe("conditional");
    expect(path?.openConditions).toEqual([{ ...condition, on: "b1" }]);
  });

  it("allUsers bindings reach everyone, shown as membership", () => {
    const inventory = build({ grants: [bind("b1", "allUsers", "secretmanager.secretAccessor", SECRET)] });
    const [path] = ask(inventory, { principal: DEV, action: ACCESS, resource: SECRET }).paths;
    expect(path?.hops[1]).toEqual({ type: "member_of", id: "allUsers", label: "anyone, including unauthenticated" });
    const reverse = ask(inventory, { action: ACCESS, resource: SECRET });
    expect(reverse.paths.map((p) => p.principalId)).toEqual(["allUsers"]);
  });

  it("without an action, lists each permission a binding grants", () => {
    const inventory = build({ grants: [bind("b1", DEV, "compute.instanceAdmin", "projects/p1")] });
    expect(ask(inventory, { principal: DEV }).paths.map(summary)).toEqual([
      { via: [DEV], action: "compute.instances.create", resource: "projects/p1", outcome: "allowed" },
      { via: [DEV], action: "compute.instances.get", resource: "projects/p1", outcome: "allowed" },
    ]);
  });
});

describe("GCP deny policies", () => {
  function denyPolicy(extra: Partial<Policy["statements"][number]> = {}): Policy {
    return policy("policies/cloudresourcemanager.googleapis.com%2Forganizations%2F1/denypolicies/no-secrets", "gcp", "deny", [
      {
        id: "rule-1",
        effect: "Deny",
        principals: ["principalSet://goog/group/eng@example.com"],
        exceptPrincipals: ["principal://goog/subject/lead@example.com"],
        actions: ["secretmanager.googleapis.com/versions.access"],
        ...extra,
      },
    ], { attachedTo: ["organizations/1"] });
  }

  it("blocks group members but not the excepted principal", () => {
    const deny = denyPolicy();
    const inventory = build({ policies: [deny], grants: [bind("b1", ENG, "secretmanager.secretAccessor", "projects/p1")] });
    const [devPath] = ask(inventory, { principal: DEV, action: ACCESS, resource: SECRET }).paths;
    expect(devPath?.outcome).toBe("denied");
    expect(devPath?.blockedBy).toEqual({
      kind: "deny_policy",
      id: `${deny.id}#rule-1`,
      description: `deny policy ${deny.id} denies ${ACCESS} to ${DEV}`,
    });
    const [leadPath] = ask(inventory, { principal: LEAD, action: ACCESS, resource: SECRET }).paths;
    expect(leadPath?.outcome).toBe("allowed");
  });

  it("a deny rule with a condition leaves the path conditional", () => {
    const condition = { expression: "resource.matchTag('env', 'prod')" };
    const inventory = build({ policies: [denyPolicy({ conditions: [condition] })], grants: [bind("b1", DEV, "secretmanager.secretAccessor", "projects/p1")] });
    const [path] = ask(inventory, { principal: DEV, action: ACCESS, resource: SECRET }).paths;
    expect(path?.outcome).toBe("conditional");
    expect(path?.openConditions).toEqual([{ ...condition, on: `${denyPolicy().id}#rule-1` }]);
  });

  it("an exception permission (notActions) keeps the permission allowed", () => {
    const inventory = build({
      policies: [denyPolicy({ actions: ["secretmanager.googleapis.com/*"], notActions: ["secretmanager.googleapis.com/versions.access"] })],
      grants: [bind("b1", DEV, "secretmanager.secretAccessor", "projects/p1")],
    });
    expect(ask(inventory, { principal: DEV, action: ACCESS, resource: SECRET }).paths.map((p) => p.outcome)).toEqual(["allowed"]);
  });
});

describe("GCP impersonation and escalation", () => {
  it("follows an impersonation chain user → SA → SA → secret, forward and reverse", () => {
    const inventory = build({
      grants: [
        bind("b1", DEV, "iam.serviceAccountTokenCreator", SA1_RESOURCE),
        bind("b2", SA1, "iam.serviceAccountTokenCreator", "projects/p2"),
        bind("b3", SA2, "secretmanager.secretAccessor", API_SECRET),
      ],
    });
    const forward = ask(inventory, { principal: DEV, action: ACCESS, resource: API_SECRET });
    expect(forward.paths.map(summary)).toEqual([{ via: [DEV, SA1, SA2], action: ACCESS, resource: API_SECRET, outcome: "allowed" }]);
    expect(forward.paths[0]?.hops.slice(1, 3)).toEqual([
      { type: "impersonate", id: SA1, label: 'impersonate service_account "sa1@p1.iam.gserviceaccount.com"', note: `iam.serviceAccounts.getAccessToken on ${SA1_RESOURCE}` },
      {
        type: "impersonate",
        id: SA2,
        label: 'impersonate service_account "sa2@p2.iam.gserviceaccount.com"',
        note: "iam.serviceAccounts.getAccessToken on projects/p2/serviceAccounts/sa2@p2.iam.gserviceaccount.com",
      },
    ]);
    expect(forward.paths[0]?.privilegeEscalation).toBe(false);
    expect(forward.paths[0]?.justification).toEqual(["b1", "roles/iam.serviceAccountTokenCreator#permissions", "b2", "b3", "roles/secretmanager.secretAccessor#permissions"]);
    const reverse = ask(inventory, { action: ACCESS, resource: API_SECRET });
    expect(reverse.paths.map((p) => p.via)).toEqual([[SA2], [SA1, SA2], [DEV, SA1, SA2]]);
  });

  it("creating a key for a service account is an escalation", () => {
    const inventory = build({
      grants: [bind("b1", DEV, "iam.serviceAccountKeyAdmin", "projects/p1"), bind("b2", SA1, "secretmanager.secretAccessor", SECRET)],
    });
    const [path] = ask(inventory, { principal: DEV, action: ACCESS, resource: SECRET }).paths;
    expect(summary(path as EntitlementPath)).toEqual({ via: [DEV, SA1], action: ACCESS, resource: SECRET, outcome: "allowed" });
    expect(path?.privilegeEscalation).toBe(true);
    expect(path?.hops[1]?.type).toBe("escalate");
  });

  it("actAs escalates only together with creating compute in the account's project", () => {
    const grants = [bind("b1", DEV, "iam.serviceAccountUser", SA1_RESOURCE), bind("b2", SA1, "secretmanager.secretAccessor", SECRET)];
    const actAsOnly = build({ grants });
    expect(ask(actAsOnly, { principal: DEV, action: ACCESS, resource: SECRET }).paths).toEqual([]);
    const withCompute = build({ grants: [...grants, bind("b3", DEV, "compute.instanceAdmin", "projects/p1")] });
    const [path] = ask(withCompute, { principal: DEV, action: ACCESS, resource: SECRET }).paths;
    expect(path?.via).toEqual([DEV, SA1]);
    expect(path?.privilegeEscalation).toBe(true);
    expect(path?.hops[1]?.label).toBe(
      'iam.serviceAccounts.actAs on service_account "sa1@p1.iam.gserviceaccount.com" with compute.instances.create, then run as it',
    );
  });

  it("setIamPolicy on the project is an escalation to anything in it", () => {
    const inventory = build({ grants: [bind("b1", DEV, "resourcemanager.projectIamAdmin", "projects/p1")] });
    const [path] = ask(inventory, { principal: DEV, action: ACCESS, resource: SECRET }).paths;
    expect(summary(path as EntitlementPath)).toEqual({ via: [DEV], action: ACCESS, resource: SECRET, outcome: "allowed" });
    expect(path?.privilegeEscalation).toBe(true);
  });

  it("a federation trust with an attribute condition gives a conditional path from the pool", () => {
    const pool = "principalSet://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/ci/attribute.repository/acme/app";
    const condition = { expression: "assertion.ref == 'refs/heads/main'" };
    const inventory = build({
      grants: [bind("b1", SA1, "secretmanager.secretAccessor", SECRET)],
      trustEdges: [trust("wif-1", "gcp", "federation", pool, SA1, [condition])],
    });
    const paths = ask(inventory, { action: ACCESS, resource: SECRET }).paths;
    expect(paths.map((p) => [p.via, p.outcome])).toEqual([
      [[SA1], "allowed"],
      [[pool, SA1], "conditional"],
    ]);
    expect(paths[1]?.hops[1]).toMatchObject({ type: "federate", id: SA1 });
    expect(paths[1]?.openConditions).toEqual([{ ...condition, on: "wif-1" }]);
  });
});

describe("GCP unknowns", () => {
  it("a resource in a project outside the inventory is unknown, not absent", () => {
    const inventory = build({ grants: [bind("b1", DEV, "secretmanager.secretAccessor", "organizations/1")] });
    const answer = ask(inventory, { principal: DEV, action: ACCESS, resource: "projects/elsewhere/secrets/x" });
    expect(answer.paths.map((p) => [p.outcome, p.unknownReason])).toEqual([
      [
        "unknown",
        "projects/elsewhere/secrets/x is not in a collected project, folder or organization, so deny policies above it are unknown; cannot tell whether the binding on organizations/1 covers projects/elsewhere/secrets/x: its project is not in the inventory",
      ],
    ]);
  });

  it("a collection gap on the project makes the path unknown", () => {
    const inventory = build({
      grants: [bind("b1", DEV, "secretmanager.secretAccessor", "projects/p1")],
      gaps: [{ provider: "gcp", scopeId: "projects/p1", source: "cloudresourcemanager:getIamPolicy", reason: "PERMISSION_DENIED" }],
    });
    const [path] = ask(inventory, { principal: DEV, action: ACCESS, resource: SECRET }).paths;
    expect(path?.outcome).toBe("unknown");
    expect(path?.unknownReason).toBe("collection gap for gcp projects/p1 (cloudresourcemanager:getIamPolicy): PERMISSION_DENIED");
  });
});

describe("GCP reverse queries", () => {
  it("expands group bindings to members and reports members a deny blocks", () => {
    const deny = policy("policies/no-dev", "gcp", "deny", [
      { id: "r1", effect: "Deny", principals: [DEV], actions: [ACCESS] },
    ], { attachedTo: ["projects/p1"] });
    const inventory = build({ policies: [deny], grants: [bind("b1", ENG, "secretmanager.secretAccessor", "folders/10")] });
    const answer = ask(inventory, { action: ACCESS, resource: SECRET });
    expect(answer.paths.map((p) => [p.principalId, p.outcome, p.blockedBy?.id])).toEqual([
      [LEAD, "allowed", undefined],
      [DEV, "denied", "policies/no-dev#r1"],
    ]);
  });

  it("a deny rule naming principals it cannot resolve leaves the path conditional", () => {
    const deny = policy("policies/customer", "gcp", "deny", [
      { id: "r1", effect: "Deny", principals: ["principalSet://goog/cloudIdentityCustomerId/C0123"], actions: [ACCESS] },
    ], { attachedTo: ["organizations/1"] });
    const inventory = build({ policies: [deny], grants: [bind("b1", DEV, "secretmanager.secretAccessor", "projects/p1")] });
    const [path] = ask(inventory, { principal: DEV, action: ACCESS, resource: SECRET }).paths;
    expect(path?.outcome).toBe("conditional");
    expect(path?.openConditions).toEqual([
      { expression: "deny rule names principals that could not be resolved against the inventory", on: "policies/customer#r1" },
    ]);
  });

  it("a folder-wide binding with a deny on one project below it is allowed with a carve-out note", () => {
    const deny = policy("policies/p1-deny", "gcp", "deny", [{ id: "r1", effect: "Deny", principals: [DEV], actions: [ACCESS] }], {
      attachedTo: ["projects/p1"],
    });
    const inventory = build({ policies: [deny], grants: [bind("b1", DEV, "secretmanager.secretAccessor", "folders/10")] });
    const [path] = ask(inventory, { principal: DEV, action: ACCESS }).paths;
    expect(summary(path as EntitlementPath)).toEqual({ via: [DEV], action: ACCESS, resource: "folders/10", outcome: "allowed" });
    expect(path?.notes).toEqual(["except what deny policies/p1-deny#r1 denies in projects/p1"]);
  });
});

describe("GCP principal access boundaries", () => {
  const PAB = "organizations/1/locations/global/principalAccessBoundaryPolicies/p2-only";
  const BINDING = "projects/p2/locations/global/policyBindings/p2-workloads";
  const RULE = `${PAB}#${BINDING}#rule-1`;
  const ASSUMPTION = `enforcement version latest (Google's default) blocks ${ACCESS} (listed from version 4)`;

  /** A boundary as the connector maps it: one statement per binding and rule. */
  function boundary(id: string, principalSet: string, resources: string[], extra: Partial<Policy["statements"][number]> = {}, binding = BINDING): Policy {
    return policy(id, "gcp", "boundary", [{ id: `${binding}#rule-1`, effect: "Allow", principals: [principalSet], resources, ...extra }], { scopeId: "organizations/1" });
  }
  const p2Only = boundary(PAB, "//cloudresourcemanager.googleapis.com/projects/p2", ["//cloudresourcemanager.googleapis.com/projects/p2"]);

  it("denies a bound account's access to a project the boundary leaves out, naming the boundary", () => {
    const inventory = build({
      policies: [p2Only],
      grants: [bind("b1", SA2, "secretmanager.secretAccessor", "projects/p1"), bind("b2", SA2, "secretmanager.secretAccessor", "projects/p2")],
    });
    const outside = ask(inventory, { principal: SA2, action: ACCESS, resource: SECRET });
    expect(outside.paths).toEqual([
      {
        principalId: SA2,
        via: [SA2],
        action: ACCESS,
        resource: SECRET,
        outcome: "denied",
        hops: [
          { type: "principal", id: SA2, label: 'service_account "sa2@p2.iam.gserviceaccount.com"' },
          { type: "binding", id: "b1", label: '"secretmanager.secretAccessor" on projects/p1' },
          { type: "policy", id: "roles/secretmanager.secretAccessor", label: 'role "secretmanager.secretAccessor"' },
          { type: "resource", id: SECRET, label: SECRET },
        ],
        justification: ["b1", "roles/secretmanager.secretAccessor#permissions", RULE],
        blockedBy: {
          kind: "principal_access_boundary",
          id: RULE,
          description: `${SECRET} is outside the principal access boundary p2-only (${PAB}) bound to ${SA2}`,
        },
        privilegeEscalation: false,
        notes: [ASSUMPTION],
      },
    ]);
    expect(outside.notes).toEqual([]);
    const inside = ask(inventory, { principal: SA2, action: ACCESS, resource: API_SECRET });
    expect(inside.paths.map(summary)).toEqual([{ via: [SA2], action: ACCESS, resource: API_SECRET, outcome: "allowed" }]);
    expect(inside.paths[0]?.notes).toBeUndefined();
  });

  it("leaves principals the boundary is not bound to unchanged", () => {
    const inventory = build({ policies: [p2Only], grants: [bind("b1", SA1, "secretmanager.secretAccessor", "projects/p1"), bind("b2", DEV, "secretmanager.secretAccessor", "projects/p1")] });
    expect(ask(inventory, { action: ACCESS, resource: SECRET }).paths.map((p) => [p.principalId, p.outcome, p.notes])).toEqual([
      [SA1, "allowed", undefined],
      [DEV, "allowed", undefined],
    ]);
  });

  it("a boundary listing a folder covers the projects below it, by project id or number", () => {
    const folder = boundary(PAB, "//cloudresourcemanager.googleapis.com/projects/p2", ["//cloudresourcemanager.googleapis.com/folders/10"]);
    const inventory = build({ policies: [folder], grants: [bind("b1", SA2, "secretmanager.secretAccessor", "organizations/1")] });
    expect(ask(inventory, { principal: SA2, action: ACCESS, resource: SECRET }).paths.map((p) => [p.outcome, p.blockedBy?.id])).toEqual([["allowed", undefined]]);
    expect(ask(inventory, { principal: SA2, action: ACCESS, resource: API_SECRET }).paths.map((p) => [p.outcome, p.blockedBy?.id])).toEqual([["denied", RULE]]);

    const numbered = estate({
      scopes: [...scopes.filter((s) => s.id !== "projects/p1"), scope("projects/p1", "project", "gcp", "folders/10", { projectNumber: "4711" })],
      principals: people,
      policies: [...roles, boundary(PAB, "//cloudresourcemanager.googleapis.com/folders/10", ["//cloudresourcemanager.googleapis.com/projects/4711"])],
      grants: [bind("b1", SA1, "secretmanager.secretAccessor", "organizations/1")],
    });
    expect(ask(numbered, { principal: SA1, action: ACCESS, resource: SECRET }).paths.map((p) => p.outcome)).toEqual(["allowed"]);
    expect(ask(numbered, { principal: SA1, action: ACCESS, resource: API_SECRET }).paths.map((p) => p.outcome)).toEqual(["denied"]);
  });

  it("several boundaries bound to one principal allow the union of their resources", () => {
    const second = boundary(`${PAB}-and-p1`, "//cloudresourcemanager.googleapis.com/organizations/1", ["//cloudresourcemanager.googleapis.com/projects/p1"], {}, "organizations/1/locations/global/policyBindings/all");
    const inventory = build({
      policies: [p2Only, second],
      grants: [bind("b1", SA2, "secretmanager.secretAccessor", "organizations/1"), bind("b2", SA1, "secretmanager.secretAccessor", "organizations/1")],
    });
    expect(ask(inventory, { principal: SA2, action: ACCESS, resource: SECRET }).paths.map((p) => p.outcome)).toEqual(["allowed"]);
    expect(ask(inventory, { principal: SA2, action: ACCESS, resource: API_SECRET }).paths.map((p) => p.outcome)).toEqual(["allowed"]);
    expect(ask(inventory, { principal: SA1, action: ACCESS, resource: API_SECRET }).paths.map((p) => [p.outcome, p.blockedBy?.id])).toEqual([
      ["denied", `${PAB}-and-p1#organizations/1/locations/global/policyBindings/all#rule-1`],
    ]);
  });

  it("a binding condition on principal.type is decided; users under an organization boundary stay conditional", () => {
    const onlyAccounts = boundary(PAB, "//cloudresourcemanager.googleapis.com/organizations/1", ["//cloudresourcemanager.googleapis.com/projects/p2"], {
      conditions: [{ expression: "principal.type == 'iam.googleapis.com/ServiceAccount'" }],
    });
    const inventory = build({ policies: [onlyAccounts], grants: [bind("b1", SA1, "secretmanager.secretAccessor", "projects/p1"), bind("b2", DEV, "secretmanager.secretAccessor", "projects/p1")] });
    expect(ask(inventory, { principal: SA1, action: ACCESS, resource: SECRET }).paths.map((p) => p.outcome)).toEqual(["denied"]);
    // A user's type is not a service account: the binding does not apply.
    expect(ask(inventory, { principal: DEV, action: ACCESS, resource: SECRET }).paths.map((p) => p.outcome)).toEqual(["allowed"]);

    const orgWide = build({ policies: [boundary(PAB, "//cloudresourcemanager.googleapis.com/organizations/1", ["//cloudresourcemanager.googleapis.com/projects/p2"])], grants: [bind("b2", DEV, "secretmanager.secretAccessor", "projects/p1")] });
    const [path] = ask(orgWide, { principal: DEV, action: ACCESS, resource: SECRET }).paths;
    expect(path?.outcome).toBe("conditional");
    expect(path?.openConditions).toEqual([
      {
        title: "principal access boundary",
        expression: `${SECRET} is outside ${PAB}: blocked if it applies to ${DEV} (whether it is an identity of organizations/1 (Google Workspace or workforce pool) is not in the inventory)`,
        on: RULE,
      },
    ]);
  });

  it("an account cannot pivot into a service account outside its boundary", () => {
    const grants = [bind("b1", SA2, "iam.serviceAccountTokenCreator", SA1_RESOURCE), bind("b2", SA1, "secretmanager.secretAccessor", SECRET)];
    expect(ask(build({ grants }), { principal: SA2, action: ACCESS, resource: SECRET }).paths.map(summary)).toEqual([
      { via: [SA2, SA1], action: ACCESS, resource: SECRET, outcome: "allowed" },
    ]);
    const bounded = ask(build({ policies: [p2Only], grants }), { principal: SA2, action: ACCESS, resource: SECRET });
    expect(bounded.paths).toEqual([]);
    expect(ask(build({ policies: [p2Only], grants }), { principal: SA2, action: "iam.serviceAccounts.getAccessToken", resource: SA1_RESOURCE }).paths.map((p) => [p.outcome, p.blockedBy?.id])).toEqual([
      ["denied", RULE],
    ]);
  });

  it("a folder binding reaching a covered project below is not denied, with a note", () => {
    const inside = boundary(PAB, "//cloudresourcemanager.googleapis.com/projects/p1", ["//cloudresourcemanager.googleapis.com/projects/p1"]);
    const inventory = build({ policies: [inside], grants: [bind("b1", SA1, "secretmanager.secretAccessor", "organizations/1")] });
    const [path] = ask(inventory, { principal: SA1, action: ACCESS }).paths;
    expect(summary(path as EntitlementPath)).toEqual({ via: [SA1], action: ACCESS, resource: "organizations/1", outcome: "allowed" });
    expect(path?.notes).toEqual([`only projects/p1 below organizations/1 is inside the principal access boundaries bound to ${SA1}`]);
  });

  it("boundary bindings that could not be read leave a note, not an unknown", () => {
    const inventory = build({
      grants: [bind("b1", SA1, "secretmanager.secretAccessor", "projects/p1")],
      gaps: [{ provider: "gcp", scopeId: "projects/p1", source: "iam.v3.policyBindings.list", reason: "PERMISSION_DENIED" }],
    });
    const answer = ask(inventory, { principal: SA1, action: ACCESS, resource: SECRET });
    expect(answer.paths.map((p) => [p.outcome, p.notes])).toEqual([
      ["allowed", [`principal access boundaries that may bind ${SA1} could not be read (iam.v3.policyBindings.list on projects/p1): this path may still be limited by one`]],
    ]);
    expect(answer.notes).toEqual(["some GCP principal access boundary data could not be read: an allowed GCP path may still be limited by one"]);
  });
});

describe("GCP gaps that cannot change a path", () => {
  it("an activity gap on the project leaves entitlement answers decided", () => {
    const inventory = build({
      grants: [bind("b1", DEV, "secretmanager.secretAccessor", "projects/p1")],
      gaps: [
        { provider: "gcp", scopeId: "projects/p1", source: "policyanalyzer:serviceAccountLastAuthentication", reason: "PERMISSION_DENIED" },
        { provider: "gcp", scopeId: "projects/p1", source: "policyanalyzer:serviceAccountKeyLastAuthentication", reason: "PERMISSION_DENIED" },
        { provider: "gcp", scopeId: "projects/p1", source: "iam.serviceAccounts.keys.list", reason: "PERMISSION_DENIED" },
      ],
    });
    expect(ask(inventory, { principal: DEV, action: ACCESS, resource: SECRET }).paths.map((p) => [p.outcome, p.unknownReason])).toEqual([["allowed", undefined]]);
  });
});
