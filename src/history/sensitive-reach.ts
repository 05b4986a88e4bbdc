/**
 * Who can reach the estate's sensitive resources, per collection: the reverse entitlement search
 * (src/analysis/entitlements) over each resource marked sensitive, keeping the paths whose outcome
 * is `allowed`. History diffs these lists, so "a new way into the payments secret" is a change of
 * its own, even when it came from a grant three hops away.
 *
 * A resource is sensitive when the config names it, or when it (or a scope it sits in) carries one
 * of the configured tags (`environment: production` by default). The search runs per source, on
 * that source's own collection: a path that crosses clouds is not seen here.
 */
import { explainEntitlementPaths } from "../analysis/entitlements/index.js";
import type { Inventory } from "../model/inventory-index.js";
import type { SensitiveReach } from "./collection-delta.js";

export interface SensitiveSettings {
  /** Tag key → value: a vault item or secret with the tag, or in a scope with it, is sensitive. */
  tags: Record<string, string>;
  /** Resource ids that are sensitive whatever their tags. */
  resources: readonly string[];
  /** The action asked about (wildcards allowed): "*" is any access. */
  action: string;
  /** Resources searched per collection at most (the first by id): bounds the refresh's work. */
  maxResources: number;
  /** Paths kept per resource at most. */
  maxPathsPerResource: number;
}

function tagged(tags: Record<string, string> | undefined, wanted: Record<string, string>): boolean {
  if (!tags) return false;
  for (const [key, value] of Object.entries(wanted)) if (tags[key] === value) return true;
  return false;
}

/** The sensitive resources of an inventory, sorted by id, at most `maxResources`. */
export function sensitiveResources(inventory: Inventory, settings: SensitiveSettings): string[] {
  const found = new Set<string>();
  for (const id of settings.resources) found.add(id);
  if (Object.keys(settings.tags).length > 0) {
    const sensitiveScope = new Map<string, boolean>();
    const scopeIsSensitive = (scopeId: string): boolean => {
      let known = sensitiveScope.get(scopeId);
      if (known === undefined) {
        known = inventory.scopeChain(scopeId).some((scope) => tagged(scope.tags, settings.tags));
        sensitiveScope.set(scopeId, known);
      }
      return known;
    };
    for (const item of inventory.snapshot.vaultItems) {
      if (tagged(item.tags, settings.tags) || scopeIsSensitive(item.scopeId)) found.add(item.id);
    }
  }
  return [...found].sort().slice(0, settings.maxResources);
}

/** Allowed paths to each sensitive resource, one per (principal, resource), sorted. */
export function sensitiveReach(inventory: Inventory, settings: SensitiveSettings): SensitiveReach[] {
  const reach = new Map<string, SensitiveReach>();
  for (const resource of sensitiveResources(inventory, settings)) {
    let answer;
    try {
      answer = explainEntitlementPaths(inventory, { action: settings.action, resource }, { maxPaths: settings.maxPathsPerResource });
    } catch {
      // A resource the search cannot place is not reachable knowledge; it is left out, not guessed.
      continue;
    }
    for (const path of answer.paths) {
      if (path.outcome !== "allowed") continue;
      const key = `${path.principalId}\u0000${resource}`;
      if (reach.has(key)) continue;
      const principal = inventory.principals.get(path.principalId);
      reach.set(key, {
        resource,
        principal: path.principalId,
        provider: principal?.provider ?? "",
        via: path.via.length > 1 ? path.via.slice(1).join(" -> ") : "direct",
        hops: Math.max(0, path.via.length - 1),
      });
    }
  }
  return [...reach.values()].sort((a, b) => (a.resource === b.resource ? (a.principal < b.principal ? -1 : 1) : a.resource < b.resource ? -1 : 1));
}
