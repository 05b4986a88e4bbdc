/**
 * Read-only on the wire: a request interceptor on every auth client the connector sends through
 * refuses, before anything leaves the process, any request that is not a GET, except the reads
 * Google serves as POST (getIamPolicy on organizations, folders, projects and service accounts)
 * and Logging's entries.list, and minting a token for the configured reader account. GETs that
 * would return secret or key material (a secret version's payload, an object's data) are refused
 * too, and on the Secret Manager, Cloud KMS, Cloud Storage and Cloud Identity endpoints only the
 * listings and IAM policies the connector reads pass. Every Google client here sends through
 * its auth client (gax REST fallback via `AuthClient.fetch`, googleapis and the Policy Analyzer
 * via `request`, impersonation via the source client), so this one check covers them all.
 */
import type { AuthClient } from "google-auth-library";
import type { ResolvedEndpoints } from "./clients.js";

export interface WriteGuardRules {
  endpoints: ResolvedEndpoints;
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

/** The path below `endpoint` when `url` is on it; undefined otherwise. */
function pathOn(endpoint: string, url: URL): string | undefined {
  const base = new URL(endpoint);
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
  storage: [/^\/storage\/v1\/b$/, /^\/storage\/v1\/b\/[^/]+\/iam$/],
  cloudIdentity: [/^\/v1\/groups$/, /^\/v1\/groups:lookup$/, /^\/v1\/groups\/[^/]+\/memberships$/],
};

/** Why a GET must not be sent: secret material anywhere, or a path the guarded services serve beyond what is read. */
function readRefusal(url: URL, endpoints: ResolvedEndpoints): string | undefined {
  const refusal = `refused GET ${url.origin}${url.pathname}: the Google Cloud connector reads no secret or key material`;
  const path = decodeURIComponent(url.pathname);
  if (SECRET_MATERIAL.some((pattern) => pattern.test(path)) || url.searchParams.get("alt") === "media") return refusal;
  const guarded = (Object.keys(GET_ALLOWED) as Array<keyof typeof GET_ALLOWED>).flatMap((service) => {
    const below = pathOn(endpoints[service], url);
    return below === undefined ? [] : [{ service, below }];
  });
  if (guarded.length === 0) return undefined;
  if (guarded.some(({ service, below }) => GET_ALLOWED[service].some((pattern) => pattern.test(below)))) return undefined;
  // An endpoint shared with the other APIs (an emulator or proxy serving all of them) also serves their reads.
  const shared = (["resourceManager", "iam", "iamCredentials", "policyAnalyzer", "logging"] as const).some((service) => pathOn(endpoints[service], url) !== undefined);
  return shared ? undefined : refusal;
}

/** Why a request must not be sent, or undefined when it is a read (or an OAuth token exchange). */
export function writeRefusal(method: string, url: URL, rules: WriteGuardRules): string | undefined {
  const verb = method.toUpperCase();
  if (verb === "GET" || verb === "HEAD") return readRefusal(url, rules.endpoints);
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

  const onApiEndpoint = [resourceManager, iam, credentials, logging, ...(["policyAnalyzer", "secretManager", "kms", "storage", "cloudIdentity"] as const).map((service) => pathOn(endpoints[service], url))].some(
    (path) => path !== undefined,
  );
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
      return request;
    },
  });
}
