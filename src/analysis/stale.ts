/**
 * Stale machine identities: inactive, never used, not seen within a source's window, or holding
 * credentials that are unused or overdue for rotation.
 *
 * The answer keeps the evidence honest: "never used" (the source covers the identity's whole
 * life) and "not seen in the last N days" (the source only covers a window, e.g. AWS RoleLastUsed
 * covers 400 days) are different findings, and an identity without any activity source is
 * reported as unknown rather than silently treated as fine.
 */
import { z } from "zod";
import type { Inventory } from "../model/inventory-index.js";
import { pagedAnswerOrder, type PagedOrder } from "./answer-order.js";
import { principalOrderOf } from "./principal-order.js";
import { compileColumnFilter, type InventoryFilter } from "./scope-filter.js";
import { ActivityStatus, type StaleFacts } from "./stale-facts.js";
import { staleFindingsOf } from "./stale-findings.js";
import { staleIndexOf, staleReasonsFor, type StaleIndex } from "./stale-index.js";
import { daysSince, severityOfSet, STALE_REASON_CODES, thresholdsOf, type StaleReasonCode } from "./stale-rules.js";

export { staleFindingsOf };

export const staleReasonCodeSchema = z.enum(STALE_REASON_CODES);
export type { StaleReasonCode };

export const activityEvidenceSchema = z.object({
  status: z.enum(["used", "never_used", "not_seen_in_window", "unknown"]),
  lastUsedAt: z.string().nullable(),
  daysSinceLastUse: z.number().int().nullable(),
  source: z.string().nullable().describe("API or report the activity fact came from"),
  windowDays: z.number().int().nullable().describe("how far back the source looks; null when it covers the identity's lifetime"),
  observedAt: z.string().nullable(),
});
export type ActivityEvidence = z.infer<typeof activityEvidenceSchema>;

export const staleCredentialSchema = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.string(),
  createdAt: z.string().nullable(),
  ageDays: z.number().int().nullable(),
  activity: activityEvidenceSchema,
  issues: z.array(staleReasonCodeSchema),
});

export const staleFindingSchema = z.object({
  principal: z.object({
    id: z.string(),
    name: z.string(),
    kind: z.string(),
    provider: z.string(),
    scopeId: z.string(),
    disabled: z.boolean(),
  }),
  severity: z.enum(["high", "medium", "low"]),
  reasons: z.array(z.object({ code: staleReasonCodeSchema, detail: z.string() })),
  activity: activityEvidenceSchema,
  credentials: z.array(staleCredentialSchema),
  grantCount: z.number().int(),
  recommendedAction: z.string().describe("advice only; nothing is changed"),
});
export type StaleFinding = z.infer<typeof staleFindingSchema>;

export interface StaleOptions extends InventoryFilter {
  now: Date;
  inactiveDays: number;
  rotationDays: number;
  /** Identities and credentials younger than this are not flagged for never being used. */
  neverUsedGraceDays: number;
  includeUnknown?: boolean;
}

/**
 * Stale identities, ranked but not yet built: entry k is identity `principalIndex[k]` (in the
 * facts' order) with its reason bits; `order` gives the entries in answer order, page by page.
 */
export interface StaleRanking {
  readonly facts: StaleFacts;
  readonly principalIndex: Int32Array;
  /** Reason bits per found identity (bit k: STALE_RULES[k]). */
  readonly reasons: Uint32Array;
  readonly severity: Uint8Array;
  /** Found identities per severity, by index into SEVERITIES (high, medium, low). */
  readonly counts: readonly [high: number, medium: number, low: number];
  /** Entries in answer order. */
  readonly order: PagedOrder;
}

/**
 * Ranks every stale identity without building its finding: severity first, then the longest
 * unused, then id. One pass over the per-inventory index (stale-index.ts) with the query's
 * thresholds and filters; only the positions a page shows are put in order. Findings are made
 * from the ranking after.
 */
export function rankStaleServiceAccounts(inventory: Inventory, options: StaleOptions): StaleRanking {
  const index = staleIndexOf(inventory);
  const { facts } = index;
  const filter = compileColumnFilter(inventory, options, index.filter);
  const t = thresholdsOf(options);
  const reasonsOf = staleReasonsFor(index, t);
  const count = facts.principals.length;
  // Filled per query, then copied out at the answer's size: one set of buffers per inventory.
  const { found, reasons: foundReasons, severity, negatedUnusedDays, snapshotIndex } = scratchOf(index);
  const { activityStatus, lastUsedMs } = facts;
  const { access, snapshotIndex: snapshotIndexOf } = index;
  const nowMs = t.nowMs;
  const counts: [number, number, number] = [0, 0, 0];
  let n = 0;
  // A scope holding few identities is visited alone; else every identity is, through the filter.
  const { candidates } = filter;
  const visits = candidates ? candidates.length : count;
  for (let v = 0; v < visits; v++) {
    const i = candidates ? (candidates[v] as number) : v;
    if (!filter.all && !filter.matches(i)) continue;
    const reasons = reasonsOf(i);
    if (reasons === 0) continue;
    const rank = severityOfSet(reasons, access[i] as number);
    found[n] = i;
    foundReasons[n] = reasons;
    severity[n] = rank;
    // Within a severity the longest unused come first: the value sorted ascending is minus the
    // days since last use (-1 when unknown).
    negatedUnusedDays[n] = -(activityStatus[i] === ActivityStatus.used ? daysSince(lastUsedMs[i] as number, nowMs) : -1);
    snapshotIndex[n] = snapshotIndexOf[i] as number;
    counts[rank as 0 | 1 | 2] += 1;
    n++;
  }
  const principals = principalOrderOf(inventory);
  const order = pagedAnswerOrder(severity.subarray(0, n), negatedUnusedDays.subarray(0, n), snapshotIndex.subarray(0, n), principals.ids, principals.order);
  return { facts, principalIndex: found.slice(0, n), reasons: foundReasons.slice(0, n), severity: severity.slice(0, n), counts, order };
}

interface RankingScratch {
  found: Int32Array;
  reasons: Uint32Array;
  severity: Uint8Array;
  negatedUnusedDays: Float64Array;
  snapshotIndex: Int32Array;
}

const scratches = new WeakMap<StaleIndex, RankingScratch>();

function scratchOf(index: StaleIndex): RankingScratch {
  let scratch = scratches.get(index);
  if (!scratch) {
    const count = index.facts.principals.length;
    scratch = {
      found: new Int32Array(count),
      reasons: new Uint32Array(count),
      severity: new Uint8Array(count),
      negatedUnusedDays: new Float64Array(count),
      snapshotIndex: new Int32Array(count),
    };
    scratches.set(index, scratch);
  }
  return scratch;
}

export function findStaleServiceAccounts(inventory: Inventory, options: StaleOptions): StaleFinding[] {
  const ranking = rankStaleServiceAccounts(inventory, options);
  return staleFindingsOf(ranking, options, 0, ranking.order.length);
}
