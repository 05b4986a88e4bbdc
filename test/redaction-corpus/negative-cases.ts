/**
 * Identifier-only payloads: nothing here is a secret, and every string must come back verbatim.
 * They are deliberately full of secret-sounding words (token, secret, key, password) next to
 * random-looking identifiers, which is where over-eager redactors destroy useful answers.
 */
import { fake } from "./fake-secrets.js";
import { jsonCase, textCase, type RedactionCorpusCase } from "./types.js";

const account = "123456789012";
const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const subscription = "00000000-1111-2222-3333-444444444444";
const vault = "https://kv-example-prod.vault.azure.net";
const versions = ["4387e9f3d6e14c459867679a90fd0f79", "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "9a8b7c6d5e4f30211203f4e5d6c7b8a9"];
const project = "example-proj-123";
const saEmail = `deployer@${project}.iam.gserviceaccount.com`;
const keyIds = [fake.hex("neg-key-1", 40), fake.hex("neg-key-2", 40)];
const thumbprint = fake.hex("thumb", 40).toUpperCase();
const sha256Thumb = fake.hex("thumb-256", 64);
const colonThumb = fake.hex("thumb-colon", 40).toUpperCase().match(/../g)?.join(":") ?? "";
const commit = fake.hex("commit", 40);
const certificate = fake.certificateBase64("neg-cert");
const x5t = "fLoQ3P1eJvnTqaBTyKsd1EXAMPLE0";
const accessKeyIds = [fake.awsAccessKeyId("neg-1"), fake.awsAccessKeyId("neg-2"), fake.awsDocsAccessKeyId];
const kmsKey = `arn:aws:kms:eu-west-1:${account}:key/mrk-1234abcd12ab34cd56ef1234567890ab`;
const secretArn = `arn:aws:secretsmanager:eu-west-1:${account}:secret:prod/db-password-AbCdEf`;
const armVault = `/subscriptions/${subscription}/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/kv-example-prod`;
const spiffe = "spiffe://example.org/ns/payments/sa/token-broker";
const wifPrincipal = `principal://iam.googleapis.com/projects/987654321098/locations/global/workloadIdentityPools/github/subject/repo:example/app:ref:refs/heads/main`;
const amzId2 = "vlR7PnpV2Ce81l0PRw6jlUpck7Zo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo=";
const sshFingerprint = "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8";
const gcpUniqueId = "109876543210987654321";
const imageDigest = `sha256:${fake.hex("neg-image", 64)}`;

export const negativeCases: readonly RedactionCorpusCase[] = [
  jsonCase(
    "neg-gaad",
    "iam:GetAccountAuthorizationDetails fragment",
    {
      UserDetailList: [
        {
          Path: "/",
          UserName: "token-rotator",
          UserId: "AIDAEXAMPLEFAKE7654321",
          Arn: `arn:aws:iam::${account}:user/token-rotator`,
          CreateDate: "2021-06-01T00:00:00Z",
          PasswordLastUsed: "2025-02-20T08:00:00Z",
          AttachedManagedPolicies: [{ PolicyName: "SecretsManagerReadWrite", PolicyArn: "arn:aws:iam::aws:policy/SecretsManagerReadWrite" }],
          Tags: [{ Key: "secret-owner", Value: "team-payments" }, { Key: "password_rotation_date", Value: "2025-06-01" }],
        },
      ],
      RoleDetailList: [
        {
          Path: "/service-role/",
          RoleName: "AWSServiceRoleForSecretsRotation2",
          RoleId: "AROAEXAMPLEFAKE1234567",
          Arn: `arn:aws:iam::${account}:role/service-role/AWSServiceRoleForSecretsRotation2`,
          Description: "Rotates the secret and the access key for the token broker; see runbook KB-1234.",
          AssumeRolePolicyDocument: {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "secretsmanager.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": account } } }],
          },
          RoleLastUsed: { LastUsedDate: "2025-02-27T09:13:00Z", Region: "eu-west-1" },
          PermissionsBoundary: { PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: `arn:aws:iam::${account}:policy/boundary-secrets` },
        },
      ],
      Policies: [
        {
          PolicyName: "token-broker",
          PolicyId: "ANPAEXAMPLEFAKE0987654",
          Arn: `arn:aws:iam::${account}:policy/token-broker`,
          DefaultVersionId: "v3",
          PolicyVersionList: [
            {
              VersionId: "v3",
              IsDefaultVersion: true,
              Document: {
                Version: "2012-10-17",
                Statement: [
                  { Sid: "ReadSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: secretArn },
                  { Sid: "Keys", Effect: "Allow", Action: ["kms:Decrypt", "sts:GetSessionToken", "iam:CreateAccessKey"], Resource: [kmsKey, `arn:aws:iam::${account}:user/token-rotator`] },
                ],
              },
            },
          ],
        },
      ],
    },
    [],
    ["AIDAEXAMPLEFAKE7654321", "AROAEXAMPLEFAKE1234567", "ANPAEXAMPLEFAKE0987654", secretArn, kmsKey, `arn:aws:iam::${account}:role/service-role/AWSServiceRoleForSecretsRotation2`, "2025-02-20T08:00:00Z", "team-payments", "2025-06-01", "sts:GetSessionToken"],
  ),
  jsonCase(
    "neg-access-keys",
    "iam:ListAccessKeys + GetAccessKeyLastUsed",
    {
      AccessKeyMetadata: accessKeyIds.map((id, index) => ({ UserName: "ci", AccessKeyId: id, Status: index === 0 ? "Active" : "Inactive", CreateDate: "2024-01-0" + (index + 1) + "T00:00:00Z" })),
      AccessKeyLastUsed: { LastUsedDate: "2025-02-28T12:00:00Z", ServiceName: "secretsmanager", Region: "eu-west-1" },
      SecretAccessKeyPresent: true,
    },
    [],
    [...accessKeyIds, "2025-02-28T12:00:00Z"],
  ),
  textCase(
    "neg-credential-report",
    "iam:GetCredentialReport (CSV)",
    `user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_2_active,cert_1_active
<root_account>,arn:aws:iam::${account}:root,2019-01-01T00:00:00+00:00,not_supported,2025-01-10T10:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,false,false
token-rotator,arn:aws:iam::${account}:user/token-rotator,2021-06-01T00:00:00+00:00,true,no_information,2024-12-01T00:00:00+00:00,2025-03-01T00:00:00+00:00,false,true,2024-01-01T00:00:00+00:00,2025-02-28T12:00:00+00:00,false,false
`,
    [],
    [`arn:aws:iam::${account}:root`, `arn:aws:iam::${account}:user/token-rotator`, "2025-02-28T12:00:00+00:00", "not_supported", "no_information"],
  ),
  jsonCase(
    "neg-gcp-keys-list",
    "iam.serviceAccounts.keys.list",
    {
      keys: keyIds.map((id, index) => ({
        name: `projects/${project}/serviceAccounts/${saEmail}/keys/${id}`,
        validAfterTime: "2025-01-0" + (index + 1) + "T00:00:00Z",
        validBeforeTime: "9999-12-31T23:59:59Z",
        keyAlgorithm: "KEY_ALG_RSA_2048",
        keyOrigin: "GOOGLE_PROVIDED",
        keyType: index === 0 ? "USER_MANAGED" : "SYSTEM_MANAGED",
        disabled: index === 1,
      })),
      serviceAccount: { name: `projects/${project}/serviceAccounts/${saEmail}`, uniqueId: gcpUniqueId, email: saEmail, oauth2ClientId: gcpUniqueId, description: "Issues short-lived tokens for the secret sync job" },
    },
    [],
    [...keyIds, saEmail, gcpUniqueId, `projects/${project}/serviceAccounts/${saEmail}/keys/${keyIds[0] ?? ""}`],
  ),
  jsonCase(
    "neg-key-vault-properties",
    "Key Vault list secrets / certificates (properties only)",
    {
      secrets: versions.map((version, index) => ({
        id: `${vault}/secrets/db-password-${index}/${version}`,
        attributes: { enabled: true, created: 1735689600, updated: 1735689600 + index, recoveryLevel: "Recoverable+Purgeable", exp: 1767225600 },
        contentType: "text/plain",
        tags: { owner: "data-team", rotation: "90d" },
        managed: false,
      })),
      certificates: [{ id: `${vault}/certificates/tls-frontend/${versions[0] ?? ""}`, x5t, attributes: { enabled: true, nbf: 1735689600, exp: 1767225600 }, tags: {} }],
      certificateBundle: { cer: certificate, kid: `${vault}/keys/tls-frontend/${versions[0] ?? ""}`, sid: `${vault}/secrets/tls-frontend/${versions[0] ?? ""}`, x5t },
    },
    [],
    [...versions.map((version, index) => `${vault}/secrets/db-password-${index}/${version}`), x5t, certificate, `${vault}/keys/tls-frontend/${versions[0] ?? ""}`],
  ),
  jsonCase(
    "neg-entra-application",
    "Graph GET /applications/{id}",
    {
      id: "3a1f2e4d-5c6b-4a79-8e0d-1f2a3b4c5d6e",
      appId: "0f8fad5b-d9cb-469f-a165-70867728950e",
      displayName: "secret-sync-daemon",
      passwordCredentials: [
        { customKeyIdentifier: null, displayName: "ci token secret", endDateTime: "2026-03-01T00:00:00Z", hint: "Q8w", keyId: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", secretText: null, startDateTime: "2025-03-01T00:00:00Z" },
      ],
      keyCredentials: [
        { customKeyIdentifier: thumbprint, displayName: "CN=secret-sync", endDateTime: "2026-01-01T00:00:00Z", key: certificate, keyId: "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e", type: "AsymmetricX509Cert", usage: "Verify" },
      ],
      federatedIdentityCredentials: [{ name: "github-main", issuer: "https://token.actions.githubusercontent.com", subject: "repo:example/app:ref:refs/heads/main", audiences: ["api://AzureADTokenExchange"] }],
    },
    [],
    ["3a1f2e4d-5c6b-4a79-8e0d-1f2a3b4c5d6e", "0f8fad5b-d9cb-469f-a165-70867728950e", thumbprint, certificate, "Q8w", "https://token.actions.githubusercontent.com", "api://AzureADTokenExchange"],
  ),
  jsonCase(
    "neg-azure-role-assignments",
    "Microsoft.Authorization roleAssignments list",
    {
      value: [
        {
          id: `${armVault}/providers/Microsoft.Authorization/roleAssignments/6f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0`,
          name: "6f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0",
          properties: {
            roleDefinitionId: `/subscriptions/${subscription}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6`,
            principalId: "3a1f2e4d-5c6b-4a79-8e0d-1f2a3b4c5d6e",
            principalType: "ServicePrincipal",
            scope: armVault,
            description: "Key Vault Secrets User for the token broker",
            createdOn: "2025-01-01T00:00:00Z",
          },
        },
      ],
    },
    [],
    [armVault, "4633458b-17de-408a-b874-0445c86b69e6", "3a1f2e4d-5c6b-4a79-8e0d-1f2a3b4c5d6e"],
  ),
  jsonCase(
    "neg-gcp-iam-policy",
    "projects.getIamPolicy",
    {
      version: 3,
      etag: "BwYbGkXEXAMPLE=",
      bindings: [
        { role: "roles/secretmanager.secretAccessor", members: [`serviceAccount:${saEmail}`, "principalSet://iam.googleapis.com/projects/987654321098/locations/global/workloadIdentityPools/github/attribute.repository/example/app"] },
        { role: "roles/iam.serviceAccountTokenCreator", members: ["group:sre@example.com"], condition: { title: "expires", expression: "request.time < timestamp('2025-12-31T00:00:00Z')" } },
        { role: "roles/iam.serviceAccountKeyAdmin", members: ["deleted:serviceAccount:old-key-rotator@example-proj-123.iam.gserviceaccount.com?uid=123456789012345678901"] },
      ],
    },
    [],
    [`serviceAccount:${saEmail}`, "roles/iam.serviceAccountTokenCreator", "BwYbGkXEXAMPLE="],
  ),
  textCase(
    "neg-ci-log",
    "CI log without secrets",
    `2025-03-01T10:00:00.000Z Using token from secret GITHUB_TOKEN: ***
2025-03-01T10:00:01.000Z HEAD is now at ${commit} Rotate signing key (#412)
2025-03-01T10:00:02.000Z Pushed image ${imageDigest}
2025-03-01T10:00:03.000Z Signing with key id ${keyIds[0] ?? ""} (thumbprint ${sha256Thumb})
2025-03-01T10:00:04.000Z x-amz-request-id: 4442587FB7D0A2F9 x-amz-id-2: ${amzId2}
2025-03-01T10:00:05.000Z token exchange ok for ${wifPrincipal}
2025-03-01T10:00:06.000Z secret rotated: ${vault}/secrets/db-password-0/${versions[0] ?? ""}
`,
    [],
    [commit, imageDigest, keyIds[0] ?? "", sha256Thumb, "4442587FB7D0A2F9", amzId2, wifPrincipal, `${vault}/secrets/db-password-0/${versions[0] ?? ""}`],
  ),
  textCase(
    "neg-analyst-prose",
    "analyst notes",
    `The access key ${accessKeyIds[0] ?? ""} of arn:aws:iam::${account}:user/ci has not been used since 2024-11-02; its secret was rotated by ${secretArn}. ` +
      `SA key ${keyIds[1] ?? ""} of ${saEmail} (unique id ${gcpUniqueId}) expires 2025-12-31T23:59:59Z. Key Vault ${armVault} holds the token signing certificate with thumbprint ${colonThumb} (x5t ${x5t}). ` +
      `SPIFFE id ${spiffe}; ssh key fingerprint ${sshFingerprint}; KMS key ${kmsKey}; tenant ${tenant}.`,
    [],
    [accessKeyIds[0] ?? "", secretArn, keyIds[1] ?? "", saEmail, gcpUniqueId, armVault, colonThumb, x5t, spiffe, sshFingerprint, kmsKey, tenant],
  ),
  jsonCase(
    "neg-metadata-fields",
    "inventory record with secret-sounding metadata fields",
    {
      passwordLastUsed: "2025-02-20T08:00:00Z",
      PasswordEnabled: true,
      password_last_changed: "2024-12-01T00:00:00Z",
      SecretArn: secretArn,
      secretName: "prod/db-password",
      tokenExpiry: "2025-03-01T11:00:00Z",
      keyId: keyIds[0],
      AccessKeyId: accessKeyIds[0],
      privateKeyType: "TYPE_GOOGLE_CREDENTIALS_FILE",
      clientSecretExpiry: "2026-03-01T00:00:00Z",
      secretId: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
      private_key_id: keyIds[1],
      token_uri: "https://oauth2.googleapis.com/token",
      tokenType: "Bearer",
      secretVersion: versions[1],
      passwordPolicy: { MinimumPasswordLength: 14, MaxPasswordAge: 90, PasswordReusePrevention: 24, RequireSymbols: true },
      credentialSource: "Ec2InstanceMetadata",
      secretsManagerSecretArn: secretArn,
      authType: "OAuth2",
      keyVaultSecretUri: `${vault}/secrets/db-password-1/${versions[1] ?? ""}`,
    },
    [],
    [secretArn, "prod/db-password", keyIds[0] ?? "", accessKeyIds[0] ?? "", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", keyIds[1] ?? "", versions[1] ?? "", "TYPE_GOOGLE_CREDENTIALS_FILE"],
  ),
  jsonCase(
    "neg-public-material",
    "public certificates and public keys",
    {
      certificatePem: `-----BEGIN CERTIFICATE-----\n${certificate.match(/.{1,64}/g)?.join("\n") ?? ""}\n-----END CERTIFICATE-----\n`,
      sshPublicKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFAKEEXAMPLEpublicKeyMaterial0123456789ab deploy@example`,
      note: `token signing public key: ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQDFAKEEXAMPLE0123456789abcdefABCDEF ci@example`,
      spiffeId: spiffe,
    },
    [],
    [certificate.slice(0, 64), "AAAAC3NzaC1lZDI1NTE5AAAAIFAKEEXAMPLEpublicKeyMaterial0123456789ab", "AAAAB3NzaC1yc2EAAAADAQABAAABgQDFAKEEXAMPLE0123456789abcdefABCDEF", spiffe],
  ),
  jsonCase(
    "neg-arm-template",
    "ARM template with secure parameters (references only)",
    {
      parameters: { adminPassword: { type: "securestring", metadata: { description: "Password for the admin account" } }, keyVaultName: { type: "string" } },
      resources: [
        {
          type: "Microsoft.Compute/virtualMachines",
          apiVersion: "2023-03-01",
          name: "vm-example",
          properties: { osProfile: { adminUsername: "azureuser", adminPassword: "[parameters('adminPassword')]" } },
        },
        { type: "Microsoft.KeyVault/vaults/secrets", name: "[concat(parameters('keyVaultName'), '/db-password')]", properties: { value: "[parameters('adminPassword')]" } },
      ],
    },
    [],
    ["[parameters('adminPassword')]", "vm-example", "azureuser", "[concat(parameters('keyVaultName'), '/db-password')]"],
  ),
  textCase(
    "neg-github-workflow",
    ".github/workflows/release.yml",
    `name: release
on: { push: { tags: ["v*"] } }
permissions:
  id-token: write
  contents: read
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@${commit}
      - uses: actions/setup-node@v4
        with:
          registry-url: https://registry.npmjs.org
          token: \${{ github.token }}
      - run: npm publish --provenance
        env:
          NODE_AUTH_TOKEN: \${{ secrets.NPM_TOKEN }}
          AWS_ROLE_ARN: arn:aws:iam::${account}:role/release
          password: \${DEPLOY_PASSWORD}
`,
    [],
    ["${{ secrets.NPM_TOKEN }}", "${{ github.token }}", `arn:aws:iam::${account}:role/release`, commit, "${DEPLOY_PASSWORD}"],
  ),
  jsonCase(
    "neg-k8s-secret-references",
    "Deployment env using secretKeyRef",
    {
      env: [
        { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db-credentials", key: "password" } } },
        { name: "API_TOKEN_FILE", value: "/var/run/secrets/tokens/api-token" },
        { name: "AWS_WEB_IDENTITY_TOKEN_FILE", value: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token" },
      ],
      serviceAccountName: "token-broker",
      volumes: [{ name: "api-token", projected: { sources: [{ serviceAccountToken: { path: "api-token", expirationSeconds: 3600, audience: "vault" } }] } }],
    },
    [],
    ["db-credentials", "/var/run/secrets/tokens/api-token", "/var/run/secrets/eks.amazonaws.com/serviceaccount/token", "token-broker"],
  ),
  jsonCase(
    "neg-inventory-condition-keys-and-sources",
    "inventory snapshot: OIDC trust conditions and evidence source labels",
    {
      conditions: [
        { expression: "token.actions.githubusercontent.com:aud StringEquals sts.amazonaws.com", keys: ["token.actions.githubusercontent.com:aud"] },
        { expression: "token.actions.githubusercontent.com:sub StringLike repo:example/payments:ref:refs/heads/main", keys: ["token.actions.githubusercontent.com:sub"] },
      ],
      evidence: [
        { source: "authorization:roleDefinitions.list", observedAt: "2026-11-24T00:00:00Z" },
        { source: "authorization:roleAssignments.listForScope", observedAt: "2026-11-24T00:00:00Z" },
        { source: "authorization:denyAssignments.listForScope", observedAt: "2026-11-24T00:00:00Z" },
      ],
    },
    [],
    [
      "token.actions.githubusercontent.com:aud StringEquals sts.amazonaws.com",
      "token.actions.githubusercontent.com:aud",
      "token.actions.githubusercontent.com:sub",
      "repo:example/payments:ref:refs/heads/main",
      "authorization:roleDefinitions.list",
      "authorization:roleAssignments.listForScope",
      "authorization:denyAssignments.listForScope",
    ],
  ),
];
