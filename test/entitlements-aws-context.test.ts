/**
 * AWS requests decided by the question itself: policy variables and conditions on who asks
 * (aws:username, aws:userid, aws:PrincipalTag/..., aws:PrincipalArn, aws:PrincipalAccount,
 * aws:PrincipalOrgID) and on the resource (aws:ResourceAccount). Only request-time facts stay open.
 *
 * AWS documentation that decides these answers:
 * - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
 *   "Request information that you can use for policy variables": aws:username is present for IAM
 *   users only (absent for assumed roles); aws:userid is `role-id:caller-specified-role-name` for
 *   a role session. "Policy variables with no value": a variable whose key is absent has no value,
 *   so the Resource pattern holding it matches nothing; "Specifying default values":
 *   `${aws:username, 'default'}` is used when the key is absent.
 * - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 *   "If the key that you specify in a policy condition is not present in the request context, the
 *   values do not match and the condition is false", except negated operators (ArnNotLike...),
 *   ...IfExists and Null.
 */
import { describe, expect, it } from "vitest";
import { explainEntitlementPaths, entitlementAnswerSchema } from "../src/analysis/entitlements/index.js";
import type { EntitlementAnswer, EntitlementPath } from "../src/analysis/entitlements/index.js";
import { buildDemoEstate, DEMO_ANCHORS } from "../src/connectors/demo/index.js";
import type { Condition, InventorySnapshot } from "../src/model/inventory.js";
import { Inventory } from "../src/model/inventory-index.js";
import { allow, deny, estate, grant, policy, principal, scope, trust } from "./fixtures/iam-estate.js";

const A = "111111111111";
const B = "222222222222";
const OUTSIDE = "999999999999";
const ALICE = `arn:aws:iam::${A}:user/alice`;
const BOB = `arn:aws:iam::${A}:user/people/bob`;
const DEVS = `arn:aws:iam::${A}:group/devs`;
const WORKER = `arn:aws:iam::${A}:role/worker`;
const TARGET = `arn:aws:iam::${B}:role/target`;

const scopes = [
  scope("aws:organization/o-acme1", "organization", "aws"),
  scope("aws:ou/ou-1", "folder", "aws", "aws:organization/o-acme1"),
  scope(`aws:account/${A}`, "account", "aws", "aws:ou/ou-1"),
  scope(`aws:account/${B}`, "account", "aws", "aws:organization/o-acme1"),
];

function user(arn: string, extra = {}) {
  return principal(arn, "aws", "user", `aws:account/${arn.split(":")[4] ?? A}`, extra);
}

function role(arn: string, extra = {}) {
  return principal(arn, "aws", "role", `aws:account/${arn.split(":")[4] ?? A}`, extra);
}

function group(arn: string) {
  return principal(arn, "aws", "group", `aws:account/${A}`);
}

const policyId = (name: string) => `arn:aws:iam::${A}:policy/${name}`;

function awsPolicy(name: string, statements: Parameters<typeof policy>[3], kind: "managed" | "scp" = "managed", extra = {}) {
  return policy(policyId(name), "aws", kind, statements, extra);
}

function attach(id: string, principalId: string, name: string) {
  return grant(id, "aws", "attachment", principalId, policyId(name));
}

/** A condition the way the collector writes it: expression for people, operator and values for the evaluator. */
function when(key: string, operator: string, values: string[]): Condition {
  return { expression: `${key} ${operator} ${values.join(", ")}`, keys: [key], operator, values };
}

function build(parts: Partial<InventorySnapshot>) {
  return estate({ scopes, ...parts, principals: parts.principals ?? [] });
}

function ask(inventory: Inventory, query: Parameters<typeof explainEntitlementPaths>[1]): EntitlementAnswer {
  const answer = explainEntitlementPaths(inventory, query);
  expect(entitlementAnswerSchema.parse(answer)).toEqual(answer);
  return answer;
}

function summary(path: EntitlementPath) {
  return { principalId: path.principalId, via: path.via, resource: path.resource, outcome: path.outcome };
}

describe("policy variables decided per principal", () => {
  const home = awsPolicy("home", [allow("own", ["s3:GetObject"], ["arn:aws:s3:::home/${aws:username}/*"])]);

  it("${aws:username} is the user's own name, so a user reaches only its own prefix", () => {
    const inventory = build({ principals: [user(ALICE)], policies: [home], grants: [attach("g1", ALICE, "home")] });
    const own = ask(inventory, { principal: ALICE, action: "s3:GetObject", resource: "arn:aws:s3:::home/alice/notes.txt" });
    expect(own.paths.map(summary)).toEqual([{ principalId: ALICE, via: [ALICE], resource: "arn:aws:s3:::home/alice/notes.txt", outcome: "allowed" }]);
    expect(own.paths[0]?.openConditions).toBeUndefined();
    expect(ask(inventory, { principal: ALICE, action: "s3:GetObject", resource: "arn:aws:s3:::home/bob/notes.txt" }).paths).toEqual([]);
  });

  it("a group policy resolves for each member (the name is the last segment of a user with a path)", () => {
    const inventory = build({
      principals: [group(DEVS), user(ALICE, { memberOf: [DEVS] }), user(BOB, { memberOf: [DEVS] })],
      policies: [awsPolicy("own-keys", [allow("keys", ["iam:CreateAccessKey"], [`arn:aws:iam::${A}:user/*\${aws:username}`])])],
      grants: [attach("g1", DEVS, "own-keys")],
    });
    // Reverse: who can create an access key for bob? Only bob himself, not every developer.
    const reverse = ask(inventory, { action: "iam:CreateAccessKey", resource: BOB });
    expect(reverse.paths.map(summary)).toEqual([{ principalId: BOB, via: [BOB], resource: BOB, outcome: "allowed" }]);
  });

  it("a role session has no aws:username: the pattern matches nothing, unless the variable gives a default", () => {
    const withDefault = awsPolicy("shared", [allow("shared", ["s3:GetObject"], ["arn:aws:s3:::home/${aws:username, 'shared'}/*"])]);
    const inventory = build({
      principals: [role(WORKER)],
      policies: [home, withDefault],
      grants: [attach("g1", WORKER, "home"), attach("g2", WORKER, "shared")],
    });
    const answer = ask(inventory, { principal: WORKER, action: "s3:GetObject" });
    expect(answer.paths.map((p) => p.resource)).toEqual(["arn:aws:s3:::home/shared/*"]);
    expect(answer.paths[0]?.outcome).toBe("allowed");
  });

  it("${aws:PrincipalTag/team} comes from the principal's collected tags; a missing tag matches nothing", () => {
    const SECRET = `arn:aws:secretsmanager:us-east-1:${A}:secret:payments/db-AbCdEf`;
    const inventory = build({
      principals: [group(DEVS), user(ALICE, { memberOf: [DEVS], tags: { team: "payments" } }), user(BOB, { memberOf: [DEVS] })],
      policies: [
        awsPolicy("team-secrets", [
          allow("team", ["secretsmanager:GetSecretValue"], [`arn:aws:secretsmanager:us-east-1:${A}:secret:\${aws:PrincipalTag/team}/*`]),
        ]),
      ],
      grants: [attach("g1", DEVS, "team-secrets")],
    });
    const reverse = ask(inventory, { action: "secretsmanager:GetSecretValue", resource: SECRET });
    expect(reverse.paths.map(summary)).toEqual([{ principalId: ALICE, via: [ALICE], resource: SECRET, outcome: "allowed" }]);
  });

  it("${aws:userid}: a user's unique id is known; a role session's name part stays open and is listed", () => {
    const byId = awsPolicy("by-id", [allow("id", ["s3:PutObject"], ["arn:aws:s3:::uploads/${aws:userid}/*"])]);
    const inventory = build({
      principals: [user(ALICE, { uniqueId: "AIDAEXAMPLEALICE00001" }), role(WORKER, { uniqueId: "AROAEXAMPLEWORKER0001" })],
      policies: [byId],
      grants: [attach("g1", ALICE, "by-id"), attach("g2", WORKER, "by-id")],
    });
    const alice = ask(inventory, { principal: ALICE, action: "s3:PutObject", resource: "arn:aws:s3:::uploads/AIDAEXAMPLEALICE00001/a.txt" });
    expect(alice.paths.map((p) => p.outcome)).toEqual(["allowed"]);
    const worker = ask(inventory, { principal: WORKER, action: "s3:PutObject", resource: "arn:aws:s3:::uploads/AROAEXAMPLEWORKER0001:nightly/a.txt" });
    expect(worker.paths.map((p) => p.outcome)).toEqual(["conditional"]);
    expect(worker.paths[0]?.openConditions).toEqual([
      {
        expression: `resource pattern uses policy variable \${aws:userid}, whose session name part is chosen when ${WORKER} is assumed`,
        keys: ["aws:userid"],
        on: `${policyId("by-id")}#id`,
      },
    ]);
    expect(ask(inventory, { principal: WORKER, action: "s3:PutObject", resource: "arn:aws:s3:::uploads/AIDAEXAMPLEALICE00001/a.txt" }).paths).toEqual([]);
  });
});

describe("conditions decided by who asks and on what", () => {
  it("an SCP deny excepting a break-glass role (aws:PrincipalArn ArnNotLike) blocks everyone else, not the break-glass role", () => {
    const BREAK_GLASS = `arn:aws:iam::${A}:role/break-glass-admin`;
    const scp = awsPolicy(
      "guardrails",
      [
        allow("all", ["*"], ["*"]),
        deny("no-users", ["iam:CreateUser"], ["*"], { conditions: [when("aws:PrincipalArn", "ArnNotLike", ["arn:aws:iam::*:role/break-glass-admin"])] }),
      ],
      "scp",
      { attachedTo: ["aws:ou/ou-1"] },
    );
    const inventory = build({
      principals: [role(WORKER), role(BREAK_GLASS)],
      policies: [scp, awsPolicy("iam-admin", [allow("users", ["iam:CreateUser"], ["*"])])],
      grants: [attach("g1", WORKER, "iam-admin"), attach("g2", BREAK_GLASS, "iam-admin")],
    });
    const target = `arn:aws:iam::${A}:user/new-user`;
    const worker = ask(inventory, { principal: WORKER, action: "iam:CreateUser", resource: target }).paths;
    expect(worker.map((p) => p.outcome)).toEqual(["denied"]);
    expect(worker[0]?.blockedBy).toEqual({ kind: "scp", id: `${scp.id}#no-users`, description: `${scp.id}#no-users denies iam:CreateUser on ${target}` });
    const breakGlass = ask(inventory, { principal: BREAK_GLASS, action: "iam:CreateUser", resource: target }).paths;
    expect(breakGlass.map((p) => [p.outcome, p.openConditions])).toEqual([["allowed", undefined]]);
  });

  it("aws:ResourceAccount against ${aws:PrincipalAccount}: reaches its own account's resources only", () => {
    const inventory = build({
      principals: [user(ALICE)],
      policies: [awsPolicy("own-account", [allow("own", ["sqs:SendMessage"], ["*"], { conditions: [when("aws:ResourceAccount", "StringEquals", ["${aws:PrincipalAccount}"])] })])],
      grants: [attach("g1", ALICE, "own-account")],
    });
    const own = `arn:aws:sqs:us-east-1:${A}:jobs`;
    expect(ask(inventory, { principal: ALICE, action: "sqs:SendMessage", resource: own }).paths.map((p) => [p.outcome, p.openConditions])).toEqual([
      ["allowed", undefined],
    ]);
    expect(ask(inventory, { principal: ALICE, action: "sqs:SendMessage", resource: `arn:aws:sqs:us-east-1:${B}:jobs` }).paths).toEqual([]);
  });

  it("trust conditions on who asks are decided: aws:PrincipalOrgID in the organization, aws:PrincipalArn outside the pattern", () => {
    const orgOnly = when("aws:PrincipalOrgID", "StringEquals", ["o-acme1"]);
    const ciOnly = when("aws:PrincipalArn", "ArnLike", [`arn:aws:iam::${A}:role/ci-*`]);
    const inventory = build({
      principals: [user(ALICE), role(TARGET), role(`arn:aws:iam::${B}:role/ci-only`)],
      policies: [awsPolicy("assume-all", [allow("a", ["sts:AssumeRole"], [`arn:aws:iam::${B}:role/*`])])],
      grants: [attach("g1", ALICE, "assume-all")],
      trustEdges: [
        trust("t-org", "aws", "assume_role", `arn:aws:iam::${A}:root`, TARGET, [orgOnly]),
        trust("t-ci", "aws", "assume_role", `arn:aws:iam::${A}:root`, `arn:aws:iam::${B}:role/ci-only`, [ciOnly]),
      ],
    });
    const toTarget = ask(inventory, { principal: ALICE, action: "sts:AssumeRole", resource: TARGET }).paths;
    expect(toTarget.map((p) => [p.via, p.outcome, p.openConditions])).toEqual([[[ALICE, TARGET], "allowed", undefined]]);
    const toCi = ask(inventory, { principal: ALICE, action: "sts:AssumeRole", resource: `arn:aws:iam::${B}:role/ci-only` }).paths;
    expect(toCi.map((p) => [p.outcome, p.blockedBy])).toEqual([
      ["denied", { kind: "missing_trust", id: "t-ci", description: `the conditions of trust edge t-ci exclude ${ALICE}` }],
    ]);
  });

  it("request-time facts stay open and are listed, next to decided ones", () => {
    const inventory = build({
      principals: [user(ALICE, { tags: { team: "payments" } })],
      policies: [
        awsPolicy("office", [
          allow("s", ["s3:GetObject"], ["arn:aws:s3:::reports/*"], {
            conditions: [when("aws:PrincipalTag/team", "StringEquals", ["payments"]), when("aws:SourceIp", "IpAddress", ["203.0.113.0/24"])],
          }),
        ]),
      ],
      grants: [attach("g1", ALICE, "office")],
    });
    const [path] = ask(inventory, { principal: ALICE, action: "s3:GetObject", resource: "arn:aws:s3:::reports/q3.csv" }).paths;
    expect(path?.outcome).toBe("conditional");
    expect(path?.openConditions).toEqual([{ expression: "aws:SourceIp IpAddress 203.0.113.0/24", keys: ["aws:SourceIp"], on: `${policyId("office")}#s` }]);
  });

  it("a condition on a principal from outside the organization fails; a negated one holds", () => {
    const outsider = user(`arn:aws:iam::${OUTSIDE}:user/partner`);
    const inventory = build({
      scopes: [...scopes, scope(`aws:account/${OUTSIDE}`, "account", "aws")],
      principals: [outsider],
      policies: [
        awsPolicy("in-org", [allow("o", ["s3:GetObject"], ["arn:aws:s3:::org-data/*"], { conditions: [when("aws:PrincipalOrgID", "StringEquals", ["o-acme1"])] })]),
        awsPolicy("not-a", [allow("n", ["s3:GetObject"], ["arn:aws:s3:::public-data/*"], { conditions: [when("aws:PrincipalAccount", "StringNotEquals", [A])] })]),
      ],
      grants: [grant("g1", "aws", "attachment", outsider.id, policyId("in-org")), grant("g2", "aws", "attachment", outsider.id, policyId("not-a"))],
    });
    // The outsider's account has no organization in the inventory, so aws:PrincipalOrgID is not decided.
    const org = ask(inventory, { principal: outsider.id, action: "s3:GetObject", resource: "arn:aws:s3:::org-data/x" }).paths;
    expect(org.map((p) => [p.outcome, p.openConditions?.map((c) => c.keys)])).toEqual([["conditional", [["aws:PrincipalOrgID"]]]]);
    const pub = ask(inventory, { principal: outsider.id, action: "s3:GetObject", resource: "arn:aws:s3:::public-data/x" }).paths;
    expect(pub.map((p) => [p.outcome, p.openConditions])).toEqual([["allowed", undefined]]);
  });
});

describe("the demo estate", () => {
  it("who can read the payments secret: no path is left conditional by ${aws:username} any more", () => {
    // Before per-principal variables, 56 of 67 paths here were conditional only because the
    // developers' ManageOwnCredentials statement (iam:CreateAccessKey on user/${aws:username})
    // was read as "any user": every developer seemed able to take over the platform admins.
    const inventory = new Inventory(buildDemoEstate(new Date("2026-12-01T00:00:00Z")));
    const answer = ask(inventory, { action: "secretsmanager:GetSecretValue", resource: DEMO_ANCHORS.aws.prodPaymentsSecret });
    const outcomes: Record<string, number> = {};
    for (const path of answer.paths) outcomes[path.outcome] = (outcomes[path.outcome] ?? 0) + 1;
    expect(outcomes).toEqual({ allowed: 10, denied: 1 });
    expect(answer.paths.some((p) => p.openConditions?.some((c) => c.keys?.includes("aws:username")))).toBe(false);
  });
});
