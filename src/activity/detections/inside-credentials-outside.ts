/**
 * Credentials of a workload that always ran inside the provider's network, used from outside it:
 * GuardDuty's InstanceCredentialExfiltration case (instance role credentials used outside AWS).
 */
import { baselineText, firstRows, type Detection } from "./types.js";

export const insideCredentialsOutside: Detection = {
  code: "workload_credentials_used_outside",
  title: "Workload credentials used outside the provider's network",
  analogues: "GuardDuty: UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
  detect({ log, baseline, settings }) {
    const classes = baseline.byNetworkClass;
    if (!baseline.sufficient || classes.outside > 0 || classes.inside === 0) return [];
    const rows: number[] = [];
    for (let row = baseline.detectionStart; row < baseline.detectionEnd; row++) {
      if (!log.isSignIn(row) && log.networkClass(row) === "outside") rows.push(row);
    }
    if (rows.length === 0) return [];
    return [
      {
        code: this.code,
        severity: "high",
        reason: `Its calls always came from inside the provider's network; ${rows.length} call(s) in the detection window came from outside it, as stolen workload credentials would.`,
        evidenceRows: firstRows(rows),
        normal: baselineText(baseline, settings),
      },
    ];
  },
};
