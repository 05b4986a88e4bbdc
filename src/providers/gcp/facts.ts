/** Google Cloud facts both the connector (to draw trust edges) and the entitlement engine rely on. */

/** Permissions that let a caller obtain credentials of (act as) the service account they are granted on. */
export const GCP_IMPERSONATION_PERMISSIONS: readonly string[] = [
  "iam.serviceAccounts.getAccessToken",
  "iam.serviceAccounts.getOpenIdToken",
  "iam.serviceAccounts.signBlob",
  "iam.serviceAccounts.signJwt",
  "iam.serviceAccounts.implicitDelegation",
];
