/**
 * Builds the Google clients for one credential (the base ADC client or a task's impersonated
 * token). The gax clients (Resource Manager, IAM v2/v3) default to gRPC; `fallback: true` makes
 * them speak REST/JSON, which also lets endpoint overrides point at any HTTP server.
 */
import { FoldersClient, OrganizationsClient, ProjectsClient } from "@google-cloud/resource-manager";
import { PoliciesClient, v3 } from "@google-cloud/iam";
import { iam, type iam_v1 } from "@googleapis/iam";
import { SecretManagerServiceClient } from "@google-cloud/secret-manager";
import { KeyManagementServiceClient } from "@google-cloud/kms";
import { storage, type storage_v1 } from "@googleapis/storage";
import { cloudidentity, type cloudidentity_v1 } from "@googleapis/cloudidentity";
import { GoogleAuth, type AuthClient } from "google-auth-library";
import type { GcpEndpoints } from "./config.js";

export const DEFAULT_ENDPOINTS = {
  resourceManager: "https://cloudresourcemanager.googleapis.com",
  iam: "https://iam.googleapis.com",
  iamCredentials: "https://iamcredentials.googleapis.com",
  policyAnalyzer: "https://policyanalyzer.googleapis.com",
  logging: "https://logging.googleapis.com",
  secretManager: "https://secretmanager.googleapis.com",
  kms: "https://cloudkms.googleapis.com",
  storage: "https://storage.googleapis.com",
  cloudIdentity: "https://cloudidentity.googleapis.com",
} as const satisfies Required<Omit<GcpEndpoints, "secretManagerRegional">>;

export type ResolvedEndpoints = { [Key in keyof typeof DEFAULT_ENDPOINTS]: string };

export function resolveEndpoints(overrides: GcpEndpoints): ResolvedEndpoints {
  const strip = (url: string) => url.replace(/\/+$/, "");
  return {
    resourceManager: strip(overrides.resourceManager ?? DEFAULT_ENDPOINTS.resourceManager),
    iam: strip(overrides.iam ?? DEFAULT_ENDPOINTS.iam),
    iamCredentials: strip(overrides.iamCredentials ?? DEFAULT_ENDPOINTS.iamCredentials),
    policyAnalyzer: strip(overrides.policyAnalyzer ?? DEFAULT_ENDPOINTS.policyAnalyzer),
    logging: strip(overrides.logging ?? DEFAULT_ENDPOINTS.logging),
    secretManager: strip(overrides.secretManager ?? DEFAULT_ENDPOINTS.secretManager),
    kms: strip(overrides.kms ?? DEFAULT_ENDPOINTS.kms),
    storage: strip(overrides.storage ?? DEFAULT_ENDPOINTS.storage),
    cloudIdentity: strip(overrides.cloudIdentity ?? DEFAULT_ENDPOINTS.cloudIdentity),
  };
}

/** Regional Secret Manager endpoints by location: each serves only its own location's secrets. */
export type RegionalEndpoints = ReadonlyMap<string, string>;

export function resolveRegionalSecretEndpoints(locations: readonly string[], overrides: GcpEndpoints): RegionalEndpoints {
  return new Map(locations.map((location) => [location, (overrides.secretManagerRegional?.[location] ?? `https://secretmanager.${location}.rep.googleapis.com`).replace(/\/+$/, "")]));
}

export interface GcpClients {
  projects: ProjectsClient;
  folders: FoldersClient;
  organizations: OrganizationsClient;
  denyPolicies: PoliciesClient;
  boundaryPolicies: v3.PrincipalAccessBoundaryPoliciesClient;
  policyBindings: v3.PolicyBindingsClient;
  iamV1: iam_v1.Iam;
  /** For the Policy Analyzer REST API, which has no client library: requests through the auth client. */
  authClient: AuthClient;
  policyAnalyzerUrl: string;
  /** Cloud Logging's REST API (entries.list), also through the auth client. */
  loggingUrl: string;
  secretManager: SecretManagerServiceClient;
  /** The client of one configured location's regional endpoint (regional secrets are served only there). */
  secretManagerAt(location: string): SecretManagerServiceClient;
  kms: KeyManagementServiceClient;
  /** Cloud KMS's REST API, for its locations listing (the client pages it only as an iterator). */
  kmsUrl: string;
  storage: storage_v1.Storage;
  cloudIdentity: cloudidentity_v1.Cloudidentity;
  close(): void;
}

/** gax client options for a REST endpoint given as a URL. */
function gaxOptions(url: string, authClient: AuthClient) {
  const parsed = new URL(url);
  const protocol = parsed.protocol.replace(":", "");
  const port = parsed.port ? Number(parsed.port) : protocol === "http" ? 80 : 443;
  return { fallback: true as const, apiEndpoint: parsed.hostname, port, protocol, authClient };
}

export function createGcpClients(authClient: AuthClient, endpoints: ResolvedEndpoints, regional: RegionalEndpoints = new Map()): GcpClients {
  const resourceManager = gaxOptions(endpoints.resourceManager, authClient);
  const iamOptions = gaxOptions(endpoints.iam, authClient);
  const clients = {
    projects: new ProjectsClient(resourceManager),
    folders: new FoldersClient(resourceManager),
    organizations: new OrganizationsClient(resourceManager),
    denyPolicies: new PoliciesClient(iamOptions),
    boundaryPolicies: new v3.PrincipalAccessBoundaryPoliciesClient(iamOptions),
    policyBindings: new v3.PolicyBindingsClient(iamOptions),
    iamV1: iam({ version: "v1", auth: new GoogleAuth({ authClient }), rootUrl: `${endpoints.iam}/` }),
    authClient,
    policyAnalyzerUrl: endpoints.policyAnalyzer,
    loggingUrl: endpoints.logging,
    kmsUrl: endpoints.kms,
    storage: storage({ version: "v1", auth: new GoogleAuth({ authClient }), rootUrl: `${endpoints.storage}/` }),
    cloudIdentity: cloudidentity({ version: "v1", auth: new GoogleAuth({ authClient }), rootUrl: `${endpoints.cloudIdentity}/` }),
  };
  // Built on first use: their protos weigh tens of megabytes, and collect.resourcePolicies may be off.
  let secretManager: SecretManagerServiceClient | undefined;
  let kms: KeyManagementServiceClient | undefined;
  const regionalSecretManagers = new Map<string, SecretManagerServiceClient>();
  return {
    ...clients,
    get secretManager() {
      return (secretManager ??= new SecretManagerServiceClient(gaxOptions(endpoints.secretManager, authClient)));
    },
    get kms() {
      return (kms ??= new KeyManagementServiceClient(gaxOptions(endpoints.kms, authClient)));
    },
    secretManagerAt(location: string) {
      const endpoint = regional.get(location);
      if (endpoint === undefined) throw new Error(`Secret Manager location ${location} is not configured (secretManagerLocations)`);
      let client = regionalSecretManagers.get(location);
      if (!client) {
        client = new SecretManagerServiceClient(gaxOptions(endpoint, authClient));
        regionalSecretManagers.set(location, client);
      }
      return client;
    },
    close() {
      for (const client of [clients.projects, clients.folders, clients.organizations, clients.denyPolicies, clients.boundaryPolicies, clients.policyBindings, secretManager, kms, ...regionalSecretManagers.values()]) {
        void client?.close().catch(() => undefined);
      }
    },
  };
}
