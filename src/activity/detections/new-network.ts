/**
 * A network or country the identity never used in its baseline. Only for identities that do call
 * from outside the provider (CI runners, on-premises jobs): a workload that always ran inside is
 * the stronger case of inside-credentials-outside. Addresses inside the provider's network are one
 * network, so autoscaling never looks new.
 */
import { baselineText, broadKey, firstRows, type Detection, type RawFinding } from "./types.js";

export const newNetwork: Detection = {
  code: "new_source_network",
  title: "New source network or country",
  analogues: "GuardDuty: API call from an unusual location/ASN; Entra ID Protection: unfamiliar sign-in properties",
  detect({ log, baseline, settings }) {
    if (!baseline.sufficient || baseline.byNetworkClass.outside === 0) return [];
    const newNetworkRows: number[] = [];
    const newCountryRows: number[] = [];
    const seenNetworks = new Set<number>();
    // A roaming identity (CI runners of a hosted service) is new only outside the /16s it roams in.
    const roaming = baseline.outsideBroadNetworks >= settings.roamingNetworks;
    for (let row = baseline.detectionStart; row < baseline.detectionEnd; row++) {
      if (log.isSignIn(row) || log.networkClass(row) !== "outside") continue;
      const network = log.network[row] as number;
      const country = log.countryOf(row);
      if (country !== undefined && baseline.countries.size > 0 && !baseline.countries.has(country)) newCountryRows.push(row);
      else if (baseline.seen.network[network] !== baseline.stamp && !seenNetworks.has(network)) {
        if (!roaming || !baseline.outsideBroad.has(broadKey(log.text(network)))) newNetworkRows.push(row);
      }
      seenNetworks.add(network);
    }
    const findings: RawFinding[] = [];
    if (newCountryRows.length > 0) {
      findings.push({
        code: this.code,
        severity: "medium",
        reason: "Called from a country it never called from in its baseline.",
        evidenceRows: firstRows(newCountryRows),
        normal: baselineText(baseline, settings),
        normalCountries: [...baseline.countries].sort(),
      });
    }
    if (newNetworkRows.length > 0) {
      findings.push({
        code: this.code,
        severity: "low",
        reason: `Called from ${newNetworkRows.length} outside network(s) it never used in its baseline.`,
        evidenceRows: firstRows(newNetworkRows),
        normal: baselineText(baseline, settings),
      });
    }
    return findings;
  },
};
