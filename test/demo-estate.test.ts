import { lintSource } from "@secretlint/core";
import { creator as recommendedRules } from "@secretlint/secretlint-rule-preset-recommend";
import { describe, expect, it } from "vitest";
import { generateSyntheticEstate } from "../bench/generate-estate.js";
import type { CloudOperation } from "../src/connectors/connector.js";
import { buildDemoEstate, createDemoConnector, DEMO_ANCHORS } from "../src/connectors/demo/index.js";
import { Inventory } from "../src/model/inventory-index.js";
import { inventorySnapshotSchema, type InventorySnapshot } from "../src/model/inventory.js";

const NOW = new Date("2025-06-01T12:00:00Z");
const estate = buildDemoEstate(NOW);
const inventory = new Inventory(estate);
const A = DEMO_ANCHORS.aws;
const G = DEMO_ANCHORS.gcp;
const Z = DEMO_ANCHORS.azure;

function daysFromNow(iso: string | undefined): number {
  if (!iso) throw new Error("expected a timestamp");
  return Math.round((Date.parse(iso) - NOW.getTime()) / 86_400_000);
}

function principal(id: string) {
  const found = inventory.principals.get(id);
  if (!found) throw new Error(`no principal ${id}`);
  return found;
}

function policy(id: string) {
  const found = inventory.policies.get(id);
  if (!found) throw new Error(`no policy ${id}`);
  return found;
}

function credential(id: string) {
  const found = estate.credentials.find((c) => c.id === id);
  if (!found) throw new Error(`no credential ${id}`);
  return found;
}

function vaultItem(id: string) {
  const found = inventory.vaultItem(id);
  if (!found) throw new Error(`no vault item ${id}`);
  return found;
}

/** Every id one entity uses to point at another must resolve, following the model's conventions. */
function danglingReferences(snapshot: InventorySnapshot): string[] {
  const scopes = new Set(snapshot.scopes.map((s) => s.id));
  const principals = new Map(snapshot.principals.map((p) => [p.id, p]));
  const policies = new Set(snapshot.policies.map((p) => p.id));
  const items = new Set(snapshot.vaultItems.map((v) => v.id));
  const rbacItemResources = new Set(snapshot.vaultItems.map((v) => `${v.scopeId}/${v.kind}s/${v.name}`));
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  const grantResource = (resource: string) => {
    if (scopes.has(resource) || items.has(resource) || rbacItemResources.has(resource)) return true;
    const serviceAccount = /^projects\/([^/]+)\/serviceAccounts\/(.+)$/.exec(resource);
    if (serviceAccount) return principals.get(`serviceAccount:${serviceAccount[2]}`)?.scopeId === `projects/${serviceAccount[1]}`;
    // Google Cloud resources whose own IAM policy is read (secrets, KMS keys, buckets) sit in a collected project.
    const held = /^(projects\/[^/]+)\/(?:secrets|locations\/[^/]+\/keyRings|buckets)\//.exec(resource);
    return held !== null && scopes.has(held[1] ?? "");
  };
  const trustSource = (from: string) => {
    if (principals.has(from) || from.startsWith("service:")) return true;
    const root = /^arn:aws:iam::(\d{12}):root$/.exec(from);
    return root !== null && scopes.has(`aws:account/${root[1]}`);
  };

  for (const s of snapshot.scopes) check(!s.parentId || scopes.has(s.parentId), `scope ${s.id} parent ${s.parentId}`);
  for (const p of snapshot.principals) {
    check(scopes.has(p.scopeId), `principal ${p.id} scope ${p.scopeId}`);
    for (const g of p.memberOf ?? []) check(principals.get(g)?.kind === "group", `principal ${p.id} memberOf ${g}`);
    check(!p.permissionsBoundary || policies.has(p.permissionsBoundary), `principal ${p.id} boundary`);
    check(!p.trustPolicyId || policies.has(p.trustPolicyId), `principal ${p.id} trust policy`);
  }
  for (const c of snapshot.credentials) {
    check(scopes.has(c.scopeId), `credential ${c.id} scope`);
    check(!c.principalId || principals.has(c.principalId), `credential ${c.id} principal ${c.principalId}`);
  }
  for (const v of snapshot.vaultItems) check(scopes.has(v.scopeId), `vault item ${v.id} scope`);
  for (const p of snapshot.policies) {
    check(!p.scopeId || scopes.has(p.scopeId), `policy ${p.id} scope ${p.scopeId}`);
    for (const s of p.attachedTo ?? []) check(scopes.has(s), `policy ${p.id} attached to ${s}`);
  }
  for (const g of snapshot.grants) {
    check(principals.has(g.principalId), `grant ${g.id} principal`);
    check(policies.has(g.policyId), `grant ${g.id} policy ${g.policyId}`);
    check(!g.resource || grantResource(g.resource), `grant ${g.id} resource ${g.resource}`);
  }
  for (const t of snapshot.trustEdges) {
    check(principals.has(t.to), `trust ${t.id} to`);
    check(trustSource(t.from), `trust ${t.id} from ${t.from}`);
    check(!t.policyId || policies.has(t.policyId), `trust ${t.id} policy`);
  }
  return problems;
}

function duplicateIds(snapshot: InventorySnapshot): string[] {
  const duplicates: string[] = [];
  for (const list of [snapshot.scopes, snapshot.principals, snapshot.credentials, snapshot.vaultItems, snapshot.policies, snapshot.grants, snapshot.trustEdges]) {
    const seen = new Set<string>();
    for (const { id } of list) {
      if (seen.has(id)) duplicates.push(id);
      seen.add(id);
    }
  }
  return duplicates;
}

describe("demo estate: shape", () => {
  it("is deterministic for a given now and moves with it", () => {
    expect(JSON.stringify(buildDemoEstate(NOW))).toBe(JSON.stringify(estate));
    const later = buildDemoEstate(new Date("2026-01-01T00:00:00Z"));
    expect(later.generatedAt).toBe("2026-01-01T00:00:00.000Z");
    expect(daysFromNow(vaultItem(Z.certificateNoAutoRenew).expiresAt)).toBe(12);
    const laterCertificate = later.vaultItems.find((v) => v.id === Z.certificateNoAutoRenew);
    expect(Math.round((Date.parse(laterCertificate?.expiresAt ?? "") - Date.parse("2026-01-01T00:00:00Z")) / 86_400_000)).toBe(12);
  });

  it("validates against the snapshot schema and is flagged as a demo", () => {
    const result = inventorySnapshotSchema.safeParse(estate);
    expect(result.success ? [] : result.error.issues).toEqual([]);
    expect(estate.demo).toBe(true);
    expect(estate.generatedAt).toBe(NOW.toISOString());
  });

  it("has the expected size and spread", () => {
    const count = (kind: string, provider?: string) => estate.scopes.filter((s) => s.kind === kind && (!provider || s.provider === provider)).length;
    expect(count("account", "aws")).toBe(4);
    expect(count("project", "gcp")).toBe(4);
    expect(count("vault")).toBe(2);
    expect(count("subscription")).toBe(2);
    const byProvider = Object.fromEntries(["aws", "gcp", "azure"].map((p) => [p, estate.principals.filter((x) => x.provider === p).length]));
    expect(byProvider).toEqual({ aws: 134, gcp: 111, azure: 82 });
    expect({
      scopes: estate.scopes.length,
      credentials: estate.credentials.length,
      vaultItems: estate.vaultItems.length,
      policies: estate.policies.length,
      grants: estate.grants.length,
      trustEdges: estate.trustEdges.length,
      gaps: estate.gaps?.length,
    }).toEqual({ scopes: 26, credentials: 109, vaultItems: 25, policies: 198, grants: 712, trustEdges: 99, gaps: 1 });
  });

  it("has unique ids and no dangling references", () => {
    expect(duplicateIds(estate)).toEqual([]);
    expect(danglingReferences(estate)).toEqual([]);
  });

  it("carries evidence on every entity and never a date after now", () => {
    const all = [...estate.scopes, ...estate.principals, ...estate.credentials, ...estate.vaultItems, ...estate.policies, ...estate.grants, ...estate.trustEdges];
    expect(all.filter((e) => e.evidence.source.length === 0 || Date.parse(e.evidence.observedAt) > NOW.getTime())).toEqual([]);
    const pastFields = [...estate.principals, ...estate.credentials, ...estate.vaultItems].flatMap((e) => [
      "createdAt" in e ? e.createdAt : undefined,
      "lastActivity" in e ? e.lastActivity?.lastUsedAt : undefined,
    ]);
    expect(pastFields.filter((t) => t !== undefined && Date.parse(t) > NOW.getTime())).toEqual([]);
  });

  it("is served by the demo connector, which records its one local operation", async () => {
    const operations: CloudOperation[] = [];
    const connector = createDemoConnector();
    const snapshot = await connector.collect({ taskId: "t", now: NOW, recordOperation: (op) => operations.push(op) });
    expect(connector.id).toBe("demo");
    expect(snapshot).toEqual(estate);
    expect(operations).toEqual([{ provider: "local", api: "demo:generate", count: 1 }]);
  });
});

describe("demo estate: AWS scenarios", () => {
  it("places accounts under OUs with environment tags", () => {
    expect(inventory.scopeChain(A.productionAccount).map((s) => s.id)).toEqual([A.productionAccount, A.prodOu, A.organization]);
    expect(inventory.scopes.get(A.productionAccount)?.tags?.environment).toBe("production");
    expect(inventory.scopeChain(A.developmentAccount).map((s) => s.id)).toEqual([A.developmentAccount, A.nonProdOu, A.organization]);
    expect(inventory.scopeChain(A.sharedServicesAccount).map((s) => s.id)).toEqual([A.sharedServicesAccount, A.infrastructureOu, A.organization]);
  });

  it("chains ci-deployer → ci-runner → deploy (account root trust) → prod-secrets-reader → production secrets", () => {
    const edge = (from: string, to: string) => inventory.trustEdgesTo(to).filter((e) => e.from === from).map((e) => e.kind);
    expect(edge(A.ciUser, A.ciRunnerRole)).toEqual(["assume_role"]);
    expect(edge(A.sharedServicesRoot, A.prodDeployRole)).toEqual(["assume_role"]);
    expect(edge(A.prodDeployRole, A.prodSecretsReaderRole)).toEqual(["assume_role"]);

    const allowedResources = (principalId: string, action: string) =>
      inventory
        .grantsOf(principalId)
        .flatMap((g) => policy(g.policyId).statements)
        .filter((s) => s.effect === "Allow" && s.actions?.includes(action))
        .flatMap((s) => s.resources ?? []);
    expect(allowedResources(A.ciUser, "sts:AssumeRole")).toEqual([A.ciRunnerRole]);
    expect(allowedResources(A.ciRunnerRole, "sts:AssumeRole")).toContain(A.prodDeployRole);
    expect(allowedResources(A.prodDeployRole, "sts:AssumeRole")).toEqual([A.prodSecretsReaderRole]);
    expect(allowedResources(A.prodSecretsReaderRole, "secretsmanager:GetSecretValue")).toEqual([
      "arn:aws:secretsmanager:us-east-1:222222222222:secret:prod/*",
    ]);
    expect(vaultItem(A.prodPaymentsSecret).scopeId).toBe(A.productionAccount);
    expect(credential(A.ciUserAccessKey)).toMatchObject({ principalId: A.ciUser, status: "active" });
  });

  it("has conditional trusts: external id, MFA plus source IP, and GitHub OIDC with a sub condition", () => {
    const keysOf = (to: string) => inventory.trustEdgesTo(to).flatMap((e) => e.conditions ?? []).flatMap((c) => c.keys ?? []);
    expect(keysOf(A.vendorMonitoringRole)).toEqual(["sts:ExternalId"]);
    expect(inventory.trustEdgesTo(A.vendorMonitoringRole)[0]?.from).toBe(A.vendorAccountRoot);
    expect(keysOf(A.breakGlassRole)).toEqual(["aws:MultiFactorAuthPresent", "aws:SourceIp"]);
    const github = inventory.trustEdgesTo(A.githubActionsRole);
    expect(github.map((e) => [e.kind, e.from])).toEqual([["federation", A.githubOidcProvider]]);
    expect(github[0]?.conditions?.map((c) => c.expression)).toContain(
      "token.actions.githubusercontent.com:sub StringLike repo:acme/payments-service:ref:refs/heads/main",
    );
  });

  it("has escalation edges: PassRole + CreateFunction onto an admin Lambda role, CreateAccessKey on other users", () => {
    expect(inventory.trustEdgesTo(A.lambdaAdminRole).map((e) => e.from)).toEqual(["service:lambda.amazonaws.com"]);
    expect(inventory.grantsOf(A.lambdaAdminRole).map((g) => g.policyId)).toEqual(["arn:aws:iam::aws:policy/AdministratorAccess"]);
    const actions = (id: string) => inventory.grantsOf(id).flatMap((g) => policy(g.policyId).statements.flatMap((s) => s.actions ?? []));
    expect(actions(A.passRoleUser)).toEqual(expect.arrayContaining(["iam:PassRole", "lambda:CreateFunction"]));
    expect(actions(A.createAccessKeyUser)).toContain("iam:CreateAccessKey");
  });

  it("blocks paths with an SCP, a permissions boundary and an explicit identity deny", () => {
    const guardrails = policy(A.scpProdGuardrails);
    expect(guardrails.attachedTo).toEqual([A.prodOu]);
    expect(guardrails.statements.filter((s) => s.effect === "Deny" && !s.conditions).flatMap((s) => s.actions)).toEqual([
      "iam:CreateAccessKey",
      "secretsmanager:DeleteSecret",
      "organizations:LeaveOrganization",
    ]);
    expect(policy(A.scpFullAccess).attachedTo).toEqual(expect.arrayContaining([A.organization, A.prodOu, A.productionAccount]));
    expect(principal(A.scpBlockedSecretsRotationRole).scopeId).toBe(A.productionAccount);
    expect(principal(A.scpBlockedKeyRotatorUser).scopeId).toBe(A.productionAccount);

    expect(principal(A.boundedRole).permissionsBoundary).toBe(A.permissionsBoundary);
    expect(policy(A.permissionsBoundary).kind).toBe("boundary");
    expect(policy(A.permissionsBoundary).statements[0]?.notActions).toEqual(["iam:*", "organizations:*", "account:*"]);

    const denyPolicy = policy(A.identityDenyPolicy);
    expect(denyPolicy.kind).toBe("inline");
    expect(denyPolicy.statements[0]).toMatchObject({ effect: "Deny", actions: ["secretsmanager:GetSecretValue"] });
    expect(inventory.grantsOf(A.identityDenyRole).map((g) => g.policyId)).toContain(A.identityDenyPolicy);
  });

  it("covers access key states and role last-use windows", () => {
    expect(credential(A.neverUsedAccessKey)).toMatchObject({ status: "active", lastActivity: { coverage: "lifetime" } });
    expect(credential(A.neverUsedAccessKey).lastActivity?.lastUsedAt).toBeUndefined();
    expect(principal(A.neverUsedKeyUser).lastActivity).toMatchObject({ coverage: "lifetime", source: "iam:GetCredentialReport" });
    expect(principal(A.neverUsedKeyUser).lastActivity?.lastUsedAt).toBeUndefined();
    expect(-daysFromNow(credential(A.unusedAccessKey).lastActivity?.lastUsedAt)).toBe(143);
    expect(credential(A.inactiveAccessKey).status).toBe("inactive");
    expect(-daysFromNow(credential(A.unrotatedAccessKey).createdAt)).toBe(412);
    expect(-daysFromNow(credential(A.unrotatedAccessKey).lastActivity?.lastUsedAt)).toBe(1);

    expect(principal(A.roleUsed200DaysAgo).lastActivity).toMatchObject({ coverage: "window", windowDays: 400 });
    expect(-daysFromNow(principal(A.roleUsed200DaysAgo).lastActivity?.lastUsedAt)).toBe(200);
    expect(principal(A.roleNotSeenInWindow).lastActivity).toEqual({
      coverage: "window",
      windowDays: 400,
      source: "iam:GetAccountAuthorizationDetails",
      observedAt: "2025-06-01T11:56:00.000Z",
    });
    expect(daysFromNow(credential(A.serverCertificateExpiringSoon).expiresAt)).toBe(12);
    expect(daysFromNow(credential(A.serverCertificateExpired).expiresAt)).toBe(-20);
  });

  it("has humans with console passwords and workloads marked as workloads", () => {
    const humans = estate.principals.filter((p) => p.provider === "aws" && p.kind === "user");
    expect(humans).toHaveLength(12);
    expect(humans.every((h) => !h.workload && inventory.credentialsOf(h.id).some((c) => c.kind === "password"))).toBe(true);
    expect(principal(A.ciUser)).toMatchObject({ kind: "service_account", workload: true });
  });
});

describe("demo estate: Google Cloud scenarios", () => {
  it("nests the production project in the prod folder", () => {
    expect(inventory.scopeChain(G.prodDataProject).map((s) => s.id)).toEqual([G.prodDataProject, G.prodFolder, G.organization]);
  });

  it("chains ci-builder → (Token Creator) prod-deployer → production secrets", () => {
    const [edge] = inventory.trustEdgesTo(G.prodDeployerServiceAccount);
    expect(edge).toMatchObject({ kind: "impersonation", from: G.ciServiceAccount, policyId: "roles/iam.serviceAccountTokenCreator" });
    expect(inventory.grantsOn(G.prodDeployerResource).map((g) => [g.principalId, g.policyId])).toContainEqual([
      G.ciServiceAccount,
      "roles/iam.serviceAccountTokenCreator",
    ]);
    expect(inventory.grantsOf(G.prodDeployerServiceAccount).map((g) => [g.policyId, g.resource])).toContainEqual([
      "roles/secretmanager.secretAccessor",
      G.prodDataProject,
    ]);
    expect(policy("roles/secretmanager.secretAccessor").statements[0]?.actions).toContain("secretmanager.versions.access");
    expect(vaultItem(G.prodSecret).scopeId).toBe(G.prodDataProject);
    expect(policy(G.customRole)).toMatchObject({ kind: "role", scopeId: G.organization });
  });

  it("has deny policies with exceptions that block a folder-inherited grant and key creation", () => {
    const secretDeny = policy(G.secretDenyPolicy);
    expect(secretDeny.attachedTo).toEqual([G.prodDataProject]);
    expect(secretDeny.statements[0]).toMatchObject({ effect: "Deny", actions: ["secretmanager.versions.access"], principals: ["principalSet://goog/public:all"] });
    expect(secretDeny.statements[0]?.exceptPrincipals).toContain(G.prodDeployerServiceAccount);
    expect(secretDeny.statements[0]?.exceptPrincipals).not.toContain(G.secretDenyBlockedServiceAccount);
    expect(inventory.grantsOf(G.secretDenyBlockedServiceAccount).map((g) => [g.policyId, g.resource])).toContainEqual([
      "roles/secretmanager.secretAccessor",
      G.prodFolder,
    ]);

    const keyDeny = policy(G.keyCreationDenyPolicy);
    expect(keyDeny.attachedTo).toEqual([G.prodFolder]);
    expect(keyDeny.statements[0]?.exceptPrincipals).toEqual([G.keyCreationExceptionGroup]);
    expect(inventory.grantsOf(G.keyCreationBlockedServiceAccount).map((g) => [g.policyId, g.resource])).toContainEqual([
      "roles/iam.serviceAccountKeyAdmin",
      G.prodFolder,
    ]);
  });

  it("has conditional bindings on resource name and on time", () => {
    const conditionOf = (member: string) => inventory.grantsOf(member).flatMap((g) => g.conditions ?? []).map((c) => c.expression);
    expect(conditionOf(G.resourceConditionServiceAccount)).toEqual(['resource.name.startsWith("projects/acme-prod-data/secrets/payments-")']);
    expect(conditionOf(G.timeConditionServiceAccount)).toEqual(['request.time < timestamp("2025-06-15T12:00:00.000Z")']);
  });

  it("covers key states, a disabled account that still holds access, and never-seen use", () => {
    expect(credential(G.ciServiceAccountOldKey)).toMatchObject({ managedBy: "user", status: "active", expiresAt: "9999-12-31T23:59:59Z" });
    expect(-daysFromNow(credential(G.ciServiceAccountOldKey).createdAt)).toBe(400);
    expect(daysFromNow(credential(G.expiringKey).expiresAt)).toBe(7);
    expect(credential(G.disabledKey).status).toBe("disabled");
    expect(credential(G.systemManagedKey).managedBy).toBe("provider");

    const disabled = principal(G.disabledServiceAccount);
    expect(disabled.disabled).toBe(true);
    expect(inventory.grantsOf(disabled.id)).toHaveLength(2);
    expect(inventory.credentialsOf(disabled.id).map((c) => c.status)).toEqual(["active"]);

    expect(principal(G.neverSeenKeyServiceAccount).lastActivity).toMatchObject({ coverage: "window", source: "policyanalyzer:serviceAccountLastAuthentication" });
    expect(principal(G.neverSeenKeyServiceAccount).lastActivity?.lastUsedAt).toBeUndefined();
    expect(credential(G.neverSeenKey).lastActivity?.lastUsedAt).toBeUndefined();
    expect(inventory.grantsOf(G.computeDefaultServiceAccount).map((g) => g.policyId)).toEqual(["roles/editor"]);
  });

  it("federates a GitHub principalSet into a service account under an attribute condition", () => {
    const [edge] = inventory.trustEdgesTo(G.federatedServiceAccount);
    expect(edge).toMatchObject({ kind: "federation", from: G.federatedPrincipalSet });
    expect(edge?.conditions?.[0]?.expression).toBe("assertion.repository_owner == 'acme' && assertion.ref == 'refs/heads/main'");
  });

  it("reports the project whose activity could not be read, and leaves its accounts without activity", () => {
    expect(estate.gaps).toEqual([
      {
        provider: "gcp",
        scopeId: G.activityGapProject,
        source: "policyanalyzer:serviceAccountLastAuthentication",
        reason: "PERMISSION_DENIED: Policy Analyzer API has not been used in project acme-dev-sandbox before or it is disabled",
      },
    ]);
    const sandbox = estate.principals.filter((p) => p.scopeId === G.activityGapProject);
    expect(sandbox.length).toBe(26);
    expect(sandbox.filter((p) => p.lastActivity)).toEqual([]);
  });
});

describe("demo estate: Azure scenarios", () => {
  it("has an RBAC vault for production payments and a legacy access-policy vault", () => {
    const rbac = inventory.scopes.get(Z.rbacVault);
    expect(rbac?.attributes?.enableRbacAuthorization).toBe(true);
    expect(rbac?.tags?.environment).toBe("production");
    expect(inventory.scopeChain(Z.rbacVault).map((s) => s.kind)).toEqual(["vault", "resource_group", "subscription", "management_group", "management_group", "tenant"]);
    expect(inventory.scopes.get(Z.accessPolicyVault)?.attributes?.enableRbacAuthorization).toBe(false);
    expect(inventory.grantsOn(Z.accessPolicyVault).filter((g) => g.kind === "access_policy")).toHaveLength(4);
  });

  it("has vault items in every expiry state", () => {
    expect(daysFromNow(vaultItem(Z.secretExpiringSoon).expiresAt)).toBe(21);
    expect(daysFromNow(vaultItem(Z.secretExpired).expiresAt)).toBe(-9);
    expect(vaultItem(Z.secretNoExpiry).expiresAt).toBeUndefined();
    expect(vaultItem(Z.secretDisabled).enabled).toBe(false);
    expect(vaultItem(Z.certificateNoAutoRenew)).toMatchObject({ kind: "certificate", certificatePolicy: { autoRenew: false } });
    expect(daysFromNow(vaultItem(Z.certificateNoAutoRenew).expiresAt)).toBe(12);
    expect(vaultItem(Z.certificateAutoRenew).certificatePolicy?.autoRenew).toBe(true);
    expect(daysFromNow(vaultItem(Z.legacyCertificateExpired).expiresAt)).toBe(-20);
    expect(daysFromNow(vaultItem(Z.legacySecretExpiringSoon).expiresAt)).toBe(5);
  });

  it("has app credentials expiring soon, expired and without end date", () => {
    expect(credential(Z.clientSecretExpiringSoon)).toMatchObject({ kind: "client_secret", principalId: Z.paymentsGatewayApp });
    expect(daysFromNow(credential(Z.clientSecretExpiringSoon).expiresAt)).toBe(9);
    expect(daysFromNow(credential(Z.clientSecretExpired).expiresAt)).toBe(-30);
    expect(credential(Z.clientSecretNoEndDate).expiresAt).toBeUndefined();
    expect(credential(Z.certificateCredentialExpired)).toMatchObject({ kind: "certificate", principalId: Z.partnerExportApp });
  });

  it("has sign-in activity that is recent, stale and absent", () => {
    expect(-daysFromNow(principal(Z.legacyCrmServicePrincipal).lastActivity?.lastUsedAt)).toBe(240);
    expect(principal(Z.partnerExportServicePrincipal).lastActivity).toMatchObject({ coverage: "window", source: "graph:servicePrincipalSignInActivities" });
    expect(principal(Z.partnerExportServicePrincipal).lastActivity?.lastUsedAt).toBeUndefined();
    expect(-daysFromNow(principal(Z.paymentsGatewayServicePrincipal).lastActivity?.lastUsedAt)).toBe(0);
  });

  it("assigns roles at management group, subscription, resource group, vault and item scope", () => {
    const scopesOf = (role: string) => estate.grants.filter((g) => g.policyId === role).map((g) => g.resource);
    expect(scopesOf(Z.keyVaultSecretsUser)).toContain(Z.rbacVault);
    expect(inventory.grantsOf(Z.checkoutApiServicePrincipal).map((g) => g.resource)).toEqual([`${Z.rbacVault}/secrets/stripe-api-key`]);
    expect(inventory.grantsOf(Z.paymentsEngineersGroup).map((g) => [g.policyId, g.resource])).toContainEqual([Z.keyVaultAdministrator, Z.paymentsResourceGroup]);
    expect(scopesOf(Z.reader)).toContain(Z.landingZonesManagementGroup);
    expect(scopesOf(Z.contributor)).toEqual(expect.arrayContaining([Z.prodSubscription, Z.legacyResourceGroup]));
    expect(inventory.grantsOf(Z.githubDeployServicePrincipal).map((g) => [g.policyId, g.resource])).toEqual([[Z.contributor, Z.legacyResourceGroup]]);
    expect(inventory.membersOf(Z.paymentsEngineersGroup)).toHaveLength(3);
    expect(policy(Z.keyVaultSecretsUser).statements).toEqual([
      { id: "dataActions", effect: "Allow", actions: ["Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"] },
    ]);
    expect(inventory.trustEdgesTo(Z.githubDeployServicePrincipal).map((e) => [e.kind, e.from])).toEqual([["federation", Z.githubFederatedSubject]]);
    expect(principal(Z.paymentsApiManagedIdentity).kind).toBe("managed_identity");
  });
});

describe("demo estate: anchors", () => {
  it("names only entities that exist", () => {
    const ids = new Set<string>(
      [estate.scopes, estate.principals, estate.credentials, estate.vaultItems, estate.policies].flatMap((list) => list.map((e) => e.id)),
    );
    // Account roots and service account resources are reference forms, not entities of their own.
    const resolvable = (id: string) => {
      if (ids.has(id)) return true;
      const root = /^arn:aws:iam::(\d{12}):root$/.exec(id);
      if (root) return ids.has(`aws:account/${root[1]}`);
      const serviceAccount = /^projects\/[^/]+\/serviceAccounts\/(.+)$/.exec(id);
      if (serviceAccount) return ids.has(`serviceAccount:${serviceAccount[1]}`);
      // A secret or key known by the bindings on it (its IAM policy), in a collected project.
      const held = /^(projects\/[^/]+)\/(?:secrets|locations\/[^/]+\/keyRings)\//.exec(id);
      return held !== null && ids.has(held[1] ?? "");
    };
    const anchors = [...Object.values(A), ...Object.values(G), ...Object.values(Z)];
    expect(anchors.filter((id) => !resolvable(id))).toEqual([]);
    // A path may ask about a user that does not exist yet (creating it is the question).
    const referenced = DEMO_ANCHORS.paths.flatMap((p) => [p.principal, p.resource, ...("via" in p ? p.via : []), ...("blockedBy" in p ? [p.blockedBy] : [])]);
    expect(referenced.filter((id) => !resolvable(id))).toEqual(["arn:aws:iam::333333333333:user/new-user"]);
  });
});

describe("demo estate: untrusted text", () => {
  const SECRET_PATTERNS: [string, RegExp][] = [
    // 40 base64 characters mixing lower case, upper case and digits (ARN-like paths have no digits there).
    ["aws secret access key", /(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+]))(?=[A-Za-z/+]*\d)(?=[A-Z0-9/+]*[a-z])(?=[a-z0-9/+]*[A-Z])/],
    // `password=...`, `api_key: ...` (an ARN's `secret:prod/...` is not an assignment).
    ["key=value secret", /(pass(word)?|passwd|pwd|secret|token|key)\s*(=|:\s)\s*\S/i],
    ["private key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
    ["jwt", /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./],
    ["entra client secret", /[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,}/],
    ["credentials in url", /:\/\/[^\s/:@]+:[^\s/@]+@/],
    ["vendor token", /\b(gh[pousr]_[A-Za-z0-9]{30,}|xox[abprs]-|AIza[0-9A-Za-z_-]{35}|sk_live_)/],
    ["service account key json", /private_key|privateKeyData/],
  ];

  function secretLookingStrings(value: unknown, path: string, out: [string, string][]): [string, string][] {
    if (typeof value === "string") {
      for (const [kind, pattern] of SECRET_PATTERNS) if (pattern.test(value)) out.push([path, kind]);
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => secretLookingStrings(v, `${path}[${i}]`, out));
    } else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        secretLookingStrings(k, `${path}.<key>`, out);
        secretLookingStrings(v, `${path}.${k}`, out);
      }
    }
    return out;
  }

  it("holds secret-looking values only in the two planted strings", () => {
    const found = secretLookingStrings(estate, "$", []);
    const userIndex = estate.principals.findIndex((p) => p.id === DEMO_ANCHORS.plantedSecrets[0].entityId);
    const accountIndex = estate.principals.findIndex((p) => p.id === DEMO_ANCHORS.plantedSecrets[1].entityId);
    expect(found).toEqual([
      [`$.principals[${userIndex}].tags.notes`, "key=value secret"],
      [`$.principals[${accountIndex}].description`, "aws secret access key"],
      [`$.principals[${accountIndex}].description`, "key=value secret"],
    ]);
    expect(principal(DEMO_ANCHORS.plantedSecrets[0].entityId).tags?.notes).toBe("db_password=FAKE-Winter2024-EXAMPLE");
    expect(principal(DEMO_ANCHORS.plantedSecrets[1].entityId).description).toContain("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    expect(DEMO_ANCHORS.plantedSecrets.every((s) => /FAKE|EXAMPLE/.test(s.value))).toBe(true);
  });

  it("gives the recommended secretlint rules nothing to report", async () => {
    const result = await lintSource({
      source: { filePath: "demo-estate.json", content: JSON.stringify(estate, null, 1), contentType: "text" },
      options: { config: { rules: [{ id: "@secretlint/secretlint-rule-preset-recommend", rule: recommendedRules }] } },
    });
    expect(result.messages).toEqual([]);
  });

  it("carries exactly one prompt-injection description", () => {
    const { entityId, marker } = DEMO_ANCHORS.promptInjection;
    const carriers = estate.principals.filter((p) => p.description?.includes(marker)).map((p) => p.id);
    expect(carriers).toEqual([entityId]);
    expect(JSON.stringify(estate).split(marker)).toHaveLength(2);
  });
});

describe("synthetic estate generator", () => {
  const now = new Date("2026-11-24T00:00:00Z");
  const small = generateSyntheticEstate({ identities: 2_000, seed: 7, now });

  it("produces the requested number of identities with about ten grants each", () => {
    expect(small.principals).toHaveLength(2_000);
    const perIdentity = small.grants.length / small.principals.length;
    expect(perIdentity).toBeGreaterThan(8);
    expect(perIdentity).toBeLessThan(12);
    const providers = new Set(small.principals.map((p) => p.provider));
    expect([...providers].sort()).toEqual(["aws", "azure", "gcp"]);
  });

  it("validates, has unique ids and no dangling references", () => {
    const result = inventorySnapshotSchema.safeParse(small);
    expect(result.success ? [] : result.error.issues.slice(0, 3)).toEqual([]);
    expect(duplicateIds(small)).toEqual([]);
    expect(danglingReferences(small)).toEqual([]);
  });

  it("shares policies, and has trust edges, credentials and vault items in proportion", () => {
    const policiesUsed = new Set(small.grants.map((g) => g.policyId)).size;
    expect(small.grants.length / policiesUsed).toBeGreaterThan(10);
    expect(small.trustEdges.length).toBeGreaterThan(200);
    expect(small.credentials.length).toBeGreaterThan(600);
    expect(small.vaultItems.length).toBeGreaterThan(50);
    expect(small.principals.filter((p) => p.kind === "group").length).toBeGreaterThan(0);
  });

  it("is deterministic for a seed and differs between seeds", () => {
    const again = generateSyntheticEstate({ identities: 300, seed: 3, now });
    expect(JSON.stringify(again)).toBe(JSON.stringify(generateSyntheticEstate({ identities: 300, seed: 3, now })));
    expect(JSON.stringify(again)).not.toBe(JSON.stringify(generateSyntheticEstate({ identities: 300, seed: 4, now })));
  });
});
