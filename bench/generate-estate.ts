/**
 * Synthetic multi-cloud estates for benchmarks: `identities` principals (about 10 grants each, so
 * about 1M grants at 100k) across Google Cloud, AWS and Azure with the same identifier conventions
 * as real connectors and the demo estate, and realistic proportions: policies and roles shared by
 * many principals, groups, trust edges, credentials and vault items.
 *
 * Built for size: one pass, no per-entity closures, and shared objects wherever the data repeats
 * (evidence records, activity records per day, timestamps), so 100k identities take a few seconds
 * and the heap holds little beyond the grants themselves. Deterministic for a given seed and `now`.
 */
import type {
  Activity,
  Credential,
  Evidence,
  Grant,
  InventorySnapshot,
  Policy,
  Principal,
  Scope,
  Statement,
  TrustEdge,
  VaultItem,
} from "../src/model/inventory.js";
import { SNAPSHOT_SCHEMA_VERSION } from "../src/model/inventory.js";
import { SeededRandom } from "../src/connectors/demo/random.js";
import { compactGrant } from "../src/model/compact-grant.js";

export interface SyntheticEstateOptions {
  identities: number;
  seed?: number;
  now: Date;
}

/** Shares of identities per provider. */
const GCP_SHARE = 0.35;
const AWS_SHARE = 0.4;
const IDENTITIES_PER_AWS_ACCOUNT = 400;
const IDENTITIES_PER_GCP_PROJECT = 300;
const IDENTITIES_PER_AZURE_SUBSCRIPTION = 400;
const MAX_DAYS = 2000;
const DAY_MS = 86_400_000;

const SERVICES = [
  "orders", "payments", "inventory", "checkout", "catalog", "search", "shipping", "billing", "ledger", "notifications",
  "fraud", "pricing", "recommendations", "invoicing", "refunds", "profile", "loyalty", "media", "reporting", "identity",
];
const COMPONENTS = ["api", "worker", "consumer", "scheduler", "sync", "exporter", "ingest", "cron", "etl", "deploy"];

/** Everything that repeats across entities, built once per estate. */
class Shared {
  readonly random: SeededRandom;
  readonly observedAt: string;
  private readonly past: string[] = [];
  private readonly future: string[] = [];
  private readonly evidenceBySource = new Map<string, Evidence>();
  private readonly activityCache = new Map<string, Activity>();

  constructor(readonly now: Date, seed: number) {
    this.random = new SeededRandom(seed);
    this.observedAt = now.toISOString();
    const nowMs = now.getTime();
    for (let d = 0; d <= MAX_DAYS; d++) {
      this.past.push(new Date(nowMs - d * DAY_MS).toISOString());
      this.future.push(new Date(nowMs + d * DAY_MS).toISOString());
    }
  }

  daysAgo(days: number): string {
    return this.past[Math.min(Math.max(0, Math.round(days)), MAX_DAYS)] ?? this.observedAt;
  }

  daysFromNow(days: number): string {
    return days < 0 ? this.daysAgo(-days) : (this.future[Math.min(Math.round(days), MAX_DAYS)] ?? this.observedAt);
  }

  evidence(source: string): Evidence {
    let evidence = this.evidenceBySource.get(source);
    if (!evidence) {
      evidence = { source, observedAt: this.observedAt };
      this.evidenceBySource.set(source, evidence);
    }
    return evidence;
  }

  /** Activity records are shared per (source, coverage, day): whole days are precise enough here. */
  activity(source: string, coverage: Activity["coverage"], lastUsedDaysAgo: number | undefined, windowDays?: number): Activity {
    const day = lastUsedDaysAgo === undefined ? -1 : Math.round(lastUsedDaysAgo);
    const key = `${source}|${coverage}|${day}`;
    let activity = this.activityCache.get(key);
    if (!activity) {
      activity = { coverage, source, observedAt: this.observedAt };
      if (day >= 0) activity.lastUsedAt = this.daysAgo(day);
      if (windowDays !== undefined) activity.windowDays = windowDays;
      this.activityCache.set(key, activity);
    }
    return activity;
  }

  /** A last-use age in days, or undefined for "no recorded use", in realistic proportions. */
  lastUse(createdDaysAgo: number): number | undefined {
    const r = this.random.next();
    const days = r < 0.6 ? this.random.int(0, 7) : r < 0.75 ? this.random.int(8, 89) : r < 0.88 ? this.random.int(90, 399) : undefined;
    return days === undefined ? undefined : Math.min(days, createdDaysAgo);
  }

  /** k distinct indices below n (k is small, so a scan beats a set). */
  distinct(n: number, k: number): number[] {
    const out: number[] = [];
    const want = Math.min(n, k);
    while (out.length < want) {
      const i = Math.floor(this.random.next() * n);
      if (!out.includes(i)) out.push(i);
    }
    return out;
  }

  workloadName(index: number): string {
    const service = SERVICES[index % SERVICES.length] ?? "app";
    const component = COMPONENTS[Math.floor(index / SERVICES.length) % COMPONENTS.length] ?? "worker";
    return `${service}-${component}-${index}`;
  }

  grantsPerIdentity(): number {
    return this.random.int(6, 14);
  }
}

interface Collections {
  scopes: Scope[];
  principals: Principal[];
  credentials: Credential[];
  vaultItems: VaultItem[];
  policies: Policy[];
  grants: Grant[];
  trustEdges: TrustEdge[];
}

const allowAll = (id: string, actions: string[], resources: string[]): Statement => ({ id, effect: "Allow", actions, resources });

// ---------------------------------------------------------------- Google Cloud

const GCP_ROLES: Record<string, string[]> = {
  "roles/secretmanager.secretAccessor": ["secretmanager.versions.access"],
  "roles/iam.serviceAccountTokenCreator": ["iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.signBlob", "iam.serviceAccounts.signJwt", "iam.serviceAccounts.implicitDelegation"],
  "roles/iam.serviceAccountUser": ["iam.serviceAccounts.actAs"],
  "roles/iam.workloadIdentityUser": ["iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.getOpenIdToken"],
  "roles/storage.objectViewer": ["storage.objects.get", "storage.objects.list"],
  "roles/storage.objectAdmin": ["storage.objects.create", "storage.objects.delete", "storage.objects.get", "storage.objects.list"],
  "roles/bigquery.dataViewer": ["bigquery.tables.get", "bigquery.tables.getData"],
  "roles/bigquery.dataEditor": ["bigquery.tables.getData", "bigquery.tables.updateData"],
  "roles/bigquery.jobUser": ["bigquery.jobs.create"],
  "roles/pubsub.publisher": ["pubsub.topics.publish"],
  "roles/pubsub.subscriber": ["pubsub.subscriptions.consume"],
  "roles/cloudsql.client": ["cloudsql.instances.connect"],
  "roles/logging.logWriter": ["logging.logEntries.create"],
  "roles/monitoring.metricWriter": ["monitoring.timeSeries.create"],
  "roles/cloudtrace.agent": ["cloudtrace.traces.patch"],
  "roles/run.invoker": ["run.routes.invoke"],
  "roles/run.developer": ["run.services.create", "run.services.update"],
  "roles/artifactregistry.reader": ["artifactregistry.repositories.downloadArtifacts"],
  "roles/artifactregistry.writer": ["artifactregistry.repositories.uploadArtifacts"],
  "roles/datastore.user": ["datastore.entities.get", "datastore.entities.update"],
  "roles/redis.editor": ["redis.instances.update"],
  "roles/cloudkms.cryptoKeyEncrypterDecrypter": ["cloudkms.cryptoKeyVersions.useToDecrypt", "cloudkms.cryptoKeyVersions.useToEncrypt"],
  "roles/dataflow.worker": ["dataflow.jobs.get", "storage.objects.get"],
  "roles/viewer": ["resourcemanager.projects.get", "storage.buckets.list"],
  "roles/editor": ["storage.objects.create", "iam.serviceAccounts.actAs", "iam.serviceAccountKeys.create", "run.services.update"],
};
const GCP_PROJECT_ROLES = Object.keys(GCP_ROLES).filter((r) => !r.startsWith("roles/iam."));

function addGcp(shared: Shared, out: Collections, identities: number, orgNumber: string): void {
  const { random } = shared;
  const org = `organizations/${orgNumber}`;
  const prodFolder = "folders/400000000001";
  const nonProdFolder = "folders/400000000002";
  out.scopes.push(
    { id: org, provider: "gcp", kind: "organization", name: "synthetic.example.com", evidence: shared.evidence("cloudresourcemanager:organizations.get") },
    { id: prodFolder, provider: "gcp", kind: "folder", name: "prod", parentId: org, tags: { environment: "production" }, evidence: shared.evidence("cloudresourcemanager:folders.list") },
    { id: nonProdFolder, provider: "gcp", kind: "folder", name: "non-prod", parentId: org, tags: { environment: "development" }, evidence: shared.evidence("cloudresourcemanager:folders.list") },
  );
  for (const [id, permissions] of Object.entries(GCP_ROLES)) {
    out.policies.push({ id, provider: "gcp", kind: "role", name: id, statements: [{ id: "includedPermissions", effect: "Allow", actions: permissions }], evidence: shared.evidence("iam.roles.get") });
  }
  out.policies.push({
    id: "policies/cloudresourcemanager.googleapis.com%2Ffolders%2F400000000001/denypolicies/deny-sa-key-creation",
    provider: "gcp",
    kind: "deny",
    name: "deny-sa-key-creation",
    scopeId: prodFolder,
    attachedTo: [prodFolder],
    statements: [{ id: "deny-key-creation", effect: "Deny", actions: ["iam.serviceAccountKeys.create"], principals: ["principalSet://goog/public:all"], exceptPrincipals: ["group:break-glass@synthetic.example.com"] }],
    evidence: shared.evidence("iam.v2.policies.get"),
  });

  const projectCount = Math.max(1, Math.ceil(identities / IDENTITIES_PER_GCP_PROJECT));
  const bindingEvidence = shared.evidence("cloudresourcemanager:projects.getIamPolicy");
  const resourceBindingEvidence = shared.evidence("secretmanager.secrets.getIamPolicy");
  const saEvidence = shared.evidence("iam.serviceAccounts.list");
  const keyEvidence = shared.evidence("iam.serviceAccounts.keys.list");
  const impersonationEvidence = shared.evidence("iam.serviceAccounts.getIamPolicy");
  let made = 0;
  for (let p = 0; p < projectCount && made < identities; p++) {
    const projectName = `syn-${p % 3 === 0 ? "prod" : "dev"}-${p}`;
    const project = `projects/${projectName}`;
    const production = p % 3 === 0;
    out.scopes.push({ id: project, provider: "gcp", kind: "project", name: projectName, parentId: production ? prodFolder : nonProdFolder, tags: { environment: production ? "production" : "development" }, attributes: { projectNumber: String(500000000000 + p) }, evidence: shared.evidence("cloudresourcemanager:projects.list") });
    const customRole = `${project}/roles/appDeployer`;
    out.policies.push({ id: customRole, provider: "gcp", kind: "role", name: "App Deployer", scopeId: project, statements: [{ id: "includedPermissions", effect: "Allow", actions: ["run.services.update", "iam.serviceAccounts.actAs", "storage.objects.get"] }], evidence: shared.evidence("iam.roles.get (custom)") });
    const secrets: string[] = [];
    for (let s = 0; s < 10; s++) {
      const id = `${project}/secrets/${SERVICES[s % SERVICES.length]}-credentials-${s}`;
      secrets.push(id);
      out.vaultItems.push({ id, provider: "gcp", kind: "secret", name: id.slice(id.lastIndexOf("/") + 1), scopeId: project, enabled: true, createdAt: shared.daysAgo(random.int(10, 1500)), evidence: shared.evidence("secretmanager.secrets.list") });
    }
    const roles = [...GCP_PROJECT_ROLES, customRole];
    const inProject = Math.min(IDENTITIES_PER_GCP_PROJECT, identities - made);
    const members: string[] = [];
    for (let i = 0; i < inProject; i++, made++) {
      const email = `${shared.workloadName(made)}@${projectName}.iam.gserviceaccount.com`;
      const member = `serviceAccount:${email}`;
      const created = random.int(5, 1800);
      const lastUse = shared.lastUse(created);
      members.push(member);
      out.principals.push({
        id: member,
        provider: "gcp",
        kind: "service_account",
        workload: true,
        name: email.slice(0, email.indexOf("@")),
        scopeId: project,
        email,
        createdAt: shared.daysAgo(created),
        lastActivity: shared.activity("policyanalyzer:serviceAccountLastAuthentication", "window", lastUse),
        evidence: saEvidence,
      });
      const grants = shared.grantsPerIdentity();
      const resourceGrants = Math.floor(grants / 5);
      for (const r of shared.distinct(roles.length, grants - resourceGrants)) {
        const role = roles[r] ?? "roles/viewer";
        out.grants.push(compactGrant({ id: `${project}#${role}#${member}`, provider: "gcp", kind: "binding", principalId: member, policyId: role, resource: project, evidence: bindingEvidence }));
      }
      for (const s of shared.distinct(secrets.length, resourceGrants)) {
        const secret = secrets[s] ?? project;
        out.grants.push(compactGrant({ id: `${secret}#roles/secretmanager.secretAccessor#${member}`, provider: "gcp", kind: "binding", principalId: member, policyId: "roles/secretmanager.secretAccessor", resource: secret, evidence: resourceBindingEvidence }));
      }
      if (random.next() < 0.4) {
        const keys = random.int(1, 2);
        for (let k = 0; k < keys; k++) {
          const age = random.int(1, created);
          out.credentials.push({
            id: `projects/${projectName}/serviceAccounts/${email}/keys/${random.hex(40)}`,
            provider: "gcp",
            kind: "service_account_key",
            principalId: member,
            scopeId: project,
            status: random.next() < 0.9 ? "active" : "disabled",
            managedBy: "user",
            createdAt: shared.daysAgo(age),
            expiresAt: "9999-12-31T23:59:59Z",
            lastActivity: shared.activity("policyanalyzer:serviceAccountKeyLastAuthentication", "window", lastUse === undefined ? undefined : Math.min(age, lastUse + k)),
            evidence: keyEvidence,
          });
        }
      }
      // A few accounts may impersonate an earlier one in the same project.
      const target = members[random.int(0, Math.max(0, members.length - 2))];
      if (random.next() < 0.03 && target && target !== member) {
        const resource = `projects/${projectName}/serviceAccounts/${target.slice("serviceAccount:".length)}`;
        const id = `${resource}#roles/iam.serviceAccountTokenCreator#${member}`;
        out.grants.push(compactGrant({ id, provider: "gcp", kind: "binding", principalId: member, policyId: "roles/iam.serviceAccountTokenCreator", resource, evidence: impersonationEvidence }));
        out.trustEdges.push({ id: `${id}#impersonation`, provider: "gcp", kind: "impersonation", from: member, to: target, policyId: "roles/iam.serviceAccountTokenCreator", evidence: impersonationEvidence });
      }
    }
  }
}

// ---------------------------------------------------------------- AWS

function addAws(shared: Shared, out: Collections, identities: number): void {
  const { random } = shared;
  const orgId = "o-synth00001";
  const org = `aws:organization/${orgId}`;
  const prodOu = "aws:ou/ou-syn0-prod0001";
  const nonProdOu = "aws:ou/ou-syn0-nprd0002";
  const orgEvidence = shared.evidence("organizations:ListAccounts");
  out.scopes.push(
    { id: org, provider: "aws", kind: "organization", name: "synthetic", evidence: orgEvidence },
    { id: prodOu, provider: "aws", kind: "folder", name: "prod", parentId: org, tags: { environment: "production" }, evidence: orgEvidence },
    { id: nonProdOu, provider: "aws", kind: "folder", name: "non-prod", parentId: org, tags: { environment: "development" }, evidence: orgEvidence },
  );
  const authEvidence = shared.evidence("iam:GetAccountAuthorizationDetails");
  const reportEvidence = shared.evidence("iam:GetCredentialReport");
  const managed = [
    ["AdministratorAccess", [allowAll("0", ["*"], ["*"])]],
    ["ReadOnlyAccess", [allowAll("0", ["s3:Get*", "s3:List*", "ec2:Describe*", "iam:Get*", "iam:List*"], ["*"])]],
    ["AmazonS3ReadOnlyAccess", [allowAll("0", ["s3:Get*", "s3:List*"], ["*"])]],
    ["AmazonSQSFullAccess", [allowAll("0", ["sqs:*"], ["*"])]],
    ["AmazonDynamoDBReadOnlyAccess", [allowAll("0", ["dynamodb:Describe*", "dynamodb:Get*", "dynamodb:Query", "dynamodb:Scan"], ["*"])]],
    ["CloudWatchAgentServerPolicy", [allowAll("0", ["cloudwatch:PutMetricData", "logs:PutLogEvents", "logs:CreateLogStream"], ["*"])]],
    ["AWSLambdaBasicExecutionRole", [allowAll("0", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], ["*"])]],
    ["SecretsManagerReadWrite", [allowAll("0", ["secretsmanager:*"], ["*"])]],
  ] as const;
  const managedIds = managed.map(([name, statements]) => {
    const id = `arn:aws:iam::aws:policy/${name}`;
    out.policies.push({ id, provider: "aws", kind: "managed", name, statements: [...statements], evidence: authEvidence });
    return id;
  });
  const accounts: string[] = [];
  const accountCount = Math.max(1, Math.ceil(identities / IDENTITIES_PER_AWS_ACCOUNT));
  for (let a = 0; a < accountCount; a++) accounts.push(String(100000000000 + a * 7919));
  out.policies.push(
    {
      id: "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
      provider: "aws",
      kind: "scp",
      name: "FullAWSAccess",
      attachedTo: [org, prodOu, nonProdOu, ...accounts.map((id) => `aws:account/${id}`)],
      statements: [allowAll("FullAWSAccess", ["*"], ["*"])],
      evidence: shared.evidence("organizations:DescribePolicy"),
    },
    {
      id: `arn:aws:organizations::${accounts[0]}:policy/${orgId}/service_control_policy/p-guardrail`,
      provider: "aws",
      kind: "scp",
      name: "prod-guardrails",
      attachedTo: [prodOu],
      statements: [{ id: "DenyKeysAndDeletion", effect: "Deny", actions: ["iam:CreateAccessKey", "secretsmanager:DeleteSecret"], resources: ["*"] }],
      evidence: shared.evidence("organizations:DescribePolicy"),
    },
  );

  const trustSources = ["service:ecs-tasks.amazonaws.com", "service:lambda.amazonaws.com", "service:ec2.amazonaws.com"];
  let made = 0;
  for (let a = 0; a < accountCount && made < identities; a++) {
    const account = accounts[a] ?? "100000000000";
    const scopeId = `aws:account/${account}`;
    const production = a % 3 === 0;
    out.scopes.push({ id: scopeId, provider: "aws", kind: "account", name: `synthetic-${a}`, parentId: production ? prodOu : nonProdOu, tags: { environment: production ? "production" : "development" }, evidence: orgEvidence });

    // Customer-managed policies shared by the account's workloads.
    const pool = [...managedIds];
    for (let i = 0; i < 20; i++) {
      const service = SERVICES[i % SERVICES.length] ?? "app";
      const id = `arn:aws:iam::${account}:policy/${service}-access-${i}`;
      pool.push(id);
      out.policies.push({
        id,
        provider: "aws",
        kind: "managed",
        name: `${service}-access-${i}`,
        scopeId,
        statements: [
          allowAll("Data", ["s3:GetObject", "s3:PutObject", "dynamodb:GetItem", "dynamodb:PutItem"], [`arn:aws:s3:::syn-${service}-${account}/*`, `arn:aws:dynamodb:us-east-1:${account}:table/${service}-*`]),
          allowAll("Secrets", ["secretsmanager:GetSecretValue"], [`arn:aws:secretsmanager:us-east-1:${account}:secret:${service}/*`]),
          { id: "NoDeletes", effect: "Deny", actions: ["dynamodb:DeleteTable", "s3:DeleteBucket"], resources: ["*"] },
        ],
        evidence: authEvidence,
      });
    }
    const groups: string[] = [];
    const groupCount = Math.min(10, Math.max(1, Math.floor((identities - made) / 20)));
    for (let g = 0; g < groupCount; g++, made++) {
      const id = `arn:aws:iam::${account}:group/team-${SERVICES[g] ?? g}`;
      groups.push(id);
      out.principals.push({ id, provider: "aws", kind: "group", workload: false, name: `team-${SERVICES[g] ?? g}`, scopeId, evidence: authEvidence });
      for (const p of shared.distinct(pool.length, 2)) {
        const policyId = pool[p] ?? managedIds[0] ?? "";
        out.grants.push(compactGrant({ id: `${id}->${policyId}`, provider: "aws", kind: "attachment", principalId: id, policyId, evidence: authEvidence }));
      }
    }
    for (let s = 0; s < 10; s++) {
      const service = SERVICES[s % SERVICES.length] ?? "app";
      out.vaultItems.push({ id: `arn:aws:secretsmanager:us-east-1:${account}:secret:${service}/db-${random.fromAlphabet("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 6)}`, provider: "aws", kind: "secret", name: `${service}/db`, scopeId, enabled: true, createdAt: shared.daysAgo(random.int(10, 1500)), evidence: shared.evidence("secretmanager:ListSecrets") });
    }

    const inAccount = Math.min(IDENTITIES_PER_AWS_ACCOUNT - groupCount, identities - made);
    let previousRole: string | undefined;
    for (let i = 0; i < inAccount; i++, made++) {
      const r = random.next();
      const kind: Principal["kind"] = r < 0.65 ? "role" : r < 0.9 ? "service_account" : "user";
      const name = kind === "user" ? `person-${made}` : shared.workloadName(made);
      const id = `arn:aws:iam::${account}:${kind === "role" ? "role" : "user"}/${name}`;
      const created = random.int(5, 1800);
      const principal: Principal = { id, provider: "aws", kind, workload: kind !== "user", name, scopeId, createdAt: shared.daysAgo(created), evidence: authEvidence };
      const lastUse = shared.lastUse(created);
      if (kind === "role") {
        const trustId = `${id}#trust`;
        principal.trustPolicyId = trustId;
        principal.lastActivity = shared.activity("iam:GetAccountAuthorizationDetails", "window", lastUse, 400);
        const crossRole = previousRole !== undefined && random.next() < 0.05;
        const from = crossRole && previousRole ? previousRole : (trustSources[random.int(0, trustSources.length - 1)] ?? "service:lambda.amazonaws.com");
        out.policies.push({ id: trustId, provider: "aws", kind: "trust", name: `${name} trust policy`, scopeId, statements: [{ id: "Trust", effect: "Allow", actions: ["sts:AssumeRole"], principals: [from] }], evidence: authEvidence });
        out.trustEdges.push({ id: `${trustId}/Trust/${from}`, provider: "aws", kind: "assume_role", from, to: id, policyId: trustId, statementId: "Trust", evidence: authEvidence });
        previousRole = id;
      } else {
        principal.memberOf = [groups[random.int(0, groups.length - 1)] ?? ""];
        principal.lastActivity = shared.activity("iam:GetCredentialReport", "lifetime", lastUse);
        if (kind === "user") {
          out.credentials.push({ id: `${id}#login-profile`, provider: "aws", kind: "password", principalId: id, scopeId, status: "active", createdAt: shared.daysAgo(created), lastActivity: principal.lastActivity, evidence: reportEvidence });
        } else {
          const keys = random.next() < 0.3 ? 2 : 1;
          for (let k = 0; k < keys; k++) {
            const age = random.int(1, created);
            out.credentials.push({
              id: `AKIA${random.fromAlphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 9)}EXAMPLE`,
              provider: "aws",
              kind: "access_key",
              principalId: id,
              scopeId,
              status: k === 0 ? "active" : "inactive",
              createdAt: shared.daysAgo(age),
              lastActivity: shared.activity("iam:GetCredentialReport", "lifetime", lastUse === undefined ? undefined : Math.min(age, lastUse + k * 30)),
              evidence: reportEvidence,
            });
          }
        }
      }
      out.principals.push(principal);
      const count = shared.grantsPerIdentity() - (principal.memberOf ? 1 : 0);
      for (const p of shared.distinct(pool.length, count)) {
        const policyId = pool[p] ?? managedIds[0] ?? "";
        out.grants.push(compactGrant({ id: `${id}->${policyId}`, provider: "aws", kind: "attachment", principalId: id, policyId, evidence: authEvidence }));
      }
    }
  }
}

// ---------------------------------------------------------------- Azure

const AZURE_ROLES: [string, string, string[], string[]][] = [
  ["acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader", ["*/read"], []],
  ["b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor", ["*"], []],
  ["4633458b-17de-408a-b874-0445c86b69e6", "Key Vault Secrets User", [], ["Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"]],
  ["b86a8fe4-44ce-4948-aee5-eccb2c155cd7", "Key Vault Secrets Officer", ["Microsoft.KeyVault/vaults/*/read"], ["Microsoft.KeyVault/vaults/secrets/*"]],
  ["00482a5a-887f-4fb3-b363-3b7fe8e74483", "Key Vault Administrator", ["Microsoft.KeyVault/vaults/*/read"], ["Microsoft.KeyVault/vaults/*"]],
  ["2a2b9908-6ea1-4ae2-8e65-a410df84e7d1", "Storage Blob Data Reader", ["Microsoft.Storage/storageAccounts/blobServices/containers/read"], ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]],
  ["ba92f5b4-2d11-453d-a403-e96b0029c9fe", "Storage Blob Data Contributor", ["Microsoft.Storage/storageAccounts/blobServices/containers/*"], ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"]],
  ["69a216fc-b8fb-44d8-bc22-1f3c2cd27a39", "Azure Service Bus Data Sender", ["Microsoft.ServiceBus/*/queues/read"], ["Microsoft.ServiceBus/*/send/action"]],
];

function addAzure(shared: Shared, out: Collections, identities: number): void {
  const { random } = shared;
  const tenantId = "00000000-5eed-4000-8000-000000000001";
  const tenant = `/tenants/${tenantId}`;
  const rootGroup = `/providers/Microsoft.Management/managementGroups/${tenantId}`;
  const armEvidence = shared.evidence("resources:resourceGroups.list");
  const assignmentEvidence = shared.evidence("authorization:roleAssignments.listForScope");
  const spEvidence = shared.evidence("graph:servicePrincipals");
  const appEvidence = shared.evidence("graph:applications");
  out.scopes.push(
    { id: tenant, provider: "azure", kind: "tenant", name: "synthetic.example.com", evidence: shared.evidence("graph:organization") },
    { id: rootGroup, provider: "azure", kind: "management_group", name: "Tenant Root Group", parentId: tenant, evidence: shared.evidence("management:managementGroups.list") },
  );
  const roleIds = AZURE_ROLES.map(([guid, name, actions, dataActions]) => {
    const id = `/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
    const statements: Statement[] = [];
    if (actions.length > 0) statements.push({ id: "actions", effect: "Allow", actions });
    if (dataActions.length > 0) statements.push({ id: "dataActions", effect: "Allow", actions: dataActions });
    out.policies.push({ id, provider: "azure", kind: "role", name, statements, evidence: shared.evidence("authorization:roleDefinitions.list") });
    return id;
  });

  const subscriptionCount = Math.max(1, Math.ceil(identities / IDENTITIES_PER_AZURE_SUBSCRIPTION));
  let made = 0;
  for (let s = 0; s < subscriptionCount && made < identities; s++) {
    const subscription = `/subscriptions/00000000-5eed-4000-9000-${String(s).padStart(12, "0")}`;
    const production = s % 3 === 0;
    out.scopes.push({ id: subscription, provider: "azure", kind: "subscription", name: `synthetic-${s}`, parentId: rootGroup, tags: { environment: production ? "production" : "development" }, evidence: shared.evidence("resources:subscriptions.list") });
    const scopes: string[] = [];
    for (let g = 0; g < 8; g++) {
      const resourceGroup = `${subscription}/resourceGroups/rg-${SERVICES[g] ?? g}-${s}`;
      scopes.push(resourceGroup);
      out.scopes.push({ id: resourceGroup, provider: "azure", kind: "resource_group", name: `rg-${SERVICES[g] ?? g}-${s}`, parentId: subscription, evidence: armEvidence });
    }
    const vaults: string[] = [];
    for (let v = 0; v < 2; v++) {
      const name = `kv-syn-${s}-${v}`;
      const resourceGroup = scopes[v] ?? subscription;
      const vault = `${resourceGroup}/providers/Microsoft.KeyVault/vaults/${name}`;
      vaults.push(vault);
      scopes.push(vault);
      out.scopes.push({ id: vault, provider: "azure", kind: "vault", name, parentId: resourceGroup, attributes: { enableRbacAuthorization: v === 0, vaultUri: `https://${name}.vault.azure.net/` }, evidence: shared.evidence("keyvault:vaults.list") });
      for (let i = 0; i < 20; i++) {
        const kind: VaultItem["kind"] = i < 14 ? "secret" : i < 18 ? "certificate" : "key";
        const version = random.hex(32);
        const expires = random.next() < 0.75 ? random.int(-90, 700) : undefined;
        const item: VaultItem = {
          id: `https://${name}.vault.azure.net/${kind}s/${SERVICES[i] ?? "item"}-${kind}-${i}/${version}`,
          provider: "azure",
          kind,
          name: `${SERVICES[i] ?? "item"}-${kind}-${i}`,
          scopeId: vault,
          version,
          enabled: random.next() < 0.95,
          createdAt: shared.daysAgo(random.int(30, 1500)),
          evidence: shared.evidence(`keyvault:getPropertiesOf${kind === "secret" ? "Secrets" : kind === "certificate" ? "Certificates" : "Keys"}`),
        };
        if (expires !== undefined) item.expiresAt = shared.daysFromNow(expires);
        if (kind === "certificate") item.certificatePolicy = { autoRenew: random.next() < 0.5, validityMonths: 12 };
        out.vaultItems.push(item);
      }
    }
    const accessPolicyVault = vaults[1] ?? subscription;

    const inSubscription = Math.min(IDENTITIES_PER_AZURE_SUBSCRIPTION, identities - made);
    for (let i = 0; i < inSubscription; i++, made++) {
      const r = random.next();
      // App registrations come with a service principal; the app holds the credentials, the SP the grants.
      const kind: Principal["kind"] = r < 0.3 ? "application" : r < 0.7 ? "service_principal" : "managed_identity";
      const id = random.guid();
      const created = random.int(5, 1800);
      const name = shared.workloadName(made);
      const principal: Principal = { id, provider: "azure", kind, workload: true, name, scopeId: kind === "managed_identity" ? (scopes[i % 8] ?? subscription) : tenant, createdAt: shared.daysAgo(created), evidence: kind === "application" ? appEvidence : spEvidence };
      principal.lastActivity = shared.activity("graph:servicePrincipalSignInActivities", "window", shared.lastUse(created));
      out.principals.push(principal);
      if (kind === "application") {
        const secrets = random.int(1, 2);
        for (let c = 0; c < secrets; c++) {
          const expires = random.next() < 0.9 ? random.int(-120, 730) : undefined;
          const credential: Credential = { id: random.guid(), provider: "azure", kind: random.next() < 0.8 ? "client_secret" : "certificate", principalId: id, scopeId: tenant, status: "active", createdAt: shared.daysAgo(random.int(1, created)), evidence: appEvidence };
          if (expires !== undefined) credential.expiresAt = shared.daysFromNow(expires);
          out.credentials.push(credential);
        }
        // Applications get few direct grants; their service principals (below) carry the rest.
        continue;
      }
      const count = shared.grantsPerIdentity() + (kind === "service_principal" ? 4 : 2);
      // Distinct (role, scope) pairs, so assignment ids are unique and realistic.
      for (const pair of shared.distinct(roleIds.length * scopes.length, count)) {
        const role = roleIds[pair % roleIds.length] ?? "";
        const scope = scopes[Math.floor(pair / roleIds.length)] ?? subscription;
        out.grants.push(compactGrant({ id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${random.guid()}`, provider: "azure", kind: "role_assignment", principalId: id, policyId: role, resource: scope, evidence: assignmentEvidence }));
      }
      if (kind === "service_principal" && random.next() < 0.1) {
        const policyId = `${accessPolicyVault}/accessPolicies/${id}`;
        out.policies.push({ id: policyId, provider: "azure", kind: "access_policy", name: `access policy for ${id}`, scopeId: accessPolicyVault, statements: [{ id: "secrets", effect: "Allow", actions: ["Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"] }], evidence: shared.evidence("keyvault:vaults.get (accessPolicies)") });
        out.grants.push(compactGrant({ id: `${policyId}#grant`, provider: "azure", kind: "access_policy", principalId: id, policyId, resource: accessPolicyVault, evidence: shared.evidence("keyvault:vaults.get (accessPolicies)") }));
      }
    }
  }
}

export function generateSyntheticEstate(options: SyntheticEstateOptions): InventorySnapshot {
  const identities = Math.max(0, Math.floor(options.identities));
  const shared = new Shared(options.now, options.seed ?? 1);
  const out: Collections = { scopes: [], principals: [], credentials: [], vaultItems: [], policies: [], grants: [], trustEdges: [] };
  const gcp = Math.round(identities * GCP_SHARE);
  const aws = Math.round(identities * AWS_SHARE);
  addGcp(shared, out, gcp, "900000000001");
  addAws(shared, out, aws);
  addAzure(shared, out, identities - gcp - aws);
  return {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    generatedAt: shared.observedAt,
    description: `Synthetic estate: ${identities} identities (seed ${options.seed ?? 1})`,
    ...out,
    gaps: [],
  };
}
