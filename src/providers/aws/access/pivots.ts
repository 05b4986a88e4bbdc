/**
 * AWS pivots between principals: role assumption through trust policies and federation, plus the
 * escalation edges of `aws-escalation.ts`.
 *
 * Trust rules: a trust policy naming the caller's own ARN (or `*`) in the same account suffices on
 * its own (explicit denies and SCPs still apply). A trust naming the account root, or any
 * cross-account trust, delegates to the caller's identity policies, which must allow
 * sts:AssumeRole on the role. When they do not, the pivot is reported as denied with
 * `missing_caller_permission` and not followed.
 */
import type { Principal, TrustEdge } from "../../../model/inventory.js";
import { type AwsAccess, literalAwsTarget } from "./evaluator.js";
import { awsAccountOf, awsAccountRoot, isAwsUserArn } from "../ids.js";
import type { AwsEscalations } from "../escalation.js";
import type { AwsHolders } from "./holders.js";
import type { QueryContext } from "../../../analysis/entitlements/context.js";
import { remainingConditions, withResource } from "./request-facts.js";
import { applyTrustDenies } from "./trust-denies.js";
import type { AccessRequest, Finding, PivotEdge, Subject } from "../../../analysis/entitlements/internal.js";
import { wildcardMatch } from "../../../analysis/entitlements/matching.js";
import { bestOf, Verdict } from "../../../analysis/entitlements/verdict.js";

const ASSUME_ROLE = "sts:AssumeRole";

type TrustMatch = "exact" | "root" | "any";

export class AwsPivots {
  constructor(
    private readonly ctx: QueryContext,
    private readonly access: AwsAccess,
    private readonly holders: AwsHolders,
    private readonly escalations: AwsEscalations,
  ) {}

  private get inventory() {
    return this.ctx.inventory;
  }

  // ---- role assumption -------------------------------------------------------------------

  /**
   * The assume-role pivot of `caller` over one trust edge. `assumable` (the resource patterns the
   * caller's policies allow sts:AssumeRole on) lets a missing permission be decided without a
   * precise evaluation. Undefined once the pivot budget is spent.
   */
  assumeEdge(caller: Principal, edge: TrustEdge, match: TrustMatch, assumable?: readonly string[]): PivotEdge | undefined {
    const callerSubject = this.ctx.subjectFor(caller);
    const context = this.access.principalContext(caller);
    const roleArn = edge.to;
    const roleAccount = awsAccountOf(roleArn);
    const sameAccount = roleAccount !== undefined && roleAccount === context.accountId;
    const verdict = new Verdict().justify(edge.id);
    let note = `trust edge ${edge.id} accepts ${edge.from}`;
    // The trust statement's conditions on who asks (aws:PrincipalArn, aws:PrincipalOrgID, tags...)
    // are decided by the caller; one that fails means the trust policy does not accept it.
    const trustConditions = remainingConditions(edge.conditions ?? [], withResource(context.facts, roleArn));
    if (trustConditions === undefined) {
      verdict.block({
        kind: "missing_trust",
        id: edge.id,
        description: `the conditions of trust edge ${edge.id} exclude ${caller.id}`,
      });
    }
    const missing = () =>
      verdict.block({
        kind: "missing_caller_permission",
        id: edge.id,
        description: `the trust policy of ${roleArn} accepts ${edge.from}, but no identity policy of ${caller.id} allows sts:AssumeRole on it`,
      });
    if (sameAccount && match !== "root") {
      if (!this.ctx.spendPivotEvaluation()) return undefined;
      // The trust policy names the caller: no identity allow needed, but denies and SCPs still apply.
      verdict.absorb(
        this.access.evaluateRequest(context, ASSUME_ROLE, roleArn, {
          boundaryApplies: !isAwsUserArn(caller.id),
          checkResourceAccount: false,
        }),
      );
    } else {
      note += "; the caller's own policies must allow sts:AssumeRole";
      if (assumable && !assumable.some((p) => wildcardMatch(p, roleArn, false))) {
        missing();
      } else {
        if (!this.ctx.spendPivotEvaluation()) return undefined;
        const best = bestOf(
          this.access.findAccess(
            callerSubject,
            { action: ASSUME_ROLE, target: literalAwsTarget(roleArn) },
            { keepAssumeRole: true, checkResourceAccount: false },
          ),
        );
        if (best) verdict.absorb(best.verdict);
        else missing();
      }
    }
    verdict.addConditions(edge.id, trustConditions ?? []);
    applyTrustDenies(this.inventory, verdict, roleArn, ASSUME_ROLE, { id: caller.id, accountId: context.accountId, facts: context.facts });
    const to = this.ctx.subjectForId(roleArn, "aws");
    return {
      from: callerSubject,
      to,
      hop: { type: "assume_role", id: roleArn, label: `assume ${to.label}`, note },
      action: ASSUME_ROLE,
      resource: roleArn,
      verdict,
      privilegeEscalation: false,
      standalone: true,
    };
  }

  private federationEdge(from: Subject, edge: TrustEdge): PivotEdge {
    const to = this.ctx.subjectForId(edge.to, "aws");
    const verdict = new Verdict().justify(edge.id).addConditions(edge.id, edge.conditions);
    applyTrustDenies(this.inventory, verdict, edge.to, "sts:AssumeRoleWithWebIdentity", { id: from.id, accountId: undefined, facts: new Map() });
    const account = awsAccountOf(edge.to);
    const scopes = account ? this.inventory.scopeChain(`aws:account/${account}`).map((s) => s.id) : [];
    for (const reason of this.ctx.gapReasons("aws", scopes)) verdict.unknown(reason);
    return {
      from,
      to,
      hop: { type: "federate", id: edge.to, label: `federate into ${to.label}`, note: `trust edge ${edge.id}` },
      action: "sts:AssumeRoleWithWebIdentity",
      resource: edge.to,
      verdict,
      privilegeEscalation: false,
      standalone: true,
    };
  }

  /** An edge from someone the inventory cannot evaluate (outside account, `*`). */
  private outsiderEdge(edge: TrustEdge, reason: string): PivotEdge {
    const from = this.ctx.subjectForId(edge.from, "aws");
    const to = this.ctx.subjectForId(edge.to, "aws");
    const verdict = new Verdict().justify(edge.id).addConditions(edge.id, edge.conditions).unknown(reason);
    return {
      from,
      to,
      hop: { type: "assume_role", id: edge.to, label: `assume ${to.label}`, note: `trust edge ${edge.id}` },
      action: ASSUME_ROLE,
      resource: edge.to,
      verdict,
      privilegeEscalation: false,
      standalone: true,
    };
  }

  // ---- forward -----------------------------------------------------------------------------

  /** Does any identity allow of the principal list one of these actions? (a cheap gate) */
  private mayAllowAny(caller: Principal, actions: readonly string[]): boolean {
    const context = this.access.principalContext(caller);
    return actions.some((action) => this.access.listsAction(context, action));
  }

  edgesFrom(subject: Subject): PivotEdge[] {
    const caller = subject.principal;
    if (!caller || caller.provider !== "aws" || caller.kind === "group") {
      return this.federationEdgesFrom(subject);
    }
    const context = this.access.principalContext(caller);
    const edges: PivotEdge[] = [];
    const sources: Array<{ from: string; match: TrustMatch }> = [{ from: caller.id, match: "exact" }, { from: "*", match: "any" }];
    if (context.accountId) {
      sources.push({ from: awsAccountRoot(context.accountId, context.partition), match: "root" });
      sources.push({ from: context.accountId, match: "root" });
    }
    const assumable = this.mayAllowAny(caller, [ASSUME_ROLE])
      ? this.access
          .findAccess(subject, { action: ASSUME_ROLE }, { keepAssumeRole: true, checkResourceAccount: false })
          .map((f) => f.resource)
      : [];
    for (const { from, match } of sources) {
      for (const edge of this.inventory.trustEdgesFrom(from)) {
        if (edge.provider !== "aws" || edge.kind !== "assume_role" || edge.to === caller.id) continue;
        const pivot = this.assumeEdge(caller, edge, match, assumable);
        if (!pivot) return edges;
        edges.push(pivot);
      }
    }
    edges.push(...this.federationEdgesFrom(subject));
    edges.push(...this.escalations.edgesFrom(subject));
    return edges;
  }

  private federationEdgesFrom(subject: Subject): PivotEdge[] {
    return this.inventory
      .trustEdgesFrom(subject.id)
      .filter((e) => e.provider === "aws" && e.kind === "federation")
      .map((e) => this.federationEdge(subject, e));
  }

  selfEscalations(subject: Subject, request: AccessRequest): Finding[] {
    return this.escalations.selfEscalations(subject, request);
  }

  // ---- reverse -----------------------------------------------------------------------------

  edgesTo(target: Subject, skip?: (callerId: string) => boolean): PivotEdge[] {
    const principal = target.principal;
    if (!principal || principal.provider !== "aws") return [];
    const edges: PivotEdge[] = [];
    for (const edge of this.inventory.trustEdgesTo(principal.id)) {
      if (edge.provider !== "aws") continue;
      if (edge.kind === "federation") {
        if (!skip?.(edge.from)) edges.push(this.federationEdge(this.ctx.subjectForId(edge.from, "aws"), edge));
      } else if (edge.kind === "assume_role" && !edge.from.startsWith("service:")) {
        for (const pivot of this.assumeEdgesTo(principal, edge, skip)) {
          if (!pivot) return edges;
          edges.push(pivot);
        }
      }
    }
    if (this.ctx.pivotBudgetSpent) return edges;
    return [...edges, ...this.escalations.edgesTo(target, skip)];
  }

  private assumeEdgesTo(role: Principal, edge: TrustEdge, skip?: (callerId: string) => boolean): Array<PivotEdge | undefined> {
    const from = edge.from;
    const rootAccount = from.endsWith(":root") ? awsAccountOf(from) : /^\d{12}$/.test(from) ? from : undefined;
    if (from === "*" || rootAccount) {
      const callers = this.holders.holdersOf(
        { action: ASSUME_ROLE, target: literalAwsTarget(role.id) },
        {
          ...(rootAccount ? { account: rootAccount } : {}),
          limit: this.ctx.limits.maxEdgesPerPrincipal,
          skip: (id) => id === role.id || (skip?.(id) ?? false),
        },
      );
      this.ctx.noteIfCapped(callers.length, role.id);
      const edges = callers.map((caller) => this.assumeEdge(caller, edge, from === "*" ? "any" : "root"));
      if (from === "*") {
        edges.push(this.outsiderEdge(edge, `the trust policy of ${role.id} accepts any AWS principal (*); callers outside the inventory cannot be evaluated`));
      } else if (rootAccount && !this.inventory.scopes.has(`aws:account/${rootAccount}`)) {
        edges.push(this.outsiderEdge(edge, `account ${rootAccount} is not in the inventory, so which of its principals may assume ${role.id} is unknown`));
      }
      return edges;
    }
    if (skip?.(from)) return [];
    const caller = this.inventory.principals.get(from);
    if (caller) return [this.assumeEdge(caller, edge, "exact")];
    return [this.outsiderEdge(edge, `${from} is not in the inventory, so its own permissions cannot be evaluated`)];
  }
}
