/** The data the Google Cloud fake serves: an organization, folders, projects and their IAM. */

export interface FakeExpr {
  expression: string;
  title?: string;
}

export interface FakeBinding {
  role: string;
  members: string[];
  condition?: FakeExpr;
}

export interface FakeDenyRule {
  description?: string;
  deniedPrincipals: string[];
  exceptionPrincipals?: string[];
  deniedPermissions: string[];
  exceptionPermissions?: string[];
  denialCondition?: FakeExpr;
}

export interface FakeDenyPolicy {
  id: string;
  displayName?: string;
  rules: FakeDenyRule[];
}

export interface FakeKey {
  keyId: string;
  keyType: "USER_MANAGED" | "SYSTEM_MANAGED";
  keyAlgorithm?: string;
  validAfterTime: string;
  validBeforeTime: string;
  disabled?: boolean;
  lastAuthenticatedTime?: string;
  /** Served only to prove the connector drops it (real keys.list never returns it). */
  privateKeyData?: string;
}

export interface FakeServiceAccount {
  email: string;
  uniqueId: string;
  displayName?: string;
  description?: string;
  disabled?: boolean;
  keys: FakeKey[];
  bindings?: FakeBinding[];
  lastAuthenticatedTime?: string;
}

export interface FakeProvider {
  id: string;
  issuerUri?: string;
  attributeCondition?: string;
  disabled?: boolean;
}

export interface FakePool {
  id: string;
  disabled?: boolean;
  providers: FakeProvider[];
}

export interface FakeScopeData {
  bindings?: FakeBinding[];
  denyPolicies?: FakeDenyPolicy[];
  boundaryBindings?: Array<{ id: string; principalSet: string; policy: string; condition?: FakeExpr }>;
}

export interface FakeFolder extends FakeScopeData {
  id: string;
  parent: string;
  displayName: string;
  state?: "ACTIVE" | "DELETE_REQUESTED";
}

export interface FakeProject extends FakeScopeData {
  projectId: string;
  number: string;
  parent: string;
  labels?: Record<string, string>;
  state?: "ACTIVE" | "DELETE_REQUESTED";
  serviceAccounts: FakeServiceAccount[];
  pools?: FakePool[];
  /** Secret Manager secrets (metadata and IAM policy only; the fake serves no payload). */
  secrets?: Array<{ id: string; bindings?: FakeBinding[] }>;
  /** Regional secrets, served only under their location's path (as a regional endpoint would). */
  regionalSecrets?: Array<{ location: string; id: string; bindings?: FakeBinding[] }>;
  /** Cloud KMS key rings by location, with their crypto keys. */
  keyRings?: Array<{ location: string; id: string; bindings?: FakeBinding[]; keys: Array<{ id: string; bindings?: FakeBinding[] }> }>;
  /** Cloud Storage buckets: uniform bucket-level access is on unless `uniform` is false; managed folders are named with their trailing slash. */
  buckets?: Array<{ name: string; bindings?: FakeBinding[]; uniform?: boolean; managedFolders?: Array<{ name: string; bindings?: FakeBinding[] }> }>;
  /** Cloud Audit Log entries (activity, #18), as Logging stores them; `log` is the log id. */
  auditLog?: Array<{ log: "activity" | "data_access"; entry: Record<string, unknown> }>;
}

export interface FakeBoundaryPolicy {
  id: string;
  displayName?: string;
  resources: string[];
  /** "1" ... "4" or "latest"; the fake serves "4" when unset (Google stores the version a policy was made with). */
  enforcementVersion?: string;
}

/** A Cloud Identity group: its email, its resource id, and its direct members. */
export interface FakeGroup {
  email: string;
  id: string;
  members: Array<{ id: string; type: "USER" | "SERVICE_ACCOUNT" | "GROUP" | "OTHER" }>;
}

export interface FakeGcpEstate {
  organization?: FakeScopeData & { id: string; displayName: string; boundaryPolicies?: FakeBoundaryPolicy[] };
  /** Cloud Identity groups (absent: the Groups API answers 403, as without the Groups Reader role). */
  groups?: FakeGroup[];
  folders: FakeFolder[];
  projects: FakeProject[];
  /** Full role name → title and permissions (predefined `roles/x` and custom roles). */
  roles: Record<string, { title: string; includedPermissions: string[]; deleted?: boolean }>;
}

export const FAKE_ADC_TOKEN = "ya29.FAKE-adc-token-EXAMPLE";
export const NEVER_EXPIRES = "9999-12-31T23:59:59Z";

/** A 40-hex key id derived from a number, obviously not a real key. */
export function fakeKeyId(n: number): string {
  return `fa4e${n.toString(16).padStart(36, "0")}`;
}

/** An organization with `projects` projects under 5 folders, spreading accounts and keys evenly. */
export function largeEstate(options: { projects: number; serviceAccounts: number; keys: number; now: Date }): FakeGcpEstate {
  const organization = { id: "100000000001", displayName: "bench.example.com", bindings: [{ role: "roles/iam.securityReviewer", members: ["group:auditors@bench.example.com"] }] };
  const folders: FakeFolder[] = Array.from({ length: 5 }, (_, index) => ({
    id: `20000000000${index}`,
    parent: `organizations/${organization.id}`,
    displayName: `team-${index}`,
    bindings: [{ role: "roles/viewer", members: [`group:team-${index}@bench.example.com`] }],
  }));
  const day = 86_400_000;
  const projects: FakeProject[] = [];
  let keyNumber = 0;
  for (let p = 0; p < options.projects; p++) {
    const projectId = `bench-project-${String(p).padStart(3, "0")}`;
    const accounts: FakeServiceAccount[] = [];
    const perProject = Math.floor(options.serviceAccounts / options.projects) + (p < options.serviceAccounts % options.projects ? 1 : 0);
    for (let a = 0; a < perProject; a++) {
      const index = projects.length * 1000 + a;
      const email = `workload-${a}@${projectId}.iam.gserviceaccount.com`;
      accounts.push({
        email,
        uniqueId: `1${String(index).padStart(20, "0")}`,
        keys: [],
        ...(a % 3 === 0 ? { lastAuthenticatedTime: new Date(options.now.getTime() - (a % 200) * day).toISOString() } : {}),
        ...(a % 10 === 0 ? { bindings: [{ role: "roles/iam.serviceAccountTokenCreator", members: [`serviceAccount:workload-${a + 1}@${projectId}.iam.gserviceaccount.com`] }] } : {}),
      });
    }
    projects.push({
      projectId,
      number: String(300000000000 + p),
      parent: `folders/${folders[p % folders.length]?.id ?? ""}`,
      labels: { environment: p % 2 === 0 ? "production" : "development" },
      serviceAccounts: accounts,
      bindings: accounts.slice(0, 20).map((account, index) => ({ role: index % 2 === 0 ? "roles/storage.objectViewer" : "roles/editor", members: [`serviceAccount:${account.email}`] })),
    });
  }
  // Keys round-robin over all accounts.
  const allAccounts = projects.flatMap((project) => project.serviceAccounts);
  for (let k = 0; k < options.keys; k++) {
    const account = allAccounts[k % allAccounts.length];
    if (!account) break;
    account.keys.push({
      keyId: fakeKeyId(keyNumber++),
      keyType: k % 4 === 0 ? "SYSTEM_MANAGED" : "USER_MANAGED",
      keyAlgorithm: "KEY_ALG_RSA_2048",
      validAfterTime: new Date(options.now.getTime() - (k % 500) * day).toISOString(),
      validBeforeTime: NEVER_EXPIRES,
    });
  }
  // Each project keeps one secret and one bucket with a binding of their own; the bound groups are in the directory.
  for (const project of projects) {
    const first = project.serviceAccounts[0]?.email;
    const members = first ? [`serviceAccount:${first}`] : [];
    project.secrets = [{ id: "app-config", bindings: [{ role: "roles/storage.objectViewer", members }] }];
    project.buckets = [{ name: `${project.projectId}-data`, bindings: [{ role: "roles/storage.objectViewer", members }] }];
  }
  const groups = [
    { email: "auditors@bench.example.com", id: "0bench0auditors0", members: [{ id: projects[0]?.serviceAccounts[0]?.email ?? "", type: "SERVICE_ACCOUNT" as const }] },
    ...folders.map((_, index) => ({
      email: `team-${index}@bench.example.com`,
      id: `0bench0team0000${index}`,
      members: projects
        .filter((project) => project.parent === `folders/${folders[index]?.id ?? ""}`)
        .map((project) => ({ id: project.serviceAccounts[1]?.email ?? "", type: "SERVICE_ACCOUNT" as const })),
    })),
  ];
  return {
    organization,
    folders,
    projects,
    groups,
    roles: {
      "roles/iam.securityReviewer": { title: "Security Reviewer", includedPermissions: ["iam.roles.get", "iam.serviceAccounts.list"] },
      "roles/viewer": { title: "Viewer", includedPermissions: ["resourcemanager.projects.get", "iam.serviceAccounts.list"] },
      "roles/editor": { title: "Editor", includedPermissions: ["iam.serviceAccounts.actAs", "iam.serviceAccountKeys.create", "storage.objects.get"] },
      "roles/storage.objectViewer": { title: "Storage Object Viewer", includedPermissions: ["storage.objects.get", "storage.objects.list"] },
      "roles/iam.serviceAccountTokenCreator": {
        title: "Service Account Token Creator",
        includedPermissions: ["iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.getOpenIdToken", "iam.serviceAccounts.signBlob", "iam.serviceAccounts.signJwt", "iam.serviceAccounts.implicitDelegation"],
      },
    },
  };
}
