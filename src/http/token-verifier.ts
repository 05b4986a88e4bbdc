/**
 * Bearer token verification for the HTTP transport, as an OAuth 2.1 resource server: a JWT signed
 * by the configured issuer (keys from its JWKS), with an allowed asymmetric algorithm, `iss` equal
 * to the issuer, `aud` naming this server's resource URI (RFC 8707), `exp` present and `exp`/`nbf`
 * within a small skew, and the required scopes. The token itself is never kept, logged or
 * forwarded: what comes out is who the caller is.
 *
 * Keys: the last JWKS fetched stays in use, so a key the server already knows keeps verifying
 * tokens while the issuer's JWKS endpoint is down. A token naming an unknown key triggers one
 * refetch (at most one per cooldown, so random `kid`s cannot hammer the issuer); if that fetch
 * fails the token cannot be judged, which is a 503, not a 401. Keys older than five minutes are
 * read again before the next full verification, so a key the issuer withdrew stops verifying
 * within minutes, and a token verified once is trusted from the cache for at most five minutes
 * (and never after the key set changed), not until its own expiry.
 */
import { createHash } from "node:crypto";
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { z } from "zod";
import { isLoopbackHost, type OAuthConfig } from "../config/http-schema.js";
import type { AuthenticatedCaller } from "../pipeline/call-pipeline.js";

/** Why a token was refused, mapped to an HTTP answer by the transport. */
export class TokenRejection extends Error {
  constructor(
    readonly status: 401 | 403 | 503,
    /** RFC 6750 error code. */
    readonly errorCode: "invalid_token" | "insufficient_scope" | "temporarily_unavailable",
    /** What the caller may read: nothing that helps forge a token. */
    readonly publicDescription: string,
    /** What the server log gets (never the token). */
    readonly internalReason: string,
  ) {
    super(internalReason);
    this.name = "TokenRejection";
  }
}

export interface VerifiedCaller {
  /** `<issuer>|<caller claim>`: the Cedar principal id, the audit caller, the budget key. */
  caller: string;
  authenticated: AuthenticatedCaller;
  /** Seconds since the epoch. */
  expiresAt: number;
}

export interface TokenVerifierOptions {
  fetch?: typeof fetch;
  /** Seconds since the epoch; injected so tests can move time. */
  now?: () => number;
  /** Seconds between refetches caused by unknown key ids. */
  refetchCooldownSeconds?: number;
  fetchTimeoutMs?: number;
  /** Told (without the token) when a token's groups were left out by its issuer; the caller is served without them. */
  onGroupsOmitted?: (caller: string) => void;
}

const jwksSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string() })).max(100) });
const discoverySchema = z.looseObject({ issuer: z.string(), jwks_uri: z.url() });
const MAX_DOCUMENT_BYTES = 256 * 1024;
const MAX_GROUPS = 200;
/** Tokens already verified, by SHA-256: a client sends the same token on every request of a session. */
const VERIFIED_CACHE_SIZE = 10_000;
/** How long a verified token is trusted without checking its key again (bounded by its own exp). */
const VERIFIED_CACHE_SECONDS = 300;
/** How long a fetched JWKS is used before it is read again (a withdrawn key stops verifying). */
const JWKS_MAX_AGE_SECONDS = 300;

/** A document an issuer serves may point at keys over http only when the issuer itself is http on loopback (a test or local setup). */
function keysUrlRefusal(keysUrl: string, issuer: string): string | null {
  const keys = new URL(keysUrl);
  if (keys.protocol === "https:") return null;
  const issuerUrl = new URL(issuer);
  const loopback = (host: string) => isLoopbackHost(host);
  if (keys.protocol === "http:" && issuerUrl.protocol === "http:" && loopback(issuerUrl.hostname) && loopback(keys.hostname)) return null;
  return `jwks_uri ${keysUrl} is not https (http is accepted only from an http issuer on loopback)`;
}

/** `scope` (RFC 9068, space-separated) or `scp` (Entra ID, Okta: a string or an array). */
function scopesOf(payload: JWTPayload): string[] {
  const words = (value: unknown): string[] =>
    typeof value === "string" ? value.split(" ").filter((w) => w.length > 0) : Array.isArray(value) ? value.filter((w): w is string => typeof w === "string") : [];
  return [...new Set([...words(payload.scope), ...words(payload.scp)])];
}

/**
 * The claim's value: a top-level claim of exactly that name first (Okta and Auth0 name custom
 * claims with URLs, dots included), else a dotted path into nested objects, as Keycloak puts roles
 * in `realm_access.roles` and `resource_access.<client>.roles`.
 */
export function claimAt(payload: JWTPayload, name: string): unknown {
  if (Object.hasOwn(payload, name)) return payload[name];
  let value: unknown = payload;
  for (const step of name.split(".")) {
    if (typeof value !== "object" || value === null || Array.isArray(value) || !Object.hasOwn(value, step)) return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}

/**
 * The caller's groups. When a token holds too many groups, Entra ID leaves them out and names a
 * Graph query instead (`_claim_names`, the "groups overage"); the server never calls Graph with a
 * caller's token, so such a caller has no groups here: fewer groups only ever grant less.
 */
function groupsOf(payload: JWTPayload, claim: string | undefined): { groups: string[]; overage: boolean } {
  if (claim === undefined) return { groups: [], overage: false };
  const value = claimAt(payload, claim);
  const claimNames = payload._claim_names;
  const overage = value === undefined && typeof claimNames === "object" && claimNames !== null && Object.hasOwn(claimNames, claim);
  const list = typeof value === "string" ? value.split(" ") : Array.isArray(value) ? value : [];
  return { groups: [...new Set(list.filter((g): g is string => typeof g === "string" && g.length > 0 && g.length <= 256))].slice(0, MAX_GROUPS), overage };
}

export class TokenVerifier {
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private readonly cooldownSeconds: number;
  private readonly fetchTimeoutMs: number;
  private readonly onGroupsOmitted: ((caller: string) => void) | undefined;
  private keys: JWTVerifyGetKey | null = null;
  private lastFetchAttempt = Number.NEGATIVE_INFINITY;
  /** When the keys in use were read, and what they were (a change empties the verified-token cache). */
  private keysFetchedAt = Number.NEGATIVE_INFINITY;
  private keysText = "";
  private fetching: Promise<void> | null = null;
  private jwksUri: string | null;
  private readonly verified = new Map<string, VerifiedCaller & { notBefore: number; cachedUntil: number }>();

  constructor(
    private readonly config: OAuthConfig,
    /** This server's resource URI: the audience every token must name. */
    private readonly resource: string,
    options: TokenVerifierOptions = {},
  ) {
    this.fetchImpl = options.fetch ?? fetch;
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
    this.cooldownSeconds = options.refetchCooldownSeconds ?? 30;
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 5_000;
    this.onGroupsOmitted = options.onGroupsOmitted;
    this.jwksUri = config.jwksUri ?? null;
  }

  /** Verifies a bearer token; throws TokenRejection with the answer the client gets. */
  async verify(token: string): Promise<VerifiedCaller> {
    const invalid = (reason: string) => new TokenRejection(401, "invalid_token", "the access token is not valid", reason);
    if (token.length === 0 || token.length > 16_384) throw invalid("token empty or over 16 KiB");
    // A token verified in the last few minutes is good again (only the clock is checked) until its
    // own exp, from its nbf; after that it is verified again, against the keys as they are now.
    const digest = createHash("sha256").update(token).digest("base64url");
    const known = this.verified.get(digest);
    if (known !== undefined) {
      const now = this.now();
      const skew = this.config.clockSkewSeconds;
      if (now > known.expiresAt + skew || now < known.notBefore - skew) {
        this.verified.delete(digest);
        throw invalid("token expired (or not yet valid) since it was first verified");
      }
      if (now <= known.cachedUntil) return known;
      this.verified.delete(digest);
    }
    await this.ensureKeys();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keyLookup, {
        issuer: this.config.issuer,
        audience: this.resource,
        algorithms: this.config.algorithms,
        clockTolerance: this.config.clockSkewSeconds,
        currentDate: new Date(this.now() * 1000),
        requiredClaims: ["exp"],
      }));
    } catch (error) {
      if (error instanceof TokenRejection) throw error;
      throw invalid(error instanceof joseErrors.JOSEError ? `${error.code}: ${error.message}` : "token could not be verified");
    }
    const claim = payload[this.config.callerClaim];
    if (typeof claim !== "string" || claim.length === 0 || claim.length > 256) throw invalid(`claim ${this.config.callerClaim} missing or not a short string`);
    const scopes = scopesOf(payload);
    const missing = this.config.requiredScopes.filter((s) => !scopes.includes(s));
    if (missing.length > 0) {
      throw new TokenRejection(403, "insufficient_scope", `the access token lacks the scope${missing.length > 1 ? "s" : ""} ${missing.join(" ")}`, `missing scopes ${missing.join(" ")}`);
    }
    const clientId = typeof payload.azp === "string" ? payload.azp : typeof payload.client_id === "string" ? payload.client_id : "";
    const issuer = this.config.issuer;
    const { groups, overage } = groupsOf(payload, this.config.groupsClaim);
    if (overage) this.onGroupsOmitted?.(`${issuer}|${claim}`);
    const caller: VerifiedCaller = {
      caller: `${issuer}|${claim}`,
      authenticated: { issuer, subject: claim, clientId, groups, scopes },
      expiresAt: payload.exp ?? 0,
    };
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.clear();
    this.verified.set(digest, { ...caller, notBefore: payload.nbf ?? 0, cachedUntil: Math.min(caller.expiresAt, this.now() + VERIFIED_CACHE_SECONDS) });
    return caller;
  }

  /** Looks a key up in the cached JWKS; an unknown key id refetches once per cooldown. */
  private readonly keyLookup: JWTVerifyGetKey = async (header, token) => {
    const current = this.keys;
    if (current === null) throw new TokenRejection(503, "temporarily_unavailable", "the authorization server's keys cannot be read; try again later", "no JWKS loaded");
    try {
      return await current(header, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey) || this.now() - this.lastFetchAttempt < this.cooldownSeconds) throw error;
    }
    await (this.fetching ?? this.refetch());
    if (this.keys === null || this.keys === current) throw new joseErrors.JWKSNoMatchingKey();
    return this.keys(header, token);
  };

  private async ensureKeys(): Promise<void> {
    if (this.keys !== null) {
      // Old keys are read again (at most once per cooldown); while the issuer is down they stay in use.
      const now = this.now();
      if (now - this.keysFetchedAt >= JWKS_MAX_AGE_SECONDS && now - this.lastFetchAttempt >= this.cooldownSeconds) {
        await (this.fetching ?? this.refetch()).catch(() => undefined);
      }
      return;
    }
    if (this.fetching !== null) return this.fetching;
    // While the issuer is down, a burst of requests makes one fetch every few seconds, not one each.
    if (this.now() - this.lastFetchAttempt < Math.min(this.cooldownSeconds, 5)) {
      throw new TokenRejection(503, "temporarily_unavailable", "the authorization server's keys cannot be read; try again later", "JWKS fetch failed moments ago");
    }
    await this.refetch();
  }

  /** One fetch at a time; failure keeps whatever keys were known and surfaces as 503 to the token that needed new ones. */
  private refetch(): Promise<void> {
    this.fetching ??= (async () => {
      this.lastFetchAttempt = this.now();
      try {
        const uri = this.jwksUri ?? (await this.discoverJwksUri());
        this.jwksUri = uri;
        const jwks = jwksSchema.parse(await this.fetchJson(uri));
        this.keys = createLocalJWKSet(jwks as JSONWebKeySet);
        this.keysFetchedAt = this.now();
        // Tokens verified with a key that may be gone now are verified again.
        const keysText = JSON.stringify(jwks.keys);
        if (keysText !== this.keysText) this.verified.clear();
        this.keysText = keysText;
      } catch (error) {
        throw new TokenRejection(503, "temporarily_unavailable", "the authorization server's keys cannot be read; try again later", `JWKS unavailable: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        this.fetching = null;
      }
    })();
    return this.fetching;
  }

  /** The issuer's `jwks_uri` from OpenID Connect discovery, else RFC 8414 metadata. */
  private async discoverJwksUri(): Promise<string> {
    const issuer = this.config.issuer.replace(/\/$/, "");
    const url = new URL(this.config.issuer);
    const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
    const candidates = [`${issuer}/.well-known/openid-configuration`, `${url.origin}/.well-known/oauth-authorization-server${path}`];
    let lastError: unknown = null;
    for (const candidate of candidates) {
      try {
        const document = discoverySchema.parse(await this.fetchJson(candidate));
        if (document.issuer !== this.config.issuer) throw new Error(`discovery document names issuer ${document.issuer}, not the configured one`);
        const refusal = keysUrlRefusal(document.jwks_uri, this.config.issuer);
        if (refusal !== null) throw new Error(refusal);
        return document.jwks_uri;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError instanceof Error ? lastError : new Error("discovery failed");
  }

  private async fetchJson(url: string): Promise<unknown> {
    const response = await this.fetchImpl(url, { signal: AbortSignal.timeout(this.fetchTimeoutMs), headers: { accept: "application/json" }, redirect: "error" });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return JSON.parse(await boundedText(response, MAX_DOCUMENT_BYTES, url)) as unknown;
  }
}

/** The body as text, read no further than `limit` bytes: an endless or huge document is cut off, not buffered. */
async function boundedText(response: Response, limit: number, url: string): Promise<string> {
  const tooLarge = () => new Error(`${url}: document over ${limit} bytes`);
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
