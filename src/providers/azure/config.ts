/**
 * Configuration of the Azure connector (`providers.azure` in the YAML config).
 *
 * Authentication defaults to @azure/identity's DefaultAzureCredential, so AZURE_TENANT_ID,
 * AZURE_CLIENT_ID, AZURE_CLIENT_SECRET / AZURE_CLIENT_CERTIFICATE_PATH, AZURE_FEDERATED_TOKEN_FILE
 * (workload identity), AZURE_AUTHORITY_HOST, managed identity and `az login` behave exactly as in
 * every other Azure tool. `credential` picks one explicit credential instead; secrets never sit in
 * this file (a client secret is read from the environment variable named here).
 */
import { z } from "zod";

const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "expected a GUID");
const httpsUrl = z.url({ protocol: /^https$/ });
const vaultUrl = z
  .url({ protocol: /^https$/ })
  .describe("data-plane URL, e.g. https://kv-payments-prod.vault.azure.net")
  .transform((url) => new URL(url).origin);

export const azureCredentialConfigSchema = z.discriminatedUnion("type", [
  /** Environment, workload identity, managed identity, Azure CLI, ... in the SDK's standard order. */
  z.strictObject({ type: z.literal("default"), managedIdentityClientId: guid.optional() }),
  z.strictObject({
    type: z.literal("clientSecret"),
    clientId: guid,
    /** Name of the environment variable holding the secret (never the secret itself). */
    clientSecretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "expected an environment variable name").default("AZURE_CLIENT_SECRET"),
  }),
  z.strictObject({ type: z.literal("clientCertificate"), clientId: guid, certificatePath: z.string().min(1) }),
  z.strictObject({ type: z.literal("managedIdentity"), clientId: guid.optional() }),
  z.strictObject({ type: z.literal("workloadIdentity"), clientId: guid.optional() }),
  z.strictObject({ type: z.literal("azureCli") }),
]);
export type AzureCredentialConfig = z.output<typeof azureCredentialConfigSchema>;

export const azureTenantConfigSchema = z.strictObject({
  id: guid,
  /** Subscriptions whose role assignments, role definitions, deny assignments, vaults and user-assigned identities are read. */
  subscriptions: z.array(guid).default([]),
  /** Entra applications, service principals, managed identities and their credentials (Microsoft Graph). */
  workloadIdentities: z.boolean().default(true),
  /** Service principal sign-in activity (needs Entra ID P1/P2 and AuditLog.Read.All). */
  signInActivity: z.boolean().default(true),
  /** Management group hierarchy, so assignments at management groups are inherited correctly. */
  managementGroups: z.boolean().default(true),
  /**
   * Activity (#18): service principal and managed identity sign-ins from Graph's beta sign-in
   * logs (needs AuditLog.Read.All and Entra ID P1/P2; kept 30 days) and the subscriptions' Activity
   * Log, the last `hours` of them. Off unless set.
   */
  activity: z
    .strictObject({
      hours: z.number().int().min(1).max(2160).default(720),
      /** Also each subscription's Activity Log (control-plane calls of workloads; kept 90 days). */
      activityLog: z.boolean().default(true),
    })
    .optional(),
});
export type AzureTenantConfig = z.output<typeof azureTenantConfigSchema>;

export const azureVaultConfigSchema = z.strictObject({
  url: vaultUrl,
  /** Tenant of the vault; defaults to the first configured tenant. */
  tenantId: guid.optional(),
  /** Read each certificate's policy (issuer, lifetime actions, auto-renew): one call per certificate. */
  certificatePolicies: z.boolean().default(true),
});
export type AzureVaultConfig = z.output<typeof azureVaultConfigSchema>;

export const azureProviderConfigSchema = z
  .strictObject({
    tenants: z.array(azureTenantConfigSchema).min(1, "list at least one tenant"),
    vaults: z.array(azureVaultConfigSchema).default([]),
    credential: azureCredentialConfigSchema.default({ type: "default" }),
    /** Overrides AZURE_AUTHORITY_HOST (sovereign clouds, Azure Stack). */
    authorityHost: httpsUrl.optional(),
    /** Skip Entra instance discovery (private or Azure Stack authorities). */
    disableInstanceDiscovery: z.boolean().default(false),
    endpoints: z
      .strictObject({
        resourceManager: httpsUrl.default("https://management.azure.com"),
        graph: httpsUrl.default("https://graph.microsoft.com"),
      })
      .prefault({}),
    /** Requests in flight at once across the whole collection. */
    maxConcurrency: z.number().int().min(1).max(64).default(8),
    /** Attempts per request (first try included) on 429, 5xx, timeouts and network errors. */
    maxAttempts: z.number().int().min(1).max(10).default(5),
    /** Per-request timeout. */
    callTimeoutMs: z.number().int().min(100).max(300_000).default(30_000),
    /** How long collected data (per vault, subscription and tenant) is reused. 0 disables the cache. */
    cacheTtlSeconds: z.number().int().min(0).max(86_400).default(300),
  })
  .superRefine((config, context) => {
    const tenants = new Set<string>();
    config.tenants.forEach((tenant, index) => {
      if (tenants.has(tenant.id.toLowerCase())) context.addIssue({ code: "custom", path: ["tenants", index, "id"], message: `tenant ${tenant.id} is listed twice` });
      tenants.add(tenant.id.toLowerCase());
    });
    const vaults = new Set<string>();
    config.vaults.forEach((vault, index) => {
      if (vaults.has(vault.url)) context.addIssue({ code: "custom", path: ["vaults", index, "url"], message: `vault ${vault.url} is listed twice` });
      vaults.add(vault.url);
      if (vault.tenantId && !tenants.has(vault.tenantId.toLowerCase())) {
        context.addIssue({ code: "custom", path: ["vaults", index, "tenantId"], message: "the vault's tenant must be one of the configured tenants" });
      }
    });
  });

/** The config after defaults were applied. */
export type AzureProviderConfig = z.output<typeof azureProviderConfigSchema>;
/** The config as written by a user (defaults optional). */
export type AzureProviderConfigInput = z.input<typeof azureProviderConfigSchema>;
