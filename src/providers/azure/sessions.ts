/**
 * Short-lived tokens, held per task: each (task, tenant) gets its own @azure/identity credential
 * instance, so its token cache lives and dies with the task. endTask drops it; a credential whose
 * tokens have all expired is replaced on next use. The audit record names the identity the tokens
 * were issued to (tenant, application or managed identity, object id), read from the token's
 * claims; the token itself is never kept or shown.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import type { HttpClient } from "@azure/core-rest-pipeline";
import {
  AzureCliCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";
import { z } from "zod";
import type { AzureCredentialConfig } from "./config.js";

export interface CredentialSettings {
  credential: AzureCredentialConfig;
  authorityHost: string | undefined;
  disableInstanceDiscovery: boolean;
  httpClient: HttpClient | undefined;
  environment: NodeJS.ProcessEnv;
}

/** Who the tokens were issued to, from the token's claims (identifiers only). */
export interface TokenIdentity {
  tenantId?: string;
  appId?: string;
  objectId?: string;
  identityType?: string;
  managedIdentityResourceId?: string;
}

const claimsSchema = z.object({
  tid: z.string().optional(),
  appid: z.string().optional(),
  azp: z.string().optional(),
  oid: z.string().optional(),
  idtyp: z.string().optional(),
  xms_mirid: z.string().optional(),
});

/** Reads the identity claims of a JWT access token without verifying it (Azure verifies; we only describe). */
export function identityOfToken(token: string): TokenIdentity | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const claims = claimsSchema.safeParse(JSON.parse(Buffer.from(payload, "base64url").toString("utf8")));
    if (!claims.success) return undefined;
    const { tid, appid, azp, oid, idtyp, xms_mirid } = claims.data;
    return {
      ...(tid ? { tenantId: tid } : {}),
      ...((appid ?? azp) ? { appId: appid ?? azp } : {}),
      ...(oid ? { objectId: oid } : {}),
      ...(idtyp ? { identityType: idtyp } : {}),
      ...(xms_mirid ? { managedIdentityResourceId: xms_mirid } : {}),
    };
  } catch {
    return undefined;
  }
}

function createCredential(settings: CredentialSettings, tenantId: string): TokenCredential {
  const { credential } = settings;
  const common = {
    ...(settings.authorityHost ? { authorityHost: settings.authorityHost } : {}),
    ...(settings.httpClient ? { httpClient: settings.httpClient } : {}),
    // The SDK's own retries stay off here too: token endpoints answer fast or not at all.
  };
  const validation = settings.disableInstanceDiscovery ? { disableInstanceDiscovery: true } : {};
  switch (credential.type) {
    case "default":
      return new DefaultAzureCredential({
        ...common,
        ...validation,
        tenantId,
        ...(credential.managedIdentityClientId ? { managedIdentityClientId: credential.managedIdentityClientId } : {}),
      });
    case "clientSecret": {
      const secret = settings.environment[credential.clientSecretEnv];
      if (!secret) throw new Error(`environment variable ${credential.clientSecretEnv} (client secret of ${credential.clientId}) is not set`);
      return new ClientSecretCredential(tenantId, credential.clientId, secret, { ...common, ...validation });
    }
    case "clientCertificate":
      return new ClientCertificateCredential(tenantId, credential.clientId, { certificatePath: credential.certificatePath }, { ...common, ...validation });
    case "managedIdentity":
      return credential.clientId ? new ManagedIdentityCredential({ ...common, clientId: credential.clientId }) : new ManagedIdentityCredential({ ...common });
    case "workloadIdentity":
      return new WorkloadIdentityCredential({ ...common, ...validation, tenantId, ...(credential.clientId ? { clientId: credential.clientId } : {}) });
    case "azureCli":
      return new AzureCliCredential({ tenantId });
  }
}

/** A task's credential for one tenant, remembering who its tokens name and when they expire. */
class TaskCredential implements TokenCredential {
  identity: TokenIdentity | undefined;
  /** Expiry per audience (scope), epoch ms. */
  readonly expiries = new Map<string, number>();

  constructor(
    readonly tenantId: string,
    readonly kind: string,
    private readonly inner: TokenCredential,
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    const token = await this.inner.getToken(scopes, options);
    if (token) {
      this.identity = identityOfToken(token.token) ?? this.identity;
      this.expiries.set([scopes].flat().join(" "), token.expiresOnTimestamp);
    }
    return token;
  }

  expired(now: number): boolean {
    return this.expiries.size > 0 && [...this.expiries.values()].every((expiresOn) => expiresOn <= now);
  }
}

export class AzureSessionManager {
  private readonly held = new Map<string, TaskCredential>();

  constructor(
    private readonly settings: CredentialSettings,
    private readonly now: () => Date,
  ) {}

  private key(taskId: string, tenantId: string): string {
    return `${taskId}\u0000${tenantId.toLowerCase()}`;
  }

  /** The task's credential for a tenant, created on first use or when its tokens have expired. */
  credentialFor(taskId: string, tenantId: string): TokenCredential {
    const key = this.key(taskId, tenantId);
    const current = this.held.get(key);
    if (current && !current.expired(this.now().getTime())) return current;
    const created = new TaskCredential(tenantId, this.settings.credential.type, createCredential(this.settings, tenantId));
    this.held.set(key, created);
    return created;
  }

  /** One line per tenant the task holds tokens for: identity and expiry, never a token. */
  describe(taskId: string): string[] {
    const prefix = `${taskId}\u0000`;
    const lines: string[] = [];
    for (const [key, credential] of this.held) {
      if (!key.startsWith(prefix)) continue;
      const identity = credential.identity;
      const who = identity
        ? [
            identity.managedIdentityResourceId ? `managed identity ${identity.managedIdentityResourceId}` : undefined,
            identity.appId ? `client ${identity.appId}` : undefined,
            identity.objectId ? `object ${identity.objectId}` : undefined,
            identity.identityType ? `type ${identity.identityType}` : undefined,
          ]
            .filter((part): part is string => part !== undefined)
            .join(", ")
        : "no token acquired yet";
      const expiries = [...credential.expiries.entries()].map(([scope, expiresOn]) => `${scope} until ${new Date(expiresOn).toISOString()}`);
      lines.push(`tenant ${identity?.tenantId ?? credential.tenantId} via ${credential.kind} credential: ${who}${expiries.length ? `; tokens for ${expiries.join(", ")}` : ""}`);
    }
    return lines;
  }

  endTask(taskId: string): void {
    const prefix = `${taskId}\u0000`;
    const kept = [...this.held].filter(([key]) => !key.startsWith(prefix));
    this.held.clear();
    for (const [key, credential] of kept) this.held.set(key, credential);
  }

  endAll(): void {
    this.held.clear();
  }
}
