/**
 * Azure escalations and pivots. Writing role assignments at a scope lets a principal assign
 * itself any role there; writing a vault that uses access policies lets it add itself a policy.
 * Both are self-grants, reported as escalation paths to the requested access. Federated
 * credentials (trust edges) let an external subject act as an application or managed identity.
 */
import type { TrustEdge } from "../../../model/inventory.js";
import type { QueryContext } from "../../../analysis/entitlements/context.js";
import { type AzureAccess, isKeyVaultDataAction } from "./evaluator.js";
import { resourceHop } from "../../../analysis/entitlements/hops.js";
import type { AccessRequest, Finding, PivotEdge, Subject } from "../../../analysis/entitlements/internal.js";
import { hasWildcard, patternsIntersect } from "../../../analysis/entitlements/matching.js";
import { Verdict } from "../../../analysis/entitlements/verdict.js";

const ROLE_ASSIGNMENT_WRITE = "Microsoft.Authorization/roleAssignments/write";
const VAULT_WRITE_ACTIONS = ["Microsoft.KeyVault/vaults/write", "Microsoft.KeyVault/vaults/accessPolicies/write"];
const KEY_VAULT_DATA_SPACE = "Microsoft.KeyVault/vaults/*";

export class AzurePivots {
  constructor(
    private readonly ctx: QueryContext,
    private readonly access: AzureAccess,
  ) {}

  private usable(findings: Finding[]): Finding[] {
    return findings.filter((f) => f.verdict.outcome !== "denied");
  }

  /** Could the request touch Key Vault data (the only thing a vault access policy grants)? */
  private mayBeKeyVaultData(action: string | undefined): boolean {
    if (action === undefined) return true;
    return hasWildcard(action) ? patternsIntersect(action, KEY_VAULT_DATA_SPACE, true) : isKeyVaultDataAction(action);
  }

  selfEscalations(subject: Subject, request: AccessRequest): Finding[] {
    if (subject.provider !== "azure" || !subject.principal) return [];
    const results: Finding[] = [];
    const seen = new Set<string>();
    const add = (enabling: Finding, label: string, action: string, resourceId: string, shown: string): void => {
      const key = `${shown}\u0000${action}`;
      if (seen.has(key)) return;
      seen.add(key);
      const verdict = enabling.verdict.clone();
      // What it grants itself is still subject to deny assignments.
      this.access.applyDenies(verdict, subject, action, resourceId);
      results.push({
        action,
        resource: shown,
        hops: [...enabling.hops.slice(0, -1), { type: "escalate", id: subject.id, label }, resourceHop(shown)],
        verdict,
        privilegeEscalation: true,
      });
    };
    const target = request.target;
    for (const finding of this.usable(this.access.findAccess(subject, { action: ROLE_ASSIGNMENT_WRITE, ...(target ? { target } : {}) }))) {
      const resourceId = target?.id ?? finding.resource;
      add(
        finding,
        `${ROLE_ASSIGNMENT_WRITE} at ${finding.resource}: can assign itself any role there`,
        request.action ?? "*",
        resourceId,
        finding.resource,
      );
    }
    if (!this.mayBeKeyVaultData(request.action)) return results;
    for (const writeAction of VAULT_WRITE_ACTIONS) {
      for (const finding of this.usable(this.access.findAccess(subject, { action: writeAction, ...(target ? { target } : {}) }))) {
        const vaults = target
          ? [this.access.vaultOf(target.id)].filter((v) => v !== undefined)
          : this.access.vaultsWithin(finding.resource);
        for (const vault of vaults) {
          if (this.access.rbacMode(vault) !== false) continue;
          const resourceId = target?.id ?? vault.id;
          add(
            finding,
            `${writeAction} on ${vault.id} (access-policy vault): can grant itself an access policy`,
            request.action ?? KEY_VAULT_DATA_SPACE,
            resourceId,
            target?.input ?? vault.id,
          );
        }
      }
    }
    return results;
  }

  /** Reverse queries: who might grant itself the requested access. */
  selfEscalationHolders(request: AccessRequest): Subject[] {
    const subjects = new Map<string, Subject>();
    const target = request.target;
    if (!target) return [];
    for (const holder of this.access.holdersOf({ action: ROLE_ASSIGNMENT_WRITE, target })) subjects.set(holder.id, holder);
    const vault = this.access.vaultOf(target.id);
    if (vault && this.access.rbacMode(vault) === false && this.mayBeKeyVaultData(request.action)) {
      for (const action of VAULT_WRITE_ACTIONS) {
        for (const holder of this.access.holdersOf({ action, target })) subjects.set(holder.id, holder);
      }
    }
    return [...subjects.values()];
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
    return keys.flatMap((key) =>
      this.ctx.inventory
        .trustEdgesFrom(key)
        .filter((e) => this.isPivotTrust(e) && e.to !== subject.id)
        .map((e) => this.trustEdge(subject, e)),
    );
  }

  edgesTo(target: Subject, skip?: (callerId: string) => boolean): PivotEdge[] {
    return this.ctx.inventory
      .trustEdgesTo(target.id)
      .filter((e) => this.isPivotTrust(e) && !skip?.(e.from))
      .map((e) => this.trustEdge(this.ctx.subjectForId(e.from, "azure"), e));
  }
}
