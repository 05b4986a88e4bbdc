/**
 * Resource policies of one account (issue #16 item 2), also SQS queue policies (GetQueueAttributes:
 * QueueArn and Policy), SNS topic policies (GetTopicAttributes) and Lambda function policies
 * (GetPolicy) in the configured region. Before those: KMS key policies (`GetKeyPolicy`, policy
 * name "default", with the key's grants from `ListGrants` as extra Allow statements), Secrets Manager secret policies (`GetResourcePolicy`) and S3 bucket policies
 * (`GetBucketPolicy`, sent to the bucket's own region from ListBuckets' BucketRegion), listed first
 * with ListKeys / ListSecrets / ListBuckets. Metadata only: no key is used, no secret value and no
 * object is read. One Get call per key, secret or bucket, at most RESOURCE_CONCURRENCY at a time; a denied or failed read becomes a gap
 * naming the resource, and the rest is kept.
 */
import type { GrantListEntry, KMSClient } from "@aws-sdk/client-kms";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { CollectionGap, Condition, Policy, Statement } from "../../../model/inventory.js";
import type { AwsCallRunner } from "../calls.js";
import { mapWithConcurrency } from "../../../connectors/common/pool.js";
import { describeError, errorFacts, isRetryable } from "../errors.js";
import { kmsReads, lambdaReads, s3Reads, secretsManagerReads, snsReads, sqsReads } from "../reads.js";
import { decodePolicyDocument, normalizeStatements } from "./policy-document.js";

export type ResourcePolicyService = "kms" | "secretsmanager" | "s3" | "sqs" | "sns" | "lambda";

export interface CollectResourcePoliciesOptions {
  accountId: string;
  partition: string;
  services: readonly ResourcePolicyService[];
  kms: () => KMSClient;
  secretsManager: () => SecretsManagerClient;
  /** An S3 client for a bucket's region (undefined: the configured region). */
  s3: (region: string | undefined) => S3Client;
  sqs?: () => SQSClient;
  sns?: () => SNSClient;
  lambda?: () => LambdaClient;
  runner: AwsCallRunner;
  observedAt: string;
  signal?: AbortSignal | undefined;
}

export interface ResourcePolicyParts {
  policies: Policy[];
  gaps: CollectionGap[];
  transientFailure: boolean;
}

/** Get calls per account in flight at once (KMS and Secrets Manager throttle per account and region). */
export const RESOURCE_CONCURRENCY = 4;
/** Pages guard: a listing that keeps returning tokens past this is reported, not followed forever. */
const MAX_PAGES = 1000;

/** The policy's id in the inventory: one resource policy per resource ARN. */
export function resourcePolicyId(resourceArn: string): string {
  return `${resourceArn}#resource-policy`;
}

export async function collectResourcePolicies(options: CollectResourcePoliciesOptions): Promise<ResourcePolicyParts> {
  const { accountId, runner, signal } = options;
  const scopeId = `aws:account/${accountId}`;
  const parts: ResourcePolicyParts = { policies: [], gaps: [], transientFailure: false };

  function gap(source: string, error: unknown, what: string): undefined {
    signal?.throwIfAborted();
    parts.gaps.push({ provider: "aws", scopeId, source, reason: `${what}: ${describeError(error)}` });
    if (isRetryable(error)) parts.transientFailure = true;
    return undefined;
  }

  function addPolicy(
    resourceArn: string,
    name: string,
    source: string,
    text: string | undefined,
    extra: readonly Statement[] = [],
    encryptionKey?: string,
    resourceTags?: Record<string, string>,
  ): void {
    // A secret or bucket without a policy is recorded as an empty one: "read, and it grants nothing" lets the
    // evaluator block a cross-account caller instead of answering unknown (policy not collected).
    let document: unknown = { Statement: [] };
    try {
      if (text) document = decodePolicyDocument(text);
    } catch (error) {
      gap(source, error, `${resourceArn}: policy not readable`);
      return;
    }
    const normalized = normalizeStatements(document, options.partition);
    const statements = [...normalized.statements, ...extra];
    const skipped = normalized.skipped;
    for (const reason of skipped) parts.gaps.push({ provider: "aws", scopeId, source, reason: `${resourceArn}: ${reason}` });
    parts.policies.push({
      id: resourcePolicyId(resourceArn),
      provider: "aws",
      kind: "resource",
      name,
      scopeId,
      attachedTo: [resourceArn],
      ...(encryptionKey ? { encryptionKey } : {}),
      ...(resourceTags ? { resourceTags } : {}),
      statements,
      evidence: { source, observedAt: options.observedAt },
    });
  }

  async function pages<T>(api: string, fetch: (token: string | undefined) => Promise<{ items: T[]; next: string | undefined }>): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await fetch(token);
      items.push(...result.items);
      if (!result.next) return items;
      token = result.next;
    }
    throw new Error(`${api} still had more results after ${MAX_PAGES} pages`);
  }

  if (options.services.includes("kms")) {
    const kms = options.kms();
    let keys: Array<{ KeyId?: string | undefined; KeyArn?: string | undefined }> | undefined;
    try {
      keys = await pages(kmsReads.listKeys.api, async (marker) => {
        const output = await runner.call(kmsReads.listKeys, kms, { Limit: 1000, ...(marker ? { Marker: marker } : {}) }, scopeId);
        return { items: output.Keys ?? [], next: output.Truncated ? output.NextMarker : undefined };
      });
    } catch (error) {
      gap(kmsReads.listKeys.api, error, "KMS keys not listed");
    }
    await mapWithConcurrency(keys ?? [], RESOURCE_CONCURRENCY, async (key) => {
      const arn = key.KeyArn;
      if (!arn || !key.KeyId) return;
      const keyId = key.KeyId;
      let grants: GrantListEntry[] = [];
      try {
        grants = await pages(kmsReads.listGrants.api, async (marker) => {
          const output = await runner.call(kmsReads.listGrants, kms, { KeyId: keyId, Limit: 100, ...(marker ? { Marker: marker } : {}) }, scopeId);
          return { items: output.Grants ?? [], next: output.Truncated ? output.NextMarker : undefined };
        });
      } catch (error) {
        gap(kmsReads.listGrants.api, error, `${arn}: grants not read (a principal allowed only by a grant looks denied)`);
      }
      try {
        const output = await runner.call(kmsReads.getKeyPolicy, kms, { KeyId: keyId, PolicyName: "default" }, scopeId);
        addPolicy(arn, `key policy of ${keyId}`, kmsReads.getKeyPolicy.api, output.Policy, grants.flatMap((grant) => grantStatement(grant, arn)));
      } catch (error) {
        gap(kmsReads.getKeyPolicy.api, error, `${arn}: key policy not read`);
      }
    });
  }

  /**
   * A secret's KmsKeyId as a key ARN: a key ARN as it is, a key id placed in the secret's region
   * and account, an alias looked up with ListAliases (read once, only when some secret names one).
   * Undefined for the AWS managed key (no KmsKeyId, or alias/aws/...), whose policy lets every
   * principal of the account that may read the secret use it through Secrets Manager.
   */
  async function secretKeyResolver(secrets: ReadonlyArray<{ KmsKeyId?: string | undefined }>): Promise<(secretArn: string, kmsKeyId: string | undefined) => string | undefined> {
    const isAlias = (id: string) => id.startsWith("alias/") || /^arn:[^:]+:kms:[^:]*:\d{12}:alias\//.test(id);
    const customerAlias = (id: string) => isAlias(id) && !/(^|:)alias\/aws\//.test(id);
    const aliases = new Map<string, string>();
    if (secrets.some((s) => s.KmsKeyId !== undefined && customerAlias(s.KmsKeyId))) {
      try {
        const listed = await pages(kmsReads.listAliases.api, async (marker) => {
          const output = await runner.call(kmsReads.listAliases, options.kms(), { Limit: 100, ...(marker ? { Marker: marker } : {}) }, scopeId);
          return { items: output.Aliases ?? [], next: output.Truncated ? output.NextMarker : undefined };
        });
        for (const alias of listed) {
          if (!alias.AliasArn || !alias.AliasName || !alias.TargetKeyId) continue;
          const keyArn = alias.AliasArn.replace(/:alias\/.*$/, `:key/${alias.TargetKeyId}`);
          aliases.set(alias.AliasArn, keyArn).set(alias.AliasName, keyArn);
        }
      } catch (error) {
        gap(kmsReads.listAliases.api, error, "KMS aliases not listed (a secret encrypted with an aliased key is read as if its key allowed anyone)");
      }
    }
    return (secretArn, kmsKeyId) => {
      if (kmsKeyId === undefined || (isAlias(kmsKeyId) && !customerAlias(kmsKeyId))) return undefined;
      if (kmsKeyId.startsWith("arn:") && !isAlias(kmsKeyId)) return kmsKeyId;
      if (isAlias(kmsKeyId)) return aliases.get(kmsKeyId);
      const [, partition, , region] = secretArn.split(":");
      return `arn:${partition ?? options.partition}:kms:${region ?? ""}:${accountId}:key/${kmsKeyId}`;
    };
  }

  if (options.services.includes("secretsmanager")) {
    const secretsManager = options.secretsManager();
    let secrets: Array<{ ARN?: string | undefined; Name?: string | undefined; KmsKeyId?: string | undefined; Tags?: Array<{ Key?: string | undefined; Value?: string | undefined }> | undefined }> | undefined;
    try {
      secrets = await pages(secretsManagerReads.listSecrets.api, async (nextToken) => {
        const output = await runner.call(secretsManagerReads.listSecrets, secretsManager, { MaxResults: 100, ...(nextToken ? { NextToken: nextToken } : {}) }, scopeId);
        return { items: output.SecretList ?? [], next: output.NextToken };
      });
    } catch (error) {
      gap(secretsManagerReads.listSecrets.api, error, "secrets not listed");
    }
    const keyOf = await secretKeyResolver(secrets ?? []);
    await mapWithConcurrency(secrets ?? [], RESOURCE_CONCURRENCY, async (secret) => {
      const arn = secret.ARN;
      if (!arn) return;
      try {
        const output = await runner.call(secretsManagerReads.getResourcePolicy, secretsManager, { SecretId: arn }, scopeId);
        // ListSecrets lists every secret's tags: recorded (even none) so aws:ResourceTag conditions are decided.
        const tags = Object.fromEntries((secret.Tags ?? []).flatMap((tag) => (tag.Key !== undefined ? [[tag.Key, tag.Value ?? ""]] : [])));
        addPolicy(arn, `resource policy of secret ${secret.Name ?? arn}`, secretsManagerReads.getResourcePolicy.api, output.ResourcePolicy, [], keyOf(arn, secret.KmsKeyId), tags);
      } catch (error) {
        gap(secretsManagerReads.getResourcePolicy.api, error, `${arn}: secret policy not read`);
      }
    });
  }
  if (options.services.includes("s3")) {
    const lister = options.s3(undefined);
    let buckets: Array<{ Name?: string | undefined; BucketRegion?: string | undefined }> | undefined;
    try {
      buckets = await pages(s3Reads.listBuckets.api, async (continuationToken) => {
        const output = await runner.call(s3Reads.listBuckets, lister, { MaxBuckets: 1000, ...(continuationToken ? { ContinuationToken: continuationToken } : {}) }, scopeId);
        return { items: output.Buckets ?? [], next: output.ContinuationToken };
      });
    } catch (error) {
      gap(s3Reads.listBuckets.api, error, "S3 buckets not listed");
    }
    await mapWithConcurrency(buckets ?? [], RESOURCE_CONCURRENCY, async (bucket) => {
      const name = bucket.Name;
      if (!name) return;
      const arn = `arn:${options.partition}:s3:::${name}`;
      try {
        const output = await runner.call(s3Reads.getBucketPolicy, options.s3(bucket.BucketRegion), { Bucket: name, ExpectedBucketOwner: accountId }, scopeId);
        addPolicy(arn, `bucket policy of ${name}`, s3Reads.getBucketPolicy.api, output.Policy);
      } catch (error) {
        // No policy on the bucket is an answer (an empty policy), not a failure.
        const facts = errorFacts(error);
        if (facts.name === "NoSuchBucketPolicy" || facts.code === "NoSuchBucketPolicy") addPolicy(arn, `bucket policy of ${name}`, s3Reads.getBucketPolicy.api, undefined);
        else gap(s3Reads.getBucketPolicy.api, error, `${arn}: bucket policy not read`);
      }
    });
  }
  if (options.services.includes("sqs") && options.sqs) {
    const sqs = options.sqs();
    let queues: string[] | undefined;
    try {
      queues = await pages(sqsReads.listQueues.api, async (nextToken) => {
        const output = await runner.call(sqsReads.listQueues, sqs, { MaxResults: 1000, ...(nextToken ? { NextToken: nextToken } : {}) }, scopeId);
        return { items: output.QueueUrls ?? [], next: output.NextToken };
      });
    } catch (error) {
      gap(sqsReads.listQueues.api, error, "SQS queues not listed");
    }
    await mapWithConcurrency(queues ?? [], RESOURCE_CONCURRENCY, async (queueUrl) => {
      try {
        // Only the ARN and the policy: no message is received, no other attribute read.
        const output = await runner.call(sqsReads.getQueueAttributes, sqs, { QueueUrl: queueUrl, AttributeNames: ["QueueArn", "Policy"] }, scopeId);
        const arn = output.Attributes?.QueueArn;
        if (!arn) return;
        addPolicy(arn, `queue policy of ${arn.slice(arn.lastIndexOf(":") + 1)}`, sqsReads.getQueueAttributes.api, output.Attributes?.Policy);
      } catch (error) {
        gap(sqsReads.getQueueAttributes.api, error, `${queueUrl}: queue policy not read`);
      }
    });
  }

  if (options.services.includes("sns") && options.sns) {
    const sns = options.sns();
    let topics: string[] | undefined;
    try {
      topics = await pages(snsReads.listTopics.api, async (nextToken) => {
        const output = await runner.call(snsReads.listTopics, sns, nextToken ? { NextToken: nextToken } : {}, scopeId);
        return { items: (output.Topics ?? []).flatMap((topic) => (topic.TopicArn ? [topic.TopicArn] : [])), next: output.NextToken };
      });
    } catch (error) {
      gap(snsReads.listTopics.api, error, "SNS topics not listed");
    }
    await mapWithConcurrency(topics ?? [], RESOURCE_CONCURRENCY, async (arn) => {
      try {
        const output = await runner.call(snsReads.getTopicAttributes, sns, { TopicArn: arn }, scopeId);
        addPolicy(arn, `topic policy of ${arn.slice(arn.lastIndexOf(":") + 1)}`, snsReads.getTopicAttributes.api, output.Attributes?.Policy);
      } catch (error) {
        gap(snsReads.getTopicAttributes.api, error, `${arn}: topic policy not read`);
      }
    });
  }

  if (options.services.includes("lambda") && options.lambda) {
    const lambda = options.lambda();
    let functions: Array<{ FunctionArn?: string | undefined; FunctionName?: string | undefined }> | undefined;
    try {
      functions = await pages(lambdaReads.listFunctions.api, async (marker) => {
        const output = await runner.call(lambdaReads.listFunctions, lambda, { MaxItems: 50, ...(marker ? { Marker: marker } : {}) }, scopeId);
        return { items: output.Functions ?? [], next: output.NextMarker };
      });
    } catch (error) {
      gap(lambdaReads.listFunctions.api, error, "Lambda functions not listed");
    }
    await mapWithConcurrency(functions ?? [], RESOURCE_CONCURRENCY, async (fn) => {
      const arn = fn.FunctionArn;
      if (!arn) return;
      const name = `function policy of ${fn.FunctionName ?? arn}`;
      try {
        const output = await runner.call(lambdaReads.getPolicy, lambda, { FunctionName: arn }, scopeId);
        addPolicy(arn, name, lambdaReads.getPolicy.api, output.Policy);
      } catch (error) {
        // A function without a policy answers ResourceNotFoundException: an empty policy, not a failure.
        const facts = errorFacts(error);
        if (facts.name === "ResourceNotFoundException" || facts.code === "ResourceNotFoundException") addPolicy(arn, name, lambdaReads.getPolicy.api, undefined);
        else gap(lambdaReads.getPolicy.api, error, `${arn}: function policy not read`);
      }
    });
  }

  // Answers arrive in any order under concurrency; sorting keeps the inventory (and its digest) stable.
  parts.policies.sort((a, b) => compare(a.id, b.id));
  parts.gaps.sort((a, b) => compare(a.source, b.source) || compare(a.reason, b.reason));
  return parts;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A KMS grant as an Allow statement of the key's resource policy: the grantee may perform the
 * granted operations on this key. Encryption-context constraints become conditions the request
 * must meet (left open: the question does not say what context a caller will send).
 */
export function grantStatement(grant: GrantListEntry, keyArn: string): Statement[] {
  const grantee = grant.GranteePrincipal;
  const operations = grant.Operations ?? [];
  if (!grantee || operations.length === 0 || !grant.GrantId) return [];
  const conditions: Condition[] = [];
  const constraint = (operator: string, context: Record<string, string> | undefined) => {
    for (const [key, value] of Object.entries(context ?? {})) {
      const conditionKey = `kms:EncryptionContext:${key}`;
      conditions.push({ expression: `${conditionKey} ${operator} ${value}`, keys: [conditionKey], operator, values: [value] });
    }
  };
  constraint("StringEquals", grant.Constraints?.EncryptionContextEquals);
  constraint("StringEquals", grant.Constraints?.EncryptionContextSubset);
  return [
    {
      id: `grant:${grant.GrantId}`,
      effect: "Allow",
      principals: [grantee],
      actions: operations.map((operation) => `kms:${operation}`),
      resources: [keyArn],
      ...(conditions.length > 0 ? { conditions } : {}),
    },
  ];
}
