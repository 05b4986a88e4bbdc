/**
 * The Google Cloud connector end to end: the real client libraries (googleapis REST, gax REST
 * fallback, google-auth-library) against the wire-level fake, checked with exact expected answers.
 */
import { afterEach, describe, expect, test } from "vitest";
import { createGcpConnector, type GcpConnector } from "../src/providers/gcp/index.js";
import { inventorySnapshotSchema, type InventorySnapshot } from "../src/model/inventory.js";
import { FakeGcpServer, type FakeGcpOptions } from "./fakes/gcp/server.js";
import { FAKE_ADC_TOKEN } from "./fakes/gcp/estate.js";
import { collectWith, countsByApi, endpointsOf, fakeAdcCredentials, instantRetry } from "./fakes/gcp/harness.js";
import {
  CI,
  CI_BUILDER,
  CUSTOM_ROLE,
  DEPLOYER,
  ETL,
  GH_DEPLOYER,
  GITHUB_REPO,
  KEY,
  MIGRATION,
  NONPROD_FOLDER,
  OLD_REPORTING,
  ORG,
  PROD,
  PROD_FOLDER,
  SANDBOX,
  SANDBOX_BOT,
  SANDBOX_FOLDER,
  SCANNER,
  UNUSED,
  smallEstate,
} from "./fakes/gcp/small-estate.js";

const NOW = new Date();
const days = (n: number) => new Date(NOW.getTime() - n * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
const resource = (email: string) => `projects/${email.split("@")[1]?.split(".")[0]}/serviceAccounts/${email}`;

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const item of open.splice(0)) await item.close();
});

async function start(options: FakeGcpOptions = {}): Promise<FakeGcpServer> {
  const fake = await FakeGcpServer.start(smallEstate(NOW), options);
  open.push(fake);
  return fake;
}

function connect(fake: FakeGcpServer, config: Record<string, unknown> = { organization: "111111111111" }): GcpConnector {
  const connector = createGcpConnector({ ...config, endpoints: endpointsOf(fake.url) }, { credentials: fakeAdcCredentials(), retry: instantRetry(), now: () => NOW });
  open.push(connector);
  return connector;
}

function ids<T extends { id: string }>(items: readonly T[]): string[] {
  return items.map((item) => item.id).sort();
}

/** The snapshot without observation times, for comparing two collections. */
function timeless(snapshot: InventorySnapshot): string {
  return JSON.stringify(snapshot, (key, value: unknown) => (key === "observedAt" || key === "generatedAt" ? undefined : value));
}

describe("collecting an organization", () => {
  test("scopes: the organization, nested folders and active projects with their parents, labels and numbers", async () => {
    const fake = await start();
    const { snapshot } = await collectWith(connect(fake), "task-1", NOW);
    expect(inventorySnapshotSchema.parse(snapshot)).toEqual(JSON.parse(JSON.stringify(snapshot)));
    // regionalSecretLocations: which locations' regional secrets were read (none configured here).
    expect(snapshot.scopes.map(({ id, kind, name, parentId, tags, attributes }) => ({ id, kind, name, parentId, tags, attributes })).sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: PROD_FOLDER, kind: "folder", name: "prod", parentId: ORG, tags: undefined, attributes: { collected: true } },
      { id: NONPROD_FOLDER, kind: "folder", name: "non-prod", parentId: ORG, tags: undefined, attributes: { collected: true } },
      { id: SANDBOX_FOLDER, kind: "folder", name: "sandbox", parentId: NONPROD_FOLDER, tags: undefined, attributes: { collected: true } },
      { id: ORG, kind: "organization", name: "example.com", parentId: undefined, tags: undefined, attributes: { collected: true } },
      { id: CI, kind: "project", name: "ci-tools-01", parentId: ORG, tags: { environment: "shared" }, attributes: { collected: true, projectNumber: "500000000002", resourcePoliciesRead: true, regionalSecretLocations: "" } },
      { id: PROD, kind: "project", name: "prod-data-01", parentId: PROD_FOLDER, tags: { environment: "production" }, attributes: { collected: true, projectNumber: "500000000001", resourcePoliciesRead: true, regionalSecretLocations: "" } },
      { id: SANDBOX, kind: "project", name: "sandbox-01", parentId: SANDBOX_FOLDER, tags: undefined, attributes: { collected: true, projectNumber: "500000000003", resourcePoliciesRead: true, regionalSecretLocations: "" } },
    ]);
    expect(snapshot.gaps).toEqual([]);
  });

  test("service accounts with unique id, disabled flag, description and last authentication; members named by bindings", async () => {
    const fake = await start();
    const { snapshot } = await collectWith(connect(fake), "task-1", NOW);
    const accounts = snapshot.principals.filter((p) => p.kind === "service_account");
    expect(ids(accounts)).toEqual([CI_BUILDER, DEPLOYER, ETL, GH_DEPLOYER, MIGRATION, OLD_REPORTING, SANDBOX_BOT, SCANNER, UNUSED].map((e) => `serviceAccount:${e}`).sort());
    const deployer = accounts.find((p) => p.id === `serviceAccount:${DEPLOYER}`);
    expect(deployer).toEqual({
      id: `serviceAccount:${DEPLOYER}`,
      provider: "gcp",
      kind: "service_account",
      workload: true,
      name: "deployer",
      scopeId: PROD,
      email: DEPLOYER,
      uniqueId: "100000000000000000001",
      description: "Deployer — Deploys production services",
      lastActivity: { coverage: "window", source: "policyanalyzer:serviceAccountLastAuthentication", observedAt: NOW.toISOString(), lastUsedAt: days(1) },
      evidence: { source: "iam.serviceAccounts.list", observedAt: NOW.toISOString() },
    });
    expect(accounts.find((p) => p.id === `serviceAccount:${OLD_REPORTING}`)?.disabled).toBe(true);
    // Never authenticated: the activity source was read, and it has no record.
    expect(accounts.find((p) => p.id === `serviceAccount:${UNUSED}`)?.lastActivity).toEqual({ coverage: "window", source: "policyanalyzer:serviceAccountLastAuthentication", observedAt: NOW.toISOString() });
    const others = snapshot.principals.filter((p) => p.kind !== "service_account").map(({ id, kind, workload, scopeId, name }) => ({ id, kind, workload, scopeId, name }));
    expect(others).toEqual([
      { id: "group:auditors@example.com", kind: "group", workload: false, scopeId: ORG, name: "auditors@example.com" },
      { id: GITHUB_REPO, kind: "external", workload: true, scopeId: CI, name: "github pool: attribute.repository/acme/app" },
    ]);
    expect(snapshot.principals.find((p) => p.id === GITHUB_REPO)?.description).toBe("Workload identity pool github, provider actions (issuer https://token.actions.githubusercontent.com)");
  });

  test("keys: type, algorithm, validity, disabled and last authentication; never private key data", async () => {
    const fake = await start();
    const { snapshot } = await collectWith(connect(fake), "task-1", NOW);
    const keyOf = (email: string, keyId: string) => snapshot.credentials.find((c) => c.id === `${resource(email)}/keys/${keyId}`);
    expect(snapshot.credentials).toHaveLength(6);
    expect(keyOf(DEPLOYER, KEY.deployerOld)).toEqual({
      id: `${resource(DEPLOYER)}/keys/${KEY.deployerOld}`,
      provider: "gcp",
      kind: "service_account_key",
      principalId: `serviceAccount:${DEPLOYER}`,
      scopeId: PROD,
      name: KEY.deployerOld,
      status: "active",
      managedBy: "user",
      algorithm: "KEY_ALG_RSA_2048",
      createdAt: days(400),
      expiresAt: "9999-12-31T23:59:59Z",
      lastActivity: { coverage: "window", source: "policyanalyzer:serviceAccountKeyLastAuthentication", observedAt: NOW.toISOString(), lastUsedAt: days(1) },
      evidence: { source: "iam.serviceAccounts.keys.list", observedAt: NOW.toISOString() },
    });
    expect(keyOf(DEPLOYER, KEY.deployerSystem)).toMatchObject({ managedBy: "provider", status: "active", expiresAt: days(-700) });
    expect(keyOf(DEPLOYER, KEY.deployerSystem)?.lastActivity).toBeUndefined();
    expect(keyOf(CI_BUILDER, KEY.ciDisabled)?.status).toBe("disabled");
    expect(keyOf(UNUSED, KEY.unusedNeverSeen)?.lastActivity).toEqual({ coverage: "window", source: "policyanalyzer:serviceAccountKeyLastAuthentication", observedAt: NOW.toISOString() });
    expect(JSON.stringify(snapshot)).not.toContain("RkFLRS1wcml2YXRlLWtleS1FWEFNUExF");
    expect(JSON.stringify(snapshot)).not.toContain("privateKeyData");
  });

  test("bindings on every level with conditions, and impersonation and federation trust edges", async () => {
    const fake = await start();
    const { snapshot } = await collectWith(connect(fake), "task-1", NOW);
    expect(snapshot.grants.map((g) => [g.resource, g.policyId, g.principalId, g.evidence.source]).sort()).toEqual(
      [
        [CI, CUSTOM_ROLE, `serviceAccount:${CI_BUILDER}`, "cloudresourcemanager:projects.getIamPolicy"],
        [PROD_FOLDER, "roles/secretmanager.secretAccessor", `serviceAccount:${ETL}`, "cloudresourcemanager:folders.getIamPolicy"],
        [ORG, "roles/iam.securityReviewer", "group:auditors@example.com", "cloudresourcemanager:organizations.getIamPolicy"],
        [ORG, "roles/iam.securityReviewer", `serviceAccount:${SCANNER}`, "cloudresourcemanager:organizations.getIamPolicy"],
        [resource(GH_DEPLOYER), "roles/iam.workloadIdentityUser", GITHUB_REPO, "iam.serviceAccounts.getIamPolicy"],
        [PROD, "roles/bigquery.dataViewer", `serviceAccount:${OLD_REPORTING}`, "cloudresourcemanager:projects.getIamPolicy"],
        [PROD, "roles/cloudsql.admin", `serviceAccount:${MIGRATION}`, "cloudresourcemanager:projects.getIamPolicy"],
        [PROD, "roles/secretmanager.secretAccessor", `serviceAccount:${DEPLOYER}`, "cloudresourcemanager:projects.getIamPolicy"],
        [resource(DEPLOYER), "roles/iam.serviceAccountTokenCreator", `serviceAccount:${CI_BUILDER}`, "iam.serviceAccounts.getIamPolicy"],
      ].sort(),
    );
    const conditional = snapshot.grants.find((g) => g.policyId === "roles/cloudsql.admin");
    expect(conditional?.id).toBe(`${PROD}#roles/cloudsql.admin#serviceAccount:${MIGRATION}#temporary-migration#420cb1376c6dea3c`);
    expect(conditional?.conditions).toEqual([{ title: "temporary-migration", expression: 'request.time < timestamp("2099-01-01T00:00:00Z")', keys: ["request.time"] }]);

    expect(snapshot.trustEdges.map(({ id, kind, from, to, policyId, conditions }) => ({ id, kind, from, to, policyId, conditions }))).toEqual([
      {
        id: `${resource(GH_DEPLOYER)}#roles/iam.workloadIdentityUser#${GITHUB_REPO}#federation`,
        kind: "federation",
        from: GITHUB_REPO,
        to: `serviceAccount:${GH_DEPLOYER}`,
        policyId: "roles/iam.workloadIdentityUser",
        conditions: [{ title: "provider attribute condition", expression: "assertion.repository_owner == 'acme'", keys: ["assertion.repository_owner"] }],
      },
      {
        id: `${resource(DEPLOYER)}#roles/iam.serviceAccountTokenCreator#serviceAccount:${CI_BUILDER}#impersonation`,
        kind: "impersonation",
        from: `serviceAccount:${CI_BUILDER}`,
        to: `serviceAccount:${DEPLOYER}`,
        policyId: "roles/iam.serviceAccountTokenCreator",
        conditions: undefined,
      },
    ]);
  });

  test("roles with their permissions, deny policies in role form, and principal access boundaries", async () => {
    const fake = await start();
    const { snapshot } = await collectWith(connect(fake), "task-1", NOW);
    const byKind = (kind: string) => snapshot.policies.filter((p) => p.kind === kind);
    expect(ids(byKind("role"))).toEqual(
      [CUSTOM_ROLE, "roles/bigquery.dataViewer", "roles/cloudsql.admin", "roles/iam.securityReviewer", "roles/iam.serviceAccountTokenCreator", "roles/iam.workloadIdentityUser", "roles/secretmanager.secretAccessor"].sort(),
    );
    expect(snapshot.policies.find((p) => p.id === CUSTOM_ROLE)).toMatchObject({
      name: "CI Deployer",
      scopeId: ORG,
      statements: [{ id: "includedPermissions", effect: "Allow", actions: ["iam.serviceAccountKeys.create", "iam.serviceAccounts.actAs", "run.services.create"] }],
      evidence: { source: "iam.roles.get (custom)" },
    });
    expect(byKind("deny").map(({ id, attachedTo, statements }) => ({ id, attachedTo, statements }))).toEqual([
      {
        id: "policies/cloudresourcemanager.googleapis.com%2Ffolders%2F222222222222/denypolicies/deny-key-creation",
        attachedTo: [PROD_FOLDER],
        statements: [
          {
            id: "rule-1",
            effect: "Deny",
            actions: ["iam.serviceAccountKeys.create"],
            principals: ["principalSet://goog/public:all"],
            exceptPrincipals: ["principalSet://goog/group/break-glass@example.com"],
          },
        ],
      },
      {
        id: "policies/cloudresourcemanager.googleapis.com%2Fprojects%2Fprod-data-01/denypolicies/restrict-secrets",
        attachedTo: [PROD],
        statements: [
          {
            id: "rule-1",
            effect: "Deny",
            actions: ["secretmanager.versions.access"],
            principals: ["principalSet://goog/public:all"],
            exceptPrincipals: [`principal://iam.googleapis.com/projects/-/serviceAccounts/${DEPLOYER}`],
          },
        ],
      },
    ]);
    expect(byKind("boundary").map(({ id, statements }) => ({ id, statements }))).toEqual([
      {
        id: `${ORG}/locations/global/principalAccessBoundaryPolicies/prod-only`,
        statements: [
          {
            id: `${ORG}/locations/global/policyBindings/prod-workloads#rule-1`,
            effect: "Allow",
            resources: [`//cloudresourcemanager.googleapis.com/${PROD_FOLDER}`],
            principals: [`//cloudresourcemanager.googleapis.com/${PROD}`],
          },
        ],
      },
    ]);
  });

  test("every request is a read, authenticated with the ADC token; calls are tallied per API", async () => {
    const fake = await start();
    const { operations } = await collectWith(connect(fake), "task-1", NOW);
    expect(fake.writeAttempts).toEqual([]);
    for (const request of fake.requests) {
      expect(request.method === "GET" || /:getIamPolicy$/.test(request.path), `${request.method} ${request.path}`).toBe(true);
      expect(request.token).toBe(FAKE_ADC_TOKEN);
    }
    expect(countsByApi(operations)).toEqual({
      "cloudresourcemanager:folders.getIamPolicy": 3,
      "cloudresourcemanager:folders.list": 4,
      "cloudresourcemanager:organizations.get": 1,
      "cloudresourcemanager:organizations.getIamPolicy": 1,
      "cloudresourcemanager:projects.getIamPolicy": 3,
      "cloudresourcemanager:projects.list": 4,
      "iam.roles.get": 7,
      "iam.serviceAccounts.getIamPolicy": 9,
      "iam.serviceAccounts.keys.list": 9,
      "iam.serviceAccounts.list": 3,
      "iam.v2.policies.get": 2,
      "iam.v2.policies.list": 7,
      "iam.v3.policyBindings.list": 7,
      "iam.v3.principalAccessBoundaryPolicies.list": 1,
      "iam.workloadIdentityPools.list": 3,
      "iam.workloadIdentityPools.providers.list": 1,
      "policyanalyzer:serviceAccountKeyLastAuthentication": 3,
      "policyanalyzer:serviceAccountLastAuthentication": 3,
      // Per project: secrets, buckets and KMS locations listed once, key rings in each of the fake's two locations.
      // The one group bindings name, looked up and its members listed.
      "cloudidentity.groups.lookup": 1,
      "cloudidentity.groups.memberships.list": 1,
      "cloudkms.keyRings.list": 6,
      "cloudkms.locations.list": 3,
      "secretmanager.secrets.list": 3,
      "storage.buckets.list": 3,
    });
    expect(operations.reduce((sum, operation) => sum + operation.count, 0)).toBe(fake.requests.length);
  });

  test("pageToken paging: one-item pages give the same inventory with more calls", async () => {
    const whole = await start();
    const paged = await start({ maxPageSize: 1 });
    const first = await collectWith(connect(whole), "task-1", NOW);
    const second = await collectWith(connect(paged), "task-1", NOW);
    expect(timeless(second.snapshot)).toEqual(timeless(first.snapshot));
    const counts = countsByApi(second.operations);
    // prod-data-01 has 5 accounts: 5 pages; ci-tools-01 3, sandbox-01 1.
    expect(counts["iam.serviceAccounts.list"]).toBe(9);
    // The organization holds 2 folders (one extra page); every other parent holds at most one.
    expect(counts["cloudresourcemanager:folders.list"]).toBe(5);
    expect(counts["cloudresourcemanager:projects.list"]).toBe(4);
  });

  test("a project-only configuration still reads the policies of its folders and organization", async () => {
    const fake = await start();
    const { snapshot } = await collectWith(connect(fake, { projects: ["prod-data-01"] }), "task-1", NOW);
    expect(snapshot.scopes.map(({ id, parentId, attributes }) => ({ id, parentId, collected: attributes?.collected }))).toEqual([
      { id: PROD, parentId: PROD_FOLDER, collected: true },
      { id: PROD_FOLDER, parentId: ORG, collected: false },
      { id: ORG, parentId: undefined, collected: false },
    ]);
    expect(ids(snapshot.policies.filter((p) => p.kind === "deny"))).toEqual([
      "policies/cloudresourcemanager.googleapis.com%2Ffolders%2F222222222222/denypolicies/deny-key-creation",
      "policies/cloudresourcemanager.googleapis.com%2Fprojects%2Fprod-data-01/denypolicies/restrict-secrets",
    ]);
    expect(snapshot.grants.some((g) => g.resource === PROD_FOLDER && g.principalId === `serviceAccount:${ETL}`)).toBe(true);
    expect(snapshot.principals.filter((p) => p.kind === "service_account")).toHaveLength(5);
  });

  test("conditional bindings differing only in their expression are two grants", async () => {
    const fake = await start();
    const project = fake.estate.projects.find((p) => p.projectId === "sandbox-01");
    if (!project) throw new Error("the small estate has sandbox-01");
    const hours = (from: number, to: number) => `request.time.getHours("Europe/Berlin") >= ${from} && request.time.getHours("Europe/Berlin") < ${to}`;
    project.bindings = [
      ...(project.bindings ?? []),
      { role: "roles/storage.objectViewer", members: [`serviceAccount:${SANDBOX_BOT}`], condition: { title: "working-hours", expression: hours(8, 12) } },
      { role: "roles/storage.objectViewer", members: [`serviceAccount:${SANDBOX_BOT}`], condition: { title: "working-hours", expression: hours(13, 18) } },
    ];
    const { snapshot } = await collectWith(connect(fake), "task-1", NOW);
    const grants = snapshot.grants.filter((g) => g.policyId === "roles/storage.objectViewer" && g.principalId === `serviceAccount:${SANDBOX_BOT}`);
    expect(grants.map((g) => g.conditions?.[0]?.expression).sort()).toEqual([hours(13, 18), hours(8, 12)].sort());
    expect(grants.map((g) => g.id).sort()).toEqual([
      `${SANDBOX}#roles/storage.objectViewer#serviceAccount:${SANDBOX_BOT}#working-hours#${fnv1a64(hours(13, 18))}`,
      `${SANDBOX}#roles/storage.objectViewer#serviceAccount:${SANDBOX_BOT}#working-hours#${fnv1a64(hours(8, 12))}`,
    ].sort());
    expect(new Set(grants.map((g) => g.id)).size).toBe(2);
  });

  test("excluded projects are skipped", async () => {
    const fake = await start();
    const { snapshot } = await collectWith(connect(fake, { organization: "111111111111", excludeProjects: ["sandbox-01"] }), "task-1", NOW);
    expect(snapshot.scopes.some((s) => s.id === SANDBOX)).toBe(false);
    expect(snapshot.principals.some((p) => p.id === `serviceAccount:${SANDBOX_BOT}`)).toBe(false);
  });
});

/** FNV-1a 64-bit, computed independently of the connector for the expected grant ids. */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, "utf8")) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
  return hash.toString(16).padStart(16, "0");
}
