/**
 * Orders the entries of a listing answer by (group, value, id) — e.g. (severity, days unused,
 * principal id) — without comparing strings per query. Ids are ranked once per inventory; each
 * query then packs the three keys into one exact float and sorts a typed array natively. With
 * tens of thousands of entries and large groups of equal values, the string comparisons of a
 * comparator sort were most of the query.
 */

/** Each id's position in code-unit order (`<`), equal ids in input order, and the inverse. */
export interface IdOrder {
  readonly rank: Int32Array;
  readonly byRank: Int32Array;
}

export function idOrderOf(ids: readonly string[]): IdOrder {
  // The default sort compares strings by UTF-16 code units, like `<`, without a callback per comparison.
  const sorted = [...ids].sort();
  const nextRank = new Map<string, number>();
  for (let rank = sorted.length - 1; rank >= 0; rank--) nextRank.set(sorted[rank] as string, rank);
  const rank = new Int32Array(ids.length);
  const byRank = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as string;
    const r = nextRank.get(id) as number;
    nextRank.set(id, r + 1);
    rank[i] = r;
    byRank[r] = i;
  }
  return { rank, byRank };
}

const ID_SPAN = 2 ** 24;
const VALUE_OFFSET = 2 ** 20;
const VALUE_SPAN = 2 ** 21;
const MAX_GROUPS = 16;

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Entry positions in answer order: ascending `group`, then ascending `value`, then id. Entry k
 * stands for item `item[k]` of the id order. Values that do not pack exactly (outside about a
 * million either side of zero, or not integers) fall back to a comparator sort, same order.
 */
export function answerOrder(group: Uint8Array, value: Float64Array, item: Int32Array, ids: readonly string[], idOrder: () => IdOrder): Int32Array {
  const n = item.length;
  const packable =
    ids.length < ID_SPAN &&
    group.every((g) => g < MAX_GROUPS) &&
    value.every((v) => Number.isInteger(v) && v >= -VALUE_OFFSET && v < VALUE_OFFSET);
  if (!packable) {
    const entries = Array.from({ length: n }, (_, k) => k).sort(
      (a, b) =>
        (group[a] as number) - (group[b] as number) ||
        (value[a] as number) - (value[b] as number) ||
        compareIds(ids[item[a] as number] as string, ids[item[b] as number] as string),
    );
    return Int32Array.from(entries);
  }
  const { rank, byRank } = idOrder();
  const keys = new Float64Array(n);
  // Item → entry, to decode the sorted keys.
  const entryOf = new Int32Array(ids.length);
  for (let k = 0; k < n; k++) {
    const i = item[k] as number;
    keys[k] = ((group[k] as number) * VALUE_SPAN + (value[k] as number) + VALUE_OFFSET) * ID_SPAN + (rank[i] as number);
    entryOf[i] = k;
  }
  keys.sort();
  const order = new Int32Array(n);
  for (let position = 0; position < n; position++) {
    order[position] = entryOf[byRank[(keys[position] as number) % ID_SPAN] as number] as number;
  }
  return order;
}
