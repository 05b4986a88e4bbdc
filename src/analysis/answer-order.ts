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

/**
 * A listing answer in (group, value, id) order, worked out only as far as its pages reach: the
 * first page of a few hundred thousand entries needs the few dozen smallest keys (one selection
 * pass), not a sort of all of them. Later pages widen the known prefix fourfold at a time, so
 * paging through a whole answer costs about one full sort in all.
 */
export interface PagedOrder {
  readonly length: number;
  /** Entries at answer positions [from, to). */
  entries(from: number, to: number): Int32Array;
}

/** Positions known after the first page is asked for: at least one page of the largest size (500). */
const FIRST_PREFIX = 512;

/** A fully known order (small answers, or keys that do not pack). */
function knownOrder(order: Int32Array): PagedOrder {
  return { length: order.length, entries: (from, to) => order.subarray(Math.max(0, from), Math.min(to, order.length)) };
}

/**
 * The `k + 1` smallest values of `values` (which it reorders) end up in values[0..k]; returns
 * the (k+1)-th smallest. Hoare-style selection with a median-of-three pivot; when it takes far
 * more rounds than expected (input built to defeat the pivot), a sort finishes the job.
 */
function selectSmallest(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  let rounds = 0;
  const maxRounds = 4 * Math.ceil(Math.log2(values.length + 1)) + 16;
  while (hi > lo) {
    if (++rounds > maxRounds) {
      values.subarray(lo, hi + 1).sort();
      return values[k] as number;
    }
    const a = values[lo] as number;
    const b = values[(lo + hi) >>> 1] as number;
    const c = values[hi] as number;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((values[i] as number) < pivot) i++;
      while ((values[j] as number) > pivot) j--;
      if (i <= j) {
        const swap = values[i] as number;
        values[i] = values[j] as number;
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k] as number;
  }
  return values[k] as number;
}

/** The `count` smallest keys, ascending. Keys are distinct (each carries its item's id rank). */
function smallestKeys(keys: Float64Array, count: number): Float64Array {
  if (count * 4 >= keys.length) return keys.slice().sort().subarray(0, count);
  const scratch = keys.slice();
  const largestKept = selectSmallest(scratch, count - 1);
  const kept = new Float64Array(count);
  let n = 0;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k] as number;
    if (key <= largestKept) kept[n++] = key;
  }
  return kept.sort();
}

function entryBySearch(items: Int32Array): (item: number) => number {
  return (item) => {
    let lo = 0;
    let hi = items.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((items[mid] as number) < item) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

function entryByTable(items: Int32Array, idCount: number): (item: number) => number {
  const entryOf = new Int32Array(idCount);
  items.forEach((item, k) => {
    entryOf[item] = k;
  });
  return (item) => entryOf[item] as number;
}

/**
 * Like answerOrder, but only the positions pages ask for are worked out. Entry k stands for item
 * `item[k]` of `ids`; `idOrder` ranks every id (made once per inventory, shared by its queries).
 */
export function pagedAnswerOrder(group: Uint8Array, value: Float64Array, item: Int32Array, ids: readonly string[], idOrder: () => IdOrder): PagedOrder {
  const n = item.length;
  if (n <= FIRST_PREFIX || ids.length >= ID_SPAN) return knownOrder(answerOrder(group, value, item, ids, idOrder));
  const { rank, byRank } = idOrder();
  const keys = new Float64Array(n);
  let ascending = true;
  for (let k = 0; k < n; k++) {
    const g = group[k] as number;
    const v = value[k] as number;
    // What does not pack exactly is ordered by answerOrder's comparator instead.
    if (g >= MAX_GROUPS || !Number.isInteger(v) || v < -VALUE_OFFSET || v >= VALUE_OFFSET) return knownOrder(answerOrder(group, value, item, ids, idOrder));
    const i = item[k] as number;
    keys[k] = (g * VALUE_SPAN + v + VALUE_OFFSET) * ID_SPAN + (rank[i] as number);
    if (k > 0 && i <= (item[k - 1] as number)) ascending = false;
  }
  // An item's entry: found by binary search when items come in ascending order (a listing found
  // in one pass), else from a table over every id.
  const entryOf = ascending ? entryBySearch(item.slice()) : entryByTable(item, ids.length);
  let known = new Int32Array(0);
  const ensure = (count: number) => {
    if (count <= known.length) return;
    const want = Math.min(n, Math.max(count, known.length * 4, FIRST_PREFIX));
    const smallest = smallestKeys(keys, want);
    known = new Int32Array(want);
    for (let position = 0; position < want; position++) {
      known[position] = entryOf(byRank[(smallest[position] as number) % ID_SPAN] as number);
    }
  };
  return {
    length: n,
    entries(from, to) {
      const end = Math.min(to, n);
      const start = Math.max(0, from);
      if (start >= end) return new Int32Array(0);
      ensure(end);
      return known.subarray(start, end);
    },
  };
}
