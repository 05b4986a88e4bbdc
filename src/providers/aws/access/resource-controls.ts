/**
 * Resource control policies (RCPs): Organizations policies that cap what the resources of the
 * accounts below them allow, whoever asks, like SCPs do for principals
 * (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html).
 * They apply at every hop on a resource of an account under them, `sts:AssumeRole` on a role
 * included: an explicit Deny blocks, and each level that has RCPs attached must allow (the default
 * RCPFullAWSAccess allows everything). Conditions on who asks are decided from the caller's facts.
 */
import type { CompiledStatement, QueryContext } from "../../../analysis/entitlements/context.js";
import { memoIn } from "../../../analysis/entitlements/context.js";
import type { Verdict } from "../../../analysis/entitlements/verdict.js";
import { awsAccountOf } from "../ids.js";
import { awsStatementRelation } from "./evaluator-relation.js";
import type { OpenCondition } from "../../../analysis/entitlements/types.js";
import { conditionsImply, type RequestFacts, resourceStatementFor, withResource } from "./request-facts.js";

interface RcpLevel {
  scopeId: string;
  allows: readonly CompiledStatement[];
  denies: readonly CompiledStatement[];
}

const NO_LEVELS: readonly RcpLevel[] = [];

function appliesTo(stmt: CompiledStatement, callerId: string): boolean {
  const principals = stmt.statement.principals;
  if (principals) return principals.includes("*") || principals.includes(callerId);
  const except = stmt.statement.exceptPrincipals;
  return except ? !except.includes(callerId) : true;
}

export class AwsResourceControls {
  private readonly levelsByAccount: Map<string, readonly RcpLevel[]>;

  constructor(private readonly ctx: QueryContext) {
    this.levelsByAccount = ctx.cache.table("aws:rcpLevels");
  }

  private any(): boolean {
    return this.ctx.cache.memo("aws:hasRcps", () => this.ctx.inventory.snapshot.policies.some((p) => p.provider === "aws" && p.kind === "rcp"));
  }

  private levels(account: string): readonly RcpLevel[] {
    return memoIn(this.levelsByAccount, account, () => {
      const levels: RcpLevel[] = [];
      for (const scope of this.ctx.inventory.scopeChain(`aws:account/${account}`)) {
        const rcps = this.ctx.inventory.policiesAttachedToScope(scope.id).filter((p) => p.provider === "aws" && p.kind === "rcp");
        if (rcps.length === 0) continue;
        const compiled = rcps.flatMap((p) => {
          const policy = this.ctx.cache.policy(p.id);
          return policy ? [policy] : [];
        });
        levels.push({ scopeId: scope.id, allows: compiled.flatMap((p) => p.allows), denies: compiled.flatMap((p) => p.denies) });
      }
      return levels.length > 0 ? levels : NO_LEVELS;
    });
  }

  /** Every RCP statement over an account (what the resource side of its requests may read of a caller). */
  statementsOver(account: string): CompiledStatement[] {
    if (!this.any()) return [];
    return this.levels(account).flatMap((level) => [...level.denies, ...level.allows]);
  }

  /** Applies the RCPs over the resource's account to one request of a caller. */
  apply(
    verdict: Verdict,
    caller: { id: string; facts: RequestFacts },
    action: string,
    resource: string,
    resourceAccount = awsAccountOf(resource),
    grantConditions: readonly OpenCondition[] = [],
    resourceTags?: Readonly<Record<string, string>>,
  ): void {
    if (!this.any() || resourceAccount === undefined) return;
    const levels = this.levels(resourceAccount);
    if (levels.length === 0) return;
    const facts = withResource(caller.facts, resource, resourceAccount, resourceTags);
    // Policy variables in an RCP's Resource element are the caller's (${aws:PrincipalTag/team}).
    const principal = this.ctx.inventory.principals.get(caller.id);
    for (const level of levels) {
      for (const stmt of level.denies) {
        if (!appliesTo(stmt, caller.id)) continue;
        const own = resourceStatementFor(stmt, facts, principal);
        if (!own || awsStatementRelation(own.stmt, action, resource) !== "full") continue;
        const open = own.conditions;
        if (open.length > 0 && !conditionsImply(grantConditions, open)) {
          verdict.addConditions(stmt.key, open);
          verdict.note(`${stmt.key} (RCP) denies this when its condition holds`);
          continue;
        }
        verdict.justify(stmt.key);
        verdict.block({ kind: "rcp", id: stmt.key, description: `${stmt.key} (resource control policy at ${level.scopeId}) denies ${action} on ${resource}` });
      }
      let conditional: { key: string; open: readonly OpenCondition[] } | undefined;
      let allowed = false;
      for (const stmt of level.allows) {
        if (!appliesTo(stmt, caller.id)) continue;
        const own = resourceStatementFor(stmt, facts, principal);
        if (!own || awsStatementRelation(own.stmt, action, resource) !== "full") continue;
        const open = own.conditions;
        if (open.length === 0) {
          allowed = true;
          break;
        }
        conditional ??= { key: stmt.key, open };
      }
      if (allowed) continue;
      if (conditional) verdict.justify(conditional.key).addConditions(conditional.key, conditional.open);
      else verdict.block({ kind: "rcp", id: level.scopeId, description: `the RCPs attached at ${level.scopeId} do not allow ${action} on ${resource}` });
    }
  }
}
