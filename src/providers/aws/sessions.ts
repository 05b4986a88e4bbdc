/**
 * Short-lived, scoped credentials: one STS session per (task, role), named after the task,
 * stamped with the caller as SourceIdentity (so CloudTrail shows who asked), and narrowed by an
 * inline session policy to the reads this connector makes, whatever the role itself allows.
 */
import { createHash } from "node:crypto";
import type { IAMClient } from "@aws-sdk/client-iam";
import type { OrganizationsClient } from "@aws-sdk/client-organizations";
import type { STSClient } from "@aws-sdk/client-sts";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { S3Client } from "@aws-sdk/client-s3";
import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { AwsCallRunner } from "./calls.js";
import { SESSION_READ_ACTIONS, TRAIL_DECRYPT_ACTIONS, TRAIL_LOG_ACTIONS, stsReads } from "./reads.js";

/** Sessions are replaced this long before they expire, so no call runs on a dying credential. */
export const SESSION_REFRESH_MARGIN_MS = 60_000;

export interface AwsSessionInfo {
  accountId: string;
  roleArn: string;
  sessionName: string;
  sourceIdentity: string;
  expiresAt: string;
  /** The actions the session policy allows. */
  policyActions: readonly string[];
}

export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export interface AwsSession {
  info: AwsSessionInfo;
  credentials: SessionCredentials;
  /** Clients bound to this session, created lazily and destroyed with it. */
  clients: {
    iam?: IAMClient;
    organizations?: OrganizationsClient;
    kms?: KMSClient;
    secretsManager?: SecretsManagerClient;
    s3?: Map<string, S3Client>;
    cloudTrail?: Map<string, CloudTrailClient>;
    sqs?: SQSClient;
    sns?: SNSClient;
    lambda?: LambdaClient;
  };
}

export interface RoleTarget {
  accountId: string;
  roleArn: string;
  externalId?: string | undefined;
}

const NAME_CHARACTERS = /[^\w+=,.@-]/g;
const MAX_NAME_LENGTH = 64;

function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 8);
}

/** STS names allow [\w+=,.@-]{2,64}; long names keep a hash of the original so they stay distinct. */
function stsName(raw: string, prefix: string): string {
  const cleaned = `${prefix}${raw.replace(NAME_CHARACTERS, "-")}`;
  if (cleaned.length <= MAX_NAME_LENGTH) return cleaned.length >= 2 ? cleaned : `${cleaned}--`.slice(0, 2);
  const hash = shortHash(raw);
  return `${cleaned.slice(0, MAX_NAME_LENGTH - hash.length - 1)}-${hash}`;
}

export function roleSessionNameForTask(taskId: string): string {
  return stsName(taskId, "wiam-");
}

export function sourceIdentityForCaller(caller: string): string {
  // AWS reserves the "aws:" prefix; the sanitizer already turns ":" into "-".
  return stsName(caller.length > 0 ? caller : "wiam", "");
}

/** The inline session policy: the connector's read actions and nothing else. */
/** A trail's bucket and key prefix: the one place a session may read objects (CloudTrail log files). */
export interface TrailLogLocation {
  bucket: string;
  prefix: string;
  /** The bucket's region, when configured: decryption is allowed through that region's S3 only. */
  region?: string | undefined;
  /** The trail's KMS key (SSE-KMS), when configured: the only key the session may decrypt with. */
  kmsKeyArn?: string | undefined;
}

/** The encryption context CloudTrail writes its log files under: the trail's ARN. */
const TRAIL_ENCRYPTION_CONTEXT = "arn:aws:cloudtrail:*:*:trail/*";

export function buildSessionPolicy(trail?: TrailLogLocation): string {
  const statements: Record<string, unknown>[] = [{ Sid: "WiamReadOnlyCollection", Effect: "Allow", Action: [...SESSION_READ_ACTIONS], Resource: "*" }];
  if (trail) {
    // Log files of the trail only: its keys under AWSLogs/, never another object or bucket.
    statements.push({
      Sid: "WiamReadTrailLogs",
      Effect: "Allow",
      Action: [...TRAIL_LOG_ACTIONS],
      Resource: [`arn:aws:s3:::${trail.bucket}`, `arn:aws:s3:::${trail.bucket}/${trail.prefix}AWSLogs/*/CloudTrail/*`],
    });
    // A KMS-encrypted trail: S3 decrypts the log files it is allowed to return, nothing else may use the key.
    statements.push({
      Sid: "WiamDecryptTrailLogs",
      Effect: "Allow",
      Action: [...TRAIL_DECRYPT_ACTIONS],
      Resource: trail.kmsKeyArn ?? "*",
      // Only objects CloudTrail encrypted under a trail's ARN: no other SSE-KMS object in the bucket.
      Condition: trail.region
        ? { StringEquals: { "kms:ViaService": `s3.${trail.region}.amazonaws.com` }, StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": TRAIL_ENCRYPTION_CONTEXT } }
        : { StringLike: { "kms:ViaService": "s3.*.amazonaws.com", "kms:EncryptionContext:aws:cloudtrail:arn": TRAIL_ENCRYPTION_CONTEXT } },
    });
  }
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

export interface SessionManagerOptions {
  sts: STSClient;
  /** The trail bucket sessions may read log files from (activity collection), if configured. */
  trail?: TrailLogLocation | undefined;
  durationSeconds: number;
  caller: string;
  now: () => Date;
}

export class AwsSessionManager {
  private readonly sessions = new Map<string, Promise<AwsSession>>();
  private readonly settled = new Map<string, AwsSession>();

  constructor(private readonly options: SessionManagerOptions) {}

  private key(taskId: string, roleArn: string): string {
    return `${taskId}\u0000${roleArn}`;
  }

  /** The task's session for this role, assuming it when absent or within a minute of expiry. */
  async session(taskId: string, target: RoleTarget, runner: AwsCallRunner): Promise<AwsSession> {
    const key = this.key(taskId, target.roleArn);
    const pending = this.sessions.get(key);
    if (pending) {
      const current = await pending.catch(() => undefined);
      if (current && current.credentials.expiration.getTime() - SESSION_REFRESH_MARGIN_MS > this.options.now().getTime()) {
        return current;
      }
      // Calls still running on the old session keep its clients; only endTask destroys them.
      if (this.sessions.get(key) === pending) this.drop(key, false);
      else return this.session(taskId, target, runner);
    }
    const created = this.assume(taskId, target, runner);
    this.sessions.set(key, created);
    created.then(
      (session) => this.settled.set(key, session),
      () => {
        if (this.sessions.get(key) === created) this.sessions.delete(key);
      },
    );
    return created;
  }

  private async assume(taskId: string, target: RoleTarget, runner: AwsCallRunner): Promise<AwsSession> {
    const sessionName = roleSessionNameForTask(taskId);
    const sourceIdentity = sourceIdentityForCaller(this.options.caller);
    const output = await runner.call(
      stsReads.assumeRole,
      this.options.sts,
      {
        RoleArn: target.roleArn,
        RoleSessionName: sessionName,
        DurationSeconds: this.options.durationSeconds,
        SourceIdentity: sourceIdentity,
        Policy: buildSessionPolicy(this.options.trail),
        ...(target.externalId ? { ExternalId: target.externalId } : {}),
      },
      `aws:account/${target.accountId}`,
    );
    const credentials = output.Credentials;
    if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken || !credentials.Expiration) {
      throw new Error(`sts:AssumeRole returned no credentials for ${target.roleArn}`);
    }
    return {
      info: {
        accountId: target.accountId,
        roleArn: target.roleArn,
        sessionName,
        sourceIdentity,
        expiresAt: credentials.Expiration.toISOString(),
        policyActions: SESSION_READ_ACTIONS,
      },
      credentials: {
        accessKeyId: credentials.AccessKeyId,
        secretAccessKey: credentials.SecretAccessKey,
        sessionToken: credentials.SessionToken,
        expiration: credentials.Expiration,
      },
      clients: {},
    };
  }

  /** What the task currently holds, for the audit record (never the credentials themselves). */
  sessionInfo(taskId: string, roleArn: string): AwsSessionInfo | undefined {
    return this.settled.get(this.key(taskId, roleArn))?.info;
  }

  sessionsOfTask(taskId: string): AwsSessionInfo[] {
    const prefix = `${taskId}\u0000`;
    return [...this.settled.entries()].filter(([key]) => key.startsWith(prefix)).map(([, session]) => session.info);
  }

  endTask(taskId: string): void {
    const prefix = `${taskId}\u0000`;
    for (const key of [...this.sessions.keys()]) if (key.startsWith(prefix)) this.drop(key, true);
  }

  endAll(): void {
    for (const key of [...this.sessions.keys()]) this.drop(key, true);
  }

  private drop(key: string, destroyClients: boolean): void {
    const session = this.settled.get(key);
    if (destroyClients) {
      session?.clients.iam?.destroy();
      session?.clients.organizations?.destroy();
      session?.clients.kms?.destroy();
      session?.clients.secretsManager?.destroy();
      session?.clients.sqs?.destroy();
      session?.clients.sns?.destroy();
      session?.clients.lambda?.destroy();
      for (const client of session?.clients.s3?.values() ?? []) client.destroy();
      for (const client of session?.clients.cloudTrail?.values() ?? []) client.destroy();
    }
    this.settled.delete(key);
    this.sessions.delete(key);
  }
}
