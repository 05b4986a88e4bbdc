/**
 * Per-inventory memo of whole answers. An inventory never changes once built, so paging through
 * a long answer (one call per page) computes it once instead of once per page. Bounded, and
 * dropped with the inventory itself.
 */
import type { Inventory } from "../model/inventory-index.js";

const MAX_ENTRIES_PER_INVENTORY = 6;
const memos = new WeakMap<Inventory, Map<string, unknown>>();

export function memoize<T>(inventory: Inventory, key: string, compute: () => T): T {
  let memo = memos.get(inventory);
  if (!memo) {
    memo = new Map();
    memos.set(inventory, memo);
  }
  if (memo.has(key)) {
    const value = memo.get(key) as T;
    // Refresh recency: Map iteration order is insertion order, so re-insert.
    memo.delete(key);
    memo.set(key, value);
    return value;
  }
  const value = compute();
  memo.set(key, value);
  if (memo.size > MAX_ENTRIES_PER_INVENTORY) memo.delete(memo.keys().next().value as string);
  return value;
}

/** Answers that depend on "now" are reused within the same minute, never across days. */
export function minuteOf(now: Date): string {
  return now.toISOString().slice(0, 16);
}
