/**
 * The detection pass: for every identity active in the detection window, profile its baseline
 * window (what normal looked like) and run every rule. One pass over each identity's contiguous
 * rows; set membership uses stamp arrays over the log's string table instead of a Set per
 * identity, so 10 million events take seconds, not minutes.
 */
import { DETECTIONS } from "./detections/index.js";
import { SEVERITY_RANK, broadKey, type ActivitySettings, type BaselineProfile, type Detection, type KnownIdentity, type RawFinding, type Severity } from "./detections/types.js";
import type { ActivityLog, PrincipalRange } from "./log.js";

const DAY = 86_400;

export interface DetectOptions {
  settings: ActivitySettings;
  /** End of the detection window. */
  now: Date;
  /** Start of the detection window; default: `detectionHours` before now. */
  since?: Date | undefined;
  /** Only these identities (provider, scope and principal filters). */
  include?: ((range: PrincipalRange) => boolean) | undefined;
  /** What the inventory knows of an identity (creation, last use, name). */
  known?: ((principalId: string) => KnownIdentity | undefined) | undefined;
  detections?: readonly Detection[];
}

export interface ActivityFinding extends RawFinding {
  principalId: string;
  provider: PrincipalRange["provider"];
  scopeId: string;
  /** Time of the first evidence event (epoch seconds), for ordering. */
  firstTime: number;
}

export interface DetectionResult {
  findings: ActivityFinding[];
  windowFrom: number;
  windowTo: number;
  baselineFrom: number;
  /** Identities with events in the detection window. */
  activeIdentities: number;
  eventsInWindow: number;
  /** Active identities with too little history to compare with: only rules needing none ran. */
  insufficientBaseline: string[];
}

export function detectAnomalies(log: ActivityLog, options: DetectOptions): DetectionResult {
  const { settings } = options;
  const windowTo = Math.floor(options.now.getTime() / 1000) + 1;
  const windowFrom = options.since ? Math.floor(options.since.getTime() / 1000) : windowTo - 1 - settings.detectionHours * 3_600;
  const baselineFrom = windowFrom - settings.baselineDays * DAY;
  const detections = options.detections ?? DETECTIONS;
  const seen = {
    network: new Int32Array(log.stringCount),
    action: new Int32Array(log.stringCount),
    via: new Int32Array(log.stringCount),
    target: new Int32Array(log.stringCount),
  };
  const hours = new Int32Array(24);
  const findings: ActivityFinding[] = [];
  const insufficientBaseline: string[] = [];
  let activeIdentities = 0;
  let eventsInWindow = 0;
  let stamp = 0;
  for (const range of log.ranges) {
    const detectionStart = log.firstAtOrAfter(range.start, range.end, windowFrom);
    const detectionEnd = log.firstAtOrAfter(detectionStart, range.end, windowTo);
    if (detectionStart >= detectionEnd) continue;
    if (options.include && !options.include(range)) continue;
    activeIdentities++;
    eventsInWindow += detectionEnd - detectionStart;
    stamp++;
    const baselineStart = log.firstAtOrAfter(range.start, detectionStart, baselineFrom);
    const baseline = profileOf(log, baselineStart, detectionStart, detectionEnd, stamp, seen, hours, settings);
    if (!baseline.sufficient) insufficientBaseline.push(range.id);
    const input = { log, range, baseline, settings, windowFrom, windowTo, known: options.known?.(range.id) };
    for (const detection of detections) {
      for (const finding of detection.detect(input)) {
        findings.push({
          ...finding,
          principalId: range.id,
          provider: range.provider,
          scopeId: range.scopeId,
          firstTime: finding.evidenceRows.length > 0 ? (log.time[finding.evidenceRows[0] as number] as number) : windowFrom,
        });
      }
    }
  }
  findings.sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      b.firstTime - a.firstTime ||
      (a.principalId < b.principalId ? -1 : a.principalId > b.principalId ? 1 : 0) ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
  return { findings, windowFrom, windowTo, baselineFrom, activeIdentities, eventsInWindow, insufficientBaseline };
}

export function atLeast(severity: Severity, minimum: Severity): boolean {
  return SEVERITY_RANK[severity] <= SEVERITY_RANK[minimum];
}

function profileOf(
  log: ActivityLog,
  start: number,
  end: number,
  detectionEnd: number,
  stamp: number,
  seen: BaselineProfile["seen"],
  hours: Int32Array,
  settings: ActivitySettings,
): BaselineProfile {
  hours.fill(0);
  const byNetworkClass = { inside: 0, outside: 0, service: 0, unknown: 0 };
  const networks: number[] = [];
  const broad = new Set<string>();
  const countries = new Set<string>();
  let denied = 0;
  let signIns = 0;
  let signInFailures = 0;
  for (let row = start; row < end; row++) {
    const time = log.time[row] as number;
    const hour = Math.floor((time % DAY) / 3_600);
    hours[hour] = (hours[hour] as number) + 1;
    const networkClass = log.networkClass(row);
    byNetworkClass[networkClass]++;
    const network = log.network[row] as number;
    if (seen.network[network] !== stamp) {
      seen.network[network] = stamp;
      if (networkClass === "outside") {
        networks.push(network);
        broad.add(broadKey(log.text(network)));
      }
    }
    seen.action[log.action[row] as number] = stamp;
    const via = log.via[row] as number;
    if (via !== 0) seen.via[via] = stamp;
    const target = log.resource[row] as number;
    if (target !== 0) seen.target[target] = stamp;
    const outcome = log.outcome(row);
    if (outcome === "denied") denied++;
    if (log.isSignIn(row)) {
      signIns++;
      if (outcome !== "success") signInFailures++;
    }
    const country = log.countryOf(row);
    if (country !== undefined) countries.add(country);
  }
  const events = end - start;
  const firstTime = events > 0 ? (log.time[start] as number) : 0;
  const lastTime = events > 0 ? (log.time[end - 1] as number) : 0;
  return {
    baselineStart: start,
    baselineEnd: end,
    detectionStart: end,
    detectionEnd,
    events,
    firstTime,
    lastTime,
    sufficient: events >= settings.minBaselineEvents && lastTime - firstTime >= settings.minBaselineDays * DAY,
    hours: hours.slice(),
    byNetworkClass,
    denied,
    signIns,
    signInFailures,
    outsideBroadNetworks: broad.size,
    outsideBroad: broad,
    networks,
    countries,
    stamp,
    seen,
  };
}
