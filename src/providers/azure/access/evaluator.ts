/**
 * Azure evaluation: role assignments inherit down management group → subscription → resource
 * group → resource (ARM ids compare case-insensitively), role definitions grant `actions` minus
 * `notActions` (data actions merged in), deny assignments subtract. Key Vault has two permission
 * models: with `enableRbacAuthorization` true, data-plane access comes from role assignments; with
 * false, from the vault's access policies. Control-plane actions always use RBAC.
 *
 * Deny assignments keep the same split: a statement with id `actions` denies control-plane
 * operations only, `dataActions` data-plane operations only (`doNotApplyToChildScopes` arrives as
 * `resources: [its scope]`).
 *
 * Role definitions arrive with actions and dataActions merged. A statement with id `dataActions`
 * (or `actions`) says which it held; otherwise a wildcard grants data actions only when it names
 * at least a resource type (`Microsoft.KeyVault/vaults/*`), so `*` (Owner) and `Microsoft.KeyVault/*`
 * (Key Vault Contributor) do not read secrets, as in Azure.
 */
import type { Condition, Grant, Scope } from "../../../model/inventory.js";
import { type CompiledStatement, memoIn, type QueryContext } from "../../../analysis/entitlements/context.js";
import { groupHops, listForMessage, named, policyHop, resourceHop } from "../../../analysis/entitlements/hops.js";
import type { AccessRequest, Finding, ResourceTarget, Subject } from "../../../analysis/entitlements/internal.js";
import { grantedShapes, type GrantedShape, hasWildcard, relateToSet, wildcardMatch } from "../../../analysis/entitlements/matching.js";
import type { Hop } from "../../../analysis/entitlements/types.js";
import { Verdict } from "../../../analysis/entitlements/verdict.js";
import { decideAbacCondition, type Truth } from "./abac.js";

const EVERYONE = new Set(["*", "everyone", "00000000-0000-0000-0000-000000000000"]);
const KEY_VAULT_DATA =
  /^microsoft\.keyvault\/(vaults|managedhsms)\/(secrets|keys|certificates|certificatecas|certificatecontacts|storage|keyrotationpolicies|deletedsecrets|deletedkeys|deletedcertificates)\/.+/i;

/** Key Vault data-plane action (getSecret, sign, ...) as opposed to an ARM control-plane action. */
export function isKeyVaultDataAction(action: string): boolean {
  if (hasWildcard(action) || !KEY_VAULT_DATA.test(action)) return false;
  if (/\/write$/i.test(action)) return false;
  if (/^microsoft\.keyvault\/vaults\/secrets\/read$/i.test(action)) return false;
  return !/\/versions\/read$/i.test(action);
}

/**
 * Storage data-plane operations (blobs, queue messages, table entities, files): granted only by a
 * role's dataActions, as Key Vault's are; `*` in actions (Owner, Contributor) does not read data.
 */
const STORAGE_DATA = /^microsoft\.storage\/storageaccounts\/(blobservices\/containers\/blobs|queueservices\/queues\/messages|tableservices\/tables\/entities|fileservices\/fileshares\/files)\//i;

export function isStorageDataAction(action: string): boolean {
  return !hasWildcard(action) && STORAGE_DATA.test(action);
}

function grantsDataPlane(stmt: CompiledStatement, pattern: string): boolean {
  const id = stmt.statement.id.toLowerCase();
  if (id === "dataactions") return true;
  if (id === "actions") return false;
  if (!hasWildcard(pattern)) return true;
  const literalPrefix = pattern.slice(0, pattern.search(/[*?]/));
  return (literalPrefix.match(/\//g) ?? []).length >= 2;
}

function grantsControlPlane(stmt: CompiledStatement): boolean {
  return stmt.statement.id.toLowerCase() !== "dataactions";
}

/** What a role statement grants for a request, honouring the data/control split. */
/** Role assignment conditions collected from Azure (`condition`, version 2.0) carry this title. */
function isAbacCondition(condition: Condition): boolean {
  return condition.title?.startsWith("ABAC condition") ?? false;
}

/** What the question decides of a grant's ABAC conditions: all must hold. */
function abacDecision(grant: Grant, action: string, resource: string): Truth {
  let result: Truth = "true";
  for (const condition of grant.conditions ?? []) {
    if (!isAbacCondition(condition)) continue;
    const truth = decideAbacCondition(condition.expression, { action: hasWildcard(action) ? undefined : action, resource: hasWildcard(resource) ? undefined : resource });
    if (truth === "false") return "false";
    if (truth === "open") result = "open";
  }
  return result;
}

export function azureRoleShapes(stmt: CompiledStatement, action: string | undefined): GrantedShape[] {
  if (action === undefined || hasWildcard(action)) {
    return grantedShapes(action, stmt.actions, stmt.notActions, true, "none");
  }
  const data = isKeyVaultDataAction(action) || isStorageDataAction(action);
  const listed = (stmt.actions ?? []).some(
    (p) => wildcardMatch(p, action, true) && (data ? grantsDataPlane(stmt, p) : grantsControlPlane(stmt)),
  );
  if (!listed || (stmt.notActions ?? []).some((p) => wildcardMatch(p, action, true))) return [];
  return [{ pattern: action, exceptions: [] }];
}

type Plane = "control" | "data" | "both";

/** Deny statements with id `actions` deny control-plane operations, `dataActions` data-plane ones; others both. */
function planeOfDenyStatement(stmt: CompiledStatement): Plane {
  const id = stmt.statement.id.toLowerCase();
  return id === "actions" ? "control" : id === "dataactions" ? "data" : "both";
}

function planeOfAction(action: string): Plane {
  if (hasWildcard(action)) return "both";
  return isKeyVaultDataAction(action) ? "data" : "control";
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

interface MemberKey {
  key: string;
  hops: Hop[];
}

type RbacMode = true | false | undefined;

/** Grants the Azure evaluator reads: role assignments (active or PIM-eligible) and vault access policies. */
const AZURE_GRANT_KINDS: ReadonlySet<string> = new Set(["role_assignment", "eligible_role_assignment", "access_policy"]);

interface Ancestry {
  ids: string[];
  scopes: Scope[];
  known: boolean;
}

export class AzureAccess {
  private readonly ancestry: Map<string, Ancestry>;
  /** action → `kind:roleId` → does the grant's role give it (inventory lifetime). */
  private readonly roleGrantsByAction: Map<string, Map<string, boolean>>;

  constructor(private readonly ctx: QueryContext) {
    this.ancestry = ctx.table("azure:ancestors");
    this.roleGrantsByAction = ctx.cache.table("azure:roleGrants");
  }

  private get inventory() {
    return this.ctx.inventory;
  }

  private memberKeys(subject: Subject): MemberKey[] {
    const keys: MemberKey[] = [{ key: subject.id, hops: [] }];
    if (!subject.principal) return keys;
    for (const group of this.ctx.cache.groupsOf(subject.principal.id)) {
      keys.push({ key: group.groupId, hops: groupHops(this.inventory, group.chain) });
    }
    return keys;
  }

  /** Lower-cased ids a resource inherits from: itself, every path prefix, and the scope chain. */
  ancestorsOf(resource: string): Ancestry {
    return memoIn(this.ancestry, resource.toLowerCase(), () => {
      const lower = resource.toLowerCase().replace(/\/+$/, "");
      const ids = [lower];
      for (let cut = lower.lastIndexOf("/"); cut > 0; cut = lower.lastIndexOf("/", cut - 1)) ids.push(lower.slice(0, cut));
      const scope = this.inventory.scopeOfResource(resource);
      const scopes = scope && scope.provider === "azure" ? this.inventory.scopeChain(scope.id) : [];
      for (const s of scopes) {
        const id = s.id.toLowerCase();
        if (!ids.includes(id)) ids.push(id);
      }
      return { ids, scopes, known: scopes.length > 0 };
    });
  }

  /** The vault a resource is in (or is), if any. */
  vaultOf(resource: string): Scope | undefined {
    return this.ancestorsOf(resource).scopes.find((s) => s.kind === "vault");
  }

  rbacMode(vault: Scope): RbacMode {
    const value = vault.attributes?.enableRbacAuthorization;
    return typeof value === "boolean" ? value : undefined;
  }

  private place(
    assignmentScope: string,
    target: ResourceTarget | undefined,
  ): { resource: string; shown: string; unknownReason?: string } | undefined {
    if (!target) return { resource: assignmentScope, shown: assignmentScope };
    const scope = assignmentScope.toLowerCase();
    const targetAncestors = this.ancestorsOf(target.id);
    if (targetAncestors.ids.includes(scope)) return { resource: target.id, shown: target.input };
    if (target.isScope && this.ancestorsOf(assignmentScope).ids.includes(target.id.toLowerCase())) {
      return { resource: assignmentScope, shown: assignmentScope };
    }
    if (!targetAncestors.known) {
      return {
        resource: target.id,
        shown: target.input,
        unknownReason: `cannot tell whether the assignment at ${assignmentScope} covers ${target.input}: it is not in a collected scope`,
      };
    }
    return undefined;
  }

  findAccess(subject: Subject, request: AccessRequest): Finding[] {
    if (subject.provider !== "azure") return [];
    const findings: Finding[] = [];
    for (const member of this.memberKeys(subject)) {
      for (const grant of this.inventory.grantsOf(member.key)) {
        if (grant.provider !== "azure" || !grant.resource) continue;
        if (!AZURE_GRANT_KINDS.has(grant.kind)) continue;
        const placement = this.place(grant.resource, request.target);
        if (!placement) continue;
        const role = this.ctx.cache.policy(grant.policyId);
        if (!role) {
          if (request.action !== undefined) {
            const verdict = new Verdict().justify(grant.id).unknown(`role definition ${grant.policyId} is not in the inventory`);
            findings.push(this.finding(member, grant, request.action, placement.shown, verdict));
          }
          continue;
        }
        const accessPolicy = grant.kind === "access_policy";
        const accessPolicyVault = accessPolicy ? this.vaultOf(grant.resource) : undefined;
        if (accessPolicyVault && this.rbacMode(accessPolicyVault) === true) {
          this.ctx.note(`access policies of ${accessPolicyVault.id} are ignored: the vault uses RBAC authorization`);
          continue;
        }
        for (const stmt of role.allows) {
          const shapes = accessPolicy
            ? grantedShapes(request.action, stmt.actions, stmt.notActions, true, "none")
            : azureRoleShapes(stmt, request.action);
          for (const shape of shapes) {
            const verdict = new Verdict().justify(grant.id, stmt.key);
            // A PIM eligibility grants the role only once activated: the outcome says so.
            if (grant.kind === "eligible_role_assignment") verdict.eligible(grant.id);
            if (accessPolicy) {
              if (!accessPolicyVault) verdict.unknown(`access policy ${grant.id} is not on a collected vault`);
              else if (this.rbacMode(accessPolicyVault) === undefined) verdict.unknown(this.unknownModeReason(accessPolicyVault));
            } else if (!this.dataPlaneGate(verdict, shape.pattern, placement.resource)) {
              continue;
            }
            const abac = abacDecision(grant, shape.pattern, placement.resource);
            if (abac === "false") {
              this.ctx.note(`${grant.id}: its ABAC condition excludes ${shape.pattern} on ${placement.shown}`);
              continue;
            }
            this.evaluate(verdict, subject, grant, stmt, shape.pattern, placement.resource, abac === "true");
            if (placement.unknownReason) verdict.unknown(placement.unknownReason);
            if (shape.exceptions.length > 0) verdict.note(`except ${listForMessage(shape.exceptions)} (notActions)`);
            findings.push(this.finding(member, grant, shape.pattern, placement.shown, verdict));
          }
        }
      }
    }
    return findings;
  }

  private unknownModeReason(vault: Scope): string {
    return `vault ${vault.id} does not record its permission model (enableRbacAuthorization)`;
  }

  /** RBAC grants Key Vault data actions only in vaults using RBAC authorization. False: skip. */
  private dataPlaneGate(verdict: Verdict, action: string, resource: string): boolean {
    if (!isKeyVaultDataAction(action)) return true;
    const vault = this.vaultOf(resource);
    if (!vault) {
      verdict.note("Key Vault data actions from role assignments apply only in vaults that use RBAC authorization");
      return true;
    }
    const mode = this.rbacMode(vault);
    if (mode === false) {
      this.ctx.note(`role assignments grant no Key Vault data actions in ${vault.id}: the vault uses access policies`);
      return false;
    }
    if (mode === undefined) verdict.unknown(this.unknownModeReason(vault));
    return true;
  }

  private finding(member: MemberKey, grant: Grant, action: string, resource: string, verdict: Verdict): Finding {
    const role = this.inventory.policies.get(grant.policyId);
    const label =
      grant.kind === "access_policy"
        ? `access policy on ${grant.resource ?? "?"}`
        : `${role ? named(role.name) : grant.policyId} ${grant.kind === "eligible_role_assignment" ? "eligible (PIM)" : "assigned"} at ${grant.resource ?? "?"}`;
    return {
      action,
      resource,
      hops: [...member.hops, { type: "grant", id: grant.id, label }, policyHop(this.inventory, grant.policyId), resourceHop(resource)],
      verdict,
      privilegeEscalation: false,
    };
  }

  private evaluate(verdict: Verdict, subject: Subject, grant: Grant, stmt: CompiledStatement, action: string, resource: string, abacHolds = false): void {
    verdict.addConditions(grant.id, abacHolds ? grant.conditions?.filter((c) => !isAbacCondition(c)) : grant.conditions);
    verdict.addOpenConditions(stmt.conditions);
    this.applyDenies(verdict, subject, action, resource);
    const ancestors = this.ancestorsOf(resource);
    if (!ancestors.known) verdict.unknown(`${resource} is not in a collected scope, so deny assignments above it are unknown`);
    for (const reason of this.ctx.gapReasons("azure", ancestors.scopes.map((s) => s.id))) verdict.unknown(reason);
  }

  /** Deny assignments by lower-cased scope, keeping the scope id as written. */
  private denyAssignmentsByScope(): Map<string, { scope: string; policyIds: string[] }> {
    return this.ctx.cache.memo("azure:denyByScope", () => {
      const map = new Map<string, { scope: string; policyIds: string[] }>();
      for (const policy of this.inventory.snapshot.policies) {
        if (policy.provider !== "azure" || policy.kind !== "deny") continue;
        for (const scope of policy.attachedTo ?? []) {
          const entry = memoIn(map, scope.toLowerCase(), () => ({ scope, policyIds: [] }));
          entry.policyIds.push(policy.id);
        }
      }
      return map;
    });
  }

  applyDenies(verdict: Verdict, subject: Subject, action: string, resource: string): void {
    const byScope = this.denyAssignmentsByScope();
    if (byScope.size === 0) return;
    const members = new Set(this.memberKeys(subject).map((m) => m.key.toLowerCase()));
    const denies = (policyIds: readonly string[]) => policyIds.flatMap((id) => this.ctx.cache.policy(id)?.denies ?? []);
    const own = this.ownScopes(resource);
    for (const id of this.ancestorsOf(resource).ids) {
      for (const stmt of denies(byScope.get(id)?.policyIds ?? [])) {
        // doNotApplyToChildScopes (resources = its own scope): only the scope itself and its data-plane items.
        if (stmt.statement.resources && !stmt.statement.resources.some((r) => own.has(r.toLowerCase()))) continue;
        this.applyDeny(verdict, stmt, subject, members, action, resource, false);
      }
    }
    // An assignment high up reaches scopes that carry their own deny assignments: carve-outs.
    const lower = resource.toLowerCase();
    for (const [key, entry] of byScope) {
      if (!key.startsWith(`${lower}/`)) continue;
      for (const stmt of denies(entry.policyIds)) this.applyDeny(verdict, stmt, subject, members, action, entry.scope, true);
    }
  }

  /** The resource itself and, for a Key Vault item (secret, key, certificate), its vault: not a child scope in ARM. */
  private ownScopes(resource: string): Set<string> {
    const lower = resource.toLowerCase().replace(/\/+$/, "");
    const own = new Set([lower]);
    const vault = this.vaultOf(resource)?.id.toLowerCase();
    if (vault && new RegExp(`^${escapeRegExp(vault)}/(secrets|keys|certificates)(/|$)`).test(lower)) own.add(vault);
    return own;
  }

  private applyDeny(
    verdict: Verdict,
    stmt: CompiledStatement,
    subject: Subject,
    members: ReadonlySet<string>,
    action: string,
    where: string,
    below: boolean,
  ): void {
    const principals = stmt.statement.principals ?? [];
    const named = (raw: string): boolean => EVERYONE.has(raw.toLowerCase()) || members.has(raw.toLowerCase());
    if (principals.length > 0 && !principals.some(named)) return;
    if ((stmt.statement.exceptPrincipals ?? []).some((p) => members.has(p.toLowerCase()))) return;
    const denyPlane = planeOfDenyStatement(stmt);
    const requestPlane = planeOfAction(action);
    if (denyPlane !== "both" && requestPlane !== "both" && denyPlane !== requestPlane) return;
    const relation = relateToSet(action, stmt.actions, stmt.notActions, true, "none");
    if (relation.relation === "none") return;
    // A wildcard request spans both planes; a one-plane deny covers only part of it.
    const onePlaneOfMany = denyPlane !== "both" && requestPlane === "both";
    if (below || relation.relation === "partial" || onePlaneOfMany) {
      verdict.note(`except what deny assignment ${stmt.key} denies${below ? ` at ${where}` : ""}`);
      return;
    }
    if (stmt.conditions.length > 0) {
      verdict.addOpenConditions(stmt.conditions);
      verdict.note(`deny assignment ${stmt.key} blocks this when its condition holds`);
      return;
    }
    verdict.justify(stmt.key);
    verdict.block({
      kind: "deny_policy",
      id: stmt.key,
      description: `deny assignment ${stmt.policy.id} denies ${action} to ${subject.id}`,
    });
  }

  /** Rows of Azure grants by lower-cased scope (row numbers: the grants stay in the table). */
  private grantRowsByScope(): Map<string, number[]> {
    return this.ctx.cache.memo("azure:grantRowsByScope", () => {
      const map = new Map<string, number[]>();
      const table = this.inventory.grants;
      for (const row of table.rowsOfProvider("azure")) {
        const resource = table.resourceAt(row);
        if (!resource) continue;
        const key = resource.toLowerCase();
        const list = map.get(key);
        if (list) list.push(row);
        else map.set(key, [row]);
      }
      return map;
    });
  }

  private roleMayGrant(grant: Grant, action: string): boolean {
    const byRole = memoIn(this.roleGrantsByAction, action, () => new Map<string, boolean>());
    return memoIn(byRole, `${grant.kind}:${grant.policyId}`, () => {
      const role = this.ctx.cache.policy(grant.policyId);
      if (!role) return true;
      return role.allows.some((stmt) =>
        grant.kind === "access_policy"
          ? grantedShapes(action, stmt.actions, stmt.notActions, true, "none").length > 0
          : azureRoleShapes(stmt, action).length > 0,
      );
    });
  }

  /** Subjects with an assignment or access policy on the target's ancestors that may grant the action. */
  holdersOf(request: AccessRequest): Subject[] {
    const { action, target } = request;
    if (action === undefined || !target) return [];
    const index = this.grantRowsByScope();
    const table = this.inventory.grants;
    const subjects = new Map<string, Subject>();
    for (const id of this.ancestorsOf(target.id).ids) {
      for (const row of index.get(id) ?? []) {
        const grant = table.at(row);
        if (!AZURE_GRANT_KINDS.has(grant.kind)) continue;
        if (!this.roleMayGrant(grant, action)) continue;
        const principal = this.inventory.principals.get(grant.principalId);
        const members = principal?.kind === "group" ? this.ctx.cache.membersOf(principal.id).filter((m) => m.kind !== "group") : [];
        if (members.length > 0) {
          for (const member of members) subjects.set(member.id, this.ctx.subjectFor(member));
        } else if (!subjects.has(grant.principalId)) {
          subjects.set(grant.principalId, this.ctx.subjectForId(grant.principalId, "azure"));
        }
      }
    }
    return [...subjects.values()];
  }

  /** Vaults at or below a scope (for escalation through vault writes). */
  vaultsWithin(scopeId: string): Scope[] {
    const lower = scopeId.toLowerCase();
    return this.ctx.cache
      .memo("azure:vaults", () => this.inventory.snapshot.scopes.filter((s) => s.provider === "azure" && s.kind === "vault"))
      .filter((vault) => this.ancestorsOf(vault.id).ids.includes(lower));
  }
}

/** Places an Azure reference: an ARM id (case-insensitive) or a Key Vault data-plane item id. */
export function resolveAzureTarget(ctx: QueryContext, resource: string): ResourceTarget | undefined {
  const inventory = ctx.inventory;
  if (/^https:\/\//i.test(resource)) {
    if (!URL.canParse(resource)) return undefined;
    const item = inventory.vaultItem(resource);
    const url = new URL(resource);
    const vault = item ? inventory.scopes.get(item.scopeId) : vaultByHost(ctx, url.hostname);
    if (!vault) {
      if (!/\.vault\.azure\.net$/i.test(url.hostname)) return undefined;
      return { input: resource, provider: "azure", id: resource, chain: [], isScope: false };
    }
    const [collection, name] = url.pathname.split("/").filter(Boolean);
    const itemPath = item ? `${item.kind}s/${item.name}` : collection && name ? `${collection}/${name}` : undefined;
    return {
      input: resource,
      provider: "azure",
      id: itemPath ? `${vault.id}/${itemPath}` : vault.id,
      chain: inventory.scopeChain(vault.id),
      isScope: itemPath === undefined,
    };
  }
  if (!resource.startsWith("/")) return undefined;
  const placed = inventory.scopeOfResource(resource);
  if (placed && placed.provider !== "azure") return undefined;
  const exact = placed && placed.id.toLowerCase() === resource.toLowerCase().replace(/\/+$/, "") ? placed : undefined;
  return {
    input: resource,
    provider: "azure",
    id: exact ? exact.id : resource,
    chain: placed ? inventory.scopeChain(placed.id) : [],
    isScope: exact !== undefined,
  };
}

function vaultByHost(ctx: QueryContext, hostname: string): Scope | undefined {
  const byName = ctx.cache.memo("azure:vaultsByName", () => {
    const map = new Map<string, Scope>();
    for (const scope of ctx.inventory.snapshot.scopes) {
      if (scope.provider !== "azure" || scope.kind !== "vault") continue;
      const uri = scope.attributes?.vaultUri;
      if (typeof uri === "string" && URL.canParse(uri)) map.set(new URL(uri).hostname.toLowerCase(), scope);
      map.set(`${scope.name.toLowerCase()}.vault.azure.net`, scope);
    }
    return map;
  });
  return byName.get(hostname.toLowerCase());
}
