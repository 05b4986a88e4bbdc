/**
 * A sensitive action the identity never performed in its baseline: reading secrets, creating keys
 * or credentials, changing IAM policies or role assignments, passing a role, adding a federated
 * credential. Which actions are sensitive is the logging provider's call (its action names), as a
 * category on each event.
 */
import type { ActivityCategory } from "../../model/activity-log.js";
import { baselineText, type Detection, type RawFinding, type Severity } from "./types.js";

/** Severity and words per category: rules as data. Assume-role and impersonation are new-chain's. */
export const SENSITIVE_CATEGORIES: Partial<Record<ActivityCategory, { severity: Severity; words: string }>> = {
  credential_creation: { severity: "high", words: "created a key or credential" },
  iam_change: { severity: "high", words: "changed IAM policies or role assignments" },
  federation_change: { severity: "high", words: "added or changed a federated credential" },
  secret_read: { severity: "medium", words: "read a secret" },
  pass_role: { severity: "medium", words: "passed a role to a service" },
};

export const firstSensitiveAction: Detection = {
  code: "first_sensitive_action",
  title: "First use of a sensitive action",
  analogues:
    "GuardDuty: anomalous IAM behavior by tactic (CredentialAccess, Persistence, PrivilegeEscalation); SCC ETD: unusual key creation, privileged role grants",
  detect({ log, baseline, settings }) {
    if (!baseline.sufficient) return [];
    const byAction = new Map<number, number[]>();
    for (let row = baseline.detectionStart; row < baseline.detectionEnd; row++) {
      if (log.outcome(row) !== "success") continue;
      const action = log.action[row] as number;
      const category = log.categoryOfAction(action);
      if (category === undefined || SENSITIVE_CATEGORIES[category] === undefined) continue;
      if (baseline.seen.action[action] === baseline.stamp) continue;
      const rows = byAction.get(action);
      if (rows) rows.push(row);
      else byAction.set(action, [row]);
    }
    const findings: RawFinding[] = [];
    for (const [action, rows] of byAction) {
      const category = log.categoryOfAction(action);
      const rule = category === undefined ? undefined : SENSITIVE_CATEGORIES[category];
      if (!rule) continue;
      findings.push({
        code: this.code,
        severity: rule.severity,
        reason: `First time in its baseline it ${rule.words} (${category}): ${rows.length} call(s) in the detection window.`,
        evidenceRows: rows.slice(0, 5),
        normal: `${baselineText(baseline, settings)}; never this action`,
      });
    }
    return findings;
  },
};
