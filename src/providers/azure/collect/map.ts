/**
 * Puts the parts of one collection together into a snapshot with the demo estate's conventions:
 * tenant → management groups → subscriptions → resource groups → vaults, role definitions and
 * deny assignments once each, assignments inherited from management groups once, a user-assigned
 * identity seen by both ARM and Graph as one principal, and vault items placed in their vault's
 * ARM scope (or, for a vault no configured subscription holds, its URL and a gap saying so).
 */
import { emptySnapshot, type CollectionGap, type InventorySnapshot, type Principal, type Scope, type VaultItem } from "../../../model/inventory.js";
import type { AzureProviderConfig } from "../config.js";
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

const MANAGEMENT_GROUP_ID = /^\/providers\/Microsoft\.Management\/managementGroups\/([^/]+)$/i;

/** The root scope `/` or a management group: scopes above every subscription. */
function isAboveSubscriptions(id: string): boolean {
  return id === "/" || MANAGEMENT_GROUP_ID.test(id);
}

/** The scope chain of a scope id upward, lower-cased ids, stopping before the tenant scope. */
function chainBelowTenant(id: string, scopes: ReadonlyMap<string, Scope>, tenantScopeId: string): string[] {
  const chain: string[] = [];
  for (let current = scopes.get(id); current && current.id.toLowerCase() !== tenantScopeId && !chain.includes(current.id.toLowerCase()); current = current.parentId ? scopes.get(current.parentId.toLowerCase()) : undefined) {
    chain.push(current.id.toLowerCase());
  }
  return chain;
}

/**
 * Management groups (and the root scope `/`) that a subscription's role or deny assignments come
 * from but the hierarchy read did not yield (managementGroups off, or the reader cannot see them).
 * ARM lists an assignment at a subscription only when its scope is an ancestor of it, so each such
 * scope is placed in the subscription's chain and the assignment still inherits down to its vaults:
 * `/` above everything, an unseen tenant root group above the highest known group, any other group
 * directly above the subscription (below its known parent).
 *
 * A tree gives nested sets of subscriptions: of two unseen groups above one subscription, the one
 * seen by more subscriptions sits higher; groups seen by the same subscriptions are ordered by id.
 * Their order among themselves (and against known groups) is a guess that only matters for a
 * question about one of those groups itself, never for the subscription or anything in it. Where
 * no consistent place exists, a gap on the subscription says so and answers there are unknown.
 */
function placeInheritedScopes(tenant: TenantCollection, scopes: Map<string, Scope>, generatedAt: string): CollectionGap[] {
  const tenantScope = tenant.tenantScopeId.toLowerCase();
  const written = new Map<string, string>();
  const seenBy = new Map<string, Set<string>>();
  const unknownOf = new Map<string, Set<string>>();
  for (const parts of tenant.subscriptions) {
    const subscription = `/subscriptions/${parts.subscriptionId.toLowerCase()}`;
    const named = [
      ...parts.grants.filter((grant) => grant.kind === "role_assignment").map((grant) => grant.resource ?? ""),
      ...parts.policies.filter((policy) => policy.kind === "deny").flatMap((policy) => policy.attachedTo ?? []),
    ];
    for (const id of named) {
      if (!isAboveSubscriptions(id) || scopes.has(id.toLowerCase())) continue;
      const key = id.toLowerCase();
      if (!written.has(key)) written.set(key, id);
      memo(seenBy, key).add(subscription);
      memo(unknownOf, subscription).add(key);
    }
  }
  if (written.size === 0) return [];

  const rank = (id: string): number => (id === "/" ? 0 : MANAGEMENT_GROUP_ID.exec(id)?.[1]?.toLowerCase() === tenant.tenantId.toLowerCase() ? 1 : 2);
  const order = (a: string, b: string) => rank(a) - rank(b) || (seenBy.get(b)?.size ?? 0) - (seenBy.get(a)?.size ?? 0) || a.localeCompare(b);
  // `/` and the tenant root group are above every subscription of the tenant.
  const tenantWide = [...written.keys()].filter((id) => rank(id) < 2);
  const parentOf = new Map<string, string>();
  const gaps: CollectionGap[] = [];
  for (const [subscription, named] of unknownOf) {
    const unknown = [...new Set([...tenantWide, ...named])].sort(order);
    const knownAbove = chainBelowTenant(subscription, scopes, tenantScope).slice(1).reverse();
    const topDown = [...unknown.filter((id) => rank(id) < 2), ...knownAbove, ...unknown.filter((id) => rank(id) === 2), subscription];
    const links = topDown.map((id, index): [string, string] => [id, index === 0 ? tenantScope : (topDown[index - 1] as string)]);
    const conflict = links.some(([child, parent]) => (parentOf.get(child) ?? parent) !== parent);
    if (!conflict) {
      for (const [child, parent] of links) parentOf.set(child, parent);
      continue;
    }
    gaps.push({
      provider: "azure",
      scopeId: scopes.get(subscription)?.id ?? subscription,
      source: "authorization:roleAssignments.listForScope",
      reason: `assignments inherited from ${[...named].map((id) => written.get(id) ?? id).join(", ")} could not be placed in the management group hierarchy, so what they grant or deny below this subscription is unknown`,
    });
  }

  for (const [child, parent] of parentOf) {
    const existing = scopes.get(child);
    const parentId = scopes.get(parent)?.id ?? written.get(parent) ?? parent;
    if (existing) {
      if (existing.parentId !== parentId) scopes.set(child, { ...existing, parentId });
      continue;
    }
    const id = written.get(child) ?? child;
    scopes.set(child, {
      id,
      provider: "azure",
      kind: "management_group",
      name: id === "/" ? "Root scope (/)" : (MANAGEMENT_GROUP_ID.exec(id)?.[1] ?? id),
      parentId,
      attributes: { placement: "inferred from assignments listed for the subscriptions below it (not in the hierarchy read)" },
      evidence: { source: "authorization:roleAssignments.listForScope", observedAt: generatedAt },
    });
  }
  return gaps;
}

function memo(map: Map<string, Set<string>>, key: string): Set<string> {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  return set;
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
    gaps.push(...placeInheritedScopes(tenant, scopes, generatedAt));
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
