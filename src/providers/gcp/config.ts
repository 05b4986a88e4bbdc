/**
 * Configuration of the Google Cloud connector (`providers.gcp` in the YAML config).
 *
 * Credentials are deliberately NOT configured here: Application Default Credentials already
 * honour GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth application-default login` and the
 * metadata server, as users expect from every other Google tool. `impersonateServiceAccount`
 * narrows each task to a short-lived token of a read-only service account.
 */
import { z } from "zod";

const numericId = z.string().regex(/^\d{1,20}$/, "expected a numeric id");
const projectId = z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "expected a project id such as my-project-123");
const serviceAccountEmail = z
  .string()
  .regex(/^[a-z0-9-]{1,63}@[a-z0-9.-]+\.gserviceaccount\.com$/, "expected a service account email (name@project.iam.gserviceaccount.com)");
/** A Google Cloud location as it appears in a regional endpoint's host (`europe-west1`, `us`). */
const location = z.string().regex(/^[a-z]+(?:-[a-z]+\d+)?$/, "expected a location such as europe-west1");
const endpointUrl = z.url({ protocol: /^https?$/ }).describe("base URL, e.g. https://iam.googleapis.com or http://127.0.0.1:8085");

export const gcpEndpointsSchema = z.strictObject({
  /** Cloud Resource Manager v3 (organizations, folders, projects, their IAM policies). */
  resourceManager: endpointUrl.optional(),
  /** IAM v1 (service accounts, keys, roles, workload identity pools), v2 (deny) and v3 (principal access boundaries). */
  iam: endpointUrl.optional(),
  /** IAM Credentials (generateAccessToken for impersonation). */
  iamCredentials: endpointUrl.optional(),
  /** Policy Analyzer (Activity Analyzer: last authentication of accounts and keys). */
  policyAnalyzer: endpointUrl.optional(),
  /** Cloud Logging (Cloud Audit Logs, for activity). */
  logging: endpointUrl.optional(),
  /** Secret Manager (secrets and their IAM policies; never a secret's value). */
  secretManager: endpointUrl.optional(),
  /** Cloud KMS (locations, key rings, crypto keys and their IAM policies). */
  kms: endpointUrl.optional(),
  /** Cloud Storage JSON API (buckets and their IAM policies). */
  storage: endpointUrl.optional(),
  /** Cloud Identity (Google groups and their memberships). */
  cloudIdentity: endpointUrl.optional(),
  /**
   * Regional Secret Manager endpoints by location, for `secretManagerLocations`; a location not
   * named here is read at https://secretmanager.<location>.rep.googleapis.com.
   */
  secretManagerRegional: z.record(z.string(), endpointUrl).optional().describe("per location of secretManagerLocations, its regional Secret Manager endpoint"),
});

/**
 * Activity (#18): Cloud Audit Logs of service accounts through Logging entries.list, Admin
 * Activity always and Data Access where enabled, paced under the read quota (about 60 requests a
 * minute a project). Off unless set.
 */
export const gcpActivitySchema = z.strictObject({
  hours: z.number().int().min(1).max(24 * 400).default(31 * 24),
  /** Also Data Access logs (needs logging.privateLogEntries.list; only where the project enabled them). */
  dataAccess: z.boolean().default(true),
  /** Pages (of up to 1000 entries) read per project before coverage is reported partial. */
  maxPages: z.number().int().min(1).max(10_000).default(100),
  requestsPerMinute: z.number().int().min(1).max(60).default(50),
});
export type GcpActivityConfig = z.output<typeof gcpActivitySchema>;
export type GcpEndpoints = z.output<typeof gcpEndpointsSchema>;

export const gcpCollectSchema = z.strictObject({
  /** Last authentication of accounts and keys (Policy Analyzer activities). */
  activity: z.boolean().default(true),
  /** IAM policies on each service account (who may impersonate or act as it): one call per account. */
  serviceAccountPolicies: z.boolean().default(true),
  /** IAM v2 deny policies on the organization, folders and projects. */
  denyPolicies: z.boolean().default(true),
  /** IAM v3 principal access boundary policies and their bindings. */
  principalAccessBoundaries: z.boolean().default(true),
  /** Workload identity pools and providers of each project. */
  workloadIdentity: z.boolean().default(true),
  /**
   * IAM policies on the resources that hold secrets and keys: Secret Manager secrets, Cloud KMS
   * key rings and crypto keys (one location listing, then each location), Cloud Storage buckets.
   */
  resourcePolicies: z.boolean().default(true),
  /**
   * Members of the Google groups that bindings name, transitively (Cloud Identity Groups API; the
   * reader needs the Groups Reader admin role and the cloud-identity.groups.readonly scope).
   */
  groups: z.boolean().default(true),
});

/** Bounds of the walk through nested groups; what lies past them is a gap, not silently missing. */
export const gcpGroupLimitsSchema = z.strictObject({
  /** Nesting levels below a bound group that are read. */
  maxDepth: z.number().int().min(1).max(50).default(10),
  /** Groups read at most in one collection. */
  maxGroups: z.number().int().min(1).max(100_000).default(5_000),
  /** Members read at most of one group (the rest make paths through the group unknown). */
  maxMembersPerGroup: z.number().int().min(1).max(10_000_000).default(100_000),
});

export const gcpProviderConfigSchema = z
  .strictObject({
    /** Numeric organization id: its IAM policy, every folder and every active project below it. */
    organization: numericId.optional(),
    /** Numeric folder ids: each folder, its subfolders and projects (and its ancestors' policies). */
    folders: z.array(numericId).default([]),
    /** Project ids read in addition (their ancestors' policies are read too, for inheritance). */
    projects: z.array(projectId).default([]),
    /** Projects skipped even when found below the organization or a folder. */
    excludeProjects: z.array(projectId).default([]),
    /** Read-only service account impersonated for each task (IAM Credentials generateAccessToken). */
    impersonateServiceAccount: serviceAccountEmail.optional(),
    /** Lifetime of each per-task access token. */
    tokenLifetimeSeconds: z.number().int().min(300).max(3600).default(600),
    /** API calls in flight at once, across all projects. */
    maxConcurrency: z.number().int().min(1).max(64).default(16),
    /** Attempts per API call (first try included) on quota errors, 5xx, timeouts and network errors. */
    maxAttempts: z.number().int().min(1).max(10).default(5),
    callTimeoutMs: z.number().int().min(100).max(300_000).default(30_000),
    /** How long collected data is reused before it is read again. 0 disables the cache. */
    cacheTtlSeconds: z.number().int().min(0).max(86_400).default(300),
    collect: gcpCollectSchema.default({
      activity: true,
      serviceAccountPolicies: true,
      denyPolicies: true,
      principalAccessBoundaries: true,
      workloadIdentity: true,
      resourcePolicies: true,
      groups: true,
    }),
    groupLimits: gcpGroupLimitsSchema.default({ maxDepth: 10, maxGroups: 5_000, maxMembersPerGroup: 100_000 }),
    /**
     * Locations whose regional Secret Manager secrets (`projects/<p>/locations/<l>/secrets/<s>`,
     * served only by that location's endpoint) are read in every project, with their IAM policies.
     * Google has no call that says which locations a project keeps regional secrets in, so they
     * are named here; none by default. A question about a regional secret elsewhere is unknown.
     */
    secretManagerLocations: z.array(location).default([]).describe("locations whose regional secrets are read in every project, e.g. europe-west1"),
    /** API endpoint overrides (Private Service Connect, emulators, the test fakes). */
    endpoints: gcpEndpointsSchema.default({}),
    /** Activity of service accounts from Cloud Audit Logs (find_anomalous_activity); off unless set. Named apart from collect.activity (last authentication). */
    auditLogs: gcpActivitySchema.optional(),
  })
  .superRefine((config, context) => {
    if (!config.organization && config.folders.length === 0 && config.projects.length === 0) {
      context.addIssue({ code: "custom", path: ["projects"], message: "configure an organization, folders or projects to scan" });
    }
    for (const regional of Object.keys(config.endpoints.secretManagerRegional ?? {})) {
      if (!config.secretManagerLocations.includes(regional)) {
        context.addIssue({ code: "custom", path: ["endpoints", "secretManagerRegional", regional], message: `${regional} is not one of secretManagerLocations` });
      }
    }
    const seen = new Set<string>();
    config.projects.forEach((project, index) => {
      if (seen.has(project)) context.addIssue({ code: "custom", path: ["projects", index], message: `project ${project} is listed twice` });
      seen.add(project);
    });
  });

/** The config after defaults were applied. */
export type GcpProviderConfig = z.output<typeof gcpProviderConfigSchema>;
/** The config as written by a user (defaults optional). */
export type GcpProviderConfigInput = z.input<typeof gcpProviderConfigSchema>;
