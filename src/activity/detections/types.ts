/**
 * What a detection sees of one identity: its rows split into baseline and detection window, and
 * a profile of the baseline (what "normal" was). A detection is one small rule object; the engine
 * (../detect.ts) runs every rule over every identity active in the detection window.
 */
import type { ActivityLog, PrincipalRange } from "../log.js";

export type Severity = "high" | "medium" | "low";
export const SEVERITY_RANK: Record<Severity, number> = { high: 0, medium: 1, low: 2 };

/** Thresholds of every rule, from the config (`activity` section); documented in docs/activity.md. */
export interface ActivitySettings {
  baselineDays: number;
  detectionHours: number;
  /** Fewer baseline events than this (or a shorter history) is "insufficient baseline": no comparison. */
  minBaselineEvents: number;
  minBaselineDays: number;
  dormantDays: number;
  /** One credential from two distant networks within this many minutes. */
  overlapMinutes: number;
  /** An identity seen from this many distinct outside /16s in its baseline roams: distance says nothing. */
  roamingNetworks: number;
  deniedBurst: { windowMinutes: number; minDenied: number; minServices: number };
  /** Hours next to a used hour count as used (daylight saving moves local schedules by one UTC hour). */
  hourTolerance: number;
  signInFailures: { minFailures: number; ratio: number };
}

export const DEFAULT_ACTIVITY_SETTINGS: ActivitySettings = {
  baselineDays: 30,
  detectionHours: 24,
  minBaselineEvents: 20,
  minBaselineDays: 7,
  dormantDays: 21,
  overlapMinutes: 10,
  roamingNetworks: 3,
  deniedBurst: { windowMinutes: 60, minDenied: 10, minServices: 4 },
  hourTolerance: 1,
  signInFailures: { minFailures: 10, ratio: 5 },
};

/** What the identity's baseline window showed. Sets are stamp arrays over the log's string table. */
export interface BaselineProfile {
  /** Rows of the baseline window, [start, end), and of the detection window. */
  baselineStart: number;
  baselineEnd: number;
  detectionStart: number;
  detectionEnd: number;
  events: number;
  firstTime: number;
  lastTime: number;
  /** Enough history to compare with (minBaselineEvents over minBaselineDays). */
  sufficient: boolean;
  /** Events by UTC hour. */
  hours: Int32Array;
  byNetworkClass: { inside: number; outside: number; service: number; unknown: number };
  denied: number;
  signIns: number;
  signInFailures: number;
  /** Distinct outside networks by /16 (roaming clients: CI runners, laptops). */
  outsideBroadNetworks: number;
  /** Those /16s (or /32s for IPv6), by their broadKey. */
  outsideBroad: ReadonlySet<string>;
  networks: readonly number[];
  countries: ReadonlySet<string>;
  /** Membership: `seen.network[key] === stamp` when the baseline used that network. */
  stamp: number;
  seen: { network: Int32Array; action: Int32Array; via: Int32Array; target: Int32Array };
}

/** Last use the inventory knows (last-used dates, creation), for identities the log has no earlier history of. */
export interface KnownIdentity {
  name?: string | undefined;
  kind?: string | undefined;
  createdAtMs?: number | undefined;
  lastUsedAtMs?: number | undefined;
}

export interface DetectionInput {
  log: ActivityLog;
  range: PrincipalRange;
  baseline: BaselineProfile;
  settings: ActivitySettings;
  /** Detection window [from, to) in epoch seconds. */
  windowFrom: number;
  windowTo: number;
  known: KnownIdentity | undefined;
}

export interface RawFinding {
  code: string;
  severity: Severity;
  /** Plain-language reason: the server's words, no addresses or agents (those are fields of their own). */
  reason: string;
  evidenceRows: readonly number[];
  /** What normal looked like, in words (no addresses). */
  normal: string;
  /** Countries of the baseline's calls: a field of its own, hidden with the source network they come from. */
  normalCountries?: readonly string[];
}

export interface Detection {
  code: string;
  title: string;
  /** The managed detectors' findings this rule answers to (docs/activity.md has the table). */
  analogues: string;
  detect(input: DetectionInput): RawFinding[];
}

/** At most this many evidence events per finding: enough to check, never a log dump. */
export const MAX_EVIDENCE = 5;

export function firstRows(rows: readonly number[]): number[] {
  return rows.slice(0, MAX_EVIDENCE);
}

const DAY = 86_400;

/** The /16 (IPv4) or /32 (IPv6) a network key lies in: roaming clients move within these. */
export function broadKey(key: string): string {
  const slash = key.indexOf("/");
  const text = slash > 0 ? key.slice(0, slash) : key;
  const parts = text.includes(":") ? text.split(/:+/) : text.split(".");
  return parts.slice(0, 2).join(".");
}

export function dayText(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

export function daysText(seconds: number): string {
  const days = Math.floor(seconds / DAY);
  return days === 1 ? "1 day" : `${days} days`;
}

/** Used UTC hours as ranges, e.g. "02-04, 14 UTC". */
export function hoursText(hours: Int32Array): string {
  const used: number[] = [];
  for (let hour = 0; hour < 24; hour++) if ((hours[hour] as number) > 0) used.push(hour);
  if (used.length === 0) return "no hours";
  if (used.length === 24) return "every hour";
  const parts: string[] = [];
  let from = used[0] as number;
  let previous = from;
  const pad = (hour: number) => String(hour).padStart(2, "0");
  for (const hour of [...used.slice(1), -1]) {
    if (hour === previous + 1) {
      previous = hour;
      continue;
    }
    parts.push(from === previous ? pad(from) : `${pad(from)}-${pad(previous)}`);
    from = hour;
    previous = hour;
  }
  return `${parts.join(", ")} UTC`;
}

/** Baseline in words: how much history and from which kinds of network (no addresses). */
export function baselineText(profile: BaselineProfile, settings: ActivitySettings): string {
  const classes = profile.byNetworkClass;
  const places = [
    classes.inside > 0 ? `${classes.inside} inside the provider's network` : "",
    classes.service > 0 ? `${classes.service} by provider services` : "",
    classes.outside > 0 ? `${classes.outside} from ${profile.networks.length} network(s) outside it` : "",
    classes.unknown > 0 ? `${classes.unknown} from unknown networks` : "",
  ].filter((part) => part.length > 0);
  return `${profile.events} events in the ${settings.baselineDays}-day baseline (${places.join(", ") || "none"}), at ${hoursText(profile.hours)}`;
}
