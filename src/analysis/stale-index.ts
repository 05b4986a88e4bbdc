/**
 * What ranking stale identities needs beyond the facts, made once per inventory: each identity's
 * provider and scope as numbers (filters without touching an object), the reasons its state
 * alone decides, and for each credential reason the one date its credentials are judged by.
 *
 * A credential reason with only an age test ("at least N days since its creation, last use or
 * rotation") holds for an identity when it holds for any of its credentials, and the date that
 * decides is the earliest of theirs: one number per identity and reason. A ranking is then a
 * pass over typed arrays, whatever thresholds and "now" the query brings, instead of a walk over
 * every credential (at a million identities, the difference between a fifth of a second and a
 * few milliseconds). A credential reason with a test of its own is still judged per credential.
 */
import type { Inventory } from "../model/inventory-index.js";
import { filterColumnsOf, type FilterColumns } from "./scope-filter.js";
import { staleFactsOf, type StaleFacts } from "./stale-facts.js";
import { byStatus, CREDENTIAL_RULES, daysSince, IDENTITY_RULES, IDENTITY_RULES_BY_STATUS, ruleHolds, type IndexedRule, type Thresholds } from "./stale-rules.js";

/** Credential reasons judged by one earliest date per identity. */
const AGGREGATED_RULES = CREDENTIAL_RULES.filter((rule) => rule.state === null && rule.holds === null);
/** Credential reasons with a test of their own: judged per credential, by status. */
const PER_CREDENTIAL_RULES = byStatus(CREDENTIAL_RULES.filter((rule) => !AGGREGATED_RULES.includes(rule)));
const ANY_PER_CREDENTIAL_RULE = PER_CREDENTIAL_RULES.some((rules) => rules.length > 0);
/** Identity reasons with a state test, decided once per inventory. */
const RULES_WITH_STATE = IDENTITY_RULES.filter((rule) => rule.state !== null);

export interface StaleIndex {
  readonly facts: StaleFacts;
  /** Provider and scope per identity of the facts. */
  readonly filter: FilterColumns;
  /** Snapshot position of each identity of the facts (its place in the principals' id order). */
  readonly snapshotIndex: Int32Array;
  /** Per identity, the bits of the rules whose state test holds for it. */
  readonly stateBits: Uint32Array;
  /** Per identity, what it can still do (severityOfSet): 2 an active credential, 1 grants. */
  readonly access: Uint8Array;
  /**
   * Per aggregated credential reason (AGGREGATED_RULES), per identity: the earliest date its
   * credentials are measured from; -Infinity when an unknown date counts as old enough (or the
   * rule has no age test), +Infinity when no credential of the identity is judged by the rule.
   */
  readonly credentialKeys: readonly Float64Array[];
}

/** The date a credential rule measures from, as the aggregate keeps it. */
function credentialKey(rule: IndexedRule, facts: StaleFacts, c: number): number {
  if (rule.since < 0) return Number.NEGATIVE_INFINITY;
  const ms = (rule.since === 0 ? facts.credentialLastUsedMs : rule.since === 1 ? facts.credentialCreatedMs : facts.credentialRotatedMs)[c] as number;
  if (!Number.isNaN(ms)) return ms;
  return rule.unknownHolds ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
}

function buildStaleIndex(inventory: Inventory, facts: StaleFacts): StaleIndex {
  const count = facts.principals.length;
  const snapshotIndex = new Int32Array(count);
  // The facts' identities are a subsequence of the snapshot's principals, in order.
  let i = 0;
  inventory.snapshot.principals.forEach((principal, position) => {
    if (i < count && facts.principals[i] === principal) snapshotIndex[i++] = position;
  });
  const stateBits = new Uint32Array(count);
  const credentialKeys = AGGREGATED_RULES.map(() => new Float64Array(count).fill(Number.POSITIVE_INFINITY));
  for (let p = 0; p < count; p++) {
    let bits = 0;
    for (const rule of RULES_WITH_STATE) if ((rule.state as (f: StaleFacts, i: number) => boolean)(facts, p)) bits |= rule.bit;
    stateBits[p] = bits;
    const end = facts.credentialStart[p + 1] as number;
    for (let c = facts.credentialStart[p] as number; c < end; c++) {
      if (facts.credentialCanRaiseIssues[c] === 0) continue;
      const status = facts.credentialStatus[c] as number;
      AGGREGATED_RULES.forEach((rule, r) => {
        if (rule.whenStatus >= 0 && rule.whenStatus !== status) return;
        const keys = credentialKeys[r] as Float64Array;
        const key = credentialKey(rule, facts, c);
        if (key < (keys[p] as number)) keys[p] = key;
      });
    }
  }
  const access = Uint8Array.from(facts.activeCredentials, (active, p) => (active > 0 ? 2 : 0) + ((facts.grantCount[p] as number) > 0 ? 1 : 0));
  return { facts, filter: filterColumnsOf(facts.principals), snapshotIndex, stateBits, access, credentialKeys };
}

const indexes = new WeakMap<Inventory, StaleIndex>();

export function staleIndexOf(inventory: Inventory): StaleIndex {
  let index = indexes.get(inventory);
  if (!index) indexes.set(inventory, (index = buildStaleIndex(inventory, staleFactsOf(inventory))));
  return index;
}

/** One identity reason as a query judges it: plain fields, the same shape for every rule. */
interface IdentityCheck {
  bit: number;
  /** The date measured from: 0 last use, 1 creation; -1 for no age test. */
  source: number;
  /** Old enough when the date is at or before this (ms). */
  cutoff: number;
  /** An unknown date counts as old enough. */
  unknownPasses: boolean;
  /** The rule's bit in stateBits when it has a state test, else 0. */
  stateBit: number;
  rule: IndexedRule;
}

const DAY_MS = 86_400_000;
/** Day counts up to this are exact as a cutoff (see cutoffOf). */
const MAX_CUTOFF_DAYS = 1_000_000;

/**
 * The latest time at least `days` whole days before now. For the integer millisecond times of the
 * model and a whole number of days, `ms <= cutoff` is exactly `daysSince(ms, now) >= days`: both
 * say now - ms >= days * 86,400,000, and neither side rounds (far below 2^53). Undefined for a
 * day count that is not a whole number or is out of that range: the query then walks the rules.
 */
function cutoffOf(t: Thresholds, atLeast: number): number | undefined {
  const days = t.days[atLeast] as number;
  return Number.isInteger(days) && Math.abs(days) <= MAX_CUTOFF_DAYS && Number.isInteger(t.nowMs) ? t.nowMs - days * DAY_MS : undefined;
}

/**
 * The reason bits of each identity for one query's thresholds, from the index: the same answer
 * as reasonsOf (stale-rules.ts), which walks the identity's credentials and asks each rule. The
 * rules are turned into plain checks once per query (an age test becomes a cutoff time), so the
 * pass over a million identities is comparisons over typed arrays.
 */
export function staleReasonsFor(index: StaleIndex, t: Thresholds): (i: number) => number {
  const { facts } = index;
  const cutoffs = [0, 1, 2].map((atLeast) => cutoffOf(t, atLeast));
  if (cutoffs.some((cutoff) => cutoff === undefined)) return (i) => walkedReasonsOf(index, i, t);
  const statusChecks: IdentityCheck[][] = IDENTITY_RULES_BY_STATUS.map((rules) =>
    rules
      .filter((rule) => !(rule.onlyWhenIncludingUnknown && !t.includeUnknown))
      .map((rule) => ({
        bit: rule.bit,
        source: rule.since,
        cutoff: rule.since < 0 ? 0 : (cutoffs[rule.atLeast] as number),
        unknownPasses: rule.unknownHolds,
        stateBit: rule.state === null ? 0 : rule.bit,
        rule,
      })),
  );
  const aggregated = AGGREGATED_RULES.filter((rule) => !(rule.onlyWhenIncludingUnknown && !t.includeUnknown));
  const credentialKeys = aggregated.map((rule) => index.credentialKeys[AGGREGATED_RULES.indexOf(rule)] as Float64Array);
  // -Infinity (always old enough) is at or before any cutoff; +Infinity (nothing to judge) is after every one.
  const credentialCutoffs = Float64Array.from(aggregated, (rule) => (rule.since < 0 ? Number.MAX_VALUE : (cutoffs[rule.atLeast] as number)));
  const credentialBits = Uint32Array.from(aggregated, (rule) => rule.bit);
  const { activityStatus, lastUsedMs, createdMs } = facts;
  const stateBits = index.stateBits;
  return (i) => {
    let reasons = 0;
    const checks = statusChecks[activityStatus[i] as number] as IdentityCheck[];
    for (let k = 0; k < checks.length; k++) {
      const check = checks[k] as IdentityCheck;
      if (check.source >= 0) {
        const ms = (check.source === 0 ? lastUsedMs[i] : createdMs[i]) as number;
        if (Number.isNaN(ms) ? !check.unknownPasses : ms > check.cutoff) continue;
      }
      if (check.stateBit !== 0 && ((stateBits[i] as number) & check.stateBit) === 0) continue;
      if (check.rule.holds !== null && !check.rule.holds(facts, i, t)) continue;
      reasons |= check.bit;
    }
    for (let r = 0; r < credentialKeys.length; r++) {
      if (((credentialKeys[r] as Float64Array)[i] as number) <= (credentialCutoffs[r] as number)) reasons |= credentialBits[r] as number;
    }
    return ANY_PER_CREDENTIAL_RULE ? reasons | perCredentialReasonsOf(facts, i, t) : reasons;
  };
}

/** Credential reasons with a test of their own, asked of each credential of identity `i`. */
function perCredentialReasonsOf(facts: StaleFacts, i: number, t: Thresholds): number {
  let reasons = 0;
  const end = facts.credentialStart[i + 1] as number;
  for (let c = facts.credentialStart[i] as number; c < end; c++) {
    if (facts.credentialCanRaiseIssues[c] === 0) continue;
    for (const rule of PER_CREDENTIAL_RULES[facts.credentialStatus[c] as number] ?? []) if (ruleHolds(rule, facts, c, t)) reasons |= rule.bit;
  }
  return reasons;
}

/** The reasons of identity `i` with each rule asked in turn (for thresholds no cutoff can stand for). */
function walkedReasonsOf(index: StaleIndex, i: number, t: Thresholds): number {
  const { facts } = index;
  const stateBits = index.stateBits[i] as number;
  let reasons = 0;
  for (const rule of IDENTITY_RULES_BY_STATUS[facts.activityStatus[i] as number] ?? []) if (ruleHolds(rule, facts, i, t, stateBits)) reasons |= rule.bit;
  for (let r = 0; r < AGGREGATED_RULES.length; r++) {
    const rule = AGGREGATED_RULES[r] as IndexedRule;
    const key = (index.credentialKeys[r] as Float64Array)[i] as number;
    if (key === Number.POSITIVE_INFINITY || (rule.onlyWhenIncludingUnknown && !t.includeUnknown)) continue;
    // As ruleHolds decides an age test; -Infinity is always old enough.
    if (rule.since < 0 || daysSince(key, t.nowMs) >= (t.days[rule.atLeast] as number)) reasons |= rule.bit;
  }
  return ANY_PER_CREDENTIAL_RULE ? reasons | perCredentialReasonsOf(facts, i, t) : reasons;
}
