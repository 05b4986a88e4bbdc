/**
 * AWS privilege-escalation edges (PMapper's classics): taking over another user's credentials
 * (iam:CreateAccessKey, Create/UpdateLoginProfile), rewriting a role's trust
 * (iam:UpdateAssumeRolePolicy), passing a role that trusts a compute service to compute one can
 * create (iam:PassRole + lambda:CreateFunction, ec2:RunInstances, ...), and granting oneself
 * policies (iam:Attach/Put*Policy on itself, iam:CreatePolicyVersion on an attached policy).
 * IAM is per account: takeovers only target principals of the caller's own account.
 */
import type { Principal, TrustEdge } from "../../model/inventory.js";
import { type AwsAccess, literalAwsTarget } from "./access/evaluator.js";
import { awsAccountOf, isAwsRoleArn, isAwsUserArn } from "./ids.js";
import type { AwsHolders } from "./access/holders.js";
import { revivedByTakeover } from "./access/inactive-users.js";
import type { QueryContext } from "../../analysis/entitlements/context.js";
import type { Hop } from "../../analysis/entitlements/types.js";
import type { AccessRequest, Finding, PivotEdge, Subject } from "../../analysis/entitlements/internal.js";
import { wildcardMatch } from "../../analysis/entitlements/matching.js";
import { bestOf, isBetter, Verdict } from "../../analysis/entitlements/verdict.js";
import { edgesByRules, type EscalationRule } from "../../analysis/entitlements/escalation-rules.js";

const CREATE_ACCESS_KEY = "iam:CreateAccessKey";
const USER_TAKEOVER_ACTIONS = [CREATE_ACCESS_KEY, "iam:CreateLoginProfile", "iam:UpdateLoginProfile"];
/** IAM's quota of access keys per user. */
const MAX_ACCESS_KEYS = 2;
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

type AwsEscalationRule = EscalationRule<AwsEscalations>;

/** The permission a principal would grant itself policies with. */
interface SelfGrantPermission {
  finding: Finding;
  action: string;
  resource: string;
  /** Memo: the hops of a self-grant path up to the escalation (the finding's without its resource, then the grant itself). */
  escalationHops?: readonly Hop[];
}

/** Taking over another principal of the caller's account by acting on it with one of `actions`. */
function takeoverRule(id: string, technique: string, actions: readonly string[], kind: "user" | "role"): AwsEscalationRule {
  const isKind = kind === "user" ? isAwsUserArn : isAwsRoleArn;
  return {
    id,
    technique,
    edgesFrom(subject, env, sink) {
      const caller = subject.principal;
      const account = caller && env.accountOf(caller);
      if (!caller || !account || !env.mayAllowAny(caller, actions)) return;
      // Which resource patterns does the caller hold these actions on at all?
      const patterns = actions.flatMap((action) =>
        env.access
          .findAccess(subject, { action })
          .filter((f) => f.verdict.outcome !== "denied")
          .map((f) => f.resource),
      );
      if (patterns.length === 0) return;
      for (const target of env.principalsByAccount(kind).get(account) ?? []) {
        if (target.id === caller.id || !patterns.some((p) => wildcardMatch(p, target.id, false))) continue;
        if (!sink.push(env.takeoverEdge(subject, target, actions))) return;
      }
    },
    edgesTo(target, env, sink, skip) {
      const principal = target.principal;
      if (!principal || !isKind(principal.id)) return;
      for (const caller of env.sameAccountHolders(actions, principal, awsAccountOf(principal.id), skip)) {
        if (!sink.push(env.takeoverEdge(env.ctx.subjectFor(caller), principal, actions))) return;
      }
    },
  };
}

/** The AWS escalation techniques, in the order their edges are reported. */
export const AWS_ESCALATION_RULES: readonly AwsEscalationRule[] = [
  takeoverRule(
    "aws.user-credential-takeover",
    "Create an access key or a console password for another user of the account (iam:CreateAccessKey, iam:CreateLoginProfile, iam:UpdateLoginProfile), then act as that user.",
    USER_TAKEOVER_ACTIONS,
    "user",
  ),
  takeoverRule(
    "aws.trust-policy-rewrite",
    "Rewrite another role's trust policy (iam:UpdateAssumeRolePolicy) to trust oneself, then assume it.",
    TRUST_REWRITE_ACTIONS,
    "role",
  ),
  {
    id: "aws.pass-role-to-compute",
    technique:
      "Pass a role that trusts a compute service (iam:PassRole) to compute one can create (lambda:CreateFunction, ec2:RunInstances, cloudformation:CreateStack, codebuild:CreateProject, glue:CreateDevEndpoint), then run as it.",
    edgesFrom(subject, env, sink) {
      const caller = subject.principal;
      const account = caller && env.accountOf(caller);
      if (!caller || !account) return;
      const computeActions = PASS_ROLE_COMPUTE.flatMap((c) => c.actions);
      if (!env.mayAllowAny(caller, ["iam:PassRole"]) || !env.mayAllowAny(caller, computeActions)) return;
      if (!env.usable(env.access.findAccess(subject, { action: "iam:PassRole" }))) return;
      for (const { service, actions } of PASS_ROLE_COMPUTE) {
        for (const trust of env.ctx.inventory.trustEdgesFrom(`service:${service}`)) {
          if (trust.provider !== "aws" || trust.to === caller.id || awsAccountOf(trust.to) !== account) continue;
          const role = env.ctx.inventory.principals.get(trust.to);
          if (!role) continue;
          if (!sink.push(env.passRoleEdge(subject, role, trust, actions))) return;
        }
      }
    },
    edgesTo(target, env, sink, skip) {
      const principal = target.principal;
      if (!principal || !isAwsRoleArn(principal.id)) return;
      for (const { service, actions } of PASS_ROLE_COMPUTE) {
        const trust = env.ctx.inventory.trustEdgesTo(principal.id).find((e) => e.provider === "aws" && e.from === `service:${service}`);
        if (!trust) continue;
        for (const caller of env.sameAccountHolders(["iam:PassRole"], principal, awsAccountOf(principal.id), skip)) {
          if (!sink.push(env.passRoleEdge(env.ctx.subjectFor(caller), principal, trust, actions))) return;
        }
      }
    },
  },
  {
    id: "aws.self-grant-policy",
    technique:
      "Attach or write a policy on oneself or one's groups (iam:Attach*Policy, iam:Put*Policy) or a new version of a policy attached to oneself (iam:CreatePolicyVersion): anything the account's limits allow.",
    selfEscalations: (subject, request, env) => env.selfGrant(subject, request),
    selfEscalationHolders: (_request, env) => env.selfEscalationSubjects(),
  },
];

/**
 * What the AWS rules work with: the query's access evaluator and holder index, and the helpers
 * the techniques share (precise permission checks, edge construction, same-account holders).
 */
export class AwsEscalations {
  constructor(
    readonly ctx: QueryContext,
    readonly access: AwsAccess,
    private readonly holders: AwsHolders,
    private readonly rules: readonly AwsEscalationRule[] = AWS_ESCALATION_RULES,
  ) {}

  private get inventory() {
    return this.ctx.inventory;
  }

  /** The account a caller acts in; IAM is per account, so takeovers stay inside it. */
  accountOf(caller: Principal): string | undefined {
    if (caller.provider !== "aws" || caller.kind === "group") return undefined;
    return this.access.principalContext(caller).accountId;
  }

  principalsByAccount(kind: "user" | "role"): Map<string, Principal[]> {
    return this.ctx.cache.memo(`aws:${kind}sByAccount`, () => {
      const map = new Map<string, Principal[]>();
      for (const principal of this.inventory.snapshot.principals) {
        if (principal.provider !== "aws") continue;
        if (kind === "user" ? !isAwsUserArn(principal.id) : !isAwsRoleArn(principal.id)) continue;
        const account = awsAccountOf(principal.id);
        if (!account) continue;
        const list = map.get(account);
        if (list) list.push(principal);
        else map.set(account, [principal]);
      }
      return map;
    });
  }

  usable(findings: Finding[]): Finding | undefined {
    const best = bestOf(findings);
    return best && best.verdict.outcome !== "denied" ? best : undefined;
  }

  /** The best non-denied finding of a principal for one literal action and resource. */
  permission(caller: Subject, action: string, resource: string): Finding | undefined {
    const principal = caller.principal;
    if (!principal || !this.access.mayAllow(this.access.principalContext(principal), action, resource)) return undefined;
    return this.usable(this.access.findAccess(caller, { action, target: literalAwsTarget(resource) }));
  }

  /** Does any identity allow of the principal list one of these actions? (a cheap gate) */
  mayAllowAny(caller: Principal, actions: readonly string[]): boolean {
    const context = this.access.principalContext(caller);
    return actions.some((action) => this.access.listsAction(context, action));
  }

  /**
   * IAM allows two access keys per user (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html),
   * inactive ones included: a user who already has two takes a new one only after one is deleted,
   * so the caller also needs iam:DeleteAccessKey on it (PMapper checks the same).
   */
  private withRoomForKey(caller: Subject, target: Principal, create: Finding): Finding | undefined {
    const keys = this.ctx.inventory.credentialsOf(target.id).filter((c) => c.kind === "access_key").length;
    if (keys < MAX_ACCESS_KEYS) return create;
    const deletion = this.permission(caller, "iam:DeleteAccessKey", target.id);
    if (!deletion) return undefined;
    const verdict = create.verdict.clone().absorb(deletion.verdict);
    verdict.note(`${target.id} already has ${keys} access keys: one must be deleted first (iam:DeleteAccessKey)`);
    return { ...create, verdict };
  }

  /** Taking over `target` through one of `actions` (credential creation, trust rewrite). */
  takeoverEdge(caller: Subject, target: Principal, actions: readonly string[]): PivotEdge | undefined {
    if (!this.ctx.spendPivotEvaluation()) return undefined;
    let best: { finding: Finding; action: string } | undefined;
    for (const action of actions) {
      let finding = this.permission(caller, action, target.id);
      if (finding && action === CREATE_ACCESS_KEY) finding = this.withRoomForKey(caller, target, finding);
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
        note: [`allowed by ${best.finding.verdict.justification.join(", ")}`, revivedByTakeover(this.inventory, target)].filter((part) => part !== undefined).join("; "),
      },
      action: best.action,
      resource: target.id,
      verdict: best.finding.verdict.clone(),
      privilegeEscalation: true,
      standalone: false,
    };
  }

  passRoleEdge(caller: Subject, role: Principal, trust: TrustEdge, computeActions: readonly string[]): PivotEdge | undefined {
    if (!this.ctx.spendPivotEvaluation()) return undefined;
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

  /** Escalation pivots out of a principal: whom it could take over or run as. */
  edgesFrom(subject: Subject): PivotEdge[] {
    const caller = subject.principal;
    if (!caller || !this.accountOf(caller)) return [];
    const max = this.ctx.limits.maxEdgesPerPrincipal;
    const { edges, stopped } = edgesByRules(
      this.rules,
      (rule, sink) => rule.edgesFrom?.(subject, this, sink),
      (found) => !this.ctx.pivotBudgetSpent && found.length < max,
    );
    return stopped ? this.capped(edges, caller) : edges;
  }

  private capped(edges: PivotEdge[], caller: Principal): PivotEdge[] {
    this.ctx.limitReached = true;
    if (edges.length >= this.ctx.limits.maxEdgesPerPrincipal) {
      this.ctx.note(`${caller.id} has more than ${this.ctx.limits.maxEdgesPerPrincipal} escalation targets; only the first were followed`);
    }
    return edges;
  }

  /** Access a subject can grant itself, by every rule that knows how (a reverse question asks this of every candidate). */
  selfEscalations(subject: Subject, request: AccessRequest): Finding[] {
    const findings: Finding[] = [];
    for (const rule of this.rules) {
      if (!rule.selfEscalations) continue;
      for (const finding of rule.selfEscalations(subject, request, this)) findings.push(finding);
    }
    return findings;
  }

  /** What a principal can reach by granting itself policies: everything its limits allow. */
  selfGrant(subject: Subject, request: AccessRequest): Finding[] {
    const principal = subject.principal;
    if (!principal || principal.provider !== "aws" || principal.kind === "group") return [];
    const enabling = this.selfGrantPermission(subject, principal);
    if (!enabling) return [];
    const context = this.access.principalContext(principal);
    const action = request.action ?? "*";
    const target = request.target;
    const resource = target?.awsPatterns?.[0] ?? target?.id ?? "*";
    const shown = target?.input ?? "*";
    const verdict = enabling.finding.verdict.clone();
    // The self-granted policy is an identity allow; denies, boundary and SCPs still bind it.
    verdict.absorbShared(this.access.evaluateRequest(context, action, resource, { presumeIdentityAllow: true }));
    return [
      {
        action,
        resource: shown,
        hops: [...this.escalationHops(enabling, principal), this.access.resourceHopOf(shown)],
        verdict,
        privilegeEscalation: true,
      },
    ];
  }

  private escalationHops(enabling: SelfGrantPermission, principal: Principal): readonly Hop[] {
    enabling.escalationHops ??= [
      ...enabling.finding.hops.slice(0, -1),
      { type: "escalate", id: principal.id, label: `${enabling.action} on ${enabling.resource}: can grant itself any permission` },
    ];
    return enabling.escalationHops;
  }

  /**
   * The permission that lets a principal grant itself policies, the best one first. It depends on
   * the principal alone, not on the question, so it is found once per inventory (with the notes
   * finding it made, said again whenever it is reused); never changed once found.
   */
  private selfGrantPermission(subject: Subject, principal: Principal): SelfGrantPermission | undefined {
    if (!this.ctx.shareEvaluations) return this.findSelfGrantPermission(subject, principal);
    const table = this.ctx.cache.table<string, { value: SelfGrantPermission | undefined; notes: string[] }>("aws:selfGrantPermission");
    let known = table.get(principal.id);
    if (!known) {
      known = this.ctx.recordingNotes(() => this.findSelfGrantPermission(subject, principal));
      table.set(principal.id, known);
    }
    for (const note of known.notes) this.ctx.note(note);
    return known.value;
  }

  private findSelfGrantPermission(subject: Subject, principal: Principal): SelfGrantPermission | undefined {
    if (!this.mayAllowAny(principal, SELF_GRANT_ACTIONS)) return undefined;
    const candidates: Array<{ action: string; resource: string }> = [];
    if (isAwsUserArn(principal.id)) {
      candidates.push({ action: "iam:AttachUserPolicy", resource: principal.id }, { action: "iam:PutUserPolicy", resource: principal.id });
    }
    if (isAwsRoleArn(principal.id)) {
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
    let enabling: SelfGrantPermission | undefined;
    for (const candidate of candidates) {
      const finding = this.permission(subject, candidate.action, candidate.resource);
      if (!finding) continue;
      if (!enabling || isBetter(finding.verdict, enabling.finding.verdict)) enabling = { finding, ...candidate };
      if (enabling.finding.verdict.outcome === "allowed") break;
    }
    return enabling;
  }

  /** Escalation pivots into a principal: who could take it over. */
  edgesTo(target: Subject, skip?: (callerId: string) => boolean): PivotEdge[] {
    const principal = target.principal;
    if (!principal || principal.provider !== "aws") return [];
    return edgesByRules(
      this.rules,
      (rule, sink) => rule.edgesTo?.(target, this, sink, skip),
      () => !this.ctx.pivotBudgetSpent,
    ).edges;
  }

  /** Reverse queries: subjects that might grant themselves the access asked about, by every rule. */
  escalationHolders(request: AccessRequest): readonly Subject[] {
    const lists = this.rules.flatMap((rule) => (rule.selfEscalationHolders ? [rule.selfEscalationHolders(request, this)] : []));
    // One rule's list is passed on as it is (it is kept per inventory), so what is derived from it can be too.
    return lists.length === 1 ? (lists[0] ?? []) : lists.flat();
  }

  sameAccountHolders(
    actions: readonly string[],
    target: Principal,
    account: string | undefined,
    skip?: (callerId: string) => boolean,
  ): Principal[] {
    if (account === undefined) return [];
    const seen = new Set<string>();
    const holders: Principal[] = [];
    for (const action of actions) {
      const found = this.holders.holdersOf(
        { action, target: literalAwsTarget(target.id) },
        { account, limit: this.ctx.limits.maxEdgesPerPrincipal, skip: (id) => id === target.id || seen.has(id) || (skip?.(id) ?? false) },
      );
      for (const holder of found) {
        seen.add(holder.id);
        holders.push(holder);
      }
    }
    this.ctx.noteIfCapped(holders.length, target.id);
    return holders.slice(0, this.ctx.limits.maxEdgesPerPrincipal);
  }

  /** Reverse queries: principals that might grant themselves anything. */
  selfEscalationHolders(): Principal[] {
    return this.ctx.cache.memo("aws:selfEscalationHolders", () => this.findSelfEscalationHolders());
  }

  /** The same, as subjects (kept per inventory; never changed). */
  selfEscalationSubjects(): Subject[] {
    return this.ctx.cache.memo("aws:selfEscalationSubjects", () => this.selfEscalationHolders().map((p) => this.ctx.subjectFor(p)));
  }

  private findSelfEscalationHolders(): Principal[] {
    const seen = new Set<string>();
    const holders: Principal[] = [];
    for (const action of SELF_GRANT_ACTIONS) {
      for (const holder of this.holders.holdersOf({ action })) {
        if (seen.has(holder.id)) continue;
        seen.add(holder.id);
        holders.push(holder);
      }
    }
    return holders;
  }
}
