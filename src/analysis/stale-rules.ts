/**
 * The staleness rules. Each reason an identity can be stale for is one rule object: its code, the
 * predicate over the per-inventory facts, the severity it gives a finding, what to do about it,
 * and the sentence a finding shows. Adding a reason is one entry here plus its test. Reasons are
 * held as bits (a rule's position), so ranking tens of thousands of identities allocates nothing.
 */
import { ActivityStatus, type StaleFacts } from "./stale-facts.js";
import type { ActivityEvidence, StaleOptions } from "./stale.js";

const DAY_MS = 86_400_000;

export function daysSince(ms: number, nowMs: number): number {
  return Math.floor((nowMs - ms) / DAY_MS);
}

export interface Thresholds {
  nowMs: number;
  inactiveDays: number;
  rotationDays: number;
  neverUsedGraceDays: number;
  includeUnknown: boolean;
  /** The three thresholds by THRESHOLD_INDEX, so the ranking loop reads them by number. */
  days: readonly [number, number, number];
}

const THRESHOLD_INDEX = { inactiveDays: 0, neverUsedGraceDays: 1, rotationDays: 2 } as const;

/** What a finding's sentence for a reason may cite. */
export interface ReasonContext {
  activity: ActivityEvidence;
  /** Days since the identity was created, when known. */
  ageDays: number | null;
  activeCredentials: number;
  grantCount: number;
  options: StaleOptions;
}

/** What the identity can still do, which decides how much an unused one matters. */
export interface Access {
  activeCredential: boolean;
  grants: boolean;
}

export const Severity = { high: 0, medium: 1, low: 2 } as const;
export const SEVERITIES = ["high", "medium", "low"] as const;

export interface StaleRule {
  readonly code: string;
  /** Judged on the identity's own activity and state, or on each of its credentials. */
  readonly on: "identity" | "credential";
  /**
   * The activity status the rule judges (ActivityStatus); absent when it applies whatever the
   * status. Rules are only asked about identities or credentials with their status.
   */
  readonly whenStatus?: number;
  /**
   * Most rules are an age test on the identity's (or credential's) facts: at least the threshold
   * `atLeast` days since its last use, creation or rotation; `unknownHolds` says what an unknown
   * date means. Declarative, so ranking 100k identities runs one small function, not a closure
   * per rule per identity.
   */
  readonly age?: { since: "lastUse" | "creation" | "rotation"; atLeast: "inactiveDays" | "neverUsedGraceDays" | "rotationDays"; unknownHolds: boolean };
  /** Only when the query includes identities without activity evidence. */
  readonly onlyWhenIncludingUnknown?: boolean;
  /**
   * A test of the identity's (or credential's) own state that no query option changes: decided
   * once per inventory (stale-index.ts), not per query.
   */
  state?(facts: StaleFacts, index: number): boolean;
  /** Any other test, which may depend on the query: whether the reason holds for identity (or credential) `index` of the facts. */
  holds?(facts: StaleFacts, index: number, t: Thresholds): boolean;
  /** The severity this reason gives a finding; a finding takes the highest of its reasons. */
  severity(access: Access): number;
  /** The finding recommends what its reason of lowest rank says. */
  readonly recommendationRank: number;
  readonly recommendation: string;
  /** The finding's sentence, and a key: entries with equal keys share one frozen object. */
  detail(context: ReasonContext): { key: string; text: string };
}

/** An identity that can still act and holds permissions is the attacker's favourite. */
const highWhenUsable = (access: Access) => (access.activeCredential || access.grants ? Severity.high : Severity.medium);
const highWithGrants = (access: Access) => (access.grants ? Severity.high : Severity.medium);
const CONFIRM_OWNER = "Confirm the owner; if unused, disable the identity and its credentials, then delete after a grace period.";

/** In answer order: the identity's activity reason first, then credential reasons, then its state. */
export const STALE_RULES = [
  {
    code: "inactive",
    on: "identity",
    whenStatus: ActivityStatus.used,
    age: { since: "lastUse", atLeast: "inactiveDays", unknownHolds: false },
    severity: highWhenUsable,
    recommendationRank: 2,
    recommendation: CONFIRM_OWNER,
    detail: ({ activity, options }) => ({
      key: `${activity.daysSinceLastUse ?? ""}/${options.inactiveDays}`,
      text: `last used ${activity.daysSinceLastUse ?? 0} days ago (threshold ${options.inactiveDays})`,
    }),
  },
  {
    code: "never_used",
    on: "identity",
    whenStatus: ActivityStatus.neverUsed,
    age: { since: "creation", atLeast: "neverUsedGraceDays", unknownHolds: true },
    severity: highWhenUsable,
    recommendationRank: 2,
    recommendation: CONFIRM_OWNER,
    detail: ({ ageDays }) => ({ key: String(ageDays), text: `no recorded use since creation${ageDays === null ? "" : ` ${ageDays} days ago`}` }),
  },
  {
    code: "not_seen_in_window",
    on: "identity",
    whenStatus: ActivityStatus.notSeenInWindow,
    age: { since: "creation", atLeast: "inactiveDays", unknownHolds: true },
    severity: () => Severity.medium,
    recommendationRank: 5,
    recommendation: "Check other logs (e.g. CloudTrail) for older use before disabling: the source's window may be too short to decide.",
    // The source's name is estate data (a snapshot can say anything there): it stays in
    // activity.source, redacted as data, never inside this sentence of the server's own.
    detail: ({ activity }) => {
      const window = activity.windowDays ? `not seen in the last ${activity.windowDays} days` : "not seen within the window";
      return { key: String(activity.windowDays ?? ""), text: `${window} covered by its activity source; earlier use cannot be ruled out` };
    },
  },
  {
    code: "no_activity_evidence",
    on: "identity",
    whenStatus: ActivityStatus.unknown,
    onlyWhenIncludingUnknown: true,
    severity: () => Severity.low,
    recommendationRank: 6,
    recommendation: "Enable an activity source for this identity (sign-in logs, Activity Analyzer) so staleness can be decided.",
    detail: () => ({ key: "", text: "no activity source covers this identity; staleness cannot be decided" }),
  },
  {
    code: "credential_never_used",
    on: "credential",
    whenStatus: ActivityStatus.neverUsed,
    age: { since: "creation", atLeast: "neverUsedGraceDays", unknownHolds: true },
    severity: highWithGrants,
    recommendationRank: 1,
    recommendation: "Deactivate the never-used credential; delete it after confirming no workload was about to start using it.",
    detail: () => ({ key: "", text: "holds an active credential that has never been used" }),
  },
  {
    code: "credential_inactive",
    on: "credential",
    whenStatus: ActivityStatus.used,
    age: { since: "lastUse", atLeast: "inactiveDays", unknownHolds: false },
    severity: highWithGrants,
    recommendationRank: 3,
    recommendation: "Deactivate the unused credential, then delete it after a grace period.",
    detail: ({ options }) => ({ key: String(options.inactiveDays), text: `holds an active credential unused for ${options.inactiveDays}+ days` }),
  },
  {
    code: "credential_not_rotated",
    on: "credential",
    age: { since: "rotation", atLeast: "rotationDays", unknownHolds: false },
    severity: () => Severity.medium,
    recommendationRank: 4,
    recommendation: "Rotate the credential (create a new one, move the workload, deactivate the old one) or move to short-lived federation.",
    detail: ({ options }) => ({ key: String(options.rotationDays), text: `holds a credential not rotated for ${options.rotationDays}+ days` }),
  },
  {
    code: "disabled_with_access",
    on: "identity",
    state: (f, i) => f.principals[i]?.disabled === true && ((f.activeCredentials[i] as number) > 0 || (f.grantCount[i] as number) > 0),
    severity: highWithGrants,
    recommendationRank: 0,
    recommendation: "Identity is disabled: delete its keys and remove its role bindings, then delete it if nothing depends on it.",
    detail: ({ activeCredentials, grantCount }) => ({
      key: `${activeCredentials}/${grantCount}`,
      text: `disabled but still holds ${activeCredentials} active credential(s) and ${grantCount} grant(s)`,
    }),
  },
] as const satisfies readonly StaleRule[];

export type StaleReasonCode = (typeof STALE_RULES)[number]["code"];

export const STALE_REASON_CODES = STALE_RULES.map((rule) => rule.code) as [StaleReasonCode, ...StaleReasonCode[]];

/** A rule's bit in a reason set. */
export function bitOf(index: number): number {
  return 1 << index;
}

/**
 * A rule with its bit, its test flattened into fields of one shape: every rule read in the ranking
 * loop then has the same hidden class, which keeps that loop fast at 100k identities.
 */
export interface IndexedRule {
  rule: StaleRule & { code: StaleReasonCode };
  bit: number;
  onCredential: boolean;
  onlyWhenIncludingUnknown: boolean;
  /** 0 last use, 1 creation, 2 rotation; -1 for no age test. */
  since: number;
  /** Index into Thresholds.days. */
  atLeast: number;
  unknownHolds: boolean;
  /** The rule's activity status (ActivityStatus), or -1 when it judges every status. */
  whenStatus: number;
  state: ((facts: StaleFacts, index: number) => boolean) | null;
  holds: ((facts: StaleFacts, index: number, t: Thresholds) => boolean) | null;
}

const SINCE = { lastUse: 0, creation: 1, rotation: 2 } as const;

const INDEXED: readonly IndexedRule[] = STALE_RULES.map((rule: StaleRule & { code: StaleReasonCode }, index) => ({
  rule,
  bit: bitOf(index),
  onCredential: rule.on === "credential",
  onlyWhenIncludingUnknown: rule.onlyWhenIncludingUnknown === true,
  since: rule.age ? SINCE[rule.age.since] : -1,
  atLeast: THRESHOLD_INDEX[rule.age?.atLeast ?? "inactiveDays"],
  unknownHolds: rule.age?.unknownHolds ?? false,
  whenStatus: rule.whenStatus ?? -1,
  state: rule.state ?? null,
  holds: rule.holds ?? null,
}));
export const IDENTITY_RULES = INDEXED.filter(({ rule }) => rule.on === "identity");
/** Credential reasons, in the order a finding lists them. */
export const CREDENTIAL_RULES = INDEXED.filter(({ rule }) => rule.on === "credential");
/** Reasons judged on the identity's activity (listed before credential reasons). */
export const ACTIVITY_RULES = IDENTITY_RULES.filter(({ rule }) => rule.code !== "disabled_with_access");
/** Reasons judged on the identity's state (listed after credential reasons). */
export const STATE_RULES = IDENTITY_RULES.filter(({ rule }) => rule.code === "disabled_with_access");
const BY_RECOMMENDATION = [...INDEXED].sort((a, b) => a.rule.recommendationRank - b.rule.recommendationRank);

/** Per activity status, the rules that may hold: most rules judge one status, so few are asked. */
export function byStatus(rules: readonly IndexedRule[]): IndexedRule[][] {
  const statuses = Object.values(ActivityStatus);
  const table: IndexedRule[][] = [];
  for (const status of statuses) table[status] = rules.filter(({ rule }) => rule.whenStatus === undefined || rule.whenStatus === status);
  return table;
}
export const IDENTITY_RULES_BY_STATUS = byStatus(IDENTITY_RULES);
const CREDENTIAL_RULES_BY_STATUS = byStatus(CREDENTIAL_RULES);

/** The date an age test measures from, in ms (NaN when unknown). */
function measuredFrom(facts: StaleFacts, rule: IndexedRule, index: number): number {
  if (rule.onCredential) {
    return (rule.since === 0 ? facts.credentialLastUsedMs : rule.since === 1 ? facts.credentialCreatedMs : facts.credentialRotatedMs)[index] as number;
  }
  return (rule.since === 0 ? facts.lastUsedMs : facts.createdMs)[index] as number;
}

/**
 * Whether a rule holds; its activity status was already matched (see byStatus). `stateBits`: the
 * rules whose state test holds, when already decided (stale-index.ts); else the test is run.
 */
export function ruleHolds(rule: IndexedRule, facts: StaleFacts, index: number, t: Thresholds, stateBits?: number): boolean {
  if (rule.onlyWhenIncludingUnknown && !t.includeUnknown) return false;
  if (rule.since >= 0) {
    const ms = measuredFrom(facts, rule, index);
    if (Number.isNaN(ms)) {
      if (!rule.unknownHolds) return false;
    } else if (daysSince(ms, t.nowMs) < (t.days[rule.atLeast] as number)) return false;
  }
  if (rule.state !== null && !(stateBits === undefined ? rule.state(facts, index) : (stateBits & rule.bit) !== 0)) return false;
  return rule.holds === null || rule.holds(facts, index, t);
}

export function credentialReasons(facts: StaleFacts, c: number, t: Thresholds): number {
  if (facts.credentialCanRaiseIssues[c] === 0) return 0;
  let reasons = 0;
  for (const rule of CREDENTIAL_RULES_BY_STATUS[facts.credentialStatus[c] as number] ?? []) if (ruleHolds(rule, facts, c, t)) reasons |= rule.bit;
  return reasons;
}

export function reasonsOf(facts: StaleFacts, i: number, t: Thresholds): number {
  let reasons = 0;
  for (const rule of IDENTITY_RULES_BY_STATUS[facts.activityStatus[i] as number] ?? []) if (ruleHolds(rule, facts, i, t)) reasons |= rule.bit;
  const end = facts.credentialStart[i + 1] as number;
  for (let c = facts.credentialStart[i] as number; c < end; c++) reasons |= credentialReasons(facts, c, t);
  return reasons;
}

/**
 * Severity and recommendation depend only on the reason set (and access): worked out once per
 * set. Severities sit in an array indexed by set: a ranking asks once per identity it finds.
 */
const severityBySet = new Int8Array(4 << STALE_RULES.length).fill(-1);
const recommendationBySet = new Map<number, string>();

/** Index into SEVERITIES: the rank findings sort by. */
export function severityRank(reasons: number, hasActiveCredential: boolean, hasGrants: boolean): number {
  return severityOfSet(reasons, (hasActiveCredential ? 2 : 0) + (hasGrants ? 1 : 0));
}

/** severityRank with what the identity can do as bits: 2 an active credential, 1 grants. */
export function severityOfSet(reasons: number, access: number): number {
  const key = reasons * 4 + access;
  let rank = severityBySet[key] as number;
  if (rank < 0) {
    const can = { activeCredential: (access & 2) !== 0, grants: (access & 1) !== 0 };
    rank = Severity.low;
    for (const { rule, bit } of INDEXED) if (reasons & bit) rank = Math.min(rank, rule.severity(can));
    severityBySet[key] = rank;
  }
  return rank;
}

export function recommend(reasons: number): string {
  let text = recommendationBySet.get(reasons);
  if (text === undefined) {
    text = (BY_RECOMMENDATION.find(({ bit }) => reasons & bit) ?? (BY_RECOMMENDATION.at(-1) as IndexedRule)).rule.recommendation;
    recommendationBySet.set(reasons, text);
  }
  return text;
}

export function thresholdsOf(options: StaleOptions): Thresholds {
  return {
    nowMs: options.now.getTime(),
    inactiveDays: options.inactiveDays,
    rotationDays: options.rotationDays,
    neverUsedGraceDays: options.neverUsedGraceDays,
    includeUnknown: options.includeUnknown ?? true,
    days: [options.inactiveDays, options.neverUsedGraceDays, options.rotationDays],
  };
}
