/**
 * The evidence gathered while evaluating one path, and the outcome it implies. Precedence:
 * a definite block (denied) beats missing data (unknown), which beats an assignment still to be
 * activated (eligible), which beats open conditions (conditional); only a path with none of
 * these is allowed.
 */
import type { Condition } from "../../model/inventory.js";
import type { BlockedBy, EntitlementOutcome, OpenCondition } from "./types.js";

export const OUTCOME_RANK: Readonly<Record<EntitlementOutcome, number>> = {
  allowed: 0,
  conditional: 1,
  eligible: 2,
  unknown: 3,
  denied: 4,
};

const NONE: readonly never[] = Object.freeze([]);

/**
 * Lists are made on first use: a reverse question builds a verdict per path and most paths carry
 * a justification and little else, so empty lists cost nothing.
 */
export class Verdict {
  private blocked: BlockedBy | undefined;
  private conditionList: OpenCondition[] | undefined;
  private unknownList: string[] | undefined;
  private eligibilityList: string[] | undefined;
  private noteList: string[] | undefined;
  private justificationList: string[] | undefined;
  /** A verdict taken in by `absorbShared`, not yet copied in (see there). */
  private deferred: Verdict | undefined;

  get blockedBy(): BlockedBy | undefined {
    this.settle();
    return this.blocked;
  }

  get conditions(): readonly OpenCondition[] {
    this.settle();
    return this.conditionList ?? NONE;
  }

  get unknownReasons(): readonly string[] {
    this.settle();
    return this.unknownList ?? NONE;
  }

  /** PIM-eligible assignments the path rests on (they must be activated first). */
  get eligibility(): readonly string[] {
    this.settle();
    return this.eligibilityList ?? NONE;
  }

  get notes(): readonly string[] {
    this.settle();
    return this.noteList ?? NONE;
  }

  get justification(): readonly string[] {
    this.settle();
    return this.justificationList ?? NONE;
  }

  /** Read without copying a deferred verdict in: the outcome of a merge is the worse of the two. */
  get outcome(): EntitlementOutcome {
    const own: EntitlementOutcome = this.blocked
      ? "denied"
      : this.unknownList?.length
        ? "unknown"
        : this.eligibilityList?.length
          ? "eligible"
          : this.conditionList?.length
            ? "conditional"
            : "allowed";
    const deferred = this.deferred?.outcome;
    return deferred !== undefined && OUTCOME_RANK[deferred] > OUTCOME_RANK[own] ? deferred : own;
  }

  block(blockedBy: BlockedBy): this {
    if (!this.blockedBy) this.blocked = blockedBy;
    return this;
  }

  addConditions(on: string, conditions: readonly Condition[] | undefined): this {
    for (const condition of conditions ?? []) {
      if (this.conditions.some((c) => c.on === on && c.expression === condition.expression)) continue;
      // Only what an answer shows: the operator and values the evaluator decides on stay in the model.
      (this.conditionList ??= []).push({
        expression: condition.expression,
        ...(condition.keys ? { keys: condition.keys } : {}),
        ...(condition.title !== undefined ? { title: condition.title } : {}),
        on,
      });
    }
    return this;
  }

  addOpenConditions(conditions: readonly OpenCondition[]): this {
    for (const condition of conditions) this.addConditions(condition.on, [condition]);
    return this;
  }

  unknown(reason: string): this {
    if (!this.unknownReasons.includes(reason)) (this.unknownList ??= []).push(reason);
    return this;
  }

  eligible(assignment: string): this {
    if (!this.eligibility.includes(assignment)) (this.eligibilityList ??= []).push(assignment);
    return this;
  }

  note(note: string): this {
    if (!this.notes.includes(note)) (this.noteList ??= []).push(note);
    return this;
  }

  justify(...ids: string[]): this {
    for (const id of ids) if (id && !this.justification.includes(id)) (this.justificationList ??= []).push(id);
    return this;
  }

  /** Takes in everything another verdict found (its block only if this one has none). */
  absorb(other: Verdict): this {
    if (other.blockedBy) this.block(other.blockedBy);
    this.addOpenConditions(other.conditions);
    for (const reason of other.unknownReasons) this.unknown(reason);
    for (const assignment of other.eligibility) this.eligible(assignment);
    for (const note of other.notes) this.note(note);
    this.justify(...other.justification);
    return this;
  }

  /**
   * `absorb`, done when this verdict is next read or changed; until then its outcome is known
   * without the copy. A reverse question makes a verdict for each of thousands of paths and shows
   * a page of them: most are only ever asked their outcome. `other` must never change again (a
   * limits verdict shared between principals).
   */
  absorbShared(other: Verdict): this {
    this.settle();
    this.deferred = other;
    return this;
  }

  clone(): Verdict {
    return new Verdict().absorb(this);
  }

  private settle(): void {
    const deferred = this.deferred;
    if (deferred === undefined) return;
    this.deferred = undefined;
    this.absorb(deferred);
  }
}

/** The verdict that ranks best (allowed first), or undefined for an empty list. */
export function bestOf<T extends { verdict: Verdict }>(items: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const item of items) {
    if (!best || OUTCOME_RANK[item.verdict.outcome] < OUTCOME_RANK[best.verdict.outcome]) best = item;
  }
  return best;
}

/** True when `a` ranks strictly better (closer to allowed) than `b`. */
export function isBetter(a: Verdict, b: Verdict): boolean {
  return OUTCOME_RANK[a.outcome] < OUTCOME_RANK[b.outcome];
}
