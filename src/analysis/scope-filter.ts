/** Provider and scope filters shared by every listing analysis. */
import type { Inventory } from "../model/inventory-index.js";
import type { Provider } from "../model/inventory.js";
import { UserFacingError } from "../errors.js";

export interface InventoryFilter {
  provider?: Provider | undefined;
  /** A scope id: matches entities in that scope or any scope below it. */
  scope?: string | undefined;
}

export type EntityPredicate = (entity: { provider: Provider; scopeId: string }) => boolean;

/**
 * Compiles a filter once: the scope filter becomes a set of the scope and its descendants, so
 * each entity is one set lookup instead of a walk up its ancestor chain.
 */
export function compileFilter(inventory: Inventory, filter: InventoryFilter): EntityPredicate {
  const { provider, scope } = filter;
  let scopes: Set<string> | undefined;
  if (scope !== undefined) {
    if (!inventory.scopes.has(scope)) {
      throw new UserFacingError(
        "not_found",
        `scope: no scope with id "${scope}" in the inventory`,
        "Call inventory_summary to list the scope ids.",
      );
    }
    scopes = new Set<string>();
    const pending = [scope];
    while (pending.length > 0) {
      const id = pending.pop() as string;
      if (scopes.has(id)) continue;
      scopes.add(id);
      for (const child of inventory.childrenOf(id)) pending.push(child.id);
    }
  }
  return (entity) =>
    (provider === undefined || entity.provider === provider) && (scopes === undefined || scopes.has(entity.scopeId));
}
