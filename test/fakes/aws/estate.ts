/**
 * The in-memory estate the fake AWS serves: accounts with IAM entities and an optional
 * organization. Every credential-looking value is obviously fake (EXAMPLE) while keeping the real
 * format, so secret scanners and readers can tell at a glance.
 */

import type { FakeFunction, FakeQueue, FakeTopic } from "./messaging.js";

export type PolicyDocumentJson = Record<string, unknown>;

export interface FakeInlinePolicy {
  name: string;
  document: PolicyDocumentJson;
}

export interface FakeManagedPolicy {
  arn: string;
  name: string;
  id: string;
  path?: string;
  description?: string;
  /** The default version's document. */
  document: PolicyDocumentJson;
  /** Earlier, non-default versions (v1..vN); the default becomes vN+1. */
  olderVersions?: PolicyDocumentJson[];
  created?: string;
}

export interface FakeAccessKey {
  id: string;
  status: "Active" | "Inactive";
  created: string;
  lastUsed?: { date: string; service: string; region: string };
}

export interface FakeSigningCertificate {
  id: string;
  body: string;
  status: "Active" | "Inactive";
  uploaded: string;
}

export interface FakeUser {
  name: string;
  id: string;
  path?: string;
  created: string;
  groups?: string[];
  inline?: FakeInlinePolicy[];
  attached?: string[];
  boundary?: string;
  tags?: Record<string, string>;
  password?: { created: string; lastUsed?: string; lastChanged?: string };
  mfa?: boolean;
  accessKeys?: FakeAccessKey[];
  signingCertificates?: FakeSigningCertificate[];
}

export interface FakeGroup {
  name: string;
  id: string;
  path?: string;
  created: string;
  inline?: FakeInlinePolicy[];
  attached?: string[];
}

export interface FakeRole {
  name: string;
  id: string;
  path?: string;
  created: string;
  trust: PolicyDocumentJson;
  inline?: FakeInlinePolicy[];
  attached?: string[];
  boundary?: string;
  tags?: Record<string, string>;
  lastUsed?: { date: string; region: string };
  instanceProfiles?: string[];
  /** AssumeRole must present this ExternalId. */
  externalId?: string;
}

export interface FakeKmsKey {
  id: string;
  policy: PolicyDocumentJson;
  grants?: Array<{ id: string; grantee: string; operations: string[]; encryptionContextEquals?: Record<string, string> }>;
}

export interface FakeSecret {
  name: string;
  /** The six characters AWS appends to a secret's ARN. */
  suffix: string;
  policy?: PolicyDocumentJson;
  /** KmsKeyId as ListSecrets reports it (a key id, key ARN or alias); absent: the AWS managed key. */
  kmsKeyId?: string;
  /** Tags ListSecrets reports with the secret. */
  tags?: Record<string, string>;
}

export interface FakeBucket {
  name: string;
  region?: string;
  policy?: PolicyDocumentJson;
}

/** The region the fake's KMS and Secrets Manager ARNs name. */
export const FAKE_RESOURCE_REGION = "us-east-1";

export function fakeKeyArn(accountId: string, keyId: string): string {
  return `arn:aws:kms:${FAKE_RESOURCE_REGION}:${accountId}:key/${keyId}`;
}

export function fakeSecretArn(accountId: string, secret: Pick<FakeSecret, "name" | "suffix">): string {
  return `arn:aws:secretsmanager:${FAKE_RESOURCE_REGION}:${accountId}:secret:${secret.name}-${secret.suffix}`;
}

export interface FakeCredentialReportBehaviour {
  /** Generate calls answered STARTED/INPROGRESS before COMPLETE (0: a recent report already exists). */
  pendingGenerates?: number;
  /** Errors GetCredentialReport returns once each, in order, before serving the report. */
  getErrors?: Array<"ReportExpired" | "ReportNotPresent" | "ReportInProgress">;
  /** The caller may not generate reports (AccessDenied): the connector must fall back. */
  denied?: boolean;
  generatedAt?: string;
}

export interface FakeAccount {
  id: string;
  created?: string;
  users: FakeUser[];
  groups: FakeGroup[];
  roles: FakeRole[];
  policies: FakeManagedPolicy[];
  serverCertificates?: Array<{ name: string; id: string; path?: string; uploaded: string; expiration: string }>;
  oidcProviders?: string[];
  samlProviders?: Array<{ name: string; created: string; validUntil: string }>;
  rootAccessKeys?: FakeAccessKey[];
  credentialReport?: FakeCredentialReportBehaviour;
  /** KMS keys (region us-east-1) and their key policies; ids are UUIDs as in AWS. */
  kmsKeys?: FakeKmsKey[];
  /** KMS aliases (region us-east-1): alias name (alias/...) → target key id. */
  kmsAliases?: Record<string, string>;
  /** Secrets Manager secrets (region us-east-1): metadata and an optional resource policy; no values. */
  secrets?: FakeSecret[];
  /** S3 buckets the account owns: name, region (default us-east-1) and an optional bucket policy. */
  buckets?: FakeBucket[];
  /** SQS queues, SNS topics and Lambda functions (region us-east-1), each with an optional policy. */
  queues?: FakeQueue[];
  topics?: FakeTopic[];
  functions?: FakeFunction[];
  /** SimulatePrincipalPolicy: principal ARN → actions it is allowed. */
  simulation?: Record<string, string[]>;
  /** Objects of a trail bucket this account owns (activity, #18): "<bucket>/<key>" → body (gzip bytes). */
  trailObjects?: Record<string, Buffer>;
  /** Trail objects encrypted with a KMS key the reader may not use: "<bucket>/<key>" → how S3 refuses GetObject. */
  trailObjectsKmsDenied?: Record<string, "AccessDenied" | "KMS.AccessDeniedException">;
  /** CloudTrail event history (LookupEvents) by region: CloudTrail records as AWS writes them. */
  cloudTrailEvents?: Record<string, Array<Record<string, unknown>>>;
}

export interface FakeOrganization {
  id: string;
  managementAccountId: string;
  rootId: string;
  units: Array<{ id: string; name: string; parentId: string }>;
  accounts: Array<{ id: string; name: string; parentId: string; email: string }>;
  scps: Array<{ id: string; name: string; description?: string; awsManaged?: boolean; content: PolicyDocumentJson; targets: string[] }>;
  /** Resource control policies (optional: most fixtures have none). */
  rcps?: Array<{ id: string; name: string; description?: string; awsManaged?: boolean; content: PolicyDocumentJson; targets: string[] }>;
}

export interface FakeEstate {
  accounts: Record<string, FakeAccount>;
  organization?: FakeOrganization;
  /** Account of the base (long-term) credentials. */
  baseAccountId: string;
  /** ARN GetCallerIdentity returns for the base credentials. */
  baseIdentityArn: string;
}

/** AWS's documented example key pair: obviously fake, real format. */
export const FAKE_BASE_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE";
export const FAKE_BASE_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

export function emptyAccount(id: string): FakeAccount {
  return { id, users: [], groups: [], roles: [], policies: [] };
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

/** A fake unique id in AWS's shape: prefix + 17 upper-case alphanumerics. */
export function fakeUniqueId(prefix: "AIDA" | "AROA" | "AGPA" | "ANPA" | "ASCA", index: number): string {
  return `${prefix}EXAMPLE${pad(index, 10)}`;
}

export function fakeAccessKeyId(index: number): string {
  return `AKIAEXAMPLE${pad(index, 9)}`;
}

/**
 * A large, deterministic account for the benchmark: `roles` roles and `users` users spread over
 * 20 groups and 50 customer managed policies, with a credential report ready after two polls.
 */
export function largeAccount(accountId: string, size: { roles: number; users: number }): FakeAccount {
  const account = emptyAccount(accountId);
  const day = (n: number) => new Date(Date.UTC(2024, 0, 1) + n * 86_400_000).toISOString();
  for (let index = 0; index < 50; index++) {
    account.policies.push({
      arn: `arn:aws:iam::${accountId}:policy/app-policy-${index}`,
      name: `app-policy-${index}`,
      id: fakeUniqueId("ANPA", index),
      document: {
        Version: "2012-10-17",
        Statement: [
          { Sid: "ReadBucket", Effect: "Allow", Action: ["s3:GetObject", "s3:ListBucket"], Resource: [`arn:aws:s3:::bucket-${index}`, `arn:aws:s3:::bucket-${index}/*`] },
          { Effect: "Allow", Action: "sqs:SendMessage", Resource: `arn:aws:sqs:us-east-1:${accountId}:queue-${index}`, Condition: { Bool: { "aws:SecureTransport": "true" } } },
        ],
      },
    });
  }
  for (let index = 0; index < 20; index++) {
    account.groups.push({
      name: `team-${index}`,
      id: fakeUniqueId("AGPA", index),
      created: day(index),
      attached: [`arn:aws:iam::${accountId}:policy/app-policy-${index}`],
    });
  }
  for (let index = 0; index < size.roles; index++) {
    account.roles.push({
      name: `service-role-${index}`,
      id: fakeUniqueId("AROA", index),
      path: index % 10 === 0 ? "/service/" : "/",
      created: day(index % 700),
      trust: {
        Version: "2012-10-17",
        Statement: [
          index % 3 === 0
            ? { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }
            : { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "sts:AssumeRole", Condition: { StringEquals: { "sts:ExternalId": `ext-${index}` } } },
        ],
      },
      inline: [{ name: "logs", document: { Version: "2012-10-17", Statement: { Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: "*" } } }],
      attached: [`arn:aws:iam::${accountId}:policy/app-policy-${index % 50}`],
      tags: { team: `team-${index % 20}` },
      ...(index % 4 === 0 ? {} : { lastUsed: { date: day(600 + (index % 100)), region: "us-east-1" } }),
    });
  }
  for (let index = 0; index < size.users; index++) {
    account.users.push({
      name: `user-${index}`,
      id: fakeUniqueId("AIDA", index),
      created: day(index % 500),
      groups: [`team-${index % 20}`],
      ...(index % 5 === 0 ? { password: { created: day(10), lastUsed: day(650), lastChanged: day(300) }, mfa: index % 10 === 0 } : {}),
      accessKeys: [
        {
          id: fakeAccessKeyId(index),
          status: "Active",
          created: day(index % 600),
          ...(index % 2 === 0 ? { lastUsed: { date: day(640), service: "s3", region: "eu-west-1" } } : {}),
        },
      ],
    });
  }
  account.credentialReport = { pendingGenerates: 2 };
  return account;
}
