/**
 * Configuration of the AWS connector (`providers.aws` in the YAML config).
 *
 * Credentials, region and endpoints are deliberately NOT configured here: the SDK's default chain
 * already honours AWS_PROFILE / AWS_REGION / SSO / container and instance metadata, and
 * AWS_ENDPOINT_URL plus AWS_ENDPOINT_URL_IAM / _STS / _ORGANIZATIONS, exactly as users expect from
 * every other AWS tool. `profile` and `region` only override that chain.
 */
import { z } from "zod";

const accountId = z.string().regex(/^\d{12}$/, "an AWS account id is 12 digits");
const roleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, "expected an IAM role ARN");

export const awsAccountConfigSchema = z
  .object({
    id: accountId,
    name: z.string().min(1).optional(),
    /** Read-only role assumed (once per task) to read this account. Without it the base credentials are used. */
    roleArn: roleArn.optional(),
    externalId: z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, "invalid external id").optional(),
    /** Becomes the `environment` tag of the account scope (used by policy and filters). */
    environment: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((account, context) => {
    if (account.roleArn && account.roleArn.split(":")[4] !== account.id) {
      context.addIssue({ code: "custom", path: ["roleArn"], message: "the role must live in the account it reads" });
    }
    if (account.externalId && !account.roleArn) {
      context.addIssue({ code: "custom", path: ["externalId"], message: "externalId only applies with roleArn" });
    }
  });
export type AwsAccountConfig = z.infer<typeof awsAccountConfigSchema>;

const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "expected a region such as us-east-1");

/**
 * Activity (#18): CloudTrail events of the configured accounts, from the trail's bucket (an
 * organization trail's log archive) or, for accounts without one, CloudTrail's event history.
 */
export const awsActivityConfigSchema = z
  .object({
    /** How far back to read: the baseline and the detection window (default 31 days). */
    hours: z.number().int().min(1).max(24 * 90).default(31 * 24),
    regions: z.array(region).min(1).default(["us-east-1"]),
    /** A current ip-ranges.json replacing the shipped snapshot of AWS's ranges (inside/outside AWS). */
    rangesFile: z.string().min(1).optional(),
    trail: z
      .object({
        bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "expected an S3 bucket name"),
        /** The trail's S3 key prefix, if it has one (ends with "/"). */
        prefix: z.string().regex(/^([\w.!*'()-]+\/)*$/, "a key prefix ending with /").default(""),
        /** Organization trails put the organization id in the key: AWSLogs/<o-id>/<account>/... */
        organizationId: z.string().regex(/^o-[a-z0-9]{10,32}$/, "expected an organization id (o-...)").optional(),
        /** The bucket's region (S3 answers a bucket only in its own region). */
        region: region.optional(),
        /** The configured account whose session reads the bucket (the log archive); default: the first account. */
        readerAccountId: accountId.optional(),
        /** The trail's KMS key when its log files are encrypted with SSE-KMS (DescribeTrails: KmsKeyId): sessions may decrypt with this key only, through S3. */
        kmsKeyArn: z
          .string()
          .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, "expected a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)")
          .optional(),
        /** Listed size above which a log file is skipped unread (a gap named in the source's note). */
        maxFileBytes: z.number().int().min(1024).default(256 * 1024 * 1024),
        /** Gunzipped size above which a log file is refused; under 2 GiB so the scanner's offsets hold. */
        maxUnpackedBytes: z.number().int().min(1024 * 1024).max(1536 * 1024 * 1024).default(512 * 1024 * 1024),
      })
      .strict()
      .optional(),
    /** CloudTrail's event history (LookupEvents), for accounts without a trail bucket: 2 requests a second per account and region, 50 events a page. */
    lookupEvents: z
      .object({
        accounts: z.array(accountId).optional(),
        /** Pages read per account and region before coverage is reported partial. */
        maxPages: z.number().int().min(1).max(10_000).default(200),
        requestsPerSecond: z.number().min(0.1).max(2).default(2),
      })
      .strict()
      .optional(),
  })
  .strict();
export type AwsActivityConfig = z.output<typeof awsActivityConfigSchema>;

export const awsProviderConfigSchema = z
  .object({
    accounts: z.array(awsAccountConfigSchema).default([]),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "expected a region such as us-east-1").optional(),
    profile: z.string().min(1).optional(),
    organizations: z
      .object({
        enabled: z.boolean(),
        /** Role in the management (or delegated administrator) account; base credentials when absent. */
        roleArn: roleArn.optional(),
      })
      .strict()
      .optional(),
    /** Lifetime of each per-task STS session. 900 s is the STS minimum and the default. */
    sessionDurationSeconds: z.number().int().min(900).max(43_200).default(900),
    /** Treat over-broad credentials (see checkCredentialBreadth) as an error rather than a warning. */
    strict: z.boolean().default(false),
    /** Accounts collected at the same time. */
    maxConcurrency: z.number().int().min(1).max(32).default(4),
    /** Attempts per API call (first try included) on throttling, 5xx, timeouts and network errors. */
    maxAttempts: z.number().int().min(1).max(10).default(5),
    /** Per-call timeout. */
    callTimeoutMs: z.number().int().min(100).max(300_000).default(30_000),
    /** How long a collected account is reused before it is read again. 0 disables the cache. */
    cacheTtlSeconds: z.number().int().min(0).max(86_400).default(300),
    /** GenerateCredentialReport polls before giving up and falling back to per-user calls. */
    credentialReportPollAttempts: z.number().int().min(1).max(60).default(10),
    /**
     * Resource policies to read per account: KMS key policies and Secrets Manager secret policies
     * (configured region), S3 bucket policies (every bucket, in its own region); one Get call per
     * key, secret or bucket. Off by default: the calls grow with the number of resources.
     */
    resourcePolicies: z.array(z.enum(["kms", "secretsmanager", "s3", "sqs", "sns", "lambda"])).default([]),
    /** Activity of identities from CloudTrail (find_anomalous_activity); off unless set. */
    activity: awsActivityConfigSchema.optional(),
  })
  .strict()
  .superRefine((config, context) => {
    const seen = new Set<string>();
    config.accounts.forEach((account, index) => {
      if (seen.has(account.id)) {
        context.addIssue({ code: "custom", path: ["accounts", index, "id"], message: `account ${account.id} is listed twice` });
      }
      seen.add(account.id);
    });
    if (config.accounts.length === 0 && !config.organizations?.enabled) {
      context.addIssue({ code: "custom", path: ["accounts"], message: "list at least one account or enable organizations" });
    }
  });

/** The config after defaults were applied. */
export type AwsProviderConfig = z.output<typeof awsProviderConfigSchema>;
/** The config as written by a user (defaults optional). */
export type AwsProviderConfigInput = z.input<typeof awsProviderConfigSchema>;
