/**
 * Evaluations shared between principals. A reverse question evaluates the same request (one
 * action on one resource) for thousands of principals, and most of them meet the same limits:
 * the same deny statements, boundary, SCP levels and account. What the limits say about the
 * request is then computed once per such class of principals instead of once per principal.
 *
 * Sharing must never change an answer, so a principal falls in a shared class only when every
 * input the limits read is part of the class key:
 * - the denies that bear on the request, its boundary and SCP statements, by identity (a
 *   statement specialized for one principal is an object of its own, so it never matches
 *   another's), its account and partition, and the reasons its data is incomplete;
 * - none of those statements has conditions on the resource, which would be decided from the
 *   principal's own facts per request;
 * - the resource side (the resource's policies, the RCPs over its account) neither names the
 *   principal nor uses policy variables, and of the principal's facts only those the resource
 *   side's conditions ask about enter the key;
 * - the request is not a read the resource's KMS key decrypts (that check reads the principal's
 *   own allow statements).
 * Finally an evaluation whose text names the principal that computed it is not shared.
 */
import type { Condition } from "../../../model/inventory.js";
import type { CompiledStatement } from "../../../analysis/entitlements/context.js";
import type { Relation } from "../../../analysis/entitlements/matching.js";
import type { OpenCondition } from "../../../analysis/entitlements/types.js";
import type { Verdict } from "../../../analysis/entitlements/verdict.js";
import { hasResourceConditions, factFor, type RequestFacts } from "./request-facts.js";

const statementIds = new WeakMap<CompiledStatement, number>();
let nextStatementId = 1;

/** A number per compiled statement object (two principals share it only when they share the object). */
export function statementId(stmt: CompiledStatement): number {
  let id = statementIds.get(stmt);
  if (id === undefined) {
    id = nextStatementId++;
    statementIds.set(stmt, id);
  }
  return id;
}

const NOT_SHARED = "";

/** The parts of a principal's evaluation context the limits read, besides its denies. */
export interface LimitsInputs {
  accountId: string | undefined;
  partition: string;
  boundary: { policyId: string; allows: readonly CompiledStatement[] } | undefined;
  boundaryMissing: string | undefined;
  scpLevels: ReadonlyArray<{ scopeId: string; allows: readonly CompiledStatement[] }>;
  unknownReasons: readonly string[];
}

/**
 * The class of a principal's limits other than its denies, as a string key, or "" when they
 * cannot be shared (a limit with conditions on the resource). Its denies join the key per
 * request: only those that bear on the request (see `denyKey`), so principals whose policies
 * differ only in denies about other actions still share.
 */
export function limitsClassKey(inputs: LimitsInputs): string {
  const parts: string[] = [inputs.accountId ?? "-", inputs.partition, "|b", inputs.boundary?.policyId ?? "-"];
  for (const stmt of inputs.boundary?.allows ?? []) {
    if (hasResourceConditions(stmt.conditions)) return NOT_SHARED;
    parts.push(String(statementId(stmt)));
  }
  parts.push("|m", inputs.boundaryMissing ?? "-");
  for (const level of inputs.scpLevels) {
    parts.push("|s", level.scopeId);
    for (const stmt of level.allows) {
      if (hasResourceConditions(stmt.conditions)) return NOT_SHARED;
      parts.push(String(statementId(stmt)));
    }
  }
  parts.push("|u", ...inputs.unknownReasons);
  return parts.join("\u0001");
}

/**
 * The denies of a principal that bear on one request, as part of a key; undefined when one of
 * them has conditions on the resource (decided from the principal's own facts).
 */
export function denyKey(denies: ReadonlyArray<{ stmt: CompiledStatement; kind: string }>, relation: (stmt: CompiledStatement) => Relation): string | undefined {
  let key = "";
  for (const deny of denies) {
    const bears = relation(deny.stmt);
    if (bears === "none") continue;
    if (hasResourceConditions(deny.stmt.conditions)) return undefined;
    key += `${deny.kind}:${bears}:${statementId(deny.stmt)};`;
  }
  return key;
}

/** What the resource side of a request reads of a caller. */
export interface ResourceSide {
  /** False when the resource side cannot be shared (policy variables). */
  shareable: boolean;
  /** Principals the resource side names: their evaluations are their own. */
  named: ReadonlySet<string>;
  /** Condition keys (lower-cased) whose value the caller's facts decide. */
  conditionKeys: readonly string[];
}

/** The resource side of a set of resource-policy and RCP statements (memoized per inventory by the caller). */
export function resourceSideOf(statements: readonly CompiledStatement[]): ResourceSide {
  const named = new Set<string>();
  const keys = new Set<string>();
  let shareable = true;
  for (const stmt of statements) {
    const raw = stmt.statement;
    for (const principal of raw.principals ?? []) named.add(principal);
    for (const principal of raw.exceptPrincipals ?? []) named.add(principal);
    if ([...(raw.resources ?? []), ...(raw.notResources ?? [])].some((r) => r.includes("${"))) shareable = false;
    for (const condition of raw.conditions ?? []) {
      if (condition.values?.some((v) => v.includes("${"))) shareable = false;
      for (const key of condition.keys ?? []) keys.add(key.toLowerCase());
    }
  }
  return { shareable, named, conditionKeys: [...keys].sort() };
}

/** The caller's facts the resource side asks about, as part of a key. */
export function callerFactsKey(side: ResourceSide, facts: RequestFacts): string {
  if (side.conditionKeys.length === 0) return "";
  return side.conditionKeys.map((key) => `${key}=${String(factFor(facts, key))}`).join("\u0001");
}

/** A key for the open conditions a grant brings (they decide whether a conditional Deny blocks). */
export function conditionsKey(conditions: readonly OpenCondition[]): string {
  if (conditions.length === 0) return "";
  return JSON.stringify(
    conditions.map((open) => {
      const c: Condition = open;
      return [c.keys, c.operator, c.values, c.expression];
    }),
  );
}

/** Does any text of the verdict name the principal? Such a verdict is that principal's alone. */
export function verdictNames(verdict: Verdict, principalId: string): boolean {
  const texts = [
    ...verdict.justification,
    ...verdict.unknownReasons,
    ...verdict.notes,
    ...verdict.eligibility,
    ...verdict.conditions.flatMap((c) => [c.expression, c.on]),
    ...(verdict.blockedBy ? [verdict.blockedBy.id, verdict.blockedBy.description] : []),
  ];
  return texts.some((text) => text.includes(principalId));
}
