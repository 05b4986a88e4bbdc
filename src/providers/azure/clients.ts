/**
 * Builds the Azure clients of one collection: the official SDK clients for Key Vault data plane,
 * authorization, Key Vault management and managed identities, and a bare core-rest-pipeline for
 * Microsoft Graph and the management-group reads no installed SDK covers. All of them share the
 * task's credential, the collection's call policy (allowlist, retries, timeouts, tally) and the
 * transport; their own retry policies are off.
 *
 * Graph goes through @azure/core-rest-pipeline rather than @microsoft/microsoft-graph-client: the
 * same bearer-token policy, retry/timeout/tally policy, TLS transport and RestError as every other
 * client here, instead of a second middleware stack with its own retry handler and fetch transport.
 */
import type { TokenCredential } from "@azure/core-auth";
import {
  bearerTokenAuthenticationPolicy,
  bearerTokenAuthenticationPolicyName,
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  RestError,
  type HttpClient,
  type Pipeline,
  type PipelinePolicy,
} from "@azure/core-rest-pipeline";
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import { KeyVaultManagementClient } from "@azure/arm-keyvault";
import { ManagedServiceIdentityClient } from "@azure/arm-msi";
import { CertificateClient } from "@azure/keyvault-certificates";
import { KeyClient } from "@azure/keyvault-keys";
import { SecretClient } from "@azure/keyvault-secrets";

export interface ClientFactorySettings {
  credential: TokenCredential;
  callPolicy: PipelinePolicy;
  httpClient: HttpClient | undefined;
  resourceManager: string;
  graph: string;
}

const NO_SDK_RETRIES = { retryOptions: { maxRetries: 0 } };

function transport(settings: ClientFactorySettings) {
  return {
    ...NO_SDK_RETRIES,
    additionalPolicies: [{ policy: settings.callPolicy, position: "perCall" as const }],
    ...(settings.httpClient ? { httpClient: settings.httpClient } : {}),
  };
}

/** Token audience of ARM: the public endpoint's, also when a test or sovereign endpoint is used. */
export function armScope(resourceManager: string): string {
  return resourceManager.includes("management.") ? `${new URL(resourceManager).origin}/.default` : "https://management.azure.com/.default";
}

function graphScope(graph: string): string {
  return graph.includes("graph.") ? `${new URL(graph).origin}/.default` : "https://graph.microsoft.com/.default";
}

/** Token audiences of Key Vault and Managed HSM in the public and sovereign clouds. */
const KEY_VAULT_AUDIENCES: ReadonlySet<string> = new Set(
  ["azure.net", "azure.cn", "usgovcloudapi.net", "microsoftazure.de"].flatMap((suffix) => [`https://vault.${suffix}`, `https://managedhsm.${suffix}`]),
);

/** True for a Key Vault audience (`https://vault.azure.net/.default`, `https://vault.azure.cn`, ...). */
export function isKeyVaultScope(scope: string): boolean {
  const audience = scope.trim().toLowerCase().replace(/\/\.default$/, "").replace(/\/+$/, "");
  return KEY_VAULT_AUDIENCES.has(audience);
}

/** A token request a vault client must never make: the challenge named an audience that is not Key Vault. */
export class VaultAudienceRefusedError extends Error {
  constructor(scopes: readonly string[]) {
    super(`refused a token for ${scopes.join(" ")} to a vault: only Key Vault audiences are requested for vault data-plane calls`);
    this.name = "VaultAudienceRefusedError";
  }
}

/**
 * The credential a vault client gets: it only hands out Key Vault tokens, so a host that answers
 * its 401 challenge with another resource (ARM, Graph) never receives a token it could replay.
 */
export function keyVaultOnlyCredential(credential: TokenCredential): TokenCredential {
  return {
    getToken(scopes, options) {
      const requested = [scopes].flat();
      if (requested.length === 0 || !requested.every(isKeyVaultScope)) return Promise.reject(new VaultAudienceRefusedError(requested));
      return credential.getToken(scopes, options);
    },
  };
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "127.0.0.1" || hostname === "[::1]";
}

export interface VaultClientOptions {
  /**
   * Test-only (a dependency, never a config key): skip the SDK's check that a challenge's resource
   * matches the vault's domain, for vaults on loopback hosts (the HTTPS fake on localhost).
   */
  insecureLocalVaults?: boolean;
}

export function vaultClients(settings: ClientFactorySettings, vaultUrl: string, vaultOptions: VaultClientOptions = {}) {
  // Challenge resource verification stays on for every real vault host (vault.azure.net, vault.azure.cn,
  // vault.usgovcloudapi.net, managedhsm.azure.net, ...): their challenge names their own domain.
  const insecure = vaultOptions.insecureLocalVaults === true && isLoopbackHost(new URL(vaultUrl).hostname);
  const options = { ...transport(settings), disableChallengeResourceVerification: insecure };
  const credential = keyVaultOnlyCredential(settings.credential);
  return {
    secrets: new SecretClient(vaultUrl, credential, options),
    certificates: new CertificateClient(vaultUrl, credential, options),
    keys: new KeyClient(vaultUrl, credential, options),
  };
}
export type VaultClients = ReturnType<typeof vaultClients>;

export function managementClients(settings: ClientFactorySettings, subscriptionId: string) {
  const endpoint = settings.resourceManager.replace(/\/+$/, "");
  const scopes = [armScope(settings.resourceManager)];
  const keyVault = new KeyVaultManagementClient(settings.credential, subscriptionId, { ...NO_SDK_RETRIES, ...(settings.httpClient ? { httpClient: settings.httpClient } : {}), endpoint, credentials: { scopes } });
  // This generated client signs before per-call policies run; the call policy must also bound token requests.
  keyVault.pipeline.addPolicy(settings.callPolicy, { beforePolicies: [bearerTokenAuthenticationPolicyName] });
  return {
    authorization: new AuthorizationManagementClient(settings.credential, subscriptionId, { ...transport(settings), endpoint, credentialScopes: scopes }),
    keyVault,
    managedIdentities: new ManagedServiceIdentityClient(settings.credential, subscriptionId, { ...transport(settings), endpoint, credentialScopes: scopes }),
  };
}
export type ManagementClients = ReturnType<typeof managementClients>;

/** GET-only JSON access to an API without an installed SDK (Graph, management groups). */
export class RestReader {
  private readonly pipeline: Pipeline;
  private readonly httpClient: HttpClient;

  constructor(
    settings: ClientFactorySettings,
    readonly baseUrl: string,
    scope: string,
  ) {
    this.pipeline = createPipelineFromOptions({ ...NO_SDK_RETRIES, userAgentOptions: { userAgentPrefix: "workload-iam-mcp" } });
    this.pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential: settings.credential, scopes: scope }), { phase: "Sign" });
    this.pipeline.addPolicy(settings.callPolicy);
    this.httpClient = settings.httpClient ?? createDefaultHttpClient();
  }

  /** Reads one URL (absolute, or relative to the base) and returns its parsed JSON body. */
  async get(pathOrUrl: string, headers: Record<string, string> = {}): Promise<unknown> {
    const url = /^https:\/\//.test(pathOrUrl) ? pathOrUrl : `${this.baseUrl.replace(/\/+$/, "")}${pathOrUrl}`;
    const request = createPipelineRequest({ url, method: "GET", headers: createHttpHeaders({ accept: "application/json", ...headers }) });
    const response = await this.pipeline.sendRequest(this.httpClient, request);
    const body = response.bodyAsText ?? "";
    if (response.status < 200 || response.status >= 300) {
      const message = /"message"\s*:\s*"([^"]{0,300})"/.exec(body)?.[1] ?? `HTTP ${response.status}`;
      throw new RestError(message, { statusCode: response.status, request, response });
    }
    return body.length > 0 ? (JSON.parse(body) as unknown) : {};
  }
}

export function graphReader(settings: ClientFactorySettings): RestReader {
  return new RestReader(settings, settings.graph, graphScope(settings.graph));
}

export function armReader(settings: ClientFactorySettings): RestReader {
  return new RestReader(settings, settings.resourceManager, armScope(settings.resourceManager));
}
