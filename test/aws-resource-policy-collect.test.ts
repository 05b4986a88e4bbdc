/**
 * KMS key policies and Secrets Manager secret policies collected from the wire-level fake with the
 * real SDK clients (issue #16 item 2), then evaluated by the entitlement analysis: a cross-account
 * role granted only by a secret's policy appears in the reverse question (and is denied without
 * it), and a key policy that does not allow blocks a same-account decrypt.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createAwsConnector, type AwsConnector } from "../src/providers/aws/index.js";
import { inventorySnapshotSchema } from "../src/model/inventory.js";
import { Inventory } from "../src/model/inventory-index.js";
import { explainEntitlementPaths, type EntitlementAnswer } from "../src/analysis/entitlements/index.js";
import { fakeKeyArn, fakeSecretArn, type FakeEstate } from "./fakes/aws/estate.js";
import { FAKE_BASE_CREDENTIALS, collectWith, countsByApi, instantRetry } from "./fakes/aws/harness.js";
import { FakeAwsServer } from "./fakes/aws/server.js";
import { DEV, PROD, READ_ROLE, smallEstate } from "./fakes/aws/small-estate.js";

const NOW = "2026-06-01T12:00:00.000Z";
const V = "2012-10-17";
const GET = "secretsmanager:GetSecretValue";
const DECRYPT = "kms:Decrypt";
const BATCH = `arn:aws:iam::${DEV}:role/batch`;
const DEPLOY = `arn:aws:iam::${PROD}:role/github-deploy`;
const SHARED = { name: "shared/db", suffix: "AbCdEf" };
const PRIVATE = { name: "private/db", suffix: "GhIjKl" };
const SHARED_ARN = fakeSecretArn(PROD, SHARED);
const PRIVATE_ARN = fakeSecretArn(PROD, PRIVATE);
const STRICT_KEY = "1234abcd-12ab-34cd-56ef-1234567890ab";
const DELEGATED_KEY = "0987dcba-09fe-87dc-65ba-ab0987654321";
const STRICT_KEY_ARN = fakeKeyArn(PROD, STRICT_KEY);
const SHARED_BUCKET = "prod-shared-reports";
const PRIVATE_BUCKET = "prod-private-exports";
const bucketArn = (name: string) => `arn:aws:s3:::${name}`;
const GET_OBJECT = "s3:GetObject";
const DELEGATED_KEY_ARN = fakeKeyArn(PROD, DELEGATED_KEY);
const GRANTED_KEY = "5555eeee-55ee-45ee-85ee-5555eeee5555";
const GRANTED_KEY_ARN = fakeKeyArn(PROD, GRANTED_KEY);
const GRANT_ID = "0c237476b39f8bc44e45212e08498fbe3151305030726c0590dd8d3e9f3d6a60";

function estate(): FakeEstate {
  const base = smallEstate();
  const prod = base.accounts[PROD];
  const dev = base.accounts[DEV];
  if (!prod || !dev) throw new Error("small estate changed: PROD and DEV accounts expected");
  prod.secrets = [
    { ...SHARED, policy: { Version: V, Statement: [{ Sid: "BatchReads", Effect: "Allow", Principal: { AWS: BATCH }, Action: GET, Resource: "*" }] } },
    PRIVATE,
  ];
  prod.kmsKeys = [
    // No root delegation: only the named admin may use the key, whatever IAM policies say.
    { id: STRICT_KEY, policy: { Version: V, Statement: [{ Sid: "AdminOnly", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${PROD}:role/wiam-read` }, Action: "kms:*", Resource: "*" }] } },
    // The same strict policy, but a grant lets github-deploy decrypt.
    {
      id: GRANTED_KEY,
      policy: { Version: V, Statement: [{ Sid: "AdminOnly", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${PROD}:role/wiam-read` }, Action: "kms:*", Resource: "*" }] },
      grants: [{ id: GRANT_ID, grantee: DEPLOY, operations: ["Decrypt", "DescribeKey"] }],
    },
    // The default key policy: the account root, i.e. IAM policies decide.
    { id: DELEGATED_KEY, policy: { Version: V, Statement: [{ Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${PROD}:root` }, Action: "kms:*", Resource: "*" }] } },
  ];
  prod.buckets = [
    { name: SHARED_BUCKET, policy: { Version: V, Statement: [{ Sid: "BatchReadsReports", Effect: "Allow", Principal: { AWS: BATCH }, Action: GET_OBJECT, Resource: `${bucketArn(SHARED_BUCKET)}/*` }] } },
    // Another region: its policy is read through a client for that region.
    { name: PRIVATE_BUCKET, region: "eu-west-1" },
  ];
  const deploy = prod.roles.find((role) => role.name === "github-deploy");
  deploy?.inline?.push({ name: "decrypt", document: { Version: V, Statement: [{ Effect: "Allow", Action: DECRYPT, Resource: "*" }] } });
  const batch = dev.roles.find((role) => role.name === "batch");
  if (batch) batch.inline = [{ name: "read-secrets", document: { Version: V, Statement: [{ Effect: "Allow", Action: GET, Resource: `arn:aws:secretsmanager:*:${PROD}:secret:*` }, { Effect: "Allow", Action: GET_OBJECT, Resource: "arn:aws:s3:::prod-*" }] } }];
  return base;
}

let fake: FakeAwsServer;
const connectors: AwsConnector[] = [];
const TWO_ACCOUNTS = {
  accounts: [
    { id: PROD, name: "prod", roleArn: READ_ROLE(PROD) },
    { id: DEV, name: "dev", roleArn: READ_ROLE(DEV), externalId: "dev-EXAMPLE" },
  ],
  cacheTtlSeconds: 0,
};

beforeAll(async () => {
  fake = await FakeAwsServer.start(estate());
  process.env.AWS_ENDPOINT_URL = fake.url;
  process.env.AWS_REGION = "us-east-1";
});
afterAll(async () => {
  await fake.close();
});
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

const outcomes = (answer: EntitlementAnswer) => answer.paths.map((p) => [p.principalId, p.outcome, p.blockedBy?.kind ?? null]);

describe("collecting KMS key and Secrets Manager secret policies", () => {
  test("policies land as resource policies on the ARNs, one Get per key and secret, through each account's session", async () => {
    const aws = connector({ ...TWO_ACCOUNTS, resourcePolicies: ["kms", "secretsmanager", "s3"] });
    const { snapshot, operations } = await collectWith(aws, "resources");
    expect(() => inventorySnapshotSchema.parse(snapshot)).not.toThrow();
    expect(snapshot.gaps).toEqual([]);
    const resourcePolicies = snapshot.policies.filter((policy) => policy.kind === "resource");
    expect(resourcePolicies.map((policy) => [policy.id, policy.attachedTo, policy.evidence.source, policy.statements.map((s) => [s.id, s.effect, s.principals, s.actions])])).toEqual([
      [`${DELEGATED_KEY_ARN}#resource-policy`, [DELEGATED_KEY_ARN], "kms:GetKeyPolicy", [["Enable IAM User Permissions", "Allow", [`arn:aws:iam::${PROD}:root`], ["kms:*"]]]],
      [`${STRICT_KEY_ARN}#resource-policy`, [STRICT_KEY_ARN], "kms:GetKeyPolicy", [["AdminOnly", "Allow", [READ_ROLE(PROD)], ["kms:*"]]]],
      [`${GRANTED_KEY_ARN}#resource-policy`, [GRANTED_KEY_ARN], "kms:GetKeyPolicy", [["AdminOnly", "Allow", [READ_ROLE(PROD)], ["kms:*"]], [`grant:${GRANT_ID}`, "Allow", [DEPLOY], ["kms:Decrypt", "kms:DescribeKey"]]]],
      [`${bucketArn(PRIVATE_BUCKET)}#resource-policy`, [bucketArn(PRIVATE_BUCKET)], "s3:GetBucketPolicy", []],
      [`${bucketArn(SHARED_BUCKET)}#resource-policy`, [bucketArn(SHARED_BUCKET)], "s3:GetBucketPolicy", [["BatchReadsReports", "Allow", [BATCH], [GET_OBJECT]]]],
      // Read and found empty: recorded, so a cross-account caller is decided rather than unknown.
      [`${PRIVATE_ARN}#resource-policy`, [PRIVATE_ARN], "secretsmanager:GetResourcePolicy", []],
      [`${SHARED_ARN}#resource-policy`, [SHARED_ARN], "secretsmanager:GetResourcePolicy", [["BatchReads", "Allow", [BATCH], [GET]]]],
    ]);
    const counts = countsByApi(operations);
    // Each bucket's policy is asked of the bucket's own region.
    expect(fake.requests.filter((r) => r.action === "GetBucketPolicy").map((r) => [r.params.Bucket, r.signingRegion]).sort()).toEqual([
      [PRIVATE_BUCKET, "eu-west-1"],
      [SHARED_BUCKET, "us-east-1"],
    ]);
    // One listing per account (two accounts), one Get per key, secret and bucket.
    // Three keys in PROD: two ListKeys pages there (the fake pages by 2), one in DEV.
    expect([counts["kms:ListKeys"], counts["kms:GetKeyPolicy"], counts["kms:ListGrants"], counts["secretsmanager:ListSecrets"], counts["secretsmanager:GetResourcePolicy"], counts["s3:ListBuckets"], counts["s3:GetBucketPolicy"]]).toEqual([3, 3, 3, 2, 2, 2, 2]);
    // Metadata only: nothing but listings and policies was asked of KMS and Secrets Manager.
    expect([...new Set(fake.requests.filter((r) => r.service === "kms" || r.service === "secretsmanager" || r.service === "s3").map((r) => `${r.service}:${r.action}`))].sort()).toEqual([
      "kms:GetKeyPolicy",
      "kms:ListGrants",
      "kms:ListKeys",
      "s3:GetBucketPolicy",
      "s3:ListBuckets",
      "secretsmanager:GetResourcePolicy",
      "secretsmanager:ListSecrets",
    ]);
  });

  test("off by default: no KMS or Secrets Manager call", async () => {
    const aws = connector(TWO_ACCOUNTS);
    const { operations } = await collectWith(aws, "default");
    expect(operations.filter((operation) => /^(kms|secretsmanager|s3):/.test(operation.api))).toEqual([]);
  });

  test("a denied policy read is a gap naming the resource; the other policies are kept", async () => {
    fake.addFault({ action: "GetResourcePolicy", kind: "error", status: 400, code: "AccessDeniedException" });
    fake.addFault({ action: "ListKeys", accountId: DEV, kind: "error", status: 400, code: "AccessDeniedException" });
    const aws = connector({ ...TWO_ACCOUNTS, resourcePolicies: ["kms", "secretsmanager"] });
    const { snapshot } = await collectWith(aws, "denied");
    const denied = "AccessDeniedException (HTTP 400): injected fault";
    expect((snapshot.gaps ?? []).map((gap) => [gap.scopeId, gap.source, gap.reason])).toEqual([
      [`aws:account/${PROD}`, "secretsmanager:GetResourcePolicy", `${PRIVATE_ARN}: secret policy not read: ${denied}`],
      [`aws:account/${PROD}`, "secretsmanager:GetResourcePolicy", `${SHARED_ARN}: secret policy not read: ${denied}`],
      [`aws:account/${DEV}`, "kms:ListKeys", `KMS keys not listed: ${denied}`],
    ]);
    expect(snapshot.policies.filter((policy) => policy.kind === "resource").map((policy) => policy.attachedTo)).toEqual([[DELEGATED_KEY_ARN], [STRICT_KEY_ARN], [GRANTED_KEY_ARN]]);
  });
});

describe("collection cost", () => {
  test("listings follow their pages; one Get per resource, however many resources", async () => {
    const many = estate();
    const prod = many.accounts[PROD];
    if (!prod) throw new Error("PROD expected");
    const policy = { Version: V, Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${PROD}:root` }, Action: "*", Resource: "*" }] };
    prod.kmsKeys = Array.from({ length: 5 }, (_, index) => ({ id: `00000000-0000-4000-8000-00000000000${index}`, policy }));
    prod.secrets = Array.from({ length: 5 }, (_, index) => ({ name: `app/secret-${index}`, suffix: `AbCdE${index}`, policy }));
    prod.buckets = Array.from({ length: 5 }, (_, index) => ({ name: `prod-bucket-${index}`, policy }));
    const local = await FakeAwsServer.start(many);
    process.env.AWS_ENDPOINT_URL = local.url;
    const aws = connector({ accounts: [{ id: PROD, roleArn: READ_ROLE(PROD) }], cacheTtlSeconds: 0, resourcePolicies: ["kms", "secretsmanager", "s3"] });
    const { snapshot, operations } = await collectWith(aws, "cost").finally(async () => {
      process.env.AWS_ENDPOINT_URL = fake.url;
      await local.close();
    });
    expect(snapshot.gaps).toEqual([]);
    expect(snapshot.policies.filter((p) => p.kind === "resource")).toHaveLength(15);
    const counts = countsByApi(operations);
    // The fake pages by 2: five resources are three list pages, then five Gets.
    expect([counts["kms:ListKeys"], counts["kms:GetKeyPolicy"], counts["kms:ListGrants"], counts["secretsmanager:ListSecrets"], counts["secretsmanager:GetResourcePolicy"], counts["s3:ListBuckets"], counts["s3:GetBucketPolicy"]]).toEqual([3, 5, 5, 3, 5, 3, 5]);
  });
});

describe("the collected policies decide access", () => {
  test("a cross-account role granted only by the secret's policy appears in the reverse question; without it, it is denied", async () => {
    const aws = connector({ ...TWO_ACCOUNTS, resourcePolicies: ["kms", "secretsmanager"] });
    const inventory = new Inventory((await collectWith(aws, "cross")).snapshot);
    expect(outcomes(explainEntitlementPaths(inventory, { action: GET, resource: SHARED_ARN })).filter(([id]) => id === BATCH)).toEqual([[BATCH, "allowed", null]]);
    expect(outcomes(explainEntitlementPaths(inventory, { principal: BATCH, action: GET, resource: SHARED_ARN }))).toEqual([[BATCH, "allowed", null]]);
    expect(outcomes(explainEntitlementPaths(inventory, { principal: BATCH, action: GET, resource: PRIVATE_ARN }))).toEqual([[BATCH, "denied", "resource_policy"]]);
    expect(outcomes(explainEntitlementPaths(inventory, { action: GET, resource: PRIVATE_ARN })).filter(([id]) => id === BATCH)).toEqual([]);
  });

  test("a bucket policy grants a cross-account role an object read; a bucket without a policy denies it", async () => {
    const aws = connector({ ...TWO_ACCOUNTS, resourcePolicies: ["s3"] });
    const inventory = new Inventory((await collectWith(aws, "s3")).snapshot);
    const sharedObject = `${bucketArn(SHARED_BUCKET)}/2026/report.csv`;
    expect(outcomes(explainEntitlementPaths(inventory, { action: GET_OBJECT, resource: sharedObject })).filter(([id]) => id === BATCH)).toEqual([[BATCH, "allowed", null]]);
    expect(outcomes(explainEntitlementPaths(inventory, { principal: BATCH, action: GET_OBJECT, resource: `${bucketArn(PRIVATE_BUCKET)}/dump.sql` }))).toEqual([[BATCH, "denied", "resource_policy"]]);
  });

  test("a key policy that does not allow blocks a same-account decrypt; one delegating to the account, or a grant, allows it", async () => {
    const aws = connector({ ...TWO_ACCOUNTS, resourcePolicies: ["kms"] });
    const inventory = new Inventory((await collectWith(aws, "kms")).snapshot);
    expect(outcomes(explainEntitlementPaths(inventory, { principal: DEPLOY, action: DECRYPT, resource: STRICT_KEY_ARN }))).toEqual([[DEPLOY, "denied", "resource_policy"]]);
    expect(outcomes(explainEntitlementPaths(inventory, { principal: DEPLOY, action: DECRYPT, resource: DELEGATED_KEY_ARN }))).toEqual([[DEPLOY, "allowed", null]]);
    // A grant (ListGrants) allows next to the key policy: on its own (as in KMS) and behind the identity policy.
    const granted = explainEntitlementPaths(inventory, { principal: DEPLOY, action: DECRYPT, resource: GRANTED_KEY_ARN });
    expect(outcomes(granted)).toEqual([
      [DEPLOY, "allowed", null],
      [DEPLOY, "allowed", null],
    ]);
    expect(granted.paths.map((path) => path.hops.filter((hop) => hop.type === "statement").map((hop) => hop.id))).toEqual([
      [`${GRANTED_KEY_ARN}#resource-policy#grant:${GRANT_ID}`],
      [`${DEPLOY}#inline/decrypt#0`],
    ]);
  });
});

describe("a secret encrypted with a customer managed key", () => {
  test("its key is collected (key id, key ARN or alias) and reading it needs kms:Decrypt on that key too: the answer says which side blocks", async () => {
    const encrypted = estate();
    const prod = encrypted.accounts[PROD];
    if (!prod) throw new Error("PROD expected");
    const byId = { name: "app/by-id", suffix: "MnOpQr", kmsKeyId: STRICT_KEY, tags: { environment: "production" }, policy: { Version: V, Statement: [{ Sid: "DeployReads", Effect: "Allow", Principal: { AWS: DEPLOY }, Action: GET, Resource: "*" }] } };
    const byAlias = { name: "app/by-alias", suffix: "StUvWx", kmsKeyId: "alias/app-secrets", policy: { Version: V, Statement: [{ Sid: "DeployReads", Effect: "Allow", Principal: { AWS: DEPLOY }, Action: GET, Resource: "*" }] } };
    const awsManaged = { name: "app/aws-managed", suffix: "YzAbCd", kmsKeyId: "alias/aws/secretsmanager", policy: byId.policy };
    prod.secrets = [byId, byAlias, awsManaged];
    prod.kmsAliases = { "alias/app-secrets": DELEGATED_KEY, "alias/aws/secretsmanager": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa" };
    const local = await FakeAwsServer.start(encrypted);
    process.env.AWS_ENDPOINT_URL = local.url;
    try {
      const aws = connector({ accounts: [{ id: PROD, name: "prod", roleArn: READ_ROLE(PROD) }], cacheTtlSeconds: 0, resourcePolicies: ["kms", "secretsmanager"] });
      const { snapshot, operations } = await collectWith(aws, "encrypted");
      expect(snapshot.gaps).toEqual([]);
      const keys = Object.fromEntries(snapshot.policies.filter((p) => p.kind === "resource" && p.attachedTo?.[0]?.includes(":secret:")).map((p) => [p.attachedTo?.[0], p.encryptionKey ?? null]));
      expect(keys).toEqual({
        [fakeSecretArn(PROD, byId)]: STRICT_KEY_ARN,
        [fakeSecretArn(PROD, byAlias)]: DELEGATED_KEY_ARN,
        [fakeSecretArn(PROD, awsManaged)]: null,
      });
      expect(countsByApi(operations)["kms:ListAliases"]).toBe(1);
      // Tags come with the listing: recorded, none included, so aws:ResourceTag conditions are decided.
      expect(snapshot.policies.filter((p) => p.attachedTo?.[0]?.includes(":secret:app/")).map((p) => p.resourceTags)).toEqual([{}, {}, { environment: "production" }]);
      const inventory = new Inventory(snapshot);
      // github-deploy may decrypt by IAM (its inline policy) where the key policy delegates to IAM...
      const [viaAlias] = explainEntitlementPaths(inventory, { principal: DEPLOY, action: GET, resource: fakeSecretArn(PROD, byAlias), maxDepth: 0 }).paths;
      expect([viaAlias?.outcome, viaAlias?.notes]).toEqual(["allowed", [`${fakeSecretArn(PROD, byAlias)} is encrypted with ${DELEGATED_KEY_ARN}: kms:Decrypt on it is part of this path`]]);
      // ...but not with the strict key: the secret's policy allows, the key side blocks.
      const [viaId] = explainEntitlementPaths(inventory, { principal: DEPLOY, action: GET, resource: fakeSecretArn(PROD, byId), maxDepth: 0 }).paths;
      expect([viaId?.outcome, viaId?.blockedBy]).toEqual([
        "denied",
        {
          kind: "resource_policy",
          id: STRICT_KEY_ARN,
          description: `${GET} on ${fakeSecretArn(PROD, byId)} also needs kms:Decrypt on its key ${STRICT_KEY_ARN}: the key policy of ${STRICT_KEY_ARN} does not allow kms:Decrypt to ${DEPLOY}, nor delegate to its account; KMS needs the key policy`,
        },
      ]);
      // The AWS managed key asks nothing more.
      expect(outcomes(explainEntitlementPaths(inventory, { principal: DEPLOY, action: GET, resource: fakeSecretArn(PROD, awsManaged), maxDepth: 0 }))).toEqual([[DEPLOY, "allowed", null]]);
      // Reverse: who can read the strictly keyed secret; the deploy role is listed, denied, with the key as the reason.
      const reverse = explainEntitlementPaths(inventory, { action: GET, resource: fakeSecretArn(PROD, byId) });
      expect(reverse.paths.filter((p) => p.principalId === DEPLOY).map((p) => [p.outcome, p.blockedBy?.id])).toEqual([["denied", STRICT_KEY_ARN]]);
    } finally {
      process.env.AWS_ENDPOINT_URL = fake.url;
      await local.close();
    }
  });
});

describe("SQS queue, SNS topic and Lambda function policies", () => {
  test("collected per account (listings page, one Get per resource, a function without a policy recorded empty) and evaluated across accounts", async () => {
    const messaging = estate();
    const prod = messaging.accounts[PROD];
    if (!prod) throw new Error("PROD expected");
    const batchMay = (action: string) => ({ Version: V, Statement: [{ Sid: "Batch", Effect: "Allow", Principal: { AWS: BATCH }, Action: action, Resource: "*" }] });
    prod.queues = [{ name: "jobs", policy: batchMay("sqs:SendMessage") }, { name: "internal" }, { name: "audit" }];
    prod.topics = [{ name: "alerts", policy: batchMay("sns:Publish") }];
    prod.functions = [{ name: "resize", policy: batchMay("lambda:InvokeFunction") }, { name: "private" }];
    const dev = messaging.accounts[DEV];
    const batch = dev?.roles.find((role) => role.name === "batch");
    if (batch) batch.inline = [{ name: "messaging", document: { Version: V, Statement: [{ Effect: "Allow", Action: ["sqs:SendMessage", "sns:Publish", "lambda:InvokeFunction"], Resource: "*" }] } }];
    const local = await FakeAwsServer.start(messaging);
    process.env.AWS_ENDPOINT_URL = local.url;
    try {
      const aws = connector({ accounts: [{ id: PROD, name: "prod", roleArn: READ_ROLE(PROD) }, { id: DEV, name: "dev", roleArn: READ_ROLE(DEV), externalId: "dev-EXAMPLE" }], cacheTtlSeconds: 0, resourcePolicies: ["sqs", "sns", "lambda"] });
      const { snapshot, operations } = await collectWith(aws, "messaging");
      expect(snapshot.gaps).toEqual([]);
      const queueArn = (name: string) => `arn:aws:sqs:us-east-1:${PROD}:${name}`;
      const topicArn = `arn:aws:sns:us-east-1:${PROD}:alerts`;
      const functionArn = (name: string) => `arn:aws:lambda:us-east-1:${PROD}:function:${name}`;
      expect(snapshot.policies.filter((p) => p.kind === "resource").map((p) => [p.attachedTo?.[0], p.evidence.source, p.statements.map((s) => s.actions?.[0])])).toEqual([
        [functionArn("private"), "lambda:GetPolicy", []],
        [functionArn("resize"), "lambda:GetPolicy", ["lambda:InvokeFunction"]],
        [topicArn, "sns:GetTopicAttributes", ["sns:Publish"]],
        [queueArn("audit"), "sqs:GetQueueAttributes", []],
        [queueArn("internal"), "sqs:GetQueueAttributes", []],
        [queueArn("jobs"), "sqs:GetQueueAttributes", ["sqs:SendMessage"]],
      ]);
      const counts = countsByApi(operations);
      // Three queues page in two (the fake pages by 2) in PROD, one empty page in DEV; one Get per resource.
      expect([counts["sqs:ListQueues"], counts["sqs:GetQueueAttributes"], counts["sns:ListTopics"], counts["sns:GetTopicAttributes"], counts["lambda:ListFunctions"], counts["lambda:GetPolicy"]]).toEqual([3, 3, 2, 1, 2, 2]);
      // Nothing but listings and attribute/policy reads: no message, publish or invocation.
      expect([...new Set(local.requests.filter((r) => ["sqs", "sns", "lambda"].includes(r.service)).map((r) => `${r.service}:${r.action}`))].sort()).toEqual([
        "lambda:GetPolicy",
        "lambda:ListFunctions",
        "sns:GetTopicAttributes",
        "sns:ListTopics",
        "sqs:GetQueueAttributes",
        "sqs:ListQueues",
      ]);
      const inventory = new Inventory(snapshot);
      const ask = (action: string, resource: string) => outcomes(explainEntitlementPaths(inventory, { principal: BATCH, action, resource, maxDepth: 0 }));
      // Cross account: the resource's policy names batch, so both sides allow; without it, denied.
      expect(ask("sqs:SendMessage", queueArn("jobs"))).toEqual([[BATCH, "allowed", null]]);
      expect(ask("sqs:SendMessage", queueArn("internal"))).toEqual([[BATCH, "denied", "resource_policy"]]);
      expect(ask("sns:Publish", topicArn)).toEqual([[BATCH, "allowed", null]]);
      expect(ask("lambda:InvokeFunction", functionArn("resize"))).toEqual([[BATCH, "allowed", null]]);
      expect(ask("lambda:InvokeFunction", functionArn("private"))).toEqual([[BATCH, "denied", "resource_policy"]]);
      // Reverse: who can send to the queue lists batch, granted by the queue policy from another account.
      expect(outcomes(explainEntitlementPaths(inventory, { action: "sqs:SendMessage", resource: queueArn("jobs") })).filter(([id]) => id === BATCH)).toEqual([[BATCH, "allowed", null]]);
    } finally {
      process.env.AWS_ENDPOINT_URL = fake.url;
      await local.close();
    }
  });
});
