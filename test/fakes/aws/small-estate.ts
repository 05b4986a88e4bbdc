/** A small, fully specified account (and organization) whose mapping tests assert exactly. */
import { FAKE_SIGNING_CERTIFICATE_PEM } from "./certificates.js";
import type { FakeAccount, FakeEstate, FakeManagedPolicy } from "./estate.js";

export const PROD = "111111111111";
export const DEV = "222222222222";
export const BASE = "999999999999";
export const BASE_IDENTITY_ARN = `arn:aws:iam::${BASE}:user/wiam-collector`;
export const READ_ROLE = (account: string) => `arn:aws:iam::${account}:role/wiam-read`;

const V = "2012-10-17";

export function smallProdAccount(): FakeAccount {
  const readReports: FakeManagedPolicy = {
    arn: `arn:aws:iam::${PROD}:policy/ReadReports`,
    name: "ReadReports",
    id: "ANPAEXAMPLE0000000001",
    description: "Read the reports bucket",
    olderVersions: [{ Version: V, Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }],
    document: {
      Version: V,
      Statement: [
        { Sid: "Read", Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::reports/*" },
        { Effect: "Deny", NotAction: "s3:GetObject", NotResource: ["arn:aws:s3:::reports/*"] },
      ],
    },
  };
  const readOnlyAccess: FakeManagedPolicy = {
    arn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
    name: "ReadOnlyAccess",
    id: "ANPAEXAMPLE0000000002",
    document: { Version: V, Statement: { Effect: "Allow", Action: ["s3:Get*", "ec2:Describe*"], Resource: "*" } },
  };
  const boundary: FakeManagedPolicy = {
    arn: `arn:aws:iam::${PROD}:policy/DeveloperBoundary`,
    name: "DeveloperBoundary",
    id: "ANPAEXAMPLE0000000003",
    document: {
      Version: V,
      Statement: [
        { Sid: "NoIam", Effect: "Deny", Action: "iam:*", Resource: "*" },
        { Sid: "Rest", Effect: "Allow", Action: "*", Resource: "*" },
      ],
    },
  };
  return {
    id: PROD,
    policies: [readReports, readOnlyAccess, boundary],
    groups: [
      {
        name: "ops",
        id: "AGPAEXAMPLE0000000001",
        created: "2022-01-01T00:00:00Z",
        attached: [readOnlyAccess.arn],
        inline: [{ name: "ops-extra", document: { Version: V, Statement: [{ Effect: "Allow", Action: "cloudwatch:GetMetricData", Resource: "*" }] } }],
      },
    ],
    users: [
      {
        name: "ci-deployer",
        id: "AIDAEXAMPLE0000000001",
        path: "/automation/",
        created: "2023-03-01T00:00:00Z",
        groups: ["ops"],
        inline: [
          {
            name: "deploy",
            document: {
              Version: V,
              Statement: [
                {
                  Sid: "Deploy",
                  Effect: "Allow",
                  Action: "lambda:UpdateFunctionCode",
                  Resource: `arn:aws:lambda:us-east-1:${PROD}:function:app`,
                  Condition: { IpAddress: { "aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"] }, Bool: { "aws:SecureTransport": true } },
                },
              ],
            },
          },
        ],
        boundary: boundary.arn,
        tags: { owner: "platform" },
        accessKeys: [
          { id: "AKIAEXAMPLE000000001", status: "Active", created: "2025-01-10T00:00:00Z", lastUsed: { date: "2026-05-30T08:00:00Z", service: "lambda", region: "us-east-1" } },
          { id: "AKIAEXAMPLE000000002", status: "Inactive", created: "2024-02-01T00:00:00Z" },
        ],
        signingCertificates: [{ id: "ASCAEXAMPLE0000000001", body: FAKE_SIGNING_CERTIFICATE_PEM, status: "Active", uploaded: "2026-01-01T00:00:00Z" }],
      },
      {
        name: "alice",
        id: "AIDAEXAMPLE0000000002",
        created: "2022-01-01T00:00:00Z",
        groups: ["ops"],
        password: { created: "2022-01-01T00:00:00Z", lastUsed: "2026-05-20T09:00:00Z", lastChanged: "2026-01-15T00:00:00Z" },
        mfa: true,
      },
    ],
    roles: [
      {
        name: "app-runtime",
        id: "AROAEXAMPLE0000000001",
        path: "/service/",
        created: "2024-04-01T00:00:00Z",
        trust: {
          Version: V,
          Statement: [
            { Sid: "Lambda", Effect: "Allow", Principal: { Service: ["lambda.amazonaws.com"] }, Action: "sts:AssumeRole" },
            {
              Sid: "Partner",
              Effect: "Allow",
              Principal: { AWS: [DEV, "arn:aws:iam::333333333333:role/ops"] },
              Action: ["sts:AssumeRole", "sts:TagSession"],
              Condition: { StringEquals: { "sts:ExternalId": "partner-EXAMPLE" } },
            },
            { Sid: "Tagging", Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:TagSession" },
            { Effect: "Deny", Principal: "*", Action: "sts:AssumeRole", Condition: { Bool: { "aws:SecureTransport": "false" } } },
          ],
        },
        attached: [readReports.arn],
        boundary: boundary.arn,
        tags: { env: "prod" },
        lastUsed: { date: "2026-05-31T23:00:00Z", region: "eu-west-1" },
        instanceProfiles: ["app-runtime-profile"],
      },
      {
        name: "github-deploy",
        id: "AROAEXAMPLE0000000002",
        created: "2025-07-01T00:00:00Z",
        trust: {
          Version: V,
          Statement: {
            Effect: "Allow",
            Principal: { Federated: `arn:aws:iam::${PROD}:oidc-provider/token.actions.githubusercontent.com` },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringLike: { "token.actions.githubusercontent.com:sub": "repo:example-org/app:*" },
              StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
            },
          },
        },
        inline: [{ name: "deploy", document: { Version: V, Statement: [{ Effect: "Allow", Action: "cloudformation:*", Resource: "*" }] } }],
      },
      {
        name: "wiam-read",
        id: "AROAEXAMPLE0000000003",
        created: "2026-01-01T00:00:00Z",
        trust: { Version: V, Statement: [{ Effect: "Allow", Principal: { AWS: BASE }, Action: ["sts:AssumeRole", "sts:SetSourceIdentity"] }] },
        attached: [readOnlyAccess.arn],
      },
    ],
    serverCertificates: [{ name: "legacy-tls", id: "ASCAEXAMPLE0000000009", uploaded: "2021-06-01T00:00:00Z", expiration: "2026-07-01T00:00:00Z" }],
    oidcProviders: ["token.actions.githubusercontent.com"],
    samlProviders: [{ name: "corp-idp", created: "2023-01-01T00:00:00Z", validUntil: "2027-01-01T00:00:00Z" }],
    rootAccessKeys: [{ id: "AKIAEXAMPLE000000099", status: "Active", created: "2019-01-01T00:00:00Z" }],
    credentialReport: { pendingGenerates: 2, generatedAt: "2026-06-01T11:00:00Z" },
    simulation: {
      [READ_ROLE(PROD)]: ["s3:GetObject"],
    },
  };
}

/** A second account with one role, used for multi-account collection. */
export function smallDevAccount(): FakeAccount {
  return {
    id: DEV,
    policies: [],
    groups: [],
    users: [],
    roles: [
      {
        name: "wiam-read",
        id: "AROAEXAMPLE0000000004",
        created: "2026-01-01T00:00:00Z",
        trust: { Version: V, Statement: [{ Effect: "Allow", Principal: { AWS: BASE }, Action: "sts:AssumeRole" }] },
        externalId: "dev-EXAMPLE",
      },
      {
        name: "batch",
        id: "AROAEXAMPLE0000000005",
        created: "2026-02-01T00:00:00Z",
        trust: { Version: V, Statement: [{ Effect: "Allow", Principal: { Service: "batch.amazonaws.com" }, Action: "sts:AssumeRole" }] },
      },
    ],
    credentialReport: { generatedAt: "2026-06-01T10:00:00Z" },
  };
}

/** The management account: holds the base identity and the organization read role. */
export function managementAccount(): FakeAccount {
  return {
    id: BASE,
    policies: [],
    groups: [],
    users: [{ name: "wiam-collector", id: "AIDAEXAMPLE0000000009", created: "2026-01-01T00:00:00Z", accessKeys: [{ id: "AKIAIOSFODNN7EXAMPLE", status: "Active", created: "2026-01-01T00:00:00Z" }] }],
    roles: [
      {
        name: "wiam-org-read",
        id: "AROAEXAMPLE0000000009",
        created: "2026-01-01T00:00:00Z",
        trust: { Version: V, Statement: [{ Effect: "Allow", Principal: { AWS: BASE_IDENTITY_ARN }, Action: ["sts:AssumeRole", "sts:SetSourceIdentity"] }] },
      },
    ],
    simulation: { [BASE_IDENTITY_ARN]: ["iam:PassRole", "s3:PutObject"] },
  };
}

export function smallEstate(): FakeEstate {
  return {
    accounts: { [PROD]: smallProdAccount(), [DEV]: smallDevAccount(), [BASE]: managementAccount() },
    baseAccountId: BASE,
    baseIdentityArn: BASE_IDENTITY_ARN,
    organization: {
      id: "o-exampleorg1",
      managementAccountId: BASE,
      rootId: "r-ex01",
      units: [
        { id: "ou-ex01-workloads", name: "Workloads", parentId: "r-ex01" },
        { id: "ou-ex01-prod", name: "Prod", parentId: "ou-ex01-workloads" },
      ],
      accounts: [
        { id: BASE, name: "management", parentId: "r-ex01", email: "aws-management@example.com" },
        { id: PROD, name: "prod-apps", parentId: "ou-ex01-prod", email: "aws-prod@example.com" },
        { id: DEV, name: "dev-apps", parentId: "ou-ex01-workloads", email: "aws-dev@example.com" },
        { id: "444444444444", name: "sandbox", parentId: "ou-ex01-workloads", email: "aws-sandbox@example.com" },
      ],
      scps: [
        { id: "p-FullAWSAccess", name: "FullAWSAccess", description: "Allows access to every operation", awsManaged: true, content: { Version: V, Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }, targets: ["r-ex01"] },
        {
          id: "p-denyregions",
          name: "DenyOtherRegions",
          content: {
            Version: V,
            Statement: [{ Sid: "DenyOutsideEu", Effect: "Deny", NotAction: ["iam:*", "sts:*"], Resource: "*", Condition: { StringNotEquals: { "aws:RequestedRegion": ["eu-west-1", "eu-central-1"] } } }],
          },
          targets: ["ou-ex01-workloads", PROD],
        },
      ],
    },
  };
}
