/**
 * Maps what was read into the inventory model with the conventions the demo estate and the
 * entitlement engine use: member strings as principal ids, resource names as scope ids,
 * `projects/<p>/serviceAccounts/<email>` for account resources, roles as `role` policies with one
 * `includedPermissions` statement, deny policies attached to their scope with permissions in role
 * form, bindings as grants, and impersonation and federation trust edges for account-level bindings.
 */
import type { Activity, CollectedResource, Credential, Grant, InventorySnapshot, Policy, Principal, Scope, Statement, TrustEdge } from "../../../model/inventory.js";
import { conditionKeys, denyPermissionToRoleForm, toCondition } from "./conditions.js";
import { GCP_IMPERSONATION_PERMISSIONS, REGIONAL_SECRET_LOCATIONS, REGIONAL_SECRET_LOCATIONS_NOT_LISTED, RESOURCE_POLICIES_READ, UNIFORM_BUCKET_LEVEL_ACCESS } from "../facts.js";
import type { Observed, RawEstate, RawProject, RawScopePolicies, RawServiceAccount, RawWorkloadIdentityPool } from "./raw.js";
import { GCP_DIRECTORY_READ_APIS, GCP_READ_APIS } from "../reads.js";
import type { WireActivity, WireExpr, WireIamPolicy, WireRole, WireWorkloadIdentityProvider } from "./wire.js";
import { compactGrant } from "../../../model/compact-grant.js";

export type MappedParts = Pick<InventorySnapshot, "scopes" | "principals" | "credentials" | "policies" | "grants" | "trustEdges" | "resources">;


const WORKLOAD_IDENTITY_MEMBER = /^principal(?:Set)?:\/\/iam\.googleapis\.com\/(projects\/[^/]+\/locations\/global\/workloadIdentityPools\/[^/]+)(?:\/(.*))?$/;

function iso(time: string | undefined): string | undefined {
  if (!time) return undefined;
  const parsed = Date.parse(time);
  return Number.isNaN(parsed) ? undefined : new Date(parsed).toISOString().replace(".000Z", "Z");
}

function serviceAccountResource(projectId: string, email: string): string {
  return `projects/${projectId}/serviceAccounts/${email}`;
}

function bindingSource(resource: string): string {
  if (resource.startsWith("organizations/")) return GCP_READ_APIS.getOrganizationIamPolicy.api;
  if (resource.startsWith("folders/")) return GCP_READ_APIS.getFolderIamPolicy.api;
  if (resource.includes("/serviceAccounts/")) return GCP_READ_APIS.getServiceAccountIamPolicy.api;
  if (resource.includes("/secrets/")) return GCP_READ_APIS.getSecretIamPolicy.api;
  if (resource.includes("/cryptoKeys/")) return GCP_READ_APIS.getCryptoKeyIamPolicy.api;
  if (resource.includes("/keyRings/")) return GCP_READ_APIS.getKeyRingIamPolicy.api;
  if (resource.includes("/managedFolders/")) return GCP_READ_APIS.getManagedFolderIamPolicy.api;
  if (resource.includes("/buckets/")) return GCP_READ_APIS.getBucketIamPolicy.api;
  return GCP_READ_APIS.getProjectIamPolicy.api;
}

/** Last-authentication lookups for one project, by account email or unique id and by key id. */
class ActivityIndex {
  private readonly byAccount = new Map<string, string>();
  private readonly byKey = new Map<string, string>();

  constructor(private readonly project: Observed<RawProject>) {
    for (const entry of project.accountActivity ?? []) {
      const time = iso(entry.activity?.lastAuthenticatedTime);
      if (!time) continue;
      for (const ref of this.accountRefs(entry)) this.byAccount.set(ref, time);
    }
    for (const entry of project.keyActivity ?? []) {
      const time = iso(entry.activity?.lastAuthenticatedTime);
      const name = entry.activity?.serviceAccountKey?.fullResourceName || entry.fullResourceName;
      const keyId = name.slice(name.lastIndexOf("/") + 1);
      if (time && keyId) this.byKey.set(keyId, time);
    }
  }

  private accountRefs(entry: WireActivity): string[] {
    const name = entry.activity?.serviceAccount?.fullResourceName || entry.fullResourceName;
    const refs = [name.slice(name.lastIndexOf("/") + 1)];
    const id = entry.activity?.serviceAccount?.serviceAccountId;
    if (id) refs.push(id);
    return refs.filter(Boolean);
  }

  account(email: string, uniqueId: string): Activity | undefined {
    if (!this.project.accountActivity) return undefined;
    const lastUsedAt = this.byAccount.get(email) ?? (uniqueId ? this.byAccount.get(uniqueId) : undefined);
    return this.activity(GCP_READ_APIS.queryServiceAccountActivity.api, lastUsedAt);
  }

  key(keyId: string): Activity | undefined {
    if (!this.project.keyActivity) return undefined;
    return this.activity(GCP_READ_APIS.queryServiceAccountKeyActivity.api, this.byKey.get(keyId));
  }

  /**
   * Activity Analyzer documents no retention that would make an absent record mean "never used",
   * so coverage is "window" without a length: absent means "not seen".
   */
  private activity(source: string, lastUsedAt: string | undefined): Activity {
    return { coverage: "window", source, observedAt: this.project.observedAt, ...(lastUsedAt ? { lastUsedAt } : {}) };
  }
}

function mapServiceAccount(raw: RawServiceAccount, activity: ActivityIndex, observedAt: string): { principal: Principal; credentials: Credential[] } {
  const { account, projectId } = raw;
  const id = `serviceAccount:${account.email}`;
  const text = [account.displayName, account.description].filter(Boolean).join(" — ");
  const principal: Principal = {
    id,
    provider: "gcp",
    kind: "service_account",
    workload: true,
    name: account.email.split("@")[0] ?? account.email,
    scopeId: `projects/${projectId}`,
    email: account.email,
    ...(account.uniqueId ? { uniqueId: account.uniqueId } : {}),
    ...(text ? { description: text } : {}),
    ...(account.disabled ? { disabled: true } : {}),
    evidence: { source: GCP_READ_APIS.listServiceAccounts.api, observedAt },
  };
  const lastActivity = activity.account(account.email, account.uniqueId);
  if (lastActivity) principal.lastActivity = lastActivity;

  const credentials = (raw.keys ?? []).map((key): Credential => {
    const keyId = key.name.slice(key.name.lastIndexOf("/") + 1);
    const userManaged = key.keyType !== "SYSTEM_MANAGED";
    const createdAt = iso(key.validAfterTime);
    const expiresAt = iso(key.validBeforeTime);
    const credential: Credential = {
      id: `${serviceAccountResource(projectId, account.email)}/keys/${keyId}`,
      provider: "gcp",
      kind: "service_account_key",
      principalId: id,
      scopeId: `projects/${projectId}`,
      name: keyId,
      status: key.disabled ? "disabled" : "active",
      managedBy: userManaged ? "user" : "provider",
      ...(key.keyAlgorithm ? { algorithm: key.keyAlgorithm } : {}),
      ...(createdAt ? { createdAt } : {}),
      ...(expiresAt ? { expiresAt } : {}),
      evidence: { source: GCP_READ_APIS.listServiceAccountKeys.api, observedAt },
    };
    // Google rotates its own keys; their use is the account's use, not a key finding.
    const keyActivity = userManaged ? activity.key(keyId) : undefined;
    if (keyActivity) credential.lastActivity = keyActivity;
    return credential;
  });
  return { principal, credentials };
}

function mapRole(role: WireRole, observedAt: string): Policy {
  const scopeId = /^(organizations|projects)\/[^/]+/.exec(role.name)?.[0];
  const notes = [role.description, role.deleted ? "deleted custom role (bindings to it grant nothing until it is undeleted)" : "", role.stage === "DEPRECATED" ? "deprecated" : ""].filter(Boolean);
  return {
    id: role.name,
    provider: "gcp",
    kind: "role",
    name: role.title || role.name,
    ...(scopeId ? { scopeId } : {}),
    ...(notes.length > 0 ? { description: notes.join("; ") } : {}),
    // A deleted custom role grants nothing while deleted.
    statements: [{ id: "includedPermissions", effect: "Allow", actions: role.deleted ? [] : [...role.includedPermissions].sort() }],
    evidence: { source: scopeId ? "iam.roles.get (custom)" : GCP_READ_APIS.getRole.api, observedAt },
  };
}

function mapDenyPolicies(scopePolicies: Observed<RawScopePolicies>): Policy[] {
  const { observedAt } = scopePolicies;
  return scopePolicies.denyPolicies.map((policy): Policy => {
    const statements = policy.rules.flatMap((rule, index): Statement[] => {
      const deny = rule.denyRule;
      if (!deny) return [];
      const conditions = toCondition(deny.denialCondition);
      return [
        {
          id: `rule-${index + 1}`,
          effect: "Deny",
          actions: deny.deniedPermissions.map(denyPermissionToRoleForm),
          ...(deny.exceptionPermissions.length > 0 ? { notActions: deny.exceptionPermissions.map(denyPermissionToRoleForm) } : {}),
          principals: [...deny.deniedPrincipals],
          ...(deny.exceptionPrincipals.length > 0 ? { exceptPrincipals: [...deny.exceptionPrincipals] } : {}),
          ...(conditions ? { conditions } : {}),
        },
      ];
    });
    const description = policy.rules.map((rule) => rule.description).filter(Boolean).join("; ");
    return {
      id: policy.name,
      provider: "gcp",
      kind: "deny",
      name: policy.displayName || policy.name.slice(policy.name.lastIndexOf("/") + 1),
      scopeId: scopePolicies.scopeId,
      ...(description ? { description } : {}),
      attachedTo: [scopePolicies.scopeId],
      statements,
      evidence: { source: GCP_READ_APIS.getDenyPolicy.api, observedAt },
    };
  });
}

/** Workload identity pools by resource name, under both the project number and the project id. */
function poolIndex(projects: readonly RawProject[]): Map<string, RawWorkloadIdentityPool> {
  const pools = new Map<string, RawWorkloadIdentityPool>();
  for (const project of projects) {
    for (const pool of project.pools) {
      const poolId = pool.pool.name.slice(pool.pool.name.lastIndexOf("/") + 1);
      pools.set(pool.pool.name, pool);
      for (const projectRef of [pool.projectId, pool.projectNumber]) {
        if (projectRef) pools.set(`projects/${projectRef}/locations/global/workloadIdentityPools/${poolId}`, pool);
      }
    }
  }
  return pools;
}

function isActive(item: { state: string; disabled?: boolean | null | undefined }): boolean {
  return !item.disabled && (item.state === "" || item.state === "ACTIVE");
}

function providerLabel(provider: WireWorkloadIdentityProvider): string {
  const id = provider.name.slice(provider.name.lastIndexOf("/") + 1);
  const origin = provider.oidc?.issuerUri ? `issuer ${provider.oidc.issuerUri}` : provider.aws?.accountId ? `AWS account ${provider.aws.accountId}` : provider.saml ? "SAML" : "";
  return origin ? `${id} (${origin})` : id;
}

/** The provider attribute conditions a federated identity must satisfy; undefined when the pool is unusable. */
function federationConditions(pool: RawWorkloadIdentityPool | undefined, poolName: string) {
  if (!pool) {
    return [{ title: "provider attribute condition", expression: `workload identity pool ${poolName} was not collected: its providers' attribute conditions are unknown` }];
  }
  if (!isActive(pool.pool)) return undefined;
  const active = pool.providers.filter(isActive);
  if (active.length === 0) return undefined;
  // Any provider of the pool can mint the token: one without a condition admits every mapped identity.
  if (active.some((provider) => !provider.attributeCondition)) return [];
  const expressions = active.map((provider) => provider.attributeCondition);
  const expression = expressions.length === 1 ? (expressions[0] ?? "") : expressions.map((e) => `(${e})`).join(" || ");
  const keys = conditionKeys(expression);
  return [{ title: "provider attribute condition", expression, ...(keys.length > 0 ? { keys } : {}) }];
}

/**
 * Conditional bindings of one role and member differ by their condition: the id carries its title
 * and a short hash of its expression, as two bindings may share a title (or have none).
 */
function conditionIdPart(condition: WireExpr | null | undefined): string {
  if (!condition?.expression) return "";
  return `#${condition.title ? `${condition.title}#` : ""}${fnv1a64(condition.expression)}`;
}

/** FNV-1a, 64 bits, as 16 hex digits: a stable short id part, not a security measure. */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash.toString(16).padStart(16, "0");
}

interface BindingSite {
  resource: string;
  policy: WireIamPolicy;
  /** When the policy was read. */
  observedAt: string;
}

/** Every part carries the time it was read (a cached part keeps its original time). */
export function mapEstate(raw: RawEstate): MappedParts {
  const parts: MappedParts = { scopes: [], principals: [], credentials: [], policies: [], grants: [], trustEdges: [] };

  for (const scope of raw.scopes) {
    const mapped: Scope = {
      id: scope.id,
      provider: "gcp",
      kind: scope.kind,
      name: scope.name,
      ...(scope.parentId ? { parentId: scope.parentId } : {}),
      ...(scope.labels ? { tags: { ...scope.labels } } : {}),
      attributes: { collected: scope.inScope, ...(scope.projectNumber ? { projectNumber: scope.projectNumber } : {}) },
      evidence: { source: scope.source, observedAt: scope.observedAt },
    };
    parts.scopes.push(mapped);
  }
  // Whether resource policies were read, and which locations' regional secrets were listed: an
  // answer about a resource whose own policy was not read says so.
  const scopesById = new Map(parts.scopes.map((scope) => [scope.id, scope]));
  for (const project of raw.projects) {
    const scope = scopesById.get(`projects/${project.projectId}`);
    if (!scope) continue;
    scope.attributes = {
      ...scope.attributes,
      [RESOURCE_POLICIES_READ]: project.resourcePoliciesRead,
      ...(project.secretLocations ? { [REGIONAL_SECRET_LOCATIONS]: project.secretLocations.join(",") } : {}),
      ...(project.secretLocationsNotListed?.length ? { [REGIONAL_SECRET_LOCATIONS_NOT_LISTED]: project.secretLocationsNotListed.join(",") } : {}),
    };
  }
  const buckets = raw.projects.flatMap((project) =>
    project.resourcePolicies.flatMap((held): CollectedResource[] =>
      held.kind === "bucket"
        ? [
            {
              id: held.resource,
              provider: "gcp",
              kind: "bucket",
              scopeId: `projects/${project.projectId}`,
              ...(held.uniformBucketLevelAccess !== undefined ? { attributes: { [UNIFORM_BUCKET_LEVEL_ACCESS]: held.uniformBucketLevelAccess } } : {}),
              evidence: { source: GCP_READ_APIS.listBuckets.api, observedAt: project.observedAt },
            },
          ]
        : [],
    ),
  );
  if (buckets.length > 0) parts.resources = buckets;
  const organization = raw.scopes.find((scope) => scope.kind === "organization")?.id;

  const principals = new Map<string, Principal>();
  for (const project of raw.projects) {
    const activity = new ActivityIndex(project);
    for (const account of project.serviceAccounts) {
      const { principal, credentials } = mapServiceAccount(account, activity, project.observedAt);
      principals.set(principal.id, principal);
      parts.credentials.push(...credentials);
    }
  }

  const roles = new Map(raw.roles.map(({ role }) => [role.name, role]));
  for (const { role, observedAt } of raw.roles) parts.policies.push(mapRole(role, observedAt));
  for (const scopePolicies of raw.scopePolicies) parts.policies.push(...mapDenyPolicies(scopePolicies));
  parts.policies.push(...mapBoundaryPolicies(raw));

  const pools = poolIndex(raw.projects);
  const sites: BindingSite[] = [
    ...raw.scopePolicies.flatMap((scope) => (scope.iamPolicy ? [{ resource: scope.scopeId, policy: scope.iamPolicy, observedAt: scope.observedAt }] : [])),
    ...raw.projects.flatMap((project) =>
      project.serviceAccounts.flatMap((account) =>
        account.iamPolicy
          ? [{ resource: serviceAccountResource(account.projectId, account.account.email), policy: account.iamPolicy, observedAt: project.observedAt }]
          : [],
      ),
    ),
    // Bindings on secrets, key rings, keys and buckets: grants on those resources, inherited below them.
    ...raw.projects.flatMap((project) =>
      project.resourcePolicies.flatMap((held) => (held.policy ? [{ resource: held.resource, policy: held.policy, observedAt: project.observedAt }] : [])),
    ),
  ];
  const grantIds = new Set<string>();
  for (const site of sites) {
    const { observedAt } = site;
    for (const binding of site.policy.bindings) {
      const conditions = toCondition(binding.condition);
      const condition = conditionIdPart(binding.condition);
      for (const member of binding.members) {
        const id = `${site.resource}#${binding.role}#${member}${condition}`;
        if (grantIds.has(id)) continue;
        grantIds.add(id);
        const grant = compactGrant({
          id,
          provider: "gcp",
          kind: "binding",
          principalId: member,
          policyId: binding.role,
          resource: site.resource,
          ...(conditions ? { conditions } : {}),
          evidence: { source: bindingSource(site.resource), observedAt },
        });
        parts.grants.push(grant);
        addMemberPrincipal(principals, member, site.resource, organization, pools, observedAt);
        const edge = trustEdgeFor(grant, roles.get(binding.role), pools, observedAt);
        if (edge) parts.trustEdges.push(edge);
      }
    }
  }
  if (raw.groups) addGroupMembers(principals, raw.groups, organization);
  parts.principals = [...principals.values()];
  return parts;
}

/** The member id a membership stands for, as bindings write members; undefined for kinds bindings cannot name. */
function membershipMemberId(type: string, key: string): string | undefined {
  if (type === "GROUP") return `group:${key}`;
  if (type === "SERVICE_ACCOUNT" || key.endsWith(".gserviceaccount.com")) return `serviceAccount:${key}`;
  if (type === "USER") return `user:${key}`;
  return undefined;
}

/**
 * Group membership read from Cloud Identity: each member (user, service account, nested group)
 * lists the groups it is directly in (`memberOf`); the entitlement engine follows nesting. A
 * service account of a project that was not collected becomes an `external` principal, so the
 * group's bindings still reach it by name.
 */
function addGroupMembers(principals: Map<string, Principal>, read: NonNullable<RawEstate["groups"]>, organization: string | undefined): void {
  const source = GCP_DIRECTORY_READ_APIS.listGroupMemberships.api;
  const evidence = { source, observedAt: read.observedAt };
  const ensure = (id: string, make: () => Principal): Principal => {
    const known = principals.get(id);
    if (known) return known;
    const made = make();
    principals.set(id, made);
    return made;
  };
  for (const group of read.groups) {
    const groupId = `group:${group.email}`;
    ensure(groupId, () => ({ id: groupId, provider: "gcp", kind: "group", workload: false, name: group.email, scopeId: organization ?? groupId, email: group.email, evidence }));
    for (const membership of group.memberships) {
      const key = membership.preferredMemberKey?.id;
      const memberId = key ? membershipMemberId(membership.type, key) : undefined;
      if (!key || !memberId) continue;
      const member = ensure(memberId, (): Principal => {
        if (memberId.startsWith("serviceAccount:")) {
          const project = /@([^.]+)\.iam\.gserviceaccount\.com$/.exec(key)?.[1];
          return {
            id: memberId,
            provider: "gcp",
            kind: "external",
            workload: true,
            name: key,
            scopeId: project ? `projects/${project}` : (organization ?? groupId),
            email: key,
            description: `Service account outside the collected projects, a member of ${group.email}`,
            evidence,
          };
        }
        const kind = memberId.startsWith("group:") ? "group" : "user";
        return { id: memberId, provider: "gcp", kind, workload: false, name: key, scopeId: organization ?? groupId, email: key, evidence };
      });
      if (!(member.memberOf ?? []).includes(groupId)) member.memberOf = [...(member.memberOf ?? []), groupId].sort();
    }
  }
}

/** Users, groups and federated identities named by bindings, so questions can name them. */
function addMemberPrincipal(
  principals: Map<string, Principal>,
  member: string,
  resource: string,
  organization: string | undefined,
  pools: Map<string, RawWorkloadIdentityPool>,
  observedAt: string,
): void {
  if (principals.has(member)) return;
  const owner = organization ?? /^(organizations|folders|projects)\/[^/]+/.exec(resource)?.[0] ?? resource;
  const kind = member.startsWith("user:") ? "user" : member.startsWith("group:") ? "group" : undefined;
  if (kind) {
    const email = member.slice(member.indexOf(":") + 1);
    principals.set(member, { id: member, provider: "gcp", kind, workload: false, name: email, scopeId: owner, email, evidence: { source: bindingSource(resource), observedAt } });
    return;
  }
  const federated = WORKLOAD_IDENTITY_MEMBER.exec(member);
  if (!federated?.[1]) return;
  const pool = pools.get(federated[1]);
  const poolId = federated[1].slice(federated[1].lastIndexOf("/") + 1);
  const providers = pool?.providers.filter(isActive).map(providerLabel) ?? [];
  // Every path of this identity starts with the pool's token exchange: its conditions bound them all.
  const exchange = federationConditions(pool, federated[1]);
  principals.set(member, {
    id: member,
    provider: "gcp",
    kind: "external",
    workload: true,
    name: `${poolId} pool: ${federated[2] ?? "*"}`,
    scopeId: pool ? `projects/${pool.projectId}` : owner,
    description: pool
      ? `Workload identity pool ${poolId}${providers.length > 0 ? `, provider${providers.length > 1 ? "s" : ""} ${providers.join(", ")}` : ", no active provider"}`
      : `Workload identity pool ${federated[1]} (not collected)`,
    // A disabled pool, or one without an active provider, mints no token at all.
    ...(exchange === undefined ? { disabled: true } : exchange.length > 0 ? { exchangeConditions: exchange } : {}),
    evidence: { source: pool ? GCP_READ_APIS.listWorkloadIdentityPoolProviders.api : bindingSource(resource), observedAt },
  });
}

/** A binding on a service account whose role can mint its tokens: impersonation or federation. */
function trustEdgeFor(grant: Grant, role: WireRole | undefined, pools: Map<string, RawWorkloadIdentityPool>, observedAt: string): TrustEdge | undefined {
  const target = /^projects\/[^/]+\/serviceAccounts\/([^/]+)$/.exec(grant.resource ?? "")?.[1];
  if (!target || !role || role.deleted) return undefined;
  if (!GCP_IMPERSONATION_PERMISSIONS.some((permission) => role.includedPermissions.includes(permission))) return undefined;
  const base = {
    provider: "gcp" as const,
    from: grant.principalId,
    to: `serviceAccount:${target}`,
    policyId: grant.policyId,
    statementId: "includedPermissions",
  };
  const federated = WORKLOAD_IDENTITY_MEMBER.exec(grant.principalId);
  if (!federated?.[1]) {
    return { ...base, id: `${grant.id}#impersonation`, kind: "impersonation", ...(grant.conditions ? { conditions: grant.conditions } : {}), evidence: { source: GCP_READ_APIS.getServiceAccountIamPolicy.api, observedAt } };
  }
  const providerConditions = federationConditions(pools.get(federated[1]), federated[1]);
  if (!providerConditions) return undefined;
  const conditions = [...providerConditions, ...(grant.conditions ?? [])];
  return {
    ...base,
    id: `${grant.id}#federation`,
    kind: "federation",
    ...(conditions.length > 0 ? { conditions } : {}),
    evidence: { source: GCP_READ_APIS.listWorkloadIdentityPoolProviders.api, observedAt },
  };
}

/**
 * Principal access boundary policies (IAM v3): which resources the bound principal sets are
 * eligible to reach. Kept as `boundary` policies whose statements name the bound principal sets,
 * with the enforcement version that decides which permissions they can block.
 */
function mapBoundaryPolicies(raw: RawEstate): Policy[] {
  const bindings = raw.scopePolicies.flatMap((scope) => scope.boundaryBindings);
  const { policies, observedAt } = raw.boundaryPolicies;
  return policies.map((policy): Policy => {
    const bound = bindings.filter((binding) => binding.policy === policy.name);
    const rules = policy.details?.rules ?? [];
    const statements: Statement[] = bound.flatMap((binding) =>
      rules.map((rule, index): Statement => {
        const conditions = toCondition(binding.condition);
        return {
          id: `${binding.name}#rule-${index + 1}`,
          effect: "Allow",
          resources: [...rule.resources],
          principals: binding.target?.principalSet ? [binding.target.principalSet] : [],
          ...(conditions ? { conditions } : {}),
        };
      }),
    );
    const version = policy.details?.enforcementVersion;
    return {
      id: policy.name,
      provider: "gcp",
      kind: "boundary",
      name: policy.displayName || policy.name.slice(policy.name.lastIndexOf("/") + 1),
      scopeId: /^organizations\/[^/]+/.exec(policy.name)?.[0] ?? policy.name,
      description: `Principal access boundary${version ? ` (enforcement version ${version})` : ""}, bound to ${bound.length} principal set(s)`,
      ...(version ? { enforcementVersion: version } : {}),
      statements,
      evidence: { source: GCP_READ_APIS.listPrincipalAccessBoundaryPolicies.api, observedAt },
    };
  });
}
