/**
 * The paths of one answer: collected as the search finds them, ordered, and built only when a
 * page shows them. A reverse question on a large estate finds thousands of paths while the tool
 * returns a page of 25, and building every path object (hops, justification, conditions) and
 * sorting them by strings was most of its cost. Here a found path is kept as what it is made of
 * (subject, pivot edges, finding, why the subject cannot act), its order is decided from small
 * numbers (outcome rank, pivot and hop counts, the ranks of its principal, action and resource
 * among the answer's), and only paths still tied after those are built to compare the rest of
 * the order (justification, hop ids). Counts per outcome come from the same numbers, exactly.
 */
import type { Finding, PivotEdge, Subject } from "./internal.js";
import {
  assemblePath,
  comparePathsWithKeys,
  compareEntitlementPaths,
  routeHopCount,
  routeOutcomeRank,
  sortKeysOf,
} from "./paths.js";
import { entitlementOutcomeSchema, type BlockedBy, type EntitlementOutcome, type EntitlementPath } from "./types.js";
import { OUTCOME_RANK } from "./verdict.js";

/** The sorted paths of an answer, built when asked for. */
export interface PathListing {
  readonly length: number;
  /** Paths per outcome over the whole listing. */
  readonly counts: Readonly<Record<EntitlementOutcome, number>>;
  /** The paths at answer positions [from, to). */
  slice(from: number, to: number): EntitlementPath[];
}

const OUTCOMES = entitlementOutcomeSchema.options;

function countsOf(outcomes: Iterable<number>): Record<EntitlementOutcome, number> {
  const counts = Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])) as Record<EntitlementOutcome, number>;
  for (const rank of outcomes) {
    const outcome = OUTCOMES[rank];
    if (outcome !== undefined) counts[outcome]++;
  }
  return counts;
}

/** Mixes a value into a 32-bit hash (FNV-style multiply). */
function mix(hash: number, value: number): number {
  return Math.imul(hash ^ value, 0x01000193);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Pivot and hop counts each fit below this in a shape (far above MAX_PIVOT_DEPTH and any hop chain). */
const SHAPE_SPAN = 2 ** 10;
/** Positions of finds, below a shape in one exact number. */
const POSITION_SPAN = 2 ** 24;

/** A path's hop at an index, as `assemblePath` lays them out, without building the path. */
function hopAt(subject: Subject, edges: readonly PivotEdge[], finding: Finding | undefined, index: number): { type: string; id: string } | undefined {
  if (index === 0) return { type: "principal", id: subject.id };
  if (index <= edges.length) return edges[index - 1]?.hop;
  if (finding) return finding.hops[index - 1 - edges.length];
  const last = edges[edges.length - 1];
  return index === edges.length + 1 && last ? { type: "resource", id: last.resource } : undefined;
}

/**
 * Collects distinct paths up to a capacity; past it the search stops and the answer is
 * truncated. Two finds of the same path (same principal, pivots, action, resource and hop ids)
 * are one path: the better-ranked find is kept.
 */
export class PathCollector {
  private readonly subjects: Subject[] = [];
  private readonly edgeLists: (readonly PivotEdge[])[] = [];
  private readonly findings: (Finding | undefined)[] = [];
  private readonly blocks: (BlockedBy | undefined)[] = [];
  private readonly outcomes: number[] = [];
  /** Built paths by position of find (all of them when building as found, else on demand). */
  private readonly built: (EntitlementPath | undefined)[] = [];
  /** Finds by a hash of long-lived parts of their identity, chained through `sameHash`. */
  private readonly firstWithHash = new Map<number, number>();
  private readonly sameHash: number[] = [];
  /** Small numbers for those parts: a lookup each, no joined key per path. */
  private readonly codes = new Map<string, number>();
  overflowed = false;

  /**
   * `buildAsFound`: build every path when it is found and sort the built paths (the reference
   * the on-demand listing is compared with in tests).
   */
  constructor(
    private readonly capacity: number,
    private readonly buildAsFound = false,
  ) {}

  get full(): boolean {
    return this.overflowed;
  }

  get size(): number {
    return this.subjects.length;
  }

  add(subject: Subject, edges: readonly PivotEdge[], finding: Finding | undefined, cannotAct: BlockedBy | undefined): void {
    const hash = this.hashOf(subject, edges, finding);
    for (let other = this.firstWithHash.get(hash) ?? -1; other >= 0; other = this.sameHash[other] ?? -1) {
      if (!this.sameIdentity(other, subject, edges, finding)) continue;
      // Same route reached twice (e.g. two statements of one policy): keep the better-ranked one.
      const fresh = assemblePath(subject, edges, finding, cannotAct);
      if (compareEntitlementPaths(fresh, this.pathAt(other)) < 0) {
        this.subjects[other] = subject;
        this.edgeLists[other] = edges;
        this.findings[other] = finding;
        this.blocks[other] = cannotAct;
        this.outcomes[other] = routeOutcomeRank(subject, edges, finding, cannotAct);
        this.built[other] = fresh;
      }
      return;
    }
    if (this.subjects.length >= this.capacity) {
      this.overflowed = true;
      return;
    }
    const position = this.subjects.length;
    this.subjects.push(subject);
    this.edgeLists.push(edges);
    this.findings.push(finding);
    this.blocks.push(cannotAct);
    this.outcomes.push(routeOutcomeRank(subject, edges, finding, cannotAct));
    this.built.push(this.buildAsFound ? assemblePath(subject, edges, finding, cannotAct) : undefined);
    this.sameHash.push(this.firstWithHash.get(hash) ?? -1);
    this.firstWithHash.set(hash, position);
  }

  /** The first `max` paths in answer order. */
  listing(max: number): PathListing {
    const n = this.subjects.length;
    const length = Math.min(n, Math.max(0, max));
    // More than one path past `max` happens only with a capacity other than the search's.
    if (this.buildAsFound || length < n - 1 || !this.shapesPack()) return this.listingOfBuilt(length);
    const order = new PagedPathOrder(this, n);
    const counts = countsOf(this.outcomes);
    // One past the page: the last path in answer order, which ranks worst, is left out.
    const worst = OUTCOMES[Math.max(...this.outcomes)];
    if (length < n && worst !== undefined) counts[worst]--;
    return {
      length,
      counts,
      slice: (from, to) => Array.from(order.positionsIn(Math.max(0, from), Math.max(0, Math.min(to, length))), (position) => this.pathAt(position)),
    };
  }

  /** Every path built and sorted by compareEntitlementPaths: the reference, and the fallback. */
  private listingOfBuilt(length: number): PathListing {
    const keyed = this.subjects.map((_, position) => {
      const path = this.pathAt(position);
      return { position, path, keys: sortKeysOf(path) };
    });
    keyed.sort((a, b) => comparePathsWithKeys(a.path, a.keys, b.path, b.keys));
    const order = Int32Array.from(keyed, (entry) => entry.position).subarray(0, length);
    return {
      length,
      // The reference counts what its built paths say.
      counts: countsOf(Array.from(order, (position) => OUTCOME_RANK[this.pathAt(position).outcome])),
      slice: (from, to) => Array.from(order.subarray(Math.max(0, from), Math.max(0, Math.min(to, length))), (position) => this.pathAt(position)),
    };
  }

  /** Do every find's pivot and hop counts fit in a shape (see shapeAt)? */
  private shapesPack(): boolean {
    if (this.subjects.length >= POSITION_SPAN) return false;
    return this.edgeLists.every((edges, position) => edges.length + 1 < SHAPE_SPAN && routeHopCount(edges, this.findings[position]) < SHAPE_SPAN);
  }

  pathAt(position: number): EntitlementPath {
    let path = this.built[position];
    if (!path) {
      path = assemblePath(this.subjects[position] as Subject, this.edgeLists[position] ?? [], this.findings[position], this.blocks[position]);
      this.built[position] = path;
    }
    return path;
  }

  /** Outcome rank, pivots and hops of a find, as one number that orders like them. */
  shapeAt(position: number): number {
    const edges = this.edgeLists[position] ?? [];
    return ((this.outcomes[position] ?? 0) * SHAPE_SPAN + edges.length + 1) * SHAPE_SPAN + routeHopCount(edges, this.findings[position]);
  }

  /** Order of two finds of the same shape: principal, action, resource, then the built paths. */
  compareSameShape(a: number, b: number): number {
    return (
      compareText((this.subjects[a] as Subject).id, (this.subjects[b] as Subject).id) ||
      compareText(this.actionAt(a), this.actionAt(b)) ||
      compareText(this.resourceAt(a), this.resourceAt(b)) ||
      compareEntitlementPaths(this.pathAt(a), this.pathAt(b))
    );
  }

  private actionAt(position: number): string {
    const edges = this.edgeLists[position] ?? [];
    return this.findings[position]?.action ?? edges[edges.length - 1]?.action ?? "";
  }

  private resourceAt(position: number): string {
    const edges = this.edgeLists[position] ?? [];
    return this.findings[position]?.resource ?? edges[edges.length - 1]?.resource ?? "";
  }

  private code(id: string): number {
    let code = this.codes.get(id);
    if (code === undefined) {
      code = this.codes.size;
      this.codes.set(id, code);
    }
    return code;
  }

  /**
   * A hash of parts of a path's identity whose strings live as long as the inventory (ids of
   * principals and statements, the action, the resource), so looking them up hashes no new text.
   */
  private hashOf(subject: Subject, edges: readonly PivotEdge[], finding: Finding | undefined): number {
    let hash = mix(mix(0x811c9dc5, this.code(subject.id)), edges.length);
    for (const edge of edges) hash = mix(hash, this.code(edge.to.id));
    const last = edges[edges.length - 1];
    hash = mix(hash, this.code(finding?.action ?? last?.action ?? ""));
    hash = mix(hash, this.code(finding?.resource ?? last?.resource ?? ""));
    if (finding) hash = mix(mix(hash, finding.hops.length), this.code(finding.hops[finding.hops.length - 2]?.id ?? ""));
    return hash;
  }

  /** Is the find at `position` the same path (principal, pivots, action, resource, hop types and ids)? */
  private sameIdentity(position: number, subject: Subject, edges: readonly PivotEdge[], finding: Finding | undefined): boolean {
    const otherSubject = this.subjects[position] as Subject;
    const otherEdges = this.edgeLists[position] ?? [];
    const otherFinding = this.findings[position];
    if (otherSubject.id !== subject.id || otherEdges.length !== edges.length) return false;
    if (this.actionAt(position) !== (finding?.action ?? edges[edges.length - 1]?.action ?? "")) return false;
    if (this.resourceAt(position) !== (finding?.resource ?? edges[edges.length - 1]?.resource ?? "")) return false;
    const hops = routeHopCount(edges, finding);
    if (routeHopCount(otherEdges, otherFinding) !== hops) return false;
    for (let i = 0; i < edges.length; i++) if (edges[i]?.to.id !== otherEdges[i]?.to.id) return false;
    for (let i = 1; i < hops; i++) {
      const mine = hopAt(subject, edges, finding, i);
      const theirs = hopAt(otherSubject, otherEdges, otherFinding, i);
      if (mine?.type !== theirs?.type || mine?.id !== theirs?.id) return false;
    }
    return true;
  }
}

/**
 * The answer order of a collector's finds, worked out only as far as pages reach. Finds are
 * sorted by shape (outcome, pivots, hops: numbers, one native sort); within a run of one shape
 * the order needs strings (principal, action, resource, then the built paths), so a run is
 * ordered only as far as a page asks: the first page of a run of thousands selects its few
 * dozen smallest, and later pages widen the known prefix fourfold at a time.
 */
class PagedPathOrder {
  /** Positions sorted by shape; runs of one shape are contiguous. */
  private readonly byShape: Int32Array;
  /** Start of each run in `byShape`, and one past the last. */
  private readonly runStarts: number[] = [];
  /** Per run: its positions in answer order, as far as known. */
  private readonly known = new Map<number, Int32Array>();

  constructor(
    private readonly collector: PathCollector,
    n: number,
  ) {
    const keys = new Float64Array(n);
    for (let position = 0; position < n; position++) keys[position] = collector.shapeAt(position) * POSITION_SPAN + position;
    keys.sort();
    this.byShape = Int32Array.from(keys, (key) => key % POSITION_SPAN);
    let previous = -1;
    for (let i = 0; i < n; i++) {
      const shape = Math.floor((keys[i] as number) / POSITION_SPAN);
      if (shape !== previous) this.runStarts.push(i);
      previous = shape;
    }
    this.runStarts.push(n);
  }

  /** Positions of finds at answer positions [from, to). */
  positionsIn(from: number, to: number): number[] {
    const positions: number[] = [];
    for (let run = 0; run + 1 < this.runStarts.length; run++) {
      const start = this.runStarts[run] as number;
      const end = this.runStarts[run + 1] as number;
      if (end <= from) continue;
      if (start >= to) break;
      const prefix = this.prefix(run, start, end, Math.min(to, end) - start);
      for (let i = Math.max(from, start) - start; i < Math.min(to, end) - start; i++) positions.push(prefix[i] as number);
    }
    return positions;
  }

  /** The first `count` finds of a run in answer order. */
  private prefix(run: number, start: number, end: number, count: number): Int32Array {
    const known = this.known.get(run);
    if (known && known.length >= count) return known;
    const size = end - start;
    const want = Math.min(size, Math.max(count, (known?.length ?? 0) * 4));
    const members = this.byShape.subarray(start, end);
    const compare = (a: number, b: number) => this.collector.compareSameShape(a, b);
    const prefix = want * 4 >= size ? Int32Array.from(members).sort(compare).subarray(0, want) : smallest(members, want, compare);
    this.known.set(run, prefix);
    return prefix;
  }
}

/**
 * The `count` smallest of `items` by `compare`, ascending: a bounded max-heap, so most items
 * cost one comparison with the largest kept.
 */
function smallest(items: Int32Array, count: number, compare: (a: number, b: number) => number): Int32Array {
  const heap: number[] = [];
  const siftUp = (index: number) => {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compare(heap[i] as number, heap[parent] as number) <= 0) return;
      [heap[i], heap[parent]] = [heap[parent] as number, heap[i] as number];
      i = parent;
    }
  };
  const siftDown = () => {
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let largest = i;
      if (left < heap.length && compare(heap[left] as number, heap[largest] as number) > 0) largest = left;
      if (right < heap.length && compare(heap[right] as number, heap[largest] as number) > 0) largest = right;
      if (largest === i) return;
      [heap[i], heap[largest]] = [heap[largest] as number, heap[i] as number];
      i = largest;
    }
  };
  for (const item of items) {
    if (heap.length < count) {
      heap.push(item);
      siftUp(heap.length - 1);
    } else if (compare(item, heap[0] as number) < 0) {
      heap[0] = item;
      siftDown();
    }
  }
  return Int32Array.from(heap).sort(compare);
}
