/**
 * Raw IAM data of one account → inventory model, following the model's AWS conventions:
 * ARNs for principals and policies, `<principal>#inline/<name>` for inline policies,
 * `<role>#trust` for trust policies with one trust edge per (statement × principal).
 */
import type { GroupDetail, ManagedPolicyDetail, RoleDetail, UserDetail } from "@aws-sdk/client-iam";
import type {
  Activity,
  CollectionGap,
  Credential,
  Evidence,
  Grant,
  Policy,
  Principal,
  Statement,
  TrustEdge,
} from "../../../model/inventory.js";
import { compactGrant } from "../../../model/compact-grant.js";
import { certificateFacts } from "./certificates.js";
import type { RawAccount, UserCredentialFacts } from "./account.js";
import { reportDate, type CredentialReportRow } from "./credential-report.js";
import { decodePolicyDocument, normalizeStatements } from "./policy-document.js";

export interface AccountParts {
  principals: Principal[];
  credentials: Credential[];
  policies: Policy[];
  grants: Grant[];
  trustEdges: TrustEdge[];
  gaps: CollectionGap[];
}

/** RoleLastUsed only looks back this far: absent means "not seen in 400 days", not "never". */
export const ROLE_LAST_USED_WINDOW_DAYS = 400;

const GAAD = "iam:GetAccountAuthorizationDetails";
const REPORT = "iam:GetCredentialReport";

function iso(date: Date | undefined): string | undefined {
  return date ? date.toISOString() : undefined;
}

function tagsOf(tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined): Record<string, string> | undefined {
  if (!tags || tags.length === 0) return undefined;
  return Object.fromEntries(tags.flatMap((tag) => (tag.Key !== undefined ? [[tag.Key, tag.Value ?? ""]] : [])));
}

/** Sets only defined values, so the output has no `key: undefined` noise. */
function withDefined<T extends object>(target: T, extra: { [K in keyof T]?: T[K] | undefined }): T {
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  return target;
}

const ASSUME_ACTIONS = ["sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity"];

/** IAM actions match case-insensitively with `*` and `?` wildcards. */
function actionMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.toLowerCase().replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  return regex.test(action);
}

function grantsAssume(statement: Statement): boolean {
  if (statement.effect !== "Allow") return false;
  if (statement.actions) return ASSUME_ACTIONS.some((action) => statement.actions?.some((pattern) => actionMatches(pattern, action)));
  if (statement.notActions) return ASSUME_ACTIONS.some((action) => !statement.notActions?.some((pattern) => actionMatches(pattern, action)));
  return false;
}

export function mapAccount(raw: RawAccount): AccountParts {
  const scopeId = `aws:account/${raw.accountId}`;
  const parts: AccountParts = { principals: [], credentials: [], policies: [], grants: [], trustEdges: [], gaps: [...raw.gaps] };
  const gaadEvidence: Evidence = { source: GAAD, observedAt: raw.observedAt };
  const details = raw.authorization;
  const policyIds = new Set<string>();

  function addGap(source: string, reason: string): void {
    parts.gaps.push({ provider: "aws", scopeId, source, reason });
  }

  function documentStatements(document: string | undefined, what: string, source: string): Statement[] | undefined {
    if (document === undefined) {
      addGap(source, `${what}: no policy document returned`);
      return undefined;
    }
    try {
      const { statements, skipped } = normalizeStatements(decodePolicyDocument(document), raw.partition);
      for (const problem of skipped) addGap(source, `${what}: ${problem}`);
      return statements;
    } catch (error) {
      addGap(source, `${what}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  function addInlinePolicies(principalArn: string, list: readonly { PolicyName?: string | undefined; PolicyDocument?: string | undefined }[] | undefined): void {
    for (const inline of list ?? []) {
      if (!inline.PolicyName) continue;
      const id = `${principalArn}#inline/${inline.PolicyName}`;
      const statements = documentStatements(inline.PolicyDocument, `inline policy ${id}`, GAAD);
      if (!statements) continue;
      parts.policies.push({ id, provider: "aws", kind: "inline", name: inline.PolicyName, scopeId, statements, evidence: gaadEvidence });
      parts.grants.push(compactGrant({ id, provider: "aws", kind: "inline", principalId: principalArn, policyId: id, evidence: gaadEvidence }));
    }
  }

  function addAttachments(principalArn: string, list: readonly { PolicyArn?: string | undefined }[] | undefined): void {
    for (const attached of list ?? []) {
      if (!attached.PolicyArn) continue;
      parts.grants.push(
        compactGrant({
          id: `${principalArn}#attachment/${attached.PolicyArn}`,
          provider: "aws",
          kind: "attachment",
          principalId: principalArn,
          policyId: attached.PolicyArn,
          evidence: gaadEvidence,
        }),
      );
    }
  }

  if (details) {
    const groupArnByName = new Map(details.groups.flatMap((group) => (group.GroupName && group.Arn ? [[group.GroupName, group.Arn] as const] : [])));
    const boundaryArns = new Set<string>();
    const attachedArns = new Set<string>();
    for (const principal of [...details.users, ...details.roles, ...details.groups]) {
      for (const attached of principal.AttachedManagedPolicies ?? []) if (attached.PolicyArn) attachedArns.add(attached.PolicyArn);
      const boundary = "PermissionsBoundary" in principal ? principal.PermissionsBoundary?.PermissionsBoundaryArn : undefined;
      if (boundary) boundaryArns.add(boundary);
    }
    const reportRows = new Map((raw.credentialReport?.rows ?? []).flatMap((row) => (row.arn ? [[row.arn, row] as const] : [])));

    for (const policy of details.policies) mapManagedPolicy(policy, boundaryArns, attachedArns);
    for (const group of details.groups) mapGroup(group);
    for (const user of details.users) mapUser(user, groupArnByName, reportRows);
    for (const role of details.roles) mapRole(role);

    for (const arn of [...attachedArns, ...boundaryArns]) {
      if (!policyIds.has(arn)) addGap(GAAD, `managed policy ${arn} is referenced but was not returned; its statements are unknown`);
    }
  }

  mapCredentialReportRoot();
  mapSigningCertificates();
  mapServerCertificates();
  mapIdentityProviders();
  return parts;

  function mapManagedPolicy(policy: ManagedPolicyDetail, boundaryArns: ReadonlySet<string>, attachedArns: ReadonlySet<string>): void {
    if (!policy.Arn || !policy.PolicyName) return;
    const version =
      policy.PolicyVersionList?.find((candidate) => candidate.IsDefaultVersion) ??
      policy.PolicyVersionList?.find((candidate) => candidate.VersionId === policy.DefaultVersionId);
    const statements = documentStatements(version?.Document, `managed policy ${policy.Arn} default version`, GAAD);
    if (!statements) return;
    // A policy used only as a permissions boundary is a boundary; one that also grants stays managed.
    const kind = boundaryArns.has(policy.Arn) && !attachedArns.has(policy.Arn) ? "boundary" : "managed";
    const awsManaged = policy.Arn.split(":")[4] === "aws";
    parts.policies.push(
      withDefined<Policy>(
        { id: policy.Arn, provider: "aws", kind, name: policy.PolicyName, statements, evidence: gaadEvidence },
        { scopeId: awsManaged ? undefined : scopeId, description: policy.Description || undefined },
      ),
    );
    policyIds.add(policy.Arn);
  }

  function mapGroup(group: GroupDetail): void {
    if (!group.Arn || !group.GroupName) return;
    parts.principals.push(
      withDefined<Principal>(
        { id: group.Arn, provider: "aws", kind: "group", workload: false, name: group.GroupName, scopeId, evidence: gaadEvidence },
        { uniqueId: group.GroupId, createdAt: iso(group.CreateDate) },
      ),
    );
    addInlinePolicies(group.Arn, group.GroupPolicyList);
    addAttachments(group.Arn, group.AttachedManagedPolicies);
  }

  function mapUser(user: UserDetail, groupArnByName: ReadonlyMap<string, string>, reportRows: ReadonlyMap<string, CredentialReportRow>): void {
    if (!user.Arn || !user.UserName) return;
    const arn = user.Arn;
    const row = reportRows.get(arn);
    const facts = raw.perUser?.get(user.UserName);
    const password = passwordState(row, facts);
    // Heuristic: a user without a console password can only be used programmatically, i.e. by a
    // workload. When the password state is unknown, count it as a workload so it is not overlooked.
    const workload = password !== "present";
    const memberOf = (user.GroupList ?? []).map((name) => groupArnByName.get(name) ?? `arn:${raw.partition}:iam::${raw.accountId}:group/${name}`);
    parts.principals.push(
      withDefined<Principal>(
        { id: arn, provider: "aws", kind: workload ? "service_account" : "user", workload, name: user.UserName, scopeId, evidence: gaadEvidence },
        {
          uniqueId: user.UserId,
          createdAt: iso(user.CreateDate),
          tags: tagsOf(user.Tags),
          memberOf: memberOf.length > 0 ? memberOf : undefined,
          permissionsBoundary: user.PermissionsBoundary?.PermissionsBoundaryArn,
        },
      ),
    );
    addInlinePolicies(arn, user.UserPolicyList);
    addAttachments(arn, user.AttachedManagedPolicies);
    if (row) mapReportCredentials(arn, row);
    else if (facts) mapPerUserCredentials(arn, facts);
  }

  function mapRole(role: RoleDetail): void {
    if (!role.Arn || !role.RoleName) return;
    const arn = role.Arn;
    const trustPolicyId = `${arn}#trust`;
    const lastUsed = role.RoleLastUsed;
    const lastActivity = withDefined<Activity>(
      { coverage: "window", windowDays: ROLE_LAST_USED_WINDOW_DAYS, source: GAAD, observedAt: raw.observedAt },
      { lastUsedAt: iso(lastUsed?.LastUsedDate), detail: lastUsed?.Region ? `region ${lastUsed.Region}` : undefined },
    );
    const instanceProfiles = (role.InstanceProfileList ?? []).flatMap((profile) => (profile.Arn ? [profile.Arn] : []));
    const trustStatements = documentStatements(role.AssumeRolePolicyDocument, `trust policy of ${arn}`, GAAD);
    parts.principals.push(
      withDefined<Principal>(
        { id: arn, provider: "aws", kind: "role", workload: true, name: role.RoleName, scopeId, lastActivity, evidence: gaadEvidence },
        {
          uniqueId: role.RoleId,
          createdAt: iso(role.CreateDate),
          tags: tagsOf(role.Tags),
          permissionsBoundary: role.PermissionsBoundary?.PermissionsBoundaryArn,
          trustPolicyId: trustStatements ? trustPolicyId : undefined,
          description: instanceProfiles.length > 0 ? `instance profiles: ${instanceProfiles.join(", ")}` : undefined,
        },
      ),
    );
    addInlinePolicies(arn, role.RolePolicyList);
    addAttachments(arn, role.AttachedManagedPolicies);
    if (!trustStatements) return;
    parts.policies.push({
      id: trustPolicyId,
      provider: "aws",
      kind: "trust",
      name: `${role.RoleName} trust policy`,
      scopeId,
      statements: trustStatements,
      evidence: gaadEvidence,
    });
    for (const statement of trustStatements) {
      if (!grantsAssume(statement)) continue;
      for (const from of statement.principals ?? []) {
        parts.trustEdges.push(
          withDefined<TrustEdge>(
            {
              id: `${trustPolicyId}/${statement.id}/${from}`,
              provider: "aws",
              kind: from.startsWith("federated:") ? "federation" : "assume_role",
              from,
              to: arn,
              policyId: trustPolicyId,
              statementId: statement.id,
              evidence: gaadEvidence,
            },
            { conditions: statement.conditions },
          ),
        );
      }
    }
  }

  function passwordState(row: CredentialReportRow | undefined, facts: UserCredentialFacts | undefined): "present" | "absent" | "unknown" {
    if (row) return row.password_enabled === "true" ? "present" : row.password_enabled === "false" ? "absent" : "unknown";
    if (facts?.loginProfile === null) return "absent";
    return facts?.loginProfile ? "present" : "unknown";
  }

  function reportEvidence(): Evidence {
    return { source: REPORT, observedAt: raw.credentialReport?.generatedAt ?? raw.observedAt };
  }

  /** Report `last_used` → lifetime activity (N/A = never used); no_information → no claim at all. */
  function reportActivity(value: string | undefined, detail: string | undefined): Activity | undefined {
    const date = reportDate(value);
    if (date.kind === "unknown") return undefined;
    const evidence = reportEvidence();
    return withDefined<Activity>(
      { coverage: "lifetime", source: REPORT, observedAt: evidence.observedAt },
      { lastUsedAt: date.kind === "date" ? date.iso : undefined, detail: date.kind === "date" ? detail : undefined },
    );
  }

  function mapReportAccessKeys(principalArn: string, row: CredentialReportRow): void {
    for (const slot of [1, 2]) {
      const active = row[`access_key_${slot}_active`] === "true";
      const rotated = reportDate(row[`access_key_${slot}_last_rotated`]);
      if (!active && rotated.kind !== "date") continue;
      const service = row[`access_key_${slot}_last_used_service`];
      const region = row[`access_key_${slot}_last_used_region`];
      const detail = service && service !== "N/A" ? `${service}${region && region !== "N/A" ? ` in ${region}` : ""}` : undefined;
      parts.credentials.push(
        withDefined<Credential>(
          {
            // The report does not carry key ids; the slot identifies the key without extra calls.
            id: `${principalArn}#access_key_${slot}`,
            provider: "aws",
            kind: "access_key",
            principalId: principalArn,
            scopeId,
            name: `access key ${slot}`,
            status: active ? "active" : "inactive",
            evidence: reportEvidence(),
          },
          {
            // AWS keys cannot be rotated in place: the last rotation is the key's creation.
            createdAt: rotated.kind === "date" ? rotated.iso : undefined,
            lastRotatedAt: rotated.kind === "date" ? rotated.iso : undefined,
            lastActivity: reportActivity(row[`access_key_${slot}_last_used_date`], detail),
          },
        ),
      );
    }
  }

  function mapReportCredentials(principalArn: string, row: CredentialReportRow): void {
    mapReportAccessKeys(principalArn, row);
    if (row.password_enabled !== "true") return;
    const changed = reportDate(row.password_last_changed);
    const mfa = row.mfa_active === "true" ? "MFA on" : "no MFA";
    parts.credentials.push(
      withDefined<Credential>(
        {
          id: `${principalArn}#password`,
          provider: "aws",
          kind: "password",
          principalId: principalArn,
          scopeId,
          name: `console password (${mfa})`,
          status: "active",
          evidence: reportEvidence(),
        },
        {
          lastRotatedAt: changed.kind === "date" ? changed.iso : undefined,
          lastActivity: reportActivity(row.password_last_used, undefined),
        },
      ),
    );
  }

  function mapPerUserCredentials(principalArn: string, facts: UserCredentialFacts): void {
    for (const { metadata, lastUsed } of facts.accessKeys) {
      if (!metadata.AccessKeyId) continue;
      const evidence: Evidence = { source: "iam:ListAccessKeys", observedAt: raw.observedAt };
      const lastActivity: Activity | undefined = lastUsed
        ? withDefined<Activity>(
            { coverage: "lifetime", source: "iam:GetAccessKeyLastUsed", observedAt: raw.observedAt },
            {
              lastUsedAt: iso(lastUsed.LastUsedDate),
              detail:
                lastUsed.LastUsedDate && lastUsed.ServiceName && lastUsed.ServiceName !== "N/A"
                  ? `${lastUsed.ServiceName}${lastUsed.Region && lastUsed.Region !== "N/A" ? ` in ${lastUsed.Region}` : ""}`
                  : undefined,
            },
          )
        : undefined;
      parts.credentials.push(
        withDefined<Credential>(
          {
            id: metadata.AccessKeyId,
            provider: "aws",
            kind: "access_key",
            principalId: principalArn,
            scopeId,
            status: metadata.Status === "Active" ? "active" : "inactive",
            evidence,
          },
          { createdAt: iso(metadata.CreateDate), lastRotatedAt: iso(metadata.CreateDate), lastActivity },
        ),
      );
    }
    if (facts.loginProfile) {
      parts.credentials.push(
        withDefined<Credential>(
          {
            id: `${principalArn}#password`,
            provider: "aws",
            kind: "password",
            principalId: principalArn,
            scopeId,
            name: "console password",
            status: "active",
            evidence: { source: "iam:GetLoginProfile", observedAt: raw.observedAt },
          },
          { createdAt: iso(facts.loginProfile.CreateDate) },
        ),
      );
    }
  }

  /** Root access keys are a finding of their own; root is not a principal of the model (it cannot be scoped). */
  function mapCredentialReportRoot(): void {
    const rootRow = raw.credentialReport?.rows.find((row) => row.user === "<root_account>");
    if (rootRow?.arn) mapReportAccessKeys(rootRow.arn, rootRow);
  }

  function mapSigningCertificates(): void {
    const userArnByName = new Map((details?.users ?? []).flatMap((user) => (user.UserName && user.Arn ? [[user.UserName, user.Arn] as const] : [])));
    for (const certificate of raw.signingCertificates) {
      if (!certificate.CertificateId || !certificate.UserName) continue;
      const facts = certificate.CertificateBody ? certificateFacts(certificate.CertificateBody) : undefined;
      if (!facts) addGap("iam:ListSigningCertificates", `signing certificate ${certificate.CertificateId}: body is not a readable X.509 certificate; expiry unknown`);
      parts.credentials.push(
        withDefined<Credential>(
          {
            id: certificate.CertificateId,
            provider: "aws",
            kind: "certificate",
            scopeId,
            name: "signing certificate",
            status: certificate.Status === "Active" ? "active" : "inactive",
            evidence: { source: "iam:ListSigningCertificates", observedAt: raw.observedAt },
          },
          {
            principalId: userArnByName.get(certificate.UserName),
            createdAt: iso(certificate.UploadDate),
            expiresAt: facts?.notAfter,
            algorithm: facts?.algorithm,
          },
        ),
      );
    }
  }

  function mapServerCertificates(): void {
    for (const certificate of raw.serverCertificates ?? []) {
      if (!certificate.Arn) continue;
      parts.credentials.push(
        withDefined<Credential>(
          {
            id: certificate.Arn,
            provider: "aws",
            kind: "certificate",
            scopeId,
            status: "active",
            evidence: { source: "iam:ListServerCertificates", observedAt: raw.observedAt },
          },
          { name: certificate.ServerCertificateName, createdAt: iso(certificate.UploadDate), expiresAt: iso(certificate.Expiration) },
        ),
      );
    }
  }

  /** OIDC providers mostly admit workloads (CI, Kubernetes); SAML providers admit people. */
  function mapIdentityProviders(): void {
    for (const arn of raw.oidcProviderArns ?? []) {
      parts.principals.push({
        id: arn,
        provider: "aws",
        kind: "external",
        workload: true,
        name: arn.split(":oidc-provider/")[1] ?? arn,
        scopeId,
        evidence: { source: "iam:ListOpenIDConnectProviders", observedAt: raw.observedAt },
      });
    }
    for (const provider of raw.samlProviders ?? []) {
      if (!provider.Arn) continue;
      const evidence: Evidence = { source: "iam:ListSAMLProviders", observedAt: raw.observedAt };
      parts.principals.push(
        withDefined<Principal>(
          { id: provider.Arn, provider: "aws", kind: "external", workload: false, name: provider.Arn.split(":saml-provider/")[1] ?? provider.Arn, scopeId, evidence },
          { createdAt: iso(provider.CreateDate) },
        ),
      );
      if (provider.ValidUntil) {
        parts.credentials.push({
          id: `${provider.Arn}#metadata`,
          provider: "aws",
          kind: "certificate",
          principalId: provider.Arn,
          scopeId,
          name: "SAML metadata",
          status: "active",
          expiresAt: provider.ValidUntil.toISOString(),
          evidence,
        });
      }
    }
  }
}
