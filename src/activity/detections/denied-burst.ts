/**
 * Many access-denied errors across many services within an hour: an identity probing what it may
 * do (reconnaissance with stolen credentials), not one misconfigured call repeated.
 */
import { baselineText, type Detection } from "./types.js";

/** The service of an action: before ":" (iam:ListUsers), before "/" (Microsoft.Compute/...), else all but the method. */
export function serviceOfAction(action: string): string {
  const colon = action.indexOf(":");
  if (colon > 0) return action.slice(0, colon);
  const slash = action.indexOf("/");
  if (slash > 0) return action.slice(0, slash);
  const dot = action.lastIndexOf(".");
  return dot > 0 ? action.slice(0, dot) : action;
}

export const deniedBurst: Detection = {
  code: "access_denied_burst",
  title: "Burst of access-denied errors across many services",
  analogues: "GuardDuty: Discovery:IAMUser/AnomalousBehavior (reconnaissance); SCC ETD: discovery by a service account",
  detect({ log, baseline, settings }) {
    const { windowMinutes, minDenied, minServices } = settings.deniedBurst;
    const window = windowMinutes * 60;
    const denied: number[] = [];
    for (let row = baseline.detectionStart; row < baseline.detectionEnd; row++) if (log.outcome(row) === "denied" && !log.isSignIn(row)) denied.push(row);
    if (denied.length < minDenied) return [];
    // What the baseline's denials would have given in one window, five times over, is still normal.
    const baselineDays = Math.max(1, (baseline.lastTime - baseline.firstTime) / 86_400);
    const usual = (baseline.denied / baselineDays) * (window / 86_400) * 5;
    let from = 0;
    for (let to = 0; to < denied.length; to++) {
      const end = log.time[denied[to] as number] as number;
      while ((log.time[denied[from] as number] as number) < end - window) from++;
      const count = to - from + 1;
      if (count < minDenied || count <= usual) continue;
      const services = new Set<string>();
      for (let i = from; i <= to; i++) services.add(serviceOfAction(log.text(log.action[denied[i] as number] as number)));
      if (services.size < minServices) continue;
      // Extend to the end of the burst for the count.
      let last = to;
      while (last + 1 < denied.length && (log.time[denied[last + 1] as number] as number) - (log.time[denied[from] as number] as number) <= window) last++;
      for (let i = to + 1; i <= last; i++) services.add(serviceOfAction(log.text(log.action[denied[i] as number] as number)));
      return [
        {
          code: this.code,
          severity: "high",
          reason: `${last - from + 1} access-denied errors across ${services.size} services within ${windowMinutes} minutes (thresholds ${minDenied} and ${minServices}): probing for permissions.`,
          evidenceRows: denied.slice(from, Math.min(last + 1, from + 5)),
          normal: `${baselineText(baseline, settings)}; ${baseline.denied} denied in the baseline`,
        },
      ];
    }
    return [];
  },
};
