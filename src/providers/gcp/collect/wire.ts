/**
 * Shapes of the Google API answers this connector reads, validated before use. Only the fields
 * the connector needs are kept (zod drops the rest), so nothing else — in particular no
 * `privateKeyData` — can travel further. gax (REST fallback) answers are protobuf objects whose
 * enums may arrive as names or numbers, and whose absent messages are null.
 */
import { z } from "zod";

const text = z.string().nullish().transform((value) => value ?? "");
const enumValue = z.union([z.string(), z.number()]).nullish();
const strings = z.array(z.string()).nullish().transform((value) => value ?? []);

export const exprSchema = z.object({ expression: text, title: text, description: text });
export type WireExpr = z.output<typeof exprSchema>;

export const iamPolicySchema = z.object({
  bindings: z
    .array(z.object({ role: z.string(), members: strings, condition: exprSchema.nullish() }))
    .nullish()
    .transform((value) => value ?? []),
});
export type WireIamPolicy = z.output<typeof iamPolicySchema>;

export const organizationSchema = z.object({ name: z.string(), displayName: text, directoryCustomerId: text });
export type WireOrganization = z.output<typeof organizationSchema>;

export const folderSchema = z.object({ name: z.string(), parent: text, displayName: text, state: enumValue });
export type WireFolder = z.output<typeof folderSchema>;

export const projectSchema = z.object({
  name: z.string(),
  projectId: z.string(),
  parent: text,
  displayName: text,
  state: enumValue,
  labels: z.record(z.string(), z.string()).nullish(),
});
export type WireProject = z.output<typeof projectSchema>;

export const serviceAccountSchema = z.object({
  name: z.string(),
  email: z.string(),
  uniqueId: text,
  displayName: text,
  description: text,
  disabled: z.boolean().nullish(),
});
export type WireServiceAccount = z.output<typeof serviceAccountSchema>;

export const serviceAccountKeySchema = z.object({
  name: z.string(),
  keyType: text,
  keyAlgorithm: text,
  keyOrigin: text,
  validAfterTime: text,
  validBeforeTime: text,
  disabled: z.boolean().nullish(),
});
export type WireServiceAccountKey = z.output<typeof serviceAccountKeySchema>;

export const roleSchema = z.object({
  name: z.string(),
  title: text,
  description: text,
  includedPermissions: strings,
  stage: text,
  deleted: z.boolean().nullish(),
});
export type WireRole = z.output<typeof roleSchema>;

export const denyPolicySchema = z.object({
  name: z.string(),
  displayName: text,
  rules: z
    .array(
      z.object({
        description: text,
        denyRule: z
          .object({
            deniedPrincipals: strings,
            exceptionPrincipals: strings,
            deniedPermissions: strings,
            exceptionPermissions: strings,
            denialCondition: exprSchema.nullish(),
          })
          .nullish(),
      }),
    )
    .nullish()
    .transform((value) => value ?? []),
});
export type WireDenyPolicy = z.output<typeof denyPolicySchema>;
export const denyPolicyListSchema = z.array(z.object({ name: z.string() }));

export const boundaryPolicySchema = z.object({
  name: z.string(),
  displayName: text,
  details: z
    .object({
      rules: z
        .array(z.object({ description: text, resources: strings, effect: enumValue }))
        .nullish()
        .transform((value) => value ?? []),
      enforcementVersion: text,
    })
    .nullish(),
});
export type WireBoundaryPolicy = z.output<typeof boundaryPolicySchema>;

export const policyBindingSchema = z.object({
  name: z.string(),
  target: z.object({ principalSet: text }).nullish(),
  policyKind: enumValue,
  policy: text,
  condition: exprSchema.nullish(),
});
export type WirePolicyBinding = z.output<typeof policyBindingSchema>;

export const workloadIdentityPoolSchema = z.object({
  name: z.string(),
  displayName: text,
  description: text,
  state: text,
  disabled: z.boolean().nullish(),
});
export type WireWorkloadIdentityPool = z.output<typeof workloadIdentityPoolSchema>;

export const workloadIdentityProviderSchema = z.object({
  name: z.string(),
  displayName: text,
  state: text,
  disabled: z.boolean().nullish(),
  attributeCondition: text,
  attributeMapping: z.record(z.string(), z.string()).nullish(),
  oidc: z.object({ issuerUri: text }).nullish(),
  aws: z.object({ accountId: text }).nullish(),
  saml: z.object({}).nullish(),
});
export type WireWorkloadIdentityProvider = z.output<typeof workloadIdentityProviderSchema>;

const resourceRef = z.object({ fullResourceName: text, serviceAccountId: text }).nullish();
export const activitySchema = z.object({
  fullResourceName: text,
  activity: z
    .object({ lastAuthenticatedTime: text, serviceAccount: resourceRef, serviceAccountKey: resourceRef })
    .nullish(),
});
export type WireActivity = z.output<typeof activitySchema>;

export const activityPageSchema = z.object({
  activities: z.array(activitySchema).nullish().transform((value) => value ?? []),
  nextPageToken: text,
});

/** Active state of a folder or project: ACTIVE by name, or 1 as an int-encoded enum. */
export function isActiveState(state: string | number | null | undefined): boolean {
  return state === undefined || state === null || state === "ACTIVE" || state === 1 || state === "STATE_UNSPECIFIED" || state === 0;
}

/** Secret Manager secrets.list: names only matter here (`projects/<number>/secrets/<id>`); never a payload. */
export const secretSchema = z.object({ name: z.string() });
export type WireSecret = z.output<typeof secretSchema>;

/** Cloud KMS locations (REST), key rings and crypto keys: names, and a key's purpose. */
export const kmsLocationPageSchema = z.object({
  locations: z.array(z.object({ name: z.string(), locationId: text })).nullish().transform((value) => value ?? []),
  nextPageToken: text,
});
export const keyRingSchema = z.object({ name: z.string() });
export type WireKeyRing = z.output<typeof keyRingSchema>;
export const cryptoKeySchema = z.object({ name: z.string(), purpose: enumValue });
export type WireCryptoKey = z.output<typeof cryptoKeySchema>;

/**
 * Cloud Storage buckets.list: the bucket name, its project's number, and whether uniform
 * bucket-level access is on (off: object ACLs, which IAM policies do not show, grant access too).
 */
export const bucketSchema = z.object({
  name: z.string(),
  projectNumber: text,
  iamConfiguration: z.object({ uniformBucketLevelAccess: z.object({ enabled: z.boolean().nullish() }).nullish() }).nullish(),
});
export type WireBucket = z.output<typeof bucketSchema>;

/** Cloud Storage managedFolders.list: a managed folder's name, a path ending in `/` (`reports/2026/`). */
export const managedFolderSchema = z.object({ name: z.string() });
export type WireManagedFolder = z.output<typeof managedFolderSchema>;

/** Cloud Identity groups.lookup: the group's resource name (`groups/<id>`). */
export const groupLookupSchema = z.object({ name: z.string() });

/** Cloud Identity memberships.list: who is in a group (users, service accounts, groups). */
export const membershipSchema = z.object({
  preferredMemberKey: z.object({ id: z.string(), namespace: text }).nullish(),
  type: text,
});
export type WireMembership = z.output<typeof membershipSchema>;
