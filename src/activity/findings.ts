/**
 * Anomalous activity as answers: the detection pass over the inventory's activity log, filtered
 * by provider, scope, principal and severity, with evidence events spelled out (ids, times,
 * actions, networks; never bodies) and the log sources that were not read named as gaps.
 */
import { memoize, minuteOf } from "../analysis/memo.js";
import { compileFilter } from "../analysis/scope-filter.js";
import type { WiamConfig } from "../config/schema.js";
import type { ActivityOutcome, NetworkClass } from "../model/activity-log.js";
import type { Inventory } from "../model/inventory-index.js";
import type { Provider } from "../model/inventory.js";
import { userAgentKind } from "./agents.js";
import { atLeast, detectAnomalies, type DetectionResult } from "./detect.js";
import { DETECTIONS } from "./detections/index.js";
import type { ActivitySettings, KnownIdentity, Severity } from "./detections/types.js";
import type { ActivityLog } from "./log.js";

export function activitySettingsOf(config: WiamConfig): ActivitySettings {
  const { rangesFiles: _ranges, files: _files, ingestion: _ingestion, ...settings } = config.activity;
  return settings;
}

export interface ActivityEvidence {
  eventId: string | null;
  time: string;
  action: string;
  outcome: ActivityOutcome;
  networkClass: NetworkClass;
  sourceNetwork: string;
  userAgent: string;
  clientKind: string;
  country: string | null;
}

export interface ActivityFindingAnswer {
  code: string;
  title: string;
  severity: Severity;
  provider: string;
  scopeId: string;
  principal: { id: string; name: string | null; kind: string | null };
  reason: string;
  normal: string;
  normalCountries?: string[];
  evidence: ActivityEvidence[];
}

export interface AnomalousActivityAnswer {
  window: { from: string; to: string; baselineFrom: string };
  summary: { activeIdentities: number; eventsInWindow: number; insufficientBaseline: number; high: number; medium: number; low: number };
  findings: ActivityFindingAnswer[];
}

export interface ActivityQuery {
  settings: ActivitySettings;
  now: Date;
  since?: Date | undefined;
  provider?: Provider | undefined;
  scope?: string | undefined;
  principal?: string | undefined;
  minSeverity: Severity;
}

const TITLES = new Map(DETECTIONS.map((detection) => [detection.code, detection.title]));
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

export function evidenceOf(log: ActivityLog, row: number): ActivityEvidence {
  const agent = log.userAgent(row);
  return {
    eventId: log.eventId(row),
    time: iso(log.time[row] as number),
    action: log.text(log.action[row] as number),
    outcome: log.outcome(row),
    networkClass: log.networkClass(row),
    sourceNetwork: log.text(log.network[row] as number),
    userAgent: agent ?? "",
    clientKind: userAgentKind(agent),
    country: log.countryOf(row) ?? null,
  };
}

function knownOf(inventory: Inventory): (principalId: string) => KnownIdentity | undefined {
  return (principalId) => {
    const principal = inventory.principals.get(principalId);
    if (!principal) return undefined;
    const lastUsed = principal.lastActivity?.lastUsedAt;
    return {
      name: principal.name,
      kind: principal.kind,
      createdAtMs: principal.createdAt === undefined ? undefined : Date.parse(principal.createdAt),
      lastUsedAtMs: lastUsed === undefined ? undefined : Date.parse(lastUsed),
    };
  };
}

/** The whole detection pass, memoized per inventory, settings and minute (paging reuses it). */
function detectionOf(inventory: Inventory, query: ActivityQuery): DetectionResult {
  const key = `activity:${JSON.stringify({ settings: query.settings, since: query.since?.toISOString() ?? null, now: minuteOf(query.now) })}`;
  return memoize(inventory, key, () =>
    detectAnomalies(inventory.activity, { settings: query.settings, now: query.now, since: query.since, known: knownOf(inventory) }),
  );
}

export function activityFindingsOf(inventory: Inventory, query: ActivityQuery): AnomalousActivityAnswer {
  const result = detectionOf(inventory, query);
  const log = inventory.activity;
  const inFilter = compileFilter(inventory, { provider: query.provider, scope: query.scope });
  // An identity the inventory knows counts in its own scope; one only the log names, in the log's.
  const scopeOf = (principalId: string, logged: string) => inventory.principals.get(principalId)?.scopeId ?? logged;
  const wanted = (principalId: string, provider: Provider, scopeId: string) =>
    (query.principal === undefined || principalId === query.principal) && inFilter({ provider, scopeId: scopeOf(principalId, scopeId) });
  const findings: ActivityFindingAnswer[] = [];
  const summary = { activeIdentities: 0, eventsInWindow: 0, insufficientBaseline: 0, high: 0, medium: 0, low: 0 };
  for (const finding of result.findings) {
    if (!atLeast(finding.severity, query.minSeverity) || !wanted(finding.principalId, finding.provider, finding.scopeId)) continue;
    summary[finding.severity]++;
    const principal = inventory.principals.get(finding.principalId);
    findings.push({
      code: finding.code,
      title: TITLES.get(finding.code) ?? finding.code,
      severity: finding.severity,
      provider: finding.provider,
      scopeId: scopeOf(finding.principalId, finding.scopeId),
      principal: { id: finding.principalId, name: principal?.name ?? null, kind: principal?.kind ?? null },
      reason: finding.reason,
      normal: finding.normal,
      ...(finding.normalCountries === undefined ? {} : { normalCountries: [...finding.normalCountries] }),
      evidence: finding.evidenceRows.map((row) => evidenceOf(log, row)),
    });
  }
  const unfiltered = query.principal === undefined && query.provider === undefined && query.scope === undefined;
  if (unfiltered) {
    summary.activeIdentities = result.activeIdentities;
    summary.eventsInWindow = result.eventsInWindow;
    summary.insufficientBaseline = result.insufficientBaseline.length;
  } else {
    for (const range of log.ranges) {
      if (!wanted(range.id, range.provider, range.scopeId)) continue;
      const from = log.firstAtOrAfter(range.start, range.end, result.windowFrom);
      const to = log.firstAtOrAfter(from, range.end, result.windowTo);
      if (to <= from) continue;
      summary.activeIdentities++;
      summary.eventsInWindow += to - from;
    }
    summary.insufficientBaseline = result.insufficientBaseline.filter((id) => {
      const range = log.rangeOf(id);
      return range !== undefined && wanted(id, range.provider, range.scopeId);
    }).length;
  }
  return {
    window: { from: iso(result.windowFrom), to: iso(result.windowTo - 1), baselineFrom: iso(result.baselineFrom) },
    summary,
    findings,
  };
}

export interface ActivityGap {
  provider: string;
  scopeId: string | null;
  source: string;
  reason: string;
}

/**
 * What the answer could not see: collection gaps, log sources read only partly, and providers
 * with identities but no activity log read at all.
 */
export function activityGaps(inventory: Inventory, windowFrom?: Date): ActivityGap[] {
  const gaps: ActivityGap[] = inventory.gaps.map((g) => ({ provider: g.provider, scopeId: g.scopeId ?? null, source: g.source, reason: g.reason }));
  const sources = inventory.snapshot.activityLog?.sources ?? [];
  for (const source of sources) {
    if (!source.complete) gaps.push({ provider: source.provider, scopeId: source.scopeId ?? null, source: source.source, reason: source.note ?? "the log was read only partly" });
    // A window reaching back past the kept ids: one detection is blind there, and says so.
    if (windowFrom !== undefined && source.idsKeptFrom !== undefined && Date.parse(source.idsKeptFrom) > windowFrom.getTime()) {
      gaps.push({
        provider: source.provider,
        scopeId: source.scopeId ?? null,
        source: source.source,
        reason: `event and credential ids are kept only from ${source.idsKeptFrom} (activity.ingestion.keepIdsHours): before then, one credential's use from two distant networks is not compared and evidence has no event id`,
      });
    }
  }
  const read = new Set(sources.map((source) => source.provider));
  const withIdentities = [...new Set(inventory.snapshot.principals.map((principal) => principal.provider))].sort();
  for (const provider of withIdentities) {
    if (read.has(provider)) continue;
    gaps.push({ provider, scopeId: null, source: "activity logs", reason: "no activity log was read for this provider: its identities' activity cannot be compared" });
  }
  return gaps;
}

/** A short summary of one identity's recent activity, for describe_identity. */
export interface RecentActivitySummary {
  windowHours: number;
  events: number;
  denied: number;
  actions: number;
  lastEventAt: string | null;
  findings: { code: string; severity: Severity }[];
}

export function recentActivityOf(inventory: Inventory, principalId: string, settings: ActivitySettings, now: Date): RecentActivitySummary | null {
  const log = inventory.activity;
  if (log.length === 0 && log.sources.length === 0) return null;
  const range = log.rangeOf(principalId);
  // With logs read, an identity they never name has a summary of zeros, not none: whether an
  // answer is withheld for approval must not tell that a production identity was active.
  if (!range) return { windowHours: settings.detectionHours, events: 0, denied: 0, actions: 0, lastEventAt: null, findings: [] };
  const windowTo = Math.floor(now.getTime() / 1000) + 1;
  const from = log.firstAtOrAfter(range.start, range.end, windowTo - 1 - settings.detectionHours * 3_600);
  const to = log.firstAtOrAfter(from, range.end, windowTo);
  let denied = 0;
  const actions = new Set<number>();
  for (let row = from; row < to; row++) {
    if (log.outcome(row) === "denied") denied++;
    actions.add(log.action[row] as number);
  }
  const last = log.firstAtOrAfter(range.start, range.end, windowTo) - 1;
  const findings = detectionOf(inventory, { settings, now, minSeverity: "low" })
    .findings.filter((finding) => finding.principalId === principalId)
    .map((finding) => ({ code: finding.code, severity: finding.severity }));
  return {
    windowHours: settings.detectionHours,
    events: to - from,
    denied,
    actions: actions.size,
    lastEventAt: last >= range.start ? iso(log.time[last] as number) : null,
    findings,
  };
}
