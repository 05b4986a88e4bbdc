/**
 * Who a reverse AWS question evaluates, in order: the identity holders of the resource's own
 * account, then whoever the resource's own policy names (a principal, an account's identity
 * holders, `*` with every account's holders, outsiders), then those who could grant themselves
 * the access in the resource's account. Each candidate once, the first occurrence wins.
 *
 * Listed as parts, so the engine can take the first few thousand and count the rest without
 * spelling out tens of thousands of candidates (an org-wide `*` grant names every holder).
 */
import type { QueryContext } from "../../../analysis/entitlements/context.js";
import type { AccessRequest, CandidatePart, Subject } from "../../../analysis/entitlements/internal.js";
import { awsAccountOf, awsAccountScopeId } from "../ids.js";
import type { AwsEscalations } from "../escalation.js";
import type { AwsAccess } from "./evaluator.js";
import type { AwsHolders } from "./holders.js";

/** Self-escalation holders of one account, per list (the lists are kept per inventory and never changed). */
const sameAccountMemo = new WeakMap<readonly Subject[], Map<string, Subject[]>>();

function inAccount(subjects: readonly Subject[], account: string | undefined): readonly Subject[] {
  if (account === undefined) return subjects;
  let byAccount = sameAccountMemo.get(subjects);
  if (!byAccount) sameAccountMemo.set(subjects, (byAccount = new Map()));
  let found = byAccount.get(account);
  if (!found) {
    found = subjects.filter((subject) => !subject.principal || awsAccountOf(subject.principal.scopeId) === account);
    byAccount.set(account, found);
  }
  return found;
}

export function awsReverseCandidates(
  ctx: QueryContext,
  access: AwsAccess,
  holders: AwsHolders,
  escalations: AwsEscalations,
  request: AccessRequest,
): CandidatePart[] {
  // Identity allows reach another account's resource only with that resource's own policy,
  // which the inventory does not hold: list the resource's own account (trust chains from
  // other accounts still arrive through the pivot search).
  const target = request.target;
  const account = target && !target.isScope ? awsAccountOf(target.id) : undefined;
  const named = target && !target.isScope && request.action !== undefined ? access.resourcePolicies.namedPrincipals(request.action, target.id) : [];
  if (account && named.length === 0) {
    ctx.note(
      `principals of accounts other than ${account} are listed only through role chains: their direct access would also need the resource's own policy, which is not in the inventory`,
    );
  }
  const identityHolders = (account?: string): CandidatePart[] => {
    const runs = holders.holderRuns(request, account);
    return runs ? [runs.everywhere, { principals: runs.target }] : [];
  };
  const parts: CandidatePart[] = [...identityHolders(account)];
  // Whoever the resource's own policy names: principals, accounts (their identity holders), outsiders and `*`.
  for (const { principal } of named) {
    const known = ctx.inventory.principals.get(principal);
    if (known) {
      parts.push({ subjects: [ctx.subjectFor(known)] });
      continue;
    }
    const rootAccount = principal.endsWith(":root") ? awsAccountOf(principal) : undefined;
    if (rootAccount && ctx.inventory.scopes.has(awsAccountScopeId(rootAccount))) {
      parts.push(...identityHolders(rootAccount));
      continue;
    }
    const outside = access.outsideOrganization(principal === "*" ? undefined : awsAccountOf(principal));
    const label = principal === "*" ? "anyone (*)" : `${principal}${outside ? " (outside the organization)" : ""}`;
    // `*` also admits the inventory's principals of every account whose own policies allow it.
    if (principal === "*") parts.push(...identityHolders());
    parts.push({ subjects: [ctx.subjectForId(principal, "aws", label)] });
  }
  parts.push({ subjects: inAccount(escalations.escalationHolders(request), account) });
  return parts;
}
