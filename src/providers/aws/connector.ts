/**
 * The AWS connector: reads configured accounts (and optionally the organization) into the
 * inventory model. Read-only by construction (reads.ts holds the only SDK commands, all reads),
 * per-task STS sessions narrowed by a session policy, bounded concurrency, retries with jittered
 * backoff, per-call timeouts, a per-account TTL cache, and gaps instead of silently missing data.
 */
import type { IAMClient } from "@aws-sdk/client-iam";
import type { OrganizationsClient } from "@aws-sdk/client-organizations";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { S3Client } from "@aws-sdk/client-s3";
import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { collectAwsActivity, probeTrailLogs, type TrailProbe } from "./activity/collect.js";
import { loadAwsRanges } from "./activity/ranges.js";
import type { CollectContext, Connector } from "../../connectors/connector.js";
import { emptySnapshot, type CollectionGap, type InventorySnapshot, type Scope } from "../../model/inventory.js";
import type { ActivityIngestion } from "../provider.js";
import { checkCredentialBreadth, type BreadthEnvironment, type CredentialBreadthReport } from "./collect/breadth.js";
import { AwsCallRunner } from "./calls.js";
import {
  baseCredentials,
  createIamClient,
  createKmsClient,
  createOrganizationsClient,
  createCloudTrailClient,
  createS3Client,
  createSecretsManagerClient,
  createSqsClient,
  createSnsClient,
  createLambdaClient,
  createStsClient,
  defaultRegion,
  type AwsCredentialsInput,
  type AwsRequestHandler,
  type ClientSettings,
} from "./clients.js";
import { stsReads } from "./reads.js";
import { arnAccountField, awsPartitionOf } from "./ids.js";
import { awsProviderConfigSchema, type AwsAccountConfig, type AwsProviderConfig, type AwsProviderConfigInput } from "./config.js";
import { collectAccount } from "./collect/account.js";
import { mapAccount, type AccountParts } from "./collect/map.js";
import { collectResourcePolicies } from "./collect/resource-policies.js";
import { collectOrganization, type OrganizationParts } from "./collect/organizations.js";
import { mapWithConcurrency } from "../../connectors/common/pool.js";
import { TtlCache } from "../../connectors/common/ttl-cache.js";
import { DEFAULT_RETRY_TIMING, describeError, isRetryable, type RetryTiming } from "./errors.js";
import { AwsSessionManager, type AwsSession, type AwsSessionInfo, type RoleTarget } from "./sessions.js";

export interface AwsConnectorDeps {
  now?: () => Date;
  /** Base credentials; default: the SDK's node provider chain (env, profiles incl. SSO, metadata). */
  credentials?: AwsCredentialsInput;
  /** Who asks (user or MCP client); becomes the STS SourceIdentity of every session. */
  caller?: string;
  requestHandler?: AwsRequestHandler;
  /** Backoff base/cap, sleep and randomness; tests inject these to run fast. */
  retry?: Partial<RetryTiming>;
  /** How trail-bucket objects are parsed (config `activity.ingestion`). */
  activityIngestion?: ActivityIngestion | undefined;
}

export interface BreadthCheckOptions {
  /** Task whose sessions to use; a temporary one is created and ended otherwise. */
  taskId?: string;
  /** Actions to test instead of SENSITIVE_ACTIONS. */
  actions?: readonly string[];
}

export interface AwsConnector extends Connector {
  readonly id: "aws";
  /** The session a task holds for an account, for the audit record (never the secret parts). */
  sessionFor(taskId: string, accountId: string): AwsSessionInfo | undefined;
  /** One line per account on how the task reaches it, for the audit record. */
  describeCredentialScope(taskId: string): string;
  /** Forgets (and closes the clients of) every session of the task. */
  endTask(taskId: string): void;
  /** Simulates sensitive actions for the base identity and each read role (for `wiam doctor`). */
  checkCredentialBreadth(options?: BreadthCheckOptions): Promise<CredentialBreadthReport>;
  /** One log file of the configured trail read as collection would (undefined: no trail configured). */
  checkTrailLogs(): Promise<{ location: string; probe: TrailProbe } | undefined>;
  clearCache(): void;
  /** Ends all sessions and closes the base clients. */
  close(): void;
}


interface AccountResult {
  parts: AccountParts;
  transientFailure: boolean;
  /** How the account was reached, e.g. a session name or "base credentials". */
  via: string;
}



export function createAwsConnector(configInput: AwsProviderConfigInput | AwsProviderConfig, deps: AwsConnectorDeps = {}): AwsConnector {
  const config = awsProviderConfigSchema.parse(configInput);
  const now = deps.now ?? (() => new Date());
  const timing: RetryTiming = { ...DEFAULT_RETRY_TIMING, ...deps.retry };
  const baseSettings: ClientSettings = {
    region: config.region ?? defaultRegion(config.profile),
    profile: config.profile,
    credentials: deps.credentials ?? baseCredentials(config.profile),
    ...(deps.requestHandler ? { requestHandler: deps.requestHandler } : {}),
  };
  const baseSts = createStsClient(baseSettings);
  let baseIam: IAMClient | undefined;
  let baseOrganizations: OrganizationsClient | undefined;
  const trail = config.activity?.trail;
  const trailLocation = trail ? { bucket: trail.bucket, prefix: trail.prefix, region: trail.region, kmsKeyArn: trail.kmsKeyArn } : undefined;
  const sessions = new AwsSessionManager({ sts: baseSts, durationSeconds: config.sessionDurationSeconds, caller: deps.caller ?? "wiam", now, trail: trailLocation });
  const accountCache = new TtlCache<AccountResult>(config.cacheTtlSeconds, now);
  const organizationCache = new TtlCache<OrganizationParts>(config.cacheTtlSeconds, now);
  let baseIdentity: Promise<{ account: string; arn: string }> | undefined;

  function sessionSettings(session: AwsSession): ClientSettings {
    return { ...baseSettings, credentials: { ...session.credentials } };
  }

  function iamFor(session: AwsSession | undefined): IAMClient {
    if (!session) return (baseIam ??= createIamClient(baseSettings));
    return (session.clients.iam ??= createIamClient(sessionSettings(session)));
  }

  let baseKms: KMSClient | undefined;
  let baseSecretsManager: SecretsManagerClient | undefined;

  function kmsFor(session: AwsSession | undefined): KMSClient {
    if (!session) return (baseKms ??= createKmsClient(baseSettings));
    return (session.clients.kms ??= createKmsClient(sessionSettings(session)));
  }

  function secretsManagerFor(session: AwsSession | undefined): SecretsManagerClient {
    if (!session) return (baseSecretsManager ??= createSecretsManagerClient(baseSettings));
    return (session.clients.secretsManager ??= createSecretsManagerClient(sessionSettings(session)));
  }

  let baseSqs: SQSClient | undefined;
  let baseSns: SNSClient | undefined;
  let baseLambda: LambdaClient | undefined;
  const sqsFor = (session: AwsSession | undefined): SQSClient =>
    session ? (session.clients.sqs ??= createSqsClient(sessionSettings(session))) : (baseSqs ??= createSqsClient(baseSettings));
  const snsFor = (session: AwsSession | undefined): SNSClient =>
    session ? (session.clients.sns ??= createSnsClient(sessionSettings(session))) : (baseSns ??= createSnsClient(baseSettings));
  const lambdaFor = (session: AwsSession | undefined): LambdaClient =>
    session ? (session.clients.lambda ??= createLambdaClient(sessionSettings(session))) : (baseLambda ??= createLambdaClient(baseSettings));

  const baseS3 = new Map<string, S3Client>();

  /** One S3 client per region a session (or the base credentials) reads buckets in. */
  function s3For(session: AwsSession | undefined, region: string | undefined): S3Client {
    const clients = session ? (session.clients.s3 ??= new Map()) : baseS3;
    const key = region ?? "";
    let client = clients.get(key);
    if (!client) {
      client = createS3Client(session ? sessionSettings(session) : baseSettings, region);
      clients.set(key, client);
    }
    return client;
  }

  const baseCloudTrail = new Map<string, CloudTrailClient>();

  /** One CloudTrail client per region a session (or the base credentials) reads event history in. */
  function cloudTrailFor(session: AwsSession | undefined, region: string): CloudTrailClient {
    const clients = session ? (session.clients.cloudTrail ??= new Map()) : baseCloudTrail;
    let client = clients.get(region);
    if (!client) {
      client = createCloudTrailClient(session ? sessionSettings(session) : baseSettings, region);
      clients.set(region, client);
    }
    return client;
  }

  /** The task's session for a configured account (undefined: the base credentials read it). */
  async function accountSession(context: Pick<CollectContext, "taskId">, runner: AwsCallRunner, accountId: string): Promise<AwsSession | undefined> {
    const account = config.accounts.find((candidate) => candidate.id === accountId);
    if (!account?.roleArn) return undefined;
    return sessions.session(context.taskId, { accountId, roleArn: account.roleArn, externalId: account.externalId }, runner);
  }

  async function collectActivityLog(context: CollectContext, runner: AwsCallRunner): Promise<InventorySnapshot["activityLog"]> {
    const activity = config.activity;
    if (!activity) return undefined;
    const accounts = config.accounts.map((account) => account.id);
    const trail = activity.trail;
    const readerAccount = trail?.readerAccountId ?? accounts[0];
    const keepIdsHours = deps.activityIngestion?.keepIdsHours;
    return collectAwsActivity({
      config: activity,
      trailAccounts: trail ? accounts : [],
      lookupAccounts: activity.lookupEvents ? (activity.lookupEvents.accounts ?? (trail ? [] : accounts)) : [],
      now: now(),
      runner,
      ranges: loadAwsRanges(activity.rangesFile),
      trailS3: trail && readerAccount ? async () => s3For(await accountSession(context, runner, readerAccount), trail.region) : undefined,
      cloudTrail: async (accountId, region) => cloudTrailFor(await accountSession(context, runner, accountId), region),
      sleep: (ms, signal) => timing.sleep(ms, signal),
      signal: context.signal,
      workers: deps.activityIngestion?.workers,
      keepIdsSince: keepIdsHours === undefined ? undefined : now().getTime() - keepIdsHours * 3_600_000,
    });
  }

  function organizationsFor(session: AwsSession | undefined): OrganizationsClient {
    if (!session) return (baseOrganizations ??= createOrganizationsClient(baseSettings));
    return (session.clients.organizations ??= createOrganizationsClient(sessionSettings(session)));
  }

  function whoAmI(runner: AwsCallRunner): Promise<{ account: string; arn: string }> {
    baseIdentity ??= runner.call(stsReads.getCallerIdentity, baseSts, {}, undefined).then((identity) => ({
      account: identity.Account ?? "",
      arn: identity.Arn ?? "",
    }));
    baseIdentity.catch(() => {
      baseIdentity = undefined;
    });
    return baseIdentity;
  }

  async function collectOneAccount(
    account: AwsAccountConfig,
    context: CollectContext,
    runner: AwsCallRunner,
    progress: (message: string) => void,
  ): Promise<AccountResult> {
    const scopeId = `aws:account/${account.id}`;
    const failed = (source: string, error: unknown, via: string): AccountResult => {
      context.signal?.throwIfAborted();
      const gap: CollectionGap = { provider: "aws", scopeId, source, reason: `account not collected: ${describeError(error)}` };
      return { parts: { principals: [], credentials: [], policies: [], grants: [], trustEdges: [], gaps: [gap] }, transientFailure: isRetryable(error), via };
    };

    let session: AwsSession | undefined;
    let partition: string;
    let via: string;
    if (account.roleArn) {
      const target: RoleTarget = { accountId: account.id, roleArn: account.roleArn, externalId: account.externalId };
      try {
        session = await sessions.session(context.taskId, target, runner);
      } catch (error) {
        return failed(stsReads.assumeRole.api, error, `role ${account.roleArn}`);
      }
      partition = awsPartitionOf(account.roleArn);
      via = `session ${session.info.sessionName} of ${account.roleArn}`;
    } else {
      try {
        const identity = await whoAmI(runner);
        if (identity.account !== account.id) {
          return failed(stsReads.getCallerIdentity.api, new Error(`the base credentials belong to account ${identity.account}; configure roleArn for ${account.id}`), "base credentials");
        }
        partition = awsPartitionOf(identity.arn);
        via = `base credentials ${identity.arn}`;
      } catch (error) {
        return failed(stsReads.getCallerIdentity.api, error, "base credentials");
      }
    }

    const raw = await collectAccount({
      accountId: account.id,
      partition,
      iam: iamFor(session),
      runner,
      timing,
      reportPollAttempts: config.credentialReportPollAttempts,
      observedAt: now().toISOString(),
      signal: context.signal,
      progress,
    });
    const parts = mapAccount(raw);
    let transientFailure = raw.transientFailure;
    if (config.resourcePolicies.length > 0) {
      const resources = await collectResourcePolicies({
        accountId: account.id,
        partition,
        services: config.resourcePolicies,
        kms: () => kmsFor(session),
        secretsManager: () => secretsManagerFor(session),
        s3: (region) => s3For(session, region),
        sqs: () => sqsFor(session),
        sns: () => snsFor(session),
        lambda: () => lambdaFor(session),
        runner,
        observedAt: raw.observedAt,
        signal: context.signal,
      });
      parts.policies.push(...resources.policies);
      parts.gaps.push(...resources.gaps);
      transientFailure ||= resources.transientFailure;
    }
    return { parts, transientFailure, via };
  }

  async function collectOrganizationParts(context: CollectContext, runner: AwsCallRunner): Promise<OrganizationParts | undefined> {
    const organizations = config.organizations;
    if (!organizations?.enabled) return undefined;
    const known = organizationCache.get("organization");
    if (known) return known.value;
    let session: AwsSession | undefined;
    let callerScopeId: string | undefined;
    if (organizations.roleArn) {
      const accountId = arnAccountField(organizations.roleArn);
      callerScopeId = `aws:account/${accountId}`;
      try {
        session = await sessions.session(context.taskId, { accountId, roleArn: organizations.roleArn }, runner);
      } catch (error) {
        context.signal?.throwIfAborted();
        return {
          organizationId: undefined,
          scopes: [],
          accountParents: new Map(),
          accountNames: new Map(),
          policies: [],
          gaps: [{ provider: "aws", scopeId: `aws:account/${accountId}`, source: stsReads.assumeRole.api, reason: `organization not collected: ${describeError(error)}` }],
          transientFailure: isRetryable(error),
        };
      }
    }
    context.progress?.(0, config.accounts.length, "aws: reading the organization");
    const parts = await collectOrganization({
      client: organizationsFor(session),
      runner,
      callerScopeId,
      observedAt: now().toISOString(),
      signal: context.signal,
    });
    if (!parts.transientFailure) organizationCache.set("organization", parts);
    return parts;
  }

  async function collect(context: CollectContext): Promise<InventorySnapshot> {
    const runner = new AwsCallRunner({ maxAttempts: config.maxAttempts, callTimeoutMs: config.callTimeoutMs, timing, signal: context.signal });
    let completed = 0;
    const total = config.accounts.length;
    try {
      const organization = await collectOrganizationParts(context, runner);
      const results = await mapWithConcurrency(config.accounts, config.maxConcurrency, async (account) => {
        const cached = accountCache.get(account.id);
        if (cached) {
          completed++;
          context.progress?.(completed, total, `aws:account/${account.id}: reused data collected at ${cached.collectedAt}`);
          return cached.value;
        }
        const result = await collectOneAccount(account, context, runner, (message) => context.progress?.(completed, total, message));
        if (!result.transientFailure) accountCache.set(account.id, result);
        completed++;
        context.progress?.(completed, total, `aws:account/${account.id}: collected via ${result.via}`);
        return result;
      });
      const snapshot = assemble(results.map((result) => result.parts), organization);
      const activityLog = await collectActivityLog(context, runner);
      if (activityLog) snapshot.activityLog = activityLog;
      return snapshot;
    } finally {
      for (const operation of runner.drainOperations()) context.recordOperation(operation);
    }
  }

  function assemble(accountParts: AccountParts[], organization: OrganizationParts | undefined): InventorySnapshot {
    const snapshot = emptySnapshot(now().toISOString());
    const scopes = new Map<string, Scope>();
    for (const scope of organization?.scopes ?? []) scopes.set(scope.id, scope);
    const configEvidence = { source: "config:providers.aws.accounts", observedAt: snapshot.generatedAt };
    for (const account of config.accounts) {
      const id = `aws:account/${account.id}`;
      const known = scopes.get(id);
      const scope: Scope = {
        id,
        provider: "aws",
        kind: "account",
        name: account.name ?? organization?.accountNames.get(account.id) ?? account.id,
        attributes: { ...known?.attributes, collected: true },
        evidence: known?.evidence ?? configEvidence,
      };
      const parentId = organization?.accountParents.get(account.id);
      if (parentId) scope.parentId = parentId;
      if (account.environment) scope.tags = { environment: account.environment };
      scopes.set(id, scope);
    }
    snapshot.scopes = [...scopes.values()];

    const policies = new Map<string, InventorySnapshot["policies"][number]>();
    for (const policy of organization?.policies ?? []) policies.set(policy.id, policy);
    const gaps: CollectionGap[] = [...(organization?.gaps ?? [])];
    for (const parts of accountParts) {
      snapshot.principals.push(...parts.principals);
      snapshot.credentials.push(...parts.credentials);
      snapshot.grants.push(...parts.grants);
      snapshot.trustEdges.push(...parts.trustEdges);
      // AWS managed policies appear in every account that attaches them: keep one copy.
      for (const policy of parts.policies) if (!policies.has(policy.id)) policies.set(policy.id, policy);
      gaps.push(...parts.gaps);
    }
    snapshot.policies = [...policies.values()];
    snapshot.gaps = gaps;
    return snapshot;
  }

  function roleOfAccount(accountId: string): string | undefined {
    const configured = config.accounts.find((account) => account.id === accountId)?.roleArn;
    if (configured) return configured;
    const organizationRole = config.organizations?.roleArn;
    return organizationRole && arnAccountField(organizationRole) === accountId ? organizationRole : undefined;
  }

  return {
    id: "aws",
    description: "AWS IAM (users, groups, roles, policies, trust, credential report, certificates, identity providers) and Organizations SCPs; read-only, per-task STS sessions",
    collect,

    sessionFor(taskId, accountId) {
      const roleArn = roleOfAccount(accountId);
      return roleArn ? sessions.sessionInfo(taskId, roleArn) : undefined;
    },

    describeCredentialScope(taskId) {
      const lines: string[] = [];
      for (const account of config.accounts) {
        const cached = accountCache.get(account.id);
        const cacheNote = cached ? ` (cached data from ${cached.collectedAt})` : "";
        if (!account.roleArn) {
          lines.push(`account ${account.id}: base credentials${cacheNote}`);
          continue;
        }
        const info = sessions.sessionInfo(taskId, account.roleArn);
        lines.push(
          info
            ? `account ${account.id}: role ${info.roleArn}, session ${info.sessionName}, source identity ${info.sourceIdentity}, expires ${info.expiresAt}, session policy allows ${info.policyActions.length} read actions${cacheNote}`
            : `account ${account.id}: role ${account.roleArn}, no session held by this task${cacheNote}`,
        );
      }
      const organizationRole = config.organizations?.enabled ? config.organizations.roleArn : undefined;
      if (config.organizations?.enabled) {
        const info = organizationRole ? sessions.sessionInfo(taskId, organizationRole) : undefined;
        lines.push(
          info
            ? `organization: role ${info.roleArn}, session ${info.sessionName}, expires ${info.expiresAt}`
            : `organization: ${organizationRole ? `role ${organizationRole}, no session held by this task` : "base credentials"}`,
        );
      }
      return `aws task ${taskId}: ${lines.join("; ")}`;
    },

    endTask(taskId) {
      sessions.endTask(taskId);
    },

    async checkCredentialBreadth(options = {}) {
      const taskId = options.taskId ?? `doctor-${now().getTime()}`;
      const runner = new AwsCallRunner({ maxAttempts: config.maxAttempts, callTimeoutMs: config.callTimeoutMs, timing });
      const roleTargets: Array<{ label: string; target: RoleTarget }> = config.accounts.flatMap((account) =>
        account.roleArn ? [{ label: `read role of account ${account.id}`, target: { accountId: account.id, roleArn: account.roleArn, externalId: account.externalId } }] : [],
      );
      const organizationRole = config.organizations?.enabled ? config.organizations.roleArn : undefined;
      if (organizationRole && !roleTargets.some((entry) => entry.target.roleArn === organizationRole)) {
        roleTargets.push({ label: "organization read role", target: { accountId: arnAccountField(organizationRole), roleArn: organizationRole } });
      }
      const environment: BreadthEnvironment = {
        baseSts,
        baseIam: iamFor(undefined),
        runner,
        strict: config.strict,
        ...(options.actions ? { actions: options.actions } : {}),
        roles: () =>
          Promise.all(
            roleTargets.map(async ({ label, target }) => {
              try {
                const session = await sessions.session(taskId, target, runner);
                return { label, roleArn: target.roleArn, iam: iamFor(session) };
              } catch (error) {
                return { label, roleArn: target.roleArn, error };
              }
            }),
          ),
      };
      try {
        return await checkCredentialBreadth(environment);
      } finally {
        if (!options.taskId) sessions.endTask(taskId);
      }
    },

    async checkTrailLogs() {
      const trailConfig = config.activity?.trail;
      const readerAccount = trailConfig?.readerAccountId ?? config.accounts[0]?.id;
      if (!trailConfig || readerAccount === undefined) return undefined;
      const taskId = `doctor-trail-${now().getTime()}`;
      const runner = new AwsCallRunner({ maxAttempts: config.maxAttempts, callTimeoutMs: config.callTimeoutMs, timing });
      const base = `${trailConfig.prefix}AWSLogs/${trailConfig.organizationId ? `${trailConfig.organizationId}/` : ""}${readerAccount}/CloudTrail/`;
      const location = `s3://${trailConfig.bucket}/${base}`;
      try {
        const s3 = s3For(await accountSession({ taskId }, runner, readerAccount), trailConfig.region);
        return { location, probe: await probeTrailLogs({ runner, s3, bucket: trailConfig.bucket, base, scopeId: `aws:account/${readerAccount}` }) };
      } catch (error) {
        return { location, probe: { readable: false, kmsDenied: false, detail: `the trail reader's session failed: ${describeError(error)}` } };
      } finally {
        sessions.endTask(taskId);
      }
    },

    clearCache() {
      accountCache.clear();
      organizationCache.clear();
    },

    close() {
      sessions.endAll();
      baseIam?.destroy();
      baseOrganizations?.destroy();
      baseKms?.destroy();
      baseSecretsManager?.destroy();
      baseSqs?.destroy();
      baseSns?.destroy();
      baseLambda?.destroy();
      for (const client of baseS3.values()) client.destroy();
      for (const client of baseCloudTrail.values()) client.destroy();
      baseSts.destroy();
    },
  };
}
