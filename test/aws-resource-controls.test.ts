/**
 * Resource control policies: collected from Organizations (ListPolicies with the
 * RESOURCE_CONTROL_POLICY filter, against the wire-level fake) as policies of kind `rcp`, and
 * applied to the resource side of every hop: a Deny blocks (kind `rcp`), conditions on who asks are
 * decided, and role assumption is a hop they cap too.
 * https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entitlementAnswerSchema, explainEntitlementPaths } from "../src/analysis/entitlements/index.js";
import type { EntitlementAnswer } from "../src/analysis/entitlements/index.js";
import type { Condition, Policy, Statement } from "../src/model/inventory.js";
import type { Inventory } from "../src/model/inventory-index.js";
import { createAwsConnector } from "../src/providers/aws/index.js";
import { FAKE_BASE_CREDENTIALS, collectWith, instantRetry } from "./fakes/aws/harness.js";
import { FakeAwsServer } from "./fakes/aws/server.js";
import { BASE, PROD, READ_ROLE, smallEstate } from "./fakes/aws/small-estate.js";
import { allow, deny, estate, grant, policy, principal, scope, trust } from "./fixtures/iam-estate.js";

const when = (key: string, operator: string, values: string[]): Condition => ({ expression: `${key} ${operator} ${values.join(", ")}`, keys: [key], operator, values });

describe("collection", () => {
  let fake: FakeAwsServer;
  beforeAll(async () => {
    const fakeEstate = smallEstate();
    const organization = fakeEstate.organization;
    if (!organization) throw new Error("the small estate has an organization");
    organization.rcps = [
      {
        id: "p-rcp00001",
        name: "org-only-data",
        description: "Data stays inside the organization",
        content: {
          Version: "2012-10-17",
          Statement: [
            { Sid: "OrgOnly", Effect: "Deny", Principal: "*", Action: ["s3:*", "secretsmanager:*"], Resource: "*", Condition: { StringNotEqualsIfExists: { "aws:PrincipalOrgID": "o-exampleorg1" } } },
          ],
        },
        targets: ["r-ex01"],
      },
    ];
    fake = await FakeAwsServer.start(fakeEstate);
    process.env.AWS_ENDPOINT_URL = fake.url;
    process.env.AWS_REGION = "us-east-1";
  });
  afterAll(async () => fake.close());

  it("reads RCPs next to SCPs and attaches them to their targets", async () => {
    const aws = createAwsConnector(
      { accounts: [{ id: PROD, roleArn: READ_ROLE(PROD) }], organizations: { enabled: true, roleArn: `arn:aws:iam::${BASE}:role/wiam-org-read` }, cacheTtlSeconds: 0 },
      { credentials: FAKE_BASE_CREDENTIALS, now: () => new Date("2026-06-01T12:00:00.000Z"), caller: "analyst@example.com", retry: instantRetry() },
    );
    try {
      const { snapshot } = await collectWith(aws, "rcp");
      const rcps = snapshot.policies.filter((p) => p.kind === "rcp");
      expect(rcps.map((p) => [p.id, p.name, p.attachedTo, p.statements.map((s) => [s.id, s.effect, s.principals, s.conditions?.map((c) => c.operator)])])).toEqual([
        [
          `arn:aws:organizations::${BASE}:policy/o-exampleorg1/resource_control_policy/p-rcp00001`,
          "org-only-data",
          ["aws:organization/o-exampleorg1"],
          [["OrgOnly", "Deny", ["*"], ["StringNotEqualsIfExists"]]],
        ],
      ]);
    } finally {
      aws.close();
    }
  });
});

describe("evaluation", () => {
  const A = "111111111111";
  const B = "222222222222";
  const OUT = "999999999999";
  const SECRET = `arn:aws:secretsmanager:us-east-1:${A}:secret:db-AbCdEf`;
  const GET = "secretsmanager:GetSecretValue";
  const INSIDER = `arn:aws:iam::${A}:role/app`;
  const OUTSIDER = `arn:aws:iam::${OUT}:role/vendor`;
  const TARGET = `arn:aws:iam::${A}:role/target`;
  const CALLER_B = `arn:aws:iam::${B}:role/caller`;

  const scopes = [
    scope("aws:organization/o-acme1", "organization", "aws"),
    scope(`aws:account/${A}`, "account", "aws", "aws:organization/o-acme1"),
    scope(`aws:account/${B}`, "account", "aws", "aws:organization/o-acme1"),
    scope(`aws:account/${OUT}`, "account", "aws"),
  ];
  const role = (arn: string, extra = {}) => principal(arn, "aws", "role", `aws:account/${arn.split(":")[4] ?? A}`, extra);
  const rcp = (statements: Statement[]): Policy =>
    policy("arn:aws:organizations::111111111111:policy/o-acme1/resource_control_policy/p-1", "aws", "rcp", statements, { attachedTo: ["aws:organization/o-acme1"] });
  const orgOnly = rcp([allow("all", ["*"], ["*"], { principals: ["*"] }), deny("OrgOnly", ["secretsmanager:*"], ["*"], { principals: ["*"], conditions: [when("aws:PrincipalOrgID", "StringNotEqualsIfExists", ["o-acme1"])] })]);

  function identity(holder: string, statements: Statement[]) {
    const id = `${holder}#inline/p`;
    return { policy: policy(id, "aws", "inline", statements), grant: grant(`g-${holder}`, "aws", "inline", holder, id) };
  }

  function ask(inventory: Inventory, query: Parameters<typeof explainEntitlementPaths>[1]): EntitlementAnswer {
    const answer = explainEntitlementPaths(inventory, query);
    expect(entitlementAnswerSchema.parse(answer)).toEqual(answer);
    return answer;
  }

  it("an RCP Deny on principals outside the organization: the insider is allowed, a known outsider is blocked", () => {
    const insider = identity(INSIDER, [allow("r", [GET], [SECRET])]);
    const outsider = identity(OUTSIDER, [allow("r", [GET], [SECRET])]);
    const secretPolicy = policy(`${SECRET}#policy`, "aws", "resource", [allow("Vendor", [GET], ["*"], { principals: [OUTSIDER] })], { attachedTo: [SECRET], scopeId: `aws:account/${A}` });
    const inventory = estate({ scopes, principals: [role(INSIDER), role(OUTSIDER)], policies: [orgOnly, secretPolicy, insider.policy, outsider.policy], grants: [insider.grant, outsider.grant] });
    expect(ask(inventory, { principal: INSIDER, action: GET, resource: SECRET }).paths.map((p) => [p.outcome, p.blockedBy?.kind])).toEqual([["allowed", undefined]]);
    // The outsider's account sits in no organization the inventory holds, so its aws:PrincipalOrgID is unknown: the deny stays open.
    const [vendor] = ask(inventory, { principal: OUTSIDER, action: GET, resource: SECRET }).paths;
    expect(vendor?.outcome).toBe("conditional");
    expect(vendor?.notes).toContain(`${orgOnly.id}#OrgOnly (RCP) denies this when its condition holds`);
  });

  it("an RCP denying sts:AssumeRole from other accounts blocks the hop", () => {
    const noForeignAssume = rcp([
      allow("all", ["*"], ["*"], { principals: ["*"] }),
      deny("SameAccountOnly", ["sts:AssumeRole"], ["*"], { principals: ["*"], conditions: [when("aws:PrincipalAccount", "StringNotEquals", [A])] }),
    ]);
    const assume = identity(CALLER_B, [allow("a", ["sts:AssumeRole"], [TARGET])]);
    const inventory = estate({
      scopes,
      principals: [role(CALLER_B), role(TARGET)],
      policies: [noForeignAssume, assume.policy],
      grants: [assume.grant],
      trustEdges: [trust("t-b", "aws", "assume_role", `arn:aws:iam::${B}:root`, TARGET)],
    });
    const hop = ask(inventory, { principal: CALLER_B, action: "sts:AssumeRole", resource: TARGET }).paths;
    expect(hop.map((p) => [p.outcome, p.blockedBy])).toEqual([
      ["denied", { kind: "rcp", id: `${noForeignAssume.id}#SameAccountOnly`, description: `${noForeignAssume.id}#SameAccountOnly (resource control policy at aws:organization/o-acme1) denies sts:AssumeRole on ${TARGET}` }],
    ]);
  });
});
