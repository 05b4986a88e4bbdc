/**
 * The second policy decision: about what an answer reveals, not what the question named.
 *
 * A request-time decision sees only the question: `describe_identity` on a CI user is harmless by
 * its arguments, yet its `canAssume` list can show the way into a production secrets role. After
 * the tool ran and before anything is released, each item of each list a tool declares as showing
 * reach (`reveals` in tools/define-tool.ts) is placed in the scopes it touches, and the policy is
 * asked again with `context.resultPart`, `resultScopes`, `resultEnvironments` and
 * `resultContainsProduction`. Items the policy refuses are withheld; items that need a person's
 * approval are put once for the whole answer to the caller's approver, or to the approval queue
 * when a second-person policy asks (an approval given for the question already covers its
 * answer). Withheld parts are named in the answer.
 */
import type { AnyToolDefinition, RevealedPart } from "../../tools/define-tool.js";
import type { Inventory } from "../model/inventory-index.js";
import { stricterOf, type ApprovalAnswer, type Approver, type Authorization, type GovernedCall, type Governor } from "./governor.js";
import type { GovernanceDecision, ScopeEntity } from "./policy-engine.js";

/** What the policy looks at for one group of items: the part and the scopes they touch. */
export interface RevealedScopes {
  part: string;
  scopes: readonly string[];
  environments: readonly string[];
  containsProduction: boolean;
}

export interface WithheldPart {
  part: string;
  /** How many items of the part were withheld. */
  items: number;
  scopes: string[];
  reason: string;
  policyIds: string[];
}

export interface AnswerReview {
  structured: Record<string, unknown>;
  withheld: WithheldPart[];
  /** The approval asked for the answer's parts, when one was asked. */
  approval: ApprovalAnswer | null;
}

interface ItemGroup {
  part: RevealedPart;
  revealed: RevealedScopes;
  indexes: number[];
}

/** The part's items: its list, or its one object as a list of one (none when null). */
function listAt(value: Record<string, unknown>, part: Pick<RevealedPart, "path" | "single">): unknown[] | null {
  let current: unknown = value;
  for (const key of part.path) {
    if (typeof current !== "object" || current === null) return null;
    current = (current as Record<string, unknown>)[key];
  }
  if (part.single) return typeof current === "object" && current !== null && !Array.isArray(current) ? [current] : null;
  return Array.isArray(current) ? current : null;
}

/** A copy of `value` with the part replaced by `list` (a single part by its item, or null); the objects on the way are copied, nothing else. */
function withListAt(value: Record<string, unknown>, part: Pick<RevealedPart, "path" | "single">, list: unknown[]): Record<string, unknown> {
  return withValueAt(value, part.path, part.single ? (list[0] ?? null) : list);
}

function withValueAt(value: Record<string, unknown>, path: readonly string[], replacement: unknown): Record<string, unknown> {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  const child = value[head];
  return { ...value, [head]: rest.length === 0 ? replacement : withValueAt((child ?? {}) as Record<string, unknown>, rest, replacement) };
}

const isProduction = (scope: ScopeEntity) => scope.environment === "production" || scope.containsProduction;

export interface ReviewOptions {
  tool: AnyToolDefinition;
  structured: Record<string, unknown>;
  inventory: Inventory;
  governor: Governor;
  call: GovernedCall;
  authorization: Authorization;
  approver?: Approver | undefined;
}

export async function reviewAnswer(options: ReviewOptions): Promise<AnswerReview> {
  const { tool, structured, inventory, governor, call, authorization } = options;
  const parts = tool.reveals ?? [];
  if (parts.length === 0) return { structured, withheld: [], approval: null };

  // Items touching the same scopes get the same decision: group them, decide once per group.
  const groups = new Map<string, ItemGroup>();
  const scopeOf = new Map<string, ScopeEntity>();
  const placePrincipal = (id: string) => {
    const key = `p:${id}`;
    let scope = scopeOf.get(key);
    if (scope === undefined) {
      scope = governor.placeInScope({ principal: id }, inventory);
      // A principal outside the inventory (an account root, a federated subject) is placed by its id.
      if (scope.estateWide) scope = governor.placeInScope({ resource: id }, inventory);
      scopeOf.set(key, scope);
    }
    return scope;
  };
  const placeResource = (id: string) => {
    const key = `r:${id}`;
    let scope = scopeOf.get(key);
    if (scope === undefined) scopeOf.set(key, (scope = governor.placeInScope({ resource: id }, inventory)));
    return scope;
  };
  for (const part of parts) {
    const list = listAt(structured, part);
    if (list === null) continue;
    list.forEach((item, index) => {
      const touched = part.touches(item, structured);
      const scopes = new Map<string, ScopeEntity>();
      for (const principal of touched.principals) {
        const scope = placePrincipal(principal);
        scopes.set(scope.id, scope);
      }
      for (const resource of touched.resources) {
        // A resource that cannot be placed (a pattern, "*", an unknown id) stands for its provider's
        // whole estate, as at request time: "*" held by a dev role still reaches production.
        const scope = placeResource(resource);
        scopes.set(scope.id, scope);
      }
      const ids = [...scopes.keys()].sort();
      const key = `${part.name}\u0000${ids.join("\u0000")}`;
      let group = groups.get(key);
      if (group === undefined) {
        const all = [...scopes.values()];
        group = {
          part,
          revealed: { part: part.name, scopes: ids, environments: [...new Set(all.map((s) => s.environment))].sort(), containsProduction: all.some(isProduction) },
          indexes: [],
        };
        groups.set(key, group);
      }
      group.indexes.push(index);
    });
  }

  // A person who approved the question under a policy saw its scope; one who only approved going
  // over budget did not approve what the answer reveals.
  const approvedAlready = authorization.approval?.outcome === "approved" && authorization.policyIds.length > 0;
  // A second person's review is covered only by a second person's approval under the same policy:
  // the caller confirming the question, or an approver from another policy's group, does not stand in.
  const secondPersonCovered = new Set(approvedAlready && authorization.approval?.kind === "second-person" ? authorization.policyIds : []);
  const decisions = new Map<ItemGroup, GovernanceDecision>();
  // A part asked about as another tool too: asked as the tool standing for that one, which takes
  // the stricter of both decisions (and the tool the call already stands for, if any, once more).
  const review = (group: ItemGroup, approval: ApprovalAnswer | null): GovernanceDecision => {
    const asTool = group.part.asTool;
    if (asTool === undefined) return governor.reviewRevealed(call, authorization, group.revealed, approval);
    const asActivity = governor.reviewRevealed({ ...call, standsFor: asTool }, authorization, group.revealed, approval);
    if (call.standsFor === undefined) return asActivity;
    const asStandIn = governor.reviewRevealed(call, authorization, group.revealed, approval);
    // Both count: when both ask for approval, the policies of both (a second person's among them) are asked.
    return stricterOf(asStandIn, asActivity);
  };
  for (const group of groups.values()) {
    let decision = review(group, approvedAlready ? authorization.approval : null);
    if (approvedAlready) {
      const unapproved = review(group, null);
      if (unapproved.kind === "approval" && governor.secondPersonPolicies(unapproved.policyIds).some((id) => !secondPersonCovered.has(id))) {
        // Ask only about what the question's approval did not cover.
        const open = unapproved.policyIds.map((id, index) => [id, unapproved.reasons[index] ?? ""] as const).filter(([id]) => !authorization.policyIds.includes(id));
        decision = { kind: "approval", policyIds: open.map(([id]) => id), reasons: open.map(([, reason]) => reason) };
      }
    }
    decisions.set(group, decision);
  }

  // One question to a person for everything that needs approval in this answer.
  const pending = [...groups.values()].filter((g) => decisions.get(g)?.kind === "approval");
  let approval: ApprovalAnswer | null = null;
  if (pending.length > 0) {
    const reasons = [...new Set(pending.flatMap((g) => decisions.get(g)?.reasons ?? []))];
    const partsText = [...new Set(pending.map((g) => g.part.name))].join(", ");
    const policyIds = [...new Set(pending.flatMap((g) => decisions.get(g)?.policyIds ?? []))];
    // A second-person policy goes to the approval queue; anything else to the caller's approver.
    approval = await governor.requestApproval(
      call,
      {
        tool: call.tool,
        intent: call.intent,
        taskId: call.taskId,
        scope: authorization.scope,
        arguments: call.arguments,
        reasons: reasons.map((r) => `${r} (the answer's ${partsText})`),
        policyIds,
        timeoutMs: governor.approvalTimeoutMs(),
        taskStartedAt: authorization.budget.taskStartedAt,
      },
      options.approver,
    );
    for (const group of pending) {
      if (approval.outcome === "approved") {
        decisions.set(group, review(group, approval));
      } else {
        const previous = decisions.get(group);
        decisions.set(group, {
          kind: "deny",
          policyIds: previous?.policyIds ?? [],
          reasons: [`${previous?.reasons.join("; ") ?? "approval required"}; approval ${approval.outcome === "unsupported" ? "could not be asked (the client cannot ask a person)" : approval.outcome}`],
        });
      }
    }
  }

  // Withhold refused items, part by part, and say what was withheld and why.
  let released = structured;
  const withheld: WithheldPart[] = [];
  const withheldItems = new Map<string, unknown[]>();
  for (const part of parts) {
    const list = listAt(released, part);
    if (list === null) continue;
    const refused = new Set<number>();
    const byReason = new Map<string, WithheldPart>();
    for (const group of groups.values()) {
      if (group.part !== part) continue;
      const decision = decisions.get(group);
      if (decision === undefined || decision.kind === "allow") continue;
      for (const index of group.indexes) refused.add(index);
      const reason = decision.reasons.join("; ");
      const entry = byReason.get(reason) ?? { part: part.name, items: 0, scopes: [], reason, policyIds: [] };
      entry.items += group.indexes.length;
      entry.scopes = [...new Set([...entry.scopes, ...group.revealed.scopes])].sort();
      entry.policyIds = [...new Set([...entry.policyIds, ...decision.policyIds])].sort();
      byReason.set(reason, entry);
    }
    if (refused.size === 0) continue;
    released = withListAt(released, part, list.filter((_, index) => !refused.has(index)));
    if (part.paged) released = withPageLowered(released, refused.size);
    withheldItems.set(part.name, list.filter((_, index) => refused.has(index)));
    withheld.push(...byReason.values());
  }
  if (withheld.length === 0) return { structured, withheld, approval };
  // The tool's own summaries were computed over everything: they must not count what is withheld.
  const summarized = tool.afterReview ? tool.afterReview(released, withheldItems) : released;
  return { structured: { ...summarized, withheld }, withheld, approval };
}

/** The page envelope after `count` items of this page were withheld: they are neither returned nor in the total. */
function withPageLowered(answer: Record<string, unknown>, count: number): Record<string, unknown> {
  const page = answer.page;
  if (typeof page !== "object" || page === null) return answer;
  const { returned, total } = page as { returned?: unknown; total?: unknown };
  if (typeof returned !== "number" || typeof total !== "number") return answer;
  return { ...answer, page: { ...page, returned: Math.max(0, returned - count), total: Math.max(0, total - count) } };
}

/** A piece of a text line: the server's words, or data that is cleaned and redacted (the shape of src/text/answer.ts). */
export type ReviewTextPart = { own: string } | { data: string; quoted: boolean };

/**
 * The text for an answer with withheld parts. The tool's own text was written from the whole
 * answer and would show them, so it is replaced by what was withheld and the released answer.
 */
export function withheldLines(review: Pick<AnswerReview, "structured" | "withheld">): ReviewTextPart[][] {
  return [
    [{ own: "Parts of this answer were withheld by policy after review of what they reveal:" }],
    ...review.withheld.map((w): ReviewTextPart[] => [
      { own: `- ${w.part}: ${w.items} item${w.items === 1 ? "" : "s"} touching ` },
      { data: w.scopes.join(", "), quoted: false },
      { own: ` (${w.reason})` },
    ]),
    [{ own: "What was released:" }],
    [{ data: JSON.stringify(review.structured), quoted: false }],
  ];
}
