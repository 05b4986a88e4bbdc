/**
 * AWS request evaluation, the way IAM does it for one principal: explicit deny anywhere wins
 * (identity policies including group-inherited ones, the permissions boundary, SCPs on every level
 * of the account's organization chain); then the identity policies must allow, the boundary must
 * allow (it limits, never grants), and SCPs must allow at every level that has SCPs attached.
 *
 * Requests may carry wildcards (`s3:*`, an account scope): a deny that covers the whole request
 * blocks it, a deny that covers only part of it leaves it allowed with a note naming the carve-out.
 */
import type { Grant, Principal, Scope } from "../../../model/inventory.js";
import { type CompiledStatement, memoIn, type QueryContext, statementListsAction } from "../../../analysis/entitlements/context.js";
import { groupHops, listForMessage, policyHop, resourceHop } from "../../../analysis/entitlements/hops.js";
import type { AccessRequest, Finding, ResourceTarget, Subject } from "../../../analysis/entitlements/internal.js";
import { grantedShapes, hasWildcard, relateToSet, type Relation } from "../../../analysis/entitlements/matching.js";
import { awsStatementRelation } from "./evaluator-relation.js";
import type { BlockedByKind, Hop, OpenCondition } from "../../../analysis/entitlements/types.js";
import { bestOf, Verdict } from "../../../analysis/entitlements/verdict.js";

import { awsAccountOf, awsPartitionOf, isAwsRoleArn } from "../ids.js";
import { type ActionFit, AwsActionFits } from "./action-fit.js";
import { AwsResourceControls } from "./resource-controls.js";
import { AwsResourcePolicies, type ResourcePolicyAnswer, type ResourceStatementMatch } from "./resource-policies.js";
import { callerFactsKey, conditionsKey, denyKey, limitsClassKey, type ResourceSide, resourceSideOf, verdictNames } from "./shared-evaluation.js";
import { conditionsImply, hasResourceConditions, principalFacts, remainingConditions, type RequestFacts, statementForPrincipal, withResource } from "./request-facts.js";

/**
 * Reads whose answer the service decrypts with the resource's KMS key on the caller's behalf, so
 * the caller needs kms:Decrypt on that key too
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html).
 */
const DECRYPTING_READS: ReadonlySet<string> = new Set(["secretsmanager:getsecretvalue", "secretsmanager:batchgetsecretvalue"]);
const KMS_DECRYPT = "kms:Decrypt";

export const IDENTITY_POLICY_KINDS: ReadonlySet<string> = new Set(["managed", "inline", "boundary"]);
export const IDENTITY_GRANT_KINDS: ReadonlySet<string> = new Set(["attachment", "inline"]);

const NO_STATEMENTS: readonly IdentityStatement[] = [];

/** One shape of what an allow statement grants for a request (see `AwsAccess.grantShapes`). */
interface GrantShape {
  action: string;
  resource: string;
  /** The resource is the request's own target pattern (the path then shows the target as asked). */
  isTarget: boolean;
  /** sts:AssumeRole on a known role: its trust policy decides, so the pivot search answers it. */
  answeredByTrust: boolean;
  fit: ActionFit;
  /** Carve-outs (NotAction, NotResource) and what a wildcard stands for, said on the path. */
  notes: readonly string[];
  unknownRole: string | undefined;
}

const NO_SHAPES: readonly GrantShape[] = [];
const NO_CONDITIONS: readonly OpenCondition[] = [];

/** Per query and request (action, resource): what principals share in evaluating it. */
interface RequestMemo {
  action: string;
  resource: string;
  /** Distinct per memo, so a principal keeps the keys of the last request it was evaluated for. */
  serial: number;
  relations: Map<CompiledStatement, Relation>;
  /** Shared limits' verdicts by class key, then by the request's variant (`requestVariant`). */
  limits: Map<string, Map<string, Verdict>>;
  /** Shared answers of the resource's policies, by caller key. */
  policyAnswers: Map<string, ResourcePolicyAnswer | undefined>;
  side?: ResourceSide;
  decrypts?: boolean;
  /** The catalog's objection to the request itself (null: none). */
  mismatch?: string | null;
}

/** Keys under which a principal shares evaluations of one request; absent where they must be its own. */
interface CallerKeys {
  limits?: string;
  resourcePolicy?: string;
}

let nextMemoSerial = 1;

const VARIANTS = ["000", "001", "010", "011", "100", "101", "110", "111"];

/** The flags and grant conditions a limits evaluation depends on besides the principal, as a key. */
function requestVariant(request: LimitsRequest): string {
  const flags = VARIANTS[(request.checkResource ? 4 : 0) + (request.identityAllows ? 2 : 0) + (request.boundaryApplies ? 1 : 0)] ?? "";
  return request.grantConditions.length === 0 ? flags : `${flags}${conditionsKey(request.grantConditions)}`;
}

/** The resource-policy statement that answers best: one without open conditions first. */
function bestMatch(matches: readonly ResourceStatementMatch[]): ResourceStatementMatch | undefined {
  return matches.find((m) => m.conditions.length === 0) ?? matches[0];
}

/** A target standing for exactly one ARN (pivot checks ask about one role or user). */
export function literalAwsTarget(id: string): ResourceTarget {
  return { input: id, provider: "aws", id, chain: [], isScope: false, awsPatterns: [id] };
}

/** An allow statement reaching a principal, through the groups it came from. */
export interface IdentityStatement {
  stmt: CompiledStatement;
  grant: Grant;
  groupChain: readonly string[];
  /** Memo: the grant's hop (see `AwsAccess.grantHopOf`). */
  grantHop?: Hop;
  /** Memo: the hops of its paths before the resource (see `AwsAccess.statementHops`). */
  hopsBeforeResource?: readonly Hop[];
}

interface LimitingDeny {
  stmt: CompiledStatement;
  kind: Extract<BlockedByKind, "explicit_deny" | "permissions_boundary" | "scp">;
}

interface ScpLevel {
  scopeId: string;
  allows: readonly CompiledStatement[];
}

export interface AwsPrincipalContext {
  principal: Principal;
  accountId: string | undefined;
  partition: string;
  /** What the principal decides about its own requests (ARN, account, user name, tags...). */
  facts: RequestFacts;
  allows: IdentityStatement[];
  denies: LimitingDeny[];
  boundary: { policyId: string; allows: readonly CompiledStatement[] } | undefined;
  /** Set when the principal names a boundary the inventory does not hold. */
  boundaryMissing: string | undefined;
  scpLevels: ScpLevel[];
  /** Data missing for every request of this principal (unreadable policies, SCP chain). */
  unknownReasons: string[];
  /** Memo: the identity allows that list a (lower-cased) literal action, in order. */
  allowsByAction: Map<string, readonly IdentityStatement[]>;
  /** Memo: the class of its limits for shared evaluations ("" when they cannot be shared). */
  limitsClass?: string;
  /** Memo: its caller key by the list of condition keys a resource side asks about (see `sharedCallerKey`). */
  callerKeyByConditions?: Map<readonly string[], string>;
  /** Memo: its keys for the request memo numbered `keysSerial` (requests come in runs per principal). */
  keysSerial?: number;
  keys?: CallerKeys;
}

export interface AwsRequestOptions {
  /** The identity allow statement the request rests on; absent when the allow comes from elsewhere. */
  source?: IdentityStatement;
  /** False where the boundary need not allow (resource policies naming an IAM user or a role session); its Deny still binds. */
  boundaryApplies?: boolean;
  /** False for role assumption, where the trust policy is the resource policy. */
  checkResourceAccount?: boolean;
  /**
   * True when an identity allow is presumed without a statement to show (a policy the principal
   * can grant itself): across accounts the resource policy must then allow too.
   */
  presumeIdentityAllow?: boolean;
  /** Open conditions of the grant the request rests on when it is not `source` (a resource policy's). */
  grantConditions?: readonly OpenCondition[];
}

/** What the limits' part of a request evaluation depends on besides the principal. */
interface LimitsRequest {
  checkResource: boolean;
  /** An identity allow is given or presumed (across accounts the resource policy must then allow too). */
  identityAllows: boolean;
  boundaryApplies: boolean;
  /** Open conditions of the grants the request rests on. */
  grantConditions: readonly OpenCondition[];
}

export interface AwsFindOptions {
  /** Keep sts:AssumeRole findings on known roles (needed when checking a caller's permission). */
  keepAssumeRole?: boolean;
  checkResourceAccount?: boolean;
}

export { awsStatementRelation } from "./evaluator-relation.js";

function describeStatement(stmt: CompiledStatement): string {
  const actions = stmt.actions
    ? listForMessage(stmt.actions)
    : `everything but ${listForMessage(stmt.notActions ?? [])}`;
  const resources = stmt.resources
    ? listForMessage(stmt.resources)
    : stmt.notResources
      ? `everything but ${listForMessage(stmt.notResources)}`
      : "*";
  return `${actions} on ${resources}`;
}

export class AwsAccess {
  private readonly contexts: Map<string, AwsPrincipalContext>;
  readonly resourcePolicies: AwsResourcePolicies;
  private readonly resourceControls: AwsResourceControls;
  private readonly actionFits: AwsActionFits;
  private lastRequestMemo: RequestMemo | undefined;
  private lastAction = "";
  private lastActionLower = "";
  /** The shapes memo of the last (action, target pattern) asked: calls come in runs of one request. */
  private lastShapes: { action: string | undefined; targetPattern: string | undefined; byStatement: Map<CompiledStatement, readonly GrantShape[]> } | undefined;

  constructor(private readonly ctx: QueryContext) {
    this.contexts = ctx.cache.table("aws:principalContext");
    this.resourcePolicies = new AwsResourcePolicies(ctx);
    this.resourceControls = new AwsResourceControls(ctx);
    this.actionFits = new AwsActionFits(ctx);
  }

  private get inventory() {
    return this.ctx.inventory;
  }

  /** True when any SCP is known: without one, SCPs are not evaluated at all. */
  private organizationHasScps(): boolean {
    return this.ctx.cache.memo("aws:hasScps", () =>
      this.inventory.snapshot.policies.some((p) => p.provider === "aws" && p.kind === "scp"),
    );
  }

  principalContext(principal: Principal): AwsPrincipalContext {
    // Asked for every candidate of a reverse question: a lookup, no closure.
    let context = this.contexts.get(principal.id);
    if (!context) {
      context = this.buildPrincipalContext(principal);
      this.contexts.set(principal.id, context);
    }
    return context;
  }

  private buildPrincipalContext(principal: Principal): AwsPrincipalContext {
    const inventory = this.inventory;
    const accountId = awsAccountOf(principal.scopeId) ?? awsAccountOf(principal.id);
    const facts = principalFacts(inventory, principal, accountId);
    // Statements as they read for this principal: decided conditions and variables resolved.
    const specialize = (statements: readonly CompiledStatement[]): CompiledStatement[] => {
      const out: CompiledStatement[] = [];
      for (const stmt of statements) {
        const own = statementForPrincipal(stmt, facts, principal);
        if (own) out.push(own);
      }
      return out;
    };
    const context: AwsPrincipalContext = {
      principal,
      accountId,
      partition: awsPartitionOf(principal.id),
      facts,
      allows: [],
      denies: [],
      boundary: undefined,
      boundaryMissing: undefined,
      scpLevels: [],
      unknownReasons: [],
      allowsByAction: new Map(),
    };
    const holders = [
      { id: principal.id, chain: [] as readonly string[] },
      ...this.ctx.cache.groupsOf(principal.id).map((g) => ({ id: g.groupId, chain: g.chain })),
    ];
    for (const holder of holders) {
      for (const grant of inventory.grantsOf(holder.id)) {
        if (grant.provider !== "aws" || !IDENTITY_GRANT_KINDS.has(grant.kind)) continue;
        const policy = this.ctx.cache.policy(grant.policyId);
        if (!policy) {
          context.unknownReasons.push(`policy ${grant.policyId} (grant ${grant.id}) is not in the inventory`);
          continue;
        }
        if (!IDENTITY_POLICY_KINDS.has(policy.policy.kind)) continue;
        for (const stmt of specialize(policy.allows)) context.allows.push({ stmt, grant, groupChain: holder.chain });
        for (const stmt of specialize(policy.denies)) context.denies.push({ stmt, kind: "explicit_deny" });
      }
    }
    if (principal.permissionsBoundary) {
      const boundary = this.ctx.cache.policy(principal.permissionsBoundary);
      if (boundary) {
        context.boundary = { policyId: boundary.policy.id, allows: specialize(boundary.allows) };
        for (const stmt of specialize(boundary.denies)) context.denies.push({ stmt, kind: "permissions_boundary" });
      } else {
        context.boundaryMissing = `permissions boundary ${principal.permissionsBoundary} is not in the inventory`;
      }
    }
    if (this.organizationHasScps()) {
      const chain: Scope[] = accountId ? inventory.scopeChain(`aws:account/${accountId}`) : [];
      if (chain.length === 0) {
        context.unknownReasons.push(
          `account ${accountId ?? "(unknown)"} of ${principal.id} is not in the inventory, so its SCPs cannot be evaluated`,
        );
      }
      // A level without an attached SCP is treated as allowing everything (documented choice).
      for (const scope of chain) {
        const scps = inventory.policiesAttachedToScope(scope.id).filter((p) => p.provider === "aws" && p.kind === "scp");
        if (scps.length === 0) continue;
        const allows: CompiledStatement[] = [];
        for (const scp of scps) {
          const compiled = this.ctx.cache.policy(scp.id);
          if (!compiled) continue;
          allows.push(...specialize(compiled.allows));
          for (const stmt of specialize(compiled.denies)) context.denies.push({ stmt, kind: "scp" });
        }
        context.scpLevels.push({ scopeId: scope.id, allows });
      }
    }
    return context;
  }

  /** Does any identity allow of the principal list this literal action? (memoized gate) */
  listsAction(context: AwsPrincipalContext, action: string): boolean {
    return this.allowsListing(context, action).length > 0;
  }

  /** The identity allows of the principal that list this literal action, in order (memoized). */
  allowsListing(context: AwsPrincipalContext, action: string): readonly IdentityStatement[] {
    const lower = this.lowerCased(action);
    const known = context.allowsByAction.get(lower);
    if (known) return known;
    const listing = context.allows.filter((source) => statementListsAction(source.stmt, action));
    const found = listing.length > 0 ? listing : NO_STATEMENTS;
    context.allowsByAction.set(lower, found);
    return found;
  }

  /** An action lower-cased; calls come in runs of one action, so the last one is kept. */
  private lowerCased(action: string): string {
    if (action !== this.lastAction) {
      this.lastAction = action;
      this.lastActionLower = action.toLowerCase();
    }
    return this.lastActionLower;
  }

  /** Could an identity allow cover this literal action and resource? (gate before `findAccess`) */
  mayAllow(context: AwsPrincipalContext, action: string, resource: string): boolean {
    return this.allowsListing(context, action).some(
      (source) => relateToSet(resource, source.stmt.resources, source.stmt.notResources, false, "all").relation !== "none",
    );
  }

  /**
   * Evaluates one (possibly wildcarded) request of a principal against denies, boundary, SCPs,
   * the resource's account and collection gaps. The identity allow is given by `options.source`
   * or presumed by the caller.
   */
  evaluateRequest(
    context: AwsPrincipalContext,
    action: string,
    resource: string,
    options: AwsRequestOptions = {},
  ): Verdict {
    const verdict = new Verdict();
    const { source } = options;
    const sourceConditions = source ? (this.conditionsAt(context, source.stmt, resource) ?? source.stmt.conditions) : undefined;
    if (source) {
      const grantId = this.grantHopOf(source).id;
      verdict.justify(grantId, source.stmt.key);
      verdict.addOpenConditions(sourceConditions ?? []);
      if (source.grant.conditions?.length) verdict.addConditions(grantId, source.grant.conditions);
    }
    // The verdict only ever gains entries (first block wins, duplicates are dropped), so the
    // limits' part can be computed on its own, shared, and taken in after the grant's (when the
    // verdict is read: most are only asked their outcome).
    return verdict.absorbShared(
      this.limitsVerdict(context, action, resource, {
        checkResource: options.checkResourceAccount !== false,
        identityAllows: source !== undefined || options.presumeIdentityAllow === true,
        boundaryApplies: options.boundaryApplies !== false,
        grantConditions: !options.grantConditions?.length ? (sourceConditions ?? NO_CONDITIONS) : !sourceConditions?.length ? options.grantConditions : [...sourceConditions, ...options.grantConditions],
      }),
    );
  }

  /** What the limits say about a request, shared by the principals of one class (never changed once returned). */
  private limitsVerdict(context: AwsPrincipalContext, action: string, resource: string, request: LimitsRequest): Verdict {
    const memo = this.ctx.shareEvaluations ? this.requestMemo(action, resource) : undefined;
    const classKey = memo ? this.callerKeys(memo, context).limits : undefined;
    const shareable = memo !== undefined && classKey !== undefined && !(request.checkResource && this.decryptsWithKey(memo));
    let variants: Map<string, Verdict> | undefined;
    const variant = shareable ? requestVariant(request) : "";
    if (shareable) {
      variants = memo.limits.get(classKey);
      if (!variants) memo.limits.set(classKey, (variants = new Map()));
      const shared = variants.get(variant);
      if (shared) return shared;
    }
    const verdict = this.evaluateLimits(context, action, resource, request);
    if (variants && !verdictNames(verdict, context.principal.id)) variants.set(variant, verdict);
    return verdict;
  }

  /** Does the request read data the resource's KMS key decrypts (a check that reads the caller's own allows)? */
  private decryptsWithKey(memo: RequestMemo): boolean {
    memo.decrypts ??= DECRYPTING_READS.has(memo.action.toLowerCase()) && this.resourcePolicies.encryptionKeyOf(memo.resource) !== undefined;
    return memo.decrypts;
  }

  /**
   * The keys under which a principal shares evaluations of one request (see shared-evaluation.ts):
   * undefined where its evaluation must be its own.
   */
  private callerKeys(memo: RequestMemo, context: AwsPrincipalContext): CallerKeys {
    if (context.keys !== undefined && context.keysSerial === memo.serial) return context.keys;
    const side = (memo.side ??= this.resourceSide(memo.resource));
    let keys: CallerKeys = {};
    if (side.shareable) {
      const caller = side.named.has(context.principal.id) ? this.callerKey(context, side, true) : this.sharedCallerKey(context, side);
      context.limitsClass ??= this.internLimitsClass(context);
      const denies = context.limitsClass === "" ? undefined : denyKey(context.denies, (stmt) => this.relation(stmt, memo.action, memo.resource));
      keys = { resourcePolicy: caller };
      if (denies !== undefined) keys.limits = `${context.limitsClass}\u0000${denies}\u0000${caller}`;
    }
    context.keysSerial = memo.serial;
    context.keys = keys;
    return keys;
  }

  /** What of a caller the resource side reads, as a key: its account, whether it has a boundary, whether it is named, its facts the conditions ask about. */
  private callerKey(context: AwsPrincipalContext, side: ResourceSide, named: boolean): string {
    return [context.accountId ?? "-", context.principal.permissionsBoundary === undefined ? "" : "b", named ? context.principal.id : "", callerFactsKey(side, context.facts)].join("\u0000");
  }

  /**
   * The caller key of a principal the side does not name, kept per principal and list of
   * condition keys (sides of many resources ask about the same keys) as a short interned name.
   */
  private sharedCallerKey(context: AwsPrincipalContext, side: ResourceSide): string {
    const known = (context.callerKeyByConditions ??= new Map()).get(side.conditionKeys);
    if (known !== undefined) return known;
    const keys = this.ctx.cache.table<string, string>("aws:callerKeys");
    const key = memoIn(keys, this.callerKey(context, side, false), () => `k${keys.size}`);
    context.callerKeyByConditions.set(side.conditionKeys, key);
    return key;
  }

  /** How a statement relates to a request, memoized per query (many principals share statements). */
  relation(stmt: CompiledStatement, action: string, resource: string): Relation {
    // Most statements name other actions: that is known per statement, whatever the resource.
    if (this.actionRelation(stmt, action) === "none") return "none";
    const memo = this.requestMemo(action, resource);
    let relation = memo.relations.get(stmt);
    if (relation === undefined) {
      relation = awsStatementRelation(stmt, action, resource);
      memo.relations.set(stmt, relation);
    }
    return relation;
  }

  private actionRelation(stmt: CompiledStatement, action: string): Relation {
    const known = (stmt.actionRelations ??= new Map()).get(action);
    if (known !== undefined) return known;
    const relation = relateToSet(action, stmt.actions, stmt.notActions, true, "none").relation;
    stmt.actionRelations.set(action, relation);
    return relation;
  }

  /** The query's memo for one request; the last one is kept at hand, since calls come in runs of one request. */
  private requestMemo(action: string, resource: string): RequestMemo {
    const last = this.lastRequestMemo;
    if (last && last.action === action && last.resource === resource) return last;
    const byAction = memoIn(this.ctx.table<string, Map<string, RequestMemo>>("aws:requestMemos"), action, () => new Map());
    const memo = memoIn(byAction, resource, () => ({ action, resource, serial: nextMemoSerial++, relations: new Map(), limits: new Map(), policyAnswers: new Map() }));
    this.lastRequestMemo = memo;
    return memo;
  }

  /** A short name for a principal's class of limits ("" when they cannot be shared). */
  private internLimitsClass(context: AwsPrincipalContext): string {
    const key = limitsClassKey({
      accountId: context.accountId,
      partition: context.partition,
      boundary: context.boundary,
      boundaryMissing: context.boundaryMissing,
      scpLevels: context.scpLevels,
      unknownReasons: context.unknownReasons,
    });
    if (key === "") return "";
    const classes = this.ctx.cache.table<string, string>("aws:limitsClasses");
    return memoIn(classes, key, () => `c${classes.size}`);
  }

  /** What the resource side of requests on a resource reads of callers: its policies and the RCPs over its account. */
  private resourceSide(resource: string): ResourceSide {
    return memoIn(this.ctx.cache.table<string, ResourceSide>("aws:resourceSide"), resource, () => {
      const accounts = new Set([this.resourcePolicies.resourceAccountOf(resource), awsAccountOf(resource)]);
      const side = resourceSideOf([
        ...this.resourcePolicies.policiesFor(resource).flatMap((p) => p.statements),
        ...[...accounts].flatMap((account) => (account === undefined ? [] : this.resourceControls.statementsOver(account))),
      ]);
      // One list object per set of keys, so callers keep their key per list (see `sharedCallerKey`).
      const lists = this.ctx.cache.table<string, readonly string[]>("aws:conditionKeyLists");
      return { ...side, conditionKeys: memoIn(lists, side.conditionKeys.join("\u0000"), () => side.conditionKeys) };
    });
  }

  private evaluateLimits(context: AwsPrincipalContext, action: string, resource: string, request: LimitsRequest): Verdict {
    const verdict = new Verdict();
    const { checkResource, identityAllows } = request;
    const resourcePolicy = checkResource ? this.resourcePolicyOf(context, action, resource) : undefined;
    // What every grant on the path needs: a Deny whose open conditions these imply fires on
    // every request the grants admit, so it blocks instead of leaving the path conditional.
    const grantConditions = [
      ...request.grantConditions,
      ...(resourcePolicy && identityAllows && this.resourcePolicyMustAllow(context, resource, resourcePolicy) ? (bestMatch(resourcePolicy.allows)?.conditions ?? []) : []),
    ];
    const boundaryApplies = request.boundaryApplies;
    // A boundary's explicit Deny binds even where its implicit deny does not (a resource policy
    // naming the user or the session): "an explicit deny in any of these policies overrides the allow".
    for (const deny of context.denies) {
      const relation = this.relation(deny.stmt, action, resource);
      if (relation === "none") continue;
      if (relation === "partial") {
        verdict.note(`except what ${deny.stmt.key} denies (${describeStatement(deny.stmt)})`);
        continue;
      }
      const denyConditions = this.conditionsAt(context, deny.stmt, resource);
      if (denyConditions === undefined) continue;
      if (denyConditions.length > 0 && !conditionsImply(grantConditions, denyConditions)) {
        verdict.addOpenConditions(denyConditions);
        verdict.note(`${deny.stmt.key} denies this when its condition holds`);
        continue;
      }
      verdict.justify(deny.stmt.key);
      verdict.block({
        kind: deny.kind,
        id: deny.stmt.key,
        description: `${deny.stmt.key} denies ${action} on ${resource}`,
      });
    }
    if (boundaryApplies && context.boundary) {
      this.requireAllow(verdict, context, context.boundary.allows, action, resource, {
        kind: "permissions_boundary",
        id: context.boundary.policyId,
        label: `permissions boundary ${context.boundary.policyId}`,
        justifyAllow: true,
      });
    }
    for (const level of context.scpLevels) {
      this.requireAllow(verdict, context, level.allows, action, resource, {
        kind: "scp",
        id: level.scopeId,
        label: `the SCPs attached at ${level.scopeId}`,
        justifyAllow: false,
      });
    }
    if (boundaryApplies && context.boundaryMissing) verdict.unknown(context.boundaryMissing);
    for (const reason of context.unknownReasons) verdict.unknown(reason);
    const scopeIds = context.accountId ? this.inventory.scopeChain(`aws:account/${context.accountId}`).map((s) => s.id) : [];
    if (resourcePolicy) this.applyResourcePolicy(verdict, context, action, resource, resourcePolicy, identityAllows, grantConditions);
    // RCPs cap the resource's side at every hop, role assumption (where the trust policy is the resource policy) included.
    this.resourceControls.apply(
      verdict,
      { id: context.principal.id, facts: context.facts },
      action,
      resource,
      resourcePolicy?.resourceAccount ?? awsAccountOf(resource),
      grantConditions,
      resourcePolicy ? this.resourcePolicies.resourceTagsOf(resource) : undefined,
    );
    const resourceAccount = resourcePolicy?.resourceAccount ?? awsAccountOf(resource);
    if (resourceAccount && resourceAccount !== context.accountId) {
      const accountScope = `aws:account/${resourceAccount}`;
      scopeIds.push(...this.inventory.scopeChain(accountScope).map((s) => s.id));
      if (checkResource && !resourcePolicy) {
        verdict.unknown(
          this.inventory.scopes.has(accountScope)
            ? `cross-account: ${resource} is in account ${resourceAccount}, whose resource policy must also allow; resource policies are not in the inventory`
            : `account ${resourceAccount} of ${resource} is not in the inventory`,
        );
      }
    }
    for (const reason of this.ctx.gapReasons("aws", scopeIds)) verdict.unknown(reason);
    if (checkResource && DECRYPTING_READS.has(action.toLowerCase())) this.applyKeyUse(verdict, context, action, resource);
    return verdict;
  }

  /**
   * A secret encrypted with a customer managed key is read only if the caller may also use the
   * key: kms:Decrypt on it, by an identity policy the key policy delegates to or by the key policy
   * (or a grant) itself. The answer names the key side when that is what blocks.
   */
  private applyKeyUse(verdict: Verdict, context: AwsPrincipalContext, action: string, resource: string): void {
    const key = this.resourcePolicies.encryptionKeyOf(resource);
    if (key === undefined) return;
    const candidates: Verdict[] = [];
    for (const source of context.allows) {
      if (awsStatementRelation(source.stmt, KMS_DECRYPT, key) !== "full" || this.conditionsAt(context, source.stmt, key) === undefined) continue;
      candidates.push(this.evaluateRequest(context, KMS_DECRYPT, key, { source }));
    }
    const keyPolicy = this.resourcePolicyOf(context, KMS_DECRYPT, key);
    for (const match of keyPolicy?.allows ?? []) {
      if (match.kind === "account") continue;
      candidates.push(this.evaluateRequest(context, KMS_DECRYPT, key, { grantConditions: match.conditions }).justify(match.stmt.key).addOpenConditions(match.conditions));
    }
    const best = bestOf(candidates.map((v) => ({ verdict: v })))?.verdict;
    if (!best) {
      verdict.block({
        kind: "missing_caller_permission",
        id: key,
        description: `${action} on ${resource} also needs ${KMS_DECRYPT} on its key ${key}, which no policy allows ${context.principal.id}`,
      });
      return;
    }
    const keyBlock = best.blockedBy;
    if (keyBlock) {
      verdict.block({ ...keyBlock, description: `${action} on ${resource} also needs ${KMS_DECRYPT} on its key ${key}: ${keyBlock.description}` });
      return;
    }
    verdict.absorb(best);
    verdict.note(`${resource} is encrypted with ${key}: ${KMS_DECRYPT} on it is part of this path`);
    if (this.resourcePolicies.policiesFor(key).length === 0) {
      verdict.unknown(`the key policy of ${key}, which encrypts ${resource}, is not in the inventory (collect kms under providers.aws.resourcePolicies)`);
    }
  }

  private resourcePolicyOf(context: AwsPrincipalContext, action: string, resource: string): ResourcePolicyAnswer | undefined {
    if (hasWildcard(action) || this.resourcePolicies.policiesFor(resource).length === 0) return undefined;
    if (!this.ctx.shareEvaluations) return this.evaluateResourcePolicy(context, action, resource);
    // The answer reads of the caller only its account, boundary, facts the conditions ask about, and whether it is named.
    const memo = this.requestMemo(action, resource);
    const key = this.callerKeys(memo, context).resourcePolicy;
    if (key === undefined) return this.evaluateResourcePolicy(context, action, resource);
    if (memo.policyAnswers.has(key)) return memo.policyAnswers.get(key);
    const answer = this.evaluateResourcePolicy(context, action, resource);
    memo.policyAnswers.set(key, answer);
    return answer;
  }

  private evaluateResourcePolicy(context: AwsPrincipalContext, action: string, resource: string): ResourcePolicyAnswer | undefined {
    return this.resourcePolicies.evaluate({ id: context.principal.id, accountId: context.accountId, facts: context.facts }, action, resource);
  }

  /**
   * The resource's own policy on a request the identity side allows (`identityAllows`) or that
   * rests on the resource policy alone: its denies block; across accounts, and for KMS keys in
   * any account, it must allow too.
   */
  private applyResourcePolicy(
    verdict: Verdict,
    context: AwsPrincipalContext,
    action: string,
    resource: string,
    answer: ResourcePolicyAnswer,
    identityAllows: boolean,
    grantConditions: readonly OpenCondition[],
  ): void {
    for (const deny of answer.denies) {
      if (deny.conditions.length > 0 && !conditionsImply(grantConditions, deny.conditions)) {
        verdict.addOpenConditions(deny.conditions);
        verdict.note(`${deny.stmt.key} denies this when its condition holds`);
        continue;
      }
      verdict.justify(deny.stmt.key);
      verdict.block({ kind: "explicit_deny", id: deny.stmt.key, description: `${deny.stmt.key} (resource policy of ${resource}) denies ${action} to ${context.principal.id}` });
    }
    if (!identityAllows || !this.resourcePolicyMustAllow(context, resource, answer)) return;
    const crossAccount = answer.resourceAccount !== undefined && answer.resourceAccount !== context.accountId;
    const best = bestMatch(answer.allows);
    if (best) {
      verdict.justify(best.stmt.key);
      verdict.addOpenConditions(best.conditions);
      return;
    }
    verdict.block({
      kind: "resource_policy",
      id: resource,
      description: crossAccount
        ? `the resource policy of ${resource} (account ${answer.resourceAccount ?? "?"}) does not allow ${action} to ${context.principal.id}; across accounts both sides must allow`
        : `the key policy of ${resource} does not allow ${action} to ${context.principal.id}, nor delegate to its account; KMS needs the key policy`,
    });
  }

  /** Across accounts, and for a KMS key in any account, the resource policy must allow too. */
  private resourcePolicyMustAllow(context: AwsPrincipalContext, resource: string, answer: ResourcePolicyAnswer): boolean {
    const crossAccount = answer.resourceAccount !== undefined && answer.resourceAccount !== context.accountId;
    return crossAccount || (resource.startsWith("arn:") && resource.split(":")[2] === "kms");
  }

  /**
   * Same-account access granted by the resource policy alone (a statement naming the principal,
   * or `*`): a path of its own, still subject to denies, SCPs and, for roles, the boundary.
   */
  private resourcePolicyFindings(context: AwsPrincipalContext, action: string, target: ResourceTarget): Finding[] {
    if (target.isScope || hasWildcard(target.id)) return [];
    const answer = this.resourcePolicyOf(context, action, target.id);
    if (!answer || (answer.resourceAccount !== undefined && answer.resourceAccount !== context.accountId)) return [];
    const findings: Finding[] = [];
    for (const match of answer.allows) {
      if (match.kind === "account") continue;
      // A role's boundary limits grants to the role's ARN, not to its session, which `*` names too
      // (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html, resource-based policies).
      const boundaryApplies = context.principal.kind !== "user" && match.kind !== "public";
      const verdict = this.evaluateRequest(context, action, target.id, { boundaryApplies, grantConditions: match.conditions });
      verdict.justify(match.stmt.key);
      verdict.addOpenConditions(match.conditions);
      findings.push({
        action,
        resource: target.input,
        hops: [
          this.policyHopOf(match.stmt.policy.id),
          this.statementHopOf(match.stmt, match.kind === "public" ? "Allow anyone (*): " : "Allow this principal: "),
          this.resourceHopOf(target.input),
        ],
        verdict,
        privilegeEscalation: false,
      });
    }
    return findings;
  }

  /**
   * A statement's conditions left open for one resource: conditions on the resource (its account)
   * are decided here, the principal's were decided when its context was built. Undefined when a
   * condition fails, so the statement does not apply to this request.
   */
  private conditionsAt(context: AwsPrincipalContext, stmt: CompiledStatement, resource: string): readonly OpenCondition[] | undefined {
    if (stmt.conditions.length === 0 || !hasResourceConditions(stmt.conditions)) return stmt.conditions;
    return remainingConditions(stmt.conditions, withResource(context.facts, resource, this.resourcePolicies.resourceAccountOf(resource), this.resourcePolicies.resourceTagsOf(resource)));
  }

  /** A limit (boundary, SCP level) must allow the request; it never grants on its own. */
  private requireAllow(
    verdict: Verdict,
    context: AwsPrincipalContext,
    allows: readonly CompiledStatement[],
    action: string,
    resource: string,
    limit: { kind: "permissions_boundary" | "scp"; id: string; label: string; justifyAllow: boolean },
  ): void {
    let conditional: { stmt: CompiledStatement; conditions: readonly OpenCondition[] } | undefined;
    let partial = false;
    for (const stmt of allows) {
      const relation = this.relation(stmt, action, resource);
      if (relation === "none") continue;
      const conditions = this.conditionsAt(context, stmt, resource);
      if (conditions === undefined) continue;
      if (relation === "full" && conditions.length === 0) {
        if (limit.justifyAllow) verdict.justify(stmt.key);
        return;
      }
      if (relation === "full") conditional ??= { stmt, conditions };
      else partial = true;
    }
    if (conditional) {
      verdict.justify(conditional.stmt.key);
      verdict.addOpenConditions(conditional.conditions);
      return;
    }
    if (partial) {
      verdict.note(`${limit.label} allows only part of ${action} on ${resource}`);
      return;
    }
    verdict.block({
      kind: limit.kind,
      id: limit.id,
      description: `${limit.label} does not allow ${action} on ${resource}`,
    });
  }

  /** Direct access of a principal through its identity policies, narrowed by the request. */
  findAccess(subject: Subject, request: AccessRequest, options: AwsFindOptions = {}): Finding[] {
    const target = request.target;
    const literalAction = request.action !== undefined && !hasWildcard(request.action) ? request.action : undefined;
    if (literalAction !== undefined && target && !target.isScope) {
      // Asking who can GetObject a bucket: nobody can, whatever the policies say; the answer says why.
      const memo = this.requestMemo(literalAction, target.id);
      if (memo.mismatch === undefined) memo.mismatch = this.actionFits.queryMismatch(literalAction, target.id) ?? null;
      const mismatch = memo.mismatch ?? undefined;
      if (mismatch !== undefined) {
        this.ctx.note(mismatch);
        return [];
      }
    }
    const principal = subject.principal;
    if (!principal || principal.provider !== "aws") return this.outsiderFindings(subject, request);
    const context = this.principalContext(principal);
    const targetPatterns: Array<string | undefined> = target?.awsPatterns ?? [undefined];
    const findings: Finding[] = [];
    const sources = literalAction !== undefined ? this.allowsListing(context, literalAction) : context.allows;
    for (const source of sources) {
      for (const targetPattern of targetPatterns) {
        for (const shape of this.grantShapes(source.stmt, request.action, targetPattern, target)) {
          if (shape.answeredByTrust && !options.keepAssumeRole) continue;
          if (this.conditionsAt(context, source.stmt, shape.resource) === undefined) continue;
          this.actionFits.noteFor(source.stmt.key, shape.fit);
          if (!shape.fit.grants) continue;
          const verdict = this.evaluateRequest(context, shape.action, shape.resource, {
            source,
            checkResourceAccount: options.checkResourceAccount !== false,
          });
          for (const note of shape.notes) verdict.note(note);
          if (shape.unknownRole !== undefined) verdict.unknown(shape.unknownRole);
          const shown = target && shape.isTarget ? target.input : shape.resource;
          findings.push({
            action: shape.action,
            resource: shown,
            hops: this.statementHops(source, shown),
            verdict,
            privilegeEscalation: false,
          });
        }
      }
    }
    if (target && literalAction !== undefined && options.checkResourceAccount !== false) findings.push(...this.resourcePolicyFindings(context, literalAction, target));
    return findings;
  }

  /**
   * What one allow statement grants of a request, shape by shape (action pattern × resource
   * pattern), with everything about a shape that does not depend on the principal: whether it
   * grants anything real there, the notes it carries. Memoized per query for statements many
   * principals share, except on scope targets (whose accounts narrow the shapes).
   */
  private grantShapes(stmt: CompiledStatement, action: string | undefined, targetPattern: string | undefined, target: ResourceTarget | undefined): readonly GrantShape[] {
    if (target?.isScope) return this.buildGrantShapes(stmt, action, targetPattern, target);
    let last = this.lastShapes;
    if (!last || last.action !== action || last.targetPattern !== targetPattern) {
      const byAction = memoIn(this.ctx.table<string | undefined, Map<string | undefined, Map<CompiledStatement, readonly GrantShape[]>>>("aws:grantShapes"), action, () => new Map());
      last = { action, targetPattern, byStatement: memoIn(byAction, targetPattern, () => new Map()) };
      this.lastShapes = last;
    }
    let shapes = last.byStatement.get(stmt);
    if (!shapes) {
      shapes = this.buildGrantShapes(stmt, action, targetPattern, target);
      last.byStatement.set(stmt, shapes);
    }
    return shapes;
  }

  private buildGrantShapes(stmt: CompiledStatement, action: string | undefined, targetPattern: string | undefined, target: ResourceTarget | undefined): readonly GrantShape[] {
    const actionShapes = grantedShapes(action, stmt.actions, stmt.notActions, true, "none");
    if (actionShapes.length === 0) return NO_SHAPES;
    const resourceShapes = grantedShapes(targetPattern, stmt.resources, stmt.notResources, false, "all");
    const shapes: GrantShape[] = [];
    for (const actionShape of actionShapes) {
      for (const resourceShape of resourceShapes) {
        if (target && !this.withinTarget(target, targetPattern, resourceShape.pattern)) continue;
        const notes: string[] = [];
        if (actionShape.exceptions.length > 0) notes.push(`except ${listForMessage(actionShape.exceptions)} (NotAction in ${stmt.key})`);
        if (resourceShape.exceptions.length > 0) notes.push(`except ${listForMessage(resourceShape.exceptions)} (NotResource in ${stmt.key})`);
        const fit = this.actionFits.fit(actionShape.pattern, actionShape.exceptions, resourceShape.pattern);
        if (fit.pathNote !== undefined) notes.push(fit.pathNote);
        shapes.push({
          action: actionShape.pattern,
          resource: resourceShape.pattern,
          isTarget: resourceShape.pattern === targetPattern,
          answeredByTrust: this.assumeRoleAnsweredByTrust(actionShape.pattern, resourceShape.pattern),
          fit,
          notes,
          unknownRole: this.unknownRole(actionShape.pattern, resourceShape.pattern),
        });
      }
    }
    return shapes;
  }

  /**
   * Callers the inventory only names (`*`, another organization's account or role) reach a
   * resource through its policy alone: public when nothing narrows it, unknown when their own
   * account's policies would have to allow too.
   */
  private outsiderFindings(subject: Subject, request: AccessRequest): Finding[] {
    const target = request.target;
    const action = request.action;
    if (subject.provider !== "aws" || !target || target.isScope || action === undefined || hasWildcard(action)) return [];
    const account = subject.id === "*" ? undefined : awsAccountOf(subject.id);
    const findings: Finding[] = [];
    for (const { principal, stmt } of this.resourcePolicies.namedPrincipals(action, target.id)) {
      if (principal !== subject.id) continue;
      const verdict = new Verdict().justify(stmt.key);
      verdict.addOpenConditions(stmt.conditions);
      const outside = this.outsideOrganization(account);
      if (subject.id === "*") verdict.note(stmt.conditions.length === 0 ? "public: anyone, including anonymous callers" : "anyone whose request meets the conditions");
      else {
        verdict.unknown(`${subject.id} is not in the inventory: its own account's identity policies must allow ${action} too`);
        if (outside) verdict.note(`outside the organization: account ${account ?? "?"}`);
      }
      findings.push({
        action,
        resource: target.input,
        hops: [policyHop(this.inventory, stmt.policy.id), { type: "statement", id: stmt.key, label: `Allow ${principal}: ${describeStatement(stmt)}` }, resourceHop(target.input)],
        verdict,
        privilegeEscalation: false,
      });
    }
    return findings;
  }

  /** True when the account is not under any organization the inventory holds. */
  outsideOrganization(account: string | undefined): boolean {
    if (account === undefined) return true;
    return !this.inventory.scopeChain(`aws:account/${account}`).some((s) => s.id.startsWith("aws:organization/"));
  }

  statementHops(source: IdentityStatement, resource: string): Hop[] {
    // Groups, grant, policy and statement are the same on every path of the statement: made once.
    source.hopsBeforeResource ??= [
      ...(source.groupChain.length > 0 ? groupHops(this.inventory, source.groupChain) : []),
      this.grantHopOf(source),
      this.policyHopOf(source.stmt.policy.id),
      this.statementHopOf(source.stmt, "Allow "),
    ];
    return source.hopsBeforeResource.concat(this.resourceHopOf(resource));
  }

  /**
   * The hop of the grant an allow statement came through, one object per statement of a
   * principal's context (hops are never changed). Its id is also what paths cite: a grant row
   * spells its id anew on every read.
   */
  private grantHopOf(source: IdentityStatement): Hop {
    source.grantHop ??= { type: "grant", id: source.grant.id, label: `${source.grant.kind} of ${source.grant.policyId}` };
    return source.grantHop;
  }

  /** A resource's hop, one object per resource and query. */
  resourceHopOf(resource: string): Hop {
    return memoIn(this.ctx.table<string, Hop>("aws:resourceHops"), resource, () => resourceHop(resource));
  }

  /** A policy's hop, one object per inventory (hops are never changed). */
  private policyHopOf(policyId: string): Hop {
    return memoIn(this.ctx.cache.table<string, Hop>("aws:policyHops"), policyId, () => policyHop(this.inventory, policyId));
  }

  /** A statement's hop, labelled `<prefix><what it allows>`, one object per statement and prefix. */
  private statementHopOf(stmt: CompiledStatement, prefix: string): Hop {
    const byPrefix = memoIn(this.ctx.cache.table<string, WeakMap<CompiledStatement, Hop>>("aws:statementHops"), prefix, () => new WeakMap());
    let hop = byPrefix.get(stmt);
    if (!hop) {
      hop = { type: "statement", id: stmt.key, label: `${prefix}${describeStatement(stmt)}` };
      byPrefix.set(stmt, hop);
    }
    return hop;
  }

  /** An account-scope target also matches S3-style ARNs by accident; keep only its own account's. */
  private withinTarget(target: ResourceTarget, targetPattern: string | undefined, resource: string): boolean {
    if (!target.isScope || resource === targetPattern) return true;
    const account = awsAccountOf(resource);
    return account !== undefined && (target.awsPatterns ?? []).some((p) => awsAccountOf(p) === account);
  }

  /** sts:AssumeRole on a known role is decided by its trust policy: the pivot search answers it. */
  private assumeRoleAnsweredByTrust(action: string, resource: string): boolean {
    if (hasWildcard(action) || !action.toLowerCase().startsWith("sts:assumerole")) return false;
    if (hasWildcard(resource)) return false;
    return this.inventory.principals.get(resource)?.kind === "role";
  }

  /** Why an sts:AssumeRole* grant on a role the inventory lacks is unknown; undefined for any other grant. */
  private unknownRole(action: string, resource: string): string | undefined {
    if (hasWildcard(action) || !action.toLowerCase().startsWith("sts:assumerole")) return undefined;
    if (hasWildcard(resource) || !isAwsRoleArn(resource) || this.inventory.principals.has(resource)) return undefined;
    return `role ${resource} is not in the inventory, so its trust policy cannot be checked`;
  }
}

/** Places an AWS resource reference: an ARN, an account/OU/organization scope, or a principal. */
export function resolveAwsTarget(ctx: QueryContext, resource: string): ResourceTarget | undefined {
  const inventory = ctx.inventory;
  const scope = inventory.scopes.get(resource);
  if (scope && scope.provider === "aws") {
    const accounts = scope.kind === "account" ? [scope] : accountsUnder(ctx, scope.id);
    const awsPatterns = accounts.map((a) => `arn:*:*:*:${awsAccountOf(a.id) ?? ""}:*`);
    return { input: resource, provider: "aws", id: resource, chain: inventory.scopeChain(scope.id), isScope: true, awsPatterns };
  }
  let id = resource;
  if (!resource.startsWith("arn:")) {
    const principal = inventory.findPrincipal(resource);
    if (!principal || principal.provider !== "aws") return undefined;
    id = principal.id;
  }
  const account = awsAccountOf(id);
  const chain = account ? inventory.scopeChain(`aws:account/${account}`) : [];
  const principal = inventory.principals.get(id);
  return {
    input: resource,
    provider: "aws",
    id,
    chain,
    isScope: false,
    ...(principal ? { principalId: principal.id } : {}),
    awsPatterns: [id],
  };
}

function accountsUnder(ctx: QueryContext, scopeId: string): Scope[] {
  const accounts: Scope[] = [];
  const queue = [scopeId];
  const seen = new Set<string>();
  for (let i = 0; i < queue.length; i++) {
    const current = queue[i];
    if (current === undefined || seen.has(current)) continue;
    seen.add(current);
    for (const child of ctx.inventory.childrenOf(current)) {
      if (child.kind === "account") accounts.push(child);
      queue.push(child.id);
    }
  }
  return accounts;
}
