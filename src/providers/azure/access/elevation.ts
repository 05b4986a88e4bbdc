/**
 * The Global Administrator elevation edge. A Global Administrator in Entra ID can turn on "Access
 * management for Azure resources" (POST /providers/Microsoft.Authorization/elevateAccess), which
 * assigns it User Access Administrator at root scope `/`: it can then assign itself any Azure role
 * on any management group, subscription or resource of the tenant. Deny assignments still apply.
 * A Privileged Role Administrator can assign itself Global Administrator first, so it reaches the
 * same in two steps. PIM-eligible roles give eligible paths (reachable after activation).
 * Source: learn.microsoft.com/azure/role-based-access-control/elevate-access-global-admin.
 *
 * Only users. Microsoft documents the elevation as a per-user setting ("only available to users
 * who are assigned the Global Administrator role"; it "applies only to the currently signed in
 * user"), and a service principal holding Global Administrator is refused elevateAccess
 * (Azure/azure-rest-api-specs#10142). So no elevation edge is drawn from a service principal or a
 * managed identity: what a Global Administrator or Privileged Role Administrator service principal
 * still reaches through Entra (adding credentials to every service principal, assigning directory
 * roles) is drawn by the directory-role rule (directory.ts).
 */
import type { DirectoryRoleAssignment, Principal } from "../../../model/inventory.js";
import type { QueryContext } from "../../../analysis/entitlements/context.js";
import { groupHops, resourceHop } from "../../../analysis/entitlements/hops.js";
import type { AccessRequest, Finding, Subject } from "../../../analysis/entitlements/internal.js";
import { Verdict } from "../../../analysis/entitlements/verdict.js";
import { tenantOf } from "./directory.js";

export const ELEVATE_ACCESS_ACTION = "Microsoft.Authorization/elevateAccess/action";
const GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10";
const PRIVILEGED_ROLE_ADMINISTRATOR = "e8611ab8-c189-46e8-94e1-60213ab1f814";

interface Elevation {
  /** Justification id: the directory role assignment, as the directory rule names it. */
  id: string;
  label: string;
  /** The group chain the user holds the role through, if any. */
  chain: readonly string[];
  eligible: boolean;
}

/** Tenant-wide Global Administrator or Privileged Role Administrator, held by the user or a group it is in. */
function elevationsOf(ctx: QueryContext, user: Principal): Elevation[] {
  const holders: Array<{ principal: Principal; chain: readonly string[] }> = [{ principal: user, chain: [] }];
  for (const group of ctx.cache.groupsOf(user.id)) {
    const principal = ctx.inventory.principals.get(group.groupId);
    if (principal) holders.push({ principal, chain: group.chain });
  }
  const found: Elevation[] = [];
  for (const { principal, chain } of holders) {
    for (const role of principal.directoryRoles ?? []) {
      if (role.directoryScopeId !== "/" && role.directoryScopeId !== "") continue;
      const how = howItElevates(role);
      if (!how) continue;
      found.push({
        id: `entra:directoryRole/${role.roleId}@${principal.id}`,
        label: `${role.name || how.name}${role.assignment === "eligible" ? " (PIM-eligible)" : ""}: ${how.steps}`,
        chain,
        eligible: role.assignment === "eligible",
      });
    }
  }
  // An active assignment before an eligible one, a direct one before one through a group.
  return found.sort((a, b) => Number(a.eligible) - Number(b.eligible) || a.chain.length - b.chain.length);
}

function howItElevates(role: DirectoryRoleAssignment): { name: string; steps: string } | undefined {
  if (role.roleId === GLOBAL_ADMINISTRATOR) {
    return { name: "Global Administrator", steps: `elevates access (${ELEVATE_ACCESS_ACTION}) to User Access Administrator at root scope /, then assigns itself any role` };
  }
  if (role.roleId === PRIVILEGED_ROLE_ADMINISTRATOR) {
    return { name: "Privileged Role Administrator", steps: "assigns itself Global Administrator, elevates access to User Access Administrator at root scope /, then assigns itself any role" };
  }
  return undefined;
}

/** Is the request about the user's own tenant (or a resource whose place is unknown, answered unknown)? */
function inTenant(ctx: QueryContext, user: Principal, request: AccessRequest): { ok: boolean; unknown?: string } {
  const target = request.target;
  if (!target) return { ok: true };
  if (target.provider !== "azure") return { ok: false };
  if (target.chain.length === 0) return { ok: true, unknown: `where ${target.input} sits is not collected: whether it is in the tenant of ${user.id} is unknown` };
  return { ok: target.chain.some((scope) => scope.id === tenantOf(ctx, user)) };
}

/** Access a user grants itself by elevating: one finding, the best of its elevating roles. */
export function elevationSelfGrants(
  ctx: QueryContext,
  subject: Subject,
  request: AccessRequest,
  applyDenies: (verdict: Verdict, action: string, resource: string) => void,
): Finding[] {
  const user = subject.principal;
  if (!user || user.kind !== "user" || user.provider !== "azure") return [];
  const [best] = elevationsOf(ctx, user);
  if (!best) return [];
  const placed = inTenant(ctx, user, request);
  if (!placed.ok) return [];
  const action = request.action ?? "*";
  const resource = request.target?.id ?? "/";
  const verdict = new Verdict().justify(best.id);
  for (const groupId of best.chain) verdict.justify(groupId);
  if (best.eligible) verdict.eligible(best.id);
  if (placed.unknown) verdict.unknown(placed.unknown);
  applyDenies(verdict, action, resource);
  return [
    {
      action,
      resource: request.target?.input ?? "/",
      hops: [...groupHops(ctx.inventory, best.chain), { type: "escalate", id: subject.id, label: best.label }, resourceHop(request.target?.input ?? "/")],
      verdict,
      privilegeEscalation: true,
    },
  ];
}

/** Reverse: every user of an Azure tenant that can elevate, directly or through a group. */
export function elevationHolders(ctx: QueryContext, request: AccessRequest): Subject[] {
  if (request.target?.provider !== "azure") return [];
  const holders = ctx.cache.memo("azure:elevationHolders", () => {
    const users = new Map<string, Principal>();
    for (const principal of ctx.inventory.snapshot.principals) {
      if (principal.provider !== "azure" || !(principal.directoryRoles ?? []).some((role) => howItElevates(role) && (role.directoryScopeId === "/" || role.directoryScopeId === ""))) continue;
      const members = principal.kind === "group" ? ctx.cache.membersOf(principal.id) : [principal];
      for (const member of members) if (member.kind === "user") users.set(member.id, member);
    }
    return [...users.values()];
  });
  return holders.filter((user) => inTenant(ctx, user, request).ok).map((user) => ctx.subjectFor(user));
}
