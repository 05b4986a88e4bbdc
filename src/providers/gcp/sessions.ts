/**
 * Credentials per task. Without impersonation every task uses Application Default Credentials.
 * With `impersonateServiceAccount`, each task gets its own access token of that read-only
 * account (IAM Credentials generateAccessToken, lifetime of minutes), held by a client that
 * cannot refresh itself: the token is replaced shortly before it expires and dropped when the
 * task ends (also when it ends while the token is being minted), and the audit record names the
 * account, never the token. Every auth client gets the read-only wire guard (read-guard.ts).
 */
import { GoogleAuth, Impersonated, OAuth2Client, type AuthClient } from "google-auth-library";
import type { GcpCallRunner } from "./calls.js";
import { createGcpClients, type GcpClients, type RegionalEndpoints, type ResolvedEndpoints } from "./clients.js";
import { GCP_READ_APIS } from "./reads.js";
import { guardReadOnly, type WriteGuardRules } from "./read-guard.js";

export const CLOUD_PLATFORM_READ_SCOPE = "https://www.googleapis.com/auth/cloud-platform.read-only";
/** Cloud Identity groups and their members, read-only; cloud-platform.read-only does not cover the Groups API. */
export const CLOUD_IDENTITY_GROUPS_READ_SCOPE = "https://www.googleapis.com/auth/cloud-identity.groups.readonly";
/** What every token used for reading carries: both read-only scopes. */
export const READ_SCOPES: readonly string[] = [CLOUD_PLATFORM_READ_SCOPE, CLOUD_IDENTITY_GROUPS_READ_SCOPE];
/**
 * The narrowest scope IAM Credentials generateAccessToken accepts on the caller's token (it takes
 * `iam` or `cloud-platform`); the minted token itself only gets the read-only scope.
 */
export const IAM_SCOPE = "https://www.googleapis.com/auth/iam";
/** Tokens are replaced this long before they expire, so no call runs on a dying credential. */
export const TOKEN_REFRESH_MARGIN_MS = 60_000;

export interface GcpBaseCredentials {
  authClient: AuthClient;
  /** Who the credentials belong to, for the audit record (e.g. an email). */
  account?: string;
}

export interface GcpSessionInfo {
  serviceAccount: string;
  expiresAt: string;
  lifetimeSeconds: number;
}

export interface GcpSession {
  clients: GcpClients;
  /** Absent for Application Default Credentials. */
  info?: GcpSessionInfo;
}

export interface GcpSessionManagerOptions {
  endpoints: ResolvedEndpoints;
  /** Regional Secret Manager endpoints of the configured locations. */
  regionalSecretManager?: RegionalEndpoints | undefined;
  impersonate: string | undefined;
  lifetimeSeconds: number;
  now: () => Date;
  base?: GcpBaseCredentials | undefined;
}

/** The scopes requested for the ADC token: only what its use needs. */
export function sourceScope(impersonating: boolean): readonly string[] {
  return impersonating ? [IAM_SCOPE] : READ_SCOPES;
}

/**
 * Application Default Credentials: key file, gcloud user credentials or the metadata server.
 * The scope holds for service account keys and most metadata servers; gcloud user credentials
 * keep the scopes they were granted at login.
 */
export async function applicationDefaultCredentials(scopes: readonly string[]): Promise<GcpBaseCredentials> {
  const auth = new GoogleAuth({ scopes: [...scopes] });
  const authClient = await auth.getClient();
  const credentials = await auth.getCredentials().catch(() => ({ client_email: undefined }));
  return { authClient, ...(credentials.client_email ? { account: credentials.client_email } : {}) };
}

export class GcpSessionManager {
  private base: Promise<GcpBaseCredentials> | undefined;
  private baseClients: GcpClients | undefined;
  private readonly sessions = new Map<string, Promise<GcpSession>>();
  private readonly settled = new Map<string, GcpSession>();
  private readonly guardRules: WriteGuardRules;

  constructor(private readonly options: GcpSessionManagerOptions) {
    this.guardRules = { endpoints: options.endpoints, regionalSecretManager: options.regionalSecretManager ?? new Map(), reader: options.impersonate };
    if (options.base) {
      guardReadOnly(options.base.authClient, this.guardRules);
      this.base = Promise.resolve(options.base);
    }
  }

  private baseCredentials(): Promise<GcpBaseCredentials> {
    const base = (this.base ??= applicationDefaultCredentials(sourceScope(this.options.impersonate !== undefined)).then((credentials) => {
      guardReadOnly(credentials.authClient, this.guardRules);
      return credentials;
    }));
    base.catch(() => {
      if (this.base === base) this.base = undefined;
    });
    return base;
  }

  /**
   * Proves the base credentials work by obtaining an access token (never shown) and names their
   * account when ADC says it; impersonation, when configured, happens per task on top of it.
   */
  async checkBase(): Promise<{ account: string | undefined; impersonates: string | undefined }> {
    const base = await this.baseCredentials();
    const token = await base.authClient.getAccessToken();
    if (!token.token) throw new Error("application default credentials gave no access token");
    this.baseAccount = base.account;
    return { account: base.account, impersonates: this.options.impersonate };
  }

  /** The account behind ADC once known, for the audit record. */
  baseAccount: string | undefined;

  async session(taskId: string, runner: GcpCallRunner): Promise<GcpSession> {
    if (!this.options.impersonate) {
      const base = await this.baseCredentials();
      this.baseAccount = base.account;
      this.baseClients ??= createGcpClients(base.authClient, this.options.endpoints, this.options.regionalSecretManager);
      return { clients: this.baseClients };
    }
    const pending = this.sessions.get(taskId);
    if (pending) {
      const current = await pending.catch(() => undefined);
      const expiresAt = current?.info ? Date.parse(current.info.expiresAt) : 0;
      if (current && expiresAt - TOKEN_REFRESH_MARGIN_MS > this.options.now().getTime()) return current;
      // The old token is about to expire: clear it now, as nothing could reach it after replacement.
      if (this.sessions.get(taskId) === pending) this.forget(taskId);
      else return this.session(taskId, runner);
    }
    const created = this.impersonate(this.options.impersonate, runner);
    this.sessions.set(taskId, created);
    created.then(
      (session) => {
        // The task ended (or was given a newer token) while this one was minted: drop it.
        if (this.sessions.get(taskId) === created) this.settled.set(taskId, session);
        else dropSession(session);
      },
      () => {
        if (this.sessions.get(taskId) === created) this.sessions.delete(taskId);
      },
    );
    return created;
  }

  private async impersonate(serviceAccount: string, runner: GcpCallRunner): Promise<GcpSession> {
    const base = await this.baseCredentials();
    this.baseAccount = base.account;
    const lifetimeSeconds = this.options.lifetimeSeconds;
    const minting = new Impersonated({
      sourceClient: base.authClient,
      targetPrincipal: serviceAccount,
      lifetime: lifetimeSeconds,
      delegates: [],
      targetScopes: [...READ_SCOPES],
      endpoint: this.options.endpoints.iamCredentials,
    });
    const minted = await runner.call(GCP_READ_APIS.generateAccessToken.api, undefined, () => minting.getAccessToken());
    const expiry = minting.credentials.expiry_date;
    if (!minted.token || typeof expiry !== "number") throw new Error(`generateAccessToken returned no token for ${serviceAccount}`);
    // A client holding only this token: it cannot mint another, so the token's life is the session's.
    const holder = new OAuth2Client({ eagerRefreshThresholdMillis: 0 });
    guardReadOnly(holder, this.guardRules);
    holder.setCredentials({ access_token: minted.token, expiry_date: expiry, token_type: "Bearer" });
    return {
      clients: createGcpClients(holder, this.options.endpoints, this.options.regionalSecretManager),
      info: { serviceAccount, expiresAt: new Date(expiry).toISOString(), lifetimeSeconds },
    };
  }

  sessionInfo(taskId: string): GcpSessionInfo | undefined {
    return this.settled.get(taskId)?.info;
  }

  endTask(taskId: string): void {
    this.forget(taskId);
  }

  endAll(): void {
    for (const taskId of [...this.sessions.keys()]) this.forget(taskId);
    this.baseClients?.close();
    this.baseClients = undefined;
  }

  /** Drops the task's session; one still being minted is dropped when it arrives (see `session`). */
  private forget(taskId: string): void {
    const session = this.settled.get(taskId);
    if (session) dropSession(session);
    this.settled.delete(taskId);
    this.sessions.delete(taskId);
  }
}

/** Clears the token from its holder and closes the clients, so nothing can send with it again. */
function dropSession(session: GcpSession): void {
  session.clients.authClient.credentials = {};
  session.clients.close();
}
