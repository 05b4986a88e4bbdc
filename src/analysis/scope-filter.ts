/** Provider and scope filters shared by every listing analysis. */
import type { Inventory } from "../model/inventory-index.js";
import type { Provider } from "../model/inventory.js";
import { PROVIDER_IDS } from "../providers/ids.js";
import { UserFacingError } from "../errors.js";

export interface InventoryFilter {
  provider?: Provider | undefined;
  /** A scope id: matches entities in that scope or any scope below it. */
  scope?: string | undefined;
}

export type EntityPredicate = (entity: { provider: Provider; scopeId: string }) => boolean;

/** The scope and every scope below it; a scope the inventory does not hold is the caller's mistake. */
function scopeAndDescendants(inventory: Inventory, scope: string): Set<string> {
  if (!inventory.scopes.has(scope)) {
    throw new UserFacingError(
      "not_found",
      `scope: no scope with id "${scope}" in the inventory`,
      "Call inventory_summary to list the scope ids.",
    );
  }
  const scopes = new Set<string>();
  const pending = [scope];
  while (pending.length > 0) {
    const id = pending.pop() as string;
    if (scopes.has(id)) continue;
    scopes.add(id);
    for (const child of inventory.childrenOf(id)) pending.push(child.id);
  }
  return scopes;
}

/**
 * Compiles a filter once: the scope filter becomes a set of the scope and its descendants, so
 * each entity is one set lookup instead of a walk up its ancestor chain.
 */
export function compileFilter(inventory: Inventory, filter: InventoryFilter): EntityPredicate {
  const { provider, scope } = filter;
  const scopes = scope === undefined ? undefined : scopeAndDescendants(inventory, scope);
  return (entity) =>
    (provider === undefined || entity.provider === provider) && (scopes === undefined || scopes.has(entity.scopeId));
}

/**
 * The provider and scope of each item of a list as small numbers, made once per inventory: a
 * filter over a million items is then two typed-array reads per item, with no object touched.
 */
export interface FilterColumns {
  /** Index into PROVIDER_IDS per item. */
  readonly provider: Uint8Array;
  /** Index into `scopeIds` per item. */
  readonly scope: Int32Array;
  /** The distinct scope ids the items name (few beside the items). */
  readonly scopeIds: readonly string[];
  /** Items grouped by scope (rows of scope k: rows[offsets[k] .. offsets[k + 1])), made on the first scoped query. */
  byScope?: { offsets: Int32Array; rows: Int32Array };
}

export function filterColumnsOf(items: readonly { provider: Provider; scopeId: string }[]): FilterColumns {
  const provider = new Uint8Array(items.length);
  const scope = new Int32Array(items.length);
  const scopeIds: string[] = [];
  const scopeIndex = new Map<string, number>();
  const providerIndex = new Map<string, number>(PROVIDER_IDS.map((id, index) => [id, index]));
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as { provider: Provider; scopeId: string };
    // An unknown provider (not possible in a validated model) matches no provider filter.
    provider[i] = providerIndex.get(item.provider) ?? 255;
    let index = scopeIndex.get(item.scopeId);
    if (index === undefined) {
      index = scopeIds.length;
      scopeIds.push(item.scopeId);
      scopeIndex.set(item.scopeId, index);
    }
    scope[i] = index;
  }
  return { provider, scope, scopeIds };
}

/**
 * A filter compiled against FilterColumns: `matches(i)` for item i; `all` when nothing is
 * filtered; `candidates`, when the scope holds few of the items, the items in it, ascending (a
 * query then visits those rather than every item).
 */
export interface ColumnFilter {
  readonly all: boolean;
  matches(item: number): boolean;
  readonly candidates?: Int32Array;
}

function scopeGroupsOf(columns: FilterColumns): { offsets: Int32Array; rows: Int32Array } {
  if (columns.byScope) return columns.byScope;
  const offsets = new Int32Array(columns.scopeIds.length + 1);
  for (const scope of columns.scope) offsets[scope + 1] = (offsets[scope + 1] as number) + 1;
  for (let k = 0; k < columns.scopeIds.length; k++) offsets[k + 1] = (offsets[k + 1] as number) + (offsets[k] as number);
  const next = offsets.slice(0, columns.scopeIds.length);
  const rows = new Int32Array(columns.scope.length);
  columns.scope.forEach((scope, item) => {
    rows[(next[scope] as number)++] = item;
  });
  return (columns.byScope = { offsets, rows });
}

/** Visiting only a scope's items pays when they are at most this share of all items. */
const CANDIDATE_SHARE = 0.25;

/** The items of the scopes marked in `inScope`, ascending; undefined when they are too many to be worth listing. */
function candidatesOf(columns: FilterColumns, inScope: Uint8Array): Int32Array | undefined {
  const { offsets, rows } = scopeGroupsOf(columns);
  let total = 0;
  for (let k = 0; k < inScope.length; k++) if (inScope[k] === 1) total += (offsets[k + 1] as number) - (offsets[k] as number);
  if (total > columns.scope.length * CANDIDATE_SHARE) return undefined;
  const items = new Int32Array(total);
  let n = 0;
  for (let k = 0; k < inScope.length; k++) {
    if (inScope[k] !== 1) continue;
    items.set(rows.subarray(offsets[k] as number, offsets[k + 1] as number), n);
    n += (offsets[k + 1] as number) - (offsets[k] as number);
  }
  return items.sort();
}

const NO_FILTER: ColumnFilter = { all: true, matches: () => true };

export function compileColumnFilter(inventory: Inventory, filter: InventoryFilter, columns: FilterColumns): ColumnFilter {
  const { provider, scope } = filter;
  if (provider === undefined && scope === undefined) return NO_FILTER;
  const wantedProvider = provider === undefined ? -1 : PROVIDER_IDS.indexOf(provider);
  let inScope: Uint8Array | undefined;
  if (scope !== undefined) {
    const scopes = scopeAndDescendants(inventory, scope);
    inScope = new Uint8Array(columns.scopeIds.length);
    for (let k = 0; k < columns.scopeIds.length; k++) inScope[k] = scopes.has(columns.scopeIds[k] as string) ? 1 : 0;
  }
  const providers = columns.provider;
  const scopes = columns.scope;
  const candidates = inScope === undefined ? undefined : candidatesOf(columns, inScope);
  return {
    all: false,
    matches: (item) =>
      (wantedProvider < 0 || providers[item] === wantedProvider) && (inScope === undefined || inScope[scopes[item] as number] === 1),
    ...(candidates ? { candidates } : {}),
  };
}
