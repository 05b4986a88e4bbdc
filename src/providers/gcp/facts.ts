/** Google Cloud facts both the connector (to draw trust edges) and the entitlement engine rely on. */

/** Permissions that let a caller obtain credentials of (act as) the service account they are granted on. */
export const GCP_IMPERSONATION_PERMISSIONS: readonly string[] = [
  "iam.serviceAccounts.getAccessToken",
  "iam.serviceAccounts.getOpenIdToken",
  "iam.serviceAccounts.signBlob",
  "iam.serviceAccounts.signJwt",
  "iam.serviceAccounts.implicitDelegation",
];

/** Project scope attribute: the locations whose regional secrets were listed, comma-separated (`""`: none). */
export const REGIONAL_SECRET_LOCATIONS = "regionalSecretLocations";

/** Project scope attribute: configured locations whose regional secret listing failed, comma-separated (absent: none). */
export const REGIONAL_SECRET_LOCATIONS_NOT_LISTED = "regionalSecretLocationsNotListed";

/**
 * Project scope attribute: whether the IAM policies of its secrets, keys and buckets (and its bucket
 * listing) were read (collect.resourcePolicies); absent in snapshots that predate it.
 */
export const RESOURCE_POLICIES_READ = "resourcePoliciesRead";

/** Bucket resource attribute: uniform bucket-level access; off means object ACLs grant access too. */
export const UNIFORM_BUCKET_LEVEL_ACCESS = "uniformBucketLevelAccess";
