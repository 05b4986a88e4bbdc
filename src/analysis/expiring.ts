/**
 * Certificates, secrets and keys that expire soon, have expired, never expire, or are disabled
 * but still present. AWS access keys and console passwords have no expiry by design, so they are
 * left to the staleness analysis (rotation) instead of flooding "no expiry".
 */
import { z } from "zod";
import type { Inventory } from "../model/inventory-index.js";
import type { Credential, VaultItem } from "../model/inventory.js";
import { compileFilter, type InventoryFilter } from "./scope-filter.js";
import { daysUntil } from "./time.js";

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

function classify(expiresAt: string | undefined, enabled: boolean, options: ExpiryOptions): { status: ExpiryStatus; days: number | null } | undefined {
  const effective = expiresAt && new Date(expiresAt).getUTCFullYear() < NEVER_EXPIRES_AFTER_YEAR ? expiresAt : undefined;
  const days = effective ? daysUntil(effective, options.now) : null;
  if (!enabled) return { status: "disabled", days };
  if (days === null) return { status: "no_expiry", days };
  if (Date.parse(effective as string) <= options.now.getTime()) return { status: "expired", days };
  if (days <= options.withinDays) return { status: "expiring", days };
  return undefined;
}

const ADVICE: Record<ExpiryStatus, string> = {
  expired: "Remove the expired item, or renew it if a workload still depends on it (check for failing callers).",
  expiring: "Renew or rotate before the expiry date and update the workloads that use it.",
  no_expiry: "Set an expiry date and a rotation schedule; prefer short-lived credentials or federation.",
  disabled: "Disabled but still present: delete it if nothing needs it, so it cannot be re-enabled and used.",
};

function fromCredential(credential: Credential, options: ExpiryOptions): ExpiryFinding | undefined {
  if (!CREDENTIAL_KINDS_WITH_EXPIRY.has(credential.kind) || credential.managedBy === "provider") return undefined;
  const result = classify(credential.expiresAt, credential.status === "active", options);
  if (!result) return undefined;
  return {
    id: credential.id,
    name: credential.name ?? credential.id,
    category: "credential",
    kind: credential.kind,
    provider: credential.provider,
    scopeId: credential.scopeId,
    principalId: credential.principalId ?? null,
    status: result.status,
    expiresAt: credential.expiresAt ?? null,
    daysUntilExpiry: result.days,
    enabled: credential.status === "active",
    autoRenew: null,
    source: credential.evidence.source,
    observedAt: credential.evidence.observedAt,
    recommendedAction: ADVICE[result.status],
  };
}

function fromVaultItem(item: VaultItem, options: ExpiryOptions): ExpiryFinding | undefined {
  // A managed secret or key backs a certificate: the certificate carries the expiry that matters.
  if (item.managed) return undefined;
  const result = classify(item.expiresAt, item.enabled, options);
  if (!result) return undefined;
  const autoRenew = item.certificatePolicy?.autoRenew ?? null;
  const renewNote = result.status === "expiring" && autoRenew ? " Auto-renew is on: confirm the renewal succeeds." : "";
  return {
    id: item.id,
    name: item.name,
    category: "vault_item",
    kind: item.kind,
    provider: item.provider,
    scopeId: item.scopeId,
    principalId: null,
    status: result.status,
    expiresAt: item.expiresAt ?? null,
    daysUntilExpiry: result.days,
    enabled: item.enabled,
    autoRenew,
    source: item.evidence.source,
    observedAt: item.evidence.observedAt,
    recommendedAction: ADVICE[result.status] + renewNote,
  };
}

const STATUS_ORDER: Record<ExpiryStatus, number> = { expired: 0, expiring: 0, no_expiry: 1, disabled: 2 };

export function findExpiringCredentials(inventory: Inventory, options: ExpiryOptions): ExpiryFinding[] {
  const matches = compileFilter(inventory, options);
  const wanted = new Set<ExpiryStatus>(options.statuses ?? expiryStatusSchema.options);
  const findings: ExpiryFinding[] = [];
  const keep = (finding: ExpiryFinding | undefined) => {
    if (finding && wanted.has(finding.status)) findings.push(finding);
  };
  for (const credential of inventory.snapshot.credentials) if (matches(credential)) keep(fromCredential(credential, options));
  for (const item of inventory.snapshot.vaultItems) if (matches(item)) keep(fromVaultItem(item, options));
  // Most urgent first: expired and expiring by date, then items without expiry, then disabled ones.
  return findings.sort(
    (a, b) =>
      STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
      (a.daysUntilExpiry ?? 0) - (b.daysUntilExpiry ?? 0) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}
