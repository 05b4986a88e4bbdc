/**
 * SDK clients. Region, credentials and endpoints come from the SDK's own resolution (env vars,
 * shared config/SSO profiles, container and instance metadata, AWS_ENDPOINT_URL[_IAM|_STS|
 * _ORGANIZATIONS]) unless the config overrides them. SDK retries are off: calls.ts retries.
 */
import { IAMClient, type IAMClientConfig } from "@aws-sdk/client-iam";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { STSClient } from "@aws-sdk/client-sts";
import { KMSClient } from "@aws-sdk/client-kms";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SNSClient } from "@aws-sdk/client-sns";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";

export type AwsCredentialsInput = NonNullable<IAMClientConfig["credentials"]>;
export type AwsRequestHandler = IAMClientConfig["requestHandler"];

export interface ClientSettings {
  region: string | (() => Promise<string>);
  profile?: string | undefined;
  credentials: AwsCredentialsInput;
  requestHandler?: AwsRequestHandler;
}

/** IAM and Organizations are global services served from us-east-1; use it when nothing else is configured. */
const FALLBACK_REGION = "us-east-1";

/**
 * The region the SDK itself would pick (AWS_REGION, the profile's region), or us-east-1 rather
 * than failing: IAM works from any region. Resolved once per connector.
 */
export function defaultRegion(profile: string | undefined): () => Promise<string> {
  let resolved: Promise<string> | undefined;
  return () => {
    resolved ??= new STSClient(profile ? { profile } : {}).config.region().catch(() => FALLBACK_REGION);
    return resolved;
  };
}

function commonConfig(settings: ClientSettings) {
  return {
    region: settings.region,
    ...(settings.profile ? { profile: settings.profile } : {}),
    credentials: settings.credentials,
    maxAttempts: 1,
    ...(settings.requestHandler ? { requestHandler: settings.requestHandler } : {}),
  };
}

export function baseCredentials(profile: string | undefined): AwsCredentialsInput {
  return fromNodeProviderChain(profile ? { profile } : {});
}

export function createIamClient(settings: ClientSettings): IAMClient {
  return new IAMClient(commonConfig(settings));
}

export function createStsClient(settings: ClientSettings): STSClient {
  return new STSClient(commonConfig(settings));
}

export function createOrganizationsClient(settings: ClientSettings): OrganizationsClient {
  return new OrganizationsClient(commonConfig(settings));
}

export function createKmsClient(settings: ClientSettings): KMSClient {
  return new KMSClient(commonConfig(settings));
}

export function createSecretsManagerClient(settings: ClientSettings): SecretsManagerClient {
  return new SecretsManagerClient(commonConfig(settings));
}

export function createSqsClient(settings: ClientSettings): SQSClient {
  return new SQSClient(commonConfig(settings));
}

export function createSnsClient(settings: ClientSettings): SNSClient {
  return new SNSClient(commonConfig(settings));
}

export function createLambdaClient(settings: ClientSettings): LambdaClient {
  return new LambdaClient(commonConfig(settings));
}

/** S3 answers a bucket's requests only in the bucket's own region; `region` overrides the default. */
export function createS3Client(settings: ClientSettings, region?: string): S3Client {
  return new S3Client(commonConfig(region ? { ...settings, region } : settings));
}

/** CloudTrail's event history is per region: one client per account session and region. */
export function createCloudTrailClient(settings: ClientSettings, region: string): CloudTrailClient {
  return new CloudTrailClient(commonConfig({ ...settings, region }));
}
