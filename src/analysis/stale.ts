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
import type { Principal } from "../model/inventory.js";
import { answerOrder, idOrderOf, type IdOrder } from "./answer-order.js";
import { compileFilter, type InventoryFilter } from "./scope-filter.js";
import { ActivityStatus, staleFactsOf, type StaleFacts } from "./stale-facts.js";
import { staleFindingsOf } from "./stale-findings.js";

export { staleFindingsOf };
import { daysSince, reasonsOf, severityRank, STALE_REASON_CODES, thresholdsOf, type StaleReasonCode } from "./stale-rules.js";

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
 * Stale identities, ranked but not yet built: entry k is identity `principalIndex[k]` (in
 * snapshot order) with its reason bits; `order` lists the entries in answer order.
 */
export interface StaleRanking {
  readonly facts: StaleFacts;
  readonly principalIndex: Int32Array;
  /** Reason bits per found identity (bit k: STALE_RULES[k]). */
  readonly reasons: Uint32Array;
  readonly severity: Uint8Array;
  /** Entry at each answer position. */
  readonly order: Int32Array;
}

/**
 * Ranks every stale identity without building its finding: severity first, then the longest
 * unused, then id. Cheap enough to redo per query; findings are made from the ranking after.
 */
export function rankStaleServiceAccounts(inventory: Inventory, options: StaleOptions): StaleRanking {
  const matches = compileFilter(inventory, options);
  const facts = staleFactsOf(inventory);
  const t = thresholdsOf(options);
  const count = facts.principals.length;
  const found: number[] = [];
  const foundReasons: number[] = [];
  for (let i = 0; i < count; i++) {
    if (!matches(facts.principals[i] as Principal)) continue;
    const reasons = reasonsOf(facts, i, t);
    if (reasons === 0) continue;
    found.push(i);
    foundReasons.push(reasons);
  }
  const n = found.length;
  const principalIndex = Int32Array.from(found);
  const severity = new Uint8Array(n);
  // Within a severity the longest unused come first: the value sorted ascending is minus the days
  // since last use (-1 when unknown).
  const negatedUnusedDays = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = found[k] as number;
    severity[k] = severityRank(foundReasons[k] as number, (facts.activeCredentials[i] as number) > 0, (facts.grantCount[i] as number) > 0);
    negatedUnusedDays[k] = -(facts.activityStatus[i] === ActivityStatus.used ? daysSince(facts.lastUsedMs[i] as number, t.nowMs) : -1);
  }
  const ids = idsOf(facts);
  const order = answerOrder(severity, negatedUnusedDays, principalIndex, ids.ids, () => (ids.order ??= idOrderOf(ids.ids)));
  return { facts, principalIndex, reasons: Uint32Array.from(foundReasons), severity, order };
}

interface IdsOfFacts {
  ids: string[];
  order?: IdOrder;
}

const idsByFacts = new WeakMap<StaleFacts, IdsOfFacts>();

/** Principal ids of the facts, and their order once a ranking needs it (then kept). */
function idsOf(facts: StaleFacts): IdsOfFacts {
  let ids = idsByFacts.get(facts);
  if (!ids) idsByFacts.set(facts, (ids = { ids: facts.principals.map((p) => p.id) }));
  return ids;
}

export function findStaleServiceAccounts(inventory: Inventory, options: StaleOptions): StaleFinding[] {
  const ranking = rankStaleServiceAccounts(inventory, options);
  return staleFindingsOf(ranking, options, 0, ranking.principalIndex.length);
}
