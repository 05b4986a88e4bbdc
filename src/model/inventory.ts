/**
 * The normalized, provider-agnostic inventory model.
 *
 * Connectors translate one provider's API into this shape; analysis only reads it. The zod schemas
 * are the single source of truth: TypeScript types are inferred from them, snapshot files are
 * validated with them, and schemas/inventory.schema.json is generated from them.
 *
 * Identifier conventions (every connector and the demo estate follow them; analysis relies on them):
 * - AWS: principals, policies and resources are ARNs. Scope ids: `aws:organization/<o-id>`,
 *   `aws:ou/<ou-id>`, `aws:account/<12 digits>`.
 * - Google Cloud: principal ids are IAM member strings (`serviceAccount:<email>`, `user:<email>`,
 *   `group:<email>`, `principalSet://...`). Scope ids are resource names (`organizations/<n>`,
 *   `folders/<n>`, `projects/<id>`). Resources below a project are `projects/<id>/...`
 *   (a service account resource is `projects/<id>/serviceAccounts/<email>`).
 * - Azure: scope ids are ARM ids (`/providers/Microsoft.Management/managementGroups/<n>`,
 *   `/subscriptions/<id>`, `/subscriptions/<id>/resourceGroups/<rg>`, a vault's ARM id); the RBAC
 *   resource of a vault item is `<vault ARM id>/<secrets|certificates|keys>/<name>`. Entra
 *   principals use their object id. Vault items keep their data-plane id (https://...vault.azure.net/...).
 * - Timestamps are ISO 8601 with an offset (UTC `Z` in practice).
 * - Nothing in the model ever holds a secret value: credentials and vault items are metadata only.
 */
import { z } from "zod";
import { PROVIDER_IDS } from "../providers/ids.js";
import { activityLogSchema } from "./activity-log.js";

export const SNAPSHOT_SCHEMA_VERSION = 1;

const isoTime = z.iso.datetime({ offset: true });

export const providerSchema = z.enum(PROVIDER_IDS);
export type Provider = z.infer<typeof providerSchema>;

/** Where and when a fact was observed. */
export const evidenceSchema = z.object({
  source: z.string().min(1).describe("API or file the fact came from, e.g. iam:GetAccountAuthorizationDetails"),
  observedAt: isoTime,
});
export type Evidence = z.infer<typeof evidenceSchema>;

/**
 * Last-use evidence. `coverage` says what an absent `lastUsedAt` means:
 * - `lifetime`: the source would have recorded any use since creation, so absent means never used;
 * - `window`: the source only covers the trailing `windowDays` (AWS RoleLastUsed: 400 days), so
 *   absent means "not seen in the window", which is a different answer from "never used".
 */
export const activitySchema = z.object({
  lastUsedAt: isoTime.optional(),
  coverage: z.enum(["lifetime", "window"]),
  windowDays: z.number().int().positive().optional(),
  source: z.string().min(1),
  observedAt: isoTime,
  detail: z.string().optional().describe("e.g. the service or region of the last use"),
});
export type Activity = z.infer<typeof activitySchema>;

export const scopeKindSchema = z.enum([
  "organization",
  "folder",
  "account",
  "project",
  "tenant",
  "management_group",
  "subscription",
  "resource_group",
  "vault",
]);
export type ScopeKind = z.infer<typeof scopeKindSchema>;

const tagsSchema = z.record(z.string(), z.string());

export const scopeSchema = z.object({
  id: z.string().min(1),
  provider: providerSchema,
  kind: scopeKindSchema,
  name: z.string(),
  parentId: z.string().optional(),
  tags: tagsSchema.optional().describe("e.g. environment=production; used by policy and filters"),
  attributes: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .optional()
    .describe("provider facts, e.g. Key Vault enableRbacAuthorization"),
  evidence: evidenceSchema,
});
export type Scope = z.infer<typeof scopeSchema>;

export const principalKindSchema = z.enum([
  "user", // human user
  "service_account", // GCP service account, AWS IAM user used by a workload
  "role", // AWS role
  "group",
  "service_principal", // Entra service principal (application instance)
  "application", // Entra app registration
  "managed_identity",
  "external", // federated or foreign identity seen only as a trust source
]);
export type PrincipalKind = z.infer<typeof principalKindSchema>;

/** A condition left open by a statement or binding (AWS Condition block, GCP CEL, Azure ABAC). */
export const conditionSchema = z.object({
  expression: z.string().describe("human-readable condition, e.g. aws:SourceIp IpAddress 10.0.0.0/8"),
  keys: z.array(z.string()).optional().describe("context keys the condition needs"),
  title: z.string().optional(),
  operator: z
    .string()
    .optional()
    .describe("AWS: the condition operator as written (StringEquals, ArnNotLikeIfExists, ForAnyValue:StringLike...), so the evaluator can decide it"),
  values: z.array(z.string()).optional().describe("AWS: the condition's values for its one key, as written"),
});
export type Condition = z.infer<typeof conditionSchema>;

/** An Entra directory role assignment (active) or eligibility (PIM: reachable after activation). */
export const directoryRoleAssignmentSchema = z.object({
  roleId: z.string().min(1).describe("role definition id; the template id for built-in roles"),
  name: z.string().describe("role name, e.g. Application Administrator"),
  directoryScopeId: z.string().describe('"/" for the whole tenant, "/<object id>" for one object'),
  assignment: z.enum(["active", "eligible"]).describe("eligible: PIM, must be activated first"),
});
export type DirectoryRoleAssignment = z.infer<typeof directoryRoleAssignmentSchema>;

export const principalSchema = z.object({
  id: z.string().min(1),
  provider: providerSchema,
  kind: principalKindSchema,
  /** True for machine identities (workloads), false for humans; groups are neither. */
  workload: z.boolean(),
  name: z.string(),
  scopeId: z.string().describe("account, project or tenant that owns the principal"),
  email: z.string().optional(),
  uniqueId: z.string().optional().describe("AWS AROA/AIDA id, GCP unique id, Entra appId"),
  description: z.string().optional(),
  createdAt: isoTime.optional(),
  disabled: z.boolean().optional(),
  tags: tagsSchema.optional(),
  memberOf: z.array(z.string()).optional().describe("ids of groups this principal belongs to"),
  permissionsBoundary: z.string().optional().describe("AWS: id of the boundary policy"),
  trustPolicyId: z.string().optional().describe("AWS role: id of its trust policy"),
  owners: z
    .array(z.string())
    .optional()
    .describe("Entra service principal: object ids of the owners of it or of its application (they can add credentials to it)"),
  directoryRoles: z
    .array(directoryRoleAssignmentSchema)
    .optional()
    .describe("Entra: directory roles assigned to this principal, active or PIM-eligible"),
  exchangeConditions: z
    .array(conditionSchema)
    .optional()
    .describe("federated identity: conditions of the token exchange that starts every path it takes (a workload identity provider's attribute condition)"),
  graphAppPermissions: z
    .array(z.string())
    .optional()
    .describe("Entra service principal: Microsoft Graph application permissions granted to it (e.g. Application.ReadWrite.All)"),
  lastActivity: activitySchema.optional(),
  evidence: evidenceSchema,
});
export type Principal = z.infer<typeof principalSchema>;

export const credentialKindSchema = z.enum([
  "access_key", // AWS access key
  "password", // console password (AWS login profile)
  "service_account_key", // GCP SA key
  "client_secret", // Entra password credential
  "certificate", // Entra key credential, AWS signing or server certificate
]);
export type CredentialKind = z.infer<typeof credentialKindSchema>;

export const credentialSchema = z.object({
  id: z.string().min(1).describe("key id, certificate id or resource name; never a secret"),
  provider: providerSchema,
  kind: credentialKindSchema,
  principalId: z.string().optional(),
  scopeId: z.string(),
  name: z.string().optional(),
  status: z.enum(["active", "inactive", "disabled"]),
  managedBy: z.enum(["user", "provider"]).optional().describe("GCP USER_MANAGED vs SYSTEM_MANAGED"),
  algorithm: z.string().optional(),
  createdAt: isoTime.optional(),
  expiresAt: isoTime.optional(),
  lastRotatedAt: isoTime.optional(),
  lastActivity: activitySchema.optional(),
  evidence: evidenceSchema,
});
export type Credential = z.infer<typeof credentialSchema>;

export const vaultItemSchema = z.object({
  id: z.string().min(1).describe("data-plane item id, e.g. https://kv.vault.azure.net/secrets/name/version"),
  provider: providerSchema,
  kind: z.enum(["secret", "certificate", "key"]),
  name: z.string(),
  scopeId: z.string().describe("the vault's scope id"),
  version: z.string().optional(),
  enabled: z.boolean(),
  createdAt: isoTime.optional(),
  updatedAt: isoTime.optional(),
  notBefore: isoTime.optional(),
  expiresAt: isoTime.optional(),
  contentType: z.string().optional(),
  managed: z.boolean().optional().describe("true when the item backs a certificate"),
  recoveryLevel: z.string().optional(),
  tags: tagsSchema.optional(),
  certificatePolicy: z
    .object({
      issuer: z.string().optional(),
      validityMonths: z.number().int().positive().optional(),
      autoRenew: z.boolean().optional(),
      lifetimeActions: z.array(z.string()).optional(),
    })
    .optional(),
  evidence: evidenceSchema,
});
export type VaultItem = z.infer<typeof vaultItemSchema>;


export const statementSchema = z.object({
  id: z.string().min(1).describe("unique within the policy (Sid or index)"),
  effect: z.enum(["Allow", "Deny"]),
  actions: z.array(z.string()).optional(),
  notActions: z.array(z.string()).optional(),
  resources: z.array(z.string()).optional().describe("absent: the scope the policy is granted at"),
  notResources: z.array(z.string()).optional(),
  principals: z.array(z.string()).optional().describe("resource-based and deny policies: who it applies to"),
  exceptPrincipals: z.array(z.string()).optional(),
  conditions: z.array(conditionSchema).optional(),
});
export type Statement = z.infer<typeof statementSchema>;

export const policyKindSchema = z.enum([
  "managed", // AWS managed or customer-managed policy
  "inline", // AWS inline policy
  "boundary", // AWS permissions boundary (also usable as managed)
  "trust", // AWS role trust policy
  "scp", // AWS service control policy, attached to org/OU/account scopes
  "rcp", // AWS resource control policy: limits what resources in the attached org/OU/account scopes allow
  "role", // GCP predefined or custom role, Azure role definition
  "deny", // GCP deny policy, Azure deny assignment: attached to scopes
  "access_policy", // Azure Key Vault legacy access policy entry
  "resource", // AWS resource-based policy (bucket, key, secret, queue, topic, function): attachedTo names the resource ARN
]);
export type PolicyKind = z.infer<typeof policyKindSchema>;

export const policySchema = z.object({
  id: z.string().min(1),
  provider: providerSchema,
  kind: policyKindSchema,
  name: z.string(),
  scopeId: z.string().optional().describe("where the policy is defined"),
  description: z.string().optional(),
  attachedTo: z.array(z.string()).optional().describe("scp and deny: scope ids the policy applies to"),
  encryptionKey: z
    .string()
    .optional()
    .describe("resource: ARN of the customer managed key that encrypts the resource's data (an AWS secret's KMS key), whose use a read needs too"),
  resourceTags: tagsSchema
    .optional()
    .describe("resource: the tags of the resource the policy is attached to, when read with it (an AWS secret's Tags); decides aws:ResourceTag conditions"),
  enforcementVersion: z
    .string()
    .optional()
    .describe('GCP principal access boundary: its enforcement version ("1", "2", ..., "latest"), which decides the permissions it can block'),
  statements: z.array(statementSchema),
  evidence: evidenceSchema,
});
export type Policy = z.infer<typeof policySchema>;

/**
 * A grant connects a principal to a policy: an AWS policy attachment or inline policy, a GCP role
 * binding, an Azure role assignment or access policy. `resource` is where it applies: for GCP and
 * Azure the scope or resource the binding sits on (inherited downwards); for AWS identity policies
 * it is absent and statements carry their own resources.
 */
export const grantSchema = z.object({
  id: z.string().min(1),
  provider: providerSchema,
  // eligible_role_assignment: an Azure PIM eligibility, reachable only after activation.
  kind: z.enum(["attachment", "inline", "binding", "role_assignment", "eligible_role_assignment", "access_policy"]),
  principalId: z.string(),
  policyId: z.string(),
  resource: z.string().optional(),
  conditions: z.array(conditionSchema).optional(),
  evidence: evidenceSchema,
});
export type Grant = z.infer<typeof grantSchema>;

/**
 * Resource-side acceptance of "from may act as to": an AWS trust policy statement, a GCP workload
 * identity pool mapping, an Entra federated credential. The caller-side permission (AWS
 * sts:AssumeRole in the caller's own policies) is evaluated by analysis, not stored here.
 * `from` may be a principal id, an AWS account root ARN, `service:<name>` or an external subject.
 */
export const trustEdgeSchema = z.object({
  id: z.string().min(1),
  provider: providerSchema,
  kind: z.enum(["assume_role", "impersonation", "federation"]),
  from: z.string().min(1),
  to: z.string().min(1),
  policyId: z.string().optional(),
  statementId: z.string().optional(),
  conditions: z.array(conditionSchema).optional(),
  evidence: evidenceSchema,
});
export type TrustEdge = z.infer<typeof trustEdgeSchema>;

/** A part of the collection that failed: the answer built on it must say so. */
export const collectionGapSchema = z.object({
  provider: providerSchema,
  scopeId: z.string().optional(),
  source: z.string(),
  reason: z.string(),
});
export type CollectionGap = z.infer<typeof collectionGapSchema>;

/**
 * A resource the collection listed whose facts an answer needs beyond its name: where it sits when
 * its name does not say (a Cloud Storage bucket is also named `projects/_/buckets/<b>`), and what
 * else governs access to it. Only resources some answer needs are kept, not every listed one.
 */
export const collectedResourceSchema = z.object({
  id: z.string().min(1).describe("the inventory's id, e.g. projects/<project id>/buckets/<name>"),
  provider: providerSchema,
  kind: z.string().min(1).describe("e.g. bucket"),
  scopeId: z.string().describe("the scope it sits in"),
  attributes: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .optional()
    .describe("provider facts, e.g. a bucket's uniformBucketLevelAccess (off: object ACLs grant access too)"),
  evidence: evidenceSchema,
});
export type CollectedResource = z.infer<typeof collectedResourceSchema>;

export const inventorySnapshotSchema = z.object({
  schemaVersion: z.literal(SNAPSHOT_SCHEMA_VERSION),
  generatedAt: isoTime,
  /** True for the built-in demo estate: every answer made from it says so. */
  demo: z.boolean().optional(),
  description: z.string().optional(),
  scopes: z.array(scopeSchema),
  principals: z.array(principalSchema),
  credentials: z.array(credentialSchema),
  vaultItems: z.array(vaultItemSchema),
  policies: z.array(policySchema),
  grants: z.array(grantSchema),
  trustEdges: z.array(trustEdgeSchema),
  gaps: z.array(collectionGapSchema).optional(),
  resources: z.array(collectedResourceSchema).optional().describe("listed resources whose place or facts answers need (Cloud Storage buckets)"),
  activityLog: activityLogSchema
    .optional()
    .describe("activity of identities from the clouds' logs (metadata only), for find_anomalous_activity"),
});
export type InventorySnapshot = z.infer<typeof inventorySnapshotSchema>;

export function emptySnapshot(generatedAt: string): InventorySnapshot {
  return {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    generatedAt,
    scopes: [],
    principals: [],
    credentials: [],
    vaultItems: [],
    policies: [],
    grants: [],
    trustEdges: [],
    gaps: [],
  };
}
