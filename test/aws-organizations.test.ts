/** Organizations: OU tree → scopes, SCPs with their targets, paging by NextToken, and failures as gaps. */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createAwsConnector, type AwsConnector } from "../src/providers/aws/index.js";
import { FAKE_BASE_CREDENTIALS, collectWith, countsByApi, instantRetry } from "./fakes/aws/harness.js";
import { FakeAwsServer } from "./fakes/aws/server.js";
import { BASE, DEV, PROD, READ_ROLE, smallEstate } from "./fakes/aws/small-estate.js";

const NOW = "2026-06-01T12:00:00.000Z";
const ORG = "aws:organization/o-exampleorg1";
const ORG_ROLE = `arn:aws:iam::${BASE}:role/wiam-org-read`;
const SCP_ARN = (id: string) => `arn:aws:organizations::${BASE}:policy/o-exampleorg1/service_control_policy/${id}`;

let fake: FakeAwsServer;
const connectors: AwsConnector[] = [];

beforeAll(async () => {
  const estate = smallEstate();
  estate.organization?.accounts.push({ id: "555555555555", name: "shared", parentId: "ou-ex01-workloads", email: "aws-shared@example.com" });
  fake = await FakeAwsServer.start(estate);
  process.env.AWS_ENDPOINT_URL = fake.url;
  process.env.AWS_REGION = "us-east-1";
});
afterAll(async () => fake.close());
beforeEach(() => {
  fake.resetLog();
  fake.clearFaults();
});
afterEach(() => {
  for (const connector of connectors.splice(0)) connector.close();
});

function connector(config: Parameters<typeof createAwsConnector>[0]): AwsConnector {
  const created = createAwsConnector(config, { credentials: FAKE_BASE_CREDENTIALS, now: () => new Date(NOW), caller: "analyst@example.com", retry: instantRetry() });
  connectors.push(created);
  return created;
}

describe("organization structure and SCPs", () => {
  test("maps root, OUs and accounts to scopes and SCPs to policies attached to their targets", async () => {
    const aws = connector({ accounts: [{ id: PROD, roleArn: READ_ROLE(PROD), environment: "production" }], organizations: { enabled: true, roleArn: ORG_ROLE }, cacheTtlSeconds: 0 });
    const { snapshot, operations } = await collectWith(aws, "org");
    expect(snapshot.gaps).toEqual([]);
    const listedAccounts = { source: "organizations:ListAccountsForParent", observedAt: NOW };
    const listedUnits = { source: "organizations:ListOrganizationalUnitsForParent", observedAt: NOW };
    const notCollected = (id: string, name: string, parentId: string) => ({
      id: `aws:account/${id}`,
      provider: "aws",
      kind: "account",
      name,
      parentId,
      attributes: { collected: false, state: "ACTIVE" },
      evidence: listedAccounts,
    });
    expect(snapshot.scopes).toEqual([
      { id: ORG, provider: "aws", kind: "organization", name: "o-exampleorg1 (Root)", attributes: { rootId: "r-ex01" }, evidence: { source: "organizations:ListRoots", observedAt: NOW } },
      notCollected(BASE, "management", ORG),
      { id: "aws:ou/ou-ex01-workloads", provider: "aws", kind: "folder", name: "Workloads", parentId: ORG, evidence: listedUnits },
      notCollected(DEV, "dev-apps", "aws:ou/ou-ex01-workloads"),
      notCollected("444444444444", "sandbox", "aws:ou/ou-ex01-workloads"),
      notCollected("555555555555", "shared", "aws:ou/ou-ex01-workloads"),
      { id: "aws:ou/ou-ex01-prod", provider: "aws", kind: "folder", name: "Prod", parentId: "aws:ou/ou-ex01-workloads", evidence: listedUnits },
      {
        id: `aws:account/${PROD}`,
        provider: "aws",
        kind: "account",
        name: "prod-apps",
        parentId: "aws:ou/ou-ex01-prod",
        tags: { environment: "production" },
        attributes: { collected: true, state: "ACTIVE" },
        evidence: listedAccounts,
      },
    ]);
    const scps = snapshot.policies.filter((policy) => policy.kind === "scp");
    const described = { source: "organizations:DescribePolicy", observedAt: NOW };
    expect(scps).toEqual([
      {
        id: SCP_ARN("p-FullAWSAccess"),
        provider: "aws",
        kind: "scp",
        name: "FullAWSAccess",
        scopeId: ORG,
        description: "Allows access to every operation",
        attachedTo: [ORG],
        statements: [{ id: "0", effect: "Allow", actions: ["*"], resources: ["*"] }],
        evidence: described,
      },
      {
        id: SCP_ARN("p-denyregions"),
        provider: "aws",
        kind: "scp",
        name: "DenyOtherRegions",
        scopeId: ORG,
        attachedTo: ["aws:ou/ou-ex01-workloads", `aws:account/${PROD}`],
        statements: [
          {
            id: "DenyOutsideEu",
            effect: "Deny",
            notActions: ["iam:*", "sts:*"],
            resources: ["*"],
            conditions: [{ expression: 'aws:RequestedRegion StringNotEquals ["eu-west-1","eu-central-1"]', keys: ["aws:RequestedRegion"], operator: "StringNotEquals", values: ["eu-west-1", "eu-central-1"] }],
          },
        ],
        evidence: described,
      },
    ]);
    // Organizations calls go through the organization role's own session, filed under its account.
    expect(fake.assumeRoleCalls.map((call) => call.RoleArn).sort()).toEqual([ORG_ROLE, READ_ROLE(PROD)].sort());
    expect(aws.sessionFor("org", BASE)?.roleArn).toBe(ORG_ROLE);
    const organizationCalls = operations.filter((operation) => operation.api.startsWith("organizations:"));
    expect(organizationCalls.every((operation) => operation.scopeId === `aws:account/${BASE}`)).toBe(true);
    expect(countsByApi(organizationCalls)).toEqual({
      "organizations:DescribePolicy": 2,
      "organizations:ListAccountsForParent": 4,
      "organizations:ListOrganizationalUnitsForParent": 3,
      "organizations:ListPolicies": 2,
      "organizations:ListRoots": 1,
      "organizations:ListTargetsForPolicy": 2,
    });
    // Three accounts under Workloads, two per page: the second page was requested with the token.
    expect(fake.callsOf("ListAccountsForParent").filter((request) => request.params.ParentId === "ou-ex01-workloads").map((request) => request.params.NextToken)).toEqual([
      undefined,
      "token-2",
    ]);
  });

  test("an account that is not in an organization becomes a gap; the accounts are still collected", async () => {
    fake.addFault({ action: "ListRoots", kind: "error", status: 400, code: "AWSOrganizationsNotInUseException" });
    const aws = connector({ accounts: [{ id: PROD, roleArn: READ_ROLE(PROD) }], organizations: { enabled: true } });
    const { snapshot } = await collectWith(aws, "no-org");
    expect(snapshot.gaps).toEqual([
      {
        provider: "aws",
        source: "organizations:ListRoots",
        reason: "AWSOrganizationsNotInUseException (HTTP 400): injected fault",
      },
    ]);
    expect(snapshot.scopes.map((scope) => scope.id)).toEqual([`aws:account/${PROD}`]);
    expect(snapshot.principals.length).toBeGreaterThan(0);
  });

  test("an SCP that cannot be described is a gap; the other SCPs are kept", async () => {
    fake.addFault({ action: "DescribePolicy", kind: "error", status: 400, code: "AccessDeniedException", params: { PolicyId: "p-FullAWSAccess" } });
    const aws = connector({ organizations: { enabled: true } });
    const { snapshot } = await collectWith(aws, "scp-gap");
    expect(snapshot.gaps).toEqual([
      { provider: "aws", scopeId: ORG, source: "organizations:DescribePolicy", reason: "SCP p-FullAWSAccess: AccessDeniedException (HTTP 400): injected fault" },
    ]);
    expect(snapshot.policies.map((policy) => policy.name)).toEqual(["DenyOtherRegions"]);
  });
});
