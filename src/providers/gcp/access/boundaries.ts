/**
 * Google Cloud principal access boundaries (IAM v3). A boundary policy is bound to principal sets
 * (a project, folder or organization's service accounts and workload identity pools, a workload or
 * workforce identity pool, a Google Workspace account); a principal bound to one or more is only
 * eligible to reach the resources their rules list (organizations, folders, projects and all
 * below them), the union over every boundary bound to it. Principals with no binding are
 * unaffected. The inventory keeps each boundary as a `boundary` policy with one statement per
 * binding and rule: `principals` holds the bound principal set, `resources` the rule's resources,
 * `conditions` the binding's condition (which may only test `principal.type` / `principal.subject`).
 *
 * A boundary limits only the permissions its enforcement version can block (boundary-enforcement.ts);
 * for any other permission it has no effect. Not modelled: Workspace membership of users (an
 * organization or Workspace principal set makes their paths conditional, not denied).
 */
import type { CollectionGap, Principal, Scope } from "../../../model/inventory.js";
import type { CompiledStatement, QueryContext } from "../../../analysis/entitlements/context.js";
import { memoIn } from "../../../analysis/entitlements/context.js";
import type { Subject } from "../../../analysis/entitlements/internal.js";
import type { Verdict } from "../../../analysis/entitlements/verdict.js";
import { boundaryEnforces } from "./boundary-enforcement.js";

type Applies = "yes" | "no" | "maybe";

const RESOURCE_MANAGER = "//cloudresourcemanager.googleapis.com/";
const WORKLOAD_POOL = /^(?:\/\/|principal:\/\/|principalSet:\/\/)iam\.googleapis\.com\/projects\/([^/]+)\/locations\/global\/workloadIdentityPools\/([^/]+)/;
const WORKFORCE_POOL = /^(?:\/\/|principal:\/\/|principalSet:\/\/)iam\.googleapis\.com\/locations\/global\/workforcePools\/([^/]+)/;
const WORKSPACE = /^\/\/iam\.googleapis\.com\/locations\/global\/workspace\//;
const BOUNDARY_SOURCES = new Set(["iam.v3.policyBindings.list", "iam.v3.principalAccessBoundaryPolicies.list"]);

/** How a caller can be named by a principal set or a binding condition. */
interface Caller {
  kind: "service_account" | "workload" | "workforce" | "workspace";
  /** `principal.type` as binding conditions see it. */
  type: string;
  /** `principal.subject` when it is known (a service account's email). */
  subject: string | undefined;
  /** Scope ids the caller belongs to, nearest first (its project, folders, organization). */
  home: string[];
  /** Workload pool as `<project scope id>/<pool>`, workforce pool id. */
  pool: string | undefined;
}

interface BoundStatement {
  stmt: CompiledStatement;
  applies: Exclude<Applies, "no">;
  /** Why the binding only may apply (membership or condition left open). */
  why: string | undefined;
}

const CALLER_TYPES = {
  service_account: "iam.googleapis.com/ServiceAccount",
  workload: "iam.googleapis.com/WorkloadIdentityPoolIdentity",
  workforce: "iam.googleapis.com/WorkforcePoolIdentity",
  workspace: "iam.googleapis.com/WorkspaceIdentity",
} as const;

export class GcpBoundaries {
  private readonly bound: Map<string, BoundStatement[]>;

  constructor(
    private readonly ctx: QueryContext,
    private readonly ancestorsOf: (resource: string) => { scopes: readonly Scope[]; known: boolean },
  ) {
    this.bound = ctx.table("gcp:boundaries");
  }

  private get inventory() {
    return this.ctx.inventory;
  }

  /** Every boundary statement of the inventory (inventory lifetime). */
  private statements(): CompiledStatement[] {
    return this.ctx.cache.memo("gcp:boundaryStatements", () =>
      this.inventory.snapshot.policies
        .filter((p) => p.provider === "gcp" && p.kind === "boundary")
        .flatMap((p) => this.ctx.cache.policy(p.id)?.allows ?? []),
    );
  }

  /** `projects/<number>` → `projects/<id>`, from the scopes' recorded project numbers. */
  private projectsByNumber(): Map<string, string> {
    return this.ctx.cache.memo("gcp:projectsByNumber", () => {
      const map = new Map<string, string>();
      for (const scope of this.inventory.snapshot.scopes) {
        const number = scope.provider === "gcp" && scope.kind === "project" ? scope.attributes?.["projectNumber"] : undefined;
        if (number !== undefined) map.set(`projects/${number}`, scope.id);
      }
      return map;
    });
  }

  /** A resource manager name (full or short, project by id or number) as an inventory scope id. */
  private scopeIdOf(name: string): string {
    const short = name.startsWith(RESOURCE_MANAGER) ? name.slice(RESOURCE_MANAGER.length) : name;
    return this.projectsByNumber().get(short) ?? short;
  }

  private callerOf(subject: Subject): Caller | undefined {
    const principal: Principal | undefined = subject.principal;
    const id = subject.id;
    const chain = (scopeId: string | undefined) => (scopeId ? this.inventory.scopeChain(scopeId).map((s) => s.id) : []);
    if (id.startsWith("serviceAccount:")) {
      const email = principal?.email ?? id.slice("serviceAccount:".length);
      const project = principal?.scopeId ?? /@([^.]+)\.iam\.gserviceaccount\.com$/.exec(email)?.[1];
      const scopeId = project === undefined ? undefined : project.startsWith("projects/") ? project : `projects/${project}`;
      const home = chain(scopeId);
      return { kind: "service_account", type: CALLER_TYPES.service_account, subject: email, home: home.length > 0 ? home : scopeId ? [scopeId] : [], pool: undefined };
    }
    const workload = WORKLOAD_POOL.exec(id);
    if (workload?.[1] && workload[2]) {
      const project = this.scopeIdOf(`projects/${workload[1]}`);
      const home = chain(principal?.scopeId ?? project);
      return { kind: "workload", type: CALLER_TYPES.workload, subject: undefined, home, pool: `${project}/${workload[2]}` };
    }
    const workforce = WORKFORCE_POOL.exec(id);
    if (workforce?.[1]) return { kind: "workforce", type: CALLER_TYPES.workforce, subject: undefined, home: [], pool: workforce[1] };
    if (id.startsWith("user:") || id.startsWith("group:") || principal?.kind === "user" || principal?.kind === "group") {
      return { kind: "workspace", type: CALLER_TYPES.workspace, subject: undefined, home: [], pool: undefined };
    }
    return undefined; // allUsers, domain:, deleted members: no single caller a boundary binds
  }

  /** Is the caller in a bound principal set? */
  private member(caller: Caller, principalSet: string): { applies: Applies; why?: string } {
    if (principalSet.startsWith(RESOURCE_MANAGER)) {
      const scopeId = this.scopeIdOf(principalSet);
      if (caller.kind === "service_account" || caller.kind === "workload") {
        if (caller.home.includes(scopeId)) return { applies: "yes" };
        // An account whose project is not placed under its folders: membership of a folder or organization is unknown.
        if (caller.home.length <= 1 && !scopeId.startsWith("projects/")) return { applies: "maybe", why: `whether ${caller.home[0] ?? "its project"} is under ${scopeId} is unknown` };
        return { applies: "no" };
      }
      return scopeId.startsWith("organizations/")
        ? { applies: "maybe", why: `whether it is an identity of ${scopeId} (Google Workspace or workforce pool) is not in the inventory` }
        : { applies: "no" };
    }
    const workload = WORKLOAD_POOL.exec(principalSet);
    if (workload?.[1] && workload[2]) {
      return { applies: caller.kind === "workload" && caller.pool === `${this.scopeIdOf(`projects/${workload[1]}`)}/${workload[2]}` ? "yes" : "no" };
    }
    const workforce = WORKFORCE_POOL.exec(principalSet);
    if (workforce?.[1]) return { applies: caller.kind === "workforce" && caller.pool === workforce[1] ? "yes" : "no" };
    if (WORKSPACE.test(principalSet)) {
      return caller.kind === "workspace" ? { applies: "maybe", why: `membership of ${principalSet} is not in the inventory` } : { applies: "no" };
    }
    return { applies: "maybe", why: `principal set ${principalSet} is not understood` };
  }

  /** Bound principal sets in `principals`; the binding's condition in `conditions`. */
  private appliesTo(caller: Caller, stmt: CompiledStatement): { applies: Applies; why?: string } {
    let result: { applies: Applies; why?: string } = { applies: "no" };
    for (const principalSet of stmt.statement.principals ?? []) {
      const membership = this.member(caller, principalSet);
      if (membership.applies === "yes") {
        result = membership;
        break;
      }
      if (membership.applies === "maybe") result = membership;
    }
    if (result.applies === "no") return result;
    for (const condition of stmt.statement.conditions ?? []) {
      const holds = bindingConditionHolds(condition.expression, caller);
      if (holds === "no") return { applies: "no" };
      if (holds === "maybe") result = { applies: "maybe", why: `binding condition ${condition.expression}` };
    }
    return result;
  }

  /** Boundary statements whose binding (may) apply to the subject, memoized per query. */
  private boundTo(subject: Subject): BoundStatement[] {
    return memoIn(this.bound, subject.id, () => {
      const statements = this.statements();
      if (statements.length === 0) return [];
      const caller = this.callerOf(subject);
      if (!caller) return [];
      const found: BoundStatement[] = [];
      for (const stmt of statements) {
        const { applies, why } = this.appliesTo(caller, stmt);
        if (applies !== "no") found.push({ stmt, applies, why });
      }
      return found;
    });
  }

  private covers(stmt: CompiledStatement, scopeIds: ReadonlySet<string>): boolean {
    return (stmt.resources ?? []).some((resource) => scopeIds.has(this.scopeIdOf(resource)));
  }

  /**
   * Limits one permission on one resource by the subject's boundaries: denied when a boundary
   * certainly bound to it, whose enforcement version blocks the permission, leaves the resource
   * out and none bound to it covers it; conditional when that depends on a binding that only may
   * apply or a version that may block the permission. A boundary whose version cannot block the
   * permission has no effect on it (boundary-enforcement.ts).
   */
  apply(verdict: Verdict, subject: Subject, permission: string, resource: string): void {
    this.noteUnreadable(verdict, subject);
    const all = this.boundTo(subject);
    if (all.length === 0) return;
    const ancestors = this.ancestorsOf(resource);
    if (!ancestors.known) return; // already unknown: where the resource sits is not collected
    const scopeIds = new Set(ancestors.scopes.map((s) => s.id));
    const bound: BoundStatement[] = [];
    const ignoring: Array<{ b: BoundStatement; why: string }> = [];
    for (const b of all) {
      const enforcement = boundaryEnforces(b.stmt.policy.enforcementVersion, permission);
      if (enforcement.blocks === "no") ignoring.push({ b, why: enforcement.why });
      else if (enforcement.blocks === "maybe") bound.push({ ...b, applies: "maybe", why: b.why ? `${b.why}; ${enforcement.why}` : enforcement.why });
      else bound.push(b);
    }
    const covering = bound.filter((b) => this.covers(b.stmt, scopeIds));
    if (covering.some((b) => b.applies === "yes")) return;
    const outside = bound.filter((b) => !covering.includes(b));
    if (outside.length === 0) return; // whichever binding applies covers the resource
    const below = this.coveredBelow(bound, resource);
    if (below.length > 0) {
      // A binding on a folder still reaches the projects under it that the boundary covers.
      verdict.note(`only ${below.join(", ")} below ${resource} is inside the principal access boundaries bound to ${subject.id}`);
      return;
    }
    // A boundary that cannot block the permission but lists the resource: Google does not say whether it still makes the resource eligible.
    const listedByIgnoring = ignoring.filter(({ b }) => this.covers(b.stmt, scopeIds));
    const certain = outside.find((b) => b.applies === "yes");
    const enforcement = certain ? boundaryEnforces(certain.stmt.policy.enforcementVersion, permission) : undefined;
    if (certain && covering.length === 0 && listedByIgnoring.length === 0) {
      const policy = certain.stmt.policy;
      verdict.justify(certain.stmt.key);
      verdict.block({
        kind: "principal_access_boundary",
        id: certain.stmt.key,
        description: `${resource} is outside the principal access boundary ${policy.name} (${policy.id}) bound to ${subject.id}`,
      });
      if (enforcement) verdict.note(enforcement.why);
      return;
    }
    if (certain) {
      // Eligible only if one of the covering bindings, which may not apply, does.
      for (const b of covering) {
        verdict.addConditions(b.stmt.key, [
          { title: "principal access boundary", expression: `${resource} is eligible only through ${b.stmt.policy.id}, if it applies to ${subject.id} (${b.why ?? "unknown"})` },
        ]);
      }
      for (const { b, why } of listedByIgnoring) {
        verdict.addConditions(b.stmt.key, [
          {
            title: "principal access boundary",
            expression: `${resource} is listed by ${b.stmt.policy.id}, whose ${why}: whether that still makes ${resource} eligible for ${permission} is not documented`,
          },
        ]);
      }
      verdict.note(`${resource} is outside the principal access boundary ${certain.stmt.policy.id} bound to ${subject.id}`);
      if (enforcement) verdict.note(enforcement.why);
      return;
    }
    for (const b of outside) {
      verdict.addConditions(b.stmt.key, [
        { title: "principal access boundary", expression: `${resource} is outside ${b.stmt.policy.id}: blocked if it applies to ${subject.id} (${b.why ?? "unknown"})` },
      ]);
    }
  }

  /** Boundary resources strictly inside a scope (none for a resource that is not a scope). */
  private coveredBelow(bound: readonly BoundStatement[], resource: string): string[] {
    if (!this.inventory.scopes.has(resource)) return [];
    const inside = new Set<string>();
    for (const { stmt } of bound) {
      for (const name of stmt.resources ?? []) {
        const scopeId = this.scopeIdOf(name);
        if (scopeId !== resource && this.ancestorsOf(scopeId).scopes.some((s) => s.id === resource)) inside.add(scopeId);
      }
    }
    return [...inside].sort();
  }

  /** Boundary data that could not be read for the subject: the path may still be limited. */
  private noteUnreadable(verdict: Verdict, subject: Subject): void {
    const gaps = this.ctx.cache.memo<CollectionGap[]>("gcp:boundaryGaps", () =>
      this.inventory.gaps.filter((g) => g.provider === "gcp" && BOUNDARY_SOURCES.has(g.source)),
    );
    if (gaps.length === 0) return;
    const caller = this.callerOf(subject);
    if (!caller) return;
    const gap = gaps.find(
      (g) =>
        g.source === "iam.v3.principalAccessBoundaryPolicies.list" ||
        g.scopeId === undefined ||
        caller.home.includes(g.scopeId) ||
        (caller.kind !== "service_account" && caller.kind !== "workload" && g.scopeId.startsWith("organizations/")),
    );
    if (!gap) return;
    verdict.note(`principal access boundaries that may bind ${subject.id} could not be read (${gap.source}${gap.scopeId ? ` on ${gap.scopeId}` : ""}): this path may still be limited by one`);
    this.ctx.note("some GCP principal access boundary data could not be read: an allowed GCP path may still be limited by one");
  }
}

/**
 * Decides a policy binding condition from what the inventory knows of the caller. Binding
 * conditions may only read `principal.type` and `principal.subject`; plain comparisons joined by
 * all-`&&` or all-`||` are decided, anything else is left open.
 */
export function bindingConditionHolds(expression: string, caller: Pick<Caller, "type" | "subject">): Applies {
  const hasAnd = expression.includes("&&");
  const hasOr = expression.includes("||");
  if ((hasAnd && hasOr) || /[()!]/.test(expression.replace(/!=/g, ""))) return "maybe";
  const clauses = expression.split(hasOr ? "||" : "&&").map((clause) => clause.trim());
  const results = clauses.map((clause): Applies => {
    const match = /^principal\.(type|subject)\s*(==|!=)\s*(['"])(.*)\3$/.exec(clause);
    if (!match) return "maybe";
    const value = match[1] === "type" ? caller.type : caller.subject;
    if (value === undefined) return "maybe";
    return (value === match[4]) === (match[2] === "==") ? "yes" : "no";
  });
  if (hasOr) return results.includes("yes") ? "yes" : results.includes("maybe") ? "maybe" : "no";
  return results.includes("no") ? "no" : results.includes("maybe") ? "maybe" : "yes";
}
