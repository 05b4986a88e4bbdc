/**
 * Service principal and managed identity sign-ins (Entra): from an address network never used,
 * or a spike of failed sign-ins (someone trying a leaked or guessed credential).
 */
import { baselineText, firstRows, type Detection, type RawFinding } from "./types.js";

export const signInAnomalies: Detection = {
  code: "service_principal_sign_in_anomaly",
  title: "Service principal sign-ins from new addresses or failure spikes",
  analogues: "Entra ID Protection for workload identities: suspicious sign-ins, anomalous service principal activity",
  detect({ log, baseline, settings, windowFrom, windowTo }) {
    const newRows: number[] = [];
    const newCountries = new Set<string>();
    const failed: number[] = [];
    for (let row = baseline.detectionStart; row < baseline.detectionEnd; row++) {
      if (!log.isSignIn(row)) continue;
      if (log.outcome(row) !== "success") failed.push(row);
      const networkClass = log.networkClass(row);
      if (networkClass === "outside" || networkClass === "unknown") {
        const network = log.network[row] as number;
        if (baseline.signIns > 0 && baseline.seen.network[network] !== baseline.stamp && log.text(network) !== "unknown network") {
          newRows.push(row);
          const country = log.countryOf(row);
          if (country !== undefined && baseline.countries.size > 0 && !baseline.countries.has(country)) newCountries.add(country);
        }
      }
    }
    const findings: RawFinding[] = [];
    if (baseline.sufficient && newRows.length > 0) {
      findings.push({
        code: this.code,
        severity: "medium",
        reason:
          `Signed in from ${new Set(newRows.map((row) => log.network[row])).size} address network(s) it never signed in from in its baseline` +
          (newCountries.size > 0 ? `, in ${newCountries.size} country(ies) it never signed in from.` : "."),
        evidenceRows: firstRows(newRows),
        normal: `${baselineText(baseline, settings)}; ${baseline.signIns} sign-ins`,
      });
    }
    const { minFailures, ratio } = settings.signInFailures;
    const baselineDays = Math.max(1, (baseline.lastTime - baseline.firstTime) / 86_400);
    const expected = (baseline.signInFailures / baselineDays) * ((windowTo - windowFrom) / 86_400);
    if (failed.length >= minFailures && failed.length > expected * ratio) {
      findings.push({
        code: this.code,
        severity: failed.length >= minFailures * ratio ? "high" : "medium",
        reason: `${failed.length} failed sign-ins in the detection window (threshold ${minFailures}, and ${ratio}x its usual rate).`,
        evidenceRows: firstRows(failed),
        normal: `${baselineText(baseline, settings)}; ${baseline.signInFailures} failed sign-ins in the baseline`,
      });
    }
    return findings;
  },
};
