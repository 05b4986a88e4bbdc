/**
 * The Google Cloud part of the demo estate: an organization with prod and non-prod folders and
 * four projects, an impersonation chain from CI into production secrets, deny policies with
 * exceptions, conditional bindings, workload identity federation, keys in every state, and filler
 * service accounts.
 *
 * Activity: Activity Analyzer (`serviceAccountLastAuthentication`) reports the last authentication
 * it recorded but documents no retention that would make an absent record mean "never used", so
 * activity here has coverage "window" without a window length: absent means "not seen".
 * Deny policy permissions are normalized to the role permission form (`iam.serviceAccountKeys.create`
 * rather than `iam.googleapis.com/serviceAccountKeys.create`) so they compare directly.
 */
import type { Condition, Principal } from "../../../model/inventory.js";
import { DEMO_ANCHORS } from "../../../connectors/demo/anchors.js";
import { workloadNames, type DemoEstate } from "../../../connectors/demo/estate.js";
import { compactGrant } from "../../../model/compact-grant.js";

const G = DEMO_ANCHORS.gcp;
const ORG_DOMAIN = "acme.example.com";
const LAST_AUTHENTICATION = "policyanalyzer:serviceAccountLastAuthentication";
const KEY_LAST_AUTHENTICATION = "policyanalyzer:serviceAccountKeyLastAuthentication";
/** How the keys API reports a key without expiry. */
const NEVER_EXPIRES = "9999-12-31T23:59:59Z";
const EVERYONE = "principalSet://goog/public:all";

const PROJECT_NUMBERS: Record<string, string> = {
  "acme-prod-data": "481516234201",
  "acme-prod-web": "481516234202",
  "acme-ci-builds": "481516234203",
  "acme-dev-sandbox": "481516234204",
};

const saEmail = (accountId: string, project: string) => `${accountId}@${project}.iam.gserviceaccount.com`;
const saResourceOf = (project: string, email: string) => `projects/${project}/serviceAccounts/${email}`;

/** Predefined roles, trimmed to the permissions that matter for the demo questions. */
const PREDEFINED_ROLES: Record<string, string[]> = {
  "roles/secretmanager.secretAccessor": ["secretmanager.versions.access", "resourcemanager.projects.get", "resourcemanager.projects.list"],
  "roles/iam.serviceAccountTokenCreator": [
    "iam.serviceAccounts.get",
    "iam.serviceAccounts.getAccessToken",
    "iam.serviceAccounts.getOpenIdToken",
    "iam.serviceAccounts.implicitDelegation",
    "iam.serviceAccounts.list",
    "iam.serviceAccounts.signBlob",
    "iam.serviceAccounts.signJwt",
    "resourcemanager.projects.get",
  ],
  "roles/iam.workloadIdentityUser": ["iam.serviceAccounts.get", "iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.getOpenIdToken", "iam.serviceAccounts.list"],
  "roles/iam.serviceAccountUser": ["iam.serviceAccounts.actAs", "iam.serviceAccounts.get", "iam.serviceAccounts.list", "resourcemanager.projects.get"],
  "roles/iam.serviceAccountKeyAdmin": [
    "iam.serviceAccountKeys.create",
    "iam.serviceAccountKeys.delete",
    "iam.serviceAccountKeys.disable",
    "iam.serviceAccountKeys.enable",
    "iam.serviceAccountKeys.get",
    "iam.serviceAccountKeys.list",
    "iam.serviceAccounts.get",
    "iam.serviceAccounts.list",
  ],
  "roles/iam.securityReviewer": [
    "iam.roles.get",
    "iam.roles.list",
    "iam.serviceAccounts.get",
    "iam.serviceAccounts.list",
    "iam.serviceAccountKeys.get",
    "iam.serviceAccountKeys.list",
    "resourcemanager.organizations.getIamPolicy",
    "resourcemanager.folders.getIamPolicy",
    "resourcemanager.projects.getIamPolicy",
    "secretmanager.secrets.getIamPolicy",
  ],
  "roles/cloudasset.viewer": ["cloudasset.assets.searchAllResources", "cloudasset.assets.searchAllIamPolicies", "cloudasset.assets.analyzeIamPolicy"],
  "roles/resourcemanager.organizationAdmin": [
    "resourcemanager.organizations.get",
    "resourcemanager.organizations.getIamPolicy",
    "resourcemanager.organizations.setIamPolicy",
    "resourcemanager.folders.getIamPolicy",
    "resourcemanager.folders.setIamPolicy",
    "resourcemanager.projects.getIamPolicy",
    "resourcemanager.projects.setIamPolicy",
  ],
  // Basic roles hold thousands of permissions; a representative subset keeps answers readable.
  "roles/editor": [
    "bigquery.datasets.create",
    "bigquery.tables.getData",
    "bigquery.tables.updateData",
    "cloudsql.instances.connect",
    "cloudsql.instances.update",
    "compute.instances.create",
    "compute.instances.setServiceAccount",
    "iam.serviceAccounts.actAs",
    "iam.serviceAccounts.create",
    "iam.serviceAccountKeys.create",
    "pubsub.topics.publish",
    "run.services.update",
    "secretmanager.secrets.create",
    "secretmanager.versions.add",
    "storage.buckets.create",
    "storage.objects.create",
    "storage.objects.delete",
    "storage.objects.get",
  ],
  "roles/viewer": ["bigquery.datasets.get", "compute.instances.list", "iam.serviceAccounts.list", "resourcemanager.projects.get", "secretmanager.secrets.list", "storage.buckets.list"],
  "roles/bigquery.dataViewer": ["bigquery.datasets.get", "bigquery.tables.get", "bigquery.tables.getData", "bigquery.tables.list"],
  "roles/bigquery.dataEditor": ["bigquery.datasets.get", "bigquery.tables.create", "bigquery.tables.getData", "bigquery.tables.updateData"],
  "roles/storage.objectViewer": ["storage.objects.get", "storage.objects.list"],
  "roles/cloudkms.cryptoKeyDecrypter": ["cloudkms.cryptoKeyVersions.useToDecrypt", "cloudkms.locations.get", "cloudkms.locations.list", "resourcemanager.projects.get"],
  "roles/storage.objectAdmin": ["storage.objects.create", "storage.objects.delete", "storage.objects.get", "storage.objects.list", "storage.objects.update"],
  "roles/pubsub.publisher": ["pubsub.topics.publish"],
  "roles/pubsub.subscriber": ["pubsub.subscriptions.consume", "pubsub.topics.attachSubscription"],
  "roles/cloudsql.client": ["cloudsql.instances.connect", "cloudsql.instances.get"],
  "roles/cloudsql.admin": ["cloudsql.instances.connect", "cloudsql.instances.get", "cloudsql.instances.update", "cloudsql.users.update", "cloudsql.instances.delete"],
  "roles/logging.logWriter": ["logging.logEntries.create"],
  "roles/monitoring.metricWriter": ["monitoring.timeSeries.create"],
  "roles/run.invoker": ["run.routes.invoke"],
  "roles/run.developer": ["run.services.create", "run.services.get", "run.services.update", "run.revisions.get"],
  "roles/cloudbuild.builds.builder": ["cloudbuild.builds.create", "cloudbuild.builds.get", "artifactregistry.repositories.uploadArtifacts", "storage.objects.create"],
  "roles/artifactregistry.writer": ["artifactregistry.repositories.downloadArtifacts", "artifactregistry.repositories.uploadArtifacts"],
};

class GcpWriter {
  constructor(private readonly estate: DemoEstate) {}

  scope(id: string, kind: "organization" | "folder" | "project", name: string, parentId: string | undefined, tags?: Record<string, string>): void {
    const source = { organization: "cloudresourcemanager:organizations.get", folder: "cloudresourcemanager:folders.list", project: "cloudresourcemanager:projects.list" }[kind];
    const projectNumber = kind === "project" ? PROJECT_NUMBERS[name] : undefined;
    this.estate.scopes.push({
      id,
      provider: "gcp",
      kind,
      name,
      ...(parentId ? { parentId } : {}),
      ...(tags ? { tags } : {}),
      ...(projectNumber ? { attributes: { projectNumber } } : {}),
      evidence: this.estate.evidence(source),
    });
  }

  serviceAccount(
    project: string,
    email: string,
    options: {
      createdDaysAgo: number;
      /** undefined: no authentication recorded; "unobserved": no activity data for this project. */
      lastAuthenticatedDaysAgo: number | undefined | "unobserved";
      description?: string;
      disabled?: boolean;
    },
  ): string {
    const id = `serviceAccount:${email}`;
    const principal: Principal = {
      id,
      provider: "gcp",
      kind: "service_account",
      workload: true,
      name: email.split("@")[0] ?? email,
      scopeId: `projects/${project}`,
      email,
      uniqueId: `1${this.estate.random.digits(20)}`,
      createdAt: this.estate.clock.daysAgo(options.createdDaysAgo),
      evidence: this.estate.evidence("iam.serviceAccounts.list"),
    };
    if (options.description) principal.description = options.description;
    if (options.disabled) principal.disabled = true;
    if (options.lastAuthenticatedDaysAgo !== "unobserved") {
      principal.lastActivity = this.estate.activity(LAST_AUTHENTICATION, "window", options.lastAuthenticatedDaysAgo);
    }
    this.estate.principals.push(principal);
    return id;
  }

  member(id: string, kind: "user" | "group", memberOf?: string[]): void {
    const email = id.slice(id.indexOf(":") + 1);
    this.estate.principals.push({
      id,
      provider: "gcp",
      kind,
      workload: false,
      name: email,
      scopeId: G.organization,
      email,
      ...(memberOf ? { memberOf } : {}),
      evidence: this.estate.evidence(kind === "group" ? "cloudidentity:groups.list" : "cloudidentity:groups.memberships.list"),
    });
  }

  key(
    project: string,
    email: string,
    keyId: string,
    options: {
      managedBy: "user" | "provider";
      status: "active" | "disabled";
      createdDaysAgo: number;
      expiresAt?: string;
      lastAuthenticatedDaysAgo?: number | undefined | "unobserved";
    },
  ): string {
    const id = `${saResourceOf(project, email)}/keys/${keyId}`;
    const { clock } = this.estate;
    this.estate.credentials.push({
      id,
      provider: "gcp",
      kind: "service_account_key",
      principalId: `serviceAccount:${email}`,
      scopeId: `projects/${project}`,
      name: keyId,
      status: options.status,
      managedBy: options.managedBy,
      algorithm: "KEY_ALG_RSA_2048",
      createdAt: clock.daysAgo(options.createdDaysAgo),
      ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
      ...(options.lastAuthenticatedDaysAgo === "unobserved" || options.managedBy === "provider"
        ? {}
        : { lastActivity: this.estate.activity(KEY_LAST_AUTHENTICATION, "window", options.lastAuthenticatedDaysAgo) }),
      evidence: this.estate.evidence("iam.serviceAccounts.keys.list"),
    });
    return id;
  }

  role(id: string, title: string, permissions: string[], options: { scopeId?: string; description?: string } = {}): void {
    this.estate.policies.push({
      id,
      provider: "gcp",
      kind: "role",
      name: title,
      ...(options.scopeId ? { scopeId: options.scopeId } : {}),
      ...(options.description ? { description: options.description } : {}),
      statements: [{ id: "includedPermissions", effect: "Allow", actions: permissions }],
      evidence: this.estate.evidence(options.scopeId ? "iam.roles.get (custom)" : "iam.roles.get"),
    });
  }

  bind(member: string, role: string, resource: string, conditions?: Condition[]): string {
    const source = resource.startsWith("organizations/")
      ? "cloudresourcemanager:organizations.getIamPolicy"
      : resource.startsWith("folders/")
        ? "cloudresourcemanager:folders.getIamPolicy"
        : resource.includes("/serviceAccounts/")
          ? "iam.serviceAccounts.getIamPolicy"
          : resource.includes("/secrets/")
            ? "secretmanager.secrets.getIamPolicy"
            : resource.includes("/cryptoKeys/")
              ? "cloudkms.cryptoKeys.getIamPolicy"
              : "cloudresourcemanager:projects.getIamPolicy";
    const title = conditions?.[0]?.title;
    const id = `${resource}#${role}#${member}${title ? `#${title}` : ""}`;
    this.estate.grants.push(compactGrant({
      id,
      provider: "gcp",
      kind: "binding",
      principalId: member,
      policyId: role,
      resource,
      ...(conditions ? { conditions } : {}),
      evidence: this.estate.evidence(source),
    }));
    return id;
  }
}

export function addGcpEstate(estate: DemoEstate): void {
  const gcp = new GcpWriter(estate);
  const { clock } = estate;

  gcp.scope(G.organization, "organization", ORG_DOMAIN, undefined);
  gcp.scope(G.prodFolder, "folder", "prod", G.organization, { environment: "production" });
  gcp.scope(G.nonProdFolder, "folder", "non-prod", G.organization, { environment: "development" });
  gcp.scope(G.prodDataProject, "project", "acme-prod-data", G.prodFolder, { environment: "production", "data-classification": "confidential" });
  gcp.scope(G.prodWebProject, "project", "acme-prod-web", G.prodFolder, { environment: "production" });
  gcp.scope(G.ciProject, "project", "acme-ci-builds", G.organization, { environment: "shared" });
  gcp.scope(G.devProject, "project", "acme-dev-sandbox", G.nonProdFolder, { environment: "development" });

  for (const [id, permissions] of Object.entries(PREDEFINED_ROLES)) gcp.role(id, id, permissions);
  gcp.role(
    G.customRole,
    "CI Deployer",
    ["run.services.create", "run.services.get", "run.services.update", "iam.serviceAccounts.actAs", "artifactregistry.repositories.downloadArtifacts", "storage.objects.get", "storage.objects.list"],
    { scopeId: G.organization, description: "Deploys Cloud Run services and acts as their runtime service accounts" },
  );

  // People and groups that appear in bindings.
  const group = (name: string) => `group:${name}@${ORG_DOMAIN}`;
  const user = (name: string) => `user:${name}@${ORG_DOMAIN}`;
  for (const name of ["platform-engineers", "security-auditors", "developers", "gcp-break-glass"]) gcp.member(group(name), "group");
  gcp.member(user("alice.nguyen"), "user", [group("platform-engineers"), group("gcp-break-glass")]);
  gcp.member(user("bob.martin"), "user", [group("platform-engineers")]);
  gcp.member(user("farah.haddad"), "user", [group("developers")]);
  gcp.member(user("george.ito"), "user", [group("developers")]);
  gcp.member(user("dan.okafor"), "user", [group("security-auditors")]);

  // Organization and folder bindings (inherited by every project below them).
  gcp.bind(group("security-auditors"), "roles/iam.securityReviewer", G.organization);
  gcp.bind(group("security-auditors"), "roles/cloudasset.viewer", G.organization);
  gcp.bind(user("alice.nguyen"), "roles/resourcemanager.organizationAdmin", G.organization);
  const orgScanner = gcp.serviceAccount("acme-ci-builds", saEmail("org-scanner", "acme-ci-builds"), { createdDaysAgo: 520, lastAuthenticatedDaysAgo: 0.2 });
  gcp.bind(orgScanner, "roles/iam.securityReviewer", G.organization);
  gcp.bind(orgScanner, "roles/cloudasset.viewer", G.organization);
  gcp.bind(group("platform-engineers"), "roles/viewer", G.prodFolder);
  gcp.bind(group("platform-engineers"), "roles/editor", G.nonProdFolder);
  gcp.bind(group("developers"), "roles/editor", G.nonProdFolder);

  // The impersonation chain: ci-builder holds Token Creator on prod-deployer, which reads prod secrets.
  const ciBuilderEmail = saEmail("ci-builder", "acme-ci-builds");
  gcp.serviceAccount("acme-ci-builds", ciBuilderEmail, { createdDaysAgo: 720, lastAuthenticatedDaysAgo: 0.05, description: "Cloud Build pipelines for all services" });
  gcp.key("acme-ci-builds", ciBuilderEmail, lastSegment(G.ciServiceAccountOldKey), {
    managedBy: "user",
    status: "active",
    createdDaysAgo: 400,
    expiresAt: NEVER_EXPIRES,
    lastAuthenticatedDaysAgo: 1,
  });
  gcp.bind(G.ciServiceAccount, "roles/cloudbuild.builds.builder", G.ciProject);
  gcp.bind(G.ciServiceAccount, "roles/artifactregistry.writer", G.ciProject);

  const deployerEmail = saEmail("prod-deployer", "acme-prod-data");
  gcp.serviceAccount("acme-prod-data", deployerEmail, { createdDaysAgo: 690, lastAuthenticatedDaysAgo: 0.05, description: "Deploys production services; impersonated by CI" });
  const tokenCreator = gcp.bind(G.ciServiceAccount, "roles/iam.serviceAccountTokenCreator", G.prodDeployerResource);
  estate.trustEdges.push({
    id: `${tokenCreator}#impersonation`,
    provider: "gcp",
    kind: "impersonation",
    from: G.ciServiceAccount,
    to: G.prodDeployerServiceAccount,
    policyId: "roles/iam.serviceAccountTokenCreator",
    statementId: "includedPermissions",
    evidence: estate.evidence("iam.serviceAccounts.getIamPolicy"),
  });
  gcp.bind(group("platform-engineers"), "roles/iam.serviceAccountUser", G.prodDeployerResource);
  gcp.bind(G.prodDeployerServiceAccount, "roles/secretmanager.secretAccessor", G.prodDataProject);
  gcp.bind(G.prodDeployerServiceAccount, G.customRole, G.prodWebProject);

  // Production secrets (metadata only).
  const secrets: [string, number, string | undefined][] = [
    ["payments-db-password", 610, undefined],
    ["payments-psp-api-key", 400, clock.daysFromNow(40)],
    ["ledger-signing-key", 800, undefined],
    ["analytics-warehouse-creds", 300, undefined],
  ];
  for (const [name, createdDaysAgo, expiresAt] of secrets) {
    estate.vaultItems.push({
      id: `projects/acme-prod-data/secrets/${name}`,
      provider: "gcp",
      kind: "secret",
      name,
      scopeId: G.prodDataProject,
      enabled: true,
      createdAt: clock.daysAgo(createdDaysAgo),
      ...(expiresAt ? { expiresAt } : {}),
      tags: { environment: "production" },
      evidence: estate.evidence("secretmanager.secrets.list"),
    });
  }

  // Deny policies: secret access only for the named workloads; no key creation anywhere in prod.
  estate.policies.push(
    {
      id: G.secretDenyPolicy,
      provider: "gcp",
      kind: "deny",
      name: "restrict-secret-access",
      scopeId: G.prodDataProject,
      description: "Only the deployment and payment workloads may read secret versions in acme-prod-data",
      attachedTo: [G.prodDataProject],
      statements: [
        {
          id: "deny-secret-versions-access",
          effect: "Deny",
          actions: ["secretmanager.versions.access"],
          principals: [EVERYONE],
          exceptPrincipals: [G.prodDeployerServiceAccount, G.resourceConditionServiceAccount, `serviceAccount:${saEmail("ledger-worker", "acme-prod-data")}`, G.keyCreationExceptionGroup],
        },
      ],
      evidence: estate.evidence("iam.v2.policies.get"),
    },
    {
      id: G.keyCreationDenyPolicy,
      provider: "gcp",
      kind: "deny",
      name: "deny-sa-key-creation",
      scopeId: G.prodFolder,
      description: "No service account keys in production; break-glass group excepted",
      attachedTo: [G.prodFolder],
      statements: [
        {
          id: "deny-key-creation",
          effect: "Deny",
          actions: ["iam.serviceAccountKeys.create", "iam.serviceAccountKeys.upload"],
          principals: [EVERYONE],
          exceptPrincipals: [G.keyCreationExceptionGroup],
        },
      ],
      evidence: estate.evidence("iam.v2.policies.get"),
    },
  );

  // Blocked by the secret deny: an ETL account whose folder binding grants secret access.
  gcp.serviceAccount("acme-prod-data", saEmail("analytics-etl", "acme-prod-data"), { createdDaysAgo: 450, lastAuthenticatedDaysAgo: 0.3 });
  gcp.bind(G.secretDenyBlockedServiceAccount, "roles/secretmanager.secretAccessor", G.prodFolder);
  gcp.bind(G.secretDenyBlockedServiceAccount, "roles/bigquery.dataEditor", G.prodDataProject);

  // Blocked by the key-creation deny: Terraform holds key admin on the prod folder.
  gcp.serviceAccount("acme-ci-builds", saEmail("terraform", "acme-ci-builds"), { createdDaysAgo: 800, lastAuthenticatedDaysAgo: 0.5, description: "Terraform applies for all environments" });
  gcp.bind(G.keyCreationBlockedServiceAccount, "roles/iam.serviceAccountKeyAdmin", G.prodFolder);
  gcp.bind(G.keyCreationBlockedServiceAccount, "roles/editor", G.prodFolder);
  gcp.bind(G.keyCreationBlockedServiceAccount, "roles/editor", G.nonProdFolder);

  // Conditional bindings: by resource name and by time.
  const paymentsEmail = saEmail("payments-api", "acme-prod-data");
  gcp.serviceAccount("acme-prod-data", paymentsEmail, { createdDaysAgo: 560, lastAuthenticatedDaysAgo: 0.01 });
  gcp.bind(G.resourceConditionServiceAccount, "roles/secretmanager.secretAccessor", G.prodDataProject, [
    {
      title: "payments-secrets-only",
      expression: 'resource.name.startsWith("projects/acme-prod-data/secrets/payments-")',
      keys: ["resource.name"],
    },
  ]);
  gcp.key("acme-prod-data", paymentsEmail, lastSegment(G.expiringKey), {
    managedBy: "user",
    status: "active",
    createdDaysAgo: 83,
    expiresAt: clock.daysFromNow(7),
    lastAuthenticatedDaysAgo: 0.2,
  });
  gcp.serviceAccount("acme-prod-data", saEmail("migration-runner", "acme-prod-data"), { createdDaysAgo: 20, lastAuthenticatedDaysAgo: 2 });
  const migrationEnds = clock.daysFromNow(14);
  gcp.bind(G.timeConditionServiceAccount, "roles/cloudsql.admin", G.prodDataProject, [
    { title: "temporary-migration-access", expression: `request.time < timestamp("${migrationEnds}")`, keys: ["request.time"] },
  ]);

  // A secret-level binding.
  const ledgerEmail = saEmail("ledger-worker", "acme-prod-data");
  gcp.serviceAccount("acme-prod-data", ledgerEmail, { createdDaysAgo: 640, lastAuthenticatedDaysAgo: 0.02 });
  gcp.bind(`serviceAccount:${ledgerEmail}`, "roles/secretmanager.secretAccessor", "projects/acme-prod-data/secrets/ledger-signing-key");

  // A disabled service account that still holds roles and an active key.
  const oldReportingEmail = saEmail("old-reporting", "acme-prod-data");
  gcp.serviceAccount("acme-prod-data", oldReportingEmail, { createdDaysAgo: 1200, lastAuthenticatedDaysAgo: 410, disabled: true, description: "Replaced by the Looker integration" });
  gcp.bind(G.disabledServiceAccount, "roles/bigquery.dataViewer", G.prodDataProject);
  gcp.bind(G.disabledServiceAccount, "roles/storage.objectViewer", G.prodDataProject);
  gcp.key("acme-prod-data", oldReportingEmail, estate.random.hex(40), {
    managedBy: "user",
    status: "active",
    createdDaysAgo: 500,
    expiresAt: NEVER_EXPIRES,
    lastAuthenticatedDaysAgo: 410,
  });

  // A key never seen authenticating, on an account whose description leaks (fake) AWS credentials.
  const exporterEmail = saEmail("legacy-exporter", "acme-prod-web");
  gcp.serviceAccount("acme-prod-web", exporterEmail, {
    createdDaysAgo: 210,
    lastAuthenticatedDaysAgo: undefined,
    description: `Nightly export to the partner S3 bucket. Temporary creds until the vault migration: aws_access_key_id=AKIAIOSFODNN7EXAMPLE ${DEMO_ANCHORS.plantedSecrets[1].value}`,
  });
  gcp.key("acme-prod-web", exporterEmail, lastSegment(G.neverSeenKey), {
    managedBy: "user",
    status: "active",
    createdDaysAgo: 200,
    expiresAt: NEVER_EXPIRES,
    lastAuthenticatedDaysAgo: undefined,
  });
  gcp.bind(G.neverSeenKeyServiceAccount, "roles/storage.objectAdmin", G.prodWebProject);

  // A disabled key next to the key in use.
  const ordersEmail = saEmail("orders-api", "acme-prod-web");
  gcp.serviceAccount("acme-prod-web", ordersEmail, { createdDaysAgo: 900, lastAuthenticatedDaysAgo: 0.01 });
  gcp.key("acme-prod-web", ordersEmail, lastSegment(G.disabledKey), { managedBy: "user", status: "disabled", createdDaysAgo: 200, expiresAt: NEVER_EXPIRES, lastAuthenticatedDaysAgo: 95 });
  gcp.key("acme-prod-web", ordersEmail, estate.random.hex(40), { managedBy: "user", status: "active", createdDaysAgo: 60, expiresAt: NEVER_EXPIRES, lastAuthenticatedDaysAgo: 0.1 });
  gcp.bind(`serviceAccount:${ordersEmail}`, "roles/cloudsql.client", G.prodWebProject);
  gcp.bind(`serviceAccount:${ordersEmail}`, "roles/pubsub.publisher", G.prodWebProject);

  // The Compute Engine default account: Editor on its project, Google-managed keys.
  const computeEmail = "481516234202-compute@developer.gserviceaccount.com";
  gcp.serviceAccount("acme-prod-web", computeEmail, { createdDaysAgo: 1000, lastAuthenticatedDaysAgo: 0.01, description: "Compute Engine default service account" });
  gcp.key("acme-prod-web", computeEmail, lastSegment(G.systemManagedKey), { managedBy: "provider", status: "active", createdDaysAgo: 5 });
  gcp.bind(G.computeDefaultServiceAccount, "roles/editor", G.prodWebProject);

  // Workload identity federation: GitHub Actions for one repository, gated by the provider condition.
  const providerCondition = {
    title: "provider attribute condition",
    expression: "assertion.repository_owner == 'acme' && assertion.ref == 'refs/heads/main'",
    keys: ["assertion.repository_owner", "assertion.ref"],
  };
  estate.principals.push({
    id: G.federatedPrincipalSet,
    provider: "gcp",
    kind: "external",
    workload: true,
    name: "github-actions pool: acme/payments-service",
    scopeId: G.ciProject,
    description: "Workload identity pool github-actions, provider github (issuer https://token.actions.githubusercontent.com)",
    exchangeConditions: [providerCondition],
    evidence: estate.evidence("iam.workloadIdentityPools.providers.list"),
  });
  const ghEmail = saEmail("gh-deployer", "acme-ci-builds");
  gcp.serviceAccount("acme-ci-builds", ghEmail, { createdDaysAgo: 330, lastAuthenticatedDaysAgo: 0.4 });
  const wif = gcp.bind(G.federatedPrincipalSet, "roles/iam.workloadIdentityUser", saResourceOf("acme-ci-builds", ghEmail));
  estate.trustEdges.push({
    id: `${wif}#federation`,
    provider: "gcp",
    kind: "federation",
    from: G.federatedPrincipalSet,
    to: G.federatedServiceAccount,
    policyId: "roles/iam.workloadIdentityUser",
    statementId: "includedPermissions",
    conditions: [providerCondition],
    evidence: estate.evidence("iam.workloadIdentityPools.providers.get"),
  });
  gcp.bind(G.federatedServiceAccount, "roles/run.developer", G.prodWebProject);
  gcp.bind(G.federatedServiceAccount, "roles/iam.serviceAccountUser", G.prodWebProject);

  addGcpFillers(estate, gcp);

  estate.gaps.push({
    provider: "gcp",
    scopeId: G.activityGapProject,
    source: LAST_AUTHENTICATION,
    reason: "PERMISSION_DENIED: Policy Analyzer API has not been used in project acme-dev-sandbox before or it is disabled",
  });
}

function lastSegment(resource: string): string {
  return resource.slice(resource.lastIndexOf("/") + 1);
}

const FILLER_PLANS: [string, number, string[]][] = [
  ["acme-prod-data", 24, ["roles/bigquery.dataEditor", "roles/bigquery.dataViewer", "roles/storage.objectViewer", "roles/pubsub.publisher", "roles/pubsub.subscriber", "roles/cloudsql.client", "roles/logging.logWriter", "roles/monitoring.metricWriter"]],
  ["acme-prod-web", 26, ["roles/run.invoker", "roles/cloudsql.client", "roles/pubsub.publisher", "roles/storage.objectViewer", "roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/secretmanager.secretAccessor"]],
  ["acme-ci-builds", 10, ["roles/artifactregistry.writer", "roles/cloudbuild.builds.builder", "roles/storage.objectAdmin", "roles/logging.logWriter"]],
  ["acme-dev-sandbox", 26, ["roles/editor", "roles/storage.objectAdmin", "roles/pubsub.publisher", "roles/cloudsql.client", "roles/bigquery.dataEditor", "roles/logging.logWriter"]],
];

const SCENARIO_NAMES = new Set(["orders-api", "payments-api", "ledger-worker", "analytics-etl", "migration-runner"]);

function addGcpFillers(estate: DemoEstate, gcp: GcpWriter): void {
  const { random } = estate;
  for (const [project, count, roles] of FILLER_PLANS) {
    const observed = project !== "acme-dev-sandbox";
    for (const accountId of workloadNames(random, SCENARIO_NAMES, count)) {
      const email = saEmail(accountId, project);
      const lastSeen = random.weighted<number | undefined>([
        [random.int(0, 72) / 24, 6],
        [random.int(4, 60), 2],
        [random.int(91, 400), 1],
        [undefined, 1],
      ]);
      const member = gcp.serviceAccount(project, email, {
        createdDaysAgo: random.int(30, 1200),
        lastAuthenticatedDaysAgo: observed ? lastSeen : "unobserved",
      });
      for (const role of estate.sample(roles, random.int(2, 4))) gcp.bind(member, role, `projects/${project}`);
      if (random.chance(0.35)) {
        // A key is used no more recently than its account, and not before it was created.
        const keyLastSeen = lastSeen === undefined ? undefined : Math.max(lastSeen, random.int(0, 3));
        gcp.key(project, email, random.hex(40), {
          managedBy: "user",
          status: random.chance(0.9) ? "active" : "disabled",
          createdDaysAgo: Math.max(random.int(10, 700), Math.ceil(keyLastSeen ?? 0) + 1),
          expiresAt: NEVER_EXPIRES,
          lastAuthenticatedDaysAgo: observed ? keyLastSeen : "unobserved",
        });
      }
    }
  }
}

/**
 * Group membership read from Cloud Identity, and bindings on single resources (a secret's and a
 * key's own IAM policies): the settlement batch account reaches both only through its group.
 * Added after the activity stream, which draws from the seeded generator per workload, so the
 * rest of the estate stays as it was.
 */
export function addGcpGroupScenario(estate: DemoEstate): void {
  const gcp = new GcpWriter(estate);
  gcp.member(G.settlementGroup, "group");
  // Written out rather than through serviceAccount(): its unique id would draw from the seeded sequence.
  const email = G.groupBoundServiceAccount.slice("serviceAccount:".length);
  estate.principals.push({
    id: G.groupBoundServiceAccount,
    provider: "gcp",
    kind: "service_account",
    workload: true,
    name: email.split("@")[0] ?? email,
    scopeId: G.prodWebProject,
    email,
    uniqueId: "104242424242424242424",
    createdAt: estate.clock.daysAgo(300),
    memberOf: [G.settlementGroup],
    lastActivity: estate.activity(LAST_AUTHENTICATION, "window", 0.5),
    evidence: estate.evidence("iam.serviceAccounts.list"),
  });
  gcp.bind(G.settlementGroup, "roles/secretmanager.secretAccessor", G.groupBoundSecret);
  gcp.bind(G.settlementGroup, "roles/cloudkms.cryptoKeyDecrypter", G.groupBoundKey);
}
