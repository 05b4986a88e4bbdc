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
  blockedBy: BlockedBy | undefined;
  private conditionList: OpenCondition[] | undefined;
  private unknownList: string[] | undefined;
  private eligibilityList: string[] | undefined;
  private noteList: string[] | undefined;
  private justificationList: string[] | undefined;

  get conditions(): readonly OpenCondition[] {
    return this.conditionList ?? NONE;
  }

  get unknownReasons(): readonly string[] {
    return this.unknownList ?? NONE;
  }

  /** PIM-eligible assignments the path rests on (they must be activated first). */
  get eligibility(): readonly string[] {
    return this.eligibilityList ?? NONE;
  }

  get notes(): readonly string[] {
    return this.noteList ?? NONE;
  }

  get justification(): readonly string[] {
    return this.justificationList ?? NONE;
  }

  get outcome(): EntitlementOutcome {
    if (this.blockedBy) return "denied";
    if (this.unknownReasons.length > 0) return "unknown";
    if (this.eligibility.length > 0) return "eligible";
    if (this.conditions.length > 0) return "conditional";
    return "allowed";
  }

  block(blockedBy: BlockedBy): this {
    if (!this.blockedBy) this.blockedBy = blockedBy;
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

  clone(): Verdict {
    return new Verdict().absorb(this);
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
