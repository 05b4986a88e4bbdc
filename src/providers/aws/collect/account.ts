/**
 * Reads one account with as few calls as IAM allows: GetAccountAuthorizationDetails pages (all
 * users, groups, roles with RoleLastUsed, policies and their documents), the credential report (two
 * calls plus polling), and the few list calls for certificates and identity providers. Per-user
 * calls happen only for users the report says hold signing certificates, or for everyone when the
 * report cannot be had (recorded as a gap). A failing part becomes a gap; the rest is kept.
 */
import type {
  AccessKeyLastUsed,
  AccessKeyMetadata,
  GroupDetail,
  IAMClient,
  LoginProfile,
  ManagedPolicyDetail,
  RoleDetail,
  SAMLProviderListEntry,
  ServerCertificateMetadata,
  SigningCertificate,
  UserDetail,
} from "@aws-sdk/client-iam";
import type { CollectionGap } from "../../../model/inventory.js";
import type { AwsCallRunner } from "../calls.js";
import { iamReads } from "../reads.js";
import { fetchCredentialReport, reportDate, type CredentialReport } from "./credential-report.js";
import { mapWithConcurrency } from "../../../connectors/common/pool.js";
import { describeError, errorFacts, isRetryable, type RetryTiming } from "../errors.js";

export interface AuthorizationDetails {
  users: UserDetail[];
  groups: GroupDetail[];
  roles: RoleDetail[];
  policies: ManagedPolicyDetail[];
}

export interface AccessKeyFacts {
  metadata: AccessKeyMetadata;
  lastUsed: AccessKeyLastUsed | undefined;
}

/** Per-user facts gathered when the credential report is unavailable. */
export interface UserCredentialFacts {
  accessKeys: AccessKeyFacts[];
  /** null: the user has no console password; undefined: unknown. */
  loginProfile: LoginProfile | null | undefined;
}

export interface RawAccount {
  accountId: string;
  partition: string;
  observedAt: string;
  authorization?: AuthorizationDetails;
  credentialReport?: CredentialReport;
  perUser?: Map<string, UserCredentialFacts>;
  signingCertificates: SigningCertificate[];
  serverCertificates?: ServerCertificateMetadata[];
  oidcProviderArns?: string[];
  samlProviders?: SAMLProviderListEntry[];
  gaps: CollectionGap[];
  /** A gap came from a failure that may pass (throttling, 5xx, timeout): do not cache the result. */
  transientFailure: boolean;
}

export interface CollectAccountOptions {
  accountId: string;
  partition: string;
  iam: IAMClient;
  runner: AwsCallRunner;
  timing: RetryTiming;
  reportPollAttempts: number;
  observedAt: string;
  signal?: AbortSignal | undefined;
  progress?: (message: string) => void;
}

/** Per-user calls for one account run at most this many at a time (IAM's rate limits are per account). */
const PER_USER_CONCURRENCY = 4;
/** The largest page IAM serves. */
const MAX_ITEMS = 1000;

interface Page<T> {
  items: T[];
  isTruncated: boolean | undefined;
  marker: string | undefined;
}

/** Follows Marker until IsTruncated is false; a truncated page without a new marker is an error, not an end. */
async function allPages<T>(api: string, fetch: (marker: string | undefined) => Promise<Page<T>>, onPage?: (count: number) => void): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let marker: string | undefined;
  for (let page = 1; ; page++) {
    const result = await fetch(marker);
    items.push(...result.items);
    onPage?.(page);
    if (!result.isTruncated) return items;
    if (!result.marker || seen.has(result.marker)) {
      throw new Error(`${api} reported more results but gave no new Marker after page ${page}`);
    }
    seen.add(result.marker);
    marker = result.marker;
  }
}

export async function collectAccount(options: CollectAccountOptions): Promise<RawAccount> {
  const { accountId, iam, runner, signal } = options;
  const scopeId = `aws:account/${accountId}`;
  const raw: RawAccount = {
    accountId,
    partition: options.partition,
    observedAt: options.observedAt,
    signingCertificates: [],
    gaps: [],
    transientFailure: false,
  };

  /** Runs one part; a failure becomes a gap unless the whole collection was cancelled. */
  async function part<T>(source: string, work: () => Promise<T>, reason = ""): Promise<T | undefined> {
    try {
      return await work();
    } catch (error) {
      signal?.throwIfAborted();
      raw.gaps.push({ provider: "aws", scopeId, source, reason: `${reason}${describeError(error)}` });
      if (isRetryable(error)) raw.transientFailure = true;
      return undefined;
    }
  }

  const authorization = part(iamReads.getAccountAuthorizationDetails.api, async () => {
    const details: AuthorizationDetails = { users: [], groups: [], roles: [], policies: [] };
    await allPages(
      iamReads.getAccountAuthorizationDetails.api,
      async (marker) => {
        const page = await runner.call(
          iamReads.getAccountAuthorizationDetails,
          iam,
          { MaxItems: MAX_ITEMS, ...(marker ? { Marker: marker } : {}) },
          scopeId,
        );
        details.users.push(...(page.UserDetailList ?? []));
        details.groups.push(...(page.GroupDetailList ?? []));
        details.roles.push(...(page.RoleDetailList ?? []));
        details.policies.push(...(page.Policies ?? []));
        return { items: [], isTruncated: page.IsTruncated, marker: page.Marker };
      },
      (page) => options.progress?.(`${scopeId}: authorization details page ${page}`),
    );
    return details;
  });

  const report = fetchCredentialReport({
    iam,
    runner,
    scopeId,
    pollAttempts: options.reportPollAttempts,
    timing: options.timing,
    signal,
  }).catch((error: unknown) => {
    signal?.throwIfAborted();
    return { failed: error };
  });

  const serverCertificates = part(iamReads.listServerCertificates.api, () =>
    allPages(iamReads.listServerCertificates.api, async (marker) => {
      const page = await runner.call(iamReads.listServerCertificates, iam, { MaxItems: MAX_ITEMS, ...(marker ? { Marker: marker } : {}) }, scopeId);
      return { items: page.ServerCertificateMetadataList ?? [], isTruncated: page.IsTruncated, marker: page.Marker };
    }),
  );
  const oidc = part(iamReads.listOpenIdConnectProviders.api, async () => {
    const output = await runner.call(iamReads.listOpenIdConnectProviders, iam, {}, scopeId);
    return (output.OpenIDConnectProviderList ?? []).flatMap((entry) => (entry.Arn ? [entry.Arn] : []));
  });
  const saml = part(iamReads.listSamlProviders.api, async () => {
    const output = await runner.call(iamReads.listSamlProviders, iam, {}, scopeId);
    return output.SAMLProviderList ?? [];
  });

  const [details, reportResult, servers, oidcArns, samlProviders] = await Promise.all([authorization, report, serverCertificates, oidc, saml]);
  if (details) raw.authorization = details;
  if (servers) raw.serverCertificates = servers;
  if (oidcArns) raw.oidcProviderArns = oidcArns;
  if (samlProviders) raw.samlProviders = samlProviders;

  const userNames = (details?.users ?? []).flatMap((user) => (user.UserName ? [user.UserName] : []));
  if ("rows" in reportResult) {
    raw.credentialReport = reportResult;
    const holders = usersWithSigningCertificates(reportResult, details?.users ?? []);
    raw.signingCertificates = await signingCertificatesOf(holders);
  } else {
    const error = reportResult.failed;
    raw.gaps.push({
      provider: "aws",
      scopeId,
      source: iamReads.getCredentialReport.api,
      reason: `credential report unavailable (${describeError(error)}); fell back to ListAccessKeys, GetAccessKeyLastUsed, GetLoginProfile and ListSigningCertificates per user`,
    });
    raw.perUser = new Map();
    const perUser = raw.perUser;
    await mapWithConcurrency(userNames, PER_USER_CONCURRENCY, async (userName) => {
      perUser.set(userName, await userCredentialFacts(userName));
    });
    raw.signingCertificates = await signingCertificatesOf(userNames);
  }
  return raw;

  async function signingCertificatesOf(users: readonly string[]): Promise<SigningCertificate[]> {
    const lists = await mapWithConcurrency(users, PER_USER_CONCURRENCY, (userName) =>
      part(iamReads.listSigningCertificates.api, () =>
        allPages(iamReads.listSigningCertificates.api, async (marker) => {
          const page = await runner.call(
            iamReads.listSigningCertificates,
            iam,
            { UserName: userName, ...(marker ? { Marker: marker } : {}) },
            scopeId,
          );
          return { items: page.Certificates ?? [], isTruncated: page.IsTruncated, marker: page.Marker };
        }),
        `user ${userName}: `,
      ),
    );
    return lists.flatMap((list) => list ?? []);
  }

  async function userCredentialFacts(userName: string): Promise<UserCredentialFacts> {
    const keys =
      (await part(
        iamReads.listAccessKeys.api,
        () =>
          allPages(iamReads.listAccessKeys.api, async (marker) => {
            const page = await runner.call(iamReads.listAccessKeys, iam, { UserName: userName, ...(marker ? { Marker: marker } : {}) }, scopeId);
            return { items: page.AccessKeyMetadata ?? [], isTruncated: page.IsTruncated, marker: page.Marker };
          }),
        `user ${userName}: `,
      )) ?? [];
    const accessKeys: AccessKeyFacts[] = [];
    for (const metadata of keys) {
      const keyId = metadata.AccessKeyId;
      const lastUsed = keyId
        ? await part(
            iamReads.getAccessKeyLastUsed.api,
            async () => (await runner.call(iamReads.getAccessKeyLastUsed, iam, { AccessKeyId: keyId }, scopeId)).AccessKeyLastUsed,
            `user ${userName}: `,
          )
        : undefined;
      accessKeys.push({ metadata, lastUsed });
    }
    const loginProfile = await part(
      iamReads.getLoginProfile.api,
      async () => {
        try {
          return (await runner.call(iamReads.getLoginProfile, iam, { UserName: userName }, scopeId)).LoginProfile ?? null;
        } catch (error) {
          const facts = errorFacts(error);
          if (facts.name === "NoSuchEntityException" || facts.code === "NoSuchEntity") return null;
          throw error;
        }
      },
      `user ${userName}: `,
    );
    return { accessKeys, loginProfile };
  }
}

/** Users whose report row shows a signing certificate (present now, active or not). */
function usersWithSigningCertificates(report: CredentialReport, users: readonly UserDetail[]): string[] {
  const known = new Map(users.flatMap((user) => (user.Arn && user.UserName ? [[user.Arn, user.UserName] as const] : [])));
  const holders: string[] = [];
  for (const row of report.rows) {
    const userName = row.arn ? known.get(row.arn) : undefined;
    if (!userName) continue;
    const hasCertificate = [1, 2].some(
      (slot) => row[`cert_${slot}_active`] === "true" || reportDate(row[`cert_${slot}_last_rotated`]).kind === "date",
    );
    if (hasCertificate) holders.push(userName);
  }
  return holders;
}
