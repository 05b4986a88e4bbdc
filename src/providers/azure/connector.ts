/**
 * The Azure connector: Key Vault items as metadata (never a value), Azure RBAC (assignments
 * inherited down management group → subscription → resource group → vault, role definitions with
 * their data actions, deny assignments), legacy vault access policies, and Entra workload
 * identities with their credentials and sign-in activity.
 *
 * Read-only by construction (reads.ts holds the only SDK method calls; the call policy refuses
 * any request that is not an allowlisted GET), per-task credentials with short-lived tokens,
 * bounded concurrency, retries honouring Retry-After, per-request timeouts, a TTL cache per vault,
 * subscription and tenant, and gaps instead of silently missing data.
 */
import type { HttpClient } from "@azure/core-rest-pipeline";
import { ActivityRecords } from "../../activity/activity-records.js";
import type { CollectContext, Connector } from "../../connectors/connector.js";
import type { CollectionGap, InventorySnapshot } from "../../model/inventory.js";
import { mapWithConcurrency } from "../../connectors/common/pool.js";
import { DEFAULT_RETRY_TIMING, type RetryTiming } from "../../connectors/common/retry.js";
import { TtlCache } from "../../connectors/common/ttl-cache.js";
import { assembleSnapshot, tenantScopeId, type TenantCollection, type VaultCollection } from "./collect/map.js";
import { AzureCallRunner } from "./calls.js";
import { armReader, graphReader, managementClients, vaultClients, type ClientFactorySettings, armScope } from "./clients.js";
import { azureProviderConfigSchema, type AzureProviderConfig, type AzureProviderConfigInput, type AzureTenantConfig, type AzureVaultConfig } from "./config.js";
import { AzureSessionManager } from "./sessions.js";
import { describeAzureError } from "./errors.js";
import { readManagementGroups, type ManagementGroupParts } from "./collect/management-groups.js";
import { readSubscription, type SubscriptionParts } from "./collect/subscription.js";
import { readTenant, type TenantParts } from "./collect/tenant.js";
import { readServicePrincipalSignIns, SIGN_IN_RETENTION_HOURS } from "./activity/sign-ins.js";
import { readActivityLog } from "./activity/activity-log.js";
import { readVaultItems, type VaultReadResult } from "./collect/vault-items.js";

export interface AzureConnectorDeps {
  now?: () => Date;
  /** Who asks (user or MCP client), for progress messages and the credential description. */
  caller?: string;
  /** Transport for every client and credential (tests pass one that trusts their CA). */
  httpClient?: HttpClient;
  /** Backoff base/cap, sleep and randomness; tests inject these to run fast. */
  retry?: Partial<RetryTiming>;
  /** Where credential settings (a client secret's variable) are read; default process.env. */
  environment?: NodeJS.ProcessEnv;
  /**
   * Tests only: vaults on loopback hosts (the HTTPS fake) may answer the Key Vault challenge for a
   * resource outside their own domain. Deliberately not a config key; real vault hosts always verify.
   */
  insecureLocalVaults?: boolean;
}

export interface AzureConnector extends Connector {
  readonly id: "azure";
  /**
   * Which identity the server itself reaches Azure with, per tenant: a Resource Manager token is
   * requested (never printed) and its claims named. Throws when no credential yields a token.
   */
  checkIdentity(): Promise<string[]>;
  describeCredentialScope(taskId: string): string;
  endTask(taskId: string): void;
  clearCache(): void;
  close(): void;
}


export function createAzureConnector(configInput: AzureProviderConfigInput | AzureProviderConfig, deps: AzureConnectorDeps = {}): AzureConnector {
  const config = azureProviderConfigSchema.parse(configInput);
  const now = deps.now ?? (() => new Date());
  const timing: RetryTiming = { ...DEFAULT_RETRY_TIMING, ...deps.retry };
  const credentials = new AzureSessionManager(
    {
      credential: config.credential,
      authorityHost: config.authorityHost,
      disableInstanceDiscovery: config.disableInstanceDiscovery,
      httpClient: deps.httpClient,
      environment: deps.environment ?? process.env,
    },
    now,
  );
  const cache = new TtlCache<unknown>(config.cacheTtlSeconds, now);
  const origins = { resourceManager: config.endpoints.resourceManager, graph: config.endpoints.graph, vaults: new Set(config.vaults.map((vault) => vault.url)) };

  async function cached<T>(key: string, hasGaps: (value: T) => boolean, read: () => Promise<T>): Promise<T> {
    const entry = cache.get(key);
    if (entry) return entry.value as T;
    const value = await read();
    // Partial results are not kept: the next collection tries again.
    if (!hasGaps(value)) cache.set(key, value);
    return value;
  }

  function vaultTenant(vault: AzureVaultConfig): string {
    return vault.tenantId ?? config.tenants[0]?.id ?? "";
  }

  async function collectTenant(tenant: AzureTenantConfig, context: CollectContext, runner: AzureCallRunner, settings: ClientFactorySettings, report: (message: string) => void): Promise<TenantCollection> {
    const scopeId = tenantScopeId(tenant.id);
    const observedAt = now().toISOString();
    const signal = context.signal;
    const result: TenantCollection = { tenantId: tenant.id, tenantScopeId: scopeId, managementGroups: undefined, subscriptions: [], directory: undefined, gaps: [] };
    const armSettings = { ...settings, callPolicy: runner.policy(scopeId) };

    const hierarchy = tenant.managementGroups
      ? cached<ManagementGroupParts>(`mg:${tenant.id}`, (parts) => parts.gaps.length > 0, () =>
          readManagementGroups({ arm: armReader(armSettings), tenantId: tenant.id, tenantScopeId: scopeId, concurrency: config.maxConcurrency, observedAt, signal }),
        )
      : Promise.resolve(undefined);
    const subscriptions = mapWithConcurrency(tenant.subscriptions, config.maxConcurrency, async (subscriptionId) => {
      const parts = await cached<SubscriptionParts>(`sub:${subscriptionId.toLowerCase()}`, (p) => p.gaps.length > 0, () =>
        readSubscription({ clients: managementClients(armSettings, subscriptionId), subscriptionId, tenantScopeId: scopeId, observedAt, signal }),
      );
      report(`/subscriptions/${subscriptionId}: ${parts.grants.length} grants, ${parts.vaults.length} vaults, ${parts.identities.length} user-assigned identities`);
      return parts;
    });
    const [groups, subscriptionParts] = await Promise.all([hierarchy, subscriptions]);
    result.managementGroups = groups;
    result.subscriptions = subscriptionParts;

    if (tenant.workloadIdentities) {
      const references = subscriptionParts.flatMap((parts) => parts.references);
      // The directory read depends on which principals the grants name.
      const referenceKey = [...new Set(references.map((r) => r.id.toLowerCase()))].sort().join(",");
      result.directory = await cached<TenantParts>(`tenant:${tenant.id}:${referenceKey}:${tenant.signInActivity}`, (parts) => parts.gaps.length > 0, () =>
        readTenant({ graph: graphReader({ ...settings, callPolicy: runner.policy(scopeId) }), tenantId: tenant.id, tenantScopeId: scopeId, signInActivity: tenant.signInActivity, references, observedAt, signal }),
      );
      report(`${scopeId}: ${result.directory.principals.length} directory principals, ${result.directory.credentials.length} credentials`);
    }
    return result;
  }

  async function collectVault(vault: AzureVaultConfig, context: CollectContext, runner: AzureCallRunner, settings: ClientFactorySettings): Promise<VaultCollection> {
    const result = await cached<VaultReadResult>(`vault:${vault.url}`, (r) => r.gaps.length > 0, () =>
      readVaultItems({
        clients: vaultClients({ ...settings, callPolicy: runner.policy(vault.url) }, vault.url, { insecureLocalVaults: deps.insecureLocalVaults === true }),
        vaultUrl: vault.url,
        scopeId: vault.url,
        certificatePolicies: vault.certificatePolicies,
        policyConcurrency: config.maxConcurrency,
        observedAt: now().toISOString(),
        signal: context.signal,
      }),
    );
    return { url: vault.url, result };
  }

  /** Sign-in logs and Activity Logs of the tenants that ask for activity; each refusal is its source's note. */
  async function collectSignInLogs(
    context: CollectContext,
    runner: AzureCallRunner,
    clientSettings: (tenantId: string) => ClientFactorySettings,
  ): Promise<InventorySnapshot["activityLog"]> {
    const tenants = config.tenants.filter((tenant) => tenant.activity !== undefined);
    if (tenants.length === 0) return undefined;
    const log = new ActivityRecords();
    for (const tenant of tenants) {
      const scopeId = tenantScopeId(tenant.id);
      const { events, source } = await readServicePrincipalSignIns({
        graph: graphReader({ ...clientSettings(tenant.id), callPolicy: runner.policy(scopeId) }),
        tenantScopeId: scopeId,
        now: now(),
        hours: tenant.activity?.hours ?? SIGN_IN_RETENTION_HOURS,
        signal: context.signal,
      });
      log.addSource(source);
      for (const event of events) log.add(event);
      if (!tenant.activity?.activityLog) continue;
      for (const subscriptionId of tenant.subscriptions) {
        const control = await readActivityLog({
          arm: armReader({ ...clientSettings(tenant.id), callPolicy: runner.policy(`/subscriptions/${subscriptionId}`) }),
          subscriptionId,
          now: now(),
          hours: tenant.activity.hours,
          signal: context.signal,
        });
        log.addSource(control.source);
        for (const event of control.events) log.add(event);
      }
    }
    return log;
  }

  async function collect(context: CollectContext): Promise<InventorySnapshot> {
    const runner = new AzureCallRunner({
      origins,
      maxAttempts: config.maxAttempts,
      callTimeoutMs: config.callTimeoutMs,
      maxConcurrency: config.maxConcurrency,
      timing,
      signal: context.signal,
    });
    const total = config.tenants.length + config.vaults.length;
    let done = 0;
    const report = (message: string) => context.progress?.(done, total, `azure ${message}`);
    const settingsFor = (tenantId: string): ClientFactorySettings => ({
      credential: credentials.credentialFor(context.taskId, tenantId),
      callPolicy: runner.policy(undefined),
      httpClient: deps.httpClient,
      resourceManager: config.endpoints.resourceManager,
      graph: config.endpoints.graph,
    });
    const unreadable = (scopeId: string, source: string, error: unknown): CollectionGap => {
      context.signal?.throwIfAborted();
      return { provider: "azure", scopeId, source, reason: `not collected: ${describeAzureError(error)}` };
    };
    try {
      const [tenants, vaults] = await Promise.all([
        Promise.all(
          config.tenants.map(async (tenant): Promise<TenantCollection> => {
            try {
              return await collectTenant(tenant, context, runner, settingsFor(tenant.id), report);
            } catch (error) {
              const scopeId = tenantScopeId(tenant.id);
              return { tenantId: tenant.id, tenantScopeId: scopeId, managementGroups: undefined, subscriptions: [], directory: undefined, gaps: [unreadable(scopeId, "credential", error)] };
            } finally {
              done++;
            }
          }),
        ),
        Promise.all(
          config.vaults.map(async (vault): Promise<VaultCollection> => {
            try {
              const collected = await collectVault(vault, context, runner, settingsFor(vaultTenant(vault)));
              report(`${vault.url}: ${collected.result.items.length} items`);
              return collected;
            } catch (error) {
              return { url: vault.url, result: { items: [], gaps: [unreadable(vault.url, "credential", error)] } };
            } finally {
              done++;
            }
          }),
        ),
      ]);
      const snapshot = assembleSnapshot(config, tenants, vaults, now().toISOString());
      const activityLog = await collectSignInLogs(context, runner, settingsFor);
      if (activityLog) snapshot.activityLog = activityLog;
      return snapshot;
    } finally {
      for (const operation of runner.drainOperations()) context.recordOperation(operation);
    }
  }

  return {
    id: "azure",
    description: "Azure Key Vault item metadata (never values), RBAC role assignments and definitions, deny assignments, vault access policies, and Entra workload identities with credentials and sign-in activity; read-only, per-task tokens",
    collect,
    async checkIdentity() {
      const taskId = `doctor-${now().getTime()}`;
      const tenants = [...new Set([...config.tenants.map((tenant) => tenant.id), ...config.vaults.map(vaultTenant)].filter((id) => id !== ""))];
      try {
        for (const tenantId of tenants) {
          const token = await credentials.credentialFor(taskId, tenantId).getToken(armScope(config.endpoints.resourceManager));
          if (!token) throw new Error(`no token for tenant ${tenantId}`);
        }
        return credentials.describe(taskId);
      } finally {
        credentials.endTask(taskId);
      }
    },

    describeCredentialScope(taskId) {
      const lines = credentials.describe(taskId);
      return `azure task ${taskId}: ${lines.length ? lines.join("; ") : "no tokens held"}`;
    },
    endTask(taskId) {
      credentials.endTask(taskId);
    },
    clearCache() {
      cache.clear();
    },
    close() {
      credentials.endAll();
      cache.clear();
    },
  };
}
