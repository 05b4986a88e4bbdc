/**
 * Puts the parts of one collection together into a snapshot with the demo estate's conventions:
 * tenant → management groups → subscriptions → resource groups → vaults, role definitions and
 * deny assignments once each, assignments inherited from management groups once, a user-assigned
 * identity seen by both ARM and Graph as one principal, and vault items placed in their vault's
 * ARM scope (or, for a vault no configured subscription holds, its URL and a gap saying so).
 */
import { emptySnapshot, type CollectionGap, type InventorySnapshot, type Principal, type Scope, type VaultItem } from "../../model/inventory.js";
import type { AzureProviderConfig } from "./config.js";
import type { ManagementGroupParts } from "./management-groups.js";
import { resourceGroupOf, type SubscriptionParts } from "./subscription.js";
import type { TenantParts } from "./tenant.js";
import type { VaultReadResult } from "./vault-items.js";

export interface TenantCollection {
  tenantId: string;
  tenantScopeId: string;
  managementGroups: ManagementGroupParts | undefined;
  subscriptions: SubscriptionParts[];
  directory: TenantParts | undefined;
  gaps: CollectionGap[];
}

export interface VaultCollection {
  url: string;
  result: VaultReadResult;
}

export function tenantScopeId(tenantId: string): string {
  return `/tenants/${tenantId.toLowerCase()}`;
}

function mergePrincipal(first: Principal, second: Principal): Principal {
  // ARM knows a user-assigned identity's resource group; Graph knows its sign-ins and groups.
  const arm = first.evidence.source.startsWith("msi:") ? first : second;
  const graph = arm === first ? second : first;
  const memberOf = [...new Set([...(arm.memberOf ?? []), ...(graph.memberOf ?? [])])];
  return {
    ...graph,
    ...arm,
    ...(graph.lastActivity ? { lastActivity: graph.lastActivity } : {}),
    ...(memberOf.length ? { memberOf } : {}),
  };
}

export function assembleSnapshot(config: AzureProviderConfig, tenants: TenantCollection[], vaults: VaultCollection[], generatedAt: string): InventorySnapshot {
  const snapshot = emptySnapshot(generatedAt);
  const scopes = new Map<string, Scope>();
  const addScope = (scope: Scope) => {
    if (!scopes.has(scope.id.toLowerCase())) scopes.set(scope.id.toLowerCase(), scope);
  };
  const principals = new Map<string, Principal>();
  const policies = new Map<string, InventorySnapshot["policies"][number]>();
  const grants = new Map<string, InventorySnapshot["grants"][number]>();
  const gaps: CollectionGap[] = [];
  const configEvidence = { source: "config:providers.azure", observedAt: generatedAt };

  for (const tenant of tenants) {
    const tenantConfig = config.tenants.find((t) => t.id.toLowerCase() === tenant.tenantId.toLowerCase());
    addScope({
      id: tenant.tenantScopeId,
      provider: "azure",
      kind: "tenant",
      name: tenant.directory?.tenantName ?? tenant.tenantId,
      evidence: tenant.directory?.tenantName ? { source: "graph:organization", observedAt: generatedAt } : configEvidence,
    });
    for (const scope of tenant.managementGroups?.scopes ?? []) addScope(scope);
    for (const subscriptionId of tenantConfig?.subscriptions ?? []) {
      const key = subscriptionId.toLowerCase();
      addScope({
        id: `/subscriptions/${key}`,
        provider: "azure",
        kind: "subscription",
        name: tenant.managementGroups?.subscriptionNames.get(key) ?? subscriptionId,
        parentId: tenant.managementGroups?.subscriptionParents.get(key) ?? tenant.tenantScopeId,
        attributes: { collected: true },
        evidence: tenant.managementGroups?.subscriptionParents.has(key) ? { source: "management:managementGroups.get", observedAt: generatedAt } : configEvidence,
      });
    }
    for (const parts of tenant.subscriptions) {
      for (const id of parts.resourceIds) {
        const group = resourceGroupOf(id);
        if (!group) continue;
        addScope({
          id: group,
          provider: "azure",
          kind: "resource_group",
          name: group.split("/")[4] ?? group,
          parentId: `/subscriptions/${parts.subscriptionId.toLowerCase()}`,
          evidence: { source: "derived from ARM resource ids", observedAt: generatedAt },
        });
      }
      for (const vault of parts.vaults) addScope(vault);
      for (const identity of parts.identities) {
        const known = principals.get(identity.id.toLowerCase());
        principals.set(identity.id.toLowerCase(), known ? mergePrincipal(known, identity) : identity);
      }
      for (const policy of parts.policies) if (!policies.has(policy.id.toLowerCase())) policies.set(policy.id.toLowerCase(), policy);
      for (const grant of parts.grants) if (!grants.has(grant.id.toLowerCase())) grants.set(grant.id.toLowerCase(), grant);
      gaps.push(...parts.gaps);
    }
    for (const principal of tenant.directory?.principals ?? []) {
      const known = principals.get(principal.id.toLowerCase());
      principals.set(principal.id.toLowerCase(), known ? mergePrincipal(known, principal) : principal);
    }
    snapshot.credentials.push(...(tenant.directory?.credentials ?? []));
    snapshot.trustEdges.push(...(tenant.directory?.trustEdges ?? []));
    gaps.push(...(tenant.managementGroups?.gaps ?? []), ...(tenant.directory?.gaps ?? []), ...tenant.gaps);
  }

  // Place each configured vault: its ARM scope when a subscription lists it, else its URL.
  const vaultByOrigin = new Map<string, Scope>();
  for (const scope of scopes.values()) {
    const uri = scope.kind === "vault" ? scope.attributes?.vaultUri : undefined;
    if (typeof uri === "string" && URL.canParse(uri)) vaultByOrigin.set(new URL(uri).origin, scope);
  }
  for (const { url, result } of vaults) {
    const scope = vaultByOrigin.get(url);
    if (!scope) {
      // No scope is made up for it: its items keep the vault URL as scope, so entitlement answers about
      // them come out "unknown" (the vault cannot be placed) rather than a false "nobody".
      gaps.push({
        provider: "azure",
        scopeId: url,
        source: "keyvault:vaults.listBySubscription",
        reason: "vault not found in the configured subscriptions: its permission model, access policies and inherited role assignments are unknown",
      });
    }
    const scopeId = scope?.id ?? url;
    snapshot.vaultItems.push(...result.items.map((item): VaultItem => ({ ...item, scopeId })));
    gaps.push(...result.gaps.map((gap) => ({ ...gap, scopeId })));
  }

  snapshot.scopes = [...scopes.values()];
  snapshot.principals = [...principals.values()];
  snapshot.policies = [...policies.values()];
  snapshot.grants = [...grants.values()];
  snapshot.gaps = gaps;
  return snapshot;
}
