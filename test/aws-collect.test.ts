/**
 * Collection against the wire-level fake with the real SDK clients: exact mapping of a small
 * account, O(pages) calls, pagination, and the credential report's states and fallback.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createAwsConnector, type AwsConnector } from "../src/providers/aws/index.js";
import { inventorySnapshotSchema } from "../src/model/inventory.js";
import { FAKE_SIGNING_CERTIFICATE_NOT_AFTER } from "./fakes/aws/certificates.js";
import { largeAccount } from "./fakes/aws/estate.js";
import { FAKE_BASE_CREDENTIALS, byId, collectWith, countsByApi, instantRetry } from "./fakes/aws/harness.js";
import { FakeAwsServer } from "./fakes/aws/server.js";
import { BASE, BASE_IDENTITY_ARN, DEV, PROD, READ_ROLE, smallEstate } from "./fakes/aws/small-estate.js";

const NOW = "2026-06-01T12:00:00.000Z";
const REPORT_TIME = "2026-06-01T11:00:00.000Z";
const gaad = { source: "iam:GetAccountAuthorizationDetails", observedAt: NOW };
const report = { source: "iam:GetCredentialReport", observedAt: REPORT_TIME };
const scopeId = `aws:account/${PROD}`;
const arn = (resource: string) => `arn:aws:iam::${PROD}:${resource}`;

let fake: FakeAwsServer;
const connectors: AwsConnector[] = [];

beforeAll(async () => {
  fake = await FakeAwsServer.start(smallEstate());
  process.env.AWS_ENDPOINT_URL = fake.url;
  process.env.AWS_REGION = "us-east-1";
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.resetLog());
afterEach(() => {
  for (const connector of connectors.splice(0)) connector.close();
});

function connector(config: Parameters<typeof createAwsConnector>[0], now = () => new Date(NOW)): AwsConnector {
  const created = createAwsConnector(config, { credentials: FAKE_BASE_CREDENTIALS, now, caller: "analyst@example.com", retry: instantRetry() });
  connectors.push(created);
  return created;
}

describe("mapping a small account", () => {
  test("principals, credentials, policies, grants, trust edges and scope are exactly as expected", async () => {
    const aws = connector({ accounts: [{ id: PROD, name: "prod", roleArn: READ_ROLE(PROD), environment: "production" }], cacheTtlSeconds: 0 });
    const { snapshot } = await collectWith(aws, "mapping");
    expect(() => inventorySnapshotSchema.parse(snapshot)).not.toThrow();
    expect(snapshot.gaps).toEqual([]);
    expect(snapshot.scopes).toEqual([
      { id: scopeId, provider: "aws", kind: "account", name: "prod", attributes: { collected: true }, tags: { environment: "production" }, evidence: { source: "config:providers.aws.accounts", observedAt: NOW } },
    ]);

    const lifetimeNever = { coverage: "lifetime", source: "iam:GetCredentialReport", observedAt: REPORT_TIME };
    expect(byId(snapshot.principals)).toEqual([
      { id: arn("group/ops"), provider: "aws", kind: "group", workload: false, name: "ops", scopeId, uniqueId: "AGPAEXAMPLE0000000001", createdAt: "2022-01-01T00:00:00.000Z", evidence: gaad },
      {
        id: arn("oidc-provider/token.actions.githubusercontent.com"),
        provider: "aws",
        kind: "external",
        workload: true,
        name: "token.actions.githubusercontent.com",
        scopeId,
        evidence: { source: "iam:ListOpenIDConnectProviders", observedAt: NOW },
      },
      {
        id: arn("role/github-deploy"),
        provider: "aws",
        kind: "role",
        workload: true,
        name: "github-deploy",
        scopeId,
        uniqueId: "AROAEXAMPLE0000000002",
        createdAt: "2025-07-01T00:00:00.000Z",
        trustPolicyId: `${arn("role/github-deploy")}#trust`,
        lastActivity: { coverage: "window", windowDays: 400, source: "iam:GetAccountAuthorizationDetails", observedAt: NOW },
        evidence: gaad,
      },
      {
        id: arn("role/service/app-runtime"),
        provider: "aws",
        kind: "role",
        workload: true,
        name: "app-runtime",
        scopeId,
        uniqueId: "AROAEXAMPLE0000000001",
        createdAt: "2024-04-01T00:00:00.000Z",
        tags: { env: "prod" },
        permissionsBoundary: arn("policy/DeveloperBoundary"),
        trustPolicyId: `${arn("role/service/app-runtime")}#trust`,
        description: `instance profiles: ${arn("instance-profile/app-runtime-profile")}`,
        lastActivity: {
          coverage: "window",
          windowDays: 400,
          lastUsedAt: "2026-05-31T23:00:00.000Z",
          detail: "region eu-west-1",
          source: "iam:GetAccountAuthorizationDetails",
          observedAt: NOW,
        },
        evidence: gaad,
      },
      {
        id: arn("role/wiam-read"),
        provider: "aws",
        kind: "role",
        workload: true,
        name: "wiam-read",
        scopeId,
        uniqueId: "AROAEXAMPLE0000000003",
        createdAt: "2026-01-01T00:00:00.000Z",
        trustPolicyId: `${arn("role/wiam-read")}#trust`,
        lastActivity: { coverage: "window", windowDays: 400, source: "iam:GetAccountAuthorizationDetails", observedAt: NOW },
        evidence: gaad,
      },
      {
        id: arn("saml-provider/corp-idp"),
        provider: "aws",
        kind: "external",
        workload: false,
        name: "corp-idp",
        scopeId,
        createdAt: "2023-01-01T00:00:00.000Z",
        evidence: { source: "iam:ListSAMLProviders", observedAt: NOW },
      },
      {
        id: arn("user/alice"),
        provider: "aws",
        kind: "user",
        workload: false,
        name: "alice",
        scopeId,
        uniqueId: "AIDAEXAMPLE0000000002",
        createdAt: "2022-01-01T00:00:00.000Z",
        memberOf: [arn("group/ops")],
        evidence: gaad,
      },
      {
        id: arn("user/automation/ci-deployer"),
        provider: "aws",
        kind: "service_account",
        workload: true,
        name: "ci-deployer",
        scopeId,
        uniqueId: "AIDAEXAMPLE0000000001",
        createdAt: "2023-03-01T00:00:00.000Z",
        tags: { owner: "platform" },
        memberOf: [arn("group/ops")],
        permissionsBoundary: arn("policy/DeveloperBoundary"),
        evidence: gaad,
      },
    ]);

    expect(byId(snapshot.credentials)).toEqual([
      {
        id: "ASCAEXAMPLE0000000001",
        provider: "aws",
        kind: "certificate",
        principalId: arn("user/automation/ci-deployer"),
        scopeId,
        name: "signing certificate",
        status: "active",
        createdAt: "2026-01-01T00:00:00.000Z",
        expiresAt: FAKE_SIGNING_CERTIFICATE_NOT_AFTER,
        algorithm: "rsa-2048",
        evidence: { source: "iam:ListSigningCertificates", observedAt: NOW },
      },
      {
        id: `${arn("root")}#access_key_1`,
        provider: "aws",
        kind: "access_key",
        principalId: arn("root"),
        scopeId,
        name: "access key 1",
        status: "active",
        createdAt: "2019-01-01T00:00:00.000Z",
        lastRotatedAt: "2019-01-01T00:00:00.000Z",
        lastActivity: lifetimeNever,
        evidence: report,
      },
      {
        id: `${arn("saml-provider/corp-idp")}#metadata`,
        provider: "aws",
        kind: "certificate",
        principalId: arn("saml-provider/corp-idp"),
        scopeId,
        name: "SAML metadata",
        status: "active",
        expiresAt: "2027-01-01T00:00:00.000Z",
        evidence: { source: "iam:ListSAMLProviders", observedAt: NOW },
      },
      {
        id: arn("server-certificate/legacy-tls"),
        provider: "aws",
        kind: "certificate",
        scopeId,
        name: "legacy-tls",
        status: "active",
        createdAt: "2021-06-01T00:00:00.000Z",
        expiresAt: "2026-07-01T00:00:00.000Z",
        evidence: { source: "iam:ListServerCertificates", observedAt: NOW },
      },
      {
        id: `${arn("user/alice")}#password`,
        provider: "aws",
        kind: "password",
        principalId: arn("user/alice"),
        scopeId,
        name: "console password (MFA on)",
        status: "active",
        lastRotatedAt: "2026-01-15T00:00:00.000Z",
        lastActivity: { ...lifetimeNever, lastUsedAt: "2026-05-20T09:00:00.000Z" },
        evidence: report,
      },
      {
        id: `${arn("user/automation/ci-deployer")}#access_key_1`,
        provider: "aws",
        kind: "access_key",
        principalId: arn("user/automation/ci-deployer"),
        scopeId,
        name: "access key 1",
        status: "active",
        createdAt: "2025-01-10T00:00:00.000Z",
        lastRotatedAt: "2025-01-10T00:00:00.000Z",
        lastActivity: { ...lifetimeNever, lastUsedAt: "2026-05-30T08:00:00.000Z", detail: "lambda in us-east-1" },
        evidence: report,
      },
      {
        id: `${arn("user/automation/ci-deployer")}#access_key_2`,
        provider: "aws",
        kind: "access_key",
        principalId: arn("user/automation/ci-deployer"),
        scopeId,
        name: "access key 2",
        status: "inactive",
        createdAt: "2024-02-01T00:00:00.000Z",
        lastRotatedAt: "2024-02-01T00:00:00.000Z",
        lastActivity: lifetimeNever,
        evidence: report,
      },
    ]);

    const all = ["*"];
    expect(byId(snapshot.policies)).toEqual([
      {
        id: `${arn("group/ops")}#inline/ops-extra`,
        provider: "aws",
        kind: "inline",
        name: "ops-extra",
        scopeId,
        statements: [{ id: "0", effect: "Allow", actions: ["cloudwatch:GetMetricData"], resources: all }],
        evidence: gaad,
      },
      {
        id: arn("policy/DeveloperBoundary"),
        provider: "aws",
        kind: "boundary",
        name: "DeveloperBoundary",
        scopeId,
        statements: [
          { id: "NoIam", effect: "Deny", actions: ["iam:*"], resources: all },
          { id: "Rest", effect: "Allow", actions: all, resources: all },
        ],
        evidence: gaad,
      },
      {
        id: arn("policy/ReadReports"),
        provider: "aws",
        kind: "managed",
        name: "ReadReports",
        scopeId,
        description: "Read the reports bucket",
        statements: [
          { id: "Read", effect: "Allow", actions: ["s3:GetObject"], resources: ["arn:aws:s3:::reports/*"] },
          { id: "1", effect: "Deny", notActions: ["s3:GetObject"], notResources: ["arn:aws:s3:::reports/*"] },
        ],
        evidence: gaad,
      },
      {
        id: `${arn("role/github-deploy")}#inline/deploy`,
        provider: "aws",
        kind: "inline",
        name: "deploy",
        scopeId,
        statements: [{ id: "0", effect: "Allow", actions: ["cloudformation:*"], resources: all }],
        evidence: gaad,
      },
      {
        id: `${arn("role/github-deploy")}#trust`,
        provider: "aws",
        kind: "trust",
        name: "github-deploy trust policy",
        scopeId,
        statements: [
          {
            id: "0",
            effect: "Allow",
            actions: ["sts:AssumeRoleWithWebIdentity"],
            principals: [`federated:${arn("oidc-provider/token.actions.githubusercontent.com")}`],
            conditions: [
              { expression: "token.actions.githubusercontent.com:sub StringLike repo:example-org/app:*", keys: ["token.actions.githubusercontent.com:sub"], operator: "StringLike", values: ["repo:example-org/app:*"] },
              { expression: "token.actions.githubusercontent.com:aud StringEquals sts.amazonaws.com", keys: ["token.actions.githubusercontent.com:aud"], operator: "StringEquals", values: ["sts.amazonaws.com"] },
            ],
          },
        ],
        evidence: gaad,
      },
      {
        id: `${arn("role/service/app-runtime")}#trust`,
        provider: "aws",
        kind: "trust",
        name: "app-runtime trust policy",
        scopeId,
        statements: [
          { id: "Lambda", effect: "Allow", actions: ["sts:AssumeRole"], principals: ["service:lambda.amazonaws.com"] },
          {
            id: "Partner",
            effect: "Allow",
            actions: ["sts:AssumeRole", "sts:TagSession"],
            principals: [`arn:aws:iam::${DEV}:root`, "arn:aws:iam::333333333333:role/ops"],
            conditions: [{ expression: "sts:ExternalId StringEquals partner-EXAMPLE", keys: ["sts:ExternalId"], operator: "StringEquals", values: ["partner-EXAMPLE"] }],
          },
          { id: "Tagging", effect: "Allow", actions: ["sts:TagSession"], principals: ["*"] },
          { id: "3", effect: "Deny", actions: ["sts:AssumeRole"], principals: ["*"], conditions: [{ expression: "aws:SecureTransport Bool false", keys: ["aws:SecureTransport"], operator: "Bool", values: ["false"] }] },
        ],
        evidence: gaad,
      },
      {
        id: `${arn("role/wiam-read")}#trust`,
        provider: "aws",
        kind: "trust",
        name: "wiam-read trust policy",
        scopeId,
        statements: [{ id: "0", effect: "Allow", actions: ["sts:AssumeRole", "sts:SetSourceIdentity"], principals: [`arn:aws:iam::${BASE}:root`] }],
        evidence: gaad,
      },
      {
        id: `${arn("user/automation/ci-deployer")}#inline/deploy`,
        provider: "aws",
        kind: "inline",
        name: "deploy",
        scopeId,
        statements: [
          {
            id: "Deploy",
            effect: "Allow",
            actions: ["lambda:UpdateFunctionCode"],
            resources: [`arn:aws:lambda:us-east-1:${PROD}:function:app`],
            conditions: [
              { expression: 'aws:SourceIp IpAddress ["10.0.0.0/8","192.168.0.0/16"]', keys: ["aws:SourceIp"], operator: "IpAddress", values: ["10.0.0.0/8", "192.168.0.0/16"] },
              { expression: "aws:SecureTransport Bool true", keys: ["aws:SecureTransport"], operator: "Bool", values: ["true"] },
            ],
          },
        ],
        evidence: gaad,
      },
      {
        id: "arn:aws:iam::aws:policy/ReadOnlyAccess",
        provider: "aws",
        kind: "managed",
        name: "ReadOnlyAccess",
        statements: [{ id: "0", effect: "Allow", actions: ["s3:Get*", "ec2:Describe*"], resources: all }],
        evidence: gaad,
      },
    ]);

    const grant = (principal: string, kind: "attachment" | "inline", policyId: string, id: string) => ({ id, provider: "aws", kind, principalId: principal, policyId, evidence: gaad });
    expect(byId(snapshot.grants).map((g) => JSON.parse(JSON.stringify(g)))).toEqual([
      grant(arn("group/ops"), "attachment", "arn:aws:iam::aws:policy/ReadOnlyAccess", `${arn("group/ops")}#attachment/arn:aws:iam::aws:policy/ReadOnlyAccess`),
      grant(arn("group/ops"), "inline", `${arn("group/ops")}#inline/ops-extra`, `${arn("group/ops")}#inline/ops-extra`),
      grant(arn("role/github-deploy"), "inline", `${arn("role/github-deploy")}#inline/deploy`, `${arn("role/github-deploy")}#inline/deploy`),
      grant(arn("role/service/app-runtime"), "attachment", arn("policy/ReadReports"), `${arn("role/service/app-runtime")}#attachment/${arn("policy/ReadReports")}`),
      grant(arn("role/wiam-read"), "attachment", "arn:aws:iam::aws:policy/ReadOnlyAccess", `${arn("role/wiam-read")}#attachment/arn:aws:iam::aws:policy/ReadOnlyAccess`),
      grant(arn("user/automation/ci-deployer"), "inline", `${arn("user/automation/ci-deployer")}#inline/deploy`, `${arn("user/automation/ci-deployer")}#inline/deploy`),
    ]);

    const runtimeTrust = `${arn("role/service/app-runtime")}#trust`;
    const partnerCondition = [{ expression: "sts:ExternalId StringEquals partner-EXAMPLE", keys: ["sts:ExternalId"], operator: "StringEquals", values: ["partner-EXAMPLE"] }];
    expect(byId(snapshot.trustEdges)).toEqual([
      {
        id: `${arn("role/github-deploy")}#trust/0/federated:${arn("oidc-provider/token.actions.githubusercontent.com")}`,
        provider: "aws",
        kind: "federation",
        from: `federated:${arn("oidc-provider/token.actions.githubusercontent.com")}`,
        to: arn("role/github-deploy"),
        policyId: `${arn("role/github-deploy")}#trust`,
        statementId: "0",
        conditions: [
          { expression: "token.actions.githubusercontent.com:sub StringLike repo:example-org/app:*", keys: ["token.actions.githubusercontent.com:sub"], operator: "StringLike", values: ["repo:example-org/app:*"] },
          { expression: "token.actions.githubusercontent.com:aud StringEquals sts.amazonaws.com", keys: ["token.actions.githubusercontent.com:aud"], operator: "StringEquals", values: ["sts.amazonaws.com"] },
        ],
        evidence: gaad,
      },
      {
        id: `${runtimeTrust}/Lambda/service:lambda.amazonaws.com`,
        provider: "aws",
        kind: "assume_role",
        from: "service:lambda.amazonaws.com",
        to: arn("role/service/app-runtime"),
        policyId: runtimeTrust,
        statementId: "Lambda",
        evidence: gaad,
      },
      {
        id: `${runtimeTrust}/Partner/arn:aws:iam::${DEV}:root`,
        provider: "aws",
        kind: "assume_role",
        from: `arn:aws:iam::${DEV}:root`,
        to: arn("role/service/app-runtime"),
        policyId: runtimeTrust,
        statementId: "Partner",
        conditions: partnerCondition,
        evidence: gaad,
      },
      {
        id: `${runtimeTrust}/Partner/arn:aws:iam::333333333333:role/ops`,
        provider: "aws",
        kind: "assume_role",
        from: "arn:aws:iam::333333333333:role/ops",
        to: arn("role/service/app-runtime"),
        policyId: runtimeTrust,
        statementId: "Partner",
        conditions: partnerCondition,
        evidence: gaad,
      },
      {
        id: `${arn("role/wiam-read")}#trust/0/arn:aws:iam::${BASE}:root`,
        provider: "aws",
        kind: "assume_role",
        from: `arn:aws:iam::${BASE}:root`,
        to: arn("role/wiam-read"),
        policyId: `${arn("role/wiam-read")}#trust`,
        statementId: "0",
        evidence: gaad,
      },
    ]);
  });

  test("calls are few and recorded per API and account with their request ids", async () => {
    // A fresh fake, so the credential report has to be generated (two polls) rather than reused.
    const local = await FakeAwsServer.start(smallEstate());
    process.env.AWS_ENDPOINT_URL = local.url;
    const aws = connector({ accounts: [{ id: PROD, roleArn: READ_ROLE(PROD) }] });
    const { operations, progress } = await collectWith(aws, "calls").finally(async () => {
      process.env.AWS_ENDPOINT_URL = fake.url;
      await local.close();
    });
    expect(countsByApi(operations)).toEqual({
      "iam:GenerateCredentialReport": 3,
      "iam:GetAccountAuthorizationDetails": 1,
      "iam:GetCredentialReport": 1,
      "iam:ListOpenIDConnectProviders": 1,
      "iam:ListSAMLProviders": 1,
      "iam:ListServerCertificates": 1,
      "iam:ListSigningCertificates": 1,
      "sts:AssumeRole": 1,
    });
    for (const operation of operations) {
      expect(operation).toMatchObject({ provider: "aws", scopeId });
      expect(operation.requestIds).toHaveLength(operation.count);
      expect(operation.requestIds?.every((id) => /^fake-request-\d{8}$/.test(id))).toBe(true);
    }
    // Request ids are the ones the fake sent in x-amzn-RequestId, i.e. joinable with its log.
    expect(new Set(operations.flatMap((operation) => operation.requestIds ?? [])).size).toBe(local.requests.length);
    expect(local.requests.length).toBe(10);
    expect(progress.at(-1)).toEqual({ done: 1, total: 1, message: `${scopeId}: collected via session wiam-calls of ${READ_ROLE(PROD)}` });
  });

  test("signing certificates are listed only for users the report shows holding one", async () => {
    const aws = connector({ accounts: [{ id: PROD, roleArn: READ_ROLE(PROD) }] });
    await collectWith(aws, "signing");
    expect(fake.callsOf("ListSigningCertificates").map((request) => request.params.UserName)).toEqual(["ci-deployer"]);
  });
});

describe("pagination", () => {
  let big: FakeAwsServer;
  beforeAll(async () => {
    const account = largeAccount("555555555555", { roles: 250, users: 120 });
    account.roles.push({ name: "wiam-read", id: "AROAEXAMPLEBIGREAD001", created: "2024-01-01T00:00:00Z", trust: { Version: "2012-10-17", Statement: [] } });
    account.serverCertificates = Array.from({ length: 2500 }, (_, index) => ({
      name: `tls-${index}`,
      id: `ASCAEXAMPLE${String(index).padStart(10, "0")}`,
      uploaded: "2024-01-01T00:00:00Z",
      expiration: "2027-01-01T00:00:00Z",
    }));
    big = await FakeAwsServer.start({ accounts: { "555555555555": account }, baseAccountId: BASE, baseIdentityArn: BASE_IDENTITY_ARN });
  });
  afterAll(async () => big.close());

  test("follows every Marker page of authorization details and server certificates, asking for 1000 items a page", async () => {
    process.env.AWS_ENDPOINT_URL = big.url;
    try {
      const aws = connector({ accounts: [{ id: "555555555555", roleArn: "arn:aws:iam::555555555555:role/wiam-read" }] });
      const { snapshot } = await collectWith(aws, "paging");
      // 250 + 1 roles + 120 users + 20 groups + 50 policies = 441 items, served 1000 at a time: one page.
      expect(big.callsOf("GetAccountAuthorizationDetails").map((request) => request.params.MaxItems)).toEqual(["1000"]);
      // 2500 certificates: three pages, and every certificate is in the inventory.
      expect(big.callsOf("ListServerCertificates").map((request) => request.params.Marker ?? "first")).toHaveLength(3);
      expect(snapshot.credentials.filter((credential) => credential.id.includes(":server-certificate/"))).toHaveLength(2500);
      expect(snapshot.principals.filter((principal) => principal.kind === "role")).toHaveLength(251);
      expect(snapshot.gaps).toEqual([]);
    } finally {
      process.env.AWS_ENDPOINT_URL = fake.url;
    }
  });
});

describe("credential report states", () => {
  async function collectProdWith(behaviour: NonNullable<ReturnType<typeof smallEstate>["accounts"][string]["credentialReport"]>, pollAttempts = 10) {
    const estate = smallEstate();
    const account = estate.accounts[PROD];
    if (!account) throw new Error("fixture");
    account.credentialReport = { generatedAt: "2026-06-01T11:00:00Z", ...behaviour };
    const local = await FakeAwsServer.start(estate);
    process.env.AWS_ENDPOINT_URL = local.url;
    try {
      const aws = connector({ accounts: [{ id: PROD, roleArn: READ_ROLE(PROD) }], credentialReportPollAttempts: pollAttempts });
      const collected = await collectWith(aws, "report");
      return { ...collected, fake: local };
    } finally {
      process.env.AWS_ENDPOINT_URL = fake.url;
      await local.close();
    }
  }

  test("STARTED → INPROGRESS → COMPLETE: polls Generate until complete, then downloads once", async () => {
    const { snapshot, fake: local } = await collectProdWith({ pendingGenerates: 3 });
    expect(local.callsOf("GenerateCredentialReport")).toHaveLength(4);
    expect(local.callsOf("GetCredentialReport")).toHaveLength(1);
    expect(snapshot.credentials.filter((credential) => credential.kind === "access_key")).toHaveLength(3);
    expect(snapshot.gaps).toEqual([]);
  });

  test("an expired or missing report is generated again once", async () => {
    const { snapshot, fake: local } = await collectProdWith({ pendingGenerates: 0, getErrors: ["ReportExpired"] });
    expect(local.requests.filter((request) => request.action.endsWith("CredentialReport")).map((request) => request.action)).toEqual([
      "GenerateCredentialReport",
      "GetCredentialReport",
      "GenerateCredentialReport",
      "GenerateCredentialReport",
      "GetCredentialReport",
    ]);
    expect(snapshot.gaps).toEqual([]);
  });

  test("a report still in progress at download is polled again", async () => {
    const { snapshot, fake: local } = await collectProdWith({ pendingGenerates: 0, getErrors: ["ReportInProgress"] });
    expect(local.callsOf("GetCredentialReport")).toHaveLength(2);
    expect(snapshot.gaps).toEqual([]);
  });

  test("a report that never completes stops after the poll budget and falls back to per-user calls, noted as a gap", async () => {
    const { snapshot, fake: local } = await collectProdWith({ pendingGenerates: 1000 }, 4);
    expect(local.callsOf("GenerateCredentialReport")).toHaveLength(4);
    expect(snapshot.gaps).toEqual([
      {
        provider: "aws",
        scopeId,
        source: "iam:GetCredentialReport",
        reason:
          "credential report unavailable (CredentialReportUnavailable: report still INPROGRESS after 4 polls); fell back to ListAccessKeys, GetAccessKeyLastUsed, GetLoginProfile and ListSigningCertificates per user",
      },
    ]);
  });

  test("without report permission: keys by id with their last use, passwords from login profiles", async () => {
    const { snapshot, fake: local } = await collectProdWith({ denied: true });
    expect(snapshot.gaps?.map((gap) => gap.source)).toEqual(["iam:GetCredentialReport"]);
    expect(snapshot.gaps?.[0]?.reason).toMatch(/^credential report unavailable \(AccessDenied.*\(HTTP 403\)/);
    expect(local.callsOf("ListAccessKeys").map((request) => request.params.UserName).sort()).toEqual(["alice", "ci-deployer"]);
    expect(local.callsOf("GetAccessKeyLastUsed").map((request) => request.params.AccessKeyId).sort()).toEqual(["AKIAEXAMPLE000000001", "AKIAEXAMPLE000000002"]);
    expect(local.callsOf("GetLoginProfile")).toHaveLength(2);
    const credentials = byId(snapshot.credentials.filter((credential) => credential.kind !== "certificate"));
    expect(credentials).toEqual([
      {
        id: "AKIAEXAMPLE000000001",
        provider: "aws",
        kind: "access_key",
        principalId: arn("user/automation/ci-deployer"),
        scopeId,
        status: "active",
        createdAt: "2025-01-10T00:00:00.000Z",
        lastRotatedAt: "2025-01-10T00:00:00.000Z",
        lastActivity: { coverage: "lifetime", source: "iam:GetAccessKeyLastUsed", observedAt: NOW, lastUsedAt: "2026-05-30T08:00:00.000Z", detail: "lambda in us-east-1" },
        evidence: { source: "iam:ListAccessKeys", observedAt: NOW },
      },
      {
        id: "AKIAEXAMPLE000000002",
        provider: "aws",
        kind: "access_key",
        principalId: arn("user/automation/ci-deployer"),
        scopeId,
        status: "inactive",
        createdAt: "2024-02-01T00:00:00.000Z",
        lastRotatedAt: "2024-02-01T00:00:00.000Z",
        lastActivity: { coverage: "lifetime", source: "iam:GetAccessKeyLastUsed", observedAt: NOW },
        evidence: { source: "iam:ListAccessKeys", observedAt: NOW },
      },
      {
        id: `${arn("user/alice")}#password`,
        provider: "aws",
        kind: "password",
        principalId: arn("user/alice"),
        scopeId,
        name: "console password",
        status: "active",
        createdAt: "2022-01-01T00:00:00.000Z",
        evidence: { source: "iam:GetLoginProfile", observedAt: NOW },
      },
    ]);
    const workloads = Object.fromEntries(snapshot.principals.filter((principal) => principal.id.includes(":user/")).map((principal) => [principal.name, principal.workload]));
    expect(workloads).toEqual({ "ci-deployer": true, alice: false });
  });
});
