/**
 * The only module that imports AWS SDK command classes. Every operation the connector can perform
 * is listed here with the IAM actions it needs, so a test can prove that nothing but reads exists
 * and that policies/aws-readonly.json grants exactly these actions.
 */
import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountAuthorizationDetailsCommand,
  GetCredentialReportCommand,
  GetLoginProfileCommand,
  GetRoleCommand,
  ListAccessKeysCommand,
  ListOpenIDConnectProvidersCommand,
  ListSAMLProvidersCommand,
  ListServerCertificatesCommand,
  ListSigningCertificatesCommand,
  SimulatePrincipalPolicyCommand,
  type GetAccessKeyLastUsedCommandInput,
  type GetAccountAuthorizationDetailsCommandInput,
  type GetLoginProfileCommandInput,
  type GetRoleCommandInput,
  type IAMClient,
  type ListAccessKeysCommandInput,
  type ListServerCertificatesCommandInput,
  type ListSigningCertificatesCommandInput,
  type SimulatePrincipalPolicyCommandInput,
} from "@aws-sdk/client-iam";
import {
  AssumeRoleCommand,
  GetCallerIdentityCommand,
  type AssumeRoleCommandInput,
  type STSClient,
} from "@aws-sdk/client-sts";
import {
  DescribePolicyCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListPoliciesCommand,
  ListRootsCommand,
  ListTargetsForPolicyCommand,
  type DescribePolicyCommandInput,
  type ListAccountsForParentCommandInput,
  type ListOrganizationalUnitsForParentCommandInput,
  type ListPoliciesCommandInput,
  type ListRootsCommandInput,
  type ListTargetsForPolicyCommandInput,
  type OrganizationsClient,
} from "@aws-sdk/client-organizations";
import {
  GetKeyPolicyCommand,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeysCommand,
  type GetKeyPolicyCommandInput,
  type KMSClient,
  type ListAliasesCommandInput,
  type ListGrantsCommandInput,
  type ListKeysCommandInput,
} from "@aws-sdk/client-kms";
import {
  GetBucketPolicyCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  type GetBucketPolicyCommandInput,
  type GetObjectCommandInput,
  type ListBucketsCommandInput,
  type ListObjectsV2CommandInput,
  type S3Client,
} from "@aws-sdk/client-s3";
import { LookupEventsCommand, type CloudTrailClient, type LookupEventsCommandInput } from "@aws-sdk/client-cloudtrail";
import {
  GetResourcePolicyCommand,
  ListSecretsCommand,
  type GetResourcePolicyCommandInput,
  type ListSecretsCommandInput,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";

import {
  GetQueueAttributesCommand,
  ListQueuesCommand,
  type GetQueueAttributesCommandInput,
  type ListQueuesCommandInput,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import {
  GetTopicAttributesCommand,
  ListTopicsCommand,
  type GetTopicAttributesCommandInput,
  type ListTopicsCommandInput,
  type SNSClient,
} from "@aws-sdk/client-sns";
import {
  GetPolicyCommand,
  ListFunctionsCommand,
  type GetPolicyCommandInput,
  type LambdaClient,
  type ListFunctionsCommandInput,
} from "@aws-sdk/client-lambda";

/** One read the connector may perform. `send` hides the command class from every other module. */
export interface ReadOperation<Client, Input, Output> {
  /** `service:Operation`, used in evidence, gaps and the audit record. */
  readonly api: string;
  /** Name of the SDK command class (checked against the imports by a test). */
  readonly command: string;
  /** IAM actions the caller needs for this call (empty: no permission is needed). */
  readonly actions: readonly string[];
  send(client: Client, input: Input, abortSignal: AbortSignal): Promise<Output>;
}

function read<Client, Input, Output>(operation: ReadOperation<Client, Input, Output>): ReadOperation<Client, Input, Output> {
  return Object.freeze(operation);
}

type NoInput = Record<string, never>;

export const iamReads = {
  getAccountAuthorizationDetails: read({
    api: "iam:GetAccountAuthorizationDetails",
    command: "GetAccountAuthorizationDetailsCommand",
    actions: ["iam:GetAccountAuthorizationDetails"],
    send: (client: IAMClient, input: GetAccountAuthorizationDetailsCommandInput, abortSignal) =>
      client.send(new GetAccountAuthorizationDetailsCommand(input), { abortSignal }),
  }),
  generateCredentialReport: read({
    api: "iam:GenerateCredentialReport",
    command: "GenerateCredentialReportCommand",
    actions: ["iam:GenerateCredentialReport"],
    send: (client: IAMClient, _input: NoInput, abortSignal) => client.send(new GenerateCredentialReportCommand({}), { abortSignal }),
  }),
  getCredentialReport: read({
    api: "iam:GetCredentialReport",
    command: "GetCredentialReportCommand",
    actions: ["iam:GetCredentialReport"],
    send: (client: IAMClient, _input: NoInput, abortSignal) => client.send(new GetCredentialReportCommand({}), { abortSignal }),
  }),
  listAccessKeys: read({
    api: "iam:ListAccessKeys",
    command: "ListAccessKeysCommand",
    actions: ["iam:ListAccessKeys"],
    send: (client: IAMClient, input: ListAccessKeysCommandInput, abortSignal) => client.send(new ListAccessKeysCommand(input), { abortSignal }),
  }),
  getAccessKeyLastUsed: read({
    api: "iam:GetAccessKeyLastUsed",
    command: "GetAccessKeyLastUsedCommand",
    actions: ["iam:GetAccessKeyLastUsed"],
    send: (client: IAMClient, input: GetAccessKeyLastUsedCommandInput, abortSignal) =>
      client.send(new GetAccessKeyLastUsedCommand(input), { abortSignal }),
  }),
  getLoginProfile: read({
    api: "iam:GetLoginProfile",
    command: "GetLoginProfileCommand",
    actions: ["iam:GetLoginProfile"],
    send: (client: IAMClient, input: GetLoginProfileCommandInput, abortSignal) => client.send(new GetLoginProfileCommand(input), { abortSignal }),
  }),
  listServerCertificates: read({
    api: "iam:ListServerCertificates",
    command: "ListServerCertificatesCommand",
    actions: ["iam:ListServerCertificates"],
    send: (client: IAMClient, input: ListServerCertificatesCommandInput, abortSignal) =>
      client.send(new ListServerCertificatesCommand(input), { abortSignal }),
  }),
  listSigningCertificates: read({
    api: "iam:ListSigningCertificates",
    command: "ListSigningCertificatesCommand",
    actions: ["iam:ListSigningCertificates"],
    send: (client: IAMClient, input: ListSigningCertificatesCommandInput, abortSignal) =>
      client.send(new ListSigningCertificatesCommand(input), { abortSignal }),
  }),
  listOpenIdConnectProviders: read({
    api: "iam:ListOpenIDConnectProviders",
    command: "ListOpenIDConnectProvidersCommand",
    actions: ["iam:ListOpenIDConnectProviders"],
    send: (client: IAMClient, _input: NoInput, abortSignal) => client.send(new ListOpenIDConnectProvidersCommand({}), { abortSignal }),
  }),
  listSamlProviders: read({
    api: "iam:ListSAMLProviders",
    command: "ListSAMLProvidersCommand",
    actions: ["iam:ListSAMLProviders"],
    send: (client: IAMClient, _input: NoInput, abortSignal) => client.send(new ListSAMLProvidersCommand({}), { abortSignal }),
  }),
  simulatePrincipalPolicy: read({
    api: "iam:SimulatePrincipalPolicy",
    command: "SimulatePrincipalPolicyCommand",
    actions: ["iam:SimulatePrincipalPolicy"],
    send: (client: IAMClient, input: SimulatePrincipalPolicyCommandInput, abortSignal) =>
      client.send(new SimulatePrincipalPolicyCommand(input), { abortSignal }),
  }),
  getRole: read({
    api: "iam:GetRole",
    command: "GetRoleCommand",
    actions: ["iam:GetRole"],
    send: (client: IAMClient, input: GetRoleCommandInput, abortSignal) => client.send(new GetRoleCommand(input), { abortSignal }),
  }),
};

export const stsReads = {
  /** Obtains short-lived read credentials; the session policy passed in scopes them down further. */
  assumeRole: read({
    api: "sts:AssumeRole",
    command: "AssumeRoleCommand",
    actions: ["sts:AssumeRole", "sts:SetSourceIdentity"],
    send: (client: STSClient, input: AssumeRoleCommandInput, abortSignal) => client.send(new AssumeRoleCommand(input), { abortSignal }),
  }),
  /** Needs no permission: AWS always allows a caller to ask who it is. */
  getCallerIdentity: read({
    api: "sts:GetCallerIdentity",
    command: "GetCallerIdentityCommand",
    actions: [],
    send: (client: STSClient, _input: NoInput, abortSignal) => client.send(new GetCallerIdentityCommand({}), { abortSignal }),
  }),
};

export const organizationsReads = {
  listRoots: read({
    api: "organizations:ListRoots",
    command: "ListRootsCommand",
    actions: ["organizations:ListRoots"],
    send: (client: OrganizationsClient, input: ListRootsCommandInput, abortSignal) => client.send(new ListRootsCommand(input), { abortSignal }),
  }),
  listOrganizationalUnitsForParent: read({
    api: "organizations:ListOrganizationalUnitsForParent",
    command: "ListOrganizationalUnitsForParentCommand",
    actions: ["organizations:ListOrganizationalUnitsForParent"],
    send: (client: OrganizationsClient, input: ListOrganizationalUnitsForParentCommandInput, abortSignal) =>
      client.send(new ListOrganizationalUnitsForParentCommand(input), { abortSignal }),
  }),
  listAccountsForParent: read({
    api: "organizations:ListAccountsForParent",
    command: "ListAccountsForParentCommand",
    actions: ["organizations:ListAccountsForParent"],
    send: (client: OrganizationsClient, input: ListAccountsForParentCommandInput, abortSignal) =>
      client.send(new ListAccountsForParentCommand(input), { abortSignal }),
  }),
  listPolicies: read({
    api: "organizations:ListPolicies",
    command: "ListPoliciesCommand",
    actions: ["organizations:ListPolicies"],
    send: (client: OrganizationsClient, input: ListPoliciesCommandInput, abortSignal) => client.send(new ListPoliciesCommand(input), { abortSignal }),
  }),
  describePolicy: read({
    api: "organizations:DescribePolicy",
    command: "DescribePolicyCommand",
    actions: ["organizations:DescribePolicy"],
    send: (client: OrganizationsClient, input: DescribePolicyCommandInput, abortSignal) =>
      client.send(new DescribePolicyCommand(input), { abortSignal }),
  }),
  listTargetsForPolicy: read({
    api: "organizations:ListTargetsForPolicy",
    command: "ListTargetsForPolicyCommand",
    actions: ["organizations:ListTargetsForPolicy"],
    send: (client: OrganizationsClient, input: ListTargetsForPolicyCommandInput, abortSignal) =>
      client.send(new ListTargetsForPolicyCommand(input), { abortSignal }),
  }),
};

/** KMS key policies: metadata only, never a cryptographic operation. */
export const kmsReads = {
  listKeys: read({
    api: "kms:ListKeys",
    command: "ListKeysCommand",
    actions: ["kms:ListKeys"],
    send: (client: KMSClient, input: ListKeysCommandInput, abortSignal) => client.send(new ListKeysCommand(input), { abortSignal }),
  }),
  getKeyPolicy: read({
    api: "kms:GetKeyPolicy",
    command: "GetKeyPolicyCommand",
    actions: ["kms:GetKeyPolicy"],
    send: (client: KMSClient, input: GetKeyPolicyCommandInput, abortSignal) => client.send(new GetKeyPolicyCommand(input), { abortSignal }),
  }),
  /** Aliases name the key a secret is encrypted with when its KmsKeyId is an alias. */
  listAliases: read({
    api: "kms:ListAliases",
    command: "ListAliasesCommand",
    actions: ["kms:ListAliases"],
    send: (client: KMSClient, input: ListAliasesCommandInput, abortSignal) => client.send(new ListAliasesCommand(input), { abortSignal }),
  }),
  /** Grants allow key use next to the key policy; without them a grantee would look denied. */
  listGrants: read({
    api: "kms:ListGrants",
    command: "ListGrantsCommand",
    actions: ["kms:ListGrants"],
    send: (client: KMSClient, input: ListGrantsCommandInput, abortSignal) => client.send(new ListGrantsCommand(input), { abortSignal }),
  }),
};

/** Secrets Manager: secret metadata and resource policies. Secret values are never read (no GetSecretValue here). */
export const secretsManagerReads = {
  listSecrets: read({
    api: "secretsmanager:ListSecrets",
    command: "ListSecretsCommand",
    actions: ["secretsmanager:ListSecrets"],
    send: (client: SecretsManagerClient, input: ListSecretsCommandInput, abortSignal) => client.send(new ListSecretsCommand(input), { abortSignal }),
  }),
  getResourcePolicy: read({
    api: "secretsmanager:GetResourcePolicy",
    command: "GetResourcePolicyCommand",
    actions: ["secretsmanager:GetResourcePolicy"],
    send: (client: SecretsManagerClient, input: GetResourcePolicyCommandInput, abortSignal) =>
      client.send(new GetResourcePolicyCommand(input), { abortSignal }),
  }),
};

/** S3 bucket policies: the bucket list and each bucket's policy, never an object. */
export const s3Reads = {
  listBuckets: read({
    api: "s3:ListBuckets",
    command: "ListBucketsCommand",
    // The IAM action behind ListBuckets has its own name.
    actions: ["s3:ListAllMyBuckets"],
    send: (client: S3Client, input: ListBucketsCommandInput, abortSignal) => client.send(new ListBucketsCommand(input), { abortSignal }),
  }),
  getBucketPolicy: read({
    api: "s3:GetBucketPolicy",
    command: "GetBucketPolicyCommand",
    actions: ["s3:GetBucketPolicy"],
    send: (client: S3Client, input: GetBucketPolicyCommandInput, abortSignal) => client.send(new GetBucketPolicyCommand(input), { abortSignal }),
  }),
};

/** SQS queue policies: the queue's attributes (ARN and Policy only), never a message. */
export const sqsReads = {
  listQueues: read({
    api: "sqs:ListQueues",
    command: "ListQueuesCommand",
    actions: ["sqs:ListQueues"],
    send: (client: SQSClient, input: ListQueuesCommandInput, abortSignal) => client.send(new ListQueuesCommand(input), { abortSignal }),
  }),
  getQueueAttributes: read({
    api: "sqs:GetQueueAttributes",
    command: "GetQueueAttributesCommand",
    actions: ["sqs:GetQueueAttributes"],
    send: (client: SQSClient, input: GetQueueAttributesCommandInput, abortSignal) => client.send(new GetQueueAttributesCommand(input), { abortSignal }),
  }),
};

/** SNS topic policies: the topic's attributes, never a publish or a subscription change. */
export const snsReads = {
  listTopics: read({
    api: "sns:ListTopics",
    command: "ListTopicsCommand",
    actions: ["sns:ListTopics"],
    send: (client: SNSClient, input: ListTopicsCommandInput, abortSignal) => client.send(new ListTopicsCommand(input), { abortSignal }),
  }),
  getTopicAttributes: read({
    api: "sns:GetTopicAttributes",
    command: "GetTopicAttributesCommand",
    actions: ["sns:GetTopicAttributes"],
    send: (client: SNSClient, input: GetTopicAttributesCommandInput, abortSignal) => client.send(new GetTopicAttributesCommand(input), { abortSignal }),
  }),
};

/** Lambda function policies: who may invoke or manage a function, never its code or an invocation. */
export const lambdaReads = {
  listFunctions: read({
    api: "lambda:ListFunctions",
    command: "ListFunctionsCommand",
    actions: ["lambda:ListFunctions"],
    send: (client: LambdaClient, input: ListFunctionsCommandInput, abortSignal) => client.send(new ListFunctionsCommand(input), { abortSignal }),
  }),
  getPolicy: read({
    api: "lambda:GetPolicy",
    command: "GetPolicyCommand",
    actions: ["lambda:GetPolicy"],
    send: (client: LambdaClient, input: GetPolicyCommandInput, abortSignal) => client.send(new GetPolicyCommand(input), { abortSignal }),
  }),
};

/**
 * CloudTrail log files in a trail's bucket (activity, #18): listed by the key layout's date
 * prefixes and read whole. These are the only object reads, and the session policy allows them on
 * the configured trail bucket alone (TRAIL_LOG_ACTIONS).
 */
export const trailLogReads = {
  listObjectsV2: read({
    api: "s3:ListObjectsV2",
    command: "ListObjectsV2Command",
    // The IAM action behind ListObjectsV2 is ListBucket.
    actions: ["s3:ListBucket"],
    send: (client: S3Client, input: ListObjectsV2CommandInput, abortSignal) => client.send(new ListObjectsV2Command(input), { abortSignal }),
  }),
  getObject: read({
    api: "s3:GetObject",
    command: "GetObjectCommand",
    // A trail encrypted with SSE-KMS: S3 decrypts the log file with the trail's key for the reader,
    // who needs kms:Decrypt on it (granted only through S3: kms:ViaService).
    actions: ["s3:GetObject", "kms:Decrypt"],
    send: (client: S3Client, input: GetObjectCommandInput, abortSignal) => client.send(new GetObjectCommand(input), { abortSignal }),
  }),
};

/** CloudTrail's own event history (management events of the last 90 days), for accounts without a trail bucket. */
export const cloudTrailReads = {
  lookupEvents: read({
    api: "cloudtrail:LookupEvents",
    command: "LookupEventsCommand",
    actions: ["cloudtrail:LookupEvents"],
    send: (client: CloudTrailClient, input: LookupEventsCommandInput, abortSignal) => client.send(new LookupEventsCommand(input), { abortSignal }),
  }),
};

/** Object reads, allowed only on the trail bucket (never with Resource "*"). */
export const TRAIL_LOG_ACTIONS: readonly string[] = ["s3:GetObject", "s3:ListBucket"];

/** Decrypting a KMS-encrypted trail's log files, allowed only through S3 (kms:ViaService), never directly. */
export const TRAIL_DECRYPT_ACTIONS: readonly string[] = ["kms:Decrypt"];

export type AnyReadOperation = ReadOperation<never, never, unknown>;

/** Every operation the connector can perform, for the read-only and least-privilege checks. */
export const ALL_READ_OPERATIONS: readonly AnyReadOperation[] = [
  ...Object.values(iamReads),
  ...Object.values(stsReads),
  ...Object.values(organizationsReads),
  ...Object.values(kmsReads),
  ...Object.values(secretsManagerReads),
  ...Object.values(s3Reads),
  ...Object.values(sqsReads),
  ...Object.values(snsReads),
  ...Object.values(lambdaReads),
  ...Object.values(trailLogReads),
  ...Object.values(cloudTrailReads),
] as readonly AnyReadOperation[];

/**
 * The actions an assumed read session may use on every resource: everything the connector reads in
 * IAM, Organizations, KMS, Secrets Manager, S3, SQS, SNS, Lambda and CloudTrail. STS actions are excluded (a read
 * session never chains to another role), and object reads too: those are allowed on the trail
 * bucket only, in a statement of their own.
 */
export const SESSION_READ_ACTIONS: readonly string[] = [
  ...new Set(
    ALL_READ_OPERATIONS.flatMap((operation) => operation.actions).filter(
      (action) => !action.startsWith("sts:") && !TRAIL_LOG_ACTIONS.includes(action) && !TRAIL_DECRYPT_ACTIONS.includes(action),
    ),
  ),
].sort();
