/**
 * Certificates, secrets and keys that expire soon, have expired, never expire, or are disabled
 * but still present. AWS access keys and console passwords have no expiry by design, so they are
 * left to the staleness analysis (rotation) instead of flooding "no expiry".
 */
import { z } from "zod";
import type { Inventory } from "../model/inventory-index.js";
import type { Credential, VaultItem } from "../model/inventory.js";
import { idOrderOf, pagedAnswerOrder, type IdOrder } from "./answer-order.js";
import { compileColumnFilter, filterColumnsOf, type FilterColumns, type InventoryFilter } from "./scope-filter.js";

export const expiryStatusSchema = z.enum(["expired", "expiring", "no_expiry", "disabled"]);
export type ExpiryStatus = z.infer<typeof expiryStatusSchema>;

export const expiryFindingSchema = z.object({
  id: z.string(),
  name: z.string(),
  category: z.enum(["credential", "vault_item"]),
  kind: z.string().describe("client_secret, certificate, service_account_key, secret, key..."),
  provider: z.string(),
  scopeId: z.string(),
  principalId: z.string().nullable(),
  status: expiryStatusSchema,
  expiresAt: z.string().nullable(),
  daysUntilExpiry: z.number().int().nullable().describe("negative when already expired"),
  enabled: z.boolean(),
  autoRenew: z.boolean().nullable(),
  source: z.string(),
  observedAt: z.string(),
  recommendedAction: z.string(),
});
export type ExpiryFinding = z.infer<typeof expiryFindingSchema>;

export interface ExpiryOptions extends InventoryFilter {
  now: Date;
  withinDays: number;
  statuses?: readonly ExpiryStatus[];
}

/** GCP reports "never expires" as validBeforeTime 9999-12-31; treat far-future dates the same. */
const NEVER_EXPIRES_AFTER_YEAR = 9000;
const CREDENTIAL_KINDS_WITH_EXPIRY = new Set(["client_secret", "certificate", "service_account_key"]);
const DAY_MS = 86_400_000;

const ADVICE: Record<ExpiryStatus, string> = {
  expired: "Remove the expired item, or renew it if a workload still depends on it (check for failing callers).",
  expiring: "Renew or rotate before the expiry date and update the workloads that use it.",
  no_expiry: "Set an expiry date and a rotation schedule; prefer short-lived credentials or federation.",
  disabled: "Disabled but still present: delete it if nothing needs it, so it cannot be re-enabled and used.",
};
const AUTO_RENEW_NOTE = " Auto-renew is on: confirm the renewal succeeds.";

const STATUS_ORDER: Record<ExpiryStatus, number> = { expired: 0, expiring: 0, no_expiry: 1, disabled: 2 };

/**
 * What expiry needs from an inventory that no query option changes, parsed once per inventory:
 * the items that can have an expiry finding (credentials first, then vault items, in snapshot
 * order), their effective expiry time, and their provider and scope as numbers for filters.
 */
interface ExpiryFacts {
  readonly items: readonly (Credential | VaultItem)[];
  readonly ids: readonly string[];
  /** Items before this index are credentials. */
  readonly credentialCount: number;
  /** Expiry time, NaN when there is none (absent, or far-future "never expires"). */
  readonly expiresMs: Float64Array;
  readonly enabled: Uint8Array;
  readonly filter: FilterColumns;
  order?: IdOrder;
  /** The last finding per item: answers reuse it while its status and day count hold. */
  readonly findings: (ExpiryFinding | undefined)[];
}

function effectiveExpiry(expiresAt: string | undefined): number {
  if (!expiresAt) return Number.NaN;
  const ms = Date.parse(expiresAt);
  return new Date(ms).getUTCFullYear() < NEVER_EXPIRES_AFTER_YEAR ? ms : Number.NaN;
}

function buildExpiryFacts(inventory: Inventory): ExpiryFacts {
  const items: (Credential | VaultItem)[] = [];
  const expires: number[] = [];
  const enabled: number[] = [];
  for (const credential of inventory.snapshot.credentials) {
    if (!CREDENTIAL_KINDS_WITH_EXPIRY.has(credential.kind) || credential.managedBy === "provider") continue;
    items.push(credential);
    expires.push(effectiveExpiry(credential.expiresAt));
    enabled.push(credential.status === "active" ? 1 : 0);
  }
  const credentialCount = items.length;
  for (const item of inventory.snapshot.vaultItems) {
    // A managed secret or key backs a certificate: the certificate carries the expiry that matters.
    if (item.managed) continue;
    items.push(item);
    expires.push(effectiveExpiry(item.expiresAt));
    enabled.push(item.enabled ? 1 : 0);
  }
  return {
    items,
    ids: items.map((item) => item.id),
    credentialCount,
    expiresMs: Float64Array.from(expires),
    enabled: Uint8Array.from(enabled),
    filter: filterColumnsOf(items),
    findings: new Array<ExpiryFinding | undefined>(items.length),
  };
}

const factsByInventory = new WeakMap<Inventory, ExpiryFacts>();

function expiryFactsOf(inventory: Inventory): ExpiryFacts {
  let facts = factsByInventory.get(inventory);
  if (!facts) factsByInventory.set(inventory, (facts = buildExpiryFacts(inventory)));
  return facts;
}

const STATUSES: readonly ExpiryStatus[] = ["expired", "expiring", "no_expiry", "disabled"];
const NO_FINDING = -1;

/** Index into STATUSES, or NO_FINDING when the item is fine for this query. */
function classify(expiresMs: number, enabled: boolean, nowMs: number, withinDays: number): number {
  if (!enabled) return 3;
  if (Number.isNaN(expiresMs)) return 2;
  if (expiresMs <= nowMs) return 0;
  return Math.floor((expiresMs - nowMs) / DAY_MS) <= withinDays ? 1 : NO_FINDING;
}

function makeFinding(facts: ExpiryFacts, index: number, status: ExpiryStatus, days: number | null): ExpiryFinding {
  if (index < facts.credentialCount) {
    const credential = facts.items[index] as Credential;
    return Object.freeze({
      id: credential.id,
      name: credential.name ?? credential.id,
      category: "credential",
      kind: credential.kind,
      provider: credential.provider,
      scopeId: credential.scopeId,
      principalId: credential.principalId ?? null,
      status,
      expiresAt: credential.expiresAt ?? null,
      daysUntilExpiry: days,
      enabled: credential.status === "active",
      autoRenew: null,
      source: credential.evidence.source,
      observedAt: credential.evidence.observedAt,
      recommendedAction: ADVICE[status],
    });
  }
  const item = facts.items[index] as VaultItem;
  const autoRenew = item.certificatePolicy?.autoRenew ?? null;
  return Object.freeze({
    id: item.id,
    name: item.name,
    category: "vault_item",
    kind: item.kind,
    provider: item.provider,
    scopeId: item.scopeId,
    principalId: null,
    status,
    expiresAt: item.expiresAt ?? null,
    daysUntilExpiry: days,
    enabled: item.enabled,
    autoRenew,
    source: item.evidence.source,
    observedAt: item.evidence.observedAt,
    recommendedAction: ADVICE[status] + (status === "expiring" && autoRenew ? AUTO_RENEW_NOTE : ""),
  });
}

/** An expiry answer in order, with its findings made only for the positions asked for. */
export interface ExpiryRanking {
  readonly length: number;
  /** Findings per status, over the whole answer. */
  readonly counts: Readonly<Record<ExpiryStatus, number>>;
  /** The findings at answer positions [from, to). */
  slice(from: number, to: number): ExpiryFinding[];
}

/**
 * Most urgent first: expired and expiring by date, then items without expiry, then disabled
 * ones; ties by id. One pass over the per-inventory facts with the query's filters; only the
 * positions a page shows are put in order and built. Findings are frozen and shared across
 * answers while they hold.
 */
export function rankExpiringCredentials(inventory: Inventory, options: ExpiryOptions): ExpiryRanking {
  const facts = expiryFactsOf(inventory);
  const filter = compileColumnFilter(inventory, options, facts.filter);
  const wanted = new Set<ExpiryStatus>(options.statuses ?? expiryStatusSchema.options);
  const wantedStatus = Uint8Array.from(STATUSES, (status) => (wanted.has(status) ? 1 : 0));
  const nowMs = options.now.getTime();
  const total = facts.items.length;
  const item = new Int32Array(total);
  const status = new Uint8Array(total);
  const group = new Uint8Array(total);
  const days = new Float64Array(total);
  const counts = [0, 0, 0, 0];
  let n = 0;
  const { candidates } = filter;
  const visits = candidates ? candidates.length : total;
  for (let v = 0; v < visits; v++) {
    const i = candidates ? (candidates[v] as number) : v;
    const expiresMs = facts.expiresMs[i] as number;
    const found = classify(expiresMs, facts.enabled[i] === 1, nowMs, options.withinDays);
    if (found === NO_FINDING || wantedStatus[found] === 0 || (!filter.all && !filter.matches(i))) continue;
    item[n] = i;
    status[n] = found;
    group[n] = STATUS_ORDER[STATUSES[found] as ExpiryStatus];
    days[n] = Number.isNaN(expiresMs) ? 0 : Math.floor((expiresMs - nowMs) / DAY_MS);
    counts[found] = (counts[found] as number) + 1;
    n++;
  }
  const items = item.slice(0, n);
  const statuses = status.slice(0, n);
  const order = pagedAnswerOrder(group.subarray(0, n), days.subarray(0, n), items, facts.ids, () => (facts.order ??= idOrderOf(facts.ids)));

  const findingOf = (k: number): ExpiryFinding => {
    const i = items[k] as number;
    const found = STATUSES[statuses[k] as number] as ExpiryStatus;
    const expiresMs = facts.expiresMs[i] as number;
    const daysUntilExpiry = Number.isNaN(expiresMs) ? null : Math.floor((expiresMs - nowMs) / DAY_MS);
    let finding = facts.findings[i];
    if (!finding || finding.status !== found || finding.daysUntilExpiry !== daysUntilExpiry) {
      finding = facts.findings[i] = makeFinding(facts, i, found, daysUntilExpiry);
    }
    return finding;
  };
  return {
    length: n,
    counts: { expired: counts[0] as number, expiring: counts[1] as number, no_expiry: counts[2] as number, disabled: counts[3] as number },
    slice(from, to) {
      const start = Math.max(0, from);
      const end = Math.min(to, n);
      if (start >= end) return [];
      const entries = order.entries(start, end);
      const findings = new Array<ExpiryFinding>(end - start);
      if (start === 0 && end === n) {
        // The whole answer: built in snapshot order (memory order of the facts) and placed by rank.
        const positionOf = new Int32Array(n);
        for (let position = 0; position < n; position++) positionOf[entries[position] as number] = position;
        for (let k = 0; k < n; k++) findings[positionOf[k] as number] = findingOf(k);
      } else {
        for (let position = start; position < end; position++) findings[position - start] = findingOf(entries[position - start] as number);
      }
      return findings;
    },
  };
}

export function findExpiringCredentials(inventory: Inventory, options: ExpiryOptions): ExpiryFinding[] {
  const ranking = rankExpiringCredentials(inventory, options);
  return ranking.slice(0, ranking.length);
}
