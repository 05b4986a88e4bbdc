/**
 * A new impersonation or assume-role chain: the identity assumed a role or impersonated an
 * account it never did in its baseline, or its session came through an identity it never came
 * through before.
 */
import { baselineText, type Detection, type RawFinding } from "./types.js";

export const newChain: Detection = {
  code: "new_assume_or_impersonation_chain",
  title: "New assume-role or impersonation chain",
  analogues: "SCC ETD: Anomalous service account impersonator / impersonation chain; GuardDuty: anomalous AssumeRole behavior",
  detect({ log, baseline, settings }) {
    if (!baseline.sufficient) return [];
    const targets = new Map<number, number[]>();
    const vias = new Map<number, number[]>();
    for (let row = baseline.detectionStart; row < baseline.detectionEnd; row++) {
      if (log.outcome(row) !== "success") continue;
      const via = log.via[row] as number;
      if (via !== 0 && baseline.seen.via[via] !== baseline.stamp) push(vias, via, row);
      const category = log.categoryOfAction(log.action[row] as number);
      const target = log.resource[row] as number;
      if ((category === "assume_role" || category === "impersonation") && target !== 0 && baseline.seen.target[target] !== baseline.stamp) push(targets, target, row);
    }
    const findings: RawFinding[] = [];
    for (const rows of targets.values()) {
      findings.push({
        code: this.code,
        severity: "medium",
        reason: "Assumed or impersonated an identity it never assumed or impersonated in its baseline.",
        evidenceRows: rows.slice(0, 5),
        normal: `${baselineText(baseline, settings)}; never this target`,
      });
    }
    for (const rows of vias.values()) {
      findings.push({
        code: this.code,
        severity: "medium",
        reason: "Acted through an identity (impersonation delegate or assume-role caller) it never came through in its baseline.",
        evidenceRows: rows.slice(0, 5),
        normal: `${baselineText(baseline, settings)}; never through this identity`,
      });
    }
    return findings;
  },
};

function push(map: Map<number, number[]>, key: number, row: number): void {
  const rows = map.get(key);
  if (rows) rows.push(row);
  else map.set(key, [row]);
}
