/**
 * AWS resource-based policies (policies of kind `resource` attached to a resource ARN), evaluated
 * the documented way: same account either side may allow; across accounts both must; a Deny in
 * the resource policy wins; KMS needs the key policy even inside one account; `*` narrowed by
 * aws:PrincipalOrgID is decided for principals the inventory knows. Forward and reverse.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html (root delegation)
 */
import { describe, expect, it } from "vitest";
import { entitlementAnswerSchema, explainEntitlementPaths } from "../src/analysis/entitlements/index.js";
import type { EntitlementAnswer } from "../src/analysis/entitlements/index.js";
import type { Condition, Policy, Statement } from "../src/model/inventory.js";
import type { Inventory } from "../src/model/inventory-index.js";
import { allow, deny, estate, grant, policy, principal, scope } from "./fixtures/iam-estate.js";

const A = "111111111111";
const B = "222222222222";
const OUTSIDE = "999999999999";
const SECRET = `arn:aws:secretsmanager:us-east-1:${A}:secret:db-AbCdEf`;
const KEY = `arn:aws:kms:us-east-1:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const APP = `arn:aws:iam::${A}:role/app`;
const PARTNER = `arn:aws:iam::${B}:role/partner`;
const GET = "secretsmanager:GetSecretValue";

const scopes = [
  scope("aws:organization/o-acme1", "organization", "aws"),
  scope(`aws:account/${A}`, "account", "aws", "aws:organization/o-acme1"),
  scope(`aws:account/${B}`, "account", "aws", "aws:organization/o-acme1"),
];

const role = (arn: string) => principal(arn, "aws", "role", `aws:account/${arn.split(":")[4] ?? A}`);
const when = (key: string, operator: string, values: string[]): Condition => ({ expression: `${key} ${operator} ${values.join(", ")}`, keys: [key], operator, values });

function resourcePolicy(resource: string, statements: Statement[]): Policy {
  return policy(`${resource}#policy`, "aws", "resource", statements, { attachedTo: [resource], scopeId: `aws:account/${A}` });
}

function identity(name: string, holder: string, statements: Statement[]) {
  const account = holder.split(":")[4] ?? A;
  const id = `arn:aws:iam::${account}:policy/${name}`;
  return { policy: policy(id, "aws", "managed", statements), grant: grant(`g-${name}`, "aws", "attachment", holder, id) };
}

function build(principals: ReturnType<typeof role>[], policies: Policy[], identities: ReturnType<typeof identity>[] = []): Inventory {
  return estate({ scopes, principals, policies: [...policies, ...identities.map((i) => i.policy)], grants: identities.map((i) => i.grant) });
}

function ask(inventory: Inventory, query: Parameters<typeof explainEntitlementPaths>[1]): EntitlementAnswer {
  const answer = explainEntitlementPaths(inventory, query);
  expect(entitlementAnswerSchema.parse(answer)).toEqual(answer);
  return answer;
}

const outcomes = (answer: EntitlementAnswer) => answer.paths.map((p) => [p.principalId, p.outcome, p.blockedBy?.kind ?? null]);

describe("AWS resource-based policies", () => {
  it("same account: a secret policy naming the role grants on its own, forward and reverse", () => {
    const inventory = build([role(APP)], [resourcePolicy(SECRET, [allow("AppReads", [GET], ["*"], { principals: [APP] })])]);
    const forward = ask(inventory, { principal: APP, action: GET, resource: SECRET });
    expect(outcomes(forward)).toEqual([[APP, "allowed", null]]);
    expect(forward.paths[0]?.hops.map((h) => [h.type, h.id])).toEqual([
      ["principal", APP],
      ["policy", `${SECRET}#policy`],
      ["statement", `${SECRET}#policy#AppReads`],
      ["resource", SECRET],
    ]);
    expect(outcomes(ask(inventory, { action: GET, resource: SECRET }))).toEqual([[APP, "allowed", null]]);
  });

  it("cross account: both sides must allow; the resource policy naming the other account decides it", () => {
    const partnerReads = identity("partner-reads", PARTNER, [allow("r", [GET], [SECRET])]);
    const withPolicy = build([role(PARTNER)], [resourcePolicy(SECRET, [allow("PartnerAccount", [GET], ["*"], { principals: [`arn:aws:iam::${B}:root`] })])], [partnerReads]);
    expect(outcomes(ask(withPolicy, { principal: PARTNER, action: GET, resource: SECRET }))).toEqual([[PARTNER, "allowed", null]]);
    expect(outcomes(ask(withPolicy, { action: GET, resource: SECRET }))).toEqual([[PARTNER, "allowed", null]]);

    const silent = build([role(PARTNER)], [resourcePolicy(SECRET, [allow("Other", [GET], ["*"], { principals: [APP] })])], [partnerReads]);
    const [blocked] = ask(silent, { principal: PARTNER, action: GET, resource: SECRET }).paths;
    expect(blocked?.blockedBy).toEqual({
      kind: "resource_policy",
      id: SECRET,
      description: `the resource policy of ${SECRET} (account ${A}) does not allow ${GET} to ${PARTNER}; across accounts both sides must allow`,
    });

    // Without the resource policy in the inventory the answer stays unknown, as before.
    const unknown = build([role(PARTNER)], [], [partnerReads]);
    expect(outcomes(ask(unknown, { principal: PARTNER, action: GET, resource: SECRET }))).toEqual([[PARTNER, "unknown", null]]);
  });

  it("a Deny in the resource policy wins over the identity allow", () => {
    const appReads = identity("app-reads", APP, [allow("r", [GET], [SECRET])]);
    const inventory = build([role(APP)], [resourcePolicy(SECRET, [deny("NoApp", [GET], ["*"], { principals: [APP] })])], [appReads]);
    expect(ask(inventory, { principal: APP, action: GET, resource: SECRET }).paths.map((p) => p.blockedBy)).toEqual([
      { kind: "explicit_deny", id: `${SECRET}#policy#NoApp`, description: `${SECRET}#policy#NoApp (resource policy of ${SECRET}) denies ${GET} to ${APP}` },
    ]);
  });

  it("`*` narrowed by aws:PrincipalOrgID: decided for a known caller in the organization; listed as anyone, conditional, in reverse", () => {
    const orgOnly = resourcePolicy(SECRET, [allow("Org", [GET], ["*"], { principals: ["*"], conditions: [when("aws:PrincipalOrgID", "StringEquals", ["o-acme1"])] })]);
    const inventory = build([role(PARTNER)], [orgOnly], [identity("partner-reads", PARTNER, [allow("r", [GET], [SECRET])])]);
    expect(outcomes(ask(inventory, { principal: PARTNER, action: GET, resource: SECRET }))).toEqual([[PARTNER, "allowed", null]]);
    const reverse = ask(inventory, { action: GET, resource: SECRET });
    expect(reverse.paths.map((p) => [p.principalId, p.outcome, p.hops[0]?.label, p.openConditions?.map((c) => c.expression)])).toEqual([
      [PARTNER, "allowed", `role "partner"`, undefined],
      ["*", "conditional", "anyone (*)", ["aws:PrincipalOrgID StringEquals o-acme1"]],
    ]);
  });

  it("public and outside the organization are reported distinctly", () => {
    const outsider = `arn:aws:iam::${OUTSIDE}:root`;
    const inventory = build([], [resourcePolicy(SECRET, [allow("Public", [GET], ["*"], { principals: ["*"] }), allow("Vendor", [GET], ["*"], { principals: [outsider] })])]);
    const reverse = ask(inventory, { action: GET, resource: SECRET });
    expect(reverse.paths.map((p) => [p.principalId, p.outcome, p.hops[0]?.label, p.notes])).toEqual([
      ["*", "allowed", "anyone (*)", ["public: anyone, including anonymous callers"]],
      [outsider, "unknown", `${outsider} (outside the organization)`, [`outside the organization: account ${OUTSIDE}`]],
    ]);
  });

  it("KMS: inside one account the key policy must allow, directly or by delegating to the account root", () => {
    const decrypt = identity("decrypt", APP, [allow("d", ["kms:Decrypt"], [KEY])]);
    const noDelegation = build([role(APP)], [resourcePolicy(KEY, [allow("Admins", ["kms:*"], ["*"], { principals: [`arn:aws:iam::${A}:role/key-admin`] })])], [decrypt]);
    expect(ask(noDelegation, { principal: APP, action: "kms:Decrypt", resource: KEY }).paths.map((p) => [p.outcome, p.blockedBy?.kind])).toEqual([["denied", "resource_policy"]]);
    const delegated = build([role(APP)], [resourcePolicy(KEY, [allow("EnableIam", ["kms:*"], ["*"], { principals: [`arn:aws:iam::${A}:root`] })])], [decrypt]);
    expect(outcomes(ask(delegated, { principal: APP, action: "kms:Decrypt", resource: KEY }))).toEqual([[APP, "allowed", null]]);
  });
});

describe("a secret encrypted with a customer managed key", () => {
  const encryptedSecret = (statements: Statement[]) =>
    policy(`${SECRET}#policy`, "aws", "resource", statements, { attachedTo: [SECRET], scopeId: `aws:account/${A}`, encryptionKey: KEY });
  const delegatingKey = resourcePolicy(KEY, [allow("Root", ["kms:*"], ["*"], { principals: [`arn:aws:iam::${A}:root`] })]);

  it("needs kms:Decrypt on the key as well: without it the key side blocks, with it the path is allowed", () => {
    const readsOnly = identity("reads", APP, [allow("r", [GET], [SECRET])]);
    const blocked = ask(build([role(APP)], [encryptedSecret([]), delegatingKey], [readsOnly]), { principal: APP, action: GET, resource: SECRET });
    expect(blocked.paths.map((p) => [p.outcome, p.blockedBy])).toEqual([
      ["denied", { kind: "missing_caller_permission", id: KEY, description: `${GET} on ${SECRET} also needs kms:Decrypt on its key ${KEY}, which no policy allows ${APP}` }],
    ]);
    const both = identity("reads-and-decrypts", APP, [allow("r", [GET], [SECRET]), allow("d", ["kms:Decrypt"], [KEY])]);
    expect(outcomes(ask(build([role(APP)], [encryptedSecret([]), delegatingKey], [both]), { principal: APP, action: GET, resource: SECRET }))).toEqual([[APP, "allowed", null]]);
  });

  it("without the key policy in the inventory the key side is unknown, not assumed", () => {
    const both = identity("reads-and-decrypts", APP, [allow("r", [GET], [SECRET]), allow("d", ["kms:Decrypt"], [KEY])]);
    const [path] = ask(build([role(APP)], [encryptedSecret([])], [both]), { principal: APP, action: GET, resource: SECRET }).paths;
    expect([path?.outcome, path?.unknownReason]).toEqual([
      "unknown",
      `the key policy of ${KEY}, which encrypts ${SECRET}, is not in the inventory (collect kms under providers.aws.resourcePolicies)`,
    ]);
  });
});

describe("aws:ResourceTag where the resource's tags were read", () => {
  const tagged = (tags: Record<string, string> | undefined) =>
    policy(`${SECRET}#policy`, "aws", "resource", [], { attachedTo: [SECRET], scopeId: `aws:account/${A}`, ...(tags ? { resourceTags: tags } : {}) });
  const onlyTagged = identity("tagged-reads", APP, [allow("r", [GET], ["*"], { conditions: [when("aws:ResourceTag/Environment", "StringEquals", ["production"])] })]);

  it("decides the condition: matching tag allowed, other tag or no tag no path; tags not read leave it open", () => {
    const outcomesFor = (tags: Record<string, string> | undefined) => outcomes(ask(build([role(APP)], [tagged(tags)], [onlyTagged]), { principal: APP, action: GET, resource: SECRET }));
    expect(outcomesFor({ environment: "production" })).toEqual([[APP, "allowed", null]]);
    expect(outcomesFor({ environment: "development" })).toEqual([]);
    expect(outcomesFor({})).toEqual([]);
    expect(outcomesFor(undefined)).toEqual([[APP, "conditional", null]]);
  });

  it("an SCP denying untagged reads blocks when the secret lacks the tag (a missing key fails StringEquals, so StringNotEquals holds)", () => {
    const reads = identity("reads", APP, [allow("r", [GET], ["*"])]);
    const scp = policy("scp-tags", "aws", "scp", [allow("Full", ["*"], ["*"]), deny("NeedsOwner", [GET], ["*"], { conditions: [when("aws:ResourceTag/owner", "StringNotEquals", ["payments"])] })], { attachedTo: [`aws:account/${A}`] });
    const withTags = (tags: Record<string, string>) => outcomes(ask(build([role(APP)], [tagged(tags), scp], [reads]), { principal: APP, action: GET, resource: SECRET }));
    expect(withTags({ owner: "payments" })).toEqual([[APP, "allowed", null]]);
    expect(withTags({})).toEqual([[APP, "denied", "scp"]]);
  });
});
