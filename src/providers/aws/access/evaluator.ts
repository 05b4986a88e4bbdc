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
import { grantedShapes, hasWildcard, relateToSet } from "../../../analysis/entitlements/matching.js";
import { awsStatementRelation } from "./evaluator-relation.js";
import type { BlockedByKind, Hop, OpenCondition } from "../../../analysis/entitlements/types.js";
import { bestOf, Verdict } from "../../../analysis/entitlements/verdict.js";

import { awsAccountOf, awsPartitionOf, isAwsRoleArn } from "../ids.js";
import { AwsActionFits } from "./action-fit.js";
import { AwsResourceControls } from "./resource-controls.js";
import { AwsResourcePolicies, type ResourcePolicyAnswer, type ResourceStatementMatch } from "./resource-policies.js";
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
  /** Memo: does any identity allow list this (lower-cased) action? */
  listedActions: Map<string, boolean>;
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
    return memoIn(this.contexts, principal.id, () => this.buildPrincipalContext(principal));
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
      listedActions: new Map(),
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
    const key = action.toLowerCase();
    return memoIn(context.listedActions, key, () => context.allows.some((source) => statementListsAction(source.stmt, action)));
  }

  /** Could an identity allow cover this literal action and resource? (gate before `findAccess`) */
  mayAllow(context: AwsPrincipalContext, action: string, resource: string): boolean {
    if (!this.listsAction(context, action)) return false;
    return context.allows.some(
      (source) =>
        statementListsAction(source.stmt, action) &&
        relateToSet(resource, source.stmt.resources, source.stmt.notResources, false, "all").relation !== "none",
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
      verdict.justify(source.grant.id, source.stmt.key);
      verdict.addOpenConditions(sourceConditions ?? []);
      verdict.addConditions(source.grant.id, source.grant.conditions);
    }
    const checkResource = options.checkResourceAccount !== false;
    const resourcePolicy = checkResource ? this.resourcePolicyOf(context, action, resource) : undefined;
    const identityAllows = source !== undefined || options.presumeIdentityAllow === true;
    // What every grant on the path needs: a Deny whose open conditions these imply fires on
    // every request the grants admit, so it blocks instead of leaving the path conditional.
    const grantConditions = [
      ...(sourceConditions ?? []),
      ...(options.grantConditions ?? []),
      ...(resourcePolicy && identityAllows && this.resourcePolicyMustAllow(context, resource, resourcePolicy) ? (bestMatch(resourcePolicy.allows)?.conditions ?? []) : []),
    ];
    const boundaryApplies = options.boundaryApplies !== false;
    // A boundary's explicit Deny binds even where its implicit deny does not (a resource policy
    // naming the user or the session): "an explicit deny in any of these policies overrides the allow".
    for (const deny of context.denies) {
      const relation = awsStatementRelation(deny.stmt, action, resource);
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
          policyHop(this.inventory, match.stmt.policy.id),
          { type: "statement", id: match.stmt.key, label: `Allow ${match.kind === "public" ? "anyone (*)" : "this principal"}: ${describeStatement(match.stmt)}` },
          resourceHop(target.input),
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
      const relation = awsStatementRelation(stmt, action, resource);
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
      const mismatch = this.actionFits.queryMismatch(literalAction, target.id);
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
    for (const source of context.allows) {
      if (literalAction !== undefined && !statementListsAction(source.stmt, literalAction)) continue;
      const actionShapes = grantedShapes(request.action, source.stmt.actions, source.stmt.notActions, true, "none");
      if (actionShapes.length === 0) continue;
      for (const targetPattern of targetPatterns) {
        const resourceShapes = grantedShapes(targetPattern, source.stmt.resources, source.stmt.notResources, false, "all");
        for (const actionShape of actionShapes) {
          for (const resourceShape of resourceShapes) {
            if (target && !this.withinTarget(target, targetPattern, resourceShape.pattern)) continue;
            const trustAnswers = this.assumeRoleAnsweredByTrust(actionShape.pattern, resourceShape.pattern);
            if (trustAnswers && !options.keepAssumeRole) continue;
            if (this.conditionsAt(context, source.stmt, resourceShape.pattern) === undefined) continue;
            const fit = this.actionFits.fit(actionShape.pattern, actionShape.exceptions, resourceShape.pattern);
            this.actionFits.noteFor(source.stmt.key, fit);
            if (!fit.grants) continue;
            const verdict = this.evaluateRequest(context, actionShape.pattern, resourceShape.pattern, {
              source,
              checkResourceAccount: options.checkResourceAccount !== false,
            });
            if (actionShape.exceptions.length > 0) {
              verdict.note(`except ${listForMessage(actionShape.exceptions)} (NotAction in ${source.stmt.key})`);
            }
            if (resourceShape.exceptions.length > 0) {
              verdict.note(`except ${listForMessage(resourceShape.exceptions)} (NotResource in ${source.stmt.key})`);
            }
            if (fit.pathNote !== undefined) verdict.note(fit.pathNote);
            this.noteUnknownRole(verdict, actionShape.pattern, resourceShape.pattern);
            const shown = target && resourceShape.pattern === targetPattern ? target.input : resourceShape.pattern;
            findings.push({
              action: actionShape.pattern,
              resource: shown,
              hops: this.statementHops(source, shown),
              verdict,
              privilegeEscalation: false,
            });
          }
        }
      }
    }
    if (target && literalAction !== undefined && options.checkResourceAccount !== false) findings.push(...this.resourcePolicyFindings(context, literalAction, target));
    return findings;
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
    return [
      ...groupHops(this.inventory, source.groupChain),
      { type: "grant", id: source.grant.id, label: `${source.grant.kind} of ${source.grant.policyId}` },
      policyHop(this.inventory, source.stmt.policy.id),
      { type: "statement", id: source.stmt.key, label: `Allow ${describeStatement(source.stmt)}` },
      resourceHop(resource),
    ];
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

  private noteUnknownRole(verdict: Verdict, action: string, resource: string): void {
    if (hasWildcard(action) || !action.toLowerCase().startsWith("sts:assumerole")) return;
    if (hasWildcard(resource) || !isAwsRoleArn(resource) || this.inventory.principals.has(resource)) return;
    verdict.unknown(`role ${resource} is not in the inventory, so its trust policy cannot be checked`);
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
