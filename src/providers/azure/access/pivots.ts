/**
 * Azure escalations and pivots. Writing role assignments at a scope lets a principal assign
 * itself any role there; writing a vault that uses access policies lets it add itself a policy.
 * Both are self-grants, reported as escalation paths to the requested access. Federated
 * credentials (trust edges) let an external subject act as an application or managed identity.
 */
import type { TrustEdge } from "../../../model/inventory.js";
import type { QueryContext } from "../../../analysis/entitlements/context.js";
import { type AzureAccess, isKeyVaultDataAction } from "./evaluator.js";
import { edgesByRules, type EscalationRule } from "../../../analysis/entitlements/escalation-rules.js";
import { ADD_CREDENTIAL_ACTION, ownerEdgesFrom, ownerEdgesTo, roleEdgesFrom, roleEdgesTo } from "./directory.js";
import { elevationHolders, elevationSelfGrants } from "./elevation.js";
import { uniqueSubjects } from "../../../analysis/entitlements/internal.js";
import { resourceHop } from "../../../analysis/entitlements/hops.js";
import type { AccessRequest, Finding, PivotEdge, Subject } from "../../../analysis/entitlements/internal.js";
import { hasWildcard, patternsIntersect } from "../../../analysis/entitlements/matching.js";
import { Verdict } from "../../../analysis/entitlements/verdict.js";

const ROLE_ASSIGNMENT_WRITE = "Microsoft.Authorization/roleAssignments/write";
const VAULT_WRITE_ACTIONS = ["Microsoft.KeyVault/vaults/write", "Microsoft.KeyVault/vaults/accessPolicies/write"];
const KEY_VAULT_DATA_SPACE = "Microsoft.KeyVault/vaults/*";

/** The Azure escalation techniques: granting oneself access at a scope one can write permissions at. */
export const AZURE_ESCALATION_RULES: readonly EscalationRule<AzurePivots>[] = [
  {
    id: "azure.role-assignment-write",
    technique: `Create a role assignment (${ROLE_ASSIGNMENT_WRITE}) for oneself at a scope: any role there, deny assignments still apply.`,
    selfEscalations(subject, request, env) {
      const target = request.target;
      return env.usable(env.access.findAccess(subject, { action: ROLE_ASSIGNMENT_WRITE, ...(target ? { target } : {}) })).map((finding) =>
        env.selfGrant(
          subject,
          finding,
          `${ROLE_ASSIGNMENT_WRITE} at ${finding.resource}: can assign itself any role there`,
          request.action ?? "*",
          target?.id ?? finding.resource,
          finding.resource,
        ),
      );
    },
    selfEscalationHolders: (request, env) => (request.target ? env.access.holdersOf({ action: ROLE_ASSIGNMENT_WRITE, target: request.target }) : []),
  },
  {
    id: "azure.vault-access-policy-write",
    technique: `Write the access policies of a vault in access-policy mode (${VAULT_WRITE_ACTIONS.join(", ")}): any Key Vault data access there.`,
    selfEscalations(subject, request, env) {
      if (!env.mayBeKeyVaultData(request.action)) return [];
      const target = request.target;
      const results: Finding[] = [];
      for (const writeAction of VAULT_WRITE_ACTIONS) {
        for (const finding of env.usable(env.access.findAccess(subject, { action: writeAction, ...(target ? { target } : {}) }))) {
          const vaults = target ? [env.access.vaultOf(target.id)].filter((v) => v !== undefined) : env.access.vaultsWithin(finding.resource);
          for (const vault of vaults) {
            if (env.access.rbacMode(vault) !== false) continue;
            results.push(
              env.selfGrant(
                subject,
                finding,
                `${writeAction} on ${vault.id} (access-policy vault): can grant itself an access policy`,
                request.action ?? KEY_VAULT_DATA_SPACE,
                target?.id ?? vault.id,
                target?.input ?? vault.id,
              ),
            );
          }
        }
      }
      return results;
    },
    selfEscalationHolders(request, env) {
      const target = request.target;
      const vault = target ? env.access.vaultOf(target.id) : undefined;
      if (!target || !vault || env.access.rbacMode(vault) !== false || !env.mayBeKeyVaultData(request.action)) return [];
      return VAULT_WRITE_ACTIONS.flatMap((action) => env.access.holdersOf({ action, target }));
    },
  },
  {
    id: "azure.global-admin-elevates-access",
    technique:
      "A user holding Global Administrator elevates access (Microsoft.Authorization/elevateAccess/action) to User Access Administrator at root scope / and assigns itself any role; " +
      "a Privileged Role Administrator assigns itself Global Administrator first. Not for service principals, which cannot elevate (see elevation.ts).",
    selfEscalations: (subject, request, env) =>
      elevationSelfGrants(env.ctx, subject, request, (verdict, action, resource) => env.access.applyDenies(verdict, subject, action, resource)),
    selfEscalationHolders: (request, env) => elevationHolders(env.ctx, request),
  },
  {
    id: "azure.owner-adds-credential",
    technique: `Owners of an application or service principal add a credential to it (${ADD_CREDENTIAL_ACTION}) and sign in as it.`,
    edgesFrom: (subject, env, sink) => ownerEdgesFrom(env.ctx, subject, sink),
    edgesTo: (target, env, sink, skip) => ownerEdgesTo(env.ctx, target, sink, skip),
  },
  {
    id: "azure.directory-role-adds-credential",
    technique:
      "Application Administrator, Cloud Application Administrator and Global Administrator add a credential to any service principal in scope; " +
      "Privileged Role Administrator assigns itself one of them first; Microsoft Graph Application.ReadWrite.All, " +
      "AppRoleAssignment.ReadWrite.All and RoleManagement.ReadWrite.Directory reach the same. PIM-eligible roles give eligible paths.",
    edgesFrom: (subject, env, sink) => roleEdgesFrom(env.ctx, subject, sink),
    edgesTo: (target, env, sink, skip) => roleEdgesTo(env.ctx, target, sink, skip),
  },
];

export class AzurePivots {
  constructor(
    readonly ctx: QueryContext,
    readonly access: AzureAccess,
    private readonly rules: readonly EscalationRule<AzurePivots>[] = AZURE_ESCALATION_RULES,
  ) {}

  usable(findings: Finding[]): Finding[] {
    return findings.filter((f) => f.verdict.outcome !== "denied");
  }

  /** Could the request touch Key Vault data (the only thing a vault access policy grants)? */
  mayBeKeyVaultData(action: string | undefined): boolean {
    if (action === undefined) return true;
    return hasWildcard(action) ? patternsIntersect(action, KEY_VAULT_DATA_SPACE, true) : isKeyVaultDataAction(action);
  }

  /** Access a subject can grant itself, by every rule; the first way to each (resource, action) is kept. */
  selfEscalations(subject: Subject, request: AccessRequest): Finding[] {
    if (subject.provider !== "azure" || !subject.principal) return [];
    const seen = new Set<string>();
    return this.rules
      .flatMap((rule) => rule.selfEscalations?.(subject, request, this) ?? [])
      .filter((finding) => {
        const key = `${finding.resource}\u0000${finding.action}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
  }

  /** One self-granted access, still subject to deny assignments. */
  selfGrant(subject: Subject, enabling: Finding, label: string, action: string, resourceId: string, shown: string): Finding {
    const verdict = enabling.verdict.clone();
    this.access.applyDenies(verdict, subject, action, resourceId);
    return {
      action,
      resource: shown,
      hops: [...enabling.hops.slice(0, -1), { type: "escalate", id: subject.id, label }, resourceHop(shown)],
      verdict,
      privilegeEscalation: true,
    };
  }

  /** Reverse queries: who might grant itself the requested access, by every rule. */
  selfEscalationHolders(request: AccessRequest): Subject[] {
    if (!request.target) return [];
    return uniqueSubjects(...this.rules.map((rule) => rule.selfEscalationHolders?.(request, this) ?? []));
  }

  private trustEdge(from: Subject, edge: TrustEdge): PivotEdge {
    const to = this.ctx.subjectForId(edge.to, "azure");
    const verdict = new Verdict().justify(edge.id).addConditions(edge.id, edge.conditions);
    const scope = to.principal?.scopeId;
    const scopes = scope ? this.ctx.inventory.scopeChain(scope).map((s) => s.id) : [];
    for (const reason of this.ctx.gapReasons("azure", scopes)) verdict.unknown(reason);
    const federated = edge.kind === "federation";
    return {
      from,
      to,
      hop: {
        type: federated ? "federate" : "impersonate",
        id: edge.to,
        label: `${federated ? "federate into" : "act as"} ${to.label}`,
        note: `trust edge ${edge.id}`,
      },
      action: federated ? "federated credential" : "impersonation",
      resource: edge.to,
      verdict,
      privilegeEscalation: false,
      standalone: true,
    };
  }

  private isPivotTrust(edge: TrustEdge): boolean {
    return edge.provider === "azure" && (edge.kind === "federation" || edge.kind === "impersonation");
  }

  edgesFrom(subject: Subject): PivotEdge[] {
    const keys = [subject.id, ...(subject.principal ? this.ctx.cache.groupsOf(subject.id).map((g) => g.groupId) : [])];
    const trusted = keys.flatMap((key) =>
      this.ctx.inventory
        .trustEdgesFrom(key)
        .filter((e) => this.isPivotTrust(e) && e.to !== subject.id)
        .map((e) => this.trustEdge(subject, e)),
    );
    return [...trusted, ...this.ruleEdges((rule, sink) => rule.edgesFrom?.(subject, this, sink))];
  }

  edgesTo(target: Subject, skip?: (callerId: string) => boolean): PivotEdge[] {
    const trusted = this.ctx.inventory
      .trustEdgesTo(target.id)
      .filter((e) => this.isPivotTrust(e) && !skip?.(e.from))
      .map((e) => this.trustEdge(this.ctx.subjectForId(e.from, "azure"), e));
    return [...trusted, ...this.ruleEdges((rule, sink) => rule.edgesTo?.(target, this, sink, skip))];
  }

  /** Escalation edges by every rule, at most `maxEdgesPerPrincipal` (the answer then says it was cut). */
  private ruleEdges(run: Parameters<typeof edgesByRules<AzurePivots>>[1]): PivotEdge[] {
    const limit = this.ctx.limits.maxEdgesPerPrincipal;
    const { edges, stopped } = edgesByRules(this.rules, run, (found) => found.length < limit);
    if (stopped) {
      this.ctx.limitReached = true;
      this.ctx.note(`more than ${limit} directory escalation edges were found for one principal; only the first were followed`);
    }
    return edges;
  }
}
