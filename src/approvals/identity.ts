/**
 * Who may decide a second-person request. The decider's identity is what was verified (an access
 * token's issuer and subject, or the OS account on the host), never a name they typed. They must
 * not be the caller, by any of their names, and must be in one of the groups each second-person
 * policy names.
 */
import type { ApprovalRequestRecord, ApproverRequirement } from "./types.js";

export interface Decider {
  /** How the audit names them: `<issuer>|<subject>` of a verified token, or the OS user on the host. */
  name: string;
  /** Every name that is this person: the token's subject besides its full name; the OS user. */
  subjects: readonly string[];
  /** Groups their access token names (matched by `token:<name>`); none on the host. */
  tokenGroups: readonly string[];
  via: "cli" | "http";
  /** The OAuth client their token was issued to (azp or client_id); absent on the host. */
  clientId?: string | undefined;
}

export type CallerGroups = Readonly<Record<string, readonly string[]>>;

/**
 * The decider made the request: the same caller name, or the same subject (a second token for the
 * same subject, from another client or issuer, is still the caller; so is an OS account named
 * like the token's subject).
 */
export function isTheCaller(decider: Decider, request: Pick<ApprovalRequestRecord, "caller" | "callerSubject">): boolean {
  const callerNames = new Set([request.caller, request.callerSubject].map(folded));
  return [decider.name, ...decider.subjects].some((name) => callerNames.has(folded(name)));
}

/**
 * A name compared without the differences a person cannot see or an IdP or OS may ignore: NFKC
 * compatibility forms (fullwidth letters, ligatures) and case. Two distinct people whose names fold
 * alike are refused too, which is the safe side.
 */
function folded(name: string): string {
  return name.normalize("NFKC").toUpperCase().toLowerCase().normalize("NFKC");
}

/** Membership of one @approvers group: a config group lists the decider's name; `token:<name>` is in their token. */
export function inApproverGroup(decider: Decider, group: string, callerGroups: CallerGroups): boolean {
  if (group.startsWith("token:")) return decider.tokenGroups.includes(group.slice("token:".length));
  const members = callerGroups[group] ?? [];
  return members.includes(decider.name);
}

/** The requirements the decider does not meet (each needs membership of one of its groups). */
export function unmetRequirements(decider: Decider, requirements: readonly ApproverRequirement[], callerGroups: CallerGroups): ApproverRequirement[] {
  return requirements.filter((requirement) => !requirement.groups.some((group) => inApproverGroup(decider, group, callerGroups)));
}

/** Everyone in these groups may see the queue's requests that name them. */
export function inAnyApproverGroup(decider: Decider, groups: Iterable<string>, callerGroups: CallerGroups): boolean {
  for (const group of groups) if (inApproverGroup(decider, group, callerGroups)) return true;
  return false;
}

/** Every group the decider is in, as @approvers names them: config groups listing their name, and `token:<name>` for their token's groups. */
export function approverGroupsOf(decider: Decider, callerGroups: CallerGroups): string[] {
  const configured = Object.entries(callerGroups)
    .filter(([group, members]) => !group.startsWith("token:") && members.includes(decider.name))
    .map(([group]) => group);
  return [...configured, ...decider.tokenGroups.map((group) => `token:${group}`)];
}
