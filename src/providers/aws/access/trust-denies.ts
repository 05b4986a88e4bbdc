/**
 * Deny statements in a role's trust policy. A trust policy is the role's resource policy, and an
 * explicit Deny in it wins over every Allow, including the trust statement that let the caller in
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html:
 * "an explicit deny in any policy overrides any allows"). Trust edges come only from Allow
 * statements, so the Deny statements are read here from the trust policy itself.
 */
import type { Inventory } from "../../../model/inventory-index.js";
import type { Statement } from "../../../model/inventory.js";
import { relateToSet } from "../../../analysis/entitlements/matching.js";
import type { Verdict } from "../../../analysis/entitlements/verdict.js";
import { awsAccountOf } from "../ids.js";
import { remainingConditions, type RequestFacts, withResource } from "./request-facts.js";

/** Does a principal list (model form) name this caller: its ARN, its account's root, or `*`? */
function namesCaller(list: readonly string[], callerId: string, callerAccount: string | undefined): boolean {
  return list.some((entry) => {
    if (entry === "*" || entry === callerId) return true;
    if (entry.endsWith(":root") || /^\d{12}$/.test(entry)) return callerAccount !== undefined && awsAccountOf(entry) === callerAccount;
    return false;
  });
}

/** Does a Deny statement apply to this caller (Principal names it, or NotPrincipal does not)? */
function denyTargetsCaller(statement: Statement, callerId: string, callerAccount: string | undefined): boolean {
  if (statement.principals) return namesCaller(statement.principals, callerId, callerAccount);
  if (statement.exceptPrincipals) return !namesCaller(statement.exceptPrincipals, callerId, callerAccount);
  return false;
}

/**
 * Applies the Deny statements of `roleArn`'s trust policy to a caller's `action` (sts:AssumeRole,
 * sts:AssumeRoleWithWebIdentity...): a deny without open conditions blocks the hop, one with
 * conditions the question cannot decide leaves them open on the hop.
 */
export function applyTrustDenies(
  inventory: Inventory,
  verdict: Verdict,
  roleArn: string,
  action: string,
  caller: { id: string; accountId: string | undefined; facts: RequestFacts },
): void {
  const trustPolicyId = inventory.principals.get(roleArn)?.trustPolicyId;
  const trustPolicy = trustPolicyId ? inventory.policies.get(trustPolicyId) : undefined;
  if (!trustPolicy) return;
  for (const statement of trustPolicy.statements) {
    if (statement.effect !== "Deny") continue;
    if (relateToSet(action, statement.actions, statement.notActions, true, "none").relation === "none") continue;
    if (!denyTargetsCaller(statement, caller.id, caller.accountId)) continue;
    const key = `${trustPolicy.id}#${statement.id}`;
    const open = remainingConditions(statement.conditions ?? [], withResource(caller.facts, roleArn));
    if (open === undefined) continue;
    if (open.length > 0) {
      verdict.addConditions(key, open);
      verdict.note(`${key} denies ${action} on ${roleArn} when its condition holds`);
      continue;
    }
    verdict.justify(key);
    verdict.block({ kind: "explicit_deny", id: key, description: `${key} (trust policy of ${roleArn}) denies ${action} to ${caller.id}` });
  }
}
