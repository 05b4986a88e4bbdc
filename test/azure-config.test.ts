import { describe, expect, test } from "vitest";
import { azureProviderConfigSchema } from "../src/providers/azure/config.js";

const TENANT = "0f0f0f0f-1111-4222-8333-444444444444";

function issues(input: unknown): string[] {
  const result = azureProviderConfigSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

describe("providers.azure config", () => {
  test("applies defaults: the SDK's default credential chain, public cloud endpoints, bounded retries, 5 minute cache", () => {
    expect(azureProviderConfigSchema.parse({ tenants: [{ id: TENANT }], vaults: [{ url: "https://kv-payments-prod.vault.azure.net/" }] })).toEqual({
      tenants: [{ id: TENANT, subscriptions: [], workloadIdentities: true, signInActivity: true, managementGroups: true }],
      vaults: [{ url: "https://kv-payments-prod.vault.azure.net", certificatePolicies: true }],
      credential: { type: "default" },
      disableInstanceDiscovery: false,
      endpoints: { resourceManager: "https://management.azure.com", graph: "https://graph.microsoft.com" },
      maxConcurrency: 8,
      maxAttempts: 5,
      callTimeoutMs: 30_000,
      cacheTtlSeconds: 300,
    });
  });

  test("an explicit client secret credential names an environment variable, never the secret", () => {
    const parsed = azureProviderConfigSchema.parse({ tenants: [{ id: TENANT }], credential: { type: "clientSecret", clientId: TENANT } });
    expect(parsed.credential).toEqual({ type: "clientSecret", clientId: TENANT, clientSecretEnv: "AZURE_CLIENT_SECRET" });
    expect(issues({ tenants: [{ id: TENANT }], credential: { type: "clientSecret", clientId: TENANT, clientSecret: "FAKE-secret" } })).toEqual([
      'credential: Unrecognized key: "clientSecret"',
    ]);
  });

  test("rejects what would silently read the wrong thing", () => {
    expect(issues({ tenants: [] })).toEqual(["tenants: list at least one tenant"]);
    expect(issues({ tenants: [{ id: "not-a-guid" }] })).toEqual(["tenants.0.id: expected a GUID"]);
    expect(issues({ tenants: [{ id: TENANT }, { id: TENANT.toUpperCase() }] })).toEqual([`tenants.1.id: tenant ${TENANT.toUpperCase()} is listed twice`]);
    expect(issues({ tenants: [{ id: TENANT }], vaults: [{ url: "http://kv.vault.azure.net" }] })).toHaveLength(1);
    expect(issues({ tenants: [{ id: TENANT }], vaults: [{ url: "https://kv.vault.azure.net", tenantId: "11111111-2222-4333-8444-555555555555" }] })).toEqual([
      "vaults.0.tenantId: the vault's tenant must be one of the configured tenants",
    ]);
  });
});
