/**
 * Entra escalation: who can add a credential to a service principal (or its application) and then
 * sign in as it. Three sources, one rule each in AZURE_ESCALATION_RULES:
 * - owners of the application or service principal;
 * - directory roles that manage application credentials (Application Administrator, Cloud
 *   Application Administrator, Global Administrator), tenant-wide or scoped to the object, and
 *   those that can assign any directory role (Privileged Role Administrator);
 * - Microsoft Graph application permissions that amount to the same (Application.ReadWrite.All)
 *   or to control of the tenant (AppRoleAssignment.ReadWrite.All, RoleManagement.ReadWrite.Directory).
 * Managed identities take no added credentials, so only `service_principal` targets count.
 * A PIM-eligible role gives an `eligible` hop: reachable after activation.
 *
 * Sources: Microsoft Entra built-in roles reference (learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference);
 * Microsoft Graph permissions reference (learn.microsoft.com/graph/permissions-reference).
 */
import type { DirectoryRoleAssignment, Principal } from "../../../model/inventory.js";
import type { QueryContext } from "../../../analysis/entitlements/context.js";
import type { EdgeSink } from "../../../analysis/entitlements/escalation-rules.js";
import type { PivotEdge, Subject } from "../../../analysis/entitlements/internal.js";
import { Verdict } from "../../../analysis/entitlements/verdict.js";

export const ADD_CREDENTIAL_ACTION = "microsoft.directory/servicePrincipals/credentials/update";

/** Built-in directory roles (template ids) that can add credentials to any app or service principal in their scope. */
export const CREDENTIAL_ADMIN_ROLES: ReadonlyMap<string, string> = new Map([
  ["9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", "Application Administrator"],
  ["158c047a-c907-4556-b7ef-446551a6b5f7", "Cloud Application Administrator"],
  ["62e90394-69f5-4237-9190-012177145e10", "Global Administrator"],
]);

/** Built-in roles that can assign any directory role, so they reach everything the roles above reach. */
export const ROLE_ASSIGNING_ROLES: ReadonlyMap<string, string> = new Map([["e8611ab8-c189-46e8-94e1-60213ab1f814", "Privileged Role Administrator"]]);

/** Microsoft Graph application permissions that lead to any service principal of the tenant, and how. */
export const ESCALATING_GRAPH_PERMISSIONS: ReadonlyMap<string, string> = new Map([
  ["Application.ReadWrite.All", "can add a credential to any application or service principal"],
  ["AppRoleAssignment.ReadWrite.All", "can grant itself any Graph permission, Application.ReadWrite.All included"],
  ["RoleManagement.ReadWrite.Directory", "can assign itself any directory role, Application Administrator included"],
]);

/** The tenant scope a principal belongs to (managed identities sit in a resource group below it). */
export function tenantOf(ctx: QueryContext, principal: Principal): string {
  return ctx.inventory.scopeChain(principal.scopeId).find((s) => s.kind === "tenant")?.id ?? principal.scopeId;
}

/** One way a holder may take over service principals: a role or permission, and where it applies. */
interface TakeoverGrant {
  holder: Principal;
  /** The group the holder has it through, if any. */
  viaGroup: string | undefined;
  /** Justification id and what the hop says. */
  id: string;
  label: string;
  /** Object id the grant is limited to; undefined for the whole tenant. */
  objectId: string | undefined;
  eligible: boolean;
}

interface DirectoryIndex {
  /** tenant → service principals that can take an added credential. */
  servicePrincipals: Map<string, Principal[]>;
  /** owner id → what it owns. */
  owned: Map<string, Principal[]>;
  /** tenant → role and permission grants (groups expanded to members). */
  takeovers: Map<string, TakeoverGrant[]>;
}

function roleGrant(holder: Principal, role: DirectoryRoleAssignment, viaGroup: string | undefined): TakeoverGrant | undefined {
  const name = CREDENTIAL_ADMIN_ROLES.get(role.roleId) ?? ROLE_ASSIGNING_ROLES.get(role.roleId);
  if (name === undefined) return undefined;
  const scoped = role.directoryScopeId !== "/" && role.directoryScopeId !== "";
  const how = ROLE_ASSIGNING_ROLES.has(role.roleId) ? "can assign itself Application Administrator, then add a credential" : "can add a credential";
  return {
    holder,
    viaGroup,
    id: `entra:directoryRole/${role.roleId}@${viaGroup ?? holder.id}${scoped ? role.directoryScopeId : ""}`,
    label: `${name}${role.assignment === "eligible" ? " (PIM-eligible)" : ""}${scoped ? ` on ${role.directoryScopeId.slice(1)}` : ""}: ${how}`,
    objectId: scoped ? role.directoryScopeId.slice(1) : undefined,
    eligible: role.assignment === "eligible",
  };
}

export function directoryIndex(ctx: QueryContext): DirectoryIndex {
  return ctx.cache.memo("azure:directoryIndex", () => {
    const index: DirectoryIndex = { servicePrincipals: new Map(), owned: new Map(), takeovers: new Map() };
    const push = <T>(map: Map<string, T[]>, key: string, value: T) => {
      const list = map.get(key);
      if (list) list.push(value);
      else map.set(key, [value]);
    };
    for (const principal of ctx.inventory.snapshot.principals) {
      if (principal.provider !== "azure") continue;
      const tenant = tenantOf(ctx, principal);
      if (principal.kind === "service_principal") {
        push(index.servicePrincipals, tenant, principal);
        for (const owner of principal.owners ?? []) push(index.owned, owner, principal);
      }
      const holders = principal.kind === "group" ? ctx.cache.membersOf(principal.id).filter((m) => m.kind !== "group") : [principal];
      const viaGroup = principal.kind === "group" ? principal.id : undefined;
      for (const holder of holders) {
        for (const role of principal.directoryRoles ?? []) {
          const grant = roleGrant(holder, role, viaGroup);
          if (grant) push(index.takeovers, tenant, grant);
        }
        for (const permission of principal.graphAppPermissions ?? []) {
          const how = ESCALATING_GRAPH_PERMISSIONS.get(permission);
          if (how === undefined) continue;
          push(index.takeovers, tenant, {
            holder,
            viaGroup,
            id: `entra:graphAppPermission/${permission}@${principal.id}`,
            label: `Microsoft Graph ${permission}: ${how}`,
            objectId: undefined,
            eligible: false,
          });
        }
      }
    }
    return index;
  });
}

function takeoverEdge(ctx: QueryContext, from: Subject, target: Principal, id: string, label: string, eligible: boolean, viaGroup?: string): PivotEdge {
  const verdict = new Verdict().justify(id);
  if (viaGroup) verdict.justify(viaGroup);
  if (eligible) verdict.eligible(id);
  const to = ctx.subjectFor(target);
  return {
    from,
    to,
    hop: { type: "escalate", id: target.id, label: `take over ${to.label}`, note: label },
    action: ADD_CREDENTIAL_ACTION,
    resource: target.id,
    verdict,
    privilegeEscalation: true,
    standalone: true,
  };
}

function applies(grant: TakeoverGrant, target: Principal): boolean {
  return grant.objectId === undefined || grant.objectId.toLowerCase() === target.id.toLowerCase();
}

/** Edges from a subject: what it owns, and every service principal its roles or permissions reach. */
export function ownerEdgesFrom(ctx: QueryContext, subject: Subject, sink: EdgeSink): void {
  for (const target of directoryIndex(ctx).owned.get(subject.id) ?? []) {
    if (target.id === subject.id) continue;
    if (!sink.push(takeoverEdge(ctx, subject, target, `entra:owner/${target.id}/${subject.id}`, "owner: can add a credential", false))) return;
  }
}

export function ownerEdgesTo(ctx: QueryContext, target: Subject, sink: EdgeSink, skip?: (callerId: string) => boolean): void {
  const principal = target.principal;
  if (!principal || principal.kind !== "service_principal") return;
  for (const owner of principal.owners ?? []) {
    if (owner === principal.id || skip?.(owner)) continue;
    const from = ctx.subjectForId(owner, "azure");
    if (!sink.push(takeoverEdge(ctx, from, principal, `entra:owner/${principal.id}/${owner}`, "owner: can add a credential", false))) return;
  }
}

export function roleEdgesFrom(ctx: QueryContext, subject: Subject, sink: EdgeSink): void {
  const principal = subject.principal;
  if (!principal || principal.provider !== "azure") return;
  const tenant = tenantOf(ctx, principal);
  const index = directoryIndex(ctx);
  const grants = (index.takeovers.get(tenant) ?? []).filter((g) => g.holder.id === principal.id);
  if (grants.length === 0) return;
  const targets = index.servicePrincipals.get(tenant) ?? [];
  for (const target of targets) {
    if (target.id === principal.id) continue;
    // The best grant for this target: an active one before an eligible one.
    const usable = grants.filter((g) => applies(g, target)).sort((a, b) => Number(a.eligible) - Number(b.eligible));
    const grant = usable[0];
    if (!grant) continue;
    if (!sink.push(takeoverEdge(ctx, subject, target, grant.id, grant.label, grant.eligible, grant.viaGroup))) return;
  }
}

export function roleEdgesTo(ctx: QueryContext, target: Subject, sink: EdgeSink, skip?: (callerId: string) => boolean): void {
  const principal = target.principal;
  if (!principal || principal.kind !== "service_principal") return;
  const seen = new Set<string>();
  const grants = (directoryIndex(ctx).takeovers.get(tenantOf(ctx, principal)) ?? [])
    .filter((g) => applies(g, principal) && g.holder.id !== principal.id)
    .sort((a, b) => Number(a.eligible) - Number(b.eligible));
  for (const grant of grants) {
    if (seen.has(grant.holder.id) || skip?.(grant.holder.id)) continue;
    seen.add(grant.holder.id);
    if (!sink.push(takeoverEdge(ctx, ctx.subjectFor(grant.holder), principal, grant.id, grant.label, grant.eligible, grant.viaGroup))) return;
  }
}
