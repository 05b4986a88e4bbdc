/**
 * The search. Forward: from one principal, what it reaches directly and through pivots
 * (breadth-first, shortest chains first, cycle-safe, up to `maxDepth` hops). Reverse: who holds
 * the access directly (found through indexes: policy → grants → principals, bindings on the
 * resource's ancestors), then who can pivot into those holders, level by level.
 *
 * A principal reached with an allowed route is settled: later, longer routes to it are dropped.
 * One reached only conditionally (or unknown) keeps collecting routes, so an allowed detour is
 * not hidden behind a conditional shortcut. Denied pivots are never followed; a denied pivot is
 * reported as a path of its own (e.g. blockedBy missing_caller_permission) only when the query
 * asks about the pivot itself (no action, or an action matching it), else counted in a note.
 *
 * Work is bounded by count, never by time, so an answer is the same on every run: visited
 * principals, edges per principal, precise pivot evaluations and reverse candidates are capped
 * (`QueryLimits`), and any cap that bites makes the answer `truncated` with a note.
 */
import { UserFacingError } from "../../errors.js";
import { resolvePrincipal } from "../describe.js";
import type { Inventory } from "../../model/inventory-index.js";
import type { Principal, Provider } from "../../model/inventory.js";
import { DEFAULT_LIMITS, QueryContext, type QueryLimits } from "./context.js";
import type { AccessRequest, CandidatePage, Finding, PivotEdge, ProviderEvaluator, ResourceTarget, Subject } from "./internal.js";
import { patternsIntersect } from "./matching.js";
import { PathCollector, type PathListing } from "./collected-paths.js";
import { PROVIDER_IDS } from "../../providers/ids.js";
import { actionFitsProvider, providerModule, PROVIDERS as PROVIDER_MODULES } from "../../providers/registry.js";
import {
  type BlockedBy,
  DEFAULT_PIVOT_DEPTH,
  type EntitlementAnswer,
  type EntitlementQuery,
  entitlementQuerySchema,
  MAX_PATHS,
  type ResolvedEntitlementQuery,
} from "./types.js";

const PROVIDERS: readonly Provider[] = PROVIDER_IDS;

function createEvaluators(ctx: QueryContext): Record<Provider, ProviderEvaluator> {
  return Object.fromEntries(PROVIDER_MODULES.map((module) => [module.id, module.createEvaluator(ctx)])) as Record<Provider, ProviderEvaluator>;
}

interface ForwardState {
  subject: Subject;
  routes: PivotEdge[][];
  processed: boolean;
}

/** The edges of a direct route (routes are extended by copying, never in place). */
const NO_EDGES: readonly PivotEdge[] = Object.freeze([]);

interface ReverseRoute {
  edges: readonly PivotEdge[];
  finding: Finding | undefined;
}

interface ReverseState {
  subject: Subject;
  routes: ReverseRoute[];
}

export interface ExplainOptions {
  limits?: Partial<QueryLimits>;
  /** Paths returned at most (default MAX_PATHS). */
  maxPaths?: number;
  /**
   * False: evaluate every principal on its own, without the evaluations shared between principals
   * that meet the same limits (the reference answer, which tests compare the shared one with).
   */
  shareEvaluations?: boolean;
  /**
   * True: build every path as it is found and sort the built paths (the reference answer, which
   * tests compare the on-demand listing with). Default false: paths are built when a page shows them.
   */
  buildEveryPath?: boolean;
}

function listOr(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} or ${items.at(-1) ?? ""}`;
}

function parseQuery(query: EntitlementQuery): ResolvedEntitlementQuery {
  const parsed = entitlementQuerySchema.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") || "query";
    throw new UserFacingError("invalid_input", `${field}: ${issue?.message ?? "invalid"}`);
  }
  return { ...parsed.data, maxDepth: parsed.data.maxDepth ?? DEFAULT_PIVOT_DEPTH };
}

function edgesAllowed(edges: readonly PivotEdge[]): boolean {
  return edges.every((e) => e.verdict.outcome === "allowed");
}

function routeDenied(route: ReverseRoute): boolean {
  return route.edges.some((e) => e.verdict.outcome === "denied") || route.finding?.verdict.outcome === "denied";
}

function routeAllowed(route: ReverseRoute): boolean {
  return edgesAllowed(route.edges) && (route.finding === undefined || route.finding.verdict.outcome === "allowed");
}

/**
 * A disabled identity (a disabled Google service account, a disabled Entra service principal)
 * issues no tokens, so a pivot into it ends the path whatever the permissions say.
 */
function blockDisabledPivot(edge: PivotEdge): void {
  if (edge.to.principal?.disabled !== true) return;
  edge.verdict.block({
    kind: "disabled_principal",
    id: edge.to.id,
    description: `${edge.to.label} is disabled, so acting as it yields no credentials`,
  });
}

class EntitlementSearch {
  private readonly evaluators: Record<Provider, ProviderEvaluator>;
  private readonly collector: PathCollector;
  private readonly targets = new Map<Provider, ResourceTarget | null>();
  private readonly requests = new Map<Provider, AccessRequest | null>();
  private readonly findingMemo = new Map<string, Finding[]>();
  private readonly edgesFromMemo = new Map<string, PivotEdge[]>();
  private readonly edgesToMemo = new Map<string, PivotEdge[]>();
  private readonly cannotActMemo = new Map<string, BlockedBy | undefined>();
  private deniedPivots = 0;
  private readonly maxPaths: number;

  constructor(
    private readonly ctx: QueryContext,
    private readonly query: ResolvedEntitlementQuery,
    maxPaths: number,
    buildEveryPath: boolean,
  ) {
    this.evaluators = createEvaluators(ctx);
    // One past the page tells truncation apart; past it the search stops, so a truncated answer
    // holds the first paths in search order (direct before pivoted), sorted.
    this.collector = new PathCollector(maxPaths + 1, buildEveryPath);
    this.maxPaths = maxPaths;
  }

  /** The query's resource in a provider's terms: undefined without a resource, null when not this provider's. */
  target(provider: Provider): ResourceTarget | undefined | null {
    const resource = this.query.resource;
    if (resource === undefined) return undefined;
    if (!this.targets.has(provider)) this.targets.set(provider, this.evaluators[provider].resolveTarget(resource) ?? null);
    return this.targets.get(provider) ?? null;
  }

  private findingsFor(subject: Subject): Finding[] {
    const cached = this.findingMemo.get(subject.id);
    if (cached) return cached;
    let findings: Finding[] = [];
    const request = this.requestFor(subject.provider);
    if (request) {
      const evaluator = this.evaluators[subject.provider];
      findings = evaluator.findAccess(subject, request);
      const escalations = evaluator.selfEscalations(subject, request);
      if (escalations.length > 0) findings = [...findings, ...escalations];
    }
    this.findingMemo.set(subject.id, findings);
    return findings;
  }

  /** The query as one provider's request (one object per provider: a reverse question asks it of thousands); null when out of scope. */
  private requestFor(provider: Provider): AccessRequest | null {
    let request = this.requests.get(provider);
    if (request === undefined) {
      const target = this.target(provider);
      request = this.providerInScope(provider) && target !== null ? { ...(this.query.action !== undefined ? { action: this.query.action } : {}), ...(target ? { target } : {}) } : null;
      this.requests.set(provider, request);
    }
    return request;
  }

  /** Why a subject cannot act on its own today (memoized per query); undefined when it can. */
  private cannotAct(subject: Subject): BlockedBy | undefined {
    if (!this.cannotActMemo.has(subject.id)) this.cannotActMemo.set(subject.id, this.evaluators[subject.provider].cannotAct?.(subject));
    return this.cannotActMemo.get(subject.id);
  }

  /** The query's provider filter, and an action only one provider's syntax fits (s3:x, a.b.c, A/b/c). */
  private providerInScope(provider: Provider): boolean {
    if (this.query.provider && provider !== this.query.provider) return false;
    return this.query.action === undefined || actionFitsProvider(this.query.action, provider);
  }

  private edgesFrom(subject: Subject): PivotEdge[] {
    const cached = this.edgesFromMemo.get(subject.id);
    if (cached) return cached;
    const edges = PROVIDERS.flatMap((p) => this.evaluators[p].edgesFrom(subject));
    for (const edge of edges) blockDisabledPivot(edge);
    this.edgesFromMemo.set(subject.id, edges);
    return edges;
  }

  private edgesTo(subject: Subject, skip?: (callerId: string) => boolean): PivotEdge[] {
    const cached = this.edgesToMemo.get(subject.id);
    if (cached) return cached;
    const edges = PROVIDERS.flatMap((p) => this.evaluators[p].edgesTo(subject, skip));
    for (const edge of edges) blockDisabledPivot(edge);
    this.edgesToMemo.set(subject.id, edges);
    return edges;
  }

  /** Trust-granted pivots are entitlements of their own when the query asks about them. */
  private edgeAnswersQuery(edge: PivotEdge): boolean {
    if (!edge.standalone) return false;
    if (this.query.provider && edge.to.provider !== this.query.provider) return false;
    if (this.query.action !== undefined && !patternsIntersect(this.query.action, edge.action, true)) return false;
    if (this.query.resource === undefined) return true;
    const target = this.target(edge.to.provider);
    return !!target && (target.principalId === edge.to.id || target.id === edge.resource);
  }

  private reserveVisit(size: number): boolean {
    if (size < this.ctx.limits.maxVisited) return true;
    this.ctx.limitReached = true;
    this.ctx.note(`the pivot search stopped after ${this.ctx.limits.maxVisited} principals`);
    return false;
  }

  forward(start: Principal): void {
    const startSubject = this.ctx.subjectFor(start);
    const states = new Map<string, ForwardState>([[start.id, { subject: startSubject, routes: [[]], processed: false }]]);
    const addRoutes = (state: ForwardState, routes: PivotEdge[][]): PivotEdge[][] => {
      const room = this.ctx.limits.maxRoutesPerPrincipal - state.routes.length;
      const added = routes.slice(0, Math.max(0, room));
      state.routes.push(...added);
      return added;
    };
    const emit = (state: ForwardState, routes: readonly PivotEdge[][]): void => {
      for (const route of routes) {
        for (const finding of this.findingsFor(state.subject)) this.collector.add(startSubject, route, finding, this.cannotAct(startSubject));
      }
    };
    let frontier = [start.id];
    for (let depth = 0; frontier.length > 0 && !this.collector.full; depth++) {
      const next: string[] = [];
      for (const id of frontier) {
        const state = states.get(id);
        if (!state || this.collector.full) continue;
        state.processed = true;
        emit(state, state.routes);
        if (depth >= this.query.maxDepth || this.ctx.pivotBudgetSpent) continue;
        for (const edge of this.edgesFrom(state.subject)) {
          const toId = edge.to.id;
          const routes = state.routes
            .filter((route) => toId !== start.id && !route.some((e) => e.to.id === toId))
            .map((route) => [...route, edge]);
          const reported = this.edgeAnswersQuery(edge);
          if (reported) for (const route of routes) this.collector.add(startSubject, route, undefined, this.cannotAct(startSubject));
          if (edge.verdict.outcome === "denied") {
            if (!reported) this.deniedPivots++;
            continue;
          }
          if (routes.length === 0) continue;
          const reached = states.get(toId);
          if (!reached) {
            if (!this.reserveVisit(states.size)) continue;
            const created: ForwardState = { subject: edge.to, routes: [], processed: false };
            states.set(toId, created);
            addRoutes(created, routes);
            next.push(toId);
          } else if (!reached.routes.some(edgesAllowed)) {
            const added = addRoutes(reached, routes);
            if (reached.processed) emit(reached, added);
          }
        }
      }
      frontier = next;
    }
  }

  /** The first `maxCandidates` holders of a reverse question and how many there are. */
  private candidates(provider: Provider, request: AccessRequest): CandidatePage {
    const evaluator = this.evaluators[provider];
    const max = this.ctx.limits.maxCandidates;
    if (evaluator.holdersPage && this.ctx.shareEvaluations) return evaluator.holdersPage(request, max);
    const holders = evaluator.holders(request);
    return { subjects: holders.slice(0, max), total: holders.length };
  }

  reverse(): void {
    const providers = PROVIDERS.filter((p) => this.providerInScope(p) && this.target(p));
    if (providers.length === 0) {
      this.ctx.note(`${this.query.action ?? ""} is not an action of the provider ${this.query.resource ?? ""} belongs to`);
    }
    const states = new Map<string, ReverseState>();
    /** Adds routes to a subject (as many as it has room for); returns its state when this created it. */
    const addRoutes = (subject: Subject, routes: readonly ReverseRoute[]): ReverseState | undefined => {
      let state = states.get(subject.id);
      const created = !state;
      if (!state) {
        state = { subject, routes: [] };
        states.set(subject.id, state);
      }
      const added = Math.min(routes.length, Math.max(0, this.ctx.limits.maxRoutesPerPrincipal - state.routes.length));
      const cannotAct = added > 0 ? this.cannotAct(subject) : undefined;
      for (let i = 0; i < added; i++) {
        const route = routes[i] as ReverseRoute;
        state.routes.push(route);
        this.collector.add(subject, route.edges, route.finding, cannotAct);
      }
      return created ? state : undefined;
    };
    for (const provider of providers) {
      const target = this.target(provider);
      if (!target) continue;
      const action = this.query.action;
      const { subjects, total } = this.candidates(provider, { ...(action !== undefined ? { action } : {}), target });
      if (total > this.ctx.limits.maxCandidates) {
        this.ctx.limitReached = true;
        this.ctx.note(`only the first ${this.ctx.limits.maxCandidates} of ${total} candidate principals were evaluated`);
      }
      for (const subject of subjects) {
        if (this.collector.full) break;
        const routes = this.findingsFor(subject).map((finding) => ({ edges: NO_EDGES, finding }));
        if (routes.length > 0) addRoutes(subject, routes);
      }
      if (target.principalId) {
        const principal = this.ctx.subjectForId(target.principalId, provider);
        for (const edge of this.edgesTo(principal)) {
          if (this.edgeAnswersQuery(edge)) addRoutes(edge.from, [{ edges: [edge], finding: undefined }]);
        }
      }
    }
    let frontier = [...states.values()].filter((s) => s.subject.principal && s.routes.some((r) => !routeDenied(r)));
    for (let depth = 1; depth <= this.query.maxDepth && frontier.length > 0 && !this.collector.full; depth++) {
      const next: ReverseState[] = [];
      // Callers already settled, or new ones past the visit limit, are not worth evaluating.
      const skip = (callerId: string): boolean => {
        const known = states.get(callerId);
        return known ? known.routes.some(routeAllowed) : states.size >= this.ctx.limits.maxVisited;
      };
      for (const holder of frontier) {
        if (this.ctx.pivotBudgetSpent || this.collector.full || !this.reserveVisit(states.size)) break;
        const usable = holder.routes.filter((r) => !routeDenied(r));
        for (const edge of this.edgesTo(holder.subject, skip)) {
          if (this.collector.full) break;
          if (edge.verdict.outcome === "denied") {
            this.deniedPivots++;
            continue;
          }
          const caller = edge.from;
          if (caller.id === holder.subject.id) continue;
          const existing = states.get(caller.id);
          if (existing?.routes.some(routeAllowed)) continue;
          const routes = usable
            .filter((r) => !r.edges.some((e) => e.to.id === caller.id))
            .map((r) => ({ edges: [edge, ...r.edges], finding: r.finding }));
          if (routes.length === 0) continue;
          if (!existing && !this.reserveVisit(states.size)) continue;
          const created = addRoutes(caller, routes);
          if (created && caller.principal) next.push(created);
        }
      }
      frontier = next;
    }
  }

  answerNotes(): { notes: string[]; truncated: boolean } {
    const notes = [...this.ctx.notes];
    if (this.deniedPivots > 0) {
      notes.push(
        `${this.deniedPivots} pivot(s) were not followed because they are denied (missing caller permission or an explicit deny)`,
      );
    }
    const overflow = this.collector.full || this.collector.size > this.maxPaths;
    const truncated = overflow || this.ctx.limitReached;
    if (overflow) {
      notes.push(`more than ${this.maxPaths} paths exist; the first ${this.maxPaths} in sort order are returned — narrow the query by action or resource`);
    }
    if (this.ctx.inventory.demo) notes.push("answer built from the built-in demo estate, not a real environment");
    return { notes, truncated };
  }

  paths(): PathListing {
    return this.collector.listing(this.maxPaths);
  }
}

/** An answer whose paths are built when a page shows them (see collected-paths.ts). */
export type EntitlementListing = Omit<EntitlementAnswer, "paths"> & { paths: PathListing };

/**
 * Explains how a principal reaches what it reaches (forward: `principal` given), or who can do an
 * action on a resource (reverse: `action` and `resource` required). Never throws for what the data
 * cannot tell; says `unknown` instead. Throws UserFacingError for bad input or an unknown principal.
 */
export function explainEntitlementPaths(
  inventory: Inventory,
  query: EntitlementQuery,
  options: ExplainOptions = {},
): EntitlementAnswer {
  const listing = explainEntitlementListing(inventory, query, options);
  return { ...listing, paths: listing.paths.slice(0, listing.paths.length) };
}

/**
 * The same answer with its paths in a listing: counts and order are exact, and a path is built
 * only when `paths.slice` asks for it (a tool showing one page of thousands builds that page).
 */
export function explainEntitlementListing(
  inventory: Inventory,
  query: EntitlementQuery,
  options: ExplainOptions = {},
): EntitlementListing {
  const resolved = parseQuery(query);
  const ctx = new QueryContext(inventory, { ...DEFAULT_LIMITS, ...options.limits }, options.shareEvaluations !== false);
  const search = new EntitlementSearch(ctx, resolved, options.maxPaths ?? MAX_PATHS, options.buildEveryPath === true);
  let principal: Principal | undefined;
  if (resolved.principal !== undefined) {
    // A name several identities share is refused with the candidates, never guessed.
    principal = resolvePrincipal(inventory, resolved.principal);
    search.forward(principal);
  } else {
    if (resolved.action === undefined) {
      throw new UserFacingError("invalid_input", "action: required for a reverse query (no principal given)");
    }
    if (resolved.resource === undefined) {
      throw new UserFacingError("invalid_input", "resource: required for a reverse query (no principal given)");
    }
    const placed = PROVIDERS.some((p) => (!resolved.provider || p === resolved.provider) && search.target(p));
    if (!placed) {
      throw new UserFacingError(
        "invalid_input",
        `resource: cannot tell which provider ${JSON.stringify(resolved.resource)} belongs to`,
        `give ${listOr(PROVIDER_MODULES.map((module) => module.resourceIdHint))}, or set provider`,
      );
    }
    search.reverse();
  }
  const paths = search.paths();
  const { notes, truncated } = search.answerNotes();
  for (const provider of PROVIDERS) {
    const target = search.target(provider);
    if (target && target.chain.length === 0 && (!resolved.provider || resolved.provider === provider)) {
      // An id that names no scope by itself (an S3 bucket ARN has no account) is not expected to be placed.
      const scopeNamedBy = providerModule(provider).ids.scopeNamedBy;
      if (scopeNamedBy === undefined || scopeNamedBy(target.id) !== undefined) {
        notes.push(`${resolved.resource ?? ""} could not be placed in a collected ${provider} scope; answers that depend on it are unknown`);
      }
    }
  }
  return {
    mode: principal ? "forward" : "reverse",
    ...(principal
      ? { principal: { id: principal.id, name: principal.name, provider: principal.provider, kind: principal.kind } }
      : {}),
    query: resolved,
    paths,
    pathCount: paths.length,
    truncated,
    notes,
  };
}
