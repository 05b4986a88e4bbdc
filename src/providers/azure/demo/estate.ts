/**
 * The Azure part of the demo estate: a tenant, management groups, two subscriptions, an RBAC Key
 * Vault for production payments and a legacy vault on access policies, Entra applications with
 * client secrets and certificates in every expiry state, managed identities, role assignments at
 * management group, subscription, resource group, vault and item scope, and filler workloads.
 *
 * Role definitions keep control-plane and data-plane permissions apart: statement "actions" holds
 * Actions/NotActions, statement "dataActions" holds DataActions/NotDataActions. Legacy access
 * policy permissions are translated to the equivalent data actions (the raw permissions are kept
 * in the policy description). Service principal sign-in activity has coverage "window" without a
 * length: the report documents no retention that would make an absent record mean "never used".
 */
import { mapAccessPolicy } from "../collect/access-policies.js";
import type { Principal, Statement, VaultItem } from "../../../model/inventory.js";
import { DEMO_ANCHORS } from "../../../connectors/demo/anchors.js";
import { SERVICES, type DemoEstate } from "../../../connectors/demo/estate.js";
import { compactGrant } from "../../../model/compact-grant.js";

const Z = DEMO_ANCHORS.azure;
const SIGN_IN_ACTIVITY = "graph:servicePrincipalSignInActivities";
const ROLE_DEFINITIONS = "/providers/Microsoft.Authorization/roleDefinitions";

const PLATFORM_RG = `${Z.prodSubscription}/resourceGroups/rg-platform-prod`;
const DEV_RG = `${Z.nonProdSubscription}/resourceGroups/rg-dev-apps`;
const RBAC_VAULT_URI = "https://kv-payments-prod.vault.azure.net";
const POLICY_VAULT_URI = "https://kv-legacy-apps.vault.azure.net";

const ROLES = {
  secretsUser: Z.keyVaultSecretsUser,
  secretsOfficer: `${ROLE_DEFINITIONS}/b86a8fe4-44ce-4948-aee5-eccb2c155cd7`,
  vaultAdministrator: Z.keyVaultAdministrator,
  vaultContributor: Z.keyVaultContributor,
  contributor: Z.contributor,
  reader: Z.reader,
  blobReader: `${ROLE_DEFINITIONS}/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1`,
  blobContributor: `${ROLE_DEFINITIONS}/ba92f5b4-2d11-453d-a403-e96b0029c9fe`,
  serviceBusSender: `${ROLE_DEFINITIONS}/69a216fc-b8fb-44d8-bc22-1f3c2cd27a39`,
} as const;

type SignIn = number | undefined | "unobserved";

/** Access-policy permission names and the RBAC data actions they amount to. */

class AzureWriter {
  constructor(private readonly estate: DemoEstate) {}

  private principal(principal: Omit<Principal, "provider" | "evidence">, source: string): string {
    this.estate.principals.push({ ...principal, provider: "azure", evidence: this.estate.evidence(source) });
    return principal.id;
  }

  private signIn(lastSignInDaysAgo: SignIn): Pick<Principal, "lastActivity"> {
    if (lastSignInDaysAgo === "unobserved") return {};
    return { lastActivity: this.estate.activity(SIGN_IN_ACTIVITY, "window", lastSignInDaysAgo) };
  }

  user(name: string, memberOf?: string[]): string {
    const upn = `${name}@acme.example.com`;
    return this.principal(
      { id: this.estate.random.guid(), kind: "user", workload: false, name: upn, email: upn, scopeId: Z.tenant, ...(memberOf ? { memberOf } : {}) },
      "graph:users",
    );
  }

  group(id: string, name: string, memberOf?: string[]): string {
    return this.principal({ id, kind: "group", workload: false, name, scopeId: Z.tenant, ...(memberOf ? { memberOf } : {}) }, "graph:groups");
  }

  /** An app registration and its service principal in this tenant. */
  application(
    name: string,
    options: { appObjectId?: string; servicePrincipalId?: string; createdDaysAgo: number; lastSignInDaysAgo: SignIn; memberOf?: string[]; description?: string },
  ): { app: string; servicePrincipal: string } {
    const { random, clock } = this.estate;
    const appId = random.guid();
    const createdAt = clock.daysAgo(options.createdDaysAgo);
    // The sign-in report is keyed by appId, so the registration (which holds the credentials) shares it.
    const signIn = this.signIn(options.lastSignInDaysAgo);
    const app = this.principal(
      { id: options.appObjectId ?? random.guid(), kind: "application", workload: true, name, uniqueId: appId, scopeId: Z.tenant, createdAt, ...(options.description ? { description: options.description } : {}), ...signIn },
      "graph:applications",
    );
    const servicePrincipal = this.principal(
      {
        id: options.servicePrincipalId ?? random.guid(),
        kind: "service_principal",
        workload: true,
        name,
        uniqueId: appId,
        scopeId: Z.tenant,
        createdAt,
        ...(options.memberOf ? { memberOf: options.memberOf } : {}),
        ...signIn,
      },
      "graph:servicePrincipals",
    );
    return { app, servicePrincipal };
  }

  managedIdentity(name: string, resourceGroup: string, options: { id?: string; createdDaysAgo: number; lastSignInDaysAgo: SignIn; memberOf?: string[] }): string {
    const { random, clock } = this.estate;
    return this.principal(
      {
        id: options.id ?? random.guid(),
        kind: "managed_identity",
        workload: true,
        name,
        uniqueId: random.guid(),
        scopeId: resourceGroup,
        description: `User-assigned identity ${resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`,
        createdAt: clock.daysAgo(options.createdDaysAgo),
        ...(options.memberOf ? { memberOf: options.memberOf } : {}),
        ...this.signIn(options.lastSignInDaysAgo),
      },
      "graph:servicePrincipals",
    );
  }

  /** A password credential; `expiresInDays` undefined means no end date. */
  clientSecret(app: string, options: { id?: string; name: string; createdDaysAgo: number; expiresInDays: number | undefined }): void {
    this.appCredential(app, "client_secret", options);
  }

  certificateCredential(app: string, options: { id?: string; name: string; createdDaysAgo: number; expiresInDays: number | undefined }): void {
    this.appCredential(app, "certificate", options);
  }

  private appCredential(
    app: string,
    kind: "client_secret" | "certificate",
    options: { id?: string; name: string; createdDaysAgo: number; expiresInDays: number | undefined },
  ): void {
    const { random, clock } = this.estate;
    this.estate.credentials.push({
      id: options.id ?? random.guid(),
      provider: "azure",
      kind,
      principalId: app,
      scopeId: Z.tenant,
      name: options.name,
      // Entra credentials have no enabled flag: an expired one stays on the app, still "active", until removed.
      status: "active",
      ...(kind === "certificate" ? { algorithm: "AsymmetricX509Cert" } : {}),
      createdAt: clock.daysAgo(options.createdDaysAgo),
      ...(options.expiresInDays !== undefined ? { expiresAt: clock.daysFromNow(options.expiresInDays) } : {}),
      evidence: this.estate.evidence("graph:applications"),
    });
  }

  roleDefinition(id: string, name: string, permissions: { actions?: string[]; notActions?: string[]; dataActions?: string[]; notDataActions?: string[] }): void {
    const statements: Statement[] = [];
    if (permissions.actions?.length) {
      statements.push({ id: "actions", effect: "Allow", actions: permissions.actions, ...(permissions.notActions ? { notActions: permissions.notActions } : {}) });
    }
    if (permissions.dataActions?.length) {
      statements.push({ id: "dataActions", effect: "Allow", actions: permissions.dataActions, ...(permissions.notDataActions ? { notActions: permissions.notDataActions } : {}) });
    }
    this.estate.policies.push({ id, provider: "azure", kind: "role", name, statements, evidence: this.estate.evidence("authorization:roleDefinitions.list") });
  }

  assign(principalId: string, roleDefinitionId: string, scope: string): void {
    this.estate.grants.push(compactGrant({
      id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${this.estate.random.guid()}`,
      provider: "azure",
      kind: "role_assignment",
      principalId,
      policyId: roleDefinitionId,
      resource: scope,
      evidence: this.estate.evidence("authorization:roleAssignments.listForScope"),
    }));
  }

  /** Mapped by the connector's own code, so the demo reads exactly as a collected vault would. */
  accessPolicy(vault: string, principalId: string, permissions: Partial<Record<"secrets" | "keys" | "certificates", string[]>>): void {
    const { policy, grant } = mapAccessPolicy(vault, { objectId: principalId, permissions }, this.estate.evidence("keyvault:vaults.get (accessPolicies)"));
    this.estate.policies.push(policy);
    this.estate.grants.push(grant);
  }

  vaultItem(
    vault: string,
    vaultUri: string,
    kind: VaultItem["kind"],
    name: string,
    options: {
      id?: string;
      createdDaysAgo: number;
      expiresInDays?: number;
      enabled?: boolean;
      contentType?: string;
      managed?: boolean;
      tags?: Record<string, string>;
      certificatePolicy?: VaultItem["certificatePolicy"];
    },
  ): string {
    const { random, clock } = this.estate;
    const version = options.id ? options.id.slice(options.id.lastIndexOf("/") + 1) : random.hex(32);
    const id = options.id ?? `${vaultUri}/${kind}s/${name}/${version}`;
    const source = { secret: "keyvault:getPropertiesOfSecrets", certificate: "keyvault:getPropertiesOfCertificates", key: "keyvault:getPropertiesOfKeys" }[kind];
    this.estate.vaultItems.push({
      id,
      provider: "azure",
      kind,
      name,
      scopeId: vault,
      version,
      enabled: options.enabled ?? true,
      createdAt: clock.daysAgo(options.createdDaysAgo),
      updatedAt: clock.daysAgo(Math.min(options.createdDaysAgo, 3)),
      ...(options.expiresInDays !== undefined ? { expiresAt: clock.daysFromNow(options.expiresInDays) } : {}),
      ...(options.contentType ? { contentType: options.contentType } : {}),
      ...(options.managed ? { managed: true } : {}),
      recoveryLevel: "Recoverable+Purgeable",
      ...(options.tags ? { tags: options.tags } : {}),
      ...(options.certificatePolicy ? { certificatePolicy: options.certificatePolicy } : {}),
      evidence: this.estate.evidence(source),
    });
    return id;
  }
}

export function addAzureEstate(estate: DemoEstate): void {
  const azure = new AzureWriter(estate);
  addScopes(estate);
  addRoleDefinitions(azure);
  addVaultItems(azure);
  addIdentities(estate, azure);
  addAzureFillers(estate, azure);
}

function addScopes(estate: DemoEstate): void {
  const scope = (
    id: string,
    kind: "tenant" | "management_group" | "subscription" | "resource_group" | "vault",
    name: string,
    parentId: string | undefined,
    source: string,
    extra: { tags?: Record<string, string>; attributes?: Record<string, string | number | boolean> } = {},
  ) => estate.scopes.push({ id, provider: "azure", kind, name, ...(parentId ? { parentId } : {}), ...extra, evidence: estate.evidence(source) });

  scope(Z.tenant, "tenant", "acme.example.com", undefined, "graph:organization");
  scope(Z.rootManagementGroup, "management_group", "Tenant Root Group", Z.tenant, "management:managementGroups.list");
  scope(Z.landingZonesManagementGroup, "management_group", "Acme Landing Zones", Z.rootManagementGroup, "management:managementGroups.list");
  scope(Z.prodSubscription, "subscription", "acme-prod", Z.landingZonesManagementGroup, "resources:subscriptions.list", { tags: { environment: "production" } });
  scope(Z.nonProdSubscription, "subscription", "acme-nonprod", Z.landingZonesManagementGroup, "resources:subscriptions.list", { tags: { environment: "development" } });
  scope(Z.paymentsResourceGroup, "resource_group", "rg-payments-prod", Z.prodSubscription, "resources:resourceGroups.list", { tags: { environment: "production", team: "payments" } });
  scope(PLATFORM_RG, "resource_group", "rg-platform-prod", Z.prodSubscription, "resources:resourceGroups.list", { tags: { environment: "production", team: "platform" } });
  scope(Z.legacyResourceGroup, "resource_group", "rg-legacy-apps", Z.nonProdSubscription, "resources:resourceGroups.list", { tags: { environment: "staging", team: "crm" } });
  scope(DEV_RG, "resource_group", "rg-dev-apps", Z.nonProdSubscription, "resources:resourceGroups.list", { tags: { environment: "development" } });
  scope(Z.rbacVault, "vault", "kv-payments-prod", Z.paymentsResourceGroup, "keyvault:vaults.list", {
    tags: { environment: "production", "data-classification": "pci" },
    attributes: { enableRbacAuthorization: true, vaultUri: `${RBAC_VAULT_URI}/`, enableSoftDelete: true, softDeleteRetentionInDays: 90, enablePurgeProtection: true, publicNetworkAccess: "Disabled" },
  });
  scope(Z.accessPolicyVault, "vault", "kv-legacy-apps", Z.legacyResourceGroup, "keyvault:vaults.list", {
    tags: { environment: "staging", owner: "crm-team" },
    attributes: { enableRbacAuthorization: false, vaultUri: `${POLICY_VAULT_URI}/`, enableSoftDelete: true, softDeleteRetentionInDays: 7, enablePurgeProtection: false, publicNetworkAccess: "Enabled" },
  });
}

function addRoleDefinitions(azure: AzureWriter): void {
  const readMetadata = ["Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*", "Microsoft.Resources/deployments/*", "Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Support/*"];
  azure.roleDefinition(ROLES.secretsUser, "Key Vault Secrets User", {
    dataActions: ["Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"],
  });
  azure.roleDefinition(ROLES.secretsOfficer, "Key Vault Secrets Officer", {
    actions: [...readMetadata, "Microsoft.KeyVault/checkNameAvailability/read", "Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/operations/read"],
    dataActions: ["Microsoft.KeyVault/vaults/secrets/*"],
  });
  azure.roleDefinition(ROLES.vaultAdministrator, "Key Vault Administrator", {
    actions: [...readMetadata, "Microsoft.KeyVault/checkNameAvailability/read", "Microsoft.KeyVault/deletedVaults/read", "Microsoft.KeyVault/locations/*/read", "Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/operations/read"],
    dataActions: ["Microsoft.KeyVault/vaults/*"],
  });
  // Management-plane only, but on an access-policy vault vaults/write lets the holder grant itself data access.
  azure.roleDefinition(ROLES.vaultContributor, "Key Vault Contributor", {
    actions: [...readMetadata, "Microsoft.KeyVault/*"],
    notActions: ["Microsoft.KeyVault/locations/deletedVaults/purge/action", "Microsoft.KeyVault/hsmPools/*", "Microsoft.KeyVault/managedHsms/*"],
  });
  // "*" includes Microsoft.KeyVault/vaults/write; Contributor has no data actions.
  azure.roleDefinition(ROLES.contributor, "Contributor", {
    actions: ["*"],
    notActions: [
      "Microsoft.Authorization/*/Delete",
      "Microsoft.Authorization/*/Write",
      "Microsoft.Authorization/elevateAccess/Action",
      "Microsoft.Blueprint/blueprintAssignments/write",
      "Microsoft.Blueprint/blueprintAssignments/delete",
      "Microsoft.Compute/galleries/share/action",
    ],
  });
  azure.roleDefinition(ROLES.reader, "Reader", { actions: ["*/read"] });
  azure.roleDefinition(ROLES.blobReader, "Storage Blob Data Reader", {
    actions: ["Microsoft.Storage/storageAccounts/blobServices/containers/read"],
    dataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
  });
  azure.roleDefinition(ROLES.blobContributor, "Storage Blob Data Contributor", {
    actions: ["Microsoft.Storage/storageAccounts/blobServices/containers/*"],
    dataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"],
  });
  azure.roleDefinition(ROLES.serviceBusSender, "Azure Service Bus Data Sender", {
    actions: ["Microsoft.ServiceBus/*/queues/read", "Microsoft.ServiceBus/*/topics/read"],
    dataActions: ["Microsoft.ServiceBus/*/send/action"],
  });
}

function addVaultItems(azure: AzureWriter): void {
  const prodTags = { environment: "production" };
  const rbac = (kind: VaultItem["kind"], name: string, options: Parameters<AzureWriter["vaultItem"]>[4]) =>
    azure.vaultItem(Z.rbacVault, RBAC_VAULT_URI, kind, name, { tags: prodTags, ...options });
  const legacy = (kind: VaultItem["kind"], name: string, options: Parameters<AzureWriter["vaultItem"]>[4]) =>
    azure.vaultItem(Z.accessPolicyVault, POLICY_VAULT_URI, kind, name, options);

  rbac("secret", "stripe-api-key", { id: Z.secretExpiringSoon, createdDaysAgo: 344, expiresInDays: 21, contentType: "text/plain" });
  rbac("secret", "psp-webhook-signing", { id: Z.secretExpired, createdDaysAgo: 374, expiresInDays: -9 });
  rbac("secret", "ledger-service-password", { id: Z.secretNoExpiry, createdDaysAgo: 930 });
  rbac("secret", "old-3ds-key", { id: Z.secretDisabled, createdDaysAgo: 1100, enabled: false });
  rbac("secret", "payments-db-connection", { createdDaysAgo: 72, expiresInDays: 18, contentType: "application/x-connection-string" });
  rbac("secret", "fraud-model-api-key", { createdDaysAgo: 40, expiresInDays: 140 });
  rbac("certificate", "api-payments-example-com", {
    id: Z.certificateNoAutoRenew,
    createdDaysAgo: 353,
    expiresInDays: 12,
    certificatePolicy: { issuer: "DigiCert", validityMonths: 12, autoRenew: false, lifetimeActions: ["EmailContacts 30 days before expiry"] },
  });
  // The secret that backs the certificate above: same name and expiry, flagged managed.
  rbac("secret", "api-payments-example-com", {
    id: `${RBAC_VAULT_URI}/secrets/api-payments-example-com/4d6f8a0c2e4b6d8f1a3c5e7b9d0f2a4c`,
    createdDaysAgo: 353,
    expiresInDays: 12,
    contentType: "application/x-pkcs12",
    managed: true,
  });
  rbac("certificate", "mtls-client-payments", {
    id: Z.certificateAutoRenew,
    createdDaysAgo: 340,
    expiresInDays: 25,
    certificatePolicy: { issuer: "Self", validityMonths: 12, autoRenew: true, lifetimeActions: ["AutoRenew at 80% of lifetime"] },
  });
  rbac("key", "payments-cmk", { createdDaysAgo: 800 });
  rbac("key", "tokenization-key", { createdDaysAgo: 305, expiresInDays: 60 });

  legacy("secret", "crm-sync-password", { createdDaysAgo: 1150 });
  legacy("secret", "ftp-partner-credentials", { createdDaysAgo: 850, expiresInDays: -120 });
  legacy("secret", "smtp-relay-password", { id: Z.legacySecretExpiringSoon, createdDaysAgo: 360, expiresInDays: 5 });
  legacy("secret", "legacy-soap-token", { createdDaysAgo: 1400, enabled: false });
  legacy("certificate", "legacy-portal-example-com", {
    id: Z.legacyCertificateExpired,
    createdDaysAgo: 385,
    expiresInDays: -20,
    certificatePolicy: { issuer: "Self", validityMonths: 12, autoRenew: false, lifetimeActions: ["EmailContacts 30 days before expiry"] },
  });
  legacy("key", "legacy-signing", { createdDaysAgo: 1300 });
}

function addIdentities(estate: DemoEstate, azure: AzureWriter): void {
  const kvReaders = azure.group(estate.random.guid(), "grp-kv-readers-prod");
  azure.group(Z.paymentsEngineersGroup, "grp-payments-engineers");
  azure.user("alice.nguyen", [Z.paymentsEngineersGroup]);
  azure.user("bob.martin", [Z.paymentsEngineersGroup]);
  azure.user("priya.shah", [Z.paymentsEngineersGroup]);
  const tom = azure.user("tom.weber");

  // Production payments: client secret expiring within days, certificate a little later.
  const gateway = azure.application("payments-gateway-prod", {
    appObjectId: Z.paymentsGatewayApp,
    servicePrincipalId: Z.paymentsGatewayServicePrincipal,
    createdDaysAgo: 700,
    lastSignInDaysAgo: 0.04,
  });
  azure.clientSecret(gateway.app, { id: Z.clientSecretExpiringSoon, name: "prod-rotation", createdDaysAgo: 171, expiresInDays: 9 });
  azure.certificateCredential(gateway.app, { name: "CN=payments-gateway-prod", createdDaysAgo: 320, expiresInDays: 45 });
  azure.assign(gateway.servicePrincipal, ROLES.secretsUser, Z.rbacVault);

  // Legacy CRM connector: stale sign-in, an expired secret and one that never expires.
  const crm = azure.application("legacy-crm-connector", {
    appObjectId: Z.legacyCrmApp,
    servicePrincipalId: Z.legacyCrmServicePrincipal,
    createdDaysAgo: 1500,
    lastSignInDaysAgo: 240,
  });
  azure.clientSecret(crm.app, { id: Z.clientSecretExpired, name: "crm-2", createdDaysAgo: 395, expiresInDays: -30 });
  azure.clientSecret(crm.app, { id: Z.clientSecretNoEndDate, name: "crm-forever", createdDaysAgo: 1400, expiresInDays: undefined });
  azure.accessPolicy(Z.accessPolicyVault, crm.servicePrincipal, { secrets: ["get", "list"] });

  // Partner export: never signed in, expired certificate, but still holds vault access.
  const partner = azure.application("partner-export", {
    appObjectId: Z.partnerExportApp,
    servicePrincipalId: Z.partnerExportServicePrincipal,
    createdDaysAgo: 300,
    lastSignInDaysAgo: undefined,
  });
  azure.certificateCredential(partner.app, { id: Z.certificateCredentialExpired, name: "CN=partner-export", createdDaysAgo: 380, expiresInDays: -15 });
  azure.accessPolicy(Z.accessPolicyVault, partner.servicePrincipal, { secrets: ["get", "list"], keys: ["get", "sign"] });

  // GitHub deployments federate (no secret); Contributor on the legacy RG can rewrite the vault's access policies.
  const github = azure.application("github-deploy-azure", { servicePrincipalId: Z.githubDeployServicePrincipal, createdDaysAgo: 260, lastSignInDaysAgo: 2 });
  estate.principals.push({
    id: Z.githubFederatedSubject,
    provider: "azure",
    kind: "external",
    workload: true,
    name: "GitHub Actions acme/infra-azure (production environment)",
    scopeId: Z.tenant,
    description: "Federated identity credential subject on app github-deploy-azure",
    evidence: estate.evidence("graph:applications/federatedIdentityCredentials"),
  });
  estate.trustEdges.push({
    id: `${github.app}/federatedIdentityCredentials/github-production`,
    provider: "azure",
    kind: "federation",
    from: Z.githubFederatedSubject,
    to: github.servicePrincipal,
    conditions: [{ expression: "audience == api://AzureADTokenExchange", keys: ["aud"] }],
    evidence: estate.evidence("graph:applications/federatedIdentityCredentials"),
  });
  azure.assign(github.servicePrincipal, ROLES.contributor, Z.legacyResourceGroup);

  const terraform = azure.application("terraform-prod", { createdDaysAgo: 900, lastSignInDaysAgo: 0.3 });
  azure.clientSecret(terraform.app, { name: "terraform-cloud", createdDaysAgo: 200, expiresInDays: 165 });
  azure.assign(terraform.servicePrincipal, ROLES.contributor, Z.prodSubscription);

  const scanner = azure.application("security-scanner", { createdDaysAgo: 600, lastSignInDaysAgo: 0.1 });
  azure.certificateCredential(scanner.app, { name: "CN=security-scanner", createdDaysAgo: 200, expiresInDays: 530 });
  azure.assign(scanner.servicePrincipal, ROLES.reader, Z.landingZonesManagementGroup);

  const orders = azure.application("orders-sync", { createdDaysAgo: 500, lastSignInDaysAgo: 1, memberOf: [kvReaders] });
  azure.clientSecret(orders.app, { name: "orders-sync-2", createdDaysAgo: 120, expiresInDays: 60 });

  // Item-scoped assignment: checkout may read one secret only.
  const checkout = azure.application("checkout-api", { servicePrincipalId: Z.checkoutApiServicePrincipal, createdDaysAgo: 450, lastSignInDaysAgo: 0.02 });
  azure.clientSecret(checkout.app, { name: "checkout-prod", createdDaysAgo: 100, expiresInDays: 265 });
  azure.assign(checkout.servicePrincipal, ROLES.secretsUser, `${Z.rbacVault}/secrets/stripe-api-key`);

  // Managed identities.
  const paymentsApi = azure.managedIdentity("id-payments-api", Z.paymentsResourceGroup, { id: Z.paymentsApiManagedIdentity, createdDaysAgo: 610, lastSignInDaysAgo: 0.01 });
  azure.assign(paymentsApi, ROLES.secretsUser, Z.rbacVault);
  const rotation = azure.managedIdentity("id-secret-rotation", Z.paymentsResourceGroup, { createdDaysAgo: 300, lastSignInDaysAgo: 6 });
  azure.assign(rotation, ROLES.secretsOfficer, Z.rbacVault);
  const legacyJobs = azure.managedIdentity("id-legacy-jobs", Z.legacyResourceGroup, { createdDaysAgo: 1000, lastSignInDaysAgo: 130 });
  azure.accessPolicy(Z.accessPolicyVault, legacyJobs, { secrets: ["get"] });

  // People.
  azure.assign(kvReaders, ROLES.secretsUser, Z.rbacVault);
  azure.assign(Z.paymentsEngineersGroup, ROLES.vaultAdministrator, Z.paymentsResourceGroup);
  azure.assign(Z.paymentsEngineersGroup, ROLES.reader, Z.nonProdSubscription);
  azure.assign(tom, ROLES.vaultContributor, Z.accessPolicyVault);
  azure.accessPolicy(Z.accessPolicyVault, tom, { secrets: ["get", "list", "set", "delete"], certificates: ["get", "list", "import"] });
}

function addAzureFillers(estate: DemoEstate, azure: AzureWriter): void {
  const { random } = estate;
  const resourceGroups = [Z.paymentsResourceGroup, PLATFORM_RG, DEV_RG, Z.legacyResourceGroup];
  const dataRoles = [ROLES.blobReader, ROLES.blobContributor, ROLES.serviceBusSender, ROLES.reader];
  const services = random.shuffled(SERVICES);
  const lastSignIn = (): number | undefined =>
    random.weighted<number | undefined>([
      [random.int(0, 96) / 24, 6],
      [random.int(5, 80), 2],
      [random.int(91, 500), 1],
      [undefined, 1],
    ]);

  services.slice(0, 20).forEach((service, index) => {
    const environment = index % 3 === 2 ? "dev" : "prod";
    const resourceGroup = environment === "prod" ? random.pick([Z.paymentsResourceGroup, PLATFORM_RG]) : DEV_RG;
    const created = random.int(60, 1400);
    const { app, servicePrincipal } = azure.application(`${service}-${environment}`, { createdDaysAgo: created, lastSignInDaysAgo: lastSignIn() });
    const secrets = random.int(0, 2);
    for (let i = 0; i < secrets; i++) {
      const age = random.int(10, Math.max(11, created));
      azure.clientSecret(app, { name: `${service}-${i + 1}`, createdDaysAgo: age, expiresInDays: random.weighted<number | undefined>([[random.int(-60, 700), 8], [undefined, 1]]) });
    }
    if (random.chance(0.2)) azure.certificateCredential(app, { name: `CN=${service}-${environment}`, createdDaysAgo: random.int(30, 360), expiresInDays: random.int(-30, 700) });
    azure.assign(servicePrincipal, ROLES.reader, resourceGroup);
    for (const role of estate.sample(dataRoles, random.int(1, 2))) azure.assign(servicePrincipal, role, resourceGroup);
  });

  services.slice(0, 16).forEach((service) => {
    const resourceGroup = random.pick(resourceGroups);
    const identity = azure.managedIdentity(`id-${service}-worker`, resourceGroup, { createdDaysAgo: random.int(30, 900), lastSignInDaysAgo: lastSignIn() });
    for (const role of estate.sample(dataRoles, random.int(1, 3))) azure.assign(identity, role, resourceGroup);
    if (resourceGroup === Z.paymentsResourceGroup && random.chance(0.5)) azure.assign(identity, ROLES.secretsUser, Z.rbacVault);
  });
}
