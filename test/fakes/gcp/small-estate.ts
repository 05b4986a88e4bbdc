/**
 * A small organization that exercises every mapping: nested folders, a project being deleted,
 * inherited and conditional bindings, deny policies at folder and project level, impersonation
 * and workload identity federation, keys in every state, activity, a custom role and a principal
 * access boundary. Times are relative to `now` so staleness answers are exact.
 */
import { NEVER_EXPIRES, type FakeGcpEstate } from "./estate.js";

export const ORG = "organizations/111111111111";
export const PROD_FOLDER = "folders/222222222222";
export const NONPROD_FOLDER = "folders/333333333333";
export const SANDBOX_FOLDER = "folders/444444444444";
export const PROD = "projects/prod-data-01";
export const CI = "projects/ci-tools-01";
export const SANDBOX = "projects/sandbox-01";

export const sa = (name: string, project: string) => `${name}@${project}.iam.gserviceaccount.com`;
export const DEPLOYER = sa("deployer", "prod-data-01");
export const ETL = sa("etl", "prod-data-01");
export const OLD_REPORTING = sa("old-reporting", "prod-data-01");
export const MIGRATION = sa("migration", "prod-data-01");
export const UNUSED = sa("unused", "prod-data-01");
export const CI_BUILDER = sa("ci-builder", "ci-tools-01");
export const GH_DEPLOYER = sa("gh-deployer", "ci-tools-01");
export const SCANNER = sa("scanner", "ci-tools-01");
export const SANDBOX_BOT = sa("sandbox-bot", "sandbox-01");
export const GITHUB_POOL = "projects/500000000002/locations/global/workloadIdentityPools/github";
export const GITHUB_REPO = `principalSet://iam.googleapis.com/${GITHUB_POOL}/attribute.repository/acme/app`;
export const CUSTOM_ROLE = "organizations/111111111111/roles/ciDeployer";

export const KEY = {
  deployerOld: "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d",
  deployerSystem: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c",
  oldReporting: "2b3c4d5e6f708192a3b4c5d6e7f80912b3c4d5e6",
  migrationExpiring: "3c4d5e6f708192a3b4c5d6e7f8091a3c4d5e6f70",
  unusedNeverSeen: "4d5e6f708192a3b4c5d6e7f8091a2b4d5e6f7081",
  ciDisabled: "5e6f708192a3b4c5d6e7f8091a2b3c5e6f708192",
} as const;

export function smallEstate(now: Date): FakeGcpEstate {
  const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const daysFromNow = (days: number) => daysAgo(-days);
  return {
    // The directory: the auditors group holds the scanner account (read through the Groups API).
    groups: [{ email: "auditors@example.com", id: "0auditors0000001", members: [{ id: SCANNER, type: "SERVICE_ACCOUNT" }] }],
    organization: {
      id: "111111111111",
      displayName: "example.com",
      bindings: [
        { role: "roles/iam.securityReviewer", members: ["group:auditors@example.com", `serviceAccount:${SCANNER}`] },
      ],
      boundaryPolicies: [{ id: "prod-only", displayName: "Production resources only", resources: [`//cloudresourcemanager.googleapis.com/${PROD_FOLDER}`] }],
      boundaryBindings: [{ id: "prod-workloads", principalSet: `//cloudresourcemanager.googleapis.com/${PROD}`, policy: `${ORG}/locations/global/principalAccessBoundaryPolicies/prod-only` }],
    },
    folders: [
      {
        id: "222222222222",
        parent: ORG,
        displayName: "prod",
        bindings: [{ role: "roles/secretmanager.secretAccessor", members: [`serviceAccount:${ETL}`] }],
        denyPolicies: [
          {
            id: "deny-key-creation",
            displayName: "No service account keys in production",
            rules: [
              {
                description: "break-glass excepted",
                deniedPrincipals: ["principalSet://goog/public:all"],
                exceptionPrincipals: ["principalSet://goog/group/break-glass@example.com"],
                deniedPermissions: ["iam.googleapis.com/serviceAccountKeys.create"],
              },
            ],
          },
        ],
      },
      { id: "333333333333", parent: ORG, displayName: "non-prod" },
      { id: "444444444444", parent: NONPROD_FOLDER, displayName: "sandbox" },
    ],
    projects: [
      {
        projectId: "prod-data-01",
        number: "500000000001",
        parent: PROD_FOLDER,
        labels: { environment: "production" },
        bindings: [
          { role: "roles/secretmanager.secretAccessor", members: [`serviceAccount:${DEPLOYER}`] },
          { role: "roles/bigquery.dataViewer", members: [`serviceAccount:${OLD_REPORTING}`] },
          {
            role: "roles/cloudsql.admin",
            members: [`serviceAccount:${MIGRATION}`],
            condition: { title: "temporary-migration", expression: 'request.time < timestamp("2099-01-01T00:00:00Z")' },
          },
        ],
        denyPolicies: [
          {
            id: "restrict-secrets",
            rules: [
              {
                description: "only the deployer reads secret versions",
                deniedPrincipals: ["principalSet://goog/public:all"],
                exceptionPrincipals: [`principal://iam.googleapis.com/projects/-/serviceAccounts/${DEPLOYER}`],
                deniedPermissions: ["secretmanager.googleapis.com/versions.access"],
              },
            ],
          },
        ],
        serviceAccounts: [
          {
            email: DEPLOYER,
            uniqueId: "100000000000000000001",
            displayName: "Deployer",
            description: "Deploys production services",
            lastAuthenticatedTime: daysAgo(1),
            keys: [
              { keyId: KEY.deployerOld, keyType: "USER_MANAGED", validAfterTime: daysAgo(400), validBeforeTime: NEVER_EXPIRES, lastAuthenticatedTime: daysAgo(1), privateKeyData: "RkFLRS1wcml2YXRlLWtleS1FWEFNUExF" },
              { keyId: KEY.deployerSystem, keyType: "SYSTEM_MANAGED", validAfterTime: daysAgo(5), validBeforeTime: daysFromNow(700) },
            ],
            bindings: [{ role: "roles/iam.serviceAccountTokenCreator", members: [`serviceAccount:${CI_BUILDER}`] }],
          },
          { email: ETL, uniqueId: "100000000000000000002", lastAuthenticatedTime: daysAgo(10), keys: [] },
          {
            email: OLD_REPORTING,
            uniqueId: "100000000000000000003",
            disabled: true,
            lastAuthenticatedTime: daysAgo(300),
            keys: [{ keyId: KEY.oldReporting, keyType: "USER_MANAGED", validAfterTime: daysAgo(500), validBeforeTime: NEVER_EXPIRES, lastAuthenticatedTime: daysAgo(300) }],
          },
          {
            email: MIGRATION,
            uniqueId: "100000000000000000004",
            lastAuthenticatedTime: daysAgo(2),
            keys: [{ keyId: KEY.migrationExpiring, keyType: "USER_MANAGED", validAfterTime: daysAgo(83), validBeforeTime: daysFromNow(7), lastAuthenticatedTime: daysAgo(2) }],
          },
          {
            email: UNUSED,
            uniqueId: "100000000000000000005",
            keys: [{ keyId: KEY.unusedNeverSeen, keyType: "USER_MANAGED", validAfterTime: daysAgo(200), validBeforeTime: NEVER_EXPIRES }],
          },
        ],
      },
      {
        projectId: "ci-tools-01",
        number: "500000000002",
        parent: ORG,
        labels: { environment: "shared" },
        bindings: [{ role: CUSTOM_ROLE, members: [`serviceAccount:${CI_BUILDER}`] }],
        pools: [{ id: "github", providers: [{ id: "actions", issuerUri: "https://token.actions.githubusercontent.com", attributeCondition: "assertion.repository_owner == 'acme'" }] }],
        serviceAccounts: [
          {
            email: CI_BUILDER,
            uniqueId: "100000000000000000006",
            lastAuthenticatedTime: daysAgo(0),
            keys: [{ keyId: KEY.ciDisabled, keyType: "USER_MANAGED", validAfterTime: daysAgo(100), validBeforeTime: NEVER_EXPIRES, disabled: true }],
          },
          {
            email: GH_DEPLOYER,
            uniqueId: "100000000000000000007",
            lastAuthenticatedTime: daysAgo(3),
            keys: [],
            bindings: [{ role: "roles/iam.workloadIdentityUser", members: [GITHUB_REPO] }],
          },
          { email: SCANNER, uniqueId: "100000000000000000008", lastAuthenticatedTime: daysAgo(0), keys: [] },
        ],
      },
      { projectId: "sandbox-01", number: "500000000003", parent: SANDBOX_FOLDER, serviceAccounts: [{ email: SANDBOX_BOT, uniqueId: "100000000000000000009", keys: [] }] },
      { projectId: "old-sandbox-02", number: "500000000004", parent: NONPROD_FOLDER, state: "DELETE_REQUESTED", serviceAccounts: [] },
    ],
    roles: {
      "roles/iam.securityReviewer": { title: "Security Reviewer", includedPermissions: ["iam.roles.get", "iam.serviceAccounts.list", "resourcemanager.projects.getIamPolicy"] },
      "roles/secretmanager.secretAccessor": { title: "Secret Manager Secret Accessor", includedPermissions: ["secretmanager.versions.access", "resourcemanager.projects.get"] },
      "roles/bigquery.dataViewer": { title: "BigQuery Data Viewer", includedPermissions: ["bigquery.tables.get", "bigquery.tables.getData"] },
      "roles/cloudsql.admin": { title: "Cloud SQL Admin", includedPermissions: ["cloudsql.instances.connect", "cloudsql.instances.update"] },
      "roles/iam.serviceAccountTokenCreator": {
        title: "Service Account Token Creator",
        includedPermissions: ["iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.getOpenIdToken", "iam.serviceAccounts.signBlob", "iam.serviceAccounts.signJwt", "iam.serviceAccounts.implicitDelegation"],
      },
      "roles/iam.workloadIdentityUser": { title: "Workload Identity User", includedPermissions: ["iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.getOpenIdToken"] },
      [CUSTOM_ROLE]: { title: "CI Deployer", includedPermissions: ["iam.serviceAccountKeys.create", "run.services.create", "iam.serviceAccounts.actAs"] },
    },
  };
}
