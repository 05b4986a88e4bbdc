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

function countBy<T>(items: Iterable<T>, key: (item: T) => string): Counts {
  const counts = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([kind, count]) => ({ kind, count }));
}

const SCOPE_LIST_CAP = 200;

export function summarizeInventory(inventory: Inventory, filter: InventoryFilter): InventorySummary {
  const matches = compileFilter(inventory, filter);
  const snapshot = inventory.snapshot;
  const scopes = snapshot.scopes.filter((s) => matches({ provider: s.provider, scopeId: s.id }));
  const providers = [...new Set(scopes.map((s) => s.provider))].sort();
  const principals = snapshot.principals.filter(matches);
  const principalIds = new Set(principals.map((p) => p.id));

  return {
    generatedAt: snapshot.generatedAt,
    providers: providers.map((provider) => {
      const mine = <T extends { provider: string }>(items: readonly T[]) => items.filter((i) => i.provider === provider);
      const myPrincipals = mine(principals);
      return {
        provider,
        scopes: countBy(mine(scopes), (s) => s.kind),
        principals: countBy(myPrincipals, (p) => p.kind),
        workloadIdentities: myPrincipals.filter((p) => p.workload).length,
        credentials: countBy(mine(snapshot.credentials.filter(matches)), (c) => c.kind),
        vaultItems: countBy(mine(snapshot.vaultItems.filter(matches)), (v) => v.kind),
        policies: countBy(mine(snapshot.policies), (p) => p.kind),
        grants: mine(snapshot.grants).filter((g) => principalIds.has(g.principalId)).length,
        trustEdges: mine(snapshot.trustEdges).filter((e) => principalIds.has(e.to)).length,
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
