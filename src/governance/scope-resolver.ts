/**
 * Which scope a call asks about, as a policy resource: the scope filter, else the scope of the
 * entitlement query's resource or principal, else the provider or the whole estate. Attributes come
 * from the collected inventory's scope tree (environment tag, inherited from the nearest ancestor)
 * and from the admin's `governance.scopes`, which wins and covers scopes not collected yet.
 */
import type { Inventory } from "../model/inventory-index.js";
import type { Scope } from "../model/inventory.js";
import { PROVIDERS, providerOwning } from "../providers/registry.js";
import type { ScopeEntity } from "./policy-engine.js";

export interface ScopeOverride {
  environment?: string | undefined;
  tags?: Record<string, string> | undefined;
}

type FlatScope = Omit<ScopeEntity, "ancestors">;

const PRODUCTION = "production";
/** Tag values people use for production; environments are compared in lower case. */
const PRODUCTION_SYNONYMS = new Set(["production", "prod", "prd", "live"]);

function normalizeEnvironment(value: string): string {
  const lower = value.trim().toLowerCase();
  return PRODUCTION_SYNONYMS.has(lower) ? PRODUCTION : lower;
}
const UNKNOWN = "unknown";

/** The scope tree of one inventory with environments resolved, built once per inventory. */
class ScopeTree {
  private readonly environments = new Map<string, string>();
  private readonly production = new Map<string, boolean>();
  private aliases: Map<string, string> | undefined;

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
    const own = this.overrides[id]?.environment ?? this.scope(id)?.tags?.environment;
    let environment = own === undefined ? undefined : normalizeEnvironment(own);
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

  /** The collected scope known by this alias (a Key Vault's host name), per the providers' grammars. */
  scopeByAlias(key: string): string | undefined {
    if (!this.aliases) {
      this.aliases = new Map();
      const withAliases = PROVIDERS.filter((module) => module.ids.scopeAliases);
      for (const scope of this.inventory?.scopes.values() ?? []) {
        const grammar = withAliases.find((module) => module.id === scope.provider)?.ids;
        for (const alias of grammar?.scopeAliases?.(scope) ?? []) this.aliases.set(alias, scope.id);
      }
    }
    return this.aliases.get(key);
  }

  /** Every known scope id, from the inventory and the overrides. */
  allIds(): string[] {
    return [...new Set([...(this.inventory?.scopes.keys() ?? []), ...Object.keys(this.overrides)])];
  }
}

function providerOfId(id: string): string {
  return providerOwning(id)?.id ?? "";
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

/** Where a resource named by an entitlement query lives, when it can be placed exactly. */
function placeResource(tree: ScopeTree, inventory: Inventory | null, resource: string): string | undefined {
  if (inventory?.scopes.has(resource) || tree.overrides[resource]) return resource;
  // A pattern stands for many resources, possibly in many scopes: it is never placed in one.
  if (/[*?]/.test(resource)) return undefined;
  const ids = providerOwning(resource)?.ids;
  const alias = ids?.aliasKeyOf?.(resource);
  if (alias !== undefined) return tree.scopeByAlias(alias);
  const named = ids?.scopeNamedBy?.(resource);
  if (named !== undefined) return named;
  return inventory?.scopeOfResource(resource)?.id;
}

/**
 * The policy resource for a call; `inventory` is the cached one, or null before any collection.
 * A resource that cannot be placed exactly (a pattern, an unknown id) is about its provider's whole
 * estate (or all of it), so policies see the widest scope the answer could cover. Tools whose
 * answer reaches beyond a principal's own scope say so through their policyScope.
 */
export function resolveScope(query: ScopeQuery, inventory: Inventory | null, overrides: Readonly<Record<string, ScopeOverride>>): ScopeEntity {
  const tree = treeFor(inventory, overrides);
  if (query.scope !== undefined) return tree.entity(query.scope);
  if (query.resource !== undefined) {
    const placed = placeResource(tree, inventory, query.resource);
    if (placed !== undefined) return tree.entity(placed);
    const provider = providerOfId(query.resource);
    return estateWide(tree, provider === "" ? query.provider : provider);
  }
  if (query.principal !== undefined) {
    const principal = inventory?.findPrincipal(query.principal);
    if (principal) return tree.entity(principal.scopeId);
  }
  return estateWide(tree, query.provider);
}
