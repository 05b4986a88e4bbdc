/**
 * Google Cloud pivots. Token creation on a service account (getAccessToken, getOpenIdToken,
 * signBlob, signJwt, implicitDelegation) lets a caller act as it: impersonation, not escalation.
 * Creating a key for it, or actAs together with creating compute that runs as it in its project,
 * are escalations. Federation mappings (workload identity pools) are trust edges to the account.
 * Each permission a pivot uses goes through findAccess, so the caller's principal access
 * boundaries apply: a caller cannot pivot to an account outside them.
 */
import type { Principal, TrustEdge } from "../../../model/inventory.js";
import { GCP_IMPERSONATION_PERMISSIONS } from "../facts.js";
import { memoIn, type QueryContext } from "../../../analysis/entitlements/context.js";
import { type GcpAccess, gcpServiceAccountResource, resolveGcpTarget } from "./evaluator.js";
import { type EscalationRule } from "../../../analysis/entitlements/escalation-rules.js";
import { uniqueSubjects } from "../../../analysis/entitlements/internal.js";
import { resourceHop } from "../../../analysis/entitlements/hops.js";
import type { AccessRequest, Finding, PivotEdge, ResourceTarget, Subject } from "../../../analysis/entitlements/internal.js";
import { bestOf, isBetter, Verdict } from "../../../analysis/entitlements/verdict.js";

const IMPERSONATION_PERMISSIONS = GCP_IMPERSONATION_PERMISSIONS;
const KEY_CREATE = "iam.serviceAccountKeys.create";
const ACT_AS = "iam.serviceAccounts.actAs";
/** Creating any of these runs code as a service account the caller may actAs. */
const RUNS_AS_COMPUTE = ["compute.instances.create", "cloudfunctions.functions.create", "run.services.create"];
/** Setting the IAM policy of a scope lets a caller bind itself any role there. */
const SET_IAM_POLICY: Readonly<Record<string, string>> = {
  organization: "resourcemanager.organizations.setIamPolicy",
  folder: "resourcemanager.folders.setIamPolicy",
  project: "resourcemanager.projects.setIamPolicy",
};

interface ServiceAccountPivot {
  caller: Subject;
  account: Principal;
  to: Subject;
  /** The account's IAM resource name. */
  resource: string;
}

/**
 * A way to act as a service account one holds a permission on. `permissions` make a caller a
 * candidate for reverse search; `candidatePermissions` picks, from what a caller may hold anywhere,
 * the ones that can complete this technique (actAs needs a way to create compute too).
 */
export interface ServiceAccountTechnique {
  readonly id: string;
  readonly technique: string;
  readonly permissions: readonly string[];
  candidatePermissions(holds: (permission: string) => boolean): string[];
  edge(pivot: ServiceAccountPivot, env: GcpPivots): PivotEdge | undefined;
}

export const GCP_SERVICE_ACCOUNT_TECHNIQUES: readonly ServiceAccountTechnique[] = [
  {
    id: "gcp.impersonate-service-account",
    technique: "Mint the service account's tokens or signatures (getAccessToken, getOpenIdToken, signBlob, signJwt, implicitDelegation).",
    permissions: IMPERSONATION_PERMISSIONS,
    candidatePermissions: (holds) => IMPERSONATION_PERMISSIONS.filter(holds),
    edge({ caller, account, to, resource }, env) {
      const token = env.bestPermission(caller, IMPERSONATION_PERMISSIONS, resource);
      if (!token) return undefined;
      return {
        from: caller,
        to,
        hop: { type: "impersonate", id: account.id, label: `impersonate ${to.label}`, note: `${token.action} on ${resource}` },
        action: token.action,
        resource,
        verdict: token.finding.verdict.clone(),
        privilegeEscalation: false,
        standalone: false,
      };
    },
  },
  {
    id: "gcp.create-service-account-key",
    technique: `Create a key for the service account (${KEY_CREATE}), then act as it.`,
    permissions: [KEY_CREATE],
    candidatePermissions: (holds) => (holds(KEY_CREATE) ? [KEY_CREATE] : []),
    edge({ caller, account, to, resource }, env) {
      const key = env.usable(caller, KEY_CREATE, resource);
      if (!key) return undefined;
      return {
        from: caller,
        to,
        hop: { type: "escalate", id: account.id, label: `create a key for ${to.label}, then act as it`, note: `${KEY_CREATE} on ${resource}` },
        action: KEY_CREATE,
        resource,
        verdict: key.verdict.clone(),
        privilegeEscalation: true,
        standalone: false,
      };
    },
  },
  {
    id: "gcp.act-as-with-compute",
    technique: `Attach the service account to compute one can create (${ACT_AS} with ${RUNS_AS_COMPUTE.join(", ")}), then run as it.`,
    permissions: [ACT_AS],
    candidatePermissions: (holds) => (holds(ACT_AS) && RUNS_AS_COMPUTE.some(holds) ? [ACT_AS] : []),
    edge({ caller, account, to, resource }, env) {
      const actAs = env.usable(caller, ACT_AS, resource);
      const compute = actAs ? env.bestPermission(caller, RUNS_AS_COMPUTE, account.scopeId) : undefined;
      if (!actAs || !compute) return undefined;
      return {
        from: caller,
        to,
        hop: { type: "escalate", id: account.id, label: `${ACT_AS} on ${to.label} with ${compute.action}, then run as it`, note: `in ${account.scopeId}` },
        action: ACT_AS,
        resource,
        verdict: new Verdict().absorb(actAs.verdict).absorb(compute.finding.verdict),
        privilegeEscalation: true,
        standalone: false,
      };
    },
  },
];

/** Rewriting an IAM policy above the target to bind oneself any role there. */
export const GCP_ESCALATION_RULES: readonly EscalationRule<GcpPivots>[] = [
  {
    id: "gcp.set-iam-policy",
    technique: "Rewrite the IAM policy of a project, folder or organization (setIamPolicy) to bind oneself any role there; deny policies and boundaries still apply.",
    selfEscalations: (subject, request, env) => env.bindSelf(subject, request),
    selfEscalationHolders: (request, env) => env.bindSelfHolders(request),
  },
];

export class GcpPivots {
  private readonly targets: Map<string, ResourceTarget | null>;

  constructor(
    private readonly ctx: QueryContext,
    private readonly access: GcpAccess,
    private readonly rules: readonly EscalationRule<GcpPivots>[] = GCP_ESCALATION_RULES,
    private readonly techniques: readonly ServiceAccountTechnique[] = GCP_SERVICE_ACCOUNT_TECHNIQUES,
  ) {
    this.targets = ctx.table("gcp:targets");
  }

  private get inventory() {
    return this.ctx.inventory;
  }

  private targetFor(resource: string): ResourceTarget | undefined {
    return memoIn(this.targets, resource, () => resolveGcpTarget(this.ctx, resource) ?? null) ?? undefined;
  }

  /** The best non-denied finding for one permission on one resource. */
  usable(caller: Subject, action: string, resource: string): Finding | undefined {
    if (!this.access.mayHoldAnywhere(caller, action)) return undefined;
    const target = this.targetFor(resource);
    if (!target) return undefined;
    const best = bestOf(this.access.findAccess(caller, { action, target }));
    return best && best.verdict.outcome !== "denied" ? best : undefined;
  }

  bestPermission(caller: Subject, actions: readonly string[], resource: string): { finding: Finding; action: string } | undefined {
    let best: { finding: Finding; action: string } | undefined;
    for (const action of actions) {
      const finding = this.usable(caller, action, resource);
      if (finding && (!best || isBetter(finding.verdict, best.finding.verdict))) best = { finding, action };
      if (best?.finding.verdict.outcome === "allowed") break;
    }
    return best;
  }

  /** The pivots of `caller` into one service account, one per technique that applies. */
  private edgesToServiceAccount(caller: Subject, account: Principal): PivotEdge[] {
    const resource = gcpServiceAccountResource(account);
    if (!resource || caller.id === account.id || !this.ctx.spendPivotEvaluation()) return [];
    const to = this.ctx.subjectFor(account);
    return this.techniques.flatMap((technique) => technique.edge({ caller, account, to, resource }, this) ?? []);
  }

  private trustEdge(from: Subject, edge: TrustEdge): PivotEdge {
    const to = this.ctx.subjectForId(edge.to, "gcp");
    const resource = to.principal ? (gcpServiceAccountResource(to.principal) ?? edge.to) : edge.to;
    const verdict = new Verdict().justify(edge.id).addConditions(edge.id, edge.conditions);
    const project = to.principal?.scopeId;
    const scopes = project ? this.inventory.scopeChain(project).map((s) => s.id) : [];
    for (const reason of this.ctx.gapReasons("gcp", scopes)) verdict.unknown(reason);
    // The trust is a binding on the account: using it is a token request the caller's boundaries limit.
    if (to.principal) this.access.applyBoundaries(verdict, from, "iam.serviceAccounts.getAccessToken", resource);
    const federated = edge.kind === "federation";
    return {
      from,
      to,
      hop: {
        type: federated ? "federate" : "impersonate",
        id: edge.to,
        label: `${federated ? "federate into" : "impersonate"} ${to.label}`,
        note: `trust edge ${edge.id}`,
      },
      action: "iam.serviceAccounts.getAccessToken",
      resource,
      verdict,
      privilegeEscalation: false,
      standalone: true,
    };
  }

  private isPivotTrust(edge: TrustEdge): boolean {
    return edge.provider === "gcp" && (edge.kind === "federation" || edge.kind === "impersonation");
  }

  edgesFrom(subject: Subject): PivotEdge[] {
    const edges: PivotEdge[] = [];
    const members = subject.provider === "gcp" ? this.access.memberKeys(subject) : [{ key: subject.id, hops: [] }];
    for (const member of members) {
      for (const edge of this.inventory.trustEdgesFrom(member.key)) {
        if (this.isPivotTrust(edge) && edge.to !== subject.id) edges.push(this.trustEdge(subject, edge));
      }
    }
    if (subject.provider !== "gcp" || this.ctx.pivotBudgetSpent) return edges;
    // Only permissions that can complete a pivot somewhere pick targets (actAs needs compute too).
    const holds = (permission: string) => this.access.mayHoldAnywhere(subject, permission);
    const usable = this.techniques.flatMap((technique) => technique.candidatePermissions(holds));
    if (usable.length === 0) return edges;
    // Candidate accounts, at most the per-principal limit (a project-wide token creator reaches thousands).
    const limit = this.ctx.limits.maxEdgesPerPrincipal;
    const targets = new Map<string, Principal>();
    let capped = false;
    collect: for (const member of members) {
      for (const grant of this.inventory.grantsOf(member.key)) {
        if (grant.provider !== "gcp" || grant.kind !== "binding" || !grant.resource) continue;
        const resource = grant.resource;
        // Deny policies attach at project level or above, so a permission denied where the binding
        // sits is denied on every service account below it.
        const grants = usable.filter((p) => this.access.roleMayGrant(grant.policyId, p));
        if (!grants.some((p) => this.usable(subject, p, resource))) continue;
        for (const account of this.access.serviceAccountsUnder(resource)) {
          if (account.id === subject.id || targets.has(account.id)) continue;
          if (targets.size >= limit) {
            capped = true;
            break collect;
          }
          targets.set(account.id, account);
        }
      }
    }
    if (capped) {
      this.ctx.limitReached = true;
      this.ctx.note(`${subject.id} may reach more than ${limit} service accounts; only the first were followed`);
    }
    for (const account of targets.values()) {
      edges.push(...this.edgesToServiceAccount(subject, account));
      if (this.ctx.pivotBudgetSpent) break;
    }
    return edges;
  }

  edgesTo(target: Subject, skip?: (callerId: string) => boolean): PivotEdge[] {
    const account = target.principal;
    if (!account || account.provider !== "gcp") return [];
    const edges: PivotEdge[] = [];
    for (const edge of this.inventory.trustEdgesTo(account.id)) {
      if (this.isPivotTrust(edge) && !skip?.(edge.from)) edges.push(this.trustEdge(this.ctx.subjectForId(edge.from, "gcp"), edge));
    }
    const resource = gcpServiceAccountResource(account);
    const saTarget = resource ? this.targetFor(resource) : undefined;
    if (!saTarget) return edges;
    const callers = new Map<string, Subject>();
    for (const permission of this.techniques.flatMap((technique) => technique.permissions)) {
      for (const caller of this.access.holdersOf({ action: permission, target: saTarget })) {
        if (caller.id !== account.id && !skip?.(caller.id)) callers.set(caller.id, caller);
      }
    }
    let evaluated = 0;
    for (const caller of callers.values()) {
      if (evaluated++ >= this.ctx.limits.maxEdgesPerPrincipal) {
        this.ctx.limitReached = true;
        this.ctx.note(`more than ${this.ctx.limits.maxEdgesPerPrincipal} principals may pivot into ${account.id}; only the first were evaluated`);
        break;
      }
      edges.push(...this.edgesToServiceAccount(caller, account));
      if (this.ctx.pivotBudgetSpent) break;
    }
    return edges;
  }

  /** Scopes (with the permission that rewrites their IAM policy) a request can be granted from. */
  private policyScopes(request: AccessRequest): Array<{ permission: string; target: ResourceTarget | undefined }> {
    if (!request.target) return Object.values(SET_IAM_POLICY).map((permission) => ({ permission, target: undefined }));
    const scopes = this.access.ancestorsOf(request.target.id).scopes;
    return scopes.flatMap((scope) => {
      const permission = SET_IAM_POLICY[scope.kind];
      return permission ? [{ permission, target: this.targetFor(scope.id) }] : [];
    });
  }

  /** Access a subject can grant itself, by every rule. */
  selfEscalations(subject: Subject, request: AccessRequest): Finding[] {
    return this.rules.flatMap((rule) => rule.selfEscalations?.(subject, request, this) ?? []);
  }

  /** Binding itself any role by rewriting a scope's IAM policy; deny policies still apply. */
  bindSelf(subject: Subject, request: AccessRequest): Finding[] {
    if (subject.provider !== "gcp" || !subject.principal) return [];
    const results: Finding[] = [];
    const seen = new Set<string>();
    for (const { permission, target } of this.policyScopes(request)) {
      if (request.target && !target) continue;
      for (const enabling of this.access.findAccess(subject, { action: permission, ...(target ? { target } : {}) })) {
        if (enabling.verdict.outcome === "denied") continue;
        const action = request.action ?? "*";
        const shown = request.target?.input ?? enabling.resource;
        const key = `${shown}\u0000${enabling.verdict.justification.join(",")}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const verdict = enabling.verdict.clone();
        if (request.action !== undefined) {
          const resource = request.target?.id ?? enabling.resource;
          this.access.applyDenies(verdict, subject, action, resource);
          this.access.applyBoundaries(verdict, subject, action, resource);
        }
        results.push({
          action,
          resource: shown,
          hops: [
            ...enabling.hops.slice(0, -1),
            { type: "escalate", id: subject.id, label: `${permission} on ${enabling.resource}: can bind itself any role there` },
            resourceHop(shown),
          ],
          verdict,
          privilegeEscalation: true,
        });
      }
    }
    return results;
  }

  /** Reverse queries: who might grant itself the requested access, by every rule. */
  selfEscalationHolders(request: AccessRequest): Subject[] {
    return uniqueSubjects(...this.rules.map((rule) => rule.selfEscalationHolders?.(request, this) ?? []));
  }

  /** Who might bind itself the requested access by rewriting an IAM policy above the target. */
  bindSelfHolders(request: AccessRequest): Subject[] {
    if (!request.target) return [];
    const subjects = new Map<string, Subject>();
    for (const { permission, target } of this.policyScopes(request)) {
      if (!target) continue;
      for (const holder of this.access.holdersOf({ action: permission, target })) subjects.set(holder.id, holder);
    }
    return [...subjects.values()];
  }
}
