/**
 * Turns a stale ranking into findings. Everything a finding is made of is frozen and shared:
 * evidence per activity record, reason entries, principal summaries, credential entries, and the
 * finding itself while all of its parts are unchanged, across answers too. A 100k-identity
 * answer (about 40k findings) is then mostly references to objects that already exist, which
 * keeps both its build time and the memory of memoized answers small.
 */
import type { Activity, Credential, Principal } from "../model/inventory.js";
import { ActivityStatus, type StaleFacts } from "./stale-facts.js";
import { ACTIVITY_RULES, CREDENTIAL_RULES, credentialReasons, daysSince, recommend, SEVERITIES, STATE_RULES, thresholdsOf, type ReasonContext, type StaleRule } from "./stale-rules.js";
import type { ActivityEvidence, StaleFinding, StaleOptions, StaleRanking, StaleReasonCode } from "./stale.js";

type ReasonEntry = StaleFinding["reasons"][number];
type PrincipalSummary = StaleFinding["principal"];

const UNKNOWN_ACTIVITY: ActivityEvidence = Object.freeze({
  status: "unknown",
  lastUsedAt: null,
  daysSinceLastUse: null,
  source: null,
  windowDays: null,
  observedAt: null,
});

function describeActivity(activity: Activity, daysSinceLastUse: number | null, status: number): ActivityEvidence {
  const windowDays = activity.coverage === "window" ? (activity.windowDays ?? null) : null;
  const base = { source: activity.source, windowDays, observedAt: activity.observedAt };
  if (activity.lastUsedAt) return { status: "used", lastUsedAt: activity.lastUsedAt, daysSinceLastUse, ...base };
  // The facts decide: a window covering the whole life of the identity says "never used" too.
  return { status: status === ActivityStatus.neverUsed ? "never_used" : "not_seen_in_window", lastUsedAt: null, daysSinceLastUse: null, ...base };
}

/**
 * Findings citing the same activity record share one frozen evidence object, across answers too
 * while its day count holds: most of an answer's memory was these copies.
 */
const evidenceByActivity = new WeakMap<Activity, ActivityEvidence>();

function sharedEvidence(activity: Activity, days: number | null, status: number): ActivityEvidence {
  const cached = evidenceByActivity.get(activity);
  if (cached && cached.daysSinceLastUse === days && (status === ActivityStatus.neverUsed) === (cached.status === "never_used")) return cached;
  const evidence = Object.freeze(describeActivity(activity, days, status));
  evidenceByActivity.set(activity, evidence);
  return evidence;
}

/**
 * The parts of findings that outlive one answer, per identity and per credential index of the
 * facts: an answer reuses them while they still hold (same day counts, same issues).
 */
interface SharedParts {
  /** The last finding made per identity: reused while every part of it is unchanged. */
  findings: (StaleFinding | undefined)[];
  texts: ReasonTexts;
  summaries: (PrincipalSummary | undefined)[];
  principalEvidence: (ActivityEvidence | undefined)[];
  credentialEvidence: (ActivityEvidence | undefined)[];
  credentialEntries: (StaleCredential | undefined)[];
}

const sharedPartsByFacts = new WeakMap<StaleFacts, SharedParts>();

function sharedPartsOf(facts: StaleFacts): SharedParts {
  let parts = sharedPartsByFacts.get(facts);
  if (!parts) {
    parts = {
      findings: new Array<StaleFinding | undefined>(facts.principals.length),
      texts: new ReasonTexts(),
      summaries: new Array<PrincipalSummary | undefined>(facts.principals.length),
      principalEvidence: new Array<ActivityEvidence | undefined>(facts.principals.length),
      credentialEvidence: new Array<ActivityEvidence | undefined>(facts.credentials.length),
      credentialEntries: new Array<StaleCredential | undefined>(facts.credentials.length),
    };
    sharedPartsByFacts.set(facts, parts);
  }
  return parts;
}

function sameItems<T>(list: readonly T[], items: readonly T[]): boolean {
  if (list.length !== items.length) return false;
  for (let k = 0; k < items.length; k++) if (list[k] !== items[k]) return false;
  return true;
}

/**
 * Evidence for an activity record, from the slot's cache while its day count holds. The status
 * and parsed last use come from the facts, so a reused answer never touches the model objects.
 */
function evidenceIn(
  slots: (ActivityEvidence | undefined)[],
  slot: number,
  activity: Activity | undefined,
  status: number,
  lastUsedMs: number,
  nowMs: number,
): ActivityEvidence {
  if (!activity) return UNKNOWN_ACTIVITY;
  const days = status === ActivityStatus.used ? daysSince(lastUsedMs, nowMs) : null;
  const cached = slots[slot];
  if (cached && cached.daysSinceLastUse === days) return cached;
  const evidence = sharedEvidence(activity, days, status);
  slots[slot] = evidence;
  return evidence;
}

function summarize(p: Principal): PrincipalSummary {
  return Object.freeze({ id: p.id, name: p.name, kind: p.kind, provider: p.provider, scopeId: p.scopeId, disabled: p.disabled ?? false });
}

/**
 * One-element lists (the usual case: one reason, one stale credential) are shared, frozen, per
 * element: with the shared elements themselves, a finding then costs one object.
 */
const singletons = new WeakMap<object, readonly object[]>();

function listOf<T extends object>(items: readonly T[]): T[] {
  if (items.length !== 1) return items.slice();
  const item = items[0] as T;
  let list = singletons.get(item);
  if (!list) singletons.set(item, (list = Object.freeze([item])));
  return list as T[];
}

/** Entries kept per reason: enough for a few thresholds and day counts at a time. */
const MAX_ENTRIES_PER_REASON = 4096;

/**
 * Reason entries repeat within an answer (same threshold, same day count) and across answers:
 * made once per inventory, frozen, and shared, keyed by what the rule's sentence depends on.
 */
class ReasonTexts {
  private readonly entries = new Map<string, Map<string, ReasonEntry>>();

  entryFor(rule: StaleRule & { code: StaleReasonCode }, context: ReasonContext): ReasonEntry {
    const { key, text } = rule.detail(context);
    let byKey = this.entries.get(rule.code);
    if (!byKey) this.entries.set(rule.code, (byKey = new Map()));
    let entry = byKey.get(key);
    if (!entry) {
      if (byKey.size >= MAX_ENTRIES_PER_REASON) byKey.clear();
      entry = Object.freeze({ code: rule.code, detail: text });
      byKey.set(key, entry);
    }
    return entry;
  }
}

/** Issue lists per combination of credential reason bits, shared and frozen. */
const ISSUE_LISTS = new Map<number, readonly StaleReasonCode[]>();

function issuesOf(reasons: number): StaleReasonCode[] {
  let issues = ISSUE_LISTS.get(reasons);
  if (!issues) {
    issues = Object.freeze(CREDENTIAL_RULES.filter(({ bit }) => reasons & bit).map(({ rule }) => rule.code));
    ISSUE_LISTS.set(reasons, issues);
  }
  // Frozen, so sharing cannot leak a change from one finding to another.
  return issues as StaleReasonCode[];
}

type StaleCredential = StaleFinding["credentials"][number];

const NO_CREDENTIALS: StaleFinding["credentials"] = Object.freeze([]) as unknown as StaleFinding["credentials"];

function credentialEntry(credential: Credential, issues: StaleReasonCode[], activity: ActivityEvidence, ageDays: number | null): StaleCredential {
  return Object.freeze({
    id: credential.id,
    kind: credential.kind,
    status: credential.status,
    createdAt: credential.createdAt ?? null,
    ageDays,
    activity,
    issues,
  });
}

/**
 * Builds the findings at answer positions [from, to): the whole answer, or one page of it. A
 * whole answer is built in snapshot order (memory order of the facts) and placed by rank.
 */
export function staleFindingsOf(ranking: StaleRanking, options: StaleOptions, from: number, to: number): StaleFinding[] {
  const { facts, order } = ranking;
  const t = thresholdsOf(options);
  const shared = sharedPartsOf(facts);
  const { texts } = shared;
  const start = Math.max(0, from);
  const end = Math.min(to, order.length);
  const findings = new Array<StaleFinding>(Math.max(0, end - start));
  // Filled per finding, then shared or copied at their exact size: answers are memoized, so slack counts.
  const reasons: ReasonEntry[] = [];
  const credentials: StaleCredential[] = [];

  const build = (k: number): StaleFinding => {
    const i = ranking.principalIndex[k] as number;
    const reasonBits = ranking.reasons[k] as number;
    const activity = evidenceIn(shared.principalEvidence, i, facts.activities[i], facts.activityStatus[i] as number, facts.lastUsedMs[i] as number, t.nowMs);
    reasons.length = 0;
    credentials.length = 0;
    const createdMs = facts.createdMs[i] as number;
    const grantCount = facts.grantCount[i] as number;
    const context: ReasonContext = {
      activity,
      ageDays: Number.isNaN(createdMs) ? null : daysSince(createdMs, t.nowMs),
      activeCredentials: facts.activeCredentials[i] as number,
      grantCount,
      options,
    };
    for (const { rule, bit } of ACTIVITY_RULES) if (reasonBits & bit) reasons.push(texts.entryFor(rule, context));

    let listed = 0;
    const credentialEnd = facts.credentialStart[i + 1] as number;
    for (let c = facts.credentialStart[i] as number; c < credentialEnd; c++) {
      const issueBits = credentialReasons(facts, c, t);
      if (issueBits === 0) continue;
      const credentialActivity = evidenceIn(
        shared.credentialEvidence,
        c,
        facts.credentialActivities[c],
        facts.credentialStatus[c] as number,
        facts.credentialLastUsedMs[c] as number,
        t.nowMs,
      );
      const issues = issuesOf(issueBits);
      const createdMs = facts.credentialCreatedMs[c] as number;
      const ageDays = Number.isNaN(createdMs) ? null : daysSince(createdMs, t.nowMs);
      let entry = shared.credentialEntries[c];
      if (!entry || entry.issues !== issues || entry.activity !== credentialActivity || entry.ageDays !== ageDays) {
        entry = shared.credentialEntries[c] = credentialEntry(facts.credentials[c] as Credential, issues, credentialActivity, ageDays);
      }
      credentials.push(entry);
      for (const { rule, bit } of CREDENTIAL_RULES) {
        if (issueBits & bit && !(listed & bit)) {
          reasons.push(texts.entryFor(rule, context));
          listed |= bit;
        }
      }
    }
    for (const { rule, bit } of STATE_RULES) if (reasonBits & bit) reasons.push(texts.entryFor(rule, context));
    const severity = SEVERITIES[ranking.severity[k] as number] as StaleFinding["severity"];
    const recommendedAction = recommend(reasonBits);
    const previous = shared.findings[i];
    if (
      previous &&
      previous.severity === severity &&
      previous.activity === activity &&
      previous.grantCount === grantCount &&
      previous.recommendedAction === recommendedAction &&
      sameItems(previous.reasons, reasons) &&
      sameItems(previous.credentials, credentials)
    ) {
      return previous;
    }
    const finding: StaleFinding = Object.freeze({
      principal: shared.summaries[i] ?? (shared.summaries[i] = summarize(facts.principals[i] as Principal)),
      severity,
      reasons: listOf(reasons),
      activity,
      credentials: credentials.length === 0 ? NO_CREDENTIALS : listOf(credentials),
      grantCount,
      recommendedAction,
    });
    shared.findings[i] = finding;
    return finding;
  };

  if (start >= end) return findings;
  const entries = order.entries(start, end);
  if (start === 0 && end === order.length) {
    const positionOf = new Int32Array(order.length);
    for (let position = 0; position < order.length; position++) positionOf[entries[position] as number] = position;
    for (let k = 0; k < order.length; k++) findings[positionOf[k] as number] = build(k);
  } else {
    for (let position = start; position < end; position++) findings[position - start] = build(entries[position - start] as number);
  }
  return findings;
}
