/**
 * Which scope a call asks about, as a policy resource: the scope filter, else the scope of the
 * entitlement query's resource or principal, else the provider or the whole estate. Attributes come
 * from the collected inventory's scope tree (environment tag, inherited from the nearest ancestor)
 * and from the admin's `governance.scopes`, which wins and covers scopes not collected yet.
 */
import type { Inventory } from "../model/inventory-index.js";
import type { Scope } from "../model/inventory.js";
import type { ScopeEntity } from "./policy-engine.js";

export interface ScopeOverride {
  environment?: string | undefined;
  tags?: Record<string, string> | undefined;
}

type FlatScope = Omit<ScopeEntity, "ancestors">;

const PRODUCTION = "production";
const UNKNOWN = "unknown";

/** The scope tree of one inventory with environments resolved, built once per inventory. */
class ScopeTree {
  private readonly environments = new Map<string, string>();
  private readonly production = new Map<string, boolean>();

  constructor(
    readonly inventory: Inventory | null,
    readonly overrides: Readonly<Record<string, ScopeOverride>>,
  ) {}

  private scope(id: string): Scope | undefined {
    return this.inventory?.scopes.get(id);
  }

  environmentOf(id: string): string {
    const known = this.environments.get(id);
    if (known !== undefined) return known;
    let environment = this.overrides[id]?.environment ?? this.scope(id)?.tags?.environment;
    if (environment === undefined) {
      const parentId = this.scope(id)?.parentId;
      environment = parentId !== undefined && parentId !== id ? this.environmentOf(parentId) : UNKNOWN;
    }
    this.environments.set(id, environment);
    return environment;
  }

  /** True when the scope or anything below it is production. */
  containsProduction(id: string, seen = new Set<string>()): boolean {
    const known = this.production.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return false;
    seen.add(id);
    const result =
      this.environmentOf(id) === PRODUCTION || (this.inventory?.childrenOf(id) ?? []).some((child) => this.containsProduction(child.id, seen));
    this.production.set(id, result);
    return result;
  }

  flat(id: string): FlatScope {
    const scope = this.scope(id);
    return {
      id,
      provider: scope?.provider ?? providerOfId(id),
      kind: scope?.kind ?? "unknown",
      environment: this.environmentOf(id),
      estateWide: false,
      containsProduction: this.containsProduction(id),
      tags: { ...(scope?.tags ?? {}), ...(this.overrides[id]?.tags ?? {}) },
    };
  }

  entity(id: string): ScopeEntity {
    const chain = this.inventory?.scopeChain(id) ?? [];
    return { ...this.flat(id), ancestors: chain.slice(1).map((s) => this.flat(s.id)) };
  }

  /** Every known scope id, from the inventory and the overrides. */
  allIds(): string[] {
    return [...new Set([...(this.inventory?.scopes.keys() ?? []), ...Object.keys(this.overrides)])];
  }
}

function providerOfId(id: string): string {
  if (id.startsWith("aws:") || id.startsWith("arn:aws")) return "aws";
  if (/^(projects|folders|organizations)\//.test(id)) return "gcp";
  if (id.startsWith("/subscriptions/") || id.startsWith("/providers/Microsoft.Management") || id.startsWith("https://")) return "azure";
  return "";
}

const trees = new WeakMap<Inventory, ScopeTree>();

function treeFor(inventory: Inventory | null, overrides: Readonly<Record<string, ScopeOverride>>): ScopeTree {
  if (inventory === null) return new ScopeTree(null, overrides);
  const cached = trees.get(inventory);
  // Overrides come from the config, which may be reloaded: rebuild when they are a new object.
  if (cached?.overrides === overrides) return cached;
  const tree = new ScopeTree(inventory, overrides);
  trees.set(inventory, tree);
  return tree;
}

export interface ScopeQuery {
  scope?: string | undefined;
  provider?: string | undefined;
  principal?: string | undefined;
  resource?: string | undefined;
}

function estateWide(tree: ScopeTree, provider: string | undefined): ScopeEntity {
  const ids = tree.allIds().filter((id) => provider === undefined || tree.flat(id).provider === provider);
  const environments = new Set(ids.map((id) => tree.environmentOf(id)).filter((e) => e !== UNKNOWN));
  const only = environments.size === 1 ? [...environments][0] : undefined;
  return {
    id: provider ?? "*",
    provider: provider ?? "",
    kind: provider === undefined ? "estate" : "provider",
    environment: only ?? (environments.size > 1 ? "mixed" : UNKNOWN),
    estateWide: true,
    containsProduction: ids.some((id) => tree.environmentOf(id) === PRODUCTION),
    tags: {},
    ancestors: [],
  };
}

/** The policy resource for a call; `inventory` is the cached one, or null before any collection. */
export function resolveScope(query: ScopeQuery, inventory: Inventory | null, overrides: Readonly<Record<string, ScopeOverride>>): ScopeEntity {
  const tree = treeFor(inventory, overrides);
  if (query.scope !== undefined) return tree.entity(query.scope);
  if (query.resource !== undefined) {
    if (inventory?.scopes.has(query.resource) || overrides[query.resource]) return tree.entity(query.resource);
    const owner = inventory?.scopeOfResource(query.resource);
    if (owner) return tree.entity(owner.id);
  }
  if (query.principal !== undefined) {
    const principal = inventory?.findPrincipal(query.principal);
    if (principal) return tree.entity(principal.scopeId);
  }
  return estateWide(tree, query.provider);
}
