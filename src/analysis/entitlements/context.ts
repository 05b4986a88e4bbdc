/**
 * Work that depends only on the inventory is done once per Inventory instance and kept in a
 * WeakMap, so repeated queries on a 100k-identity estate are lookups, not rebuilds. Work that
 * depends on the query lives in `QueryContext`.
 */
import { named } from "./hops.js";
import type { Inventory } from "../../model/inventory-index.js";
import type { Policy, Principal, Provider, Statement } from "../../model/inventory.js";
import { anyWildcardRegex, hasWildcard, type Relation } from "./matching.js";
import { providerModule } from "../../providers/registry.js";
import type { Subject } from "./internal.js";
import type { OpenCondition } from "./types.js";

export interface CompiledStatement {
  /** `policyId#statementId`, the id paths cite. */
  readonly key: string;
  readonly policy: Policy;
  readonly statement: Statement;
  readonly effect: "Allow" | "Deny";
  readonly actions: readonly string[] | undefined;
  readonly notActions: readonly string[] | undefined;
  readonly resources: readonly string[] | undefined;
  readonly notResources: readonly string[] | undefined;
  /** The statement's conditions plus conditions implied by policy variables in its resources. */
  readonly conditions: readonly OpenCondition[];
  /** Lower-cased literal actions: permission checks on roles listing thousands are O(1). */
  readonly literalActions: ReadonlySet<string>;
  /** The wildcard actions as one RegExp. */
  readonly actionRegex: RegExp | undefined;
  readonly literalNotActions: ReadonlySet<string>;
  readonly notActionRegex: RegExp | undefined;
  /**
   * Memo: how its Action/NotAction lists relate to an action (none, part, all). Statements live
   * as long as their inventory, and a reverse question asks this of every candidate's denies.
   */
  actionRelations?: Map<string, Relation>;
}

export interface CompiledPolicy {
  readonly policy: Policy;
  readonly statements: readonly CompiledStatement[];
  readonly allows: readonly CompiledStatement[];
  readonly denies: readonly CompiledStatement[];
}

export interface GroupMembership {
  groupId: string;
  /** Groups from the principal's direct group to this one (nested membership). */
  chain: readonly string[];
}


const POLICY_VARIABLE = /\$\{([^}]*)\}/g;

/** AWS policy variables (`${aws:username}`) are resolved per request: match them as `*`, keep a condition. */
function resolvePolicyVariables(patterns: readonly string[] | undefined, found: Set<string>): string[] | undefined {
  if (!patterns) return undefined;
  return patterns.map((pattern) =>
    pattern.replace(POLICY_VARIABLE, (_all, name: string) => {
      if (name === "*" || name === "?" || name === "$") return name;
      found.add(name);
      return "*";
    }),
  );
}

function compileStatement(policy: Policy, statement: Statement): CompiledStatement {
  const key = `${policy.id}#${statement.id}`;
  const ids = providerModule(policy.provider).ids;
  const normalize = ids.normalizeAction;
  const actions = normalize ? statement.actions?.map(normalize) : statement.actions;
  const notActions = normalize ? statement.notActions?.map(normalize) : statement.notActions;
  const variables = new Set<string>();
  const resources = ids.policyVariables ? resolvePolicyVariables(statement.resources, variables) : statement.resources;
  const notResources = ids.policyVariables ? resolvePolicyVariables(statement.notResources, variables) : statement.notResources;
  const conditions: OpenCondition[] = (statement.conditions ?? []).map((c) => ({ ...c, on: key }));
  for (const name of variables) {
    conditions.push({
      expression: `resource pattern uses policy variable \${${name}}, resolved per request`,
      keys: [name],
      on: key,
    });
  }
  const split = (list: readonly string[] | undefined) => ({
    literals: new Set((list ?? []).filter((a) => !hasWildcard(a)).map((a) => a.toLowerCase())),
    regex: anyWildcardRegex((list ?? []).filter(hasWildcard), true),
  });
  const listed = split(actions);
  const excluded = split(notActions);
  return {
    key,
    policy,
    statement,
    effect: statement.effect,
    actions,
    notActions,
    resources,
    notResources,
    conditions,
    literalActions: listed.literals,
    actionRegex: listed.regex,
    literalNotActions: excluded.literals,
    notActionRegex: excluded.regex,
  };
}

/** Fast check of a literal action against a statement's Action/NotAction lists (case-insensitive). */
export function statementListsAction(statement: CompiledStatement, literalAction: string): boolean {
  const lower = literalAction.toLowerCase();
  const listed =
    statement.actions === undefined
      ? statement.notActions !== undefined
      : statement.literalActions.has(lower) || (statement.actionRegex?.test(literalAction) ?? false);
  if (!listed || statement.notActions === undefined) return listed;
  return !(statement.literalNotActions.has(lower) || (statement.notActionRegex?.test(literalAction) ?? false));
}

/** Get-or-build on a map (one lookup on a hit; no key strings built by the caller). */
export function memoIn<K, V>(map: Map<K, V>, key: K, build: () => V): V {
  const cached = map.get(key);
  if (cached !== undefined) return cached;
  const value = build();
  map.set(key, value);
  return value;
}

/** A named map that lives as long as its owner (an inventory or a query). */
function namedTable<K, V>(tables: Map<string, Map<unknown, unknown>>, name: string): Map<K, V> {
  let table = tables.get(name);
  if (!table) tables.set(name, (table = new Map()));
  return table as Map<K, V>;
}

export class InventoryCache {
  private readonly compiledPolicies = new Map<string, CompiledPolicy | null>();
  private readonly groupClosures = new Map<string, GroupMembership[]>();
  private readonly memberClosures = new Map<string, Principal[]>();
  private readonly stores = new Map<string, unknown>();
  private readonly tables = new Map<string, Map<unknown, unknown>>();

  constructor(readonly inventory: Inventory) {}

  /** A named map of inventory-lifetime values (per policy, per principal, per action...). */
  table<K, V>(name: string): Map<K, V> {
    return namedTable<K, V>(this.tables, name);
  }

  policy(policyId: string): CompiledPolicy | undefined {
    const cached = this.compiledPolicies.get(policyId);
    if (cached !== undefined) return cached ?? undefined;
    const policy = this.inventory.policies.get(policyId);
    if (!policy) {
      this.compiledPolicies.set(policyId, null);
      return undefined;
    }
    const statements = policy.statements.map((s) => compileStatement(policy, s));
    const compiled: CompiledPolicy = {
      policy,
      statements,
      allows: statements.filter((s) => s.effect === "Allow"),
      denies: statements.filter((s) => s.effect === "Deny"),
    };
    this.compiledPolicies.set(policyId, compiled);
    return compiled;
  }

  /** Groups a principal belongs to, transitively, each with its shortest membership chain. */
  groupsOf(principalId: string): readonly GroupMembership[] {
    const cached = this.groupClosures.get(principalId);
    if (cached) return cached;
    const result: GroupMembership[] = [];
    const seen = new Set<string>([principalId]);
    let frontier: GroupMembership[] = (this.inventory.principals.get(principalId)?.memberOf ?? []).map((g) => ({
      groupId: g,
      chain: [g],
    }));
    while (frontier.length > 0) {
      const next: GroupMembership[] = [];
      for (const membership of frontier) {
        if (seen.has(membership.groupId)) continue;
        seen.add(membership.groupId);
        result.push(membership);
        for (const parent of this.inventory.principals.get(membership.groupId)?.memberOf ?? []) {
          if (!seen.has(parent)) next.push({ groupId: parent, chain: [...membership.chain, parent] });
        }
      }
      frontier = next;
    }
    this.groupClosures.set(principalId, result);
    return result;
  }

  /** Every principal inside a group, nested groups included (the groups themselves too). */
  membersOf(groupId: string): readonly Principal[] {
    const cached = this.memberClosures.get(groupId);
    if (cached) return cached;
    const result: Principal[] = [];
    const seen = new Set<string>([groupId]);
    const queue = [groupId];
    for (let i = 0; i < queue.length; i++) {
      const current = queue[i];
      if (current === undefined) continue;
      for (const member of this.inventory.membersOf(current)) {
        if (seen.has(member.id)) continue;
        seen.add(member.id);
        result.push(member);
        queue.push(member.id);
      }
    }
    this.memberClosures.set(groupId, result);
    return result;
  }

  /** A lazily built, inventory-lifetime value (indexes specific to one provider). */
  memo<T>(key: string, build: () => T): T {
    if (this.stores.has(key)) return this.stores.get(key) as T;
    const value = build();
    this.stores.set(key, value);
    return value;
  }
}

const caches = new WeakMap<Inventory, InventoryCache>();

export function inventoryCache(inventory: Inventory): InventoryCache {
  let cache = caches.get(inventory);
  if (!cache) {
    cache = new InventoryCache(inventory);
    caches.set(inventory, cache);
  }
  return cache;
}

/**
 * Gap sources that cannot change a path, so they must not turn answers `unknown`: activity reads
 * (last authentication, last use, sign-ins), credential listings, Key Vault item listings and
 * display names feed staleness, expiry and labels only (who may read a vault comes from ARM); principal access boundary reads limit the caller, not the resource, so the GCP
 * evaluator reports them per principal (gcp-boundaries.ts) instead of per resource scope.
 */
const NON_ENTITLEMENT_GAP_SOURCES: readonly RegExp[] = [
  /^policyanalyzer:/, // GCP Activity Analyzer (serviceAccount[Key]LastAuthentication)
  /^iam\.serviceAccounts\.keys\.list$/, // GCP service account keys
  /^iam:(GenerateCredentialReport|GetCredentialReport|GetAccessKeyLastUsed|ListAccessKeys|GetLoginProfile|ListSigningCertificates|ListServerCertificates)$/, // AWS credential facts
  /^graph:servicePrincipalSignInActivities$/, // Entra sign-in activity
  /^graph:organization$/, // the tenant's display name only
  /^cloudresourcemanager:organizations\.get \(display name\)$/, // the GCP organization's display name only
  /^keyvault:(listPropertiesOf(Secrets|Certificates|Keys)|getCertificatePolicy)$/, // Key Vault item metadata (data plane); access comes from ARM
  /^iam\.v3\.(policyBindings|principalAccessBoundaryPolicies)\.list$/, // GCP principal access boundaries
  // Entra directory control (owners, directory roles, PIM, Graph permissions): missing, it can hide
  // escalation paths but changes no other path's outcome; the gap is listed with the answer.
  /^graph:(applications|servicePrincipals)\.owners$/,
  /^graph:roleManagement\.directory\./,
  /^graph:servicePrincipals\.appRoleAssignedTo$/,
  /^authorization:roleEligibilityScheduleInstances\.listForScope$/, // Azure PIM: missing, eligible paths may be missing
];

export function gapAffectsEntitlements(source: string): boolean {
  return !NON_ENTITLEMENT_GAP_SOURCES.some((pattern) => pattern.test(source));
}

/** Work limits of one query; generous for people, bounded for 100k-identity estates. */
export interface QueryLimits {
  /** Principals a pivot search visits at most. */
  maxVisited: number;
  /** Pivot edges examined per principal at most. */
  maxEdgesPerPrincipal: number;
  /** Distinct routes kept per reached principal. */
  maxRoutesPerPrincipal: number;
  /** Candidate principals a reverse query evaluates at most. */
  maxCandidates: number;
  /** Pivot edges evaluated precisely per query at most (each costs a policy evaluation). */
  maxPivotEvaluations: number;
}

export const DEFAULT_LIMITS: QueryLimits = {
  maxVisited: 1_000,
  maxEdgesPerPrincipal: 250,
  maxRoutesPerPrincipal: 8,
  maxCandidates: 2_000,
  maxPivotEvaluations: 1_000,
};

export class QueryContext {
  readonly cache: InventoryCache;
  readonly notes = new Set<string>();
  /** Set when a limit cut the search short (the answer is then `truncated`). */
  limitReached = false;
  private readonly memos = new Map<string, unknown>();
  private readonly tables = new Map<string, Map<unknown, unknown>>();
  private readonly noteRecorders: string[][] = [];
  private pivotEvaluations = 0;

  /**
   * `shareEvaluations`: evaluate a request once per class of principals that meet the same limits
   * (and reuse per-inventory results) rather than once per principal; false gives the reference
   * evaluation, which tests compare the shared one with.
   */
  constructor(
    readonly inventory: Inventory,
    readonly limits: QueryLimits = DEFAULT_LIMITS,
    readonly shareEvaluations = true,
  ) {
    this.cache = inventoryCache(inventory);
  }

  note(note: string): void {
    this.notes.add(note);
    for (const recorder of this.noteRecorders) recorder.push(note);
  }

  /**
   * Runs `build` and returns its value with every note it made, so a value kept beyond this query
   * can say the same notes again when a later query reuses it.
   */
  recordingNotes<T>(build: () => T): { value: T; notes: string[] } {
    const notes: string[] = [];
    this.noteRecorders.push(notes);
    try {
      return { value: build(), notes };
    } finally {
      this.noteRecorders.splice(this.noteRecorders.lastIndexOf(notes), 1);
    }
  }

  get pivotBudgetSpent(): boolean {
    return this.pivotEvaluations >= this.limits.maxPivotEvaluations;
  }

  /** Records that more principals may pivot into a target than were evaluated. */
  noteIfCapped(count: number, targetId: string): void {
    if (count < this.limits.maxEdgesPerPrincipal) return;
    this.limitReached = true;
    this.note(`more than ${this.limits.maxEdgesPerPrincipal} principals may pivot into ${targetId}; only the first were evaluated`);
  }

  /** Counts one precise pivot evaluation; false once the budget is spent (the answer is then truncated). */
  spendPivotEvaluation(): boolean {
    if (this.pivotEvaluations < this.limits.maxPivotEvaluations) {
      this.pivotEvaluations++;
      return true;
    }
    this.limitReached = true;
    this.note(`the pivot search stopped after ${this.limits.maxPivotEvaluations} pivot evaluations; more pivots may exist`);
    return false;
  }

  memo<T>(key: string, build: () => T): T {
    if (this.memos.has(key)) return this.memos.get(key) as T;
    const value = build();
    this.memos.set(key, value);
    return value;
  }

  /** A named map of query-lifetime values. */
  table<K, V>(name: string): Map<K, V> {
    return namedTable<K, V>(this.tables, name);
  }

  /**
   * Collection gaps that touch a provider and any of the given scopes (a gap without scope touches
   * all) and whose source can change an entitlement answer (see `gapAffectsEntitlements`).
   */
  gapReasons(provider: Provider, scopeIds: readonly string[]): string[] {
    const reasons: string[] = [];
    const foldCase = providerModule(provider).ids.caseInsensitiveIds;
    const lowered = foldCase ? scopeIds.map((s) => s.toLowerCase()) : scopeIds;
    for (const gap of this.inventory.gaps) {
      if (gap.provider !== provider || !gapAffectsEntitlements(gap.source)) continue;
      if (gap.scopeId !== undefined) {
        const gapScope = foldCase ? gap.scopeId.toLowerCase() : gap.scopeId;
        if (!lowered.includes(gapScope)) continue;
      }
      reasons.push(
        `collection gap for ${gap.provider}${gap.scopeId ? ` ${gap.scopeId}` : ""} (${gap.source}): ${gap.reason}`,
      );
    }
    return reasons;
  }

  /** The subject acting as a principal; one object per principal and inventory (subjects are never changed). */
  subjectFor(principal: Principal): Subject {
    return memoIn(this.cache.table<Principal, Subject>("subjects"), principal, () => ({
      id: principal.id,
      provider: principal.provider,
      principal,
      label: `${principal.kind} ${named(principal.name)}`,
    }));
  }

  /** A subject for an id: the inventory principal when there is one, else a named outsider. */
  subjectForId(id: string, provider: Provider, label?: string): Subject {
    const principal = this.inventory.principals.get(id);
    if (principal) return this.subjectFor(principal);
    return { id, provider, principal: undefined, label: label ?? id };
  }
}
