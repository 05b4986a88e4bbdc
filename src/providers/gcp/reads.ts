/**
 * The only Google API calls this connector can make, all reads: list, get, search, getIamPolicy,
 * the Policy Analyzer activity query, and generateAccessToken (sessions.ts, a token for ourselves).
 * Each goes through the call runner (timeout, retry, tally) and returns validated data.
 * test/gcp-readonly.test.ts checks that no other SDK method is called anywhere in this folder.
 */
import { z } from "zod";
import type { AttemptOptions, GcpCallRunner } from "./calls.js";
import type { GcpClients } from "./clients.js";
import {
  activityPageSchema,
  boundaryPolicySchema,
  denyPolicyListSchema,
  denyPolicySchema,
  folderSchema,
  iamPolicySchema,
  organizationSchema,
  policyBindingSchema,
  projectSchema,
  roleSchema,
  serviceAccountKeySchema,
  serviceAccountSchema,
  workloadIdentityPoolSchema,
  workloadIdentityProviderSchema,
  type WireActivity,
  type WireBoundaryPolicy,
  type WireDenyPolicy,
  type WireFolder,
  type WireIamPolicy,
  type WireOrganization,
  type WirePolicyBinding,
  type WireProject,
  type WireRole,
  type WireServiceAccount,
  type WireServiceAccountKey,
  type WireWorkloadIdentityPool,
  type WireWorkloadIdentityProvider,
  secretSchema,
  kmsLocationPageSchema,
  keyRingSchema,
  cryptoKeySchema,
  bucketSchema,
  managedFolderSchema,
  groupLookupSchema,
  membershipSchema,
  type WireSecret,
  type WireKeyRing,
  type WireCryptoKey,
  type WireBucket,
  type WireManagedFolder,
  type WireMembership,
} from "./collect/wire.js";

/** Each API the connector calls, with the IAM permission it needs (policies/gcp-readonly-role.yaml). */
export const GCP_READ_APIS = {
  getOrganization: { api: "cloudresourcemanager:organizations.get", permission: "resourcemanager.organizations.get" },
  getFolder: { api: "cloudresourcemanager:folders.get", permission: "resourcemanager.folders.get" },
  listFolders: { api: "cloudresourcemanager:folders.list", permission: "resourcemanager.folders.list" },
  getProject: { api: "cloudresourcemanager:projects.get", permission: "resourcemanager.projects.get" },
  listProjects: { api: "cloudresourcemanager:projects.list", permission: "resourcemanager.projects.list" },
  getOrganizationIamPolicy: { api: "cloudresourcemanager:organizations.getIamPolicy", permission: "resourcemanager.organizations.getIamPolicy" },
  getFolderIamPolicy: { api: "cloudresourcemanager:folders.getIamPolicy", permission: "resourcemanager.folders.getIamPolicy" },
  getProjectIamPolicy: { api: "cloudresourcemanager:projects.getIamPolicy", permission: "resourcemanager.projects.getIamPolicy" },
  listServiceAccounts: { api: "iam.serviceAccounts.list", permission: "iam.serviceAccounts.list" },
  listServiceAccountKeys: { api: "iam.serviceAccounts.keys.list", permission: "iam.serviceAccountKeys.list" },
  getServiceAccountIamPolicy: { api: "iam.serviceAccounts.getIamPolicy", permission: "iam.serviceAccounts.getIamPolicy" },
  getRole: { api: "iam.roles.get", permission: "iam.roles.get" },
  listWorkloadIdentityPools: { api: "iam.workloadIdentityPools.list", permission: "iam.workloadIdentityPools.list" },
  listWorkloadIdentityPoolProviders: { api: "iam.workloadIdentityPools.providers.list", permission: "iam.workloadIdentityPoolProviders.list" },
  listDenyPolicies: { api: "iam.v2.policies.list", permission: "iam.denypolicies.list" },
  getDenyPolicy: { api: "iam.v2.policies.get", permission: "iam.denypolicies.get" },
  listPrincipalAccessBoundaryPolicies: { api: "iam.v3.principalAccessBoundaryPolicies.list", permission: "iam.principalaccessboundarypolicies.list" },
  listPolicyBindings: { api: "iam.v3.policyBindings.list", permission: "iam.policybindings.list" },
  queryServiceAccountActivity: {
    api: "policyanalyzer:serviceAccountLastAuthentication",
    permission: "policyanalyzer.serviceAccountLastAuthenticationActivities.query",
  },
  queryServiceAccountKeyActivity: {
    api: "policyanalyzer:serviceAccountKeyLastAuthentication",
    permission: "policyanalyzer.serviceAccountKeyLastAuthenticationActivities.query",
  },
  generateAccessToken: { api: "iamcredentials:generateAccessToken", permission: "iam.serviceAccounts.getAccessToken" },
  listLogEntries: { api: "logging:entries.list", permission: "logging.logEntries.list" },
  /** Data Access audit logs are private logs: their own permission. */
  listPrivateLogEntries: { api: "logging:entries.list", permission: "logging.privateLogEntries.list" },
  listSecrets: { api: "secretmanager.secrets.list", permission: "secretmanager.secrets.list" },
  getSecretIamPolicy: { api: "secretmanager.secrets.getIamPolicy", permission: "secretmanager.secrets.getIamPolicy" },
  listKmsLocations: { api: "cloudkms.locations.list", permission: "cloudkms.locations.list" },
  listKeyRings: { api: "cloudkms.keyRings.list", permission: "cloudkms.keyRings.list" },
  getKeyRingIamPolicy: { api: "cloudkms.keyRings.getIamPolicy", permission: "cloudkms.keyRings.getIamPolicy" },
  listCryptoKeys: { api: "cloudkms.cryptoKeys.list", permission: "cloudkms.cryptoKeys.list" },
  getCryptoKeyIamPolicy: { api: "cloudkms.cryptoKeys.getIamPolicy", permission: "cloudkms.cryptoKeys.getIamPolicy" },
  listBuckets: { api: "storage.buckets.list", permission: "storage.buckets.list" },
  getBucketIamPolicy: { api: "storage.buckets.getIamPolicy", permission: "storage.buckets.getIamPolicy" },
  listManagedFolders: { api: "storage.managedFolders.list", permission: "storage.managedFolders.list" },
  getManagedFolderIamPolicy: { api: "storage.managedFolders.getIamPolicy", permission: "storage.managedFolders.getIamPolicy" },
} as const;

/**
 * The Cloud Identity Groups API is not authorized by IAM permissions but by a Google Workspace /
 * Cloud Identity admin role: the reader account needs the prebuilt Groups Reader role (read-only)
 * assigned in the Admin console, and its token the cloud-identity.groups.readonly scope.
 */
export const GCP_DIRECTORY_READ_APIS = {
  lookupGroup: { api: "cloudidentity.groups.lookup", access: "Groups Reader admin role; scope cloud-identity.groups.readonly" },
  listGroupMemberships: { api: "cloudidentity.groups.memberships.list", access: "Groups Reader admin role; scope cloud-identity.groups.readonly" },
  /** `wiam doctor` only: one page of one group, to tell whether groups can be read at all. */
  listGroups: { api: "cloudidentity.groups.list", access: "Groups Reader admin role; scope cloud-identity.groups.readonly" },
} as const;

const PAGE_SIZE = { serviceAccounts: 100, projects: 1000, folders: 1000, denyPolicies: 1000, activities: 1000, v3: 1000, resources: 1000, buckets: 1000, managedFolders: 1000, memberships: 1000 } as const;

/** gax: no client retries (the runner decides), the runner's timeout, one page at a time. */
function gax(attempt: AttemptOptions) {
  return { timeout: attempt.timeoutMs, autoPaginate: false as const, maxRetries: 0 };
}

/** googleapis REST: no client retries, abortable. */
function rest(attempt: AttemptOptions) {
  return { retry: false, signal: attempt.signal, timeout: attempt.timeoutMs };
}

interface GaxPage {
  nextPageToken?: string | null;
}

function nextToken(raw: GaxPage | null | undefined): string | undefined {
  return raw?.nextPageToken || undefined;
}

/** Resource Manager v3: the organization, folders and projects, and their IAM policies. */
export class ResourceManagerReads {
  constructor(
    private readonly runner: GcpCallRunner,
    private readonly clients: GcpClients,
  ) {}

  async getOrganization(name: string): Promise<WireOrganization> {
    const [organization] = await this.runner.call(GCP_READ_APIS.getOrganization.api, name, (attempt) => this.clients.organizations.getOrganization({ name }, gax(attempt)));
    return organizationSchema.parse(organization);
  }

  async getFolder(name: string): Promise<WireFolder> {
    const [folder] = await this.runner.call(GCP_READ_APIS.getFolder.api, name, (attempt) => this.clients.folders.getFolder({ name }, gax(attempt)));
    return folderSchema.parse(folder);
  }

  async listFolders(parent: string): Promise<WireFolder[]> {
    const folders = await this.runner.paginate(GCP_READ_APIS.listFolders.api, parent, async (pageToken, attempt) => {
      const [items, , raw] = await this.clients.folders.listFolders({ parent, pageSize: PAGE_SIZE.folders, ...(pageToken ? { pageToken } : {}) }, gax(attempt));
      return { items, nextPageToken: nextToken(raw) };
    });
    return z.array(folderSchema).parse(folders);
  }

  async getProject(name: string): Promise<WireProject> {
    const [project] = await this.runner.call(GCP_READ_APIS.getProject.api, name, (attempt) => this.clients.projects.getProject({ name }, gax(attempt)));
    return projectSchema.parse(project);
  }

  async listProjects(parent: string): Promise<WireProject[]> {
    const projects = await this.runner.paginate(GCP_READ_APIS.listProjects.api, parent, async (pageToken, attempt) => {
      const [items, , raw] = await this.clients.projects.listProjects({ parent, pageSize: PAGE_SIZE.projects, ...(pageToken ? { pageToken } : {}) }, gax(attempt));
      return { items, nextPageToken: nextToken(raw) };
    });
    return z.array(projectSchema).parse(projects);
  }

  /** Policy version 3 so conditional bindings come back with their conditions. */
  async getIamPolicy(resource: string): Promise<WireIamPolicy> {
    const request = { resource, options: { requestedPolicyVersion: 3 } };
    const kind = resource.split("/")[0];
    const [policy] =
      kind === "organizations"
        ? await this.runner.call(GCP_READ_APIS.getOrganizationIamPolicy.api, resource, (attempt) => this.clients.organizations.getIamPolicy(request, gax(attempt)))
        : kind === "folders"
          ? await this.runner.call(GCP_READ_APIS.getFolderIamPolicy.api, resource, (attempt) => this.clients.folders.getIamPolicy(request, gax(attempt)))
          : await this.runner.call(GCP_READ_APIS.getProjectIamPolicy.api, resource, (attempt) => this.clients.projects.getIamPolicy(request, gax(attempt)));
    return iamPolicySchema.parse(policy);
  }
}

/** IAM v1 (REST client): service accounts, keys, their policies, roles, workload identity pools. */
export class IamReads {
  constructor(
    private readonly runner: GcpCallRunner,
    private readonly clients: GcpClients,
  ) {}

  async listServiceAccounts(project: string): Promise<WireServiceAccount[]> {
    const scopeId = `projects/${project}`;
    const accounts = await this.runner.paginate(GCP_READ_APIS.listServiceAccounts.api, scopeId, async (pageToken, attempt) => {
      const response = await this.clients.iamV1.projects.serviceAccounts.list(
        { name: scopeId, pageSize: PAGE_SIZE.serviceAccounts, ...(pageToken ? { pageToken } : {}) },
        rest(attempt),
      );
      return { items: response.data.accounts ?? [], nextPageToken: response.data.nextPageToken ?? undefined };
    });
    return z.array(serviceAccountSchema).parse(accounts);
  }

  /** Key metadata only: keys.list never returns private key material. */
  async listServiceAccountKeys(project: string, accountResource: string): Promise<WireServiceAccountKey[]> {
    const response = await this.runner.call(GCP_READ_APIS.listServiceAccountKeys.api, `projects/${project}`, (attempt) =>
      this.clients.iamV1.projects.serviceAccounts.keys.list({ name: accountResource }, rest(attempt)),
    );
    return z.array(serviceAccountKeySchema).parse(response.data.keys ?? []);
  }

  async getServiceAccountIamPolicy(project: string, accountResource: string): Promise<WireIamPolicy> {
    const response = await this.runner.call(GCP_READ_APIS.getServiceAccountIamPolicy.api, `projects/${project}`, (attempt) =>
      this.clients.iamV1.projects.serviceAccounts.getIamPolicy({ resource: accountResource, "options.requestedPolicyVersion": 3 }, rest(attempt)),
    );
    return iamPolicySchema.parse(response.data);
  }

  /** Predefined (`roles/x`), organization (`organizations/o/roles/x`) or project (`projects/p/roles/x`) role. */
  async getRole(name: string): Promise<WireRole> {
    const response = await this.runner.call(GCP_READ_APIS.getRole.api, undefined, (attempt) => {
      if (name.startsWith("organizations/")) return this.clients.iamV1.organizations.roles.get({ name }, rest(attempt));
      if (name.startsWith("projects/")) return this.clients.iamV1.projects.roles.get({ name }, rest(attempt));
      return this.clients.iamV1.roles.get({ name }, rest(attempt));
    });
    return roleSchema.parse(response.data);
  }

  async listWorkloadIdentityPools(project: string): Promise<WireWorkloadIdentityPool[]> {
    const parent = `projects/${project}/locations/global`;
    const pools = await this.runner.paginate(GCP_READ_APIS.listWorkloadIdentityPools.api, `projects/${project}`, async (pageToken, attempt) => {
      const response = await this.clients.iamV1.projects.locations.workloadIdentityPools.list({ parent, ...(pageToken ? { pageToken } : {}) }, rest(attempt));
      return { items: response.data.workloadIdentityPools ?? [], nextPageToken: response.data.nextPageToken ?? undefined };
    });
    return z.array(workloadIdentityPoolSchema).parse(pools);
  }

  async listWorkloadIdentityPoolProviders(project: string, pool: string): Promise<WireWorkloadIdentityProvider[]> {
    const providers = await this.runner.paginate(GCP_READ_APIS.listWorkloadIdentityPoolProviders.api, `projects/${project}`, async (pageToken, attempt) => {
      const response = await this.clients.iamV1.projects.locations.workloadIdentityPools.providers.list(
        { parent: pool, ...(pageToken ? { pageToken } : {}) },
        rest(attempt),
      );
      return { items: response.data.workloadIdentityPoolProviders ?? [], nextPageToken: response.data.nextPageToken ?? undefined };
    });
    return z.array(workloadIdentityProviderSchema).parse(providers);
  }
}

/** `organizations/1` → the IAM v2 attachment point `cloudresourcemanager.googleapis.com%2Forganizations%2F1`. */
export function denyAttachmentPoint(scopeId: string): string {
  return encodeURIComponent(`cloudresourcemanager.googleapis.com/${scopeId}`);
}

/** IAM v2 deny policies and IAM v3 principal access boundaries (gax clients over REST). */
export class PolicyReads {
  constructor(
    private readonly runner: GcpCallRunner,
    private readonly clients: GcpClients,
  ) {}

  /** Lists the deny policies attached to a scope, then reads each (the list omits the rules). */
  async denyPoliciesOf(scopeId: string): Promise<WireDenyPolicy[]> {
    const parent = `policies/${denyAttachmentPoint(scopeId)}/denypolicies`;
    const listed = await this.runner.paginate(GCP_READ_APIS.listDenyPolicies.api, scopeId, async (pageToken, attempt) => {
      const [items, , raw] = await this.clients.denyPolicies.listPolicies({ parent, pageSize: PAGE_SIZE.denyPolicies, ...(pageToken ? { pageToken } : {}) }, gax(attempt));
      return { items, nextPageToken: nextToken(raw) };
    });
    const policies: WireDenyPolicy[] = [];
    for (const { name } of denyPolicyListSchema.parse(listed)) {
      const [policy] = await this.runner.call(GCP_READ_APIS.getDenyPolicy.api, scopeId, (attempt) => this.clients.denyPolicies.getPolicy({ name }, gax(attempt)));
      policies.push(denyPolicySchema.parse(policy));
    }
    return policies;
  }

  async listPrincipalAccessBoundaryPolicies(organization: string): Promise<WireBoundaryPolicy[]> {
    const parent = `${organization}/locations/global`;
    const policies = await this.runner.paginate(GCP_READ_APIS.listPrincipalAccessBoundaryPolicies.api, organization, async (pageToken, attempt) => {
      const [items, , raw] = await this.clients.boundaryPolicies.listPrincipalAccessBoundaryPolicies(
        { parent, pageSize: PAGE_SIZE.v3, ...(pageToken ? { pageToken } : {}) },
        gax(attempt),
      );
      return { items, nextPageToken: nextToken(raw) };
    });
    return z.array(boundaryPolicySchema).parse(policies);
  }

  /** Bindings of principal access boundary policies made at a scope. */
  async listBoundaryBindings(scopeId: string): Promise<WirePolicyBinding[]> {
    const parent = `${scopeId}/locations/global`;
    const bindings = await this.runner.paginate(GCP_READ_APIS.listPolicyBindings.api, scopeId, async (pageToken, attempt) => {
      const [items, , raw] = await this.clients.policyBindings.listPolicyBindings(
        { parent, pageSize: PAGE_SIZE.v3, filter: 'policy_kind="PRINCIPAL_ACCESS_BOUNDARY"', ...(pageToken ? { pageToken } : {}) },
        gax(attempt),
      );
      return { items, nextPageToken: nextToken(raw) };
    });
    return z.array(policyBindingSchema).parse(bindings);
  }
}

export type ActivityType = "serviceAccountLastAuthentication" | "serviceAccountKeyLastAuthentication";

/** Policy Analyzer (Activity Analyzer) has no Node client library; its REST API goes through the auth client. */
export class ActivityReads {
  constructor(
    private readonly runner: GcpCallRunner,
    private readonly clients: GcpClients,
  ) {}

  async query(project: string, type: ActivityType): Promise<WireActivity[]> {
    const api = type === "serviceAccountLastAuthentication" ? GCP_READ_APIS.queryServiceAccountActivity.api : GCP_READ_APIS.queryServiceAccountKeyActivity.api;
    const url = `${this.clients.policyAnalyzerUrl}/v1/projects/${encodeURIComponent(project)}/locations/global/activityTypes/${type}/activities:query`;
    return this.runner.paginate(api, `projects/${project}`, async (pageToken, attempt) => {
      const response = await this.clients.authClient.request({
        url,
        method: "GET",
        params: { pageSize: PAGE_SIZE.activities, ...(pageToken ? { pageToken } : {}) },
        ...rest(attempt),
      });
      const page = activityPageSchema.parse(response.data);
      return { items: page.activities, nextPageToken: page.nextPageToken || undefined };
    });
  }
}

/** One page of log entries; entries are validated by the activity reader (audit-logs.ts). */
const logEntriesPageSchema = z.object({ entries: z.array(z.unknown()).optional(), nextPageToken: z.string().optional() });

/** Cloud Logging entries.list (Cloud Audit Logs for activity): one page per call, the caller paces. */
export class LoggingReads {
  constructor(
    private readonly runner: GcpCallRunner,
    private readonly clients: GcpClients,
  ) {}

  async listEntriesPage(project: string, filter: string, pageToken: string | undefined): Promise<{ entries: unknown[]; nextPageToken: string | undefined }> {
    const response = await this.runner.call(GCP_READ_APIS.listLogEntries.api, `projects/${project}`, (attempt) =>
      this.clients.authClient.request({
        url: `${this.clients.loggingUrl}/v2/entries:list`,
        method: "POST",
        data: { resourceNames: [`projects/${project}`], filter, orderBy: "timestamp desc", pageSize: 1000, ...(pageToken ? { pageToken } : {}) },
        ...rest(attempt),
      }),
    );
    const page = logEntriesPageSchema.parse(response.data);
    return { entries: page.entries ?? [], nextPageToken: page.nextPageToken || undefined };
  }
}

/**
 * The resources that hold secrets and keys, and their IAM policies (policy version 3, so
 * conditional bindings keep their conditions). Metadata only: no secret version is ever accessed,
 * no key is ever used, no object is ever read; read-guard.ts refuses those paths on the wire.
 */
export class ResourcePolicyReads {
  constructor(
    private readonly runner: GcpCallRunner,
    private readonly clients: GcpClients,
  ) {}

  async listSecrets(project: string): Promise<WireSecret[]> {
    const parent = `projects/${project}`;
    const secrets = await this.runner.paginate(GCP_READ_APIS.listSecrets.api, parent, async (pageToken, attempt) => {
      const [items, , raw] = await this.clients.secretManager.listSecrets({ parent, pageSize: PAGE_SIZE.resources, ...(pageToken ? { pageToken } : {}) }, gax(attempt));
      return { items, nextPageToken: nextToken(raw) };
    });
    return z.array(secretSchema).parse(secrets);
  }

  async getSecretIamPolicy(project: string, secret: string): Promise<WireIamPolicy> {
    const [policy] = await this.runner.call(GCP_READ_APIS.getSecretIamPolicy.api, `projects/${project}`, (attempt) =>
      this.clients.secretManager.getIamPolicy({ resource: secret, options: { requestedPolicyVersion: 3 } }, gax(attempt)),
    );
    return iamPolicySchema.parse(policy);
  }

  /** Regional secrets of one location, from that location's own endpoint (the only one that serves them). */
  async listRegionalSecrets(project: string, location: string): Promise<WireSecret[]> {
    const parent = `projects/${project}/locations/${location}`;
    const secrets = await this.runner.paginate(GCP_READ_APIS.listSecrets.api, `projects/${project}`, async (pageToken, attempt) => {
      const [items, , raw] = await this.clients.secretManagerAt(location).listSecrets({ parent, pageSize: PAGE_SIZE.resources, ...(pageToken ? { pageToken } : {}) }, gax(attempt));
      return { items, nextPageToken: nextToken(raw) };
    });
    return z.array(secretSchema).parse(secrets);
  }

  async getRegionalSecretIamPolicy(project: string, location: string, secret: string): Promise<WireIamPolicy> {
    const [policy] = await this.runner.call(GCP_READ_APIS.getSecretIamPolicy.api, `projects/${project}`, (attempt) =>
      this.clients.secretManagerAt(location).getIamPolicy({ resource: secret, options: { requestedPolicyVersion: 3 } }, gax(attempt)),
    );
    return iamPolicySchema.parse(policy);
  }

  /** Cloud KMS locations of a project, through the REST API (the client offers them only as an iterator). */
  async listKmsLocations(project: string): Promise<string[]> {
    const url = `${this.clients.kmsUrl}/v1/projects/${encodeURIComponent(project)}/locations`;
    const locations = await this.runner.paginate(GCP_READ_APIS.listKmsLocations.api, `projects/${project}`, async (pageToken, attempt) => {
      const response = await this.clients.authClient.request({ url, method: "GET", params: { pageSize: PAGE_SIZE.resources, ...(pageToken ? { pageToken } : {}) }, ...rest(attempt) });
      const page = kmsLocationPageSchema.parse(response.data);
      return { items: page.locations, nextPageToken: page.nextPageToken || undefined };
    });
    return locations.map((location) => location.locationId || location.name.slice(location.name.lastIndexOf("/") + 1));
  }

  async listKeyRings(project: string, location: string): Promise<WireKeyRing[]> {
    const parent = `projects/${project}/locations/${location}`;
    const rings = await this.runner.paginate(GCP_READ_APIS.listKeyRings.api, `projects/${project}`, async (pageToken, attempt) => {
      const [items, , raw] = await this.clients.kms.listKeyRings({ parent, pageSize: PAGE_SIZE.resources, ...(pageToken ? { pageToken } : {}) }, gax(attempt));
      return { items, nextPageToken: nextToken(raw) };
    });
    return z.array(keyRingSchema).parse(rings);
  }

  async listCryptoKeys(project: string, keyRing: string): Promise<WireCryptoKey[]> {
    const keys = await this.runner.paginate(GCP_READ_APIS.listCryptoKeys.api, `projects/${project}`, async (pageToken, attempt) => {
      const [items, , raw] = await this.clients.kms.listCryptoKeys({ parent: keyRing, pageSize: PAGE_SIZE.resources, ...(pageToken ? { pageToken } : {}) }, gax(attempt));
      return { items, nextPageToken: nextToken(raw) };
    });
    return z.array(cryptoKeySchema).parse(keys);
  }

  /**
   * A key ring's or a crypto key's policy, through KMS's documented REST route (GET); the client's
   * generic IAM mixin would send it as a POST to a path the wire guard has no reason to allow.
   */
  async getKmsIamPolicy(project: string, resource: string): Promise<WireIamPolicy> {
    const api = resource.includes("/cryptoKeys/") ? GCP_READ_APIS.getCryptoKeyIamPolicy.api : GCP_READ_APIS.getKeyRingIamPolicy.api;
    const url = `${this.clients.kmsUrl}/v1/${resource.split("/").map(encodeURIComponent).join("/")}:getIamPolicy`;
    const response = await this.runner.call(api, `projects/${project}`, (attempt) =>
      this.clients.authClient.request({ url, method: "GET", params: { "options.requestedPolicyVersion": 3 }, ...rest(attempt) }),
    );
    return iamPolicySchema.parse(response.data);
  }

  async listBuckets(project: string): Promise<WireBucket[]> {
    const buckets = await this.runner.paginate(GCP_READ_APIS.listBuckets.api, `projects/${project}`, async (pageToken, attempt) => {
      const response = await this.clients.storage.buckets.list({ project, maxResults: PAGE_SIZE.buckets, projection: "noAcl", ...(pageToken ? { pageToken } : {}) }, rest(attempt));
      return { items: response.data.items ?? [], nextPageToken: response.data.nextPageToken ?? undefined };
    });
    return z.array(bucketSchema).parse(buckets);
  }

  async getBucketIamPolicy(project: string, bucket: string): Promise<WireIamPolicy> {
    const response = await this.runner.call(GCP_READ_APIS.getBucketIamPolicy.api, `projects/${project}`, (attempt) =>
      this.clients.storage.buckets.getIamPolicy({ bucket, optionsRequestedPolicyVersion: 3 }, rest(attempt)),
    );
    return iamPolicySchema.parse(response.data);
  }

  async listManagedFolders(project: string, bucket: string): Promise<WireManagedFolder[]> {
    const folders = await this.runner.paginate(GCP_READ_APIS.listManagedFolders.api, `projects/${project}`, async (pageToken, attempt) => {
      const response = await this.clients.storage.managedFolders.list({ bucket, pageSize: PAGE_SIZE.managedFolders, ...(pageToken ? { pageToken } : {}) }, rest(attempt));
      return { items: response.data.items ?? [], nextPageToken: response.data.nextPageToken ?? undefined };
    });
    return z.array(managedFolderSchema).parse(folders);
  }

  async getManagedFolderIamPolicy(project: string, bucket: string, managedFolder: string): Promise<WireIamPolicy> {
    const response = await this.runner.call(GCP_READ_APIS.getManagedFolderIamPolicy.api, `projects/${project}`, (attempt) =>
      this.clients.storage.managedFolders.getIamPolicy({ bucket, managedFolder, optionsRequestedPolicyVersion: 3 }, rest(attempt)),
    );
    return iamPolicySchema.parse(response.data);
  }
}

/** Cloud Identity groups: a group's name from its email, and one group's direct members. */
export class GroupReads {
  constructor(
    private readonly runner: GcpCallRunner,
    private readonly clients: GcpClients,
  ) {}

  /** `groups/<id>` for a group email. */
  async lookupGroup(email: string): Promise<string> {
    const response = await this.runner.call(GCP_DIRECTORY_READ_APIS.lookupGroup.api, undefined, (attempt) =>
      this.clients.cloudIdentity.groups.lookup({ "groupKey.id": email }, rest(attempt)),
    );
    return groupLookupSchema.parse(response.data).name;
  }

  /** Whether the customer's groups can be listed at all (one group at most is asked for). */
  async probeGroups(customer: string): Promise<void> {
    await this.runner.call(GCP_DIRECTORY_READ_APIS.listGroups.api, undefined, (attempt) =>
      this.clients.cloudIdentity.groups.list({ parent: `customers/${customer}`, pageSize: 1, view: "BASIC" }, rest(attempt)),
    );
  }

  /** A group's direct memberships, page by page until `maxMembers` are in (`complete` false when more were left). */
  async listMemberships(group: string, maxMembers = Number.POSITIVE_INFINITY): Promise<{ memberships: WireMembership[]; complete: boolean }> {
    const { items: memberships, complete } = await this.runner.paginateUpTo(GCP_DIRECTORY_READ_APIS.listGroupMemberships.api, undefined, maxMembers, async (pageToken, attempt) => {
      const response = await this.clients.cloudIdentity.groups.memberships.list(
        { parent: group, view: "FULL", pageSize: PAGE_SIZE.memberships, ...(pageToken ? { pageToken } : {}) },
        rest(attempt),
      );
      return { items: response.data.memberships ?? [], nextPageToken: response.data.nextPageToken ?? undefined };
    });
    return { memberships: z.array(membershipSchema).parse(memberships), complete };
  }
}
