/**
 * Search identities by kind, workload flag and name, within a provider or scope.
 *
 * The answer is in id order. What a query reads is made once per inventory: the id order, each
 * identity's provider, scope, kind and workload flag in typed columns, and (on the first name
 * search) the lowercased text of every identity in one string. A query over a million identities
 * is then one pass over small arrays or one text search, and rows are made only for the page shown.
 */
import { z } from "zod";
import type { Inventory } from "../model/inventory-index.js";
import type { Principal, PrincipalKind } from "../model/inventory.js";
import { principalKindSchema } from "../model/inventory.js";
import { principalOrderOf } from "./principal-order.js";
import { compileColumnFilter, filterColumnsOf, type FilterColumns, type InventoryFilter } from "./scope-filter.js";

export const identityRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  provider: z.string(),
  scopeId: z.string(),
  workload: z.boolean(),
  disabled: z.boolean(),
  lastUsedAt: z.string().nullable(),
  credentialCount: z.number().int(),
  grantCount: z.number().int(),
});
export type IdentityRow = z.infer<typeof identityRowSchema>;

export interface ListIdentitiesOptions extends InventoryFilter {
  kinds?: readonly PrincipalKind[] | undefined;
  workloadOnly?: boolean | undefined;
  /** Case-insensitive substring of the id, name or email. */
  nameContains?: string | undefined;
}

/** The identities that match, in id order, with their rows made only for the positions asked for. */
export interface IdentityListing {
  readonly length: number;
  slice(from: number, to: number): IdentityRow[];
}

const KIND_CODES = new Map<string, number>(principalKindSchema.options.map((kind, index) => [kind, index]));
/** Separates identities (and an identity's fields) in the search text; a needle holding it is searched field by field. */
const SEPARATOR = "\u0000";

/** Per inventory: principals by snapshot index, their columns, and (on the first name search) the search text. */
interface IdentityIndex {
  readonly principals: readonly Principal[];
  /** Snapshot index of the principal at each id rank. */
  readonly byRank: Int32Array;
  readonly filter: FilterColumns;
  readonly kind: Uint8Array;
  readonly workload: Uint8Array;
  search?: SearchText;
}

/**
 * The lowercased id, name and email of every identity, in id order, as one string: a name search
 * is then a few indexOf calls over it instead of lowercasing three strings per identity per query.
 * A name or email already inside the identity's lowercased id is left out (a match in it is a
 * match in the id), which at the usual id shapes leaves mostly the ids.
 */
interface SearchText {
  readonly text: string;
  /** The search text of the identity at rank r is text[start[r] .. start[r + 1] - 1). */
  readonly start: Int32Array;
}

function buildIndex(inventory: Inventory): IdentityIndex {
  const principals = inventory.snapshot.principals;
  const kind = new Uint8Array(principals.length);
  const workload = new Uint8Array(principals.length);
  principals.forEach((p, i) => {
    kind[i] = KIND_CODES.get(p.kind) ?? 255;
    workload[i] = p.workload ? 1 : 0;
  });
  return { principals, byRank: principalOrderOf(inventory).order().byRank, filter: filterColumnsOf(principals), kind, workload };
}

function buildSearchText(index: IdentityIndex): SearchText {
  const parts: string[] = [];
  const start = new Int32Array(index.byRank.length + 1);
  let length = 0;
  for (let r = 0; r < index.byRank.length; r++) {
    const p = index.principals[index.byRank[r] as number] as Principal;
    const id = p.id.toLowerCase();
    let fields = id;
    for (const other of [p.name, p.email ?? ""]) {
      const lower = other.toLowerCase();
      if (lower.length > 0 && !id.includes(lower)) fields += SEPARATOR + lower;
    }
    start[r] = length;
    parts.push(fields);
    length += fields.length + 1;
  }
  start[index.byRank.length] = length;
  return { text: parts.join(SEPARATOR), start };
}

const indexes = new WeakMap<Inventory, IdentityIndex>();

function indexOf(inventory: Inventory): IdentityIndex {
  let index = indexes.get(inventory);
  if (!index) indexes.set(inventory, (index = buildIndex(inventory)));
  return index;
}

/** Ranks whose search text holds `needle`, ascending. */
function ranksContaining(index: IdentityIndex, needle: string): Int32Array {
  const search = (index.search ??= buildSearchText(index));
  const { text, start } = search;
  const ranks: number[] = [];
  let rank = 0;
  let at = text.indexOf(needle);
  while (at !== -1) {
    // The identity holding position `at`: a binary search over the starts from the last one found.
    let lo = rank;
    let hi = start.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if ((start[mid] as number) <= at) lo = mid;
      else hi = mid;
    }
    rank = lo;
    ranks.push(rank);
    at = text.indexOf(needle, start[rank + 1] as number);
  }
  return Int32Array.from(ranks);
}

function rowOf(inventory: Inventory, p: Principal): IdentityRow {
  return {
    id: p.id,
    name: p.name,
    kind: p.kind,
    provider: p.provider,
    scopeId: p.scopeId,
    workload: p.workload,
    disabled: p.disabled ?? false,
    lastUsedAt: p.lastActivity?.lastUsedAt ?? null,
    credentialCount: inventory.credentialsOf(p.id).length,
    grantCount: inventory.grantCountOf(p.id),
  };
}

export function listIdentities(inventory: Inventory, options: ListIdentitiesOptions): IdentityListing {
  const index = indexOf(inventory);
  const filter = compileColumnFilter(inventory, options, index.filter);
  const kinds = options.kinds && options.kinds.length > 0 ? new Set(options.kinds.map((kind) => KIND_CODES.get(kind))) : undefined;
  const needle = options.nameContains?.toLowerCase();
  const matches = (i: number) =>
    (filter.all || filter.matches(i)) && (kinds === undefined || kinds.has(index.kind[i] as number)) && (!options.workloadOnly || index.workload[i] === 1);

  let found: Int32Array;
  if (needle && needle.includes(SEPARATOR)) {
    // The search text cannot hold it within one field: each identity's fields are searched alone.
    const hits: number[] = [];
    for (let r = 0; r < index.byRank.length; r++) {
      const i = index.byRank[r] as number;
      const p = index.principals[i] as Principal;
      if (matches(i) && [p.id, p.name, p.email ?? ""].some((text) => text.toLowerCase().includes(needle))) hits.push(i);
    }
    found = Int32Array.from(hits);
  } else if (needle) {
    const ranks = ranksContaining(index, needle);
    const hits: number[] = [];
    for (const rank of ranks) {
      const i = index.byRank[rank] as number;
      if (matches(i)) hits.push(i);
    }
    found = Int32Array.from(hits);
  } else if (filter.all && kinds === undefined && !options.workloadOnly) {
    found = index.byRank;
  } else {
    const hits = new Int32Array(index.byRank.length);
    let n = 0;
    for (let r = 0; r < index.byRank.length; r++) {
      const i = index.byRank[r] as number;
      if (matches(i)) hits[n++] = i;
    }
    found = hits.slice(0, n);
  }
  return {
    length: found.length,
    slice: (from, to) => Array.from(found.subarray(Math.max(0, from), Math.min(to, found.length)), (i) => rowOf(inventory, index.principals[i] as Principal)),
  };
}
