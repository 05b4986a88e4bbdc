/**
 * The least-privilege IAM policy for the server's base credentials (`policies/aws-readonly.json`):
 * the IAM, Organizations, KMS, Secrets Manager and S3 reads the connector makes, and `sts:AssumeRole` (with
 * `sts:SetSourceIdentity`, which stamps the caller on the session) only on the reader roles it is
 * configured to assume, never on every role of every account.
 */
import type { AwsProviderConfig } from "./config.js";
import { ALL_READ_OPERATIONS, TRAIL_DECRYPT_ACTIONS, TRAIL_LOG_ACTIONS } from "./reads.js";

/** The reader role name the README and the shipped policy use; any name works when configured. */
export const CONVENTIONAL_READER_ROLE = "wiam-readonly";

/** The shipped policy's reader roles: the conventional name, in any account. */
export const CONVENTIONAL_READER_ROLE_PATTERN = `arn:aws:iam::*:role/${CONVENTIONAL_READER_ROLE}`;

export interface ReaderPolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string[]>>;
}

export interface ReaderPolicyDocument {
  Version: "2012-10-17";
  Statement: ReaderPolicyStatement[];
}

function actionsOf(service: string): string[] {
  return [
    ...new Set(
      ALL_READ_OPERATIONS.flatMap((operation) => operation.actions).filter(
        (action) => action.startsWith(`${service}:`) && !TRAIL_LOG_ACTIONS.includes(action) && !TRAIL_DECRYPT_ACTIONS.includes(action),
      ),
    ),
  ].sort();
}

/** The reader roles a config assumes: each account's `roleArn` and the Organizations role. */
export function configuredReaderRoles(config: Pick<AwsProviderConfig, "accounts" | "organizations">): string[] {
  const roles = config.accounts.flatMap((account) => (account.roleArn ? [account.roleArn] : []));
  if (config.organizations?.roleArn) roles.push(config.organizations.roleArn);
  return [...new Set(roles)].sort();
}

/** The policy for base credentials that assume `readerRoles` (ARNs, or patterns naming only reader roles). */
export function readerPolicyDocument(readerRoles: readonly string[]): ReaderPolicyDocument {
  const statements: ReaderPolicyStatement[] = [
    { Sid: "ReadIamInventory", Effect: "Allow", Action: actionsOf("iam"), Resource: "*" },
    { Sid: "ReadOrganizationStructureAndScps", Effect: "Allow", Action: actionsOf("organizations"), Resource: "*" },
    // Bucket, key, secret, queue, topic and function policies only: no object read, no decrypt, no
    // GetSecretValue, no message, publish or invocation.
    { Sid: "ReadResourcePolicies", Effect: "Allow", Action: ["kms", "lambda", "s3", "secretsmanager", "sns", "sqs"].flatMap(actionsOf), Resource: "*" },
    // Activity (#18): CloudTrail's event history, and log files in a trail bucket's AWSLogs/ layout only.
    { Sid: "ReadCloudTrailEventHistory", Effect: "Allow", Action: actionsOf("cloudtrail"), Resource: "*" },
    {
      Sid: "ListCloudTrailLogFiles",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: "arn:aws:s3:::*",
      Condition: { StringLike: { "s3:prefix": ["AWSLogs/*", "*/AWSLogs/*"] } },
    },
    // CloudTrail's own keys (AWSLogs/<account or org>/.../CloudTrail/...), not the other logs kept under AWSLogs/.
    { Sid: "ReadCloudTrailLogFiles", Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::*/AWSLogs/*/CloudTrail/*" },
    // A trail encrypted with SSE-KMS: its log files are decrypted by S3 for the reader, and only by
    // S3 (the key cannot be used directly), for the objects the statement above allows. Narrow
    // Resource to the trail's key (cloudtrail DescribeTrails: KmsKeyId) where it is known.
    {
      Sid: "DecryptCloudTrailLogFilesThroughS3",
      Effect: "Allow",
      Action: [...TRAIL_DECRYPT_ACTIONS],
      Resource: "*",
      // CloudTrail encrypts each log file under its trail's ARN as encryption context: other SSE-KMS
      // objects (flow logs, load balancer logs, Config snapshots) are not decrypted by this statement.
      Condition: { StringLike: { "kms:ViaService": ["s3.*.amazonaws.com"], "kms:EncryptionContext:aws:cloudtrail:arn": ["arn:aws:cloudtrail:*:*:trail/*"] } },
    },
  ];
  const [onlyRole] = readerRoles;
  if (onlyRole !== undefined) {
    statements.push({
      Sid: "AssumeReaderRolesWithSourceIdentity",
      Effect: "Allow",
      Action: actionsOf("sts"),
      Resource: readerRoles.length === 1 ? onlyRole : [...readerRoles],
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}
