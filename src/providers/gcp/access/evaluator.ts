/**
 * Google Cloud evaluation: allow bindings union down organization → folders → project →
 * resource; a binding's role expands to permissions; members are the principal, its groups,
 * `allAuthenticatedUsers`, `allUsers` and its `domain:`. Deny policies (IAM v2) attached on the
 * ancestor chain are checked before allow, then the caller's principal access boundaries (IAM v3,
 * gcp-boundaries.ts). Binding conditions on the resource (resource.name/type/service) are decided
 * when the question names one (resource-conditions.ts); other CEL stays open.
 */
import type { GrantShape } from "../../../model/compact-grant.js";
import type { Grant, Principal, Scope } from "../../../model/inventory.js";
import type { Inventory } from "../../../model/inventory-index.js";
import { type CompiledStatement, memoIn, type QueryContext } from "../../../analysis/entitlements/context.js";
import { statementListsAction } from "../../../analysis/entitlements/context.js";
import { GcpBoundaries } from "./boundaries.js";
import { type NamedResource, namedResource, remainingResourceConditions } from "./resource-conditions.js";
import { groupHops, listForMessage, named, policyHop, resourceHop } from "../../../analysis/entitlements/hops.js";
import type { AccessRequest, Finding, ResourceTarget, Subject } from "../../../analysis/entitlements/internal.js";
import { grantedShapes, hasWildcard, relateToSet, type GrantedShape } from "../../../analysis/entitlements/matching.js";
import type { Hop } from "../../../analysis/entitlements/types.js";
import { Verdict } from "../../../analysis/entitlements/verdict.js";
import { REGIONAL_SECRET_LOCATIONS, REGIONAL_SECRET_LOCATIONS_NOT_LISTED, RESOURCE_POLICIES_READ, UNIFORM_BUCKET_LEVEL_ACCESS } from "../facts.js";

const PUBLIC_MEMBERS = new Set(["*", "allUsers", "principalSet://goog/public:all"]);

interface MemberKey {
  key: string;
  hops: Hop[];
}

export function gcpServiceAccountResource(principal: Principal): string | undefined {
  if (!principal.id.startsWith("serviceAccount:") || !principal.scopeId.startsWith("projects/")) return undefined;
  const email = principal.email ?? principal.id.slice("serviceAccount:".length);
  return `${principal.scopeId}/serviceAccounts/${email}`;
}

/** `projects/p/serviceAccounts/<email>` → `serviceAccount:<email>`. */
export function serviceAccountMemberOf(resource: string): string | undefined {
  const match = /^projects\/[^/]+\/serviceAccounts\/([^/]+)$/.exec(resource);
  return match ? `serviceAccount:${match[1]}` : undefined;
}

/** Member strings a deny rule may use for the same identity. */
function denyPrincipalForms(raw: string): string[] | "public" | "authenticated" | undefined {
  if (PUBLIC_MEMBERS.has(raw)) return "public";
  if (raw === "allAuthenticatedUsers") return "authenticated";
  let match = /^principal:\/\/goog\/subject\/(.+)$/.exec(raw);
  if (match) return [`user:${match[1]}`, `serviceAccount:${match[1]}`];
  match = /^principal:\/\/iam\.googleapis\.com\/projects\/-\/serviceAccounts\/(.+)$/.exec(raw);
  if (match) return [`serviceAccount:${match[1]}`];
  match = /^principalSet:\/\/goog\/group\/(.+)$/.exec(raw);
  if (match) return [`group:${match[1]}`];
  if (raw.startsWith("principalSet://") || raw.startsWith("principal://")) {
    return raw.startsWith("principalSet://goog/cloudIdentityCustomerId/") ? undefined : [raw];
  }
  return [raw];
}

type Applies = "yes" | "no" | "maybe";

/** Bounds of the inventory-lifetime cache of binding holders (a long-running server asks many). */
const HOLDER_CACHE_ACTIONS = 256;
const HOLDER_CACHE_RESOURCES = 20_000;

interface Ancestry {
  ids: string[];
  scopes: Scope[];
  known: boolean;
}

/** An object or managed folder of a bucket: `projects/<p>/buckets/<b>/(objects|managedFolders)/<path>`. */
const BUCKET_CONTENT = /^(projects\/[^/]+\/buckets\/[^/]+)\/(objects|managedFolders)\/(.+)$/;
const BUCKET_OF = /^projects\/[^/]+\/buckets\/[^/]+/;
const UNNAMED_PROJECT_BUCKET = /^projects\/_\/buckets\/([^/]+)/;
const REGIONAL_SECRET = /^(projects\/[^/]+)\/locations\/([^/]+)\/secrets\/[^/]+/;
/** The resources collect.resourcePolicies reads the policies of: secrets, key rings (and their keys), buckets (and what is in them). */
const RESOURCE_WITH_OWN_POLICY = /^(projects\/[^/]+)\/(?:secrets\/[^/]+|locations\/[^/]+\/(?:secrets|keyRings)\/[^/]+|buckets\/[^/]+)/;

/**
 * The resources below its project a resource inherits bindings from, nearest first. Names are
 * `kind/id` pairs, except in a bucket: an object or managed folder inherits from every managed
 * folder whose path prefixes its name (nested ones add up), then from the bucket.
 */
function parentResources(resource: string): string[] {
  const content = BUCKET_CONTENT.exec(resource);
  if (content?.[1] && content[3]) {
    const [, bucket, kind, path] = content;
    const folders: string[] = [];
    let prefix = "";
    const segments = path.split("/");
    for (let i = 0; i < segments.length - 1; i++) {
      prefix += `${segments[i] ?? ""}/`;
      if (kind === "managedFolders" && prefix === path) break;
      folders.push(`${bucket}/managedFolders/${prefix}`);
    }
    return [...folders.reverse(), bucket];
  }
  const parents: string[] = [];
  if (resource.startsWith("projects/")) {
    const parts = resource.split("/");
    for (let n = parts.length - 2; n >= 2; n -= 2) parents.push(parts.slice(0, n).join("/"));
  }
  return parents;
}

/**
 * Object ACLs are not read (objects are not listed): a bucket whose uniform bucket-level access is
 * off, or not known to be on, may grant more through them than its bindings say.
 */
function objectAclNote(inventory: Inventory, resource: string): string | undefined {
  const bucket = BUCKET_OF.exec(resource)?.[0];
  const listed = bucket ? inventory.collectedResource(bucket) : undefined;
  if (!bucket || !listed || listed.provider !== "gcp") return undefined;
  const uniform = listed.attributes?.[UNIFORM_BUCKET_LEVEL_ACCESS];
  if (uniform === true) return undefined;
  const state = uniform === false ? "its uniform bucket-level access is off" : "whether its uniform bucket-level access is on was not read";
  return `object ACLs of bucket ${bucket} are not read and ${state}: ACLs on its objects may grant access beyond the IAM bindings shown`;
}

export class GcpAccess {
  private readonly members: Map<string, MemberKey[]>;
  private readonly ancestry: Map<string, Ancestry>;
  private readonly holdersByAction: Map<string, Map<string, Subject[]>>;
  /** action → role id → does the role grant it (inventory lifetime). */
  private readonly roleGrantsByAction: Map<string, Map<string, boolean>>;
  private readonly serviceAccountsByScope: Map<string, Principal[]>;
  private readonly boundaries: GcpBoundaries;
  /** action → the binding test `mayHoldAnywhere` runs over grant rows (made once per action). */
  private readonly bindingMayGrant = new Map<string, (shape: GrantShape, policyId: string) => boolean>();

  constructor(private readonly ctx: QueryContext) {
    this.members = ctx.table("gcp:members");
    this.ancestry = ctx.table("gcp:ancestors");
    this.holdersByAction = ctx.cache.table("gcp:holdersAt");
    this.roleGrantsByAction = ctx.cache.table("gcp:roleGrants");
    this.serviceAccountsByScope = ctx.cache.table("gcp:serviceAccountsUnder");
    this.boundaries = new GcpBoundaries(ctx, (resource) => this.ancestorsOf(resource));
  }

  private get inventory() {
    return this.ctx.inventory;
  }

  /** The member strings a subject is matched by, each with the hops that explain it. */
  memberKeys(subject: Subject): MemberKey[] {
    return memoIn(this.members, subject.id, () => {
      const keys: MemberKey[] = [{ key: subject.id, hops: [] }];
      const principal = subject.principal;
      if (!principal) return keys;
      for (const group of this.ctx.cache.groupsOf(principal.id)) {
        keys.push({ key: group.groupId, hops: groupHops(this.inventory, group.chain) });
      }
      keys.push({ key: "allAuthenticatedUsers", hops: [{ type: "member_of", id: "allAuthenticatedUsers", label: "any authenticated identity" }] });
      keys.push({ key: "allUsers", hops: [{ type: "member_of", id: "allUsers", label: "anyone, including unauthenticated" }] });
      const email = principal.email ?? (principal.id.includes(":") ? principal.id.slice(principal.id.indexOf(":") + 1) : undefined);
      const domain = email?.includes("@") ? email.slice(email.indexOf("@") + 1) : undefined;
      if (domain && !domain.endsWith("gserviceaccount.com")) {
        keys.push({ key: `domain:${domain}`, hops: [{ type: "member_of", id: `domain:${domain}`, label: `domain ${domain}` }] });
      }
      return keys;
    });
  }

  /**
   * The resource and everything it inherits from, nearest first: intermediate resources
   * (a secret above its version), then the project, folders and organization.
   */
  ancestorsOf(resource: string): Ancestry {
    return memoIn(this.ancestry, resource, () => {
      const ids = [resource, ...parentResources(resource)];
      const scope = this.inventory.scopes.get(resource) ?? this.inventory.scopeOfResource(resource);
      const scopes = scope && scope.provider === "gcp" ? this.inventory.scopeChain(scope.id) : [];
      for (const s of scopes) if (!ids.includes(s.id)) ids.push(s.id);
      return { ids, scopes, known: scopes.length > 0 };
    });
  }

  private roleGrants(stmt: CompiledStatement, action: string | undefined): GrantedShape[] {
    if (action !== undefined && !hasWildcard(action)) {
      return statementListsAction(stmt, action) ? [{ pattern: action, exceptions: [] }] : [];
    }
    return grantedShapes(action, stmt.actions, stmt.notActions, true, "none");
  }

  /**
   * Could any binding of the subject grant the action, wherever it sits? A cheap gate before
   * placing bindings and evaluating denies.
   */
  mayHoldAnywhere(subject: Subject, action: string): boolean {
    let mayGrant = this.bindingMayGrant.get(action);
    if (!mayGrant) {
      mayGrant = (shape, policyId) => shape.provider === "gcp" && shape.kind === "binding" && this.roleMayGrant(policyId, action);
      this.bindingMayGrant.set(action, mayGrant);
    }
    const members = this.memberKeys(subject);
    for (let i = 0; i < members.length; i++) {
      if (this.inventory.grants.someGrantOf((members[i] as MemberKey).key, mayGrant)) return true;
    }
    // A group whose members are unknown may hold it for the subject: the precise pass decides (unknown).
    return subject.principal !== undefined && this.unresolvedGroups().size > 0 && this.unresolvedGroupsFor(action).length > 0;
  }

  /** Does a role (by id) grant an action? Memoized: reverse queries ask it per binding. */
  roleMayGrant(roleId: string, action: string): boolean {
    // Asked per binding per candidate: plain lookups, no closures on the hot path.
    let byRole = this.roleGrantsByAction.get(action);
    if (!byRole) {
      byRole = new Map<string, boolean>();
      this.roleGrantsByAction.set(action, byRole);
    }
    const known = byRole.get(roleId);
    if (known !== undefined) return known;
    const role = this.ctx.cache.policy(roleId);
    // An unreadable role keeps the binding, so the answer says unknown.
    const grants = !role || role.allows.some((stmt) => this.roleGrants(stmt, action).length > 0);
    byRole.set(roleId, grants);
    return grants;
  }

  /**
   * Groups whose members could not be read (collection gaps scoped to `group:<email>`: no Groups
   * Reader role, a group outside the directory, past the depth or size bound), with the reason.
   */
  unresolvedGroups(): ReadonlyMap<string, string> {
    return this.ctx.cache.memo("gcp:unresolvedGroups", () => {
      const map = new Map<string, string>();
      for (const gap of this.inventory.gaps) {
        if (gap.provider === "gcp" && gap.scopeId?.startsWith("group:") && !map.has(gap.scopeId)) map.set(gap.scopeId, gap.reason);
      }
      return map;
    });
  }

  findAccess(subject: Subject, request: AccessRequest): Finding[] {
    if (subject.provider !== "gcp") return [];
    const findings = this.findBoundAccess(subject, request);
    const unresolved = this.unresolvedGroups();
    if (unresolved.size === 0) return findings;
    const ownReason = unresolved.get(subject.id);
    if (ownReason !== undefined) {
      // A group as a holder: who is in it, and so which identities this reaches, is not known.
      for (const finding of findings) finding.verdict.unknown(`which identities ${subject.id} stands for is unknown (${ownReason})`);
    }
    return [...findings, ...this.unresolvedGroupAccess(subject, request)];
  }

  /**
   * Bindings to groups whose members could not be read, for a subject that may be in them: never
   * dropped, never assumed. With an action they are paths whose outcome is unknown; without one,
   * a note per group (listing every permission of every such binding would bury the answer).
   */
  private unresolvedGroupAccess(subject: Subject, request: AccessRequest): Finding[] {
    const principal = subject.principal;
    if (!principal || (principal.kind === "group" && this.unresolvedGroups().has(principal.id))) return [];
    const known = new Set(this.memberKeys(subject).map((m) => m.key));
    const findings: Finding[] = [];
    for (const [groupId, reason] of this.unresolvedGroupsFor(request.action)) {
      if (known.has(groupId) || groupId === subject.id) continue;
      const why = `whether ${subject.id} is a member of ${groupId} is unknown (${reason})`;
      const member: MemberKey = { key: groupId, hops: [{ type: "member_of", id: groupId, label: `${groupId} (members not read)` }] };
      if (request.action === undefined) {
        if (this.inventory.grantsOf(groupId).some((grant) => grant.provider === "gcp" && grant.kind === "binding")) {
          this.ctx.note(`${subject.id} may also hold what ${groupId} is granted: ${why}`);
        }
        continue;
      }
      for (const finding of this.findBoundAccess(subject, request, [member])) {
        finding.verdict.unknown(why);
        findings.push(finding);
      }
    }
    return findings;
  }

  /** Unresolved groups holding a binding that may grant the action (all of them without one): asked per candidate, so kept per action. */
  private unresolvedGroupsFor(action: string | undefined): ReadonlyArray<readonly [string, string]> {
    const all = [...this.unresolvedGroups()];
    if (action === undefined) return all;
    const byAction = this.ctx.cache.table<string, ReadonlyArray<readonly [string, string]>>("gcp:unresolvedGroupsByAction");
    return memoIn(byAction, action, () => {
      const mayGrant = (shape: GrantShape, policyId: string) => shape.provider === "gcp" && shape.kind === "binding" && this.roleMayGrant(policyId, action);
      return all.filter(([groupId]) => this.inventory.grants.someGrantOf(groupId, mayGrant));
    });
  }

  private findBoundAccess(subject: Subject, request: AccessRequest, members: readonly MemberKey[] = this.memberKeys(subject)): Finding[] {
    const target = request.target;
    const findings: Finding[] = [];
    for (const member of members) {
      for (const grant of this.inventory.grantsOf(member.key)) {
        if (grant.provider !== "gcp" || grant.kind !== "binding" || !grant.resource) continue;
        const placement = this.place(grant.resource, target);
        if (!placement) continue;
        const role = this.ctx.cache.policy(grant.policyId);
        if (!role) {
          if (request.action !== undefined) {
            const verdict = new Verdict().justify(grant.id).unknown(`role ${grant.policyId} is not in the inventory`);
            findings.push(this.finding(member, grant, request.action, placement.shown, verdict));
          }
          continue;
        }
        // With a named resource, conditions on resource.name/type are decided; one that fails drops the binding.
        const conditions = target && !target.isScope ? remainingResourceConditions(grant.conditions, this.namedTarget(placement.resource)) : (grant.conditions ?? []);
        if (conditions === undefined) continue;
        // With a target the answer says it once (resolveGcpTarget); without one, each path on such a bucket does.
        const aclNote = target ? undefined : objectAclNote(this.inventory, placement.resource);
        for (const stmt of role.allows) {
          for (const shape of this.roleGrants(stmt, request.action)) {
            const verdict = this.evaluate(subject, grant, stmt, shape.pattern, placement.resource, conditions);
            if (placement.unknownReason) verdict.unknown(placement.unknownReason);
            if (aclNote) verdict.note(aclNote);
            if (shape.exceptions.length > 0) verdict.note(`except ${listForMessage(shape.exceptions)}`);
            findings.push(this.finding(member, grant, shape.pattern, placement.shown, verdict));
          }
        }
      }
    }
    return findings;
  }

  private finding(
    member: MemberKey,
    grant: Grant,
    action: string,
    resource: string,
    verdict: Verdict,
  ): Finding {
    const role = this.inventory.policies.get(grant.policyId);
    const hops: Hop[] = [
      ...member.hops,
      { type: "binding", id: grant.id, label: `${role ? named(role.name) : grant.policyId} on ${grant.resource ?? "?"}` },
      policyHop(this.inventory, grant.policyId),
      resourceHop(resource),
    ];
    return { action, resource, hops, verdict, privilegeEscalation: false };
  }

  /**
   * Where a binding lands for the request: on the target when it sits on the target or an
   * ancestor; on itself when it sits inside a scope target; nowhere otherwise.
   */
  private place(
    bindingResource: string,
    target: ResourceTarget | undefined,
  ): { resource: string; shown: string; unknownReason?: string } | undefined {
    if (!target) return { resource: bindingResource, shown: bindingResource };
    const targetAncestors = this.ancestorsOf(target.id);
    if (targetAncestors.ids.includes(bindingResource)) {
      const missing = memoIn(this.ctx.table<string, string | null>("gcp:bucketMissingFromListing"), target.id, () => bucketMissingFromListing(this.ctx, target.id) ?? null);
      return { resource: target.id, shown: target.input, ...(missing ? { unknownReason: `cannot tell whether the binding on ${bindingResource} covers ${target.input}: ${missing}` } : {}) };
    }
    if (target.isScope && this.ancestorsOf(bindingResource).ids.includes(target.id)) {
      return { resource: bindingResource, shown: bindingResource };
    }
    if (!targetAncestors.known && this.mayContainUnplaced(bindingResource, target.id)) {
      const bucket = UNNAMED_PROJECT_BUCKET.exec(target.id)?.[1];
      const why = bucket ? `bucket ${bucket} is in no collected project's bucket listing` : "its project is not in the inventory";
      return { resource: target.id, shown: target.input, unknownReason: `cannot tell whether the binding on ${bindingResource} covers ${target.input}: ${why}` };
    }
    return undefined;
  }

  /**
   * Could a binding on this scope reach a resource that could not be placed? An organization or
   * folder may hold its project; a project only a bucket named without one (`projects/_/...`).
   * A binding on another resource never does.
   */
  private mayContainUnplaced(bindingResource: string, target: string): boolean {
    const scope = this.inventory.scopes.get(bindingResource);
    if (!scope || scope.provider !== "gcp") return false;
    return scope.kind !== "project" || UNNAMED_PROJECT_BUCKET.test(target);
  }

  /** The scopes whose bindings may reach an unplaced target (see mayContainUnplaced). */
  private containersOfUnplaced(target: string): string[] {
    const containers = this.ctx.cache.memo("gcp:containerScopes", () => {
      const projects: string[] = [];
      const above: string[] = [];
      for (const scope of this.inventory.snapshot.scopes) {
        if (scope.provider !== "gcp") continue;
        (scope.kind === "project" ? projects : above).push(scope.id);
      }
      return { projects, above };
    });
    return UNNAMED_PROJECT_BUCKET.test(target) ? [...containers.above, ...containers.projects] : containers.above;
  }

  /** A resource's names for IAM conditions: its id, and the project-number form when the project is known. */
  private namedTarget(resource: string): NamedResource {
    const project = /^projects\/[^/]+/.exec(resource)?.[0];
    const number = project ? this.inventory.scopes.get(project)?.attributes?.["projectNumber"] : undefined;
    return namedResource(resource, typeof number === "string" || typeof number === "number" ? String(number) : undefined);
  }

  /** Deny policies, binding conditions and gaps for one permission on one resource. */
  private evaluate(subject: Subject, grant: Grant, stmt: CompiledStatement, permission: string, resource: string, conditions = grant.conditions): Verdict {
    const verdict = new Verdict().justify(grant.id, stmt.key);
    verdict.addConditions(grant.id, conditions);
    verdict.addOpenConditions(stmt.conditions);
    this.applyDenies(verdict, subject, permission, resource);
    this.applyBoundaries(verdict, subject, permission, resource);
    const ancestors = this.ancestorsOf(resource);
    if (!ancestors.known) {
      verdict.unknown(`${resource} is not in a collected project, folder or organization, so deny policies above it are unknown`);
    }
    for (const reason of this.ctx.gapReasons("gcp", ancestors.scopes.map((s) => s.id))) verdict.unknown(reason);
    return verdict;
  }

  /** The caller's principal access boundaries: is the resource one it is eligible to reach? */
  applyBoundaries(verdict: Verdict, subject: Subject, permission: string, resource: string): void {
    this.boundaries.apply(verdict, subject, permission, resource);
  }

  applyDenies(verdict: Verdict, subject: Subject, permission: string, resource: string): void {
    const ancestors = this.ancestorsOf(resource);
    const memberSet = new Set(this.memberKeys(subject).map((m) => m.key));
    for (const scope of ancestors.scopes) {
      for (const policy of this.inventory.policiesAttachedToScope(scope.id)) {
        if (policy.provider !== "gcp" || policy.kind !== "deny") continue;
        for (const stmt of this.ctx.cache.policy(policy.id)?.denies ?? []) {
          this.applyDeny(verdict, stmt, subject, memberSet, permission, resource, "full");
        }
      }
    }
    // A binding on a folder reaches projects that carry their own deny policies: a carve-out.
    if (this.inventory.scopes.has(resource)) {
      for (const { policy, scopeId } of this.denyAttachments()) {
        if (scopeId === resource || !this.ancestorsOf(scopeId).ids.includes(resource)) continue;
        for (const stmt of this.ctx.cache.policy(policy)?.denies ?? []) {
          this.applyDeny(verdict, stmt, subject, memberSet, permission, scopeId, "below");
        }
      }
    }
  }

  private denyAttachments(): Array<{ policy: string; scopeId: string }> {
    return this.ctx.cache.memo("gcp:denyAttachments", () =>
      this.inventory.snapshot.policies
        .filter((p) => p.provider === "gcp" && p.kind === "deny")
        .flatMap((p) => (p.attachedTo ?? []).map((scopeId) => ({ policy: p.id, scopeId }))),
    );
  }

  private applyDeny(
    verdict: Verdict,
    stmt: CompiledStatement,
    subject: Subject,
    members: ReadonlySet<string>,
    permission: string,
    where: string,
    reach: "full" | "below",
  ): void {
    const applies = this.denyApplies(stmt, subject, members);
    if (applies === "no") return;
    const relation = relateToSet(permission, stmt.actions, stmt.notActions, true, "none");
    if (relation.relation === "none") return;
    if (reach === "below" || relation.relation === "partial") {
      verdict.note(`except what deny ${stmt.key} denies${reach === "below" ? ` in ${where}` : ""}`);
      return;
    }
    if (stmt.conditions.length > 0 || applies === "maybe") {
      verdict.addOpenConditions(stmt.conditions);
      if (applies === "maybe") {
        verdict.addConditions(stmt.key, [
          { expression: "deny rule names principals that could not be resolved against the inventory" },
        ]);
      }
      verdict.note(`deny ${stmt.key} blocks this when its condition holds`);
      return;
    }
    verdict.justify(stmt.key);
    verdict.block({
      kind: "deny_policy",
      id: stmt.key,
      description: `deny policy ${stmt.policy.id} denies ${permission} to ${subject.id}`,
    });
  }

  private denyApplies(stmt: CompiledStatement, subject: Subject, members: ReadonlySet<string>): Applies {
    const matches = (raw: string): Applies => {
      const forms = denyPrincipalForms(raw);
      if (forms === "public") return "yes";
      if (forms === "authenticated") return subject.principal ? "yes" : "no";
      if (forms === undefined) return "maybe";
      return forms.some((f) => members.has(f)) ? "yes" : "no";
    };
    let applies: Applies = "no";
    for (const raw of stmt.statement.principals ?? []) {
      const result = matches(raw);
      if (result === "yes") {
        applies = "yes";
        break;
      }
      if (result === "maybe") applies = "maybe";
    }
    if (applies === "no") return "no";
    for (const raw of stmt.statement.exceptPrincipals ?? []) {
      const result = matches(raw);
      if (result === "yes") return "no";
      if (result === "maybe") applies = "maybe";
    }
    return applies;
  }

  /** Subjects named by bindings on the target's ancestors whose role may grant the action. */
  holdersOf(request: AccessRequest): Subject[] {
    const { action, target } = request;
    if (action === undefined || !target) return [];
    const subjects = new Map<string, Subject>();
    const ancestors = this.ancestorsOf(target.id);
    // A target that could not be placed: whoever holds the action where it may sit is unknown, not absent.
    const ids = ancestors.known ? ancestors.ids : [...ancestors.ids, ...this.containersOfUnplaced(target.id)];
    for (const id of ids) {
      for (const subject of this.holdersAt(action, id)) if (!subjects.has(subject.id)) subjects.set(subject.id, subject);
    }
    return [...subjects.values()];
  }

  /** Holders through bindings sitting exactly on one resource or scope (shared by everything below it). */
  private holdersAt(action: string, resource: string): Subject[] {
    if (this.holdersByAction.size > HOLDER_CACHE_ACTIONS) this.holdersByAction.clear();
    const byResource = memoIn(this.holdersByAction, action, () => new Map<string, Subject[]>());
    if (byResource.size > HOLDER_CACHE_RESOURCES) byResource.clear();
    return memoIn(byResource, resource, () => {
      const subjects = new Map<string, Subject>();
      for (const grant of this.inventory.grantsOn(resource)) {
        if (grant.provider !== "gcp" || grant.kind !== "binding" || !this.roleMayGrant(grant.policyId, action)) continue;
        this.addMember(subjects, grant.principalId);
      }
      return [...subjects.values()];
    });
  }

  addMember(subjects: Map<string, Subject>, memberId: string): void {
    const principal = this.inventory.principals.get(memberId);
    if (principal?.kind === "group") {
      const inside = this.ctx.cache.membersOf(principal.id);
      const members = inside.filter((m) => m.kind !== "group");
      // Groups whose members could not be read stay holders themselves, so the answer names them as unknown.
      const unresolved = this.unresolvedGroups();
      const opaque = [principal, ...inside.filter((m) => m.kind === "group")].filter((group) => unresolved.has(group.id));
      for (const group of opaque) subjects.set(group.id, this.ctx.subjectFor(group));
      if (members.length > 0 || opaque.length > 0) {
        for (const member of members) subjects.set(member.id, this.ctx.subjectFor(member));
        return;
      }
    }
    if (!subjects.has(memberId)) subjects.set(memberId, this.ctx.subjectForId(memberId, "gcp"));
  }

  /** Service accounts a binding on `resource` reaches: the SA itself, or every SA under a scope. */
  serviceAccountsUnder(resource: string): Principal[] {
    const member = serviceAccountMemberOf(resource);
    if (member) {
      const principal = this.inventory.principals.get(member);
      return principal ? [principal] : [];
    }
    if (!this.inventory.scopes.has(resource)) return [];
    return memoIn(this.serviceAccountsByScope, resource, () => {
      const byProject = this.ctx.cache.memo("gcp:sasByProject", () => {
        const map = new Map<string, Principal[]>();
        for (const principal of this.inventory.snapshot.principals) {
          if (principal.provider !== "gcp" || !principal.id.startsWith("serviceAccount:")) continue;
          const list = map.get(principal.scopeId);
          if (list) list.push(principal);
          else map.set(principal.scopeId, [principal]);
        }
        return map;
      });
      const found: Principal[] = [];
      const queue = [resource];
      const seen = new Set<string>();
      for (let i = 0; i < queue.length; i++) {
        const current = queue[i];
        if (current === undefined || seen.has(current)) continue;
        seen.add(current);
        found.push(...(byProject.get(current) ?? []));
        for (const child of this.inventory.childrenOf(current)) queue.push(child.id);
      }
      return found;
    });
  }
}

/** Places a GCP reference: a scope name, a resource name, a service account member or principal. */
export function resolveGcpTarget(ctx: QueryContext, resource: string): ResourceTarget | undefined {
  const inventory = ctx.inventory;
  let id = inventoryFormOf(ctx, resource.replace(/^\/\/[a-z0-9.-]+\//, ""));
  let principalId: string | undefined;
  if (!/^(projects|folders|organizations)\//.test(id)) {
    const principal = inventory.findPrincipal(resource);
    const saResource = principal && principal.provider === "gcp" ? gcpServiceAccountResource(principal) : undefined;
    if (!principal || !saResource) return undefined;
    id = saResource;
    principalId = principal.id;
  }
  principalId ??= serviceAccountMemberOf(id);
  for (const note of targetNotes(ctx, id)) ctx.note(note);
  const scope = inventory.scopes.get(id);
  const placed = scope ?? inventory.scopeOfResource(id);
  const chain = placed && placed.provider === "gcp" ? inventory.scopeChain(placed.id) : [];
  return {
    input: resource,
    provider: "gcp",
    id,
    chain,
    isScope: scope !== undefined,
    ...(principalId && inventory.principals.has(principalId) ? { principalId } : {}),
  };
}

/**
 * What an answer about this resource cannot see, said once: bindings on a bucket that was not
 * listed, object ACLs of a bucket without uniform bucket-level access, the policy of a regional
 * secret in a location that was not read or whose listing failed, and the policies of secrets, keys
 * and buckets in a project where collect.resourcePolicies was off.
 */
function targetNotes(ctx: QueryContext, id: string): string[] {
  const notes: string[] = [];
  const unlisted = UNNAMED_PROJECT_BUCKET.exec(id)?.[1];
  if (unlisted) {
    notes.push(`bucket ${unlisted} is in no collected project's bucket listing: its own bindings were not read, and bindings on projects, folders and the organization reach it only if it is theirs (unknown)`);
  }
  const missing = bucketMissingFromListing(ctx, id);
  if (missing) {
    const project = id.slice(0, id.indexOf("/buckets/"));
    notes.push(`${missing}: its own bindings were not read, and bindings on ${project}, its folders and the organization reach it only if it is in ${project} (unknown); ask about projects/_/${id.slice(project.length + 1)} to include every project`);
  }
  const acl = objectAclNote(ctx.inventory, id);
  if (acl) notes.push(acl);
  const owned = RESOURCE_WITH_OWN_POLICY.exec(id);
  const project = owned?.[1] ? ctx.inventory.scopes.get(owned[1]) : undefined;
  if (owned && project?.provider === "gcp" && project.attributes?.[RESOURCE_POLICIES_READ] === false) {
    notes.push(`IAM policies of secrets, keys and buckets in ${owned[1]} are not read (providers.gcp.collect.resourcePolicies is off): bindings on ${owned[0]} itself, and on anything in it, are unknown`);
  }
  const regional = REGIONAL_SECRET.exec(id);
  const attributes = regional?.[1] ? ctx.inventory.scopes.get(regional[1])?.attributes : undefined;
  const read = attributes?.[REGIONAL_SECRET_LOCATIONS];
  const failed = attributes?.[REGIONAL_SECRET_LOCATIONS_NOT_LISTED];
  if (regional?.[2] && typeof failed === "string" && failed.split(",").includes(regional[2])) {
    notes.push(`regional secrets in ${regional[2]} of ${regional[1]} could not be listed (see the collection gaps): bindings on ${regional[0]} itself are unknown`);
  } else if (regional?.[2] && typeof read === "string" && !read.split(",").includes(regional[2])) {
    notes.push(`regional secrets in ${regional[2]} are not read (providers.gcp.secretManagerLocations): bindings on ${regional[0]} itself are unknown`);
  }
  return notes;
}

/**
 * A resource name as Google writes it, in the inventory's form: a project number becomes the
 * project id (Secret Manager names secrets by number), and a bucket is placed by its name alone,
 * which is global: `projects/_/buckets/b`, or `b` under any project, is answered for the project
 * whose listing has it (a different project than the one asked is corrected, with a note). A bucket
 * no listing has is unplaced (`projects/_/...`: unknown for every container) when the project asked
 * lists its buckets; in snapshots without listings, the collected project holding bindings on it
 * places it, and otherwise the name is taken at its word.
 */
function inventoryFormOf(ctx: QueryContext, given: string): string {
  const inventory = ctx.inventory;
  // A managed folder's name is a path ending in "/" (`releases/signed/`); asked without it, it is the same folder.
  const named = /\/buckets\/[^/]+\/managedFolders\/.*[^/]$/.test(given) ? `${given}/` : given;
  const name = withProjectId(ctx, named);
  const bucket = /^projects\/([^/]+)\/buckets\/([^/]+)(\/.*)?$/.exec(name);
  if (!bucket?.[1] || !bucket[2]) return name;
  const [, project, bucketName, rest = ""] = bucket;
  const listedBuckets = ctx.cache.memo("gcp:bucketsByName", () => {
    const map = new Map<string, string>();
    for (const resource of inventory.snapshot.resources ?? []) {
      if (resource.provider === "gcp" && resource.kind === "bucket") map.set(resource.id.slice(resource.id.lastIndexOf("/") + 1), resource.id);
    }
    return map;
  });
  const listed = listedBuckets.get(bucketName);
  if (listed) {
    const listedProject = listed.slice(0, listed.length - `/buckets/${bucketName}`.length);
    if (project !== "_" && `projects/${project}` !== listedProject) {
      ctx.note(`bucket ${bucketName} is in the bucket listing of ${listedProject}, not projects/${project} (bucket names are global): answered for ${listed}${rest}`);
    }
    return `${listed}${rest}`;
  }
  if (project !== "_") return name;
  for (const scope of inventory.snapshot.scopes) {
    if (scope.provider !== "gcp" || scope.kind !== "project") continue;
    if (inventory.grantsOn(`${scope.id}/buckets/${bucketName}`).length > 0) return `${scope.id}/buckets/${bucketName}${rest}`;
  }
  return name;
}

/**
 * Why bindings on its project and above may not reach a bucket (or what is in it) named under a
 * collected project: that project listed its buckets and this one was not among them, nor in any
 * other listing. Undefined when the project is not known to list its buckets, or the bucket is bound.
 * The answer stays within the project asked (the scope policies placed the question in); asking
 * with `projects/_/` covers every project.
 */
function bucketMissingFromListing(ctx: QueryContext, id: string): string | undefined {
  const bucket = /^(projects\/[^/]+)\/buckets\/([^/]+)/.exec(id);
  if (!bucket?.[1] || !bucket[2] || bucket[1] === "projects/_") return undefined;
  const [bucketId, project, name] = bucket;
  const scope = ctx.inventory.scopes.get(project);
  if (scope?.provider !== "gcp" || scope.attributes?.[RESOURCE_POLICIES_READ] !== true) return undefined;
  if (ctx.inventory.collectedResource(bucketId) || ctx.inventory.grantsOn(bucketId).length > 0) return undefined;
  return `bucket ${name} is not in the bucket listing of ${project}, nor of any other collected project`;
}

/** `projects/<number>/...` → `projects/<id>/...` when a collected project has that number. */
function withProjectId(ctx: QueryContext, name: string): string {
  const numbered = /^projects\/(\d+)(\/.*)?$/.exec(name);
  if (!numbered?.[1]) return name;
  const byNumber = ctx.cache.memo("gcp:projectIdsByNumber", () => {
    const map = new Map<string, string>();
    for (const scope of ctx.inventory.snapshot.scopes) {
      const number = scope.provider === "gcp" && scope.kind === "project" ? scope.attributes?.["projectNumber"] : undefined;
      if (number !== undefined) map.set(String(number), scope.id);
    }
    return map;
  });
  const project = byNumber.get(numbered[1]);
  return project ? `${project}${numbered[2] ?? ""}` : name;
}
