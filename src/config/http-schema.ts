/**
 * The `http` section of the config: where `wiam serve --http` listens, which Host and Origin
 * headers it accepts (DNS rebinding), how large a request may be, and how callers authenticate.
 * The combination rules (no `auth: none` off loopback) live in the superRefine below so an admin
 * learns at load time, not when the first request arrives.
 */
import { isIP } from "node:net";
import { z } from "zod";

/** Signing algorithms accepted by default: asymmetric only, so a public key can never act as an HMAC secret. */
export const DEFAULT_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;

const httpsOrLoopbackUrl = z
  .url({ protocol: /^https?$/ })
  .refine((value) => new URL(value).protocol === "https:" || isLoopbackHost(new URL(value).hostname), "must be an https URL (http only on a loopback host)");

export const oauthConfigSchema = z.strictObject({
  type: z.literal("oauth"),
  /** The authorization server's issuer identifier; tokens must carry exactly this `iss`. */
  issuer: httpsOrLoopbackUrl,
  /** Where the issuer's signing keys are; default: `jwks_uri` from its discovery document. */
  jwksUri: httpsOrLoopbackUrl.optional(),
  requiredScopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, "a scope is one word of printable ASCII without quotes or backslashes")).default([]),
  /** The claim that names the caller; the Cedar principal is `<iss>|<claim value>`. */
  callerClaim: z.string().min(1).max(64).default("sub"),
  /**
   * A claim holding the caller's groups or roles (array of strings, or one space-separated string);
   * a dotted path reaches into nested claims (`realm_access.roles`) unless a claim has that exact name.
   */
  groupsClaim: z.string().min(1).max(128).optional(),
  algorithms: z.array(z.enum(DEFAULT_TOKEN_ALGORITHMS)).min(1).default([...DEFAULT_TOKEN_ALGORITHMS]),
  /** Seconds of clock skew tolerated for `exp` and `nbf`. */
  clockSkewSeconds: z.number().int().min(0).max(300).default(30),
});

export const noAuthConfigSchema = z.strictObject({ type: z.literal("none") });

export const httpConfigSchema = z
  .strictObject({
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65_535).default(8787),
    /** This server's resource URI (RFC 8707/9728): the audience tokens must carry. */
    resource: httpsOrLoopbackUrl.optional(),
    /** Host header values accepted besides loopback names (DNS rebinding protection). */
    allowedHosts: z.array(z.string().min(1)).default([]),
    /** Origin header values accepted from browsers; requests without an Origin are not browsers. */
    allowedOrigins: z.array(z.url()).default([]),
    maxBodyBytes: z.number().int().min(1_024).max(64 * 1024 * 1024).default(1_048_576),
    /** Seconds a shutdown waits for calls in flight before closing their connections. */
    drainSeconds: z.number().int().min(0).max(600).default(20),
    /**
     * Seconds a client has to send a whole request (headers and body); a client trickling a body is
     * cut off with 408. The answer (a long call, an approval wait) is not bounded by this.
     */
    requestTimeoutSeconds: z.number().int().min(1).max(600).default(60),
    /**
     * Addresses of reverse proxies in front of the server. Only a request from one of them has its
     * `X-Forwarded-For` read (the address the proxy appended) as the audit record's source address;
     * from anyone else the header is ignored and the socket's peer address is recorded.
     */
    trustedProxies: z.array(z.string().refine((value) => isIP(value) !== 0, "must be an IP address (IPv4 or IPv6), not a name or a range")).max(32).default([]),
    /** No default: serving without authentication must be asked for by name. */
    auth: z.discriminatedUnion("type", [oauthConfigSchema, noAuthConfigSchema]).optional(),
  })
  .superRefine((http, ctx) => {
    if (http.auth?.type === "oauth" && http.resource === undefined) {
      ctx.addIssue({ code: "custom", path: ["resource"], message: "is required with auth.type oauth: it is the audience tokens must carry" });
    }
  });

export type HttpConfig = z.infer<typeof httpConfigSchema>;
export type OAuthConfig = z.infer<typeof oauthConfigSchema>;

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (LOOPBACK_NAMES.has(host) || LOOPBACK_NAMES.has(bare)) return true;
  return isIP(bare) === 4 && bare.startsWith("127.");
}

/**
 * Why this HTTP setting must not start, or null. Without authentication anyone who can reach the
 * port is the caller, so `auth: none` is for loopback only; any other address needs OAuth.
 */
export function httpStartRefusal(http: HttpConfig): string | null {
  if (http.auth === undefined) {
    return "http.auth is not set: configure http.auth.type oauth (an authorization server) or, on a loopback address only, http.auth.type none";
  }
  if (http.auth.type === "none" && !isLoopbackHost(http.host)) {
    return `http.auth.type is none but http.host ${http.host} is not a loopback address: anyone who can reach it would call the tools unauthenticated. Bind to 127.0.0.1 or configure http.auth.type oauth`;
  }
  return null;
}
