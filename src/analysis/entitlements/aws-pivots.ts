/**
 * AWS pivots: role assumption through trust policies, and privilege-escalation edges (PMapper's
 * classics): taking over another user's credentials, rewriting a role's trust, passing a role to
 * compute one can create, and granting oneself policies.
 *
 * Trust rules: a trust policy naming the caller's own ARN (or `*`) in the same account suffices on
 * its own (explicit denies and SCPs still apply). A trust naming the account root, or any
 * cross-account trust, delegates to the caller's identity policies, which must allow
 * sts:AssumeRole on the role. When they do not, the pivot is reported as denied with
 * `missing_caller_permission` and not followed.
 */
import type { Principal, TrustEdge } from "../../model/inventory.js";
import type { QueryContext } from "./context.js";
import { type AwsAccess, awsAccountOf, awsAccountRoot } from "./aws.js";
import { resourceHop } from "./hops.js";
import type { AccessRequest, Finding, PivotEdge, ResourceTarget, Subject } from "./internal.js";
import { wildcardMatch } from "./matching.js";
import { bestOf, isBetter, Verdict } from "./verdict.js";

const ASSUME_ROLE = "sts:AssumeRole";
const USER_TAKEOVER_ACTIONS = ["iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"];
const TRUST_REWRITE_ACTIONS = ["iam:UpdateAssumeRolePolicy"];

/** Service principals a passed role can run under, and the permission that creates such compute. */
const PASS_ROLE_COMPUTE: ReadonlyArray<{ service: string; actions: readonly string[] }> = [
  { service: "lambda.amazonaws.com", actions: ["lambda:CreateFunction"] },
  { service: "ec2.amazonaws.com", actions: ["ec2:RunInstances"] },
  { service: "cloudformation.amazonaws.com", actions: ["cloudformation:CreateStack"] },
  { service: "codebuild.amazonaws.com", actions: ["codebuild:CreateProject"] },
  { service: "glue.amazonaws.com", actions: ["glue:CreateDevEndpoint"] },
];

/** Actions that let a principal change its own permissions. */
const SELF_GRANT_ACTIONS = [
  "iam:AttachUserPolicy",
  "iam:PutUserPolicy",
  "iam:AttachRolePolicy",
  "iam:PutRolePolicy",
  "iam:AttachGroupPolicy",
  "iam:PutGroupPolicy",
  "iam:CreatePolicyVersion",
];

function isUserArn(id: string): boolean {
  return id.startsWith("arn:") && id.includes(":user/");
}

function isRoleArn(id: string): boolean {
  return id.startsWith("arn:") && id.includes(":role/");
}

function literalTarget(id: string): ResourceTarget {
  return { input: id, provider: "aws", id, chain: [], isScope: false, awsPatterns: [id] };
}

type TrustMatch = "exact" | "root" | "any";

export class AwsPivots {
  constructor(
    private readonly ctx: QueryContext,
    private readonly access: AwsAccess,
  ) {}

  private get inventory() {
    return this.ctx.inventory;
  }

  private principalsByAccount(kind: "user" | "role"): Map<string, Principal[]> {
    return this.ctx.cache.memo(`aws:${kind}sByAccount`, () => {
      const map = new Map<string, Principal[]>();
      for (const principal of this.inventory.snapshot.principals) {
        if (principal.provider !== "aws") continue;
        if (kind === "user" ? !isUserArn(principal.id) : !isRoleArn(principal.id)) continue;
        const account = awsAccountOf(principal.id);
        if (!account) continue;
        const list = map.get(account);
        if (list) list.push(principal);
        else map.set(account, [principal]);
      }
      return map;
    });
  }

  private usable(findings: Finding[]): Finding | undefined {
    const best = bestOf(findings);
    return best && best.verdict.outcome !== "denied" ? best : undefined;
  }

  /** The best non-denied finding of a principal for one literal action and resource. */
  private permission(caller: Subject, action: string, resource: string): Finding | undefined {
    return this.usable(this.access.findAccess(caller, { action, target: literalTarget(resource) }));
  }

  // ---- role assumption -------------------------------------------------------------------

  assumeEdge(caller: Principal, edge: TrustEdge, match: TrustMatch): PivotEdge {
    const callerSubject = this.ctx.subjectFor(caller);
    const context = this.access.principalContext(caller);
    const roleArn = edge.to;
    const roleAccount = awsAccountOf(roleArn);
    const sameAccount = roleAccount !== undefined && roleAccount === context.accountId;
    const verdict = new Verdict().justify(edge.id);
    let note = `trust edge ${edge.id} accepts ${edge.from}`;
    if (sameAccount && match !== "root") {
      // The trust policy names the caller: no identity allow needed, but denies and SCPs still apply.
      verdict.absorb(
        this.access.evaluateRequest(context, ASSUME_ROLE, roleArn, {
          boundaryApplies: !isUserArn(caller.id),
          checkResourceAccount: false,
        }),
      );
    } else {
      note += "; the caller's own policies must allow sts:AssumeRole";
      const findings = this.access.findAccess(
        callerSubject,
        { action: ASSUME_ROLE, target: literalTarget(roleArn) },
        { keepAssumeRole: true, checkResourceAccount: false },
      );
      const best = bestOf(findings);
      if (best) {
        verdict.absorb(best.verdict);
      } else {
        verdict.block({
          kind: "missing_caller_permission",
          id: edge.id,
          description: `the trust policy of ${roleArn} accepts ${edge.from}, but no identity policy of ${caller.id} allows sts:AssumeRole on it`,
        });
      }
    }
    verdict.addConditions(edge.id, edge.conditions);
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

  // ---- escalation --------------------------------------------------------------------------

  /** Taking over `target` through one of `actions` (credential creation, trust rewrite). */
  private takeoverEdge(caller: Subject, target: Principal, actions: readonly string[]): PivotEdge | undefined {
    let best: { finding: Finding; action: string } | undefined;
    for (const action of actions) {
      const finding = this.permission(caller, action, target.id);
      if (finding && (!best || isBetter(finding.verdict, best.finding.verdict))) best = { finding, action };
    }
    if (!best) return undefined;
    const to = this.ctx.subjectFor(target);
    return {
      from: caller,
      to,
      hop: {
        type: "escalate",
        id: target.id,
        label: `${best.action} on ${to.label}, then act as it`,
        note: `allowed by ${best.finding.verdict.justification.join(", ")}`,
      },
      action: best.action,
      resource: target.id,
      verdict: best.finding.verdict.clone(),
      privilegeEscalation: true,
      standalone: false,
    };
  }

  private passRoleEdge(caller: Subject, role: Principal, trust: TrustEdge, computeActions: readonly string[]): PivotEdge | undefined {
    let compute: { finding: Finding; action: string } | undefined;
    for (const action of computeActions) {
      const finding = this.usable(this.access.findAccess(caller, { action }));
      if (finding) {
        compute = { finding, action };
        break;
      }
    }
    if (!compute) return undefined;
    const pass = this.permission(caller, "iam:PassRole", role.id);
    if (!pass) return undefined;
    const verdict = new Verdict()
      .justify(trust.id)
      .absorb(pass.verdict)
      .absorb(compute.finding.verdict)
      .addConditions(trust.id, trust.conditions);
    const to = this.ctx.subjectFor(role);
    return {
      from: caller,
      to,
      hop: {
        type: "escalate",
        id: role.id,
        label: `iam:PassRole on ${to.label} with ${compute.action}, then run as it`,
        note: `${role.id} trusts ${trust.from} (trust edge ${trust.id})`,
      },
      action: "iam:PassRole",
      resource: role.id,
      verdict,
      privilegeEscalation: true,
      standalone: false,
    };
  }

  // ---- forward -----------------------------------------------------------------------------

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
    for (const { from, match } of sources) {
      for (const edge of this.inventory.trustEdgesFrom(from)) {
        if (edge.provider !== "aws" || edge.kind !== "assume_role" || edge.to === caller.id) continue;
        edges.push(this.assumeEdge(caller, edge, match));
      }
    }
    edges.push(...this.federationEdgesFrom(subject));
    if (context.accountId) edges.push(...this.escalationEdgesFrom(subject, caller, context.accountId));
    return edges;
  }

  private federationEdgesFrom(subject: Subject): PivotEdge[] {
    return this.inventory
      .trustEdgesFrom(subject.id)
      .filter((e) => e.provider === "aws" && e.kind === "federation")
      .map((e) => this.federationEdge(subject, e));
  }

  private escalationEdgesFrom(subject: Subject, caller: Principal, account: string): PivotEdge[] {
    const edges: PivotEdge[] = [];
    const takeovers: Array<{ actions: readonly string[]; kind: "user" | "role" }> = [
      { actions: USER_TAKEOVER_ACTIONS, kind: "user" },
      { actions: TRUST_REWRITE_ACTIONS, kind: "role" },
    ];
    for (const { actions, kind } of takeovers) {
      // Cheap pre-filter: which resource patterns does the caller hold these actions on at all?
      const patterns = actions.flatMap((action) =>
        this.access
          .findAccess(subject, { action })
          .filter((f) => f.verdict.outcome !== "denied")
          .map((f) => f.resource),
      );
      if (patterns.length === 0) continue;
      for (const target of this.principalsByAccount(kind).get(account) ?? []) {
        if (target.id === caller.id || !patterns.some((p) => wildcardMatch(p, target.id, false))) continue;
        const edge = this.takeoverEdge(subject, target, actions);
        if (edge) edges.push(edge);
        if (edges.length >= this.ctx.limits.maxEdgesPerPrincipal) return this.capped(edges, caller);
      }
    }
    if (this.usable(this.access.findAccess(subject, { action: "iam:PassRole" }))) {
      for (const { service, actions } of PASS_ROLE_COMPUTE) {
        for (const trust of this.inventory.trustEdgesFrom(`service:${service}`)) {
          if (trust.provider !== "aws" || trust.to === caller.id || awsAccountOf(trust.to) !== account) continue;
          const role = this.inventory.principals.get(trust.to);
          if (!role) continue;
          const edge = this.passRoleEdge(subject, role, trust, actions);
          if (edge) edges.push(edge);
          if (edges.length >= this.ctx.limits.maxEdgesPerPrincipal) return this.capped(edges, caller);
        }
      }
    }
    return edges;
  }

  private capped(edges: PivotEdge[], caller: Principal): PivotEdge[] {
    this.ctx.limitReached = true;
    this.ctx.note(
      `${caller.id} has more than ${this.ctx.limits.maxEdgesPerPrincipal} escalation targets; only the first were followed`,
    );
    return edges;
  }

  /** What a principal can reach by granting itself policies: everything its limits allow. */
  selfEscalations(subject: Subject, request: AccessRequest): Finding[] {
    const principal = subject.principal;
    if (!principal || principal.provider !== "aws" || principal.kind === "group") return [];
    const context = this.access.principalContext(principal);
    const candidates: Array<{ action: string; resource: string }> = [];
    if (isUserArn(principal.id)) {
      candidates.push({ action: "iam:AttachUserPolicy", resource: principal.id }, { action: "iam:PutUserPolicy", resource: principal.id });
    }
    if (isRoleArn(principal.id)) {
      candidates.push({ action: "iam:AttachRolePolicy", resource: principal.id }, { action: "iam:PutRolePolicy", resource: principal.id });
    }
    const holders = [principal.id, ...this.ctx.cache.groupsOf(principal.id).map((g) => g.groupId)];
    for (const group of holders.slice(1)) {
      candidates.push({ action: "iam:AttachGroupPolicy", resource: group }, { action: "iam:PutGroupPolicy", resource: group });
    }
    for (const holder of holders) {
      for (const grant of this.inventory.grantsOf(holder)) {
        // AWS-managed policies (account "aws") cannot be versioned by customers.
        if (grant.provider === "aws" && grant.kind === "attachment" && awsAccountOf(grant.policyId)) {
          candidates.push({ action: "iam:CreatePolicyVersion", resource: grant.policyId });
        }
      }
    }
    let enabling: { finding: Finding; action: string; resource: string } | undefined;
    for (const candidate of candidates) {
      const finding = this.permission(subject, candidate.action, candidate.resource);
      if (!finding) continue;
      if (!enabling || isBetter(finding.verdict, enabling.finding.verdict)) enabling = { finding, ...candidate };
      if (enabling.finding.verdict.outcome === "allowed") break;
    }
    if (!enabling) return [];
    const action = request.action ?? "*";
    const target = request.target;
    const resource = target?.awsPatterns?.[0] ?? target?.id ?? "*";
    const shown = target?.input ?? "*";
    const verdict = enabling.finding.verdict.clone();
    // The self-granted policy is an identity allow; denies, boundary and SCPs still bind it.
    verdict.absorb(this.access.evaluateRequest(context, action, resource));
    return [
      {
        action,
        resource: shown,
        hops: [
          ...enabling.finding.hops.slice(0, -1),
          {
            type: "escalate",
            id: principal.id,
            label: `${enabling.action} on ${enabling.resource}: can grant itself any permission`,
          },
          resourceHop(shown),
        ],
        verdict,
        privilegeEscalation: true,
      },
    ];
  }

  // ---- reverse -----------------------------------------------------------------------------

  edgesTo(target: Subject): PivotEdge[] {
    const principal = target.principal;
    if (!principal || principal.provider !== "aws") return [];
    const edges: PivotEdge[] = [];
    const account = awsAccountOf(principal.id);
    if (isRoleArn(principal.id)) {
      for (const edge of this.inventory.trustEdgesTo(principal.id)) {
        if (edge.provider !== "aws") continue;
        if (edge.kind === "federation") {
          edges.push(this.federationEdge(this.ctx.subjectForId(edge.from, "aws"), edge));
        } else if (edge.kind === "assume_role" && !edge.from.startsWith("service:")) {
          edges.push(...this.assumeEdgesTo(principal, edge));
        }
      }
      for (const caller of this.sameAccountHolders(TRUST_REWRITE_ACTIONS, principal.id, account)) {
        const edge = this.takeoverEdge(this.ctx.subjectFor(caller), principal, TRUST_REWRITE_ACTIONS);
        if (edge) edges.push(edge);
      }
      for (const { service, actions } of PASS_ROLE_COMPUTE) {
        const trust = this.inventory.trustEdgesTo(principal.id).find((e) => e.provider === "aws" && e.from === `service:${service}`);
        if (!trust) continue;
        for (const caller of this.sameAccountHolders(["iam:PassRole"], principal.id, account)) {
          const edge = this.passRoleEdge(this.ctx.subjectFor(caller), principal, trust, actions);
          if (edge) edges.push(edge);
        }
      }
    }
    if (isUserArn(principal.id)) {
      for (const caller of this.sameAccountHolders(USER_TAKEOVER_ACTIONS, principal.id, account)) {
        const edge = this.takeoverEdge(this.ctx.subjectFor(caller), principal, USER_TAKEOVER_ACTIONS);
        if (edge) edges.push(edge);
      }
    }
    return edges;
  }

  private assumeEdgesTo(role: Principal, edge: TrustEdge): PivotEdge[] {
    const from = edge.from;
    const rootAccount = from.endsWith(":root") ? awsAccountOf(from) : /^\d{12}$/.test(from) ? from : undefined;
    if (from === "*" || rootAccount) {
      const edges: PivotEdge[] = [];
      const callers = this.access
        .holdersOf({ action: ASSUME_ROLE, target: literalTarget(role.id) })
        .filter((c) => c.id !== role.id && (from === "*" || awsAccountOf(c.scopeId) === rootAccount));
      for (const caller of callers) {
        edges.push(this.assumeEdge(caller, edge, from === "*" ? "any" : "root"));
      }
      if (from === "*") {
        edges.push(this.outsiderEdge(edge, `the trust policy of ${role.id} accepts any AWS principal (*); callers outside the inventory cannot be evaluated`));
      } else if (rootAccount && !this.inventory.scopes.has(`aws:account/${rootAccount}`)) {
        edges.push(this.outsiderEdge(edge, `account ${rootAccount} is not in the inventory, so which of its principals may assume ${role.id} is unknown`));
      }
      return edges;
    }
    const caller = this.inventory.principals.get(from);
    if (caller) return [this.assumeEdge(caller, edge, "exact")];
    return [this.outsiderEdge(edge, `${from} is not in the inventory, so its own permissions cannot be evaluated`)];
  }

  private sameAccountHolders(actions: readonly string[], resource: string, account: string | undefined): Principal[] {
    const seen = new Set<string>();
    const holders: Principal[] = [];
    for (const action of actions) {
      for (const holder of this.access.holdersOf({ action, target: literalTarget(resource) })) {
        if (seen.has(holder.id) || holder.id === resource || awsAccountOf(holder.scopeId) !== account) continue;
        seen.add(holder.id);
        holders.push(holder);
      }
    }
    return holders;
  }

  /** Reverse queries: principals that might grant themselves anything. */
  selfEscalationHolders(): Principal[] {
    const seen = new Set<string>();
    const holders: Principal[] = [];
    for (const action of SELF_GRANT_ACTIONS) {
      for (const holder of this.access.holdersOf({ action })) {
        if (seen.has(holder.id)) continue;
        seen.add(holder.id);
        holders.push(holder);
      }
    }
    return holders;
  }
}
