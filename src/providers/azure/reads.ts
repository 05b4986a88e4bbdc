/**
 * The only place that calls methods of the Azure SDK clients, and every call is a read of metadata:
 * list*, getCertificatePolicy. No method that returns a secret value (getSecret), writes, deletes,
 * purges or starts an operation (begin*) is called anywhere; test/azure-readonly.test.ts checks
 * this file against an allowlist and the rest of the connector against the forbidden names. The
 * call policy enforces the same at the wire (read-guard.ts).
 */
import type { RoleAssignment, RoleDefinition, DenyAssignment, RoleEligibilityScheduleInstance } from "@azure/arm-authorization";
import type { Vault } from "@azure/arm-keyvault";
import type { Identity } from "@azure/arm-msi";
import type { CertificatePolicy, CertificateProperties } from "@azure/keyvault-certificates";
import type { KeyProperties } from "@azure/keyvault-keys";
import type { SecretProperties } from "@azure/keyvault-secrets";
import type { ManagementClients, VaultClients } from "./clients.js";

/** Key Vault serves at most 25 items per page. */
const VAULT_PAGE_SIZE = 25;

type Signal = { abortSignal?: AbortSignal };

function options(signal: AbortSignal | undefined): Signal {
  return signal ? { abortSignal: signal } : {};
}

/** The authorization client's path template is `/{scope}/providers/...`: the scope goes in without its leading slash. */
function scopePath(scope: string): string {
  return scope.replace(/^\/+/, "");
}

export function secretPropertyPages(clients: VaultClients, signal?: AbortSignal): AsyncIterable<SecretProperties[]> {
  return clients.secrets.listPropertiesOfSecrets(options(signal)).byPage({ maxPageSize: VAULT_PAGE_SIZE });
}

export function certificatePropertyPages(clients: VaultClients, signal?: AbortSignal): AsyncIterable<CertificateProperties[]> {
  return clients.certificates.listPropertiesOfCertificates(options(signal)).byPage({ maxPageSize: VAULT_PAGE_SIZE });
}

export function keyPropertyPages(clients: VaultClients, signal?: AbortSignal): AsyncIterable<KeyProperties[]> {
  return clients.keys.listPropertiesOfKeys(options(signal)).byPage({ maxPageSize: VAULT_PAGE_SIZE });
}

export function certificatePolicy(clients: VaultClients, certificateName: string, signal?: AbortSignal): Promise<CertificatePolicy> {
  return clients.certificates.getCertificatePolicy(certificateName, options(signal));
}

/** Assignments at, above (inherited from management groups) and below the scope. */
export function roleAssignmentPages(clients: ManagementClients, scope: string, signal?: AbortSignal): AsyncIterable<RoleAssignment[]> {
  return clients.authorization.roleAssignments.listForScope(scopePath(scope), options(signal)).byPage();
}

/** PIM eligibilities at, above and below the scope: roles a principal may activate. */
export function roleEligibilityPages(clients: ManagementClients, scope: string, signal?: AbortSignal): AsyncIterable<RoleEligibilityScheduleInstance[]> {
  return clients.authorization.roleEligibilityScheduleInstances.listForScope(scopePath(scope), options(signal)).byPage();
}

/** Built-in and custom role definitions usable at the scope. */
export function roleDefinitionPages(clients: ManagementClients, scope: string, signal?: AbortSignal): AsyncIterable<RoleDefinition[]> {
  return clients.authorization.roleDefinitions.list(scopePath(scope), options(signal)).byPage();
}

export function denyAssignmentPages(clients: ManagementClients, scope: string, signal?: AbortSignal): AsyncIterable<DenyAssignment[]> {
  return clients.authorization.denyAssignments.listForScope(scopePath(scope), options(signal)).byPage();
}

/** Full vault resources (permission model, access policies, network settings) of the subscription. */
export function vaultPages(clients: ManagementClients, signal?: AbortSignal): AsyncIterable<Vault[]> {
  return clients.keyVault.vaults.listBySubscription(options(signal)).byPage();
}

export function userAssignedIdentityPages(clients: ManagementClients, signal?: AbortSignal): AsyncIterable<Identity[]> {
  return clients.managedIdentities.userAssignedIdentities.listBySubscription(options(signal)).byPage();
}
