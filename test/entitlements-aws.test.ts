import { describe, expect, it } from "vitest";
import { explainEntitlementPaths, entitlementAnswerSchema } from "../src/analysis/entitlements/index.js";
import type { EntitlementAnswer, EntitlementPath } from "../src/analysis/entitlements/index.js";
import { UserFacingError } from "../src/errors.js";
import type { InventorySnapshot } from "../src/model/inventory.js";
import { allow, deny, estate, grant, policy, principal, scope, trust } from "./fixtures/iam-estate.js";

const A = "111111111111";
const B = "222222222222";
const ALICE = `arn:aws:iam::${A}:user/alice`;
const BOB = `arn:aws:iam::${A}:user/bob`;
const DEVS = `arn:aws:iam::${A}:group/devs`;
const SECRET = `arn:aws:secretsmanager:us-east-1:${A}:secret:db-password-AbCdEf`;

const scopes = [
  scope("aws:organization/o-1", "organization", "aws"),
  scope("aws:ou/ou-1", "folder", "aws", "aws:organization/o-1"),
  scope(`aws:account/${A}`, "account", "aws", "aws:ou/ou-1"),
  scope(`aws:account/${B}`, "account", "aws", "aws:organization/o-1"),
];

function user(arn: string, extra = {}) {
  const account = arn.split(":")[4] ?? A;
  return principal(arn, "aws", "user", `aws:account/${account}`, extra);
}

function role(arn: string, extra = {}) {
  const account = arn.split(":")[4] ?? A;
  return principal(arn, "aws", "role", `aws:account/${account}`, extra);
}

function awsPolicy(name: string, statements: Parameters<typeof policy>[3], kind: "managed" | "inline" | "boundary" | "scp" = "managed", extra = {}) {
  return policy(`arn:aws:iam::${A}:policy/${name}`, "aws", kind, statements, extra);
}

function attach(id: string, principalId: string, policyName: string) {
  return grant(id, "aws", "attachment", principalId, `arn:aws:iam::${A}:policy/${policyName}`);
}

function build(parts: Partial<InventorySnapshot>) {
  return estate({ scopes, ...parts, principals: parts.principals ?? [] });
}

function ask(inventory: ReturnType<typeof build>, query: Parameters<typeof explainEntitlementPaths>[1]): EntitlementAnswer {
  const answer = explainEntitlementPaths(inventory, query);
  expect(entitlementAnswerSchema.parse(answer)).toEqual(answer);
  return answer;
}

function summary(path: EntitlementPath) {
  return { via: path.via, action: path.action, resource: path.resource, outcome: path.outcome };
}

const readSecret = awsPolicy("read-secret", [allow("s1", ["secretsmanager:GetSecretValue"], [SECRET])]);

describe("AWS identity policies", () => {
  it("allows through an attached policy and names the statement", () => {
    const inventory = build({ principals: [user(ALICE)], policies: [readSecret], grants: [attach("g1", ALICE, "read-secret")] });
    const answer = ask(inventory, { principal: "alice", action: "secretsmanager:GetSecretValue", resource: SECRET });
    expect(answer.mode).toBe("forward");
    expect(answer.principal).toEqual({ id: ALICE, name: "alice", provider: "aws", kind: "user" });
    expect(answer.paths).toEqual([
      {
        principalId: ALICE,
        via: [ALICE],
        action: "secretsmanager:GetSecretValue",
        resource: SECRET,
        outcome: "allowed",
        hops: [
          { type: "principal", id: ALICE, label: 'user "alice"' },
          { type: "grant", id: "g1", label: `attachment of arn:aws:iam::${A}:policy/read-secret` },
          { type: "policy", id: `arn:aws:iam::${A}:policy/read-secret`, label: 'managed policy "read-secret"' },
          { type: "statement", id: `arn:aws:iam::${A}:policy/read-secret#s1`, label: `Allow secretsmanager:GetSecretValue on ${SECRET}` },
          { type: "resource", id: SECRET, label: SECRET },
        ],
        justification: ["g1", `arn:aws:iam::${A}:policy/read-secret#s1`],
        privilegeEscalation: false,
      },
    ]);
    expect(answer.pathCount).toBe(1);
    expect(answer.truncated).toBe(false);
  });

  it("inherits allows from groups, with a member_of hop", () => {
    const inventory = build({
      principals: [user(ALICE, { memberOf: [DEVS] }), principal(DEVS, "aws", "group", `aws:account/${A}`)],
      policies: [readSecret],
      grants: [attach("g1", DEVS, "read-secret")],
    });
    const [path] = ask(inventory, { principal: ALICE, action: "secretsmanager:GetSecretValue", resource: SECRET }).paths;
    expect(path?.outcome).toBe("allowed");
    expect(path?.hops.map((h) => `${h.type}:${h.id}`).slice(0, 3)).toEqual([`principal:${ALICE}`, `member_of:${DEVS}`, "grant:g1"]);
  });

  it("an explicit deny inherited from a group wins over the allow", () => {
    const inventory = build({
      principals: [user(ALICE, { memberOf: [DEVS] }), principal(DEVS, "aws", "group", `aws:account/${A}`)],
      policies: [readSecret, awsPolicy("no-secrets", [deny("d1", ["secretsmanager:*"], ["*"])])],
      grants: [attach("g1", ALICE, "read-secret"), attach("g2", DEVS, "no-secrets")],
    });
    const [path] = ask(inventory, { principal: ALICE, action: "secretsmanager:GetSecretValue", resource: SECRET }).paths;
    expect(path?.outcome).toBe("denied");
    expect(path?.blockedBy).toEqual({
      kind: "explicit_deny",
      id: `arn:aws:iam::${A}:policy/no-secrets#d1`,
      description: `arn:aws:iam::${A}:policy/no-secrets#d1 denies secretsmanager:GetSecretValue on ${SECRET}`,
    });
    expect(path?.justification).toContain(`arn:aws:iam::${A}:policy/no-secrets#d1`);
  });

  it("a deny whose Resource does not match does not block", () => {
    const inventory = build({
      principals: [user(ALICE)],
      policies: [readSecret, awsPolicy("no-other", [deny("d1", ["secretsmanager:GetSecretValue"], [`arn:aws:secretsmanager:us-east-1:${A}:secret:other-*`])])],
      grants: [attach("g1", ALICE, "read-secret"), attach("g2", ALICE, "no-other")],
    });
    expect(ask(inventory, { principal: ALICE, action: "secretsmanager:GetSecretValue", resource: SECRET }).paths.map((p) => p.outcome)).toEqual(["allowed"]);
  });

  it("a deny with a condition that might apply makes the path conditional, listing the condition", () => {
    const condition = { expression: "aws:SourceIp NotIpAddress 10.0.0.0/8", keys: ["aws:SourceIp"] };
    const inventory = build({
      principals: [user(ALICE)],
      policies: [readSecret, awsPolicy("ip-fence", [deny("d1", ["*"], ["*"], { conditions: [condition] })])],
      grants: [attach("g1", ALICE, "read-secret"), attach("g2", ALICE, "ip-fence")],
    });
    const [path] = ask(inventory, { principal: ALICE, action: "secretsmanager:GetSecretValue", resource: SECRET }).paths;
    expect(path?.outcome).toBe("conditional");
    expect(path?.openConditions).toEqual([{ ...condition, on: `arn:aws:iam::${A}:policy/ip-fence#d1` }]);
    expect(path?.blockedBy).toBeUndefined();
  });

  it("a conditional allow is conditional, never allowed", () => {
    const condition = { expression: "aws:MultiFactorAuthPresent Bool true", keys: ["aws:MultiFactorAuthPresent"] };
    const inventory = build({
      principals: [user(ALICE)],
      policies: [awsPolicy("mfa-read", [allow("s1", ["secretsmanager:GetSecretValue"], [SECRET], { conditions: [condition] })])],
      grants: [attach("g1", ALICE, "mfa-read")],
    });
    const [path] = ask(inventory, { principal: ALICE, action: "secretsmanager:GetSecretValue", resource: SECRET }).paths;
    expect(path?.outcome).toBe("conditional");
    expect(path?.openConditions).toEqual([{ ...condition, on: `arn:aws:iam::${A}:policy/mfa-read#s1` }]);
  });

  // Policy variables and conditions the principal decides: test/entitlements-aws-context.test.ts.
});

describe("AWS limits: permissions boundary and SCPs", () => {
  const boundary = awsPolicy("boundary", [allow("b1", ["s3:*"], ["*"])], "boundary");

  it("a permissions boundary that does not allow the action blocks it", () => {
    const inventory = build({
      principals: [user(ALICE, { permissionsBoundary: boundary.id })],
      policies: [readSecret, boundary],
      grants: [attach("g1", ALICE, "read-secret")],
    });
    const [path] = ask(inventory, { principal: ALICE, action: "secretsmanager:GetSecretValue", resource: SECRET }).paths;
    expect(path?.outcome).toBe("denied");
    expect(path?.blockedBy).toEqual({
      kind: "permissions_boundary",
      id: boundary.id,
      description: `permissions boundary ${boundary.id} does not allow secretsmanager:GetSecretValue on ${SECRET}`,
    });
  });

  it("a permissions boundary alone grants nothing", () => {
    const inventory = build({ principals: [user(ALICE, { permissionsBoundary: boundary.id })], policies: [boundary] });
    expect(ask(inventory, { principal: ALICE, action: "s3:GetObject", resource: "arn:aws:s3:::data/x" }).paths).toEqual([]);
  });

  it("an SCP deny on an OU above the account blocks, naming the SCP statement", () => {
    const scp = awsPolicy("deny-secrets", [allow("all", ["*"], ["*"]), deny("no-sm", ["secretsmanager:*"], ["*"])], "scp", { attachedTo: ["aws:ou/ou-1"] });
    const inventory = build({ principals: [user(ALICE)], policies: [readSecret, scp], grants: [attach("g1", ALICE, "read-secret")] });
    const [path] = ask(inventory, { principal: ALICE, action: "secretsmanager:GetSecretValue", resource: SECRET }).paths;
    expect(path?.blockedBy).toEqual({
      kind: "scp",
      id: `${scp.id}#no-sm`,
      description: `${scp.id}#no-sm denies secretsmanager:GetSecretValue on ${SECRET}`,
    });
  });

  it("an SCP allow-list that omits the service blocks at that level", () => {
    const scp = awsPolicy("s3-only", [allow("s3", ["s3:*"], ["*"])], "scp", { attachedTo: ["aws:ou/ou-1"] });
    const inventory = build({ principals: [user(ALICE)], policies: [readSecret, scp], grants: [attach("g1", ALICE, "read-secret")] });
    const [path] = ask(inventory, { principal: ALICE, action: "secretsmanager:GetSecretValue", resource: SECRET }).paths;
    expect(path?.outcome).toBe("denied");
    expect(path?.blockedBy?.kind).toBe("scp");
    expect(path?.blockedBy?.id).toBe("aws:ou/ou-1");
  });
});

describe("AWS statement matching", () => {
  it("NotAction allows everything but the listed actions", () => {
    const inventory = build({
      principals: [user(ALICE)],
      policies: [awsPolicy("not-iam", [{ id: "s1", effect: "Allow", notActions: ["iam:*"], resources: ["*"] }])],
      grants: [attach("g1", ALICE, "not-iam")],
    });
    expect(ask(inventory, { principal: ALICE, action: "s3:GetObject", resource: "arn:aws:s3:::data/x" }).paths.map(summary)).toEqual([
      { via: [ALICE], action: "s3:GetObject", resource: "arn:aws:s3:::data/x", outcome: "allowed" },
    ]);
    expect(ask(inventory, { principal: ALICE, action: "iam:CreateUser", resource: `arn:aws:iam::${A}:user/x` }).paths).toEqual([]);
    const [everything] = ask(inventory, { principal: ALICE }).paths;
    expect(everything?.action).toBe("*");
    expect(everything?.notes).toEqual([`except iam:* (NotAction in arn:aws:iam::${A}:policy/not-iam#s1)`]);
  });

  it("NotResource allows everywhere but the listed resources", () => {
    const inventory = build({
      principals: [user(ALICE)],
      policies: [awsPolicy("not-vault", [{ id: "s1", effect: "Allow", actions: ["s3:GetObject"], notResources: ["arn:aws:s3:::vault/*"] }])],
      grants: [attach("g1", ALICE, "not-vault")],
    });
    expect(ask(inventory, { principal: ALICE, action: "s3:GetObject", resource: "arn:aws:s3:::vault/key" }).paths).toEqual([]);
    expect(ask(inventory, { principal: ALICE, action: "s3:GetObject", resource: "arn:aws:s3:::data/key" }).paths).toHaveLength(1);
  });

  it("matches actions case-insensitively with * and ? and narrows a wildcard query", () => {
    const inventory = build({
      principals: [user(ALICE)],
      policies: [awsPolicy("mixed", [allow("s1", ["S3:Get?bject", "secretsmanager:GetSecretValue"], ["*"])])],
      grants: [attach("g1", ALICE, "mixed")],
    });
    expect(ask(inventory, { principal: ALICE, action: "s3:getobject", resource: "arn:aws:s3:::d/k" }).paths).toHaveLength(1);
    expect(ask(inventory, { principal: ALICE, action: "secretsmanager:*" }).paths.map(summary)).toEqual([
      { via: [ALICE], action: "secretsmanager:GetSecretValue", resource: "*", outcome: "allowed" },
    ]);
  });

  it("matches ARNs case-sensitively", () => {
    const inventory = build({
      principals: [user(ALICE)],
      policies: [awsPolicy("upper", [allow("s1", ["s3:GetObject"], ["arn:aws:s3:::Data/*"])])],
      grants: [attach("g1", ALICE, "upper")],
    });
    expect(ask(inventory, { principal: ALICE, action: "s3:GetObject", resource: "arn:aws:s3:::data/k" }).paths).toEqual([]);
    expect(ask(inventory, { principal: ALICE, action: "s3:GetObject", resource: "arn:aws:s3:::Data/k" }).paths).toHaveLength(1);
  });

  it("a deny covering part of a wildcard allow leaves it allowed with a note naming the exception", () => {
    const inventory = build({
      principals: [user(ALICE)],
      policies: [awsPolicy("s3-all", [allow("s1", ["s3:*"], ["*"])]), awsPolicy("keep-buckets", [deny("d1", ["s3:DeleteBucket"], ["*"])])],
      grants: [attach("g1", ALICE, "s3-all"), attach("g2", ALICE, "keep-buckets")],
    });
    const [path] = ask(inventory, { principal: ALICE }).paths;
    expect(path?.outcome).toBe("allowed");
    expect(path?.action).toBe("s3:*");
    expect(path?.notes).toEqual([`except what arn:aws:iam::${A}:policy/keep-buckets#d1 denies (s3:DeleteBucket on *)`]);
    const [deleteBucket] = ask(inventory, { principal: ALICE, action: "s3:DeleteBucket", resource: "arn:aws:s3:::b" }).paths;
    expect(deleteBucket?.outcome).toBe("denied");
  });
});

describe("AWS role assumption", () => {
  const DEPLOY = `arn:aws:iam::${A}:role/deploy`;
  const OPS = `arn:aws:iam::${A}:role/ops`;

  it("same-account trust naming the user suffices without a caller permission", () => {
    const inventory = build({
      principals: [user(ALICE), role(DEPLOY)],
      policies: [readSecret],
      grants: [attach("g1", DEPLOY, "read-secret")],
      trustEdges: [trust("t1", "aws", "assume_role", ALICE, DEPLOY)],
    });
    const answer = ask(inventory, { principal: ALICE, action: "secretsmanager:GetSecretValue", resource: SECRET });
    expect(answer.paths.map(summary)).toEqual([
      { via: [ALICE, DEPLOY], action: "secretsmanager:GetSecretValue", resource: SECRET, outcome: "allowed" },
    ]);
    expect(answer.paths[0]?.hops[1]).toMatchObject({ type: "assume_role", id: DEPLOY });
    expect(answer.paths[0]?.justification).toEqual(["t1", "g1", `arn:aws:iam::${A}:policy/read-secret#s1`]);
    const assume = ask(inventory, { principal: ALICE, action: "sts:AssumeRole", resource: DEPLOY });
    expect(assume.paths.map(summary)).toEqual([{ via: [ALICE, DEPLOY], action: "sts:AssumeRole", resource: DEPLOY, outcome: "allowed" }]);
  });

  it("account-root trust needs the caller's own sts:AssumeRole: absent → a denied pivot, not followed", () => {
    const inventory = build({
      principals: [user(BOB), role(OPS)],
      policies: [readSecret],
      grants: [attach("g1", OPS, "read-secret")],
      trustEdges: [trust("t-root", "aws", "assume_role", `arn:aws:iam::${A}:root`, OPS)],
    });
    const pivot = ask(inventory, { principal: BOB, action: "sts:AssumeRole", resource: OPS });
    expect(pivot.paths.map(summary)).toEqual([{ via: [BOB, OPS], action: "sts:AssumeRole", resource: OPS, outcome: "denied" }]);
    expect(pivot.paths[0]?.blockedBy).toEqual({
      kind: "missing_caller_permission",
      id: "t-root",
      description: `the trust policy of ${OPS} accepts arn:aws:iam::${A}:root, but no identity policy of ${BOB} allows sts:AssumeRole on it`,
    });
    const secret = ask(inventory, { principal: BOB, action: "secretsmanager:GetSecretValue", resource: SECRET });
    expect(secret.paths).toEqual([]);
    expect(secret.notes).toContain(
      "1 pivot(s) were not followed because they are denied (missing caller permission or an explicit deny)",
    );
  });

  it("account-root trust with the caller's sts:AssumeRole allowed is followed", () => {
    const inventory = build({
      principals: [user(BOB), role(OPS)],
      policies: [readSecret, awsPolicy("assume-ops", [allow("a1", ["sts:AssumeRole"], [OPS])])],
      grants: [attach("g1", OPS, "read-secret"), attach("g2", BOB, "assume-ops")],
      trustEdges: [trust("t-root", "aws", "assume_role", `arn:aws:iam::${A}:root`, OPS)],
    });
    const [path] = ask(inventory, { principal: BOB, action: "secretsmanager:GetSecretValue", resource: SECRET }).paths;
    expect(summary(path as EntitlementPath)).toEqual({ via: [BOB, OPS], action: "secretsmanager:GetSecretValue", resource: SECRET, outcome: "allowed" });
    expect(path?.justification).toEqual(["t-root", "g2", `arn:aws:iam::${A}:policy/assume-ops#a1`, "g1", `arn:aws:iam::${A}:policy/read-secret#s1`]);
  });

  it("a condition on the trust edge makes the chain conditional", () => {
    const condition = { expression: "sts:ExternalId StringEquals ext-123", keys: ["sts:ExternalId"] };
    const inventory = build({
      principals: [user(ALICE), role(DEPLOY)],
      policies: [readSecret],
      grants: [attach("g1", DEPLOY, "read-secret")],
      trustEdges: [trust("t1", "aws", "assume_role", ALICE, DEPLOY, [condition])],
    });
    const [path] = ask(inventory, { principal: ALICE, action: "secretsmanager:GetSecretValue", resource: SECRET }).paths;
    expect(path?.outcome).toBe("conditional");
    expect(path?.openConditions).toEqual([{ ...condition, on: "t1" }]);
  });

  it("follows a cross-account two-hop chain", () => {
    const HOP1 = `arn:aws:iam::${B}:role/hop1`;
    const HOP2 = `arn:aws:iam::${B}:role/hop2`;
    const BUCKET = "arn:aws:s3:::shared/report.csv";
    const inventory = build({
      principals: [user(ALICE), role(HOP1), role(HOP2)],
      policies: [
        awsPolicy("assume-hop1", [allow("a1", ["sts:AssumeRole"], [HOP1])]),
        awsPolicy("read-shared", [allow("r1", ["s3:GetObject"], ["arn:aws:s3:::shared/*"])]),
      ],
      grants: [attach("g1", ALICE, "assume-hop1"), attach("g2", HOP2, "read-shared")],
      trustEdges: [trust("t1", "aws", "assume_role", ALICE, HOP1), trust("t2", "aws", "assume_role", HOP1, HOP2)],
    });
    expect(ask(inventory, { principal: ALICE, action: "s3:GetObject", resource: BUCKET }).paths.map(summary)).toEqual([
      { via: [ALICE, HOP1, HOP2], action: "s3:GetObject", resource: BUCKET, outcome: "allowed" },
    ]);
    expect(ask(inventory, { principal: ALICE, action: "s3:GetObject", resource: BUCKET, maxDepth: 1 }).paths).toEqual([]);
  });

  it("terminates on trust cycles (A → B → A)", () => {
    const RA = `arn:aws:iam::${A}:role/a`;
    const RB = `arn:aws:iam::${A}:role/b`;
    const inventory = build({
      principals: [user(ALICE), role(RA), role(RB)],
      policies: [readSecret],
      grants: [attach("g1", RB, "read-secret")],
      trustEdges: [
        trust("t0", "aws", "assume_role", ALICE, RA),
        trust("t1", "aws", "assume_role", RA, RB),
        trust("t2", "aws", "assume_role", RB, RA),
      ],
    });
    const answer = ask(inventory, { principal: ALICE, maxDepth: 8 });
    for (const path of answer.paths) expect(new Set(path.via).size).toBe(path.via.length);
    expect(answer.paths.filter((p) => p.action === "secretsmanager:GetSecretValue").map((p) => p.via)).toEqual([[ALICE, RA, RB]]);
  });
});

describe("AWS privilege escalation", () => {
  const ADMIN = `arn:aws:iam::${A}:user/admin`;
  const MALLORY = `arn:aws:iam::${A}:user/mallory`;
  const LAMBDA_ROLE = `arn:aws:iam::${A}:role/lambda-exec`;

  it("iam:CreateAccessKey on another user is an escalation to that user", () => {
    const inventory = build({
      principals: [user(ADMIN), user(MALLORY)],
      policies: [readSecret, awsPolicy("keys", [allow("k1", ["iam:CreateAccessKey"], [`arn:aws:iam::${A}:user/*`])])],
      grants: [attach("g1", ADMIN, "read-secret"), attach("g2", MALLORY, "keys")],
    });
    const [path] = ask(inventory, { principal: MALLORY, action: "secretsmanager:GetSecretValue", resource: SECRET }).paths;
    expect(summary(path as EntitlementPath)).toEqual({ via: [MALLORY, ADMIN], action: "secretsmanager:GetSecretValue", resource: SECRET, outcome: "allowed" });
    expect(path?.privilegeEscalation).toBe(true);
    expect(path?.hops[1]).toMatchObject({ type: "escalate", id: ADMIN, label: 'iam:CreateAccessKey on user "admin", then act as it' });
  });

  it("iam:PassRole to a Lambda-trusting role plus lambda:CreateFunction is an escalation; PassRole alone is not", () => {
    const passRole = awsPolicy("pass", [allow("p1", ["iam:PassRole"], [LAMBDA_ROLE])]);
    const createFn = awsPolicy("create-fn", [allow("c1", ["lambda:CreateFunction"], ["*"])]);
    const base = {
      principals: [user(MALLORY), role(LAMBDA_ROLE)],
      trustEdges: [trust("t-lambda", "aws", "assume_role", "service:lambda.amazonaws.com", LAMBDA_ROLE)],
    };
    const withBoth = build({
      ...base,
      policies: [readSecret, passRole, createFn],
      grants: [attach("g1", LAMBDA_ROLE, "read-secret"), attach("g2", MALLORY, "pass"), attach("g3", MALLORY, "create-fn")],
    });
    const [path] = ask(withBoth, { principal: MALLORY, action: "secretsmanager:GetSecretValue", resource: SECRET }).paths;
    expect(path?.via).toEqual([MALLORY, LAMBDA_ROLE]);
    expect(path?.privilegeEscalation).toBe(true);
    expect(path?.justification.slice(0, 5)).toEqual([
      "t-lambda",
      "g2",
      `arn:aws:iam::${A}:policy/pass#p1`,
      "g3",
      `arn:aws:iam::${A}:policy/create-fn#c1`,
    ]);
    const passOnly = build({ ...base, policies: [readSecret, passRole], grants: [attach("g1", LAMBDA_ROLE, "read-secret"), attach("g2", MALLORY, "pass")] });
    expect(ask(passOnly, { principal: MALLORY, action: "secretsmanager:GetSecretValue", resource: SECRET }).paths).toEqual([]);
  });

  it("iam:PutUserPolicy on itself is an escalation to anything its limits allow", () => {
    const self = awsPolicy("self-edit", [allow("e1", ["iam:PutUserPolicy"], [MALLORY])]);
    const boundary = awsPolicy("b", [allow("b1", ["iam:*", "s3:*"], ["*"])], "boundary");
    const inventory = build({ principals: [user(MALLORY, { permissionsBoundary: boundary.id })], policies: [self, boundary], grants: [attach("g1", MALLORY, "self-edit")] });
    const [s3] = ask(inventory, { principal: MALLORY, action: "s3:GetObject", resource: "arn:aws:s3:::data/k" }).paths;
    expect(s3?.outcome).toBe("allowed");
    expect(s3?.privilegeEscalation).toBe(true);
    expect(s3?.hops.find((h) => h.type === "escalate")?.label).toBe(`iam:PutUserPolicy on ${MALLORY}: can grant itself any permission`);
    const [secret] = ask(inventory, { principal: MALLORY, action: "secretsmanager:GetSecretValue", resource: SECRET }).paths;
    expect(secret?.outcome).toBe("denied");
    expect(secret?.blockedBy?.kind).toBe("permissions_boundary");
  });
});

describe("AWS reverse queries and unknowns", () => {
  const OPS = `arn:aws:iam::${A}:role/ops`;

  it("finds direct holders and principals that pivot into them", () => {
    const inventory = build({
      principals: [user(ALICE), user(BOB), role(OPS), user(`arn:aws:iam::${A}:user/carol`)],
      policies: [readSecret, awsPolicy("assume-ops", [allow("a1", ["sts:AssumeRole"], [OPS])])],
      grants: [attach("g1", OPS, "read-secret"), attach("g2", BOB, "assume-ops"), attach("g3", ALICE, "read-secret")],
      trustEdges: [trust("t-root", "aws", "assume_role", `arn:aws:iam::${A}:root`, OPS)],
    });
    const answer = ask(inventory, { action: "secretsmanager:GetSecretValue", resource: SECRET });
    expect(answer.mode).toBe("reverse");
    expect(answer.paths.map(summary)).toEqual([
      { via: [OPS], action: "secretsmanager:GetSecretValue", resource: SECRET, outcome: "allowed" },
      { via: [ALICE], action: "secretsmanager:GetSecretValue", resource: SECRET, outcome: "allowed" },
      { via: [BOB, OPS], action: "secretsmanager:GetSecretValue", resource: SECRET, outcome: "allowed" },
    ]);
  });

  it("reports unknown when the resource's account is not in the inventory", () => {
    const other = "arn:aws:secretsmanager:us-east-1:999999999999:secret:x";
    const inventory = build({
      principals: [user(ALICE)],
      policies: [awsPolicy("all-secrets", [allow("s1", ["secretsmanager:GetSecretValue"], ["*"])])],
      grants: [attach("g1", ALICE, "all-secrets")],
    });
    const answer = ask(inventory, { principal: ALICE, action: "secretsmanager:GetSecretValue", resource: other });
    expect(answer.paths.map((p) => [p.outcome, p.unknownReason])).toEqual([["unknown", `account 999999999999 of ${other} is not in the inventory`]]);
    expect(answer.notes).toContain(`${other} could not be placed in a collected aws scope; answers that depend on it are unknown`);
  });

  it("reports unknown for a cross-account resource (its resource policy is not collected)", () => {
    const inB = `arn:aws:secretsmanager:us-east-1:${B}:secret:x`;
    const inventory = build({
      principals: [user(ALICE)],
      policies: [awsPolicy("all-secrets", [allow("s1", ["secretsmanager:GetSecretValue"], ["*"])])],
      grants: [attach("g1", ALICE, "all-secrets")],
    });
    const [path] = ask(inventory, { principal: ALICE, action: "secretsmanager:GetSecretValue", resource: inB }).paths;
    expect(path?.outcome).toBe("unknown");
    expect(path?.unknownReason).toMatch(/^cross-account: /);
  });

  it("reports unknown when a collection gap covers the account, saying which", () => {
    const inventory = build({
      principals: [user(ALICE)],
      policies: [readSecret],
      grants: [attach("g1", ALICE, "read-secret")],
      gaps: [{ provider: "aws", scopeId: `aws:account/${A}`, source: "iam:GetAccountAuthorizationDetails", reason: "AccessDenied" }],
    });
    const [path] = ask(inventory, { principal: ALICE, action: "secretsmanager:GetSecretValue", resource: SECRET }).paths;
    expect(path?.outcome).toBe("unknown");
    expect(path?.unknownReason).toBe(`collection gap for aws aws:account/${A} (iam:GetAccountAuthorizationDetails): AccessDenied`);
  });
});

describe("query validation and ordering", () => {
  const inventory = build({ principals: [user(ALICE)], policies: [readSecret], grants: [attach("g1", ALICE, "read-secret")] });

  it("rejects a reverse query without action or resource, naming the field", () => {
    expect(() => explainEntitlementPaths(inventory, { resource: SECRET })).toThrow(/^action: /);
    expect(() => explainEntitlementPaths(inventory, { action: "s3:GetObject" })).toThrow(/^resource: /);
    try {
      explainEntitlementPaths(inventory, { resource: SECRET });
    } catch (error) {
      expect(error).toBeInstanceOf(UserFacingError);
      expect((error as UserFacingError).code).toBe("invalid_input");
    }
  });

  it("rejects maxDepth above 8 and unknown principals", () => {
    expect(() => explainEntitlementPaths(inventory, { principal: ALICE, maxDepth: 9 })).toThrow(/^maxDepth: /);
    try {
      explainEntitlementPaths(inventory, { principal: "nobody" });
      expect.unreachable();
    } catch (error) {
      expect((error as UserFacingError).code).toBe("not_found");
    }
  });

  it("sorts allowed < conditional < unknown < denied, then fewer pivots", () => {
    const condition = { expression: "aws:SourceVpc StringEquals vpc-1" };
    const estateWithAll = build({
      principals: [user(ALICE)],
      policies: [
        awsPolicy("p", [
          allow("a-ok", ["s3:GetObject"], ["arn:aws:s3:::ok/*"]),
          allow("a-cond", ["s3:GetObject"], ["arn:aws:s3:::cond/*"], { conditions: [condition] }),
          allow("a-unknown", ["s3:GetObject"], ["arn:aws:s3:::x/*"]),
          allow("a-denied", ["s3:GetObject"], ["arn:aws:s3:::no/*"]),
          allow("a-x", ["s3:GetObject"], [`arn:aws:s3:us-east-1:999999999999:accesspoint/ap/object/*`]),
          deny("d", ["s3:GetObject"], ["arn:aws:s3:::no/*"]),
        ]),
      ],
      grants: [attach("g1", ALICE, "p")],
    });
    const outcomes = ask(estateWithAll, { principal: ALICE, action: "s3:GetObject" }).paths.map((p) => [p.outcome, p.resource]);
    expect(outcomes).toEqual([
      ["allowed", "arn:aws:s3:::ok/*"],
      ["allowed", "arn:aws:s3:::x/*"],
      ["conditional", "arn:aws:s3:::cond/*"],
      ["unknown", "arn:aws:s3:us-east-1:999999999999:accesspoint/ap/object/*"],
      ["denied", "arn:aws:s3:::no/*"],
    ]);
  });
});

describe("AWS pivots as entitlements, federation and bounds", () => {
  const DEPLOY = `arn:aws:iam::${A}:role/deploy`;
  const OIDC = "oidc:token.actions.githubusercontent.com:repo:acme/app:ref:refs/heads/main";

  it("a reverse query for sts:AssumeRole lists principals the trust policy names", () => {
    const inventory = build({
      principals: [user(ALICE), role(DEPLOY)],
      trustEdges: [trust("t1", "aws", "assume_role", ALICE, DEPLOY)],
    });
    const answer = ask(inventory, { action: "sts:AssumeRole", resource: DEPLOY });
    expect(answer.paths.map(summary)).toEqual([{ via: [ALICE, DEPLOY], action: "sts:AssumeRole", resource: DEPLOY, outcome: "allowed" }]);
    expect(answer.paths[0]?.justification).toEqual(["t1"]);
  });

  it("a federated subject reaches a role through a conditional federation edge", () => {
    const condition = { expression: "token.actions.githubusercontent.com:aud StringEquals sts.amazonaws.com" };
    const inventory = build({
      principals: [principal(OIDC, "aws", "external", `aws:account/${A}`), role(DEPLOY)],
      policies: [readSecret],
      grants: [attach("g1", DEPLOY, "read-secret")],
      trustEdges: [trust("f1", "aws", "federation", OIDC, DEPLOY, [condition])],
    });
    const answer = ask(inventory, { action: "secretsmanager:GetSecretValue", resource: SECRET });
    expect(answer.paths.map((p) => [p.via, p.outcome])).toEqual([
      [[DEPLOY], "allowed"],
      [[OIDC, DEPLOY], "conditional"],
    ]);
    expect(answer.paths[1]?.hops[1]).toMatchObject({ type: "federate", id: DEPLOY });
  });

  it("caps the answer, says so, and keeps a deterministic order", () => {
    const statements = Array.from({ length: 30 }, (_, i) => allow(`s${String(i).padStart(2, "0")}`, ["s3:GetObject"], [`arn:aws:s3:::bucket-${i}/*`]));
    const inventory = build({ principals: [user(ALICE)], policies: [awsPolicy("many", statements)], grants: [attach("g1", ALICE, "many")] });
    const first = explainEntitlementPaths(inventory, { principal: ALICE }, { maxPaths: 10 });
    expect(first.pathCount).toBe(10);
    expect(first.truncated).toBe(true);
    expect(first.notes.some((n) => n.startsWith("more than 10 paths exist"))).toBe(true);
    const full = explainEntitlementPaths(inventory, { principal: ALICE });
    expect(full.truncated).toBe(false);
    expect(full.paths.map((p) => p.resource)).toEqual([...full.paths.map((p) => p.resource)].sort());
    expect(explainEntitlementPaths(inventory, { principal: ALICE })).toEqual(full);
  });

  it("gives the same sorted paths whatever the snapshot order", () => {
    const OPS = `arn:aws:iam::${A}:role/ops`;
    const parts = {
      principals: [user(ALICE), user(BOB), role(OPS), role(DEPLOY)],
      policies: [readSecret, awsPolicy("assume-ops", [allow("a1", ["sts:AssumeRole"], [OPS])])],
      grants: [attach("g1", OPS, "read-secret"), attach("g2", BOB, "assume-ops"), attach("g3", ALICE, "read-secret"), attach("g4", DEPLOY, "read-secret")],
      trustEdges: [trust("t-root", "aws", "assume_role", `arn:aws:iam::${A}:root`, OPS), trust("t1", "aws", "assume_role", ALICE, DEPLOY)],
    };
    const reversed = {
      principals: [...parts.principals].reverse(),
      policies: [...parts.policies].reverse(),
      grants: [...parts.grants].reverse(),
      trustEdges: [...parts.trustEdges].reverse(),
    };
    const query = { action: "secretsmanager:GetSecretValue", resource: SECRET };
    expect(ask(build(reversed), query).paths).toEqual(ask(build(parts), query).paths);
  });

  it("a reverse query lists the resource's own account; other accounts only through role chains", () => {
    const CAROL = `arn:aws:iam::${B}:user/carol`;
    const HOP = `arn:aws:iam::${A}:role/hop`;
    const inventory = build({
      principals: [user(ALICE), user(CAROL), role(HOP)],
      policies: [awsPolicy("all-secrets", [allow("s1", ["secretsmanager:GetSecretValue", "sts:AssumeRole"], ["*"])])],
      grants: [attach("g1", ALICE, "all-secrets"), attach("g2", CAROL, "all-secrets"), attach("g3", HOP, "all-secrets")],
      trustEdges: [trust("t1", "aws", "assume_role", CAROL, HOP)],
    });
    const answer = ask(inventory, { action: "secretsmanager:GetSecretValue", resource: SECRET });
    expect(answer.paths.map((p) => p.via)).toEqual([[HOP], [ALICE], [CAROL, HOP]]);
    expect(answer.notes).toContain(
      `principals of accounts other than ${A} are listed only through role chains: their direct access would also need the resource's own policy, which is not in the inventory`,
    );
  });

  it("rejects a reverse query whose resource belongs to no provider", () => {
    const inventory = build({ principals: [user(ALICE)] });
    expect(() => explainEntitlementPaths(inventory, { action: "s3:GetObject", resource: "not-a-resource" })).toThrow(/^resource: /);
  });

  it("filters by provider", () => {
    const inventory = build({ principals: [user(ALICE)], policies: [readSecret], grants: [attach("g1", ALICE, "read-secret")] });
    expect(ask(inventory, { principal: ALICE, provider: "gcp" }).paths).toEqual([]);
    expect(ask(inventory, { principal: ALICE, provider: "aws" }).paths).toHaveLength(1);
  });
});
