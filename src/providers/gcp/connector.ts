/**
 * The Google Cloud connector: reads the configured organization, folders and projects into the
 * inventory model. Read-only by construction (reads.ts holds the only API calls, all reads),
 * per-task impersonated tokens of minutes, a bound on calls in flight, retries with jittered
 * backoff on quota errors, per-call timeouts, a TTL cache, and gaps instead of silently missing data.
 */
import type { CollectContext, Connector } from "../../connectors/connector.js";
import { emptySnapshot, type CollectionGap, type InventorySnapshot } from "../../model/inventory.js";
import { DEFAULT_RETRY_TIMING, type RetryTiming } from "../../connectors/common/retry.js";
import { TtlCache } from "../../connectors/common/ttl-cache.js";
import { GcpCallRunner } from "./calls.js";
import { resolveEndpoints, resolveRegionalSecretEndpoints } from "./clients.js";
import { collectBoundaryPolicies, collectRoles, collectScopePolicies } from "./collect/policies.js";
import { collectProject } from "./collect/project.js";
import { discoverHierarchy, type Hierarchy } from "./collect/hierarchy.js";
import { gcpProviderConfigSchema, type GcpProviderConfig, type GcpProviderConfigInput } from "./config.js";
import { GapRecorder } from "./collect/gaps.js";
import { mapEstate } from "./collect/map.js";
import type { RawProject, RawScopePolicies } from "./collect/raw.js";
import { ActivityReads, GroupReads, IamReads, PolicyReads, ResourceManagerReads, LoggingReads, ResourcePolicyReads } from "./reads.js";
import { collectGroups } from "./collect/groups.js";
import { describeError } from "./errors.js";
import type { RawGroup } from "./collect/raw.js";
import { readAuditLogs } from "./activity/audit-logs.js";
import { GcpSessionManager, type GcpBaseCredentials, type GcpSession, type GcpSessionInfo } from "./sessions.js";
import type { WireBoundaryPolicy, WireRole } from "./collect/wire.js";

export interface GcpConnectorDeps {
  /** Who asks (user or MCP client), for progress and audit text. */
  caller?: string;
  now?: () => Date;
  /** Base credentials; default: Application Default Credentials. Tests pass a real client with a fake token. */
  credentials?: GcpBaseCredentials;
  /** Backoff base/cap, sleep and randomness; tests inject these to run fast. */
  retry?: Partial<RetryTiming>;
}

export interface GcpConnector extends Connector {
  readonly id: "gcp";
  /** Which identity the server itself reaches Google Cloud with; throws when ADC yields no token. */
  checkIdentity(): Promise<string>;
  /**
   * Can Google groups be read (collect.groups, with an organization whose directory customer is
   * known)? Undefined when there is nothing to check.
   */
  checkGroups(): Promise<{ readable: true; customer: string } | { readable: false; reason: string } | undefined>;
  describeCredentialScope(taskId: string): string;
  endTask(taskId: string): void;
  sessionFor(taskId: string): GcpSessionInfo | undefined;
  clearCache(): void;
  close(): void;
}

interface Cached<T> {
  value: T;
  gaps: CollectionGap[];
  /** When the value was read: evidence keeps this time even when the value is reused from the cache. */
  observedAt: string;
}

interface ReadSet {
  resourceManager: ResourceManagerReads;
  iam: IamReads;
  policies: PolicyReads;
  activity: ActivityReads;
  resources: ResourcePolicyReads;
}

function readsFor(runner: GcpCallRunner, session: GcpSession): ReadSet {
  return {
    resourceManager: new ResourceManagerReads(runner, session.clients),
    iam: new IamReads(runner, session.clients),
    policies: new PolicyReads(runner, session.clients),
    activity: new ActivityReads(runner, session.clients),
    resources: new ResourcePolicyReads(runner, session.clients),
  };
}

export function createGcpConnector(configInput: GcpProviderConfigInput | GcpProviderConfig, deps: GcpConnectorDeps = {}): GcpConnector {
  const config = gcpProviderConfigSchema.parse(configInput);
  const now = deps.now ?? (() => new Date());
  const timing: RetryTiming = { ...DEFAULT_RETRY_TIMING, ...deps.retry };
  const sessions = new GcpSessionManager({
    endpoints: resolveEndpoints(config.endpoints),
    regionalSecretManager: resolveRegionalSecretEndpoints(config.secretManagerLocations, config.endpoints),
    impersonate: config.impersonateServiceAccount,
    lifetimeSeconds: config.tokenLifetimeSeconds,
    now,
    base: deps.credentials,
  });
  const ttl = config.cacheTtlSeconds;
  const hierarchyCache = new TtlCache<Cached<Hierarchy>>(ttl, now);
  const scopeCache = new TtlCache<Cached<RawScopePolicies>>(ttl, now);
  const projectCache = new TtlCache<Cached<RawProject>>(ttl, now);
  const roleCache = new TtlCache<{ role: WireRole; observedAt: string }>(ttl, now);
  const boundaryCache = new TtlCache<Cached<WireBoundaryPolicy[]>>(ttl, now);
  const groupCache = new TtlCache<Cached<RawGroup[]>>(ttl, now);

  /** Reads through the cache: a fresh entry is reused, a result without transient failures is kept. */
  async function cached<T>(cache: TtlCache<Cached<T>>, key: string, signal: AbortSignal | undefined, read: (gaps: GapRecorder) => Promise<T>): Promise<Cached<T>> {
    const hit = cache.get(key);
    if (hit) return hit.value;
    const gaps = new GapRecorder(signal);
    const observedAt = now().toISOString();
    const value = await read(gaps);
    const entry = { value, gaps: gaps.gaps, observedAt };
    if (!gaps.transientFailure) cache.set(key, entry);
    return entry;
  }

  async function collect(context: CollectContext): Promise<InventorySnapshot> {
    const runner = new GcpCallRunner({
      maxAttempts: config.maxAttempts,
      callTimeoutMs: config.callTimeoutMs,
      maxConcurrency: config.maxConcurrency,
      timing,
      signal: context.signal,
    });
    const observedAt = now().toISOString();
    const gaps: CollectionGap[] = [];
    try {
      let session: GcpSession;
      try {
        session = await sessions.session(context.taskId, runner);
      } catch (error) {
        context.signal?.throwIfAborted();
        const recorder = new GapRecorder(context.signal);
        await recorder.attempt(config.impersonateServiceAccount ? "iamcredentials:generateAccessToken" : "google-auth:applicationDefaultCredentials", undefined, "nothing collected: no credentials", () => Promise.reject(error));
        const snapshot = emptySnapshot(observedAt);
        snapshot.gaps = recorder.gaps;
        return snapshot;
      }
      const reads = readsFor(runner, session);

      context.progress?.(0, undefined, "gcp: reading the resource hierarchy");
      const hierarchy = await cached(hierarchyCache, "hierarchy", context.signal, (recorder) => discoverHierarchy(config, reads.resourceManager, recorder));
      gaps.push(...hierarchy.gaps);
      const scopes = [...hierarchy.value.scopes.values()];
      const projectIds = hierarchy.value.projects;
      const total = projectIds.length;
      let done = 0;

      const organization = scopes.find((scope) => scope.kind === "organization")?.id;
      const [scopePolicies, projects, boundaryPolicies] = await Promise.all([
        Promise.all(
          scopes.map((scope) => cached(scopeCache, scope.id, context.signal, (recorder) => collectScopePolicies(scope.id, config, reads, recorder))),
        ),
        Promise.all(
          projectIds.map(async (projectId) => {
            const key = `projects/${projectId}`;
            const projectNumber = hierarchy.value.scopes.get(key)?.projectNumber;
            const result = await cached(projectCache, key, context.signal, (recorder) => collectProject(projectId, projectNumber, config, reads, recorder));
            done++;
            context.progress?.(done, total, `gcp: ${key}: ${result.value.serviceAccounts.length} service accounts`);
            return result;
          }),
        ),
        organization && config.collect.principalAccessBoundaries
          ? cached(boundaryCache, organization, context.signal, (recorder) => collectBoundaryPolicies(organization, reads.policies, recorder))
          : Promise.resolve<Cached<WireBoundaryPolicy[]>>({ value: [], gaps: [], observedAt }),
      ]);
      for (const entry of [...scopePolicies, ...projects, boundaryPolicies]) gaps.push(...entry.gaps);

      // Roles named anywhere: scope and account bindings.
      const roleIds = new Set<string>();
      for (const { value } of scopePolicies) for (const binding of value.iamPolicy?.bindings ?? []) roleIds.add(binding.role);
      for (const { value } of projects) for (const account of value.serviceAccounts) for (const binding of account.iamPolicy?.bindings ?? []) roleIds.add(binding.role);
      for (const { value } of projects) for (const held of value.resourcePolicies) for (const binding of held.policy?.bindings ?? []) roleIds.add(binding.role);
      const known = new Map<string, WireRole>();
      const roleObservedAt = new Map<string, string>();
      for (const roleId of roleIds) {
        const hit = roleCache.get(roleId);
        if (!hit) continue;
        known.set(roleId, hit.value.role);
        roleObservedAt.set(roleId, hit.value.observedAt);
      }
      const rolesReadAt = now().toISOString();
      const roleGaps = new GapRecorder(context.signal);
      const roles = await collectRoles(roleIds, known, reads.iam, roleGaps);
      for (const role of roles) {
        if (known.has(role.name)) continue;
        roleCache.set(role.name, { role, observedAt: rolesReadAt });
        roleObservedAt.set(role.name, rolesReadAt);
      }
      gaps.push(...roleGaps.gaps);

      // Groups named by any binding, read transitively (their members resolve group bindings).
      const boundGroups = new Set<string>();
      const noteGroups = (policy: { bindings: Array<{ members: string[] }> } | undefined) => {
        for (const binding of policy?.bindings ?? []) for (const member of binding.members) if (member.startsWith("group:")) boundGroups.add(member.slice("group:".length));
      };
      for (const { value } of scopePolicies) noteGroups(value.iamPolicy);
      for (const { value } of projects) {
        for (const account of value.serviceAccounts) noteGroups(account.iamPolicy);
        for (const held of value.resourcePolicies) noteGroups(held.policy);
      }
      const groups =
        config.collect.groups && boundGroups.size > 0
          ? await cached(groupCache, [...boundGroups].sort().join(","), context.signal, (recorder) =>
              collectGroups(boundGroups, new GroupReads(runner, session.clients), config.groupLimits, recorder, context.signal),
            )
          : undefined;
      if (groups) gaps.push(...groups.gaps);

      const parts = mapEstate({
        scopes: scopes.map((scope) => ({ ...scope, observedAt: hierarchy.observedAt })),
        scopePolicies: scopePolicies.map((entry) => ({ ...entry.value, observedAt: entry.observedAt })),
        projects: projects.map((entry) => ({ ...entry.value, observedAt: entry.observedAt })),
        roles: roles.map((role) => ({ role, observedAt: roleObservedAt.get(role.name) ?? rolesReadAt })),
        boundaryPolicies: { policies: boundaryPolicies.value, observedAt: boundaryPolicies.observedAt },
        ...(groups ? { groups: { groups: groups.value, observedAt: groups.observedAt } } : {}),
      });
      const snapshot: InventorySnapshot = { ...emptySnapshot(observedAt), ...parts, gaps };
      if (config.auditLogs) {
        context.progress?.(total, total, "gcp: reading Cloud Audit Logs");
        snapshot.activityLog = await readAuditLogs({
          logging: new LoggingReads(runner, session.clients),
          projects: projectIds,
          config: config.auditLogs,
          now: now(),
          sleep: (ms, signal) => timing.sleep(ms, signal),
          signal: context.signal,
        });
      }
      return snapshot;
    } finally {
      for (const operation of runner.drainOperations()) context.recordOperation(operation);
    }
  }

  return {
    id: "gcp",
    description:
      "Google Cloud IAM (service accounts, keys, last authentication, allow policies across the hierarchy, deny policies, principal access boundaries, workload identity federation, roles); read-only, per-task impersonated tokens",
    collect,

    async checkIdentity() {
      const { account, impersonates } = await sessions.checkBase();
      const who = `application default credentials as ${account ?? "an unidentified account (ADC did not name it)"}`;
      return impersonates ? `${who}; each task impersonates ${impersonates}` : who;
    },

    async checkGroups() {
      if (!config.collect.groups || !config.organization) return undefined;
      const runner = new GcpCallRunner({ maxAttempts: 1, callTimeoutMs: config.callTimeoutMs, maxConcurrency: 1, timing });
      const taskId = "wiam-doctor";
      try {
        const session = await sessions.session(taskId, runner);
        const organization = await new ResourceManagerReads(runner, session.clients).getOrganization(`organizations/${config.organization}`);
        if (!organization.directoryCustomerId) return { readable: false as const, reason: `organizations/${config.organization} names no directory customer` };
        await new GroupReads(runner, session.clients).probeGroups(organization.directoryCustomerId);
        return { readable: true as const, customer: organization.directoryCustomerId };
      } catch (error) {
        return { readable: false as const, reason: describeError(error) };
      } finally {
        sessions.endTask(taskId);
      }
    },

    describeCredentialScope(taskId) {
      const target = config.impersonateServiceAccount;
      if (!target) return `gcp task ${taskId}: application default credentials as ${sessions.baseAccount ?? "an unidentified account (ADC did not name it)"}`;
      const info = sessions.sessionInfo(taskId);
      const source = sessions.baseAccount ? ` from application default credentials as ${sessions.baseAccount}` : "";
      return info
        ? `gcp task ${taskId}: impersonating ${info.serviceAccount}${source}, token lifetime ${info.lifetimeSeconds} s, expires ${info.expiresAt}`
        : `gcp task ${taskId}: impersonating ${target}${source}, no token held by this task`;
    },

    endTask(taskId) {
      sessions.endTask(taskId);
    },

    sessionFor(taskId) {
      return sessions.sessionInfo(taskId);
    },

    clearCache() {
      for (const cache of [hierarchyCache, scopeCache, projectCache, roleCache, boundaryCache, groupCache]) cache.clear();
    },

    close() {
      sessions.endAll();
    },
  };
}
