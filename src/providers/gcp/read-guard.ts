/**
 * Read-only on the wire: a request interceptor on every auth client the connector sends through
 * refuses, before anything leaves the process, any request that is not a GET, except the reads
 * Google serves as POST (getIamPolicy on organizations, folders, projects and service accounts)
 * and Logging's entries.list, and minting a token for the configured reader account. GETs that
 * would return secret or key material (a secret version's payload, an object's data) are refused
 * too, and on the Secret Manager (global, and each configured location's regional endpoint), Cloud
 * KMS, Cloud Storage and Cloud Identity endpoints only the listings and IAM policies the connector
 * reads pass; a GET to a Google host that is not a configured endpoint is refused (a host with a
 * trailing dot is the same host, and a public IP literal counts as a Google host), and no redirect
 * is followed. Every Google client here sends through
 * its auth client (gax REST fallback via `AuthClient.fetch`, googleapis and the Policy Analyzer
 * via `request`, impersonation via the source client), so this one check covers them all.
 */
import type { AuthClient } from "google-auth-library";
import type { RegionalEndpoints, ResolvedEndpoints } from "./clients.js";

export interface WriteGuardRules {
  endpoints: ResolvedEndpoints;
  /** Regional Secret Manager endpoints by location (secretManagerLocations); none when absent. */
  regionalSecretManager?: RegionalEndpoints | undefined;
  /** The only account generateAccessToken may be called for (impersonateServiceAccount). */
  reader: string | undefined;
}

/** The auth library's own token exchanges (refreshing ADC) go to these hosts and paths. */
const TOKEN_EXCHANGES: ReadonlyArray<{ host: string; path: string }> = [
  { host: "oauth2.googleapis.com", path: "/token" },
  { host: "www.googleapis.com", path: "/oauth2/v4/token" },
  { host: "sts.googleapis.com", path: "/v1/token" },
];

const SCOPE_GET_IAM_POLICY = /^\/v3\/(organizations|folders|projects)\/[^/:]+:getIamPolicy$/;
const SERVICE_ACCOUNT_GET_IAM_POLICY = /^\/v1\/projects\/[^/]+\/serviceAccounts\/[^/:]+:getIamPolicy$/;
const GENERATE_ACCESS_TOKEN = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/;
/** Logging serves its listing of log entries as POST (the filter goes in the body). */
const LIST_LOG_ENTRIES = /^\/v2\/entries:list$/;

/**
 * The URL with its host's trailing dots removed: `storage.googleapis.com.` (fully qualified) is the
 * same host as `storage.googleapis.com`, and must meet the same rules.
 */
function canonicalHost(url: URL): URL {
  if (!url.hostname.endsWith(".")) return url;
  const copy = new URL(url.href);
  copy.hostname = url.hostname.replace(/\.+$/, "");
  return copy;
}

/** The path below `endpoint` when `url` is on it; undefined otherwise. */
function pathOn(endpoint: string, url: URL): string | undefined {
  const base = canonicalHost(new URL(endpoint));
  if (base.origin !== url.origin) return undefined;
  const prefix = base.pathname.replace(/\/+$/, "");
  if (!url.pathname.startsWith(`${prefix}/`)) return undefined;
  return decodeURIComponent(url.pathname.slice(prefix.length));
}

/**
 * Reads that would return secret or key material, refused on any host: a secret version's payload,
 * a storage object's data (JSON API object paths, the download and upload hosts' paths).
 */
const SECRET_MATERIAL: readonly RegExp[] = [
  /\/secrets\/[^/]+\/versions\/[^/]+:access$/,
  /^\/(?:download\/|upload\/)?storage\/v1\/b\/[^/]+\/o(?:\/|$)/,
  /^\/(?:download|upload)\//,
];

/**
 * A managed folder's IAM policy, on the decoded path. Folder names follow object names: any segment
 * may start with "." (`.cache/`, `a/.well-known/`); only "." and ".." segments are refused, so a
 * name cannot climb out of the bucket's managedFolders (WHATWG URL already resolves literal and
 * %2E dot segments; an encoded "/" is decoded before this test).
 */
const MANAGED_FOLDER_IAM_POLICY = /^\/storage\/v1\/b\/[^/]+\/managedFolders\/(?:(?!\.\.?\/)[^/]+\/)+\/?iam$/;

/**
 * On the endpoints of the services that hold secrets and keys, and Cloud Identity, only these GETs
 * are sent: the listings and IAM policies the connector reads, nothing else those services serve.
 */
const GET_ALLOWED: Readonly<Record<"secretManager" | "kms" | "storage" | "cloudIdentity", readonly RegExp[]>> = {
  secretManager: [/^\/v1\/projects\/[^/]+\/secrets$/, /^\/v1\/projects\/[^/]+\/secrets\/[^/:]+:getIamPolicy$/],
  kms: [
    /^\/v1\/projects\/[^/]+\/locations$/,
    /^\/v1\/projects\/[^/]+\/locations\/[^/]+\/keyRings$/,
    /^\/v1\/projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/:]+:getIamPolicy$/,
    /^\/v1\/projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/:]+\/cryptoKeys$/,
    /^\/v1\/projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/:]+\/cryptoKeys\/[^/:]+:getIamPolicy$/,
  ],
  storage: [/^\/storage\/v1\/b$/, /^\/storage\/v1\/b\/[^/]+\/iam$/, /^\/storage\/v1\/b\/[^/]+\/managedFolders$/, MANAGED_FOLDER_IAM_POLICY],
  cloudIdentity: [/^\/v1\/groups$/, /^\/v1\/groups:lookup$/, /^\/v1\/groups\/[^/]+\/memberships$/],
};

/**
 * What a path of a guarded service looks like, on whatever endpoint it arrives: where one proxy or
 * emulator serves every API, a path that looks like a guarded service's passes only its allowlist.
 */
const GUARDED_SHAPE: Readonly<Record<keyof typeof GET_ALLOWED, RegExp>> = {
  secretManager: /^\/v1[a-z0-9]*\/projects\/[^/]+\/(?:locations\/[^/]+\/)?secrets(?:[/:]|$)/,
  kms: /\/(?:keyRings|cryptoKeys|cryptoKeyVersions|importJobs|ekmConnections|ekmConfig)(?:[/:]|$)/,
  storage: /^\/(?:storage|download|upload|batch\/storage)\//,
  cloudIdentity: /^\/v1[a-z0-9]*\/(?:groups|devices|customers|inboundSamlSsoProfiles|inboundSsoAssignments)(?:[/:]|$)/,
};

/** Google's API and content hosts: a GET there goes only to an endpoint the connector reads. */
const GOOGLE_HOST = /(?:^|\.)(?:googleapis\.com|google\.com|googleusercontent\.com|appspot\.com)$/i;

/** Private, loopback and link-local IPv4 ranges, as [first octets, prefix length]. */
const NON_PUBLIC_IPV4: ReadonlyArray<[number, number]> = [
  [0x00000000, 8],
  [0x0a000000, 8],
  [0x64400000, 10],
  [0x7f000000, 8],
  [0xa9fe0000, 16],
  [0xac100000, 12],
  [0xc0a80000, 16],
];

function ipv4Number(text: string): number | undefined {
  const parts = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)?.slice(1).map(Number);
  if (!parts || parts.some((part) => part > 255)) return undefined;
  return parts.reduce((value, part) => value * 256 + part, 0);
}

/**
 * A literal public IP address (WHATWG URL has already normalised hex, octal and integer forms): it
 * may be any Google front end, so it meets the rules of an unknown Google host. Private, loopback
 * and link-local addresses are where credential sources live (a metadata server, a workload
 * identity provider's token URL), so they are not taken for Google.
 */
function isPublicIpLiteral(hostname: string): boolean {
  const v4 = ipv4Number(hostname);
  if (v4 !== undefined) return !NON_PUBLIC_IPV4.some(([base, bits]) => Math.floor(v4 / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)));
  if (!hostname.startsWith("[")) return false;
  const v6 = hostname.slice(1, -1).toLowerCase();
  // An IPv4-mapped address (::ffff:8efa:4a5b) is the IPv4 address it maps.
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (mapped?.[1] && mapped[2]) {
    const [high, low] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
    return isPublicIpLiteral(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`);
  }
  // Loopback, unspecified, unique local (fc00::/7, where fd00:ec2::254 serves instance metadata), link-local (fe80::/10).
  return !(v6 === "::1" || v6 === "::" || /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6));
}

const regionalAllowlists = new Map<string, readonly RegExp[]>();

/**
 * A regional Secret Manager endpoint serves one location: only its listing and its secrets' IAM
 * policies pass.
 */
function regionalSecretReads(location: string): readonly RegExp[] {
  let allowed = regionalAllowlists.get(location);
  if (!allowed) {
    // The config admits only letters, digits and dashes; escaped anyway, so no location widens the pattern.
    const literal = location.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    allowed = [new RegExp(`^/v1/projects/[^/]+/locations/${literal}/secrets$`), new RegExp(`^/v1/projects/[^/]+/locations/${literal}/secrets/[^/:]+:getIamPolicy$`)];
    regionalAllowlists.set(location, allowed);
  }
  return allowed;
}

/** A configured endpoint a URL is on: the path below it, and for a guarded service its allowlist. */
interface EndpointHit {
  below: string;
  allowed: readonly RegExp[] | undefined;
}

function endpointsOn(url: URL, rules: WriteGuardRules): EndpointHit[] {
  const hits: EndpointHit[] = [];
  for (const service of Object.keys(rules.endpoints) as Array<keyof ResolvedEndpoints>) {
    const below = pathOn(rules.endpoints[service], url);
    if (below !== undefined) hits.push({ below, allowed: service in GET_ALLOWED ? GET_ALLOWED[service as keyof typeof GET_ALLOWED] : undefined });
  }
  for (const [location, endpoint] of rules.regionalSecretManager ?? []) {
    const below = pathOn(endpoint, url);
    if (below !== undefined) hits.push({ below, allowed: regionalSecretReads(location) });
  }
  return hits;
}

/**
 * Why a GET must not be sent: secret material anywhere; a Google host that is none of the
 * configured endpoints (a bucket's own host, storage.cloud.google.com, an unconfigured region's
 * Secret Manager, API keys, ...); or, on the endpoints of the services that hold secrets and keys,
 * a path beyond what is read.
 */
function readRefusal(url: URL, rules: WriteGuardRules): string | undefined {
  const refusal = `refused GET ${url.origin}${url.pathname}: the Google Cloud connector reads no secret or key material`;
  const path = decodeURIComponent(url.pathname);
  if (SECRET_MATERIAL.some((pattern) => pattern.test(path)) || url.searchParams.get("alt") === "media") return refusal;
  const hits = endpointsOn(url, rules);
  if (hits.length === 0) {
    // Credential sources (a metadata server, a workload identity provider's URL) are not Google API hosts.
    const googleHost = GOOGLE_HOST.test(url.hostname) || isPublicIpLiteral(url.hostname);
    return googleHost ? `refused GET ${url.origin}${url.pathname}: not an endpoint the Google Cloud connector reads` : undefined;
  }
  if (hits.some(({ below, allowed }) => allowed?.some((pattern) => pattern.test(below)))) return undefined;
  // On an endpoint shared with the other APIs, their reads pass, but nothing shaped like a guarded service's.
  if (hits.every(({ allowed }) => allowed !== undefined)) return refusal;
  const looksGuarded = hits.some(({ below }) => Object.values(GUARDED_SHAPE).some((shape) => shape.test(below)));
  return looksGuarded ? refusal : undefined;
}

/** Why a request must not be sent, or undefined when it is a read (or an OAuth token exchange). */
export function writeRefusal(method: string, requested: URL, rules: WriteGuardRules): string | undefined {
  const url = canonicalHost(requested);
  const verb = method.toUpperCase();
  if (verb === "GET" || verb === "HEAD") return readRefusal(url, rules);
  const refusal = `refused ${verb} ${url.origin}${url.pathname}: the Google Cloud connector is read-only`;
  if (verb !== "POST") return refusal;

  const { endpoints, reader } = rules;
  const resourceManager = pathOn(endpoints.resourceManager, url);
  if (resourceManager !== undefined && SCOPE_GET_IAM_POLICY.test(resourceManager)) return undefined;
  const iam = pathOn(endpoints.iam, url);
  if (iam !== undefined && SERVICE_ACCOUNT_GET_IAM_POLICY.test(iam)) return undefined;
  const logging = pathOn(endpoints.logging, url);
  if (logging !== undefined && LIST_LOG_ENTRIES.test(logging)) return undefined;
  const credentials = pathOn(endpoints.iamCredentials, url);
  const target = credentials === undefined ? undefined : GENERATE_ACCESS_TOKEN.exec(credentials)?.[1];
  if (target !== undefined && reader !== undefined && target.toLowerCase() === reader.toLowerCase()) return undefined;

  const onApiEndpoint = endpointsOn(url, rules).length > 0;
  if (!onApiEndpoint && TOKEN_EXCHANGES.some((exchange) => url.host === exchange.host && url.pathname === exchange.path)) return undefined;
  return refusal;
}

export class GcpWriteRefusedError extends Error {
  override readonly name = "GcpWriteRefusedError";
}

const guarded = new WeakSet<AuthClient>();

/** Installs the check on `client` once; it runs after the auth library's own interceptors. */
export function guardReadOnly(client: AuthClient, rules: WriteGuardRules): void {
  if (guarded.has(client)) return;
  guarded.add(client);
  client.transporter.interceptors.request.add({
    resolved: async (request) => {
      const refusal = writeRefusal(request.method ?? "GET", new URL(request.url), rules);
      if (refusal) throw new GcpWriteRefusedError(refusal);
      // Only the URL checked here is fetched: a redirect (to an object's data, say) fails instead of being followed.
      request.redirect = "error";
      request.maxRedirects = 0;
      return request;
    },
  });
}
