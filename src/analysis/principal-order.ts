/**
 * Every principal's place in id order, worked out once per inventory and shared by the listings
 * that sort by id (list_identities, and stale findings within a severity and day count). Sorting
 * a million ids takes about a second, so it is made on first use, never per query.
 */
import type { Inventory } from "../model/inventory-index.js";
import { idOrderOf, type IdOrder } from "./answer-order.js";

export interface PrincipalOrder {
  /** The snapshot's principal ids, in snapshot order. */
  readonly ids: readonly string[];
  /** Their order (rank by snapshot index, and snapshot index by rank), made on first call. */
  order(): IdOrder;
}

const orders = new WeakMap<Inventory, PrincipalOrder>();

export function principalOrderOf(inventory: Inventory): PrincipalOrder {
  let found = orders.get(inventory);
  if (!found) {
    const ids = inventory.snapshot.principals.map((p) => p.id);
    let order: IdOrder | undefined;
    found = { ids, order: () => (order ??= idOrderOf(ids)) };
    orders.set(inventory, found);
  }
  return found;
}
