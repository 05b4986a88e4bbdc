/**
 * AWS resource-based policies (a bucket, key, secret, queue, topic or function policy), held in the
 * inventory as policies of kind `resource` attached to the resource's ARN. AWS's documented logic
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html and
 * .../reference_policies_evaluation-logic-cross-account.html):
 * - an explicit Deny naming the caller wins;
 * - same account: the identity policy or the resource policy may allow (a statement naming the
 *   caller's ARN, or `*`, grants on its own; one naming the account root delegates to IAM);
 * - cross account: both the caller's identity policy and the resource policy must allow (naming
 *   the caller, its account root, or `*`);
 * - KMS keys are the exception inside one account: the key policy must allow, directly or by
 *   delegating to the account root (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html).
 * Conditions on who asks are decided from the caller's facts (aws:PrincipalOrgID, aws:PrincipalArn...).
 */
import { type CompiledPolicy, type CompiledStatement, memoIn, type QueryContext } from "../../../analysis/entitlements/context.js";
import type { OpenCondition } from "../../../analysis/entitlements/types.js";
import { hasWildcard } from "../../../analysis/entitlements/matching.js";
import { awsAccountOf, parseArn } from "../ids.js";
import { awsStatementRelation } from "./evaluator-relation.js";
import { type RequestFacts, resourceStatementFor, withResource } from "./request-facts.js";

/** How a resource policy statement names a caller. */
export type ResourceGrantKind = "principal" | "account" | "public";

export interface ResourceStatementMatch {
  stmt: CompiledStatement;
  kind: ResourceGrantKind;
  conditions: readonly OpenCondition[];
}

export interface ResourcePolicyAnswer {
  /** The account the resource lives in (from the ARN, or the policy's own account for S3). */
  resourceAccount: string | undefined;
  allows: ResourceStatementMatch[];
  denies: ResourceStatementMatch[];
}

export interface Caller {
  id: string;
  accountId: string | undefined;
  facts: RequestFacts;
}

/** The ARNs whose resource policies cover a resource: itself, and for an S3 object its bucket. */
export function policyHolderArns(resource: string): string[] {
  const arn = parseArn(resource);
  if (arn?.service === "s3" && arn.resource.includes("/")) return [resource, `arn:${arn.partition}:s3:::${arn.resource.slice(0, arn.resource.indexOf("/"))}`];
  return [resource];
}

function namesCaller(list: readonly string[], caller: Caller): ResourceGrantKind | undefined {
  let found: ResourceGrantKind | undefined;
  for (const entry of list) {
    if (entry === caller.id) return "principal";
    if (entry === "*") found ??= "public";
    else if ((entry.endsWith(":root") || /^\d{12}$/.test(entry)) && caller.accountId !== undefined && awsAccountOf(entry) === caller.accountId) found = "account";
  }
  return found;
}

const NONE: readonly CompiledPolicy[] = [];

export class AwsResourcePolicies {
  private readonly byResource: Map<string, readonly CompiledPolicy[]>;

  constructor(private readonly ctx: QueryContext) {
    this.byResource = ctx.cache.table("aws:resourcePolicies");
  }

  /** True when the inventory holds any resource policy: without one, requests skip this step entirely. */
  private any(): boolean {
    return this.ctx.cache.memo("aws:hasResourcePolicies", () => this.ctx.inventory.snapshot.policies.some((p) => p.provider === "aws" && p.kind === "resource"));
  }

  /** Resource policies covering a literal resource (memoized per inventory); empty when none. */
  policiesFor(resource: string): readonly CompiledPolicy[] {
    if (!this.any() || hasWildcard(resource)) return NONE;
    return memoIn(this.byResource, resource, () => {
      const found = policyHolderArns(resource).flatMap((arn) =>
        this.ctx.inventory
          .policiesAttachedToScope(arn)
          .filter((p) => p.provider === "aws" && p.kind === "resource")
          .flatMap((p) => {
            const compiled = this.ctx.cache.policy(p.id);
            return compiled ? [compiled] : [];
          }),
      );
      return found.length > 0 ? found : NONE;
    });
  }

  /** The customer managed key encrypting a literal resource's data (a secret's KmsKeyId), when collected. */
  encryptionKeyOf(resource: string): string | undefined {
    for (const compiled of this.policiesFor(resource)) {
      if (compiled.policy.encryptionKey !== undefined && compiled.policy.attachedTo?.includes(resource)) return compiled.policy.encryptionKey;
    }
    return undefined;
  }

  /** The tags read with a literal resource (a secret's), when collected. */
  resourceTagsOf(resource: string): Readonly<Record<string, string>> | undefined {
    for (const compiled of this.policiesFor(resource)) {
      if (compiled.policy.resourceTags !== undefined && compiled.policy.attachedTo?.includes(resource)) return compiled.policy.resourceTags;
    }
    return undefined;
  }

  /** The account a literal resource lives in: from its ARN, or (S3) from the account its policy was collected in. */
  resourceAccountOf(resource: string): string | undefined {
    const own = awsAccountOf(resource);
    if (own !== undefined) return own;
    const scopeId = this.policiesFor(resource)[0]?.policy.scopeId;
    return scopeId ? awsAccountOf(scopeId) : undefined;
  }

  /** What the resource's policies say about this caller's request; undefined when it has none in the inventory. */
  evaluate(caller: Caller, action: string, resource: string): ResourcePolicyAnswer | undefined {
    const policies = this.policiesFor(resource);
    const first = policies[0];
    if (!first) return undefined;
    const answer: ResourcePolicyAnswer = {
      resourceAccount: awsAccountOf(resource) ?? (first.policy.scopeId ? awsAccountOf(first.policy.scopeId) : undefined),
      allows: [],
      denies: [],
    };
    const facts = withResource(caller.facts, resource, answer.resourceAccount, this.resourceTagsOf(resource));
    const principal = this.ctx.inventory.principals.get(caller.id);
    // "The NotPrincipal element with a Deny effect will always deny any IAM principal that has a
    // permissions boundary policy attached, regardless of the values specified in the NotPrincipal
    // element" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
    const notPrincipalExempts = principal?.permissionsBoundary === undefined;
    for (const policy of policies) {
      for (const stmt of policy.statements) {
        const raw = stmt.statement;
        let kind: ResourceGrantKind | undefined;
        if (raw.principals) kind = namesCaller(raw.principals, caller);
        else if (raw.exceptPrincipals && stmt.effect === "Deny") kind = notPrincipalExempts && namesCaller(raw.exceptPrincipals, caller) ? undefined : "public";
        if (!kind) continue;
        // Policy variables in the Resource element are the caller's (${aws:PrincipalTag/team}).
        const own = resourceStatementFor(stmt, facts, principal);
        if (!own || awsStatementRelation(own.stmt, action, resource) !== "full") continue;
        const match = { stmt, kind, conditions: own.conditions };
        (stmt.effect === "Allow" ? answer.allows : answer.denies).push(match);
      }
    }
    return answer;
  }

  /** Principals a resource's policies name for an action (ARNs, account roots, `*`), for reverse questions. */
  namedPrincipals(action: string, resource: string): Array<{ principal: string; stmt: CompiledStatement }> {
    const named: Array<{ principal: string; stmt: CompiledStatement }> = [];
    for (const policy of this.policiesFor(resource)) {
      for (const stmt of policy.allows) {
        if (awsStatementRelation(stmt, action, resource) === "none") continue;
        for (const principal of stmt.statement.principals ?? []) named.push({ principal, stmt });
      }
    }
    return named;
  }
}
