/**
 * A small Azure estate for the connector tests, with every case the analysis must tell apart:
 * an RBAC vault and an access-policy vault, a vault no subscription holds, items that expire soon,
 * have expired, never expire or are disabled, a certificate-backing (managed) secret, applications
 * with expiring, expired and endless credentials, stale and never-seen sign-ins, user- and
 * system-assigned managed identities, group membership, an assignment inherited from a management
 * group, a deny assignment, a federated credential, and a Microsoft first-party principal that
 * holds nothing (and must be left out). All ids are fake.
 */
import type { ArmResource, FakeAzureEstate, FakeCertificate, FakeKey, FakeSecret, GraphObject } from "./estate.js";
import { epochSeconds } from "./estate.js";

/** The instant the estate's relative dates are computed from (analysis tests pass it as "now"). */
export const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const days = (n: number) => new Date(NOW.getTime() + n * 86_400_000).toISOString();
const at = (n: number) => epochSeconds(days(n));

export const TENANT = "0f0f0f0f-1111-4222-8333-444444444444";
export const TENANT_SCOPE = `/tenants/${TENANT}`;
export const PROD = "aaaaaaaa-0000-4000-8000-000000000001";
export const NONPROD = "aaaaaaaa-0000-4000-8000-000000000002";
export const ROOT_MG = `/providers/Microsoft.Management/managementGroups/${TENANT}`;
export const LANDING_MG = "/providers/Microsoft.Management/managementGroups/mg-landingzones";
export const PAYMENTS_RG = `/subscriptions/${PROD}/resourceGroups/rg-payments`;
export const LEGACY_RG = `/subscriptions/${NONPROD}/resourceGroups/rg-legacy`;
export const KV_PAYMENTS = `${PAYMENTS_RG}/providers/Microsoft.KeyVault/vaults/kv-payments`;
export const KV_LEGACY = `${LEGACY_RG}/providers/Microsoft.KeyVault/vaults/kv-legacy`;

/** The identity the connector authenticates as (a read-only app registration). */
export const READER_CLIENT_ID = "cccccccc-0000-4000-8000-00000000c11e";
export const READER_OBJECT_ID = "cccccccc-0000-4000-8000-0000000000b1";
export const READER_SECRET = "FAKE-client-secret-EXAMPLE~0123456789";

export const ID = {
  gatewayApp: "a0000000-0000-4000-8000-000000000001",
  gatewayAppId: "a1000000-0000-4000-8000-000000000001",
  gatewaySp: "a2000000-0000-4000-8000-000000000001",
  crmApp: "a0000000-0000-4000-8000-000000000002",
  crmAppId: "a1000000-0000-4000-8000-000000000002",
  crmSp: "a2000000-0000-4000-8000-000000000002",
  partnerApp: "a0000000-0000-4000-8000-000000000003",
  partnerAppId: "a1000000-0000-4000-8000-000000000003",
  partnerSp: "a2000000-0000-4000-8000-000000000003",
  githubApp: "a0000000-0000-4000-8000-000000000004",
  githubAppId: "a1000000-0000-4000-8000-000000000004",
  githubSp: "a2000000-0000-4000-8000-000000000004",
  ordersApp: "a0000000-0000-4000-8000-000000000005",
  ordersAppId: "a1000000-0000-4000-8000-000000000005",
  ordersSp: "a2000000-0000-4000-8000-000000000005",
  terraformApp: "a0000000-0000-4000-8000-000000000006",
  terraformAppId: "a1000000-0000-4000-8000-000000000006",
  terraformSp: "a2000000-0000-4000-8000-000000000006",
  firstPartySp: "f0000000-0000-4000-8000-000000000001",
  paymentsIdentity: "b2000000-0000-4000-8000-000000000001",
  paymentsIdentityClient: "b1000000-0000-4000-8000-000000000001",
  vmIdentity: "b2000000-0000-4000-8000-000000000002",
  vmIdentityAppId: "b1000000-0000-4000-8000-000000000002",
  readersGroup: "c0000000-0000-4000-8000-000000000001",
  engineersGroup: "c0000000-0000-4000-8000-000000000002",
  alice: "d0000000-0000-4000-8000-000000000001",
  bob: "d0000000-0000-4000-8000-000000000002",
  tom: "d0000000-0000-4000-8000-000000000003",
  secretExpiring: "e0000000-0000-4000-8000-000000000001",
  certificateCredential: "e0000000-0000-4000-8000-000000000002",
  secretExpired: "e0000000-0000-4000-8000-000000000003",
  secretNoEnd: "e0000000-0000-4000-8000-000000000004",
  partnerCertificate: "e0000000-0000-4000-8000-000000000005",
  terraformSecret: "e0000000-0000-4000-8000-000000000006",
  spSecret: "e0000000-0000-4000-8000-000000000007",
};

export const ROLE = {
  secretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
  vaultAdministrator: "00482a5a-887f-4fb3-b363-3b7fe8e74483",
  vaultContributor: "f25e0fa2-a7c8-4377-a976-54943a77a395",
  contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
  reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
};
export const roleId = (guid: string) => `/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
export const GET_SECRET = "Microsoft.KeyVault/vaults/secrets/getSecret/action";

const item = (created: number, options: { exp?: number; enabled?: boolean } = {}) => ({
  enabled: options.enabled ?? true,
  created: at(created),
  updated: at(created),
  ...(options.exp !== undefined ? { exp: at(options.exp) } : {}),
});

const version = (n: number) => `${n.toString(16).padStart(8, "0")}aaaabbbbccccddddeeeeffff`;

const paymentsSecrets: FakeSecret[] = [
  { name: "stripe-api-key", version: version(1), attributes: item(-344, { exp: 21 }), contentType: "text/plain", tags: { environment: "production" } },
  { name: "psp-webhook-signing", version: version(2), attributes: item(-374, { exp: -9 }) },
  { name: "ledger-service-password", version: version(3), attributes: item(-930) },
  { name: "old-3ds-key", version: version(4), attributes: item(-1100, { enabled: false }) },
  { name: "api-payments-example-com", version: version(5), attributes: item(-353, { exp: 12 }), contentType: "application/x-pkcs12", managed: true },
];
const paymentsCertificates: FakeCertificate[] = [
  { name: "api-payments-example-com", version: version(6), attributes: item(-353, { exp: 12 }), policy: { issuer: "DigiCert", validityMonths: 12, lifetimeActions: [{ action: "EmailContacts", daysBeforeExpiry: 30 }] } },
  { name: "mtls-client-payments", version: version(7), attributes: item(-340, { exp: 25 }), policy: { issuer: "Self", validityMonths: 12, lifetimeActions: [{ action: "AutoRenew", lifetimePercentage: 80 }] } },
];
const paymentsKeys: FakeKey[] = [{ name: "payments-cmk", version: version(8), attributes: item(-800) }];

const legacySecrets: FakeSecret[] = [
  { name: "crm-sync-password", version: version(9), attributes: item(-1150) },
  { name: "smtp-relay-password", version: version(10), attributes: item(-360, { exp: 5 }) },
];
const legacyCertificates: FakeCertificate[] = [
  { name: "legacy-portal-example-com", version: version(11), attributes: item(-385, { exp: -20 }), policy: { issuer: "Self", validityMonths: 12, lifetimeActions: [{ action: "EmailContacts", daysBeforeExpiry: 30 }] } },
];

function roleDefinition(subscription: string, guid: string, roleName: string, permissions: { actions?: string[]; notActions?: string[]; dataActions?: string[]; notDataActions?: string[] }): ArmResource {
  return {
    id: `/subscriptions/${subscription}/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
    name: guid,
    type: "Microsoft.Authorization/roleDefinitions",
    properties: {
      roleName,
      type: "BuiltInRole",
      description: `${roleName} (built-in)`,
      assignableScopes: ["/"],
      permissions: [{ actions: permissions.actions ?? [], notActions: permissions.notActions ?? [], dataActions: permissions.dataActions ?? [], notDataActions: permissions.notDataActions ?? [] }],
    },
  };
}

function roleDefinitions(subscription: string): ArmResource[] {
  return [
    roleDefinition(subscription, ROLE.secretsUser, "Key Vault Secrets User", { dataActions: [GET_SECRET, "Microsoft.KeyVault/vaults/secrets/readMetadata/action"] }),
    roleDefinition(subscription, ROLE.vaultAdministrator, "Key Vault Administrator", { actions: ["Microsoft.Authorization/*/read", "Microsoft.KeyVault/vaults/*/read"], dataActions: ["Microsoft.KeyVault/vaults/*"] }),
    roleDefinition(subscription, ROLE.vaultContributor, "Key Vault Contributor", { actions: ["Microsoft.Authorization/*/read", "Microsoft.KeyVault/*"], notActions: ["Microsoft.KeyVault/locations/deletedVaults/purge/action"] }),
    roleDefinition(subscription, ROLE.contributor, "Contributor", { actions: ["*"], notActions: ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write", "Microsoft.Authorization/elevateAccess/Action"] }),
    roleDefinition(subscription, ROLE.reader, "Reader", { actions: ["*/read"] }),
  ];
}

export function assignmentId(scope: string, n: number): string {
  return `${scope}/providers/Microsoft.Authorization/roleAssignments/9a000000-0000-4000-8000-${n.toString().padStart(12, "0")}`;
}

export function assignment(scope: string, n: number, principalId: string, principalType: string, role: string, subscription: string, condition?: string): ArmResource {
  return {
    id: assignmentId(scope, n),
    name: `9a000000-0000-4000-8000-${n.toString().padStart(12, "0")}`,
    type: "Microsoft.Authorization/roleAssignments",
    properties: {
      scope,
      roleDefinitionId: `/subscriptions/${subscription}/providers/Microsoft.Authorization/roleDefinitions/${role}`,
      principalId,
      principalType,
      ...(condition ? { condition, conditionVersion: "2.0" } : {}),
    },
  };
}

/** Inherited from the landing-zones management group: listed for both subscriptions. */
const inheritedReader = (subscription: string) => assignment(LANDING_MG, 1, ID.terraformSp, "ServicePrincipal", ROLE.reader, subscription);

export const DENY_ID = `${KV_PAYMENTS}/providers/Microsoft.Authorization/denyAssignments/da000000-0000-4000-8000-000000000001`;

function vault(id: string, name: string, rbac: boolean, tags: Record<string, string>, accessPolicies: unknown[]): ArmResource {
  return {
    id,
    name,
    type: "Microsoft.KeyVault/vaults",
    location: "westeurope",
    tags,
    properties: {
      tenantId: TENANT,
      sku: { family: "A", name: "standard" },
      accessPolicies,
      enableRbacAuthorization: rbac,
      enableSoftDelete: true,
      softDeleteRetentionInDays: rbac ? 90 : 7,
      enablePurgeProtection: rbac,
      publicNetworkAccess: rbac ? "Disabled" : "Enabled",
      networkAcls: { defaultAction: rbac ? "Deny" : "Allow", bypass: "AzureServices" },
      provisioningState: "Succeeded",
    },
  };
}

const accessPolicy = (objectId: string, permissions: Record<string, string[]>) => ({ tenantId: TENANT, objectId, permissions });

const password = (keyId: string, displayName: string, start: number, end: number | undefined) => ({
  keyId,
  displayName,
  startDateTime: days(start),
  endDateTime: end === undefined ? null : days(end),
  // Graph returns these; the connector must never keep them.
  secretText: null,
  hint: "FAK",
  customKeyIdentifier: null,
});
const certificate = (keyId: string, displayName: string, start: number, end: number) => ({
  keyId,
  displayName,
  startDateTime: days(start),
  endDateTime: days(end),
  type: "AsymmetricX509Cert",
  usage: "Verify",
  key: null,
  customKeyIdentifier: "RkFLRS10aHVtYnByaW50",
});

function application(id: string, appId: string, displayName: string, createdDaysAgo: number, passwordCredentials: unknown[], keyCredentials: unknown[], federated: unknown[] = []): GraphObject {
  return { id, appId, displayName, description: null, createdDateTime: days(-createdDaysAgo), passwordCredentials, keyCredentials, federatedIdentityCredentials: federated };
}

function servicePrincipal(id: string, appId: string, displayName: string, extra: Record<string, unknown> = {}): GraphObject {
  return { id, appId, displayName, servicePrincipalType: "Application", accountEnabled: true, alternativeNames: [], appOwnerOrganizationId: TENANT, passwordCredentials: [], keyCredentials: [], ...extra };
}

export const PAYMENTS_IDENTITY_ARM = `${PAYMENTS_RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-payments-api`;
export const VM_ARM = `${LEGACY_RG}/providers/Microsoft.Compute/virtualMachines/vm-legacy`;
export const GITHUB_SUBJECT = "https://token.actions.githubusercontent.com|repo:acme/infra-azure:environment:production";

export function smallEstate(): FakeAzureEstate {
  return {
    clients: [{ clientId: READER_CLIENT_ID, secret: READER_SECRET, objectId: READER_OBJECT_ID }],
    vaults: [
      { name: "kv-payments", tenantId: TENANT, secrets: paymentsSecrets, certificates: paymentsCertificates, keys: paymentsKeys },
      { name: "kv-legacy", tenantId: TENANT, secrets: legacySecrets, certificates: legacyCertificates, keys: [] },
      { name: "kv-orphan", tenantId: TENANT, secrets: [{ name: "orphan-token", version: version(12), attributes: item(-10, { exp: 100 }) }], certificates: [], keys: [] },
    ],
    subscriptions: [
      {
        id: PROD,
        tenantId: TENANT,
        displayName: "acme-prod",
        roleDefinitions: roleDefinitions(PROD),
        roleAssignments: [
          inheritedReader(PROD),
          assignment(KV_PAYMENTS, 2, ID.gatewaySp, "ServicePrincipal", ROLE.secretsUser, PROD),
          assignment(KV_PAYMENTS, 3, ID.paymentsIdentity, "ServicePrincipal", ROLE.secretsUser, PROD),
          assignment(KV_PAYMENTS, 4, ID.readersGroup, "Group", ROLE.secretsUser, PROD),
          assignment(PAYMENTS_RG, 5, ID.engineersGroup, "Group", ROLE.vaultAdministrator, PROD),
          assignment(`/subscriptions/${PROD}`, 6, ID.terraformSp, "ServicePrincipal", ROLE.contributor, PROD),
        ],
        denyAssignments: [
          {
            id: DENY_ID,
            name: "da000000-0000-4000-8000-000000000001",
            type: "Microsoft.Authorization/denyAssignments",
            properties: {
              denyAssignmentName: "block orders-sync from payment secrets",
              description: "managed application lock",
              scope: KV_PAYMENTS,
              permissions: [{ actions: [], notActions: [], dataActions: ["Microsoft.KeyVault/vaults/secrets/getSecret/action"], notDataActions: [] }],
              principals: [{ id: ID.ordersSp, type: "ServicePrincipal" }],
              excludePrincipals: [],
              doNotApplyToChildScopes: false,
              isSystemProtected: true,
            },
          },
        ],
        vaults: [vault(KV_PAYMENTS, "kv-payments", true, { environment: "production" }, [])],
        identities: [
          {
            id: PAYMENTS_IDENTITY_ARM,
            name: "id-payments-api",
            type: "Microsoft.ManagedIdentity/userAssignedIdentities",
            location: "westeurope",
            tags: { team: "payments" },
            properties: { tenantId: TENANT, principalId: ID.paymentsIdentity, clientId: ID.paymentsIdentityClient },
          },
        ],
      },
      {
        id: NONPROD,
        tenantId: TENANT,
        displayName: "acme-nonprod",
        roleDefinitions: roleDefinitions(NONPROD),
        roleAssignments: [
          inheritedReader(NONPROD),
          assignment(LEGACY_RG, 7, ID.githubSp, "ServicePrincipal", ROLE.contributor, NONPROD),
          assignment(KV_LEGACY, 8, ID.tom, "User", ROLE.vaultContributor, NONPROD),
        ],
        denyAssignments: [],
        vaults: [
          vault(KV_LEGACY, "kv-legacy", false, { owner: "crm-team" }, [
            accessPolicy(ID.crmSp, { secrets: ["Get", "List"] }),
            accessPolicy(ID.partnerSp, { secrets: ["get", "list"], keys: ["get", "sign"] }),
            accessPolicy(ID.vmIdentity, { secrets: ["get"] }),
            accessPolicy(ID.tom, { secrets: ["all"], certificates: ["get", "list", "import"] }),
          ]),
        ],
        identities: [],
      },
    ],
    tenants: [
      {
        id: TENANT,
        displayName: "Acme FAKE",
        managementGroups: [
          { name: TENANT, displayName: "Tenant Root Group", children: [{ kind: "managementGroup", id: "mg-landingzones", displayName: "Landing Zones" }] },
          {
            name: "mg-landingzones",
            displayName: "Landing Zones",
            children: [
              { kind: "subscription", id: PROD, displayName: "acme-prod" },
              { kind: "subscription", id: NONPROD, displayName: "acme-nonprod" },
            ],
          },
        ],
        applications: [
          application(ID.gatewayApp, ID.gatewayAppId, "payments-gateway-prod", 700, [password(ID.secretExpiring, "prod-rotation", -171, 9)], [certificate(ID.certificateCredential, "CN=payments-gateway-prod", -320, 45)]),
          application(ID.crmApp, ID.crmAppId, "legacy-crm-connector", 1500, [password(ID.secretExpired, "crm-2", -395, -30), password(ID.secretNoEnd, "crm-forever", -1400, undefined)], []),
          application(ID.partnerApp, ID.partnerAppId, "partner-export", 300, [], [certificate(ID.partnerCertificate, "CN=partner-export", -380, -15)]),
          application(ID.githubApp, ID.githubAppId, "github-deploy-azure", 260, [], [], [
            { id: "fic00000-0000-4000-8000-000000000001", name: "github-production", issuer: "https://token.actions.githubusercontent.com", subject: "repo:acme/infra-azure:environment:production", audiences: ["api://AzureADTokenExchange"] },
          ]),
          application(ID.ordersApp, ID.ordersAppId, "orders-sync", 500, [], []),
          application(ID.terraformApp, ID.terraformAppId, "terraform-prod", 900, [password(ID.terraformSecret, "terraform-cloud", -200, 165)], []),
        ],
        servicePrincipals: [
          servicePrincipal(ID.gatewaySp, ID.gatewayAppId, "payments-gateway-prod"),
          servicePrincipal(ID.crmSp, ID.crmAppId, "legacy-crm-connector"),
          servicePrincipal(ID.partnerSp, ID.partnerAppId, "partner-export", { passwordCredentials: [password(ID.spSecret, "sp-level-secret", -10, 20)] }),
          servicePrincipal(ID.githubSp, ID.githubAppId, "github-deploy-azure"),
          servicePrincipal(ID.ordersSp, ID.ordersAppId, "orders-sync"),
          servicePrincipal(ID.terraformSp, ID.terraformAppId, "terraform-prod"),
          servicePrincipal(ID.firstPartySp, "00000003-0000-0000-c000-000000000000", "Microsoft Graph", { appOwnerOrganizationId: "f8cdef31-a31e-4b4a-93e4-5f571e91255a" }),
          servicePrincipal(ID.paymentsIdentity, ID.paymentsIdentityClient, "id-payments-api", { servicePrincipalType: "ManagedIdentity", appOwnerOrganizationId: null, alternativeNames: ["isExplicit=True", PAYMENTS_IDENTITY_ARM] }),
          servicePrincipal(ID.vmIdentity, ID.vmIdentityAppId, "vm-legacy", { servicePrincipalType: "ManagedIdentity", appOwnerOrganizationId: null, alternativeNames: ["isExplicit=False", VM_ARM] }),
        ],
        signIns: [
          { id: "s1", appId: ID.gatewayAppId, lastSignInActivity: { lastSignInDateTime: days(-0.04) } },
          { id: "s2", appId: ID.crmAppId, lastSignInActivity: { lastSignInDateTime: days(-240) } },
          { id: "s3", appId: ID.githubAppId, lastSignInActivity: { lastSignInDateTime: days(-2) } },
          { id: "s4", appId: ID.ordersAppId, lastSignInActivity: { lastSignInDateTime: days(-1) } },
          { id: "s5", appId: ID.terraformAppId, lastSignInActivity: { lastSignInDateTime: days(-0.3) } },
          { id: "s6", appId: ID.paymentsIdentityClient, lastSignInActivity: { lastSignInDateTime: days(-0.01) } },
          { id: "s7", appId: ID.vmIdentityAppId, lastSignInActivity: { lastSignInDateTime: days(-130) } },
        ],
        users: [
          { id: ID.alice, displayName: "Alice Nguyen", userPrincipalName: "alice.nguyen@acme.example.com" },
          { id: ID.bob, displayName: "Bob Martin", userPrincipalName: "bob.martin@acme.example.com" },
          { id: ID.tom, displayName: "Tom Weber", userPrincipalName: "tom.weber@acme.example.com" },
        ],
        groups: [
          { id: ID.readersGroup, displayName: "grp-kv-readers-prod", members: [ID.alice, ID.ordersSp] },
          { id: ID.engineersGroup, displayName: "grp-payments-engineers", members: [ID.bob] },
        ],
      },
    ],
  };
}
