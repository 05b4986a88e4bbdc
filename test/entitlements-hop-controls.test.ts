/**
 * Every hop is a request of its own: the controls that apply to the pivot (a Deny in the target
 * role's trust policy, SCPs and permissions boundaries on sts:AssumeRole, a disabled identity)
 * block the hop, not only controls on the last action. Forward and reverse answers agree.
 */
import { describe, expect, it } from "vitest";
import { entitlementAnswerSchema, explainEntitlementPaths } from "../src/analysis/entitlements/index.js";
import type { EntitlementAnswer } from "../src/analysis/entitlements/index.js";
import type { InventorySnapshot, Policy } from "../src/model/inventory.js";
import type { Inventory } from "../src/model/inventory-index.js";
import { allow, deny, estate, grant, policy, principal, scope, trust } from "./fixtures/iam-estate.js";

const A = "111111111111";
const CI = `arn:aws:iam::${A}:role/ci`;
const DEPLOY = `arn:aws:iam::${A}:role/deploy`;
const SECRET = `arn:aws:secretsmanager:us-east-1:${A}:secret:db-AbCdEf`;
const GET = "secretsmanager:GetSecretValue";
const DEPLOY_TRUST = `${DEPLOY}#trust`;
const policyId = (name: string) => `arn:aws:iam::${A}:policy/${name}`;

const awsScopes = [
  scope("aws:organization/o-acme1", "organization", "aws"),
  scope("aws:ou/ou-1", "folder", "aws", "aws:organization/o-acme1"),
  scope(`aws:account/${A}`, "account", "aws", "aws:ou/ou-1"),
];

function role(arn: string, extra = {}) {
  return principal(arn, "aws", "role", `aws:account/${A}`, extra);
}

function awsPolicy(name: string, statements: Policy["statements"], kind: Policy["kind"] = "managed", extra: Partial<Policy> = {}) {
  return policy(policyId(name), "aws", kind, statements, extra);
}

const readSecret = awsPolicy("read-secret", [allow("s1", [GET], [SECRET])]);
const assumeDeploy = awsPolicy("assume-deploy", [allow("a1", ["sts:AssumeRole"], [DEPLOY])]);

/** ci may assume deploy (its trust names the account root and ci's policy allows it); deploy reads the secret. */
function awsEstate(parts: { trustStatements?: Policy["statements"]; policies?: Policy[]; ciExtra?: object } = {}): Inventory {
  const snapshot: Partial<InventorySnapshot> = {
    scopes: awsScopes,
    principals: [role(CI, parts.ciExtra ?? {}), role(DEPLOY, { trustPolicyId: DEPLOY_TRUST })],
    policies: [
      readSecret,
      assumeDeploy,
      policy(DEPLOY_TRUST, "aws", "trust", [allow("TrustAccount", ["sts:AssumeRole"], undefined, { principals: [`arn:aws:iam::${A}:root`] }), ...(parts.trustStatements ?? [])]),
      ...(parts.policies ?? []),
    ],
    grants: [
      grant("g-ci", "aws", "attachment", CI, policyId("assume-deploy")),
      grant("g-deploy", "aws", "attachment", DEPLOY, policyId("read-secret")),
    ],
    trustEdges: [trust(`${DEPLOY_TRUST}/TrustAccount/root`, "aws", "assume_role", `arn:aws:iam::${A}:root`, DEPLOY)],
  };
  return estate(snapshot);
}

function ask(inventory: Inventory, query: Parameters<typeof explainEntitlementPaths>[1]): EntitlementAnswer {
  const answer = explainEntitlementPaths(inventory, query);
  expect(entitlementAnswerSchema.parse(answer)).toEqual(answer);
  return answer;
}

function viaOutcome(answer: EntitlementAnswer) {
  return answer.paths.map((p) => ({ principalId: p.principalId, via: p.via, outcome: p.outcome }));
}

describe("AWS: controls on the assume-role hop", () => {
  it("without a control, ci reaches the secret through deploy (forward and reverse)", () => {
    const inventory = awsEstate();
    expect(viaOutcome(ask(inventory, { principal: CI, action: GET, resource: SECRET }))).toEqual([{ principalId: CI, via: [CI, DEPLOY], outcome: "allowed" }]);
    expect(viaOutcome(ask(inventory, { action: GET, resource: SECRET }))).toEqual([
      { principalId: DEPLOY, via: [DEPLOY], outcome: "allowed" },
      { principalId: CI, via: [CI, DEPLOY], outcome: "allowed" },
    ]);
  });

  it("a Deny naming the caller in the role's trust policy blocks the hop", () => {
    const inventory = awsEstate({ trustStatements: [deny("DenyCi", ["sts:AssumeRole"], undefined, { principals: [CI] })] });
    const hop = ask(inventory, { principal: CI, action: "sts:AssumeRole", resource: DEPLOY });
    expect(hop.paths.map((p) => [p.outcome, p.blockedBy])).toEqual([
      ["denied", { kind: "explicit_deny", id: `${DEPLOY_TRUST}#DenyCi`, description: `${DEPLOY_TRUST}#DenyCi (trust policy of ${DEPLOY}) denies sts:AssumeRole to ${CI}` }],
    ]);
    expect(ask(inventory, { principal: CI, action: GET, resource: SECRET }).paths).toEqual([]);
    expect(viaOutcome(ask(inventory, { action: GET, resource: SECRET }))).toEqual([{ principalId: DEPLOY, via: [DEPLOY], outcome: "allowed" }]);
  });

  it("a trust Deny with NotPrincipal blocks everyone it does not except; a condition only the request decides stays open", () => {
    const excepting = awsEstate({ trustStatements: [deny("OnlyOps", ["sts:*"], undefined, { exceptPrincipals: [`arn:aws:iam::${A}:role/ops`] })] });
    expect(ask(excepting, { principal: CI, action: "sts:AssumeRole", resource: DEPLOY }).paths.map((p) => p.blockedBy?.id)).toEqual([`${DEPLOY_TRUST}#OnlyOps`]);
    const insecure = { expression: "aws:SecureTransport Bool false", keys: ["aws:SecureTransport"], operator: "Bool", values: ["false"] };
    const conditional = awsEstate({ trustStatements: [deny("NoPlainHttp", ["sts:AssumeRole"], undefined, { principals: ["*"], conditions: [insecure] })] });
    const [secretPath] = ask(conditional, { principal: CI, action: GET, resource: SECRET }).paths;
    expect(secretPath?.outcome).toBe("conditional");
    expect(secretPath?.openConditions).toEqual([{ expression: "aws:SecureTransport Bool false", keys: ["aws:SecureTransport"], on: `${DEPLOY_TRUST}#NoPlainHttp` }]);
    const [hopPath] = ask(conditional, { principal: CI, action: "sts:AssumeRole", resource: DEPLOY }).paths;
    expect(hopPath?.notes).toEqual([`${DEPLOY_TRUST}#NoPlainHttp denies sts:AssumeRole on ${DEPLOY} when its condition holds`]);
  });

  it("an SCP denying sts:AssumeRole blocks the hop for the caller's account", () => {
    const scp = awsPolicy("no-assume", [allow("all", ["*"], ["*"]), deny("NoAssume", ["sts:AssumeRole"], ["*"])], "scp", { attachedTo: ["aws:ou/ou-1"] });
    const inventory = awsEstate({ policies: [scp] });
    const hop = ask(inventory, { principal: CI, action: "sts:AssumeRole", resource: DEPLOY });
    expect(hop.paths.map((p) => [p.outcome, p.blockedBy?.kind, p.blockedBy?.id])).toEqual([["denied", "scp", `${scp.id}#NoAssume`]]);
    expect(ask(inventory, { principal: CI, action: GET, resource: SECRET }).paths).toEqual([]);
  });

  it("a permissions boundary without sts:AssumeRole blocks the hop", () => {
    const boundary = awsPolicy("boundary", [allow("b", ["s3:*"], ["*"])], "boundary");
    const inventory = awsEstate({ policies: [boundary], ciExtra: { permissionsBoundary: boundary.id } });
    const hop = ask(inventory, { principal: CI, action: "sts:AssumeRole", resource: DEPLOY });
    expect(hop.paths.map((p) => [p.outcome, p.blockedBy?.kind, p.blockedBy?.id])).toEqual([["denied", "permissions_boundary", boundary.id]]);
    expect(ask(inventory, { action: GET, resource: SECRET }).paths.map((p) => p.principalId)).toEqual([DEPLOY]);
  });
});

describe("AWS access key takeover and IAM's two-key quota", () => {
  const VICTIM = `arn:aws:iam::${A}:user/victim`;
  const ATTACKER = `arn:aws:iam::${A}:user/attacker`;
  const key = (id: string, status: "active" | "inactive") => ({ id, provider: "aws" as const, kind: "access_key" as const, principalId: VICTIM, scopeId: `aws:account/${A}`, status, evidence: { source: "test", observedAt: "2026-06-01T00:00:00Z" } });

  function keyEstate(actions: string[], keys = 2): Inventory {
    return estate({
      scopes: awsScopes,
      principals: [principal(VICTIM, "aws", "user", `aws:account/${A}`), principal(ATTACKER, "aws", "user", `aws:account/${A}`)],
      credentials: [key("AKIAEXAMPLEVICTIM0001", "active"), key("AKIAEXAMPLEVICTIM0002", "inactive")].slice(0, keys),
      policies: [readSecret, awsPolicy("keys", [allow("k", actions, [VICTIM])])],
      grants: [grant("g-victim", "aws", "attachment", VICTIM, policyId("read-secret")), grant("g-attacker", "aws", "attachment", ATTACKER, policyId("keys"))],
    });
  }

  it("a user with two keys (one inactive) cannot be given a third: CreateAccessKey alone is no takeover", () => {
    expect(ask(keyEstate(["iam:CreateAccessKey"]), { principal: ATTACKER, action: GET, resource: SECRET }).paths).toEqual([]);
    const oneKey = ask(keyEstate(["iam:CreateAccessKey"], 1), { principal: ATTACKER, action: GET, resource: SECRET }).paths;
    expect(oneKey.map((p) => [p.via, p.outcome])).toEqual([[[ATTACKER, VICTIM], "allowed"]]);
  });

  it("with iam:DeleteAccessKey too, the takeover holds and says a key must go first", () => {
    const [path] = ask(keyEstate(["iam:CreateAccessKey", "iam:DeleteAccessKey"]), { principal: ATTACKER, action: GET, resource: SECRET }).paths;
    expect([path?.via, path?.outcome, path?.privilegeEscalation]).toEqual([[ATTACKER, VICTIM], "allowed", true]);
  });
});

describe("a disabled identity ends the path", () => {
  const DEV = "user:dev@example.com";
  const SA = "serviceAccount:old-reporting@p1.iam.gserviceaccount.com";
  const SA_RESOURCE = "projects/p1/serviceAccounts/old-reporting@p1.iam.gserviceaccount.com";
  const GCP_SECRET = "projects/p1/secrets/db";
  const ACCESS = "secretmanager.versions.access";

  function gcpEstate(disabled: boolean): Inventory {
    return estate({
      scopes: [scope("organizations/1", "organization", "gcp"), scope("projects/p1", "project", "gcp", "organizations/1")],
      principals: [
        principal(DEV, "gcp", "user", "organizations/1", { email: "dev@example.com" }),
        principal(SA, "gcp", "service_account", "projects/p1", { email: "old-reporting@p1.iam.gserviceaccount.com", ...(disabled ? { disabled: true } : {}) }),
      ],
      policies: [
        policy("roles/iam.serviceAccountTokenCreator", "gcp", "role", [allow("permissions", ["iam.serviceAccounts.getAccessToken"])]),
        policy("roles/secretmanager.secretAccessor", "gcp", "role", [allow("permissions", [ACCESS])]),
      ],
      grants: [
        grant("b1", "gcp", "binding", DEV, "roles/iam.serviceAccountTokenCreator", SA_RESOURCE),
        grant("b2", "gcp", "binding", SA, "roles/secretmanager.secretAccessor", GCP_SECRET),
      ],
    });
  }

  it("a disabled Google service account cannot be impersonated: forward and reverse drop the path", () => {
    expect(viaOutcome(ask(gcpEstate(false), { principal: DEV, action: ACCESS, resource: GCP_SECRET }))).toEqual([{ principalId: DEV, via: [DEV, SA], outcome: "allowed" }]);
    const inventory = gcpEstate(true);
    const forward = ask(inventory, { principal: DEV, action: ACCESS, resource: GCP_SECRET });
    expect(forward.paths).toEqual([]);
    expect(forward.notes).toContain("1 pivot(s) were not followed because they are denied (missing caller permission or an explicit deny)");
    // The account's own binding is still reported (it may be re-enabled); nobody reaches it through it.
    expect(viaOutcome(ask(inventory, { action: ACCESS, resource: GCP_SECRET }))).toEqual([{ principalId: SA, via: [SA], outcome: "allowed" }]);
  });
});

describe("Google deny policies on the permission a pivot uses", () => {
  const DEV = "user:dev@example.com";
  const SA = "serviceAccount:deployer@p1.iam.gserviceaccount.com";
  const SA_RESOURCE = "projects/p1/serviceAccounts/deployer@p1.iam.gserviceaccount.com";
  const GCP_SECRET = "projects/p1/secrets/db";
  const ACCESS = "secretmanager.versions.access";
  const denyTokens = policy("policies/cloudresourcemanager.googleapis.com%2Fprojects%2Fp1/denypolicies/no-tokens", "gcp", "deny", [
    { id: "rule-1", effect: "Deny", principals: ["principal://goog/subject/dev@example.com"], actions: ["iam.googleapis.com/serviceAccounts.getAccessToken"] },
  ], { attachedTo: ["projects/p1"] });

  it("a deny on iam.serviceAccounts.getAccessToken blocks the impersonation hop, not the account's own access", () => {
    const inventory = estate({
      scopes: [scope("organizations/1", "organization", "gcp"), scope("projects/p1", "project", "gcp", "organizations/1")],
      principals: [
        principal(DEV, "gcp", "user", "organizations/1", { email: "dev@example.com" }),
        principal(SA, "gcp", "service_account", "projects/p1", { email: "deployer@p1.iam.gserviceaccount.com" }),
      ],
      policies: [
        denyTokens,
        policy("roles/iam.serviceAccountTokenCreator", "gcp", "role", [allow("permissions", ["iam.serviceAccounts.getAccessToken"])]),
        policy("roles/secretmanager.secretAccessor", "gcp", "role", [allow("permissions", [ACCESS])]),
      ],
      grants: [
        grant("b1", "gcp", "binding", DEV, "roles/iam.serviceAccountTokenCreator", SA_RESOURCE),
        grant("b2", "gcp", "binding", SA, "roles/secretmanager.secretAccessor", GCP_SECRET),
      ],
    });
    const hop = ask(inventory, { principal: DEV, action: "iam.serviceAccounts.getAccessToken", resource: SA_RESOURCE }).paths;
    expect(hop.map((p) => [p.outcome, p.blockedBy?.kind, p.blockedBy?.id])).toEqual([["denied", "deny_policy", `${denyTokens.id}#rule-1`]]);
    expect(ask(inventory, { principal: DEV, action: ACCESS, resource: GCP_SECRET }).paths).toEqual([]);
    expect(viaOutcome(ask(inventory, { action: ACCESS, resource: GCP_SECRET }))).toEqual([{ principalId: SA, via: [SA], outcome: "allowed" }]);
  });
});

describe("a federated identity's token exchange bounds every path it starts", () => {
  const POOL_MEMBER = "principalSet://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/gh/attribute.repository/acme/app";
  const SA = "serviceAccount:deployer@p1.iam.gserviceaccount.com";
  const SA_RESOURCE = "projects/p1/serviceAccounts/deployer@p1.iam.gserviceaccount.com";
  const GCP_SECRET = "projects/p1/secrets/db";
  const ACCESS = "secretmanager.versions.access";
  const providerCondition = { title: "provider attribute condition", expression: "assertion.ref == 'refs/heads/main'", keys: ["assertion.ref"] };

  function federatedEstate(): Inventory {
    return estate({
      scopes: [scope("organizations/1", "organization", "gcp"), scope("projects/p1", "project", "gcp", "organizations/1")],
      principals: [
        principal(POOL_MEMBER, "gcp", "external", "projects/p1", { exchangeConditions: [providerCondition] }),
        principal(SA, "gcp", "service_account", "projects/p1", { email: "deployer@p1.iam.gserviceaccount.com" }),
      ],
      policies: [
        policy("roles/secretmanager.secretAccessor", "gcp", "role", [allow("permissions", [ACCESS])]),
        policy("roles/iam.workloadIdentityUser", "gcp", "role", [allow("permissions", ["iam.serviceAccounts.getAccessToken"])]),
      ],
      grants: [
        // Direct workload identity federation: the pool's identities are bound on the secret itself.
        grant("b-direct", "gcp", "binding", POOL_MEMBER, "roles/secretmanager.secretAccessor", GCP_SECRET),
        grant("b-wif", "gcp", "binding", POOL_MEMBER, "roles/iam.workloadIdentityUser", SA_RESOURCE),
        grant("b-sa", "gcp", "binding", SA, "roles/secretmanager.secretAccessor", GCP_SECRET),
      ],
      trustEdges: [trust("b-wif#federation", "gcp", "federation", POOL_MEMBER, SA, [providerCondition])],
    });
  }

  it("a raw principalSet binding is conditional on the provider's attribute condition, like the path through the account, listed once", () => {
    const answer = ask(federatedEstate(), { principal: POOL_MEMBER, action: ACCESS, resource: GCP_SECRET });
    expect(answer.paths.map((p) => [p.via, p.outcome, p.openConditions])).toEqual([
      [[POOL_MEMBER], "conditional", [{ title: "provider attribute condition", expression: "assertion.ref == 'refs/heads/main'", keys: ["assertion.ref"], on: POOL_MEMBER }]],
      [[POOL_MEMBER, SA], "conditional", [{ title: "provider attribute condition", expression: "assertion.ref == 'refs/heads/main'", keys: ["assertion.ref"], on: "b-wif#federation" }]],
      // The same account reached as an impersonation (getAccessToken from the binding): bounded too, no longer "allowed".
      [[POOL_MEMBER, SA], "conditional", [{ title: "provider attribute condition", expression: "assertion.ref == 'refs/heads/main'", keys: ["assertion.ref"], on: POOL_MEMBER }]],
    ]);
    expect(answer.paths.map((p) => p.hops[1]?.type)).toEqual(["binding", "federate", "impersonate"]);
  });
});
