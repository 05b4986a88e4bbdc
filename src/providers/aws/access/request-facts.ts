/**
 * What the question itself decides about an AWS request: who the principal is (its ARN, account,
 * organization, user name, unique id, tags) and, for a literal resource, the resource's account.
 * Policy variables and conditions on those keys are decided here; keys only the request carries
 * (source IP, MFA, time, VPC endpoint, session name) stay open and are listed in the answer.
 *
 * AWS documents the rules this follows:
 * - IAM policy elements: Variables and tags, "Request information that you can use for policy
 *   variables" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html):
 *   `aws:username` is present only for IAM users; `aws:userid` is the user's unique id, or
 *   `role-id:caller-specified-role-name` for a role session; `aws:PrincipalTag/<key>` comes from
 *   the principal's tags.
 * - Same page, "Policy variables with no value": a variable whose key is absent from the request
 *   has no value, so a Resource pattern holding it matches nothing, unless the variable gives a
 *   default (`${aws:username, 'none'}`).
 * - IAM JSON policy elements: Condition operators
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
 *   a key absent from the request makes a condition false, except negated operators
 *   (StringNotEquals, ArnNotLike...) which are then true, `...IfExists` which is then true, and
 *   `Null`, which tests presence.
 */
import type { Condition, Principal } from "../../../model/inventory.js";
import type { Inventory } from "../../../model/inventory-index.js";
import type { CompiledStatement } from "../../../analysis/entitlements/context.js";
import type { OpenCondition } from "../../../analysis/entitlements/types.js";
import { wildcardMatch } from "../../../analysis/entitlements/matching.js";
import { awsAccountOf, parseArn } from "../ids.js";

/**
 * Known context keys (lower-cased) and their value; `null` means the request is known to carry no
 * such key. A key not in the map is a request-time fact: undecided.
 */
export type RequestFacts = ReadonlyMap<string, string | null>;

/** Keys the resource of a request decides (looked up per request, not per principal). */
const RESOURCE_KEYS: ReadonlySet<string> = new Set(["aws:resourceaccount"]);
const RESOURCE_TAG = "aws:resourcetag/";
/** Set in a request's facts when the resource's tags were read: a tag it lacks is then known absent. */
const RESOURCE_TAGS_READ = "wiam:resourcetagsread";

const PRINCIPAL_TAG = "aws:principaltag/";

/** The organization an account sits in, from the scope chain, if the inventory holds it. */
function organizationOf(inventory: Inventory, accountId: string | undefined): string | undefined {
  if (!accountId) return undefined;
  for (const scope of inventory.scopeChain(`aws:account/${accountId}`)) {
    if (scope.id.startsWith("aws:organization/")) return scope.id.slice("aws:organization/".length);
  }
  return undefined;
}

/** The user's friendly name: the last segment of `user/<path>/<name>`. */
function friendlyName(arn: string): string | undefined {
  const resource = parseArn(arn)?.resource;
  if (!resource) return undefined;
  const slash = resource.lastIndexOf("/");
  return slash >= 0 ? resource.slice(slash + 1) : undefined;
}

/**
 * The facts a principal brings to every request it makes. Roles act through sessions: their
 * `aws:PrincipalArn` is the role's ARN, `aws:username` is absent, and the session name (part of
 * `aws:userid`) is chosen when the role is assumed, so it stays open.
 */
export function principalFacts(inventory: Inventory, principal: Principal, accountId: string | undefined): Map<string, string | null> {
  const facts = new Map<string, string | null>();
  const isUser = principal.kind === "user";
  const isRole = principal.kind === "role";
  if (!isUser && !isRole) return facts;
  facts.set("aws:principalarn", principal.id);
  if (accountId) facts.set("aws:principalaccount", accountId);
  const organization = organizationOf(inventory, accountId);
  if (organization) facts.set("aws:principalorgid", organization);
  facts.set("aws:principaltype", isUser ? "User" : "AssumedRole");
  facts.set("aws:username", isUser ? (friendlyName(principal.id) ?? null) : null);
  if (isUser && principal.uniqueId) facts.set("aws:userid", principal.uniqueId);
  // Tags come with the principal from GetAccountAuthorizationDetails: a key it lacks is absent.
  for (const [key, value] of Object.entries(principal.tags ?? {})) facts.set(`${PRINCIPAL_TAG}${key.toLowerCase()}`, value);
  return facts;
}

/** The value a request's facts give a condition key: a string, null (known absent) or undefined (open). */
export function factFor(facts: RequestFacts, key: string): string | null | undefined {
  const lower = key.toLowerCase();
  const known = facts.get(lower);
  if (known !== undefined) return known;
  // Every principal tag was collected, so a tag key the principal lacks is known to be absent.
  if (lower.startsWith(PRINCIPAL_TAG) && facts.has("aws:principalarn")) return null;
  if (lower.startsWith(RESOURCE_TAG) && facts.has(RESOURCE_TAGS_READ)) return null;
  return undefined;
}

// ---- policy variables ------------------------------------------------------------------------

const VARIABLE = /\$\{([^}]*)\}/g;

interface ParsedVariable {
  name: string;
  fallback: string | undefined;
}

/** `${aws:username, 'none'}` → name and default (a doubled quote stands for one). */
function parseVariable(body: string): ParsedVariable {
  const comma = body.indexOf(",");
  if (comma < 0) return { name: body.trim(), fallback: undefined };
  const rest = body.slice(comma + 1).trim();
  const quoted = /^'((?:[^']|'')*)'$/.exec(rest);
  return { name: body.slice(0, comma).trim(), fallback: quoted ? (quoted[1] ?? "").replace(/''/g, "'") : undefined };
}

/** Escapes IAM wildcards in a substituted value so it matches only itself. */
function literal(value: string): string | undefined {
  // Our patterns have no escape for `*` and `?`; a value holding them cannot be matched exactly.
  return value.includes("*") || value.includes("?") ? undefined : value;
}

export interface ResolvedPattern {
  /** The pattern with every decidable variable replaced; undefined when it matches nothing. */
  pattern: string | undefined;
  /** Variables left to the request (replaced by `*`). */
  open: string[];
}

/** Replaces the variables of one pattern with what the facts decide. */
export function resolvePattern(pattern: string, facts: RequestFacts, extraWildcards: ReadonlyMap<string, string> = new Map()): ResolvedPattern {
  if (!pattern.includes("${")) return { pattern, open: [] };
  const open: string[] = [];
  let matchesNothing = false;
  const resolved = pattern.replace(VARIABLE, (_all, body: string) => {
    if (body === "*" || body === "?" || body === "$") return body;
    const variable = parseVariable(body);
    const wildcard = extraWildcards.get(variable.name.toLowerCase());
    if (wildcard !== undefined) return wildcard;
    const value = factFor(facts, variable.name);
    if (value === undefined) {
      open.push(variable.name);
      return "*";
    }
    const chosen = value ?? variable.fallback;
    if (chosen === undefined) {
      matchesNothing = true;
      return "";
    }
    const safe = literal(chosen);
    if (safe === undefined) {
      open.push(variable.name);
      return "*";
    }
    return safe;
  });
  return { pattern: matchesNothing ? undefined : resolved, open };
}

// ---- conditions ------------------------------------------------------------------------------

export type ConditionDecision = "holds" | "fails" | "open";

interface ParsedOperator {
  base: string;
  ifExists: boolean;
  set: "any" | "all" | undefined;
}

function parseOperator(operator: string): ParsedOperator {
  let rest = operator;
  let set: ParsedOperator["set"];
  if (rest.startsWith("ForAnyValue:")) {
    set = "any";
    rest = rest.slice("ForAnyValue:".length);
  } else if (rest.startsWith("ForAllValues:")) {
    set = "all";
    rest = rest.slice("ForAllValues:".length);
  }
  const ifExists = rest.endsWith("IfExists");
  return { base: ifExists ? rest.slice(0, -"IfExists".length) : rest, ifExists, set };
}

type Comparison = (pattern: string, value: string) => boolean;

const COMPARISONS: Readonly<Record<string, { compare: Comparison; negated: boolean }>> = {
  StringEquals: { compare: (p, v) => p === v, negated: false },
  StringNotEquals: { compare: (p, v) => p === v, negated: true },
  StringEqualsIgnoreCase: { compare: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { compare: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: true },
  StringLike: { compare: (p, v) => wildcardMatch(p, v, false), negated: false },
  StringNotLike: { compare: (p, v) => wildcardMatch(p, v, false), negated: true },
  // ArnEquals and ArnLike behave the same: both accept wildcards in each ARN segment.
  ArnEquals: { compare: (p, v) => wildcardMatch(p, v, false), negated: false },
  ArnLike: { compare: (p, v) => wildcardMatch(p, v, false), negated: false },
  ArnNotEquals: { compare: (p, v) => wildcardMatch(p, v, false), negated: true },
  ArnNotLike: { compare: (p, v) => wildcardMatch(p, v, false), negated: true },
};

/**
 * Decides one condition (one operator, one key) from the facts; `open` when the key is a
 * request-time fact, the operator is one we do not decide, or its values are not in the model.
 */
export function decideCondition(condition: Condition, facts: RequestFacts): ConditionDecision {
  const key = condition.keys?.length === 1 ? condition.keys[0] : undefined;
  if (key === undefined || condition.operator === undefined || condition.values === undefined) return "open";
  const value = factFor(facts, key);
  if (value === undefined) return "open";
  const operator = parseOperator(condition.operator);
  if (operator.base === "Null") {
    if (operator.set || operator.ifExists || condition.values.length !== 1) return "open";
    const wantsAbsent = condition.values[0]?.toLowerCase() === "true";
    return (value === null) === wantsAbsent ? "holds" : "fails";
  }
  const comparison = COMPARISONS[operator.base];
  if (!comparison) return "open";
  if (value === null) {
    // An absent key: ForAllValues holds over the empty set, ForAnyValue has nothing to match.
    if (operator.set === "all") return "holds";
    if (operator.set === "any") return "fails";
    return operator.ifExists || comparison.negated ? "holds" : "fails";
  }
  const patterns: string[] = [];
  for (const written of condition.values) {
    const resolved = resolvePattern(written, facts);
    if (resolved.open.length > 0) return "open";
    if (resolved.pattern !== undefined) patterns.push(resolved.pattern);
  }
  const matched = patterns.some((pattern) => comparison.compare(pattern, value));
  return matched !== comparison.negated ? "holds" : "fails";
}

/** Does any condition need the resource of the request (decided per request, not per principal)? */
export function hasResourceConditions(conditions: readonly Condition[]): boolean {
  return conditions.some((c) => c.keys?.some((k) => RESOURCE_KEYS.has(k.toLowerCase()) || k.toLowerCase().startsWith(RESOURCE_TAG)) ?? false);
}

/**
 * The facts a literal resource brings (its account); empty for patterns. An ARN without an account
 * (an S3 bucket or object) takes the one the inventory places it in, when given.
 */
export function resourceFacts(resource: string, knownAccount?: string, tags?: Readonly<Record<string, string>>): Map<string, string | null> {
  const facts = new Map<string, string | null>();
  const literal = !(resource.includes("*") || resource.includes("?"));
  const account = literal ? (awsAccountOf(resource) ?? knownAccount) : undefined;
  if (account) facts.set("aws:resourceaccount", account);
  // Tags read with the resource decide aws:ResourceTag/<key> (keys compare case-insensitively).
  if (literal && tags) {
    facts.set(RESOURCE_TAGS_READ, "");
    for (const [key, value] of Object.entries(tags)) facts.set(`${RESOURCE_TAG}${key.toLowerCase()}`, value);
  }
  return facts;
}

/** A principal's facts plus a resource's, for deciding conditions that mix both. */
export function withResource(principal: RequestFacts, resource: string, knownAccount?: string, tags?: Readonly<Record<string, string>>): RequestFacts {
  const extra = resourceFacts(resource, knownAccount, tags);
  if (extra.size === 0) return principal;
  return new Map([...principal, ...extra]);
}

/** Operators whose meaning on one key is "the value is one of these" (values compared exactly). */
const EQUALITY_OPERATORS: ReadonlySet<string> = new Set(["stringequals", "bool", "arnequals", "numericequals"]);

/**
 * True when every condition of `implied` holds whenever all of `given` hold: a narrow, sound
 * check on one key at a time (an identical condition, or an equality whose values are all among
 * the implied equality's, with or without IfExists). A deny whose open conditions the allow's own
 * conditions imply fires on every request the allow admits, so it blocks rather than leaves open.
 */
export function conditionsImply(given: readonly Condition[], implied: readonly Condition[]): boolean {
  if (implied.length === 0) return true;
  return implied.every((d) =>
    given.some((g) => {
      const key = g.keys?.length === 1 ? g.keys[0]?.toLowerCase() : undefined;
      if (key === undefined || d.keys?.length !== 1 || d.keys[0]?.toLowerCase() !== key) return false;
      const gOp = g.operator?.toLowerCase();
      const dOp = d.operator?.toLowerCase();
      if (gOp === undefined || dOp === undefined || g.values === undefined || d.values === undefined) return false;
      if (gOp === dOp && g.values.length === d.values.length && g.values.every((v, i) => v === d.values?.[i])) return true;
      if (!EQUALITY_OPERATORS.has(gOp) || (dOp !== gOp && dOp !== `${gOp}ifexists`)) return false;
      const caseless = gOp === "bool";
      return g.values.every((v) => d.values?.some((w) => (caseless ? w.toLowerCase() === v.toLowerCase() : w === v)) ?? false);
    }),
  );
}

/** Conditions of a statement left after the facts decide: undefined when one of them fails. */
export function remainingConditions<T extends Condition>(conditions: readonly T[], facts: RequestFacts): T[] | undefined {
  const left: T[] = [];
  for (const condition of conditions) {
    const decision = decideCondition(condition, facts);
    if (decision === "fails") return undefined;
    if (decision === "open") left.push(condition);
  }
  return left;
}

// ---- statements, per principal ---------------------------------------------------------------

function variableCondition(name: string, on: string, why: string): OpenCondition {
  return { expression: `resource pattern uses policy variable \${${name}}, ${why}`, keys: [name], on };
}

/** Per compiled statement (shared by every principal): do its Resource patterns hold variables? */
const VARIABLES_IN_RESOURCES = new WeakMap<CompiledStatement, boolean>();

function holdsVariables(stmt: CompiledStatement): boolean {
  let known = VARIABLES_IN_RESOURCES.get(stmt);
  if (known === undefined) {
    const raw = stmt.statement;
    known = (raw.resources ?? []).some((r) => r.includes("${")) || (raw.notResources ?? []).some((r) => r.includes("${"));
    VARIABLES_IN_RESOURCES.set(stmt, known);
  }
  return known;
}

/**
 * A statement as it reads for one principal: variables in Resource/NotResource replaced, and the
 * conditions the principal decides removed. Undefined when the statement cannot apply to this
 * principal (a condition fails, or every Resource pattern names a variable the request lacks).
 * The compiled statement itself is returned when nothing changes, so principals share it.
 */
export function statementForPrincipal(stmt: CompiledStatement, facts: RequestFacts, principal: Principal): CompiledStatement | undefined {
  const raw = stmt.statement;
  const conditions = raw.conditions ?? [];
  const hasVariables = holdsVariables(stmt);
  if (!hasVariables && conditions.length === 0) return stmt;
  const left = remainingConditions(conditions, facts);
  if (left === undefined) return undefined;
  if (!hasVariables && left.length === conditions.length) return stmt;
  const openConditions: OpenCondition[] = left.map((c) => ({ ...c, on: stmt.key }));
  let resources = stmt.resources;
  let notResources = stmt.notResources;
  if (hasVariables) {
    // A role session's aws:userid is `role-id:session-name`; the session name is the caller's choice.
    const sessionWildcards = new Map<string, string>();
    if (principal.kind === "role" && principal.uniqueId) sessionWildcards.set("aws:userid", `${principal.uniqueId}:*`);
    const openVariables = new Set<string>();
    const resolve = (patterns: readonly string[] | undefined, unresolvable: (pattern: string) => string | undefined): string[] | undefined => {
      if (!patterns) return undefined;
      const out: string[] = [];
      for (const pattern of patterns) {
        const resolved = resolvePattern(pattern, facts, sessionWildcards);
        for (const name of resolved.open) openVariables.add(name);
        const kept = resolved.pattern ?? unresolvable(pattern);
        if (kept !== undefined) out.push(kept);
      }
      return out;
    };
    // A Resource pattern whose variable has no value matches nothing.
    resources = resolve(raw.resources, () => undefined);
    if (resources !== undefined && resources.length === 0) return undefined;
    // In NotResource such a pattern would leave the statement invalid wherever it could match
    // ("If AWS cannot resolve a variable, this might cause the entire statement to be invalid",
    // IAM policy elements: variables and tags), which for one resource is the same as excluding
    // it: the pattern stands with the variable as a wildcard. Dropping it would widen a Deny.
    notResources = resolve(raw.notResources, (pattern) => pattern.replace(VARIABLE, "*"));
    for (const name of openVariables) openConditions.push(variableCondition(name, stmt.key, "resolved per request"));
    if (sessionWildcards.size > 0 && [...(raw.resources ?? []), ...(raw.notResources ?? [])].some((r) => /\$\{\s*aws:userid/i.test(r))) {
      openConditions.push(variableCondition("aws:userid", stmt.key, `whose session name part is chosen when ${principal.id} is assumed`));
    }
  }
  return { ...stmt, resources, notResources, conditions: openConditions };
}

/**
 * A resource-side statement (a resource policy's, an RCP's) as it reads for one caller: policy
 * variables resolved from the caller's facts and conditions decided. Undefined when it does not
 * apply to that caller; `conditions` are the ones left open. A caller the inventory does not hold
 * keeps the statement's patterns as written.
 */
export function resourceStatementFor(
  stmt: CompiledStatement,
  facts: RequestFacts,
  principal: Principal | undefined,
): { stmt: CompiledStatement; conditions: OpenCondition[] } | undefined {
  if (principal && holdsVariables(stmt)) {
    const own = statementForPrincipal(stmt, facts, principal);
    return own ? { stmt: own, conditions: [...own.conditions] } : undefined;
  }
  const left = remainingConditions(stmt.statement.conditions ?? [], facts);
  return left ? { stmt, conditions: left.map((c) => ({ ...c, on: stmt.key })) } : undefined;
}
