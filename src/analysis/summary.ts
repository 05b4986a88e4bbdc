/** Counts of what the inventory holds, per provider, plus the scopes and collection gaps. */
import { z } from "zod";
import type { Inventory } from "../model/inventory-index.js";
import { compileFilter, type InventoryFilter } from "./scope-filter.js";

/** Counts by kind as a list: kinds such as "password" or "secret" must not become object keys, which the redactor treats as secret fields. */
const countsSchema = z.array(z.object({ kind: z.string(), count: z.number().int() }));
type Counts = z.infer<typeof countsSchema>;

export const inventorySummarySchema = z.object({
  generatedAt: z.string(),
  providers: z.array(
    z.object({
      provider: z.string(),
      scopes: countsSchema,
      principals: countsSchema,
      workloadIdentities: z.number().int(),
      credentials: countsSchema,
      vaultItems: countsSchema,
      policies: countsSchema,
      grants: z.number().int(),
      trustEdges: z.number().int(),
    }),
  ),
  scopes: z.array(
    z.object({ id: z.string(), kind: z.string(), name: z.string(), parentId: z.string().nullable(), environment: z.string().nullable() }),
  ),
  scopesTruncated: z.boolean(),
  gaps: z.array(z.object({ provider: z.string(), scopeId: z.string().nullable(), source: z.string(), reason: z.string() })),
});
export type InventorySummary = z.infer<typeof inventorySummarySchema>;

const SCOPE_LIST_CAP = 200;

interface ProviderTally {
  scopes: Map<string, number>;
  principals: Map<string, number>;
  workloadIdentities: number;
  credentials: Map<string, number>;
  vaultItems: Map<string, number>;
  policies: Map<string, number>;
  grants: number;
  trustEdges: number;
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function sortedCounts(map: Map<string, number>): Counts {
  return [...map].sort(([a], [b]) => (a < b ? -1 : 1)).map(([kind, count]) => ({ kind, count }));
}

const MAX_SUMMARIES_PER_INVENTORY = 16;
const summaries = new WeakMap<Inventory, Map<string, InventorySummary>>();

/**
 * The summary of an inventory never changes (it does not depend on the time), so each filter's
 * summary is computed once per inventory and then shared, frozen.
 */
export function summarizeInventory(inventory: Inventory, filter: InventoryFilter): InventorySummary {
  let byFilter = summaries.get(inventory);
  if (!byFilter) summaries.set(inventory, (byFilter = new Map()));
  const key = JSON.stringify([filter.provider ?? null, filter.scope ?? null]);
  let summary = byFilter.get(key);
  if (!summary) {
    summary = deepFreeze(computeSummary(inventory, filter));
    if (byFilter.size >= MAX_SUMMARIES_PER_INVENTORY) byFilter.delete(byFilter.keys().next().value as string);
    byFilter.set(key, summary);
  }
  return summary;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const nested of Object.values(value)) deepFreeze(nested);
    Object.freeze(value);
  }
  return value;
}

/** One pass over each collection (about 1M grants at the benchmark size), tallied per provider. */
function computeSummary(inventory: Inventory, filter: InventoryFilter): InventorySummary {
  const matches = compileFilter(inventory, filter);
  const unfiltered = filter.provider === undefined && filter.scope === undefined;
  const snapshot = inventory.snapshot;
  const tallies = new Map<string, ProviderTally>();
  const tally = (provider: string): ProviderTally => {
    let t = tallies.get(provider);
    if (!t) {
      t = { scopes: new Map(), principals: new Map(), workloadIdentities: 0, credentials: new Map(), vaultItems: new Map(), policies: new Map(), grants: 0, trustEdges: 0 };
      tallies.set(provider, t);
    }
    return t;
  };

  const scopes = snapshot.scopes.filter((s) => matches({ provider: s.provider, scopeId: s.id }));
  for (const s of scopes) bump(tally(s.provider).scopes, s.kind);
  // Grants and trust edges count when their principal is in the filtered set.
  const principalIds = unfiltered ? undefined : new Set<string>();
  for (const p of snapshot.principals) {
    if (!unfiltered && !matches(p)) continue;
    principalIds?.add(p.id);
    const t = tally(p.provider);
    bump(t.principals, p.kind);
    if (p.workload) t.workloadIdentities++;
  }
  for (const c of snapshot.credentials) if (unfiltered || matches(c)) bump(tally(c.provider).credentials, c.kind);
  for (const v of snapshot.vaultItems) if (unfiltered || matches(v)) bump(tally(v.provider).vaultItems, v.kind);
  for (const p of snapshot.policies) if (tallies.has(p.provider)) bump(tally(p.provider).policies, p.kind);
  for (const [provider, count] of inventory.grants.countByProvider(principalIds)) tally(provider).grants += count;
  for (const e of snapshot.trustEdges) if (!principalIds || principalIds.has(e.to)) tally(e.provider).trustEdges++;

  return {
    generatedAt: snapshot.generatedAt,
    providers: [...tallies.keys()]
      .filter((provider) => scopes.some((s) => s.provider === provider))
      .sort()
      .map((provider) => {
        const t = tally(provider);
        return {
          provider,
          scopes: sortedCounts(t.scopes),
          principals: sortedCounts(t.principals),
          workloadIdentities: t.workloadIdentities,
          credentials: sortedCounts(t.credentials),
          vaultItems: sortedCounts(t.vaultItems),
          policies: sortedCounts(t.policies),
          grants: t.grants,
          trustEdges: t.trustEdges,
        };
      }),
    scopes: scopes.slice(0, SCOPE_LIST_CAP).map((s) => ({
      id: s.id,
      kind: s.kind,
      name: s.name,
      parentId: s.parentId ?? null,
      environment: s.tags?.environment ?? null,
    })),
    scopesTruncated: scopes.length > SCOPE_LIST_CAP,
    gaps: inventory.gaps
      .filter((g) => filter.provider === undefined || g.provider === filter.provider)
      .map((g) => ({ provider: g.provider, scopeId: g.scopeId ?? null, source: g.source, reason: g.reason })),
  };
}
