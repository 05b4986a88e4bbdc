/** Search identities by kind, workload flag and name, within a provider or scope. */
import { z } from "zod";
import type { Inventory } from "../model/inventory-index.js";
import type { PrincipalKind } from "../model/inventory.js";
import { compileFilter, type InventoryFilter } from "./scope-filter.js";

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

export function listIdentities(inventory: Inventory, options: ListIdentitiesOptions): IdentityRow[] {
  const matches = compileFilter(inventory, options);
  const kinds = options.kinds && options.kinds.length > 0 ? new Set<string>(options.kinds) : undefined;
  const needle = options.nameContains?.toLowerCase();
  const rows: IdentityRow[] = [];
  for (const p of inventory.snapshot.principals) {
    if (!matches(p) || (kinds && !kinds.has(p.kind)) || (options.workloadOnly && !p.workload)) continue;
    if (needle && ![p.id, p.name, p.email ?? ""].some((text) => text.toLowerCase().includes(needle))) continue;
    rows.push({
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
    });
  }
  return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
