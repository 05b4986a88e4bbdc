/**
 * Second-person approval requests: what a call waiting for someone other than its caller is bound
 * to, and what the approver decided. A request approves exactly one question (tool, canonical
 * arguments hash, caller, task, policy version) and nothing else.
 */

export type ApprovalStatus = "pending" | "approved" | "denied" | "expired" | "withdrawn";

/** What an approval is good for: an identical call in the same task under the same policies. */
export interface ApprovalBinding {
  tool: string;
  /** SHA-256 (hex) of the canonical JSON of the validated arguments, task id left out (the task is bound below). */
  argumentsHash: string;
  /** The caller as the audit names it: the OS user, or `<issuer>|<subject>` of a verified token. */
  caller: string;
  /** The task as the budget counts it (per caller over HTTP). */
  taskKey: string;
  /** The policy set's content hash: an edited policy is asked again. */
  policyVersion: string;
}

/** One second-person policy that stands in the way, and the groups one of whose members may lift it. */
export interface ApproverRequirement {
  policyId: string;
  /** Config groups (`governance.callerGroups`) or `token:<name>` groups from the approver's access token. */
  groups: readonly string[];
}

/**
 * Whether a request asked of `held`'s approvers also stands for `needed`: every second-person
 * policy the new call needs is one the held request was asked under (a call waits on another's
 * request only then, or one group's approval would release what another group must approve).
 */
export function coversRequirements(held: readonly ApproverRequirement[], needed: readonly ApproverRequirement[]): boolean {
  const policies = new Set(held.map((requirement) => requirement.policyId));
  return needed.every((requirement) => policies.has(requirement.policyId));
}

export interface NewApprovalRequest extends ApprovalBinding {
  /** The caller's token subject (or OS user): an approver with the same subject is the caller. */
  callerSubject: string;
  /** The OAuth client (azp/client_id) the caller's token was issued to; "" when not a token. A decider using the same client is refused. */
  callerClientId: string;
  /** The task id as the caller gave it, for showing. */
  taskId: string;
  /** The caller's stated intent, redacted (untrusted text: cleaned again wherever it is shown). */
  intent: string;
  /** The validated arguments, redacted. */
  arguments: unknown;
  /** The policy resource the call is about, in words (e.g. `account "111122223333" (environment: production)`). */
  scope: string;
  /** Why approval is needed: the policies' @reason texts. */
  reasons: readonly string[];
  requirements: readonly ApproverRequirement[];
  requestedAt: Date;
  expiresAt: Date;
}

export interface ApprovalRequestRecord extends Omit<NewApprovalRequest, "requestedAt" | "expiresAt" | "reasons" | "requirements"> {
  id: string;
  status: ApprovalStatus;
  reasons: string[];
  requirements: ApproverRequirement[];
  requestedAt: string;
  expiresAt: string;
  decidedAt: string | null;
  /** Who decided, as verified (token `<issuer>|<subject>`, or `os:<user>` on the host). */
  approver: string | null;
  note: string | null;
}

export interface ApprovalDecision {
  status: "approved" | "denied";
  approver: string;
  note: string | null;
  at: Date;
}

export interface ApprovalListFilter {
  status?: ApprovalStatus | undefined;
  /** Only requests with a requirement naming one of these groups (the decider's), applied before `limit`. */
  groups?: readonly string[] | undefined;
  limit?: number | undefined;
}
