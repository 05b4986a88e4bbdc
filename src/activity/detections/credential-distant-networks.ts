/**
 * One credential used from two distant networks within minutes: two holders of the same key.
 * Skipped for identities that roam in their baseline (many outside networks), where distance
 * says nothing.
 */
import { distantNetworks } from "../networks.js";
import { baselineText, type Detection, type RawFinding } from "./types.js";

export const credentialDistantNetworks: Detection = {
  code: "credential_used_from_distant_networks",
  title: "One credential used from two distant networks at once",
  analogues: "GuardDuty: credential use from multiple locations (impossible travel); Entra ID Protection: leaked credentials (needs their data)",
  detect({ log, baseline, settings }) {
    if (baseline.outsideBroadNetworks >= settings.roamingNetworks) return [];
    const overlap = settings.overlapMinutes * 60;
    const findings: RawFinding[] = [];
    const reported = new Set<number>();
    for (let row = baseline.detectionStart; row < baseline.detectionEnd; row++) {
      const credential = log.credential[row] as number;
      if (credential === 0 || reported.has(credential)) continue;
      const time = log.time[row] as number;
      for (let earlier = row - 1; earlier >= baseline.detectionStart && time - (log.time[earlier] as number) <= overlap; earlier--) {
        if (log.credential[earlier] !== credential) continue;
        const a = log.network[earlier] as number;
        const b = log.network[row] as number;
        if (!distantNetworks(log.text(a), log.networkClassOfKey(a), log.text(b), log.networkClassOfKey(b))) continue;
        reported.add(credential);
        findings.push({
          code: this.code,
          severity: "high",
          reason: `The same credential was used from two distant networks ${Math.round((time - (log.time[earlier] as number)) / 60)} minute(s) apart (overlap threshold ${settings.overlapMinutes} minutes): two parties hold it.`,
          evidenceRows: [earlier, row],
          normal: baselineText(baseline, settings),
        });
        break;
      }
    }
    return findings;
  },
};
