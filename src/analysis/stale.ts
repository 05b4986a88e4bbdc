/**
 * Stale machine identities: inactive, never used, not seen within a source's window, or holding
 * credentials that are unused or overdue for rotation.
 *
 * The answer keeps the evidence honest: "never used" (the source covers the identity's whole
 * life) and "not seen in the last N days" (the source only covers a window, e.g. AWS RoleLastUsed
 * covers 400 days) are different findings, and an identity without any activity source is
 * reported as unknown rather than silently treated as fine.
 */
import { z } from "zod";
import type { Inventory } from "../model/inventory-index.js";
import type { Activity, Credential, Principal } from "../model/inventory.js";
import { compileFilter, type InventoryFilter } from "./scope-filter.js";
import { daysBetween } from "./time.js";

export const staleReasonCodeSchema = z.enum([
  "inactive",
  "never_used",
  "not_seen_in_window",
  "no_activity_evidence",
  "credential_inactive",
  "credential_never_used",
  "credential_not_rotated",
  "disabled_with_access",
]);
export type StaleReasonCode = z.infer<typeof staleReasonCodeSchema>;

export const activityEvidenceSchema = z.object({
  status: z.enum(["used", "never_used", "not_seen_in_window", "unknown"]),
  lastUsedAt: z.string().nullable(),
  daysSinceLastUse: z.number().int().nullable(),
  source: z.string().nullable().describe("API or report the activity fact came from"),
  windowDays: z.number().int().nullable().describe("how far back the source looks; null when it covers the identity's lifetime"),
  observedAt: z.string().nullable(),
});
export type ActivityEvidence = z.infer<typeof activityEvidenceSchema>;

export const staleCredentialSchema = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.string(),
  createdAt: z.string().nullable(),
  ageDays: z.number().int().nullable(),
  activity: activityEvidenceSchema,
  issues: z.array(staleReasonCodeSchema),
});

export const staleFindingSchema = z.object({
  principal: z.object({
    id: z.string(),
    name: z.string(),
    kind: z.string(),
    provider: z.string(),
    scopeId: z.string(),
    disabled: z.boolean(),
  }),
  severity: z.enum(["high", "medium", "low"]),
  reasons: z.array(z.object({ code: staleReasonCodeSchema, detail: z.string() })),
  activity: activityEvidenceSchema,
  credentials: z.array(staleCredentialSchema),
  grantCount: z.number().int(),
  recommendedAction: z.string().describe("advice only; nothing is changed"),
});
export type StaleFinding = z.infer<typeof staleFindingSchema>;

export interface StaleOptions extends InventoryFilter {
  now: Date;
  inactiveDays: number;
  rotationDays: number;
  /** Identities and credentials younger than this are not flagged for never being used. */
  neverUsedGraceDays: number;
  includeUnknown?: boolean;
}

function describeActivity(activity: Activity | undefined, now: Date): ActivityEvidence {
  if (!activity) {
    return { status: "unknown", lastUsedAt: null, daysSinceLastUse: null, source: null, windowDays: null, observedAt: null };
  }
  const windowDays = activity.coverage === "window" ? (activity.windowDays ?? null) : null;
  const base = { source: activity.source, windowDays, observedAt: activity.observedAt };
  if (activity.lastUsedAt) {
    return { status: "used", lastUsedAt: activity.lastUsedAt, daysSinceLastUse: daysBetween(activity.lastUsedAt, now), ...base };
  }
  const status = activity.coverage === "lifetime" ? "never_used" : "not_seen_in_window";
  return { status, lastUsedAt: null, daysSinceLastUse: null, ...base };
}

/** The freshest use across the principal's own activity and its credentials' activity. */
function effectiveActivity(principal: Principal, credentials: readonly Credential[]): Activity | undefined {
  const candidates = [principal.lastActivity, ...credentials.map((c) => c.lastActivity)].filter(
    (a): a is Activity => a !== undefined,
  );
  const used = candidates.filter((a) => a.lastUsedAt !== undefined);
  if (used.length > 0) {
    return used.reduce((best, a) => (Date.parse(a.lastUsedAt as string) > Date.parse(best.lastUsedAt as string) ? a : best));
  }
  // Nothing used: prefer the principal's own statement, then any lifetime source (a stronger claim).
  return principal.lastActivity ?? candidates.find((a) => a.coverage === "lifetime") ?? candidates[0];
}

const ROTATABLE = new Set(["access_key", "service_account_key", "client_secret"]);

function credentialIssues(credential: Credential, options: StaleOptions): { issues: StaleReasonCode[]; activity: ActivityEvidence } {
  const activity = describeActivity(credential.lastActivity, options.now);
  const issues: StaleReasonCode[] = [];
  if (credential.status !== "active" || credential.managedBy === "provider") return { issues, activity };
  const ageDays = credential.createdAt ? daysBetween(credential.createdAt, options.now) : null;
  if (activity.status === "never_used" && (ageDays === null || ageDays >= options.neverUsedGraceDays)) {
    issues.push("credential_never_used");
  } else if (activity.status === "used" && (activity.daysSinceLastUse ?? 0) >= options.inactiveDays) {
    issues.push("credential_inactive");
  }
  const rotatedAt = credential.lastRotatedAt ?? credential.createdAt;
  if (ROTATABLE.has(credential.kind) && rotatedAt && daysBetween(rotatedAt, options.now) >= options.rotationDays) {
    issues.push("credential_not_rotated");
  }
  return { issues, activity };
}

const WORKLOAD_KINDS = new Set(["service_account", "role", "user", "service_principal", "application", "managed_identity"]);

export function findStaleServiceAccounts(inventory: Inventory, options: StaleOptions): StaleFinding[] {
  const matches = compileFilter(inventory, options);
  const includeUnknown = options.includeUnknown ?? true;
  const findings: StaleFinding[] = [];

  for (const principal of inventory.snapshot.principals) {
    if (!principal.workload || !WORKLOAD_KINDS.has(principal.kind) || !matches(principal)) continue;
    const credentials = inventory.credentialsOf(principal.id);
    const grantCount = inventory.grantsOf(principal.id).length;
    const activity = describeActivity(effectiveActivity(principal, credentials), options.now);
    const ageDays = principal.createdAt ? daysBetween(principal.createdAt, options.now) : null;
    const reasons: StaleFinding["reasons"] = [];

    if (activity.status === "used" && (activity.daysSinceLastUse ?? 0) >= options.inactiveDays) {
      reasons.push({ code: "inactive", detail: `last used ${activity.daysSinceLastUse} days ago (threshold ${options.inactiveDays})` });
    } else if (activity.status === "never_used" && (ageDays === null || ageDays >= options.neverUsedGraceDays)) {
      reasons.push({ code: "never_used", detail: `no recorded use since creation${ageDays === null ? "" : ` ${ageDays} days ago`}` });
    } else if (activity.status === "not_seen_in_window" && (ageDays === null || ageDays >= options.inactiveDays)) {
      reasons.push({
        code: "not_seen_in_window",
        detail: `${activity.windowDays ? `not seen in the last ${activity.windowDays} days` : "not seen within the window"} covered by ${activity.source}; earlier use cannot be ruled out`,
      });
    } else if (activity.status === "unknown" && includeUnknown) {
      reasons.push({ code: "no_activity_evidence", detail: "no activity source covers this identity; staleness cannot be decided" });
    }

    const staleCredentials: StaleFinding["credentials"] = [];
    for (const credential of credentials) {
      const { issues, activity: credentialActivity } = credentialIssues(credential, options);
      if (issues.length === 0) continue;
      staleCredentials.push({
        id: credential.id,
        kind: credential.kind,
        status: credential.status,
        createdAt: credential.createdAt ?? null,
        ageDays: credential.createdAt ? daysBetween(credential.createdAt, options.now) : null,
        activity: credentialActivity,
        issues,
      });
      for (const code of issues) {
        if (!reasons.some((r) => r.code === code)) reasons.push({ code, detail: credentialReasonDetail(code, options) });
      }
    }

    const activeCredentials = credentials.filter((c) => c.status === "active").length;
    if (principal.disabled && (activeCredentials > 0 || grantCount > 0)) {
      reasons.push({
        code: "disabled_with_access",
        detail: `disabled but still holds ${activeCredentials} active credential(s) and ${grantCount} grant(s)`,
      });
    }
    if (reasons.length === 0) continue;

    findings.push({
      principal: {
        id: principal.id,
        name: principal.name,
        kind: principal.kind,
        provider: principal.provider,
        scopeId: principal.scopeId,
        disabled: principal.disabled ?? false,
      },
      severity: severityOf(reasons.map((r) => r.code), activeCredentials > 0, grantCount > 0),
      reasons,
      activity,
      credentials: staleCredentials,
      grantCount,
      recommendedAction: recommend(reasons.map((r) => r.code)),
    });
  }
  return findings.sort(compareFindings);
}

function credentialReasonDetail(code: StaleReasonCode, options: StaleOptions): string {
  switch (code) {
    case "credential_never_used":
      return "holds an active credential that has never been used";
    case "credential_inactive":
      return `holds an active credential unused for ${options.inactiveDays}+ days`;
    default:
      return `holds a credential not rotated for ${options.rotationDays}+ days`;
  }
}

const SEVERITY_RANK = { high: 0, medium: 1, low: 2 } as const;

function severityOf(codes: StaleReasonCode[], hasActiveCredential: boolean, hasGrants: boolean): StaleFinding["severity"] {
  const has = (code: StaleReasonCode) => codes.includes(code);
  // An unused identity that can still authenticate and holds permissions is the attacker's favourite.
  if ((has("credential_never_used") || has("credential_inactive") || has("disabled_with_access")) && hasGrants) return "high";
  if ((has("inactive") || has("never_used")) && (hasActiveCredential || hasGrants)) return "high";
  if (has("no_activity_evidence") && codes.length === 1) return "low";
  return "medium";
}

function recommend(codes: StaleReasonCode[]): string {
  const has = (code: StaleReasonCode) => codes.includes(code);
  if (has("disabled_with_access")) return "Identity is disabled: delete its keys and remove its role bindings, then delete it if nothing depends on it.";
  if (has("credential_never_used")) return "Deactivate the never-used credential; delete it after confirming no workload was about to start using it.";
  if (has("inactive") || has("never_used")) return "Confirm the owner; if unused, disable the identity and its credentials, then delete after a grace period.";
  if (has("credential_inactive")) return "Deactivate the unused credential, then delete it after a grace period.";
  if (has("credential_not_rotated")) return "Rotate the credential (create a new one, move the workload, deactivate the old one) or move to short-lived federation.";
  if (has("not_seen_in_window")) return "Check other logs (e.g. CloudTrail) for older use before disabling: the source's window may be too short to decide.";
  return "Enable an activity source for this identity (sign-in logs, Activity Analyzer) so staleness can be decided.";
}

function compareFindings(a: StaleFinding, b: StaleFinding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    (b.activity.daysSinceLastUse ?? -1) - (a.activity.daysSinceLastUse ?? -1) ||
    (a.principal.id < b.principal.id ? -1 : a.principal.id > b.principal.id ? 1 : 0)
  );
}
