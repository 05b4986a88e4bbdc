/**
 * Reverse-query index for AWS: which principals hold an identity allow that may grant an action
 * on a resource. Built lazily once per inventory and action (policy → grants → principals, groups
 * expanded, bucketed by the service and account the statements' resources name), so a lookup
 * never scans every principal × every grant. Holders are only candidates: the evaluator decides
 * each one with denies, boundary and SCPs.
 */
import type { Principal } from "../../../model/inventory.js";
import { IDENTITY_GRANT_KINDS, IDENTITY_POLICY_KINDS } from "./evaluator.js";
import { awsAccountOf } from "../ids.js";
import { type CompiledStatement, memoIn, type QueryContext } from "../../../analysis/entitlements/context.js";
import type { AccessRequest } from "../../../analysis/entitlements/internal.js";
import { hasWildcard, relateToSet } from "../../../analysis/entitlements/matching.js";

export class AwsHolders {
  private readonly granted: Map<string, GrantedPrincipals>;
  private readonly holderIndexes: Map<string, HolderIndex>;
  private readonly everywhereRuns: Map<string, HolderRun>;

  constructor(private readonly ctx: QueryContext) {
    this.granted = ctx.cache.table("aws:granted");
    this.holderIndexes = ctx.cache.table("aws:statementHolders");
    this.everywhereRuns = ctx.cache.table("aws:everywhereHolders");
  }

  private get inventory() {
    return this.ctx.inventory;
  }

  /** Policies whose allow statements could grant an action (reverse queries start here). */
  private policiesThatMayAllow(action: string): string[] {
    const index = this.ctx.cache.memo("aws:actionIndex", () => {
      const byService = new Map<string, Set<string>>();
      const anyService = new Set<string>();
      for (const policy of this.inventory.snapshot.policies) {
        if (policy.provider !== "aws" || !IDENTITY_POLICY_KINDS.has(policy.kind)) continue;
        for (const statement of policy.statements) {
          if (statement.effect !== "Allow") continue;
          if (!statement.actions) {
            if (statement.notActions) anyService.add(policy.id);
            continue;
          }
          for (const pattern of statement.actions) {
            const colon = pattern.indexOf(":");
            const service = colon < 0 ? pattern : pattern.slice(0, colon);
            if (colon < 0 || hasWildcard(service)) {
              anyService.add(policy.id);
              continue;
            }
            const key = service.toLowerCase();
            let set = byService.get(key);
            if (!set) byService.set(key, (set = new Set()));
            set.add(policy.id);
          }
        }
      }
      return { byService, anyService };
    });
    const colon = action.indexOf(":");
    const service = colon < 0 ? action : action.slice(0, colon);
    if (colon < 0 || hasWildcard(service)) {
      const all = new Set(index.anyService);
      for (const set of index.byService.values()) for (const id of set) all.add(id);
      return [...all];
    }
    return [...(index.byService.get(service.toLowerCase()) ?? []), ...index.anyService];
  }

  /** Principals a policy reaches (groups expanded to their members), bucketed by account. */
  private principalsGranted(policyId: string): GrantedPrincipals {
    return memoIn(this.granted, policyId, () => {
      const all: Principal[] = [];
      const byAccount = new Map<string, Principal[]>();
      const seen = new Set<string>();
      const add = (principal: Principal): void => {
        if (seen.has(principal.id)) return;
        seen.add(principal.id);
        all.push(principal);
        const account = awsAccountOf(principal.scopeId) ?? "";
        const list = byAccount.get(account);
        if (list) list.push(principal);
        else byAccount.set(account, [principal]);
      };
      for (const grant of this.inventory.grantsOfPolicy(policyId)) {
        if (grant.provider !== "aws" || !IDENTITY_GRANT_KINDS.has(grant.kind)) continue;
        const principal = this.inventory.principals.get(grant.principalId);
        if (!principal) continue;
        if (principal.kind !== "group") add(principal);
        else for (const member of this.ctx.cache.membersOf(principal.id)) if (member.kind !== "group") add(member);
      }
      return { all, byAccount };
    });
  }

  /**
   * Allow statements that may grant an action, with the principals they reach, bucketed by the
   * service and account their resources name so a per-resource lookup touches few of them.
   * Built once per inventory and action.
   */
  private statementHolders(action: string): HolderIndex {
    return memoIn(this.holderIndexes, action.toLowerCase(), () => {
      const index: HolderIndex = { everywhere: [], byServiceAccount: new Map(), unbucketed: [] };
      for (const policyId of this.policiesThatMayAllow(action)) {
        const policy = this.ctx.cache.policy(policyId);
        if (!policy) continue;
        const statements = policy.allows.filter(
          (stmt) => relateToSet(action, stmt.actions, stmt.notActions, true, "none").relation !== "none",
        );
        if (statements.length === 0) continue;
        const granted = this.principalsGranted(policyId);
        if (granted.all.length === 0) continue;
        for (const stmt of statements) {
          const entry = { stmt, granted };
          if (stmt.notResources || !stmt.resources) {
            (stmt.notResources ? index.unbucketed : index.everywhere).push(entry);
          } else if (stmt.resources.includes("*")) {
            index.everywhere.push(entry);
          } else {
            for (const key of new Set(stmt.resources.map(resourceBucket))) {
              const list = index.byServiceAccount.get(key);
              if (list) list.push(entry);
              else index.byServiceAccount.set(key, [entry]);
            }
          }
        }
      }
      return index;
    });
  }

  /**
   * Principals that hold an identity allow for the request (groups expanded to members), in a
   * deterministic order. Only candidates: `findAccess` then decides each one with denies,
   * boundary and SCPs.
   */
  holdersOf(request: AccessRequest, options: HolderOptions = {}): Principal[] {
    const runs = this.holderRuns(request, options.account);
    if (!runs) return [];
    if (!options.skip && options.limit === undefined) return [...runs.everywhere.principals, ...runs.target];
    const holders: Principal[] = [];
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    for (const list of [runs.everywhere.principals, runs.target]) {
      for (const principal of list) {
        if (options.skip?.(principal.id)) continue;
        holders.push(principal);
        if (holders.length >= limit) return holders;
      }
    }
    return holders;
  }

  /**
   * The holders of `holdersOf` in two runs: those granted on every resource (the same for every
   * target, so kept per inventory, action and account, with their ids as a set), then those
   * granted on the target by name or pattern, found per request.
   */
  holderRuns(request: AccessRequest, account?: string): { everywhere: HolderRun; target: Principal[] } | undefined {
    const action = request.action;
    if (action === undefined) return undefined;
    const targetPatterns: string[] = request.target?.awsPatterns ?? ["*"];
    const index = this.statementHolders(action);
    const everywhere = memoIn(this.everywhereRuns, `${action.toLowerCase()}\u0000${account ?? "*"}`, () => {
      const principals: Principal[] = [];
      const members = new Set<string>();
      for (const entry of index.everywhere) {
        for (const principal of grantedIn(entry.granted, account)) {
          if (members.has(principal.id)) continue;
          members.add(principal.id);
          principals.push(principal);
        }
      }
      return { principals, members };
    });
    const target: Principal[] = [];
    const seen = new Set<string>();
    const checked = new Set<CompiledStatement>();
    const candidates = [...index.unbucketed, ...bucketsFor(index, targetPatterns)];
    for (const { stmt, granted } of candidates) {
      if (checked.has(stmt)) continue;
      checked.add(stmt);
      const reaches = targetPatterns.some((p) => relateToSet(p, stmt.resources, stmt.notResources, false, "all").relation !== "none");
      if (!reaches) continue;
      for (const principal of grantedIn(granted, account)) {
        if (everywhere.members.has(principal.id) || seen.has(principal.id)) continue;
        seen.add(principal.id);
        target.push(principal);
      }
    }
    return { everywhere, target };
  }
}

/** Principals in a run, with their ids as a set (membership without a scan). */
export interface HolderRun {
  principals: readonly Principal[];
  members: ReadonlySet<string>;
}

function grantedIn(granted: GrantedPrincipals, account: string | undefined): readonly Principal[] {
  return account === undefined ? granted.all : (granted.byAccount.get(account) ?? []);
}

interface HolderEntry {
  stmt: CompiledStatement;
  granted: GrantedPrincipals;
}

interface HolderIndex {
  /** Statements whose resources are `*` or absent. */
  everywhere: HolderEntry[];
  /** Keyed by `service|account` of each resource pattern (`*` where that field has a wildcard). */
  byServiceAccount: Map<string, HolderEntry[]>;
  /** NotResource statements: checked for every request. */
  unbucketed: HolderEntry[];
}

function resourceBucket(pattern: string): string {
  if (!pattern.startsWith("arn:")) return "*|*";
  const parts = pattern.split(":");
  const service = parts[2] ?? "*";
  const account = parts[4] ?? "*";
  // A `*` may span colons: a wildcard before a field makes that field's position uncertain.
  if (hasWildcard(parts.slice(0, 3).join(":"))) return "*|*";
  const accountUncertain = hasWildcard(parts[3] ?? "") || hasWildcard(account);
  return `${service}|${accountUncertain ? "*" : account}`;
}

function bucketsFor(index: HolderIndex, targets: readonly string[]): HolderEntry[] {
  const keys = new Set<string>();
  for (const target of targets) {
    if (!target.startsWith("arn:") || hasWildcard(target)) {
      for (const key of index.byServiceAccount.keys()) keys.add(key);
      continue;
    }
    const parts = target.split(":");
    const service = parts[2] ?? "";
    const account = parts[4] ?? "";
    for (const key of [`${service}|${account}`, `${service}|*`, `*|${account}`, "*|*"]) keys.add(key);
  }
  return [...keys].flatMap((key) => index.byServiceAccount.get(key) ?? []);
}

interface GrantedPrincipals {
  all: Principal[];
  byAccount: Map<string, Principal[]>;
}

export interface HolderOptions {
  /** Only principals of this account. */
  account?: string;
  /** At most this many. */
  limit?: number;
  /** Leave these out (already settled by the search). */
  skip?: (principalId: string) => boolean;
}

