/**
 * The staleness rules, as arithmetic over the per-inventory facts: which reasons an identity
 * and its credentials have (as bits, so ranking allocates nothing), how severe, what to do.
 */
import { ActivityStatus, type StaleFacts } from "./stale-facts.js";
import type { StaleOptions, StaleReasonCode } from "./stale.js";

const DAY_MS = 86_400_000;

export function daysSince(ms: number, nowMs: number): number {
  return Math.floor((nowMs - ms) / DAY_MS);
}

/**
 * Reason codes as bits, so ranking tens of thousands of identities allocates nothing; full
 * findings are built afterwards, in rank order.
 */
export const Reason = {
  inactive: 1,
  neverUsed: 2,
  notSeenInWindow: 4,
  noActivityEvidence: 8,
  credentialNeverUsed: 16,
  credentialInactive: 32,
  credentialNotRotated: 64,
  disabledWithAccess: 128,
} as const;

export const CREDENTIAL_REASONS: readonly [number, StaleReasonCode][] = [
  [Reason.credentialNeverUsed, "credential_never_used"],
  [Reason.credentialInactive, "credential_inactive"],
  [Reason.credentialNotRotated, "credential_not_rotated"],
];

export interface Thresholds {
  nowMs: number;
  inactiveDays: number;
  rotationDays: number;
  neverUsedGraceDays: number;
  includeUnknown: boolean;
}

/** The identity's own activity finding (at most one of inactive, never used, not seen, unknown). */
function activityReason(facts: StaleFacts, i: number, t: Thresholds): number {
  const status = facts.activityStatus[i];
  if (status === ActivityStatus.used) {
    return daysSince(facts.lastUsedMs[i] as number, t.nowMs) >= t.inactiveDays ? Reason.inactive : 0;
  }
  if (status === ActivityStatus.unknown) return t.includeUnknown ? Reason.noActivityEvidence : 0;
  const createdMs = facts.createdMs[i] as number;
  const ageDays = Number.isNaN(createdMs) ? null : daysSince(createdMs, t.nowMs);
  if (status === ActivityStatus.neverUsed) return ageDays === null || ageDays >= t.neverUsedGraceDays ? Reason.neverUsed : 0;
  return ageDays === null || ageDays >= t.inactiveDays ? Reason.notSeenInWindow : 0;
}

export function credentialReasons(facts: StaleFacts, c: number, t: Thresholds): number {
  if (facts.credentialCanRaiseIssues[c] === 0) return 0;
  let reasons = 0;
  const status = facts.credentialStatus[c];
  const createdMs = facts.credentialCreatedMs[c] as number;
  const ageDays = Number.isNaN(createdMs) ? null : daysSince(createdMs, t.nowMs);
  if (status === ActivityStatus.neverUsed && (ageDays === null || ageDays >= t.neverUsedGraceDays)) {
    reasons |= Reason.credentialNeverUsed;
  } else if (status === ActivityStatus.used && daysSince(facts.credentialLastUsedMs[c] as number, t.nowMs) >= t.inactiveDays) {
    reasons |= Reason.credentialInactive;
  }
  const rotatedMs = facts.credentialRotatedMs[c] as number;
  if (!Number.isNaN(rotatedMs) && daysSince(rotatedMs, t.nowMs) >= t.rotationDays) reasons |= Reason.credentialNotRotated;
  return reasons;
}

export function reasonsOf(facts: StaleFacts, i: number, t: Thresholds): number {
  let reasons = activityReason(facts, i, t);
  const end = facts.credentialStart[i + 1] as number;
  for (let c = facts.credentialStart[i] as number; c < end; c++) reasons |= credentialReasons(facts, c, t);
  const hasAccess = (facts.activeCredentials[i] as number) > 0 || (facts.grantCount[i] as number) > 0;
  if (facts.principals[i]?.disabled && hasAccess) reasons |= Reason.disabledWithAccess;
  return reasons;
}

export const SEVERITIES = ["high", "medium", "low"] as const;

/** Index into SEVERITIES: the rank findings sort by. */
export function severityRank(reasons: number, hasActiveCredential: boolean, hasGrants: boolean): number {
  // An unused identity that can still authenticate and holds permissions is the attacker's favourite.
  if (reasons & (Reason.credentialNeverUsed | Reason.credentialInactive | Reason.disabledWithAccess) && hasGrants) return 0;
  if (reasons & (Reason.inactive | Reason.neverUsed) && (hasActiveCredential || hasGrants)) return 0;
  if (reasons === Reason.noActivityEvidence) return 2;
  return 1;
}

export function recommend(reasons: number): string {
  if (reasons & Reason.disabledWithAccess) return "Identity is disabled: delete its keys and remove its role bindings, then delete it if nothing depends on it.";
  if (reasons & Reason.credentialNeverUsed) return "Deactivate the never-used credential; delete it after confirming no workload was about to start using it.";
  if (reasons & (Reason.inactive | Reason.neverUsed)) return "Confirm the owner; if unused, disable the identity and its credentials, then delete after a grace period.";
  if (reasons & Reason.credentialInactive) return "Deactivate the unused credential, then delete it after a grace period.";
  if (reasons & Reason.credentialNotRotated) return "Rotate the credential (create a new one, move the workload, deactivate the old one) or move to short-lived federation.";
  if (reasons & Reason.notSeenInWindow) return "Check other logs (e.g. CloudTrail) for older use before disabling: the source's window may be too short to decide.";
  return "Enable an activity source for this identity (sign-in logs, Activity Analyzer) so staleness can be decided.";
}

export function thresholdsOf(options: StaleOptions): Thresholds {
  return {
    nowMs: options.now.getTime(),
    inactiveDays: options.inactiveDays,
    rotationDays: options.rotationDays,
    neverUsedGraceDays: options.neverUsedGraceDays,
    includeUnknown: options.includeUnknown ?? true,
  };
}
