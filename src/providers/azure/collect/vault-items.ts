/**
 * One vault's items as metadata: properties of secrets, certificates and keys (listings only, never
 * a value) and, for certificates, the policy facts that decide expiry (issuer, validity, lifetime
 * actions, auto-renew). A listing that breaks off keeps the pages it read and says so in a gap.
 */
import type { CertificatePolicy, CertificateProperties } from "@azure/keyvault-certificates";
import type { KeyProperties } from "@azure/keyvault-keys";
import type { SecretProperties } from "@azure/keyvault-secrets";
import type { CollectionGap, VaultItem } from "../../../model/inventory.js";
import { mapWithConcurrency } from "../../../connectors/common/pool.js";
import type { VaultClients } from "../clients.js";
import { describeAzureError } from "../errors.js";
import { certificatePolicy, certificatePropertyPages, keyPropertyPages, secretPropertyPages } from "../reads.js";

export interface VaultReadInput {
  clients: VaultClients;
  vaultUrl: string;
  /** The vault's scope id (its ARM id when known). */
  scopeId: string;
  certificatePolicies: boolean;
  policyConcurrency: number;
  observedAt: string;
  signal: AbortSignal | undefined;
}

export interface VaultReadResult {
  items: VaultItem[];
  gaps: CollectionGap[];
}

type ItemProperties = SecretProperties | CertificateProperties | KeyProperties;

function iso(date: Date | undefined): string | undefined {
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}

function describeAction(action: NonNullable<CertificatePolicy["lifetimeActions"]>[number]): string {
  const trigger =
    action.lifetimePercentage !== undefined
      ? `at ${action.lifetimePercentage}% of lifetime`
      : action.daysBeforeExpiry !== undefined
        ? `${action.daysBeforeExpiry} days before expiry`
        : "with no trigger";
  return `${action.action ?? "unknown action"} ${trigger}`;
}

export function mapCertificatePolicy(policy: CertificatePolicy): NonNullable<VaultItem["certificatePolicy"]> {
  const actions = policy.lifetimeActions ?? [];
  return {
    ...(policy.issuerName ? { issuer: policy.issuerName } : {}),
    ...(policy.validityInMonths && policy.validityInMonths > 0 ? { validityMonths: policy.validityInMonths } : {}),
    autoRenew: actions.some((action) => action.action === "AutoRenew"),
    lifetimeActions: actions.map(describeAction),
  };
}

function mapItem(kind: VaultItem["kind"], properties: ItemProperties, scopeId: string, source: string, observedAt: string): VaultItem {
  const contentType = "contentType" in properties ? properties.contentType : undefined;
  const managed = "managed" in properties ? properties.managed : undefined;
  const created = iso(properties.createdOn);
  const updated = iso(properties.updatedOn);
  const notBefore = iso(properties.notBefore);
  const expires = iso(properties.expiresOn);
  return {
    id: properties.id ?? `${properties.vaultUrl ?? ""}/${kind}s/${properties.name ?? ""}`,
    provider: "azure",
    kind,
    name: properties.name ?? "",
    scopeId,
    ...(properties.version ? { version: properties.version } : {}),
    // Key Vault treats an absent flag as enabled.
    enabled: properties.enabled !== false,
    ...(created ? { createdAt: created } : {}),
    ...(updated ? { updatedAt: updated } : {}),
    ...(notBefore ? { notBefore } : {}),
    ...(expires ? { expiresAt: expires } : {}),
    ...(contentType ? { contentType } : {}),
    ...(managed ? { managed: true } : {}),
    ...(properties.recoveryLevel ? { recoveryLevel: properties.recoveryLevel } : {}),
    ...(properties.tags && Object.keys(properties.tags).length > 0 ? { tags: { ...properties.tags } } : {}),
    evidence: { source, observedAt },
  };
}

async function readListing<T extends ItemProperties>(
  kind: VaultItem["kind"],
  source: string,
  pages: AsyncIterable<T[]>,
  input: VaultReadInput,
  result: VaultReadResult,
): Promise<VaultItem[]> {
  const items: VaultItem[] = [];
  try {
    for await (const page of pages) {
      for (const properties of page) items.push(mapItem(kind, properties, input.scopeId, source, input.observedAt));
    }
  } catch (error) {
    input.signal?.throwIfAborted();
    const kept = items.length > 0 ? ` (the ${items.length} ${kind}s read before the failure are kept)` : "";
    result.gaps.push({ provider: "azure", scopeId: input.scopeId, source, reason: `${kind} listing incomplete${kept}: ${describeAzureError(error)}` });
  }
  return items;
}

async function addCertificatePolicies(certificates: VaultItem[], input: VaultReadInput, result: VaultReadResult): Promise<void> {
  const failures: string[] = [];
  await mapWithConcurrency(certificates, input.policyConcurrency, async (item) => {
    input.signal?.throwIfAborted();
    try {
      item.certificatePolicy = mapCertificatePolicy(await certificatePolicy(input.clients, item.name, input.signal));
    } catch (error) {
      input.signal?.throwIfAborted();
      failures.push(`${item.name}: ${describeAzureError(error)}`);
    }
  });
  if (failures.length > 0) {
    result.gaps.push({
      provider: "azure",
      scopeId: input.scopeId,
      source: "keyvault:getCertificatePolicy",
      reason: `policy (issuer, auto-renew) unknown for ${failures.length} of ${certificates.length} certificates; first: ${failures.sort()[0]}`,
    });
  }
}

export async function readVaultItems(input: VaultReadInput): Promise<VaultReadResult> {
  const result: VaultReadResult = { items: [], gaps: [] };
  const { clients, signal } = input;
  const [secrets, certificates, keys] = await Promise.all([
    readListing("secret", "keyvault:listPropertiesOfSecrets", secretPropertyPages(clients, signal), input, result),
    readListing("certificate", "keyvault:listPropertiesOfCertificates", certificatePropertyPages(clients, signal), input, result),
    readListing("key", "keyvault:listPropertiesOfKeys", keyPropertyPages(clients, signal), input, result),
  ]);
  if (input.certificatePolicies) await addCertificatePolicies(certificates, input, result);
  result.items = [...certificates, ...secrets, ...keys];
  return result;
}
