/**
 * Credentials per task. Without impersonation every task uses Application Default Credentials.
 * With `impersonateServiceAccount`, each task gets its own access token of that read-only
 * account (IAM Credentials generateAccessToken, lifetime of minutes), held by a client that
 * cannot refresh itself: the token is replaced shortly before it expires and dropped when the
 * task ends, and the audit record names the account, never the token.
 */
import { GoogleAuth, Impersonated, OAuth2Client, type AuthClient } from "google-auth-library";
import type { GcpCallRunner } from "./calls.js";
import { createGcpClients, type GcpClients, type ResolvedEndpoints } from "./clients.js";
import { GCP_READ_APIS } from "./reads.js";

export const CLOUD_PLATFORM_READ_SCOPE = "https://www.googleapis.com/auth/cloud-platform.read-only";
/** IAM Credentials needs cloud-platform on the caller; the minted token only gets the read-only scope. */
const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";
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
  impersonate: string | undefined;
  lifetimeSeconds: number;
  now: () => Date;
  base?: GcpBaseCredentials | undefined;
}

/** Application Default Credentials: key file, gcloud user credentials or the metadata server. */
async function applicationDefaultCredentials(scope: string): Promise<GcpBaseCredentials> {
  const auth = new GoogleAuth({ scopes: [scope] });
  const authClient = await auth.getClient();
  const credentials = await auth.getCredentials().catch(() => ({ client_email: undefined }));
  return { authClient, ...(credentials.client_email ? { account: credentials.client_email } : {}) };
}

export class GcpSessionManager {
  private base: Promise<GcpBaseCredentials> | undefined;
  private baseClients: GcpClients | undefined;
  private readonly sessions = new Map<string, Promise<GcpSession>>();
  private readonly settled = new Map<string, GcpSession>();

  constructor(private readonly options: GcpSessionManagerOptions) {
    if (options.base) this.base = Promise.resolve(options.base);
  }

  private baseCredentials(): Promise<GcpBaseCredentials> {
    // Impersonation needs cloud-platform on the source token; otherwise read-only is enough.
    this.base ??= applicationDefaultCredentials(this.options.impersonate ? CLOUD_PLATFORM_SCOPE : CLOUD_PLATFORM_READ_SCOPE);
    this.base.catch(() => {
      this.base = undefined;
    });
    return this.base;
  }

  /** The account behind ADC once known, for the audit record. */
  baseAccount: string | undefined;

  async session(taskId: string, runner: GcpCallRunner): Promise<GcpSession> {
    if (!this.options.impersonate) {
      const base = await this.baseCredentials();
      this.baseAccount = base.account;
      this.baseClients ??= createGcpClients(base.authClient, this.options.endpoints);
      return { clients: this.baseClients };
    }
    const pending = this.sessions.get(taskId);
    if (pending) {
      const current = await pending.catch(() => undefined);
      const expiresAt = current?.info ? Date.parse(current.info.expiresAt) : 0;
      if (current && expiresAt - TOKEN_REFRESH_MARGIN_MS > this.options.now().getTime()) return current;
      // Calls still running on the old token keep their clients; only endTask closes them.
      if (this.sessions.get(taskId) === pending) this.forget(taskId, false);
      else return this.session(taskId, runner);
    }
    const created = this.impersonate(this.options.impersonate, runner);
    this.sessions.set(taskId, created);
    created.then(
      (session) => this.settled.set(taskId, session),
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
      targetScopes: [CLOUD_PLATFORM_READ_SCOPE],
      endpoint: this.options.endpoints.iamCredentials,
    });
    const minted = await runner.call(GCP_READ_APIS.generateAccessToken.api, undefined, () => minting.getAccessToken());
    const expiry = minting.credentials.expiry_date;
    if (!minted.token || typeof expiry !== "number") throw new Error(`generateAccessToken returned no token for ${serviceAccount}`);
    // A client holding only this token: it cannot mint another, so the token's life is the session's.
    const holder = new OAuth2Client({ eagerRefreshThresholdMillis: 0 });
    holder.setCredentials({ access_token: minted.token, expiry_date: expiry, token_type: "Bearer" });
    return {
      clients: createGcpClients(holder, this.options.endpoints),
      info: { serviceAccount, expiresAt: new Date(expiry).toISOString(), lifetimeSeconds },
    };
  }

  sessionInfo(taskId: string): GcpSessionInfo | undefined {
    return this.settled.get(taskId)?.info;
  }

  endTask(taskId: string): void {
    this.forget(taskId, true);
  }

  endAll(): void {
    for (const taskId of [...this.sessions.keys()]) this.forget(taskId, true);
    this.baseClients?.close();
    this.baseClients = undefined;
  }

  private forget(taskId: string, closeClients: boolean): void {
    const session = this.settled.get(taskId);
    if (closeClients && session) {
      session.clients.authClient.credentials = {};
      session.clients.close();
    }
    this.settled.delete(taskId);
    this.sessions.delete(taskId);
  }
}
