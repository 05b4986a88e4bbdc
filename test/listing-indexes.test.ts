/**
 * The whole-estate listings (stale identities, expiring credentials, identities) answer from
 * per-inventory indexes and put only the pages asked for in order. Each answer here is checked
 * against a straightforward scan written from the rules themselves, on a generated estate with
 * filters, thresholds, pages deep into the answer, and arguments the indexes cannot serve
 * (a "now" so far ahead that day counts do not pack, a name holding the search text's separator).
 */
import { describe, expect, it } from "vitest";
import { generateSyntheticEstate } from "../bench/generate-estate.js";
import { answerOrder, idOrderOf, pagedAnswerOrder } from "../src/analysis/answer-order.js";
import { findExpiringCredentials, rankExpiringCredentials, type ExpiryOptions, type ExpiryStatus } from "../src/analysis/expiring.js";
import { listIdentities, type IdentityRow, type ListIdentitiesOptions } from "../src/analysis/list-identities.js";
import { compileFilter } from "../src/analysis/scope-filter.js";
import { findStaleServiceAccounts, rankStaleServiceAccounts, staleFindingsOf, type StaleOptions } from "../src/analysis/stale.js";
import { staleFactsOf } from "../src/analysis/stale-facts.js";
import { reasonsOf, severityRank, SEVERITIES, STALE_RULES, thresholdsOf } from "../src/analysis/stale-rules.js";
import { Inventory } from "../src/model/inventory-index.js";
import type { Credential, InventorySnapshot, Principal, VaultItem } from "../src/model/inventory.js";

const NOW = new Date("2026-11-24T00:00:00Z");
const DAY_MS = 86_400_000;

/** A generated estate with the cases a generator does not make: disabled identities, odd names. */
function estate(): Inventory {
  const snapshot: InventorySnapshot = generateSyntheticEstate({ identities: 10_000, seed: 11, now: NOW });
  snapshot.principals = snapshot.principals.map((p, i): Principal => {
    if (i % 97 === 0) return { ...p, disabled: true };
    if (i % 211 === 0) return { ...p, name: `Ünïcode-ΣΑΣ-${i}`, email: `Mixed.Case-${i}@EXAMPLE.com` };
    if (i % 307 === 0) return { ...p, name: `with\u0000nul-${i}` };
    return p;
  });
  return new Inventory(snapshot);
}

const inventory = estate();
const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Stale identities as the rules say, walking every identity and credential: id, severity, reason codes. */
function staleByScan(options: StaleOptions): string[] {
  const facts = staleFactsOf(inventory);
  const t = thresholdsOf(options);
  const matches = compileFilter(inventory, options);
  const found: { id: string; severity: number; unused: number; reasons: number }[] = [];
  facts.principals.forEach((p, i) => {
    if (!matches(p)) return;
    const reasons = reasonsOf(facts, i, t);
    if (reasons === 0) return;
    const lastUsed = p.lastActivity?.lastUsedAt;
    const credentialsUsed = inventory.credentialsOf(p.id).map((c) => c.lastActivity?.lastUsedAt).filter((at): at is string => at !== undefined);
    const freshest = [lastUsed, ...credentialsUsed].filter((at): at is string => at !== undefined).map((at) => Date.parse(at));
    const unused = freshest.length > 0 ? Math.floor((t.nowMs - Math.max(...freshest)) / DAY_MS) : -1;
    found.push({ id: p.id, severity: severityRank(reasons, (facts.activeCredentials[i] as number) > 0, (facts.grantCount[i] as number) > 0), unused, reasons });
  });
  found.sort((a, b) => a.severity - b.severity || b.unused - a.unused || byId(a.id, b.id));
  return found.map((f) => `${f.id} ${SEVERITIES[f.severity]} ${STALE_RULES.filter((_, k) => f.reasons & (1 << k)).map((r) => r.code).sort().join(",")}`);
}

function describeStale(findings: ReturnType<typeof findStaleServiceAccounts>): string[] {
  return findings.map((f) => `${f.principal.id} ${f.severity} ${f.reasons.map((r) => r.code).sort().join(",")}`);
}

const STATUS_GROUP: Record<ExpiryStatus, number> = { expired: 0, expiring: 0, no_expiry: 1, disabled: 2 };

/** Expiry findings as the rules say: id, status and days, most urgent first. */
function expiringByScan(options: ExpiryOptions): string[] {
  const matches = compileFilter(inventory, options);
  const nowMs = options.now.getTime();
  const items: (Credential | VaultItem)[] = [
    ...inventory.snapshot.credentials.filter((c) => ["client_secret", "certificate", "service_account_key"].includes(c.kind) && c.managedBy !== "provider"),
    ...inventory.snapshot.vaultItems.filter((v) => !v.managed),
  ];
  const found: { id: string; status: ExpiryStatus; days: number | null }[] = [];
  for (const item of items) {
    const enabled = "status" in item ? item.status === "active" : item.enabled;
    const parsed = item.expiresAt === undefined ? Number.NaN : Date.parse(item.expiresAt);
    const expiresMs = Number.isNaN(parsed) || new Date(parsed).getUTCFullYear() >= 9000 ? Number.NaN : parsed;
    const days = Number.isNaN(expiresMs) ? null : Math.floor((expiresMs - nowMs) / DAY_MS);
    const status: ExpiryStatus | null = !enabled ? "disabled" : days === null ? "no_expiry" : expiresMs <= nowMs ? "expired" : days <= options.withinDays ? "expiring" : null;
    if (status === null || !(options.statuses ?? ["expired", "expiring", "no_expiry", "disabled"]).includes(status) || !matches(item)) continue;
    found.push({ id: item.id, status, days });
  }
  found.sort((a, b) => STATUS_GROUP[a.status] - STATUS_GROUP[b.status] || (a.days ?? 0) - (b.days ?? 0) || byId(a.id, b.id));
  return found.map((f) => `${f.id} ${f.status} ${f.days}`);
}

/** The identities listing as it was written before its index: every identity tested and the rows sorted by id. */
function identitiesByScan(options: ListIdentitiesOptions): IdentityRow[] {
  const matches = compileFilter(inventory, options);
  const needle = options.nameContains?.toLowerCase();
  const rows: IdentityRow[] = [];
  for (const p of inventory.snapshot.principals) {
    if (!matches(p) || (options.kinds && options.kinds.length > 0 && !options.kinds.includes(p.kind)) || (options.workloadOnly && !p.workload)) continue;
    if (needle && ![p.id, p.name, p.email ?? ""].some((text) => text.toLowerCase().includes(needle))) continue;
    rows.push({
      id: p.id,
      name: p.name,
      kind: p.kind,
      provider: p.provider,
      scopeId: p.scopeId,
      workload: p.workload,
      disabled: p.disabled ?? false,
      lastUsedAt: p.lastActivity?.lastUsedAt ?? null,
      credentialCount: inventory.credentialsOf(p.id).length,
      grantCount: inventory.grantCountOf(p.id),
    });
  }
  return rows.sort((a, b) => byId(a.id, b.id));
}

/** Pages cut the way a client pages: the first ones, one across the first known prefix, the last. */
function pagesOf(length: number): [number, number][] {
  return [
    [0, 25],
    [25, 50],
    [2040, 2070],
    [600, 700],
    [length - 7, length + 5],
  ];
}

const staleDefaults = { now: NOW, inactiveDays: 90, rotationDays: 90, neverUsedGraceDays: 7 };
const gcpProject = "projects/syn-prod-0";
const awsProdOu = "aws:ou/ou-syn0-prod0001";

describe("stale identities from the index", () => {
  const cases: [string, StaleOptions][] = [
    ["the defaults", staleDefaults],
    ["other thresholds, unknown left out", { ...staleDefaults, inactiveDays: 30, rotationDays: 400, neverUsedGraceDays: 0, includeUnknown: false }],
    ["a provider", { ...staleDefaults, provider: "aws", inactiveDays: 200 }],
    ["a scope and what lies below it", { ...staleDefaults, scope: awsProdOu }],
    ["a scope and a provider that do not meet", { ...staleDefaults, scope: gcpProject, provider: "azure" }],
    ["a later now, off whole days", { ...staleDefaults, now: new Date(NOW.getTime() + 37 * DAY_MS + 5 * 3_600_000) }],
    ["thresholds that are not whole days (the rules asked one by one)", { ...staleDefaults, inactiveDays: 90.5, neverUsedGraceDays: 6.25 }],
    ["a now so far ahead that day counts do not pack (the comparator fallback)", { ...staleDefaults, now: new Date("5000-01-01T00:00:00Z") }],
  ];
  it.each(cases)("answers %s exactly as a scan of every identity does", (_, options) => {
    const expected = staleByScan(options);
    expect(describeStale(findStaleServiceAccounts(inventory, options))).toEqual(expected);
    const ranking = rankStaleServiceAccounts(inventory, options);
    expect(ranking.order.length).toBe(expected.length);
    expect(ranking.counts).toEqual(SEVERITIES.map((severity) => expected.filter((line) => line.split(" ")[1] === severity).length));
    for (const [from, to] of pagesOf(expected.length)) {
      expect(describeStale(staleFindingsOf(ranking, options, from, to))).toEqual(expected.slice(Math.max(0, from), to));
    }
  });

  it("is long enough here for pages past the first known prefix", () => {
    expect(rankStaleServiceAccounts(inventory, staleDefaults).order.length).toBeGreaterThan(2070);
  });
});

describe("expiring credentials from the index", () => {
  const defaults: ExpiryOptions = { now: NOW, withinDays: 30 };
  const cases: [string, ExpiryOptions][] = [
    ["the defaults", defaults],
    ["a longer window, some statuses", { ...defaults, withinDays: 400, statuses: ["expiring", "disabled"] }],
    ["a provider", { ...defaults, provider: "azure" }],
    ["a scope", { ...defaults, scope: gcpProject }],
    ["a later now, off whole days", { ...defaults, now: new Date(NOW.getTime() + 12 * DAY_MS + 7 * 3_600_000) }],
    ["a now so far ahead that day counts do not pack (the comparator fallback)", { ...defaults, now: new Date("5000-01-01T00:00:00Z") }],
  ];
  it.each(cases)("answers %s exactly as a scan of every credential and vault item does", (_, options) => {
    const expected = expiringByScan(options);
    const describe = (findings: readonly { id: string; status: string; daysUntilExpiry: number | null }[]) => findings.map((f) => `${f.id} ${f.status} ${f.daysUntilExpiry}`);
    expect(describe(findExpiringCredentials(inventory, options))).toEqual(expected);
    const ranking = rankExpiringCredentials(inventory, options);
    expect(ranking.counts).toEqual(
      Object.fromEntries((["expired", "expiring", "no_expiry", "disabled"] as const).map((s) => [s, expected.filter((line) => line.split(" ")[1] === s).length])),
    );
    for (const [from, to] of pagesOf(expected.length)) expect(describe(ranking.slice(from, to))).toEqual(expected.slice(Math.max(0, from), to));
  });

  it("is long enough here for pages past the first known prefix", () => {
    expect(rankExpiringCredentials(inventory, defaults).length).toBeGreaterThan(2070);
  });
});

describe("identities from the index", () => {
  const cases: [string, ListIdentitiesOptions][] = [
    ["no filter", {}],
    ["a provider and kinds", { provider: "aws", kinds: ["role", "user"] }],
    ["workloads in a scope", { scope: awsProdOu, workloadOnly: true }],
    ["a name fragment", { nameContains: "-3" }],
    ["a fragment in another case, matched in names and emails", { nameContains: "mixed.CASE" }],
    ["a fragment of a lowercased non-Latin name", { nameContains: "σας" }],
    ["a fragment spanning two fields (never a match)", { nameContains: "gserviceaccount.com\u0000" }],
    ["a fragment holding the search text's separator (searched field by field)", { nameContains: "with\u0000nul" }],
    ["a fragment and filters", { nameContains: "api", provider: "gcp", kinds: ["service_account"] }],
    ["a fragment nothing has", { nameContains: "no-such-identity" }],
  ];
  it.each(cases)("answers %s exactly as a scan of every identity does", (_, options) => {
    const expected = identitiesByScan(options);
    const listing = listIdentities(inventory, options);
    expect(listing.length).toBe(expected.length);
    expect(listing.slice(0, listing.length)).toEqual(expected);
    for (const [from, to] of pagesOf(expected.length)) expect(listing.slice(from, to)).toEqual(expected.slice(Math.max(0, from), to));
  });

  it("finds the identities the odd cases were planted in", () => {
    expect(listIdentities(inventory, { nameContains: "mixed.CASE" }).length).toBeGreaterThan(10);
    expect(listIdentities(inventory, { nameContains: "with\u0000nul" }).length).toBeGreaterThan(10);
  });
});

describe("paged answer order", () => {
  /** A small deterministic generator, so a failure repeats. */
  function numbers(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      return state / 2_147_483_648;
    };
  }

  it.each([
    ["random keys", 1],
    ["few distinct values (ties decided by id)", 2],
    ["keys already in order", 3],
    ["keys in reverse order", 4],
  ])("gives every window exactly as the full sort does: %s", (_, shape) => {
    const next = numbers(shape);
    const size = 12_000;
    const ids = Array.from({ length: size + 500 }, (_, i) => `id-${Math.floor(next() * 5000)}-${i % 7}`);
    const item = Int32Array.from({ length: size }, (_, k) => (shape >= 3 ? k : (k * 7919) % ids.length));
    const group = Uint8Array.from({ length: size }, (_, k) => (shape === 3 ? Math.floor((k * 3) / size) : shape === 4 ? 2 - Math.floor((k * 3) / size) : Math.floor(next() * 3)));
    const value = Float64Array.from({ length: size }, (_, k) => (shape === 2 ? Math.floor(next() * 3) : shape === 3 ? k % 1000 : shape === 4 ? -(k % 1000) : Math.floor(next() * 4000) - 2000));
    const order = idOrderOf(ids);
    const full = answerOrder(group, value, item, ids, () => order);
    const paged = pagedAnswerOrder(group, value, item, ids, () => order);
    expect(paged.length).toBe(size);
    for (const [from, to] of [[0, 25], [25, 50], [2040, 2070], [9000, 9100], [0, size], [size - 3, size + 10]] as const) {
      expect(Array.from(paged.entries(from, to))).toEqual(Array.from(full.subarray(from, to)));
    }
  });
});
