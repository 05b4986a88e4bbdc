/**
 * Turning a subject, its pivot chain and a final finding into a reported path, and the order
 * paths are answered in (see collected-paths.ts for the set of paths of one answer).
 */
import { principalHop, resourceHop } from "./hops.js";
import type { Finding, PivotEdge, Subject } from "./internal.js";
import type { BlockedBy, EntitlementPath } from "./types.js";
import { OUTCOME_RANK, Verdict } from "./verdict.js";

/**
 * A path: `subject` pivots along `edges` and then reaches `finding`; with no finding the last
 * edge is itself the entitlement (e.g. "may assume role R"). `cannotAct`: why the subject cannot
 * act on its own today (the path is then denied for that reason).
 */
export function assemblePath(subject: Subject, edges: readonly PivotEdge[], finding: Finding | undefined, cannotAct?: BlockedBy): EntitlementPath {
  const exchange = subject.principal?.exchangeConditions ?? [];
  // A direct finding with no token exchange before it reads as its own verdict: nothing to merge.
  if (finding && edges.length === 0 && exchange.length === 0 && !cannotAct) return pathOf(subject, edges, finding, finding.verdict);
  // A principal that cannot act today ends every path it starts, before anything else blocks it.
  const verdict = cannotAct ? new Verdict().block(cannotAct) : new Verdict();
  const last = edges[edges.length - 1];
  for (const edge of edges) {
    const own = edge.verdict;
    if (own.blockedBy) verdict.block(own.blockedBy);
    verdict.addOpenConditions(own.conditions);
    for (const reason of own.unknownReasons) verdict.unknown(reason);
    for (const assignment of own.eligibility) verdict.eligible(assignment);
    verdict.justify(...own.justification);
    // Carve-outs of a pivot's own permission matter only when the pivot is what is reported.
    if (!finding && edge === last) for (const note of own.notes) verdict.note(note);
  }
  if (finding) verdict.absorb(finding.verdict);
  // A federated identity's token exchange bounds every path it starts, however it is bound later.
  for (const condition of exchange) {
    if (!verdict.conditions.some((c) => c.expression === condition.expression)) verdict.addConditions(subject.id, [condition]);
  }
  return pathOf(subject, edges, finding, verdict);
}

/** The reported path of a route whose verdict is settled (the verdict is read, never kept). */
function pathOf(subject: Subject, edges: readonly PivotEdge[], finding: Finding | undefined, verdict: Verdict): EntitlementPath {
  const last = edges[edges.length - 1];
  const tail = finding ? finding.hops : last ? [resourceHop(last.resource)] : [];
  const outcome = verdict.outcome;
  const path: EntitlementPath = {
    principalId: subject.id,
    via: edges.length === 0 ? [subject.id] : [subject.id, ...edges.map((e) => e.to.id)],
    action: finding?.action ?? last?.action ?? "",
    resource: finding?.resource ?? last?.resource ?? "",
    outcome,
    hops: edges.length === 0 ? [principalHop(subject), ...tail] : [principalHop(subject), ...edges.map((e) => e.hop), ...tail],
    justification: [...verdict.justification],
    privilegeEscalation: edges.some((e) => e.privilegeEscalation) || (finding?.privilegeEscalation ?? false),
  };
  if (verdict.blockedBy) path.blockedBy = verdict.blockedBy;
  if ((outcome === "conditional" || outcome === "eligible" || outcome === "unknown") && verdict.conditions.length > 0) {
    path.openConditions = [...verdict.conditions];
  }
  if (verdict.eligibility.length > 0 && outcome !== "denied") path.eligibility = [...verdict.eligibility];
  if (outcome === "unknown") path.unknownReason = verdict.unknownReasons.join("; ");
  if (verdict.notes.length > 0) path.notes = [...verdict.notes];
  return path;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The key two paths are the same path by: principal, pivots, action, resource and hop ids. */
export function pathIdentity(path: EntitlementPath): string {
  let hops = "";
  for (let i = 0; i < path.hops.length; i++) {
    const hop = path.hops[i];
    if (hop) hops += `${i === 0 ? "" : "|"}${hop.type}:${hop.id}`;
  }
  return `${path.principalId}\u0000${path.via.join(">")}\u0000${path.action}\u0000${path.resource}\u0000${hops}`;
}

/** What the order compares beyond the path's own fields, spelled out once per path. */
export interface SortKeys {
  readonly justification: string;
  readonly identity: string;
}

export function sortKeysOf(path: EntitlementPath, identityKey = pathIdentity(path)): SortKeys {
  return { justification: path.justification.join(","), identity: identityKey };
}

export function comparePathsWithKeys(a: EntitlementPath, ak: SortKeys, b: EntitlementPath, bk: SortKeys): number {
  return (
    OUTCOME_RANK[a.outcome] - OUTCOME_RANK[b.outcome] ||
    a.via.length - b.via.length ||
    a.hops.length - b.hops.length ||
    compareText(a.principalId, b.principalId) ||
    compareText(a.action, b.action) ||
    compareText(a.resource, b.resource) ||
    compareText(ak.justification, bk.justification) ||
    compareText(ak.identity, bk.identity)
  );
}

/**
 * Deterministic order: outcome (allowed, conditional, unknown, denied), then fewer pivots, then
 * fewer hops, then principal id, action, resource, justification and hop ids.
 */
export function compareEntitlementPaths(a: EntitlementPath, b: EntitlementPath): number {
  return comparePathsWithKeys(a, sortKeysOf(a), b, sortKeysOf(b));
}

/**
 * The rank (OUTCOME_RANK) of the path `assemblePath` would build, without building it: the
 * outcome depends only on whether any part blocks, lacks data, waits for activation or leaves a
 * condition open, not on what those entries say.
 */
export function routeOutcomeRank(subject: Subject, edges: readonly PivotEdge[], finding: Finding | undefined, cannotAct: BlockedBy | undefined): number {
  let rank = cannotAct ? OUTCOME_RANK.denied : (subject.principal?.exchangeConditions?.length ?? 0) > 0 ? OUTCOME_RANK.conditional : OUTCOME_RANK.allowed;
  const take = (verdict: Verdict): void => {
    if (rank < OUTCOME_RANK[verdict.outcome]) rank = OUTCOME_RANK[verdict.outcome];
  };
  for (const edge of edges) take(edge.verdict);
  if (finding) take(finding.verdict);
  return rank;
}

/** How many hops `assemblePath` gives the path: the principal, one per pivot, then the finding's or the last pivot's resource. */
export function routeHopCount(edges: readonly PivotEdge[], finding: Finding | undefined): number {
  return 1 + edges.length + (finding ? finding.hops.length : edges.length > 0 ? 1 : 0);
}
