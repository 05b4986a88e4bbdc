/** Azure and Entra payloads with planted secrets: Key Vault, storage, Service Bus, SQL, app registrations. */
import { bodyLines, fake } from "./fake-secrets.js";
import { jsonCase, textCase, type RedactionCorpusCase } from "./types.js";

const subscription = "00000000-1111-2222-3333-444444444444";
const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const appId = "0f8fad5b-d9cb-469f-a165-70867728950e";
const vault = "https://kv-example-prod.vault.azure.net";
const version = "4387e9f3d6e14c459867679a90fd0f79";
const vaultSecretId = `${vault}/secrets/db-admin/${version}`;
const vaultValue = "FAKE-kv-Pa55-EXAMPLE";
const pfx = fake.pkcs12Base64("kv-cert");
const storageKey = fake.storageAccountKey("storage-1");
const storageKey2 = fake.storageAccountKey("storage-2");
const serviceBusKey = fake.serviceBusKey("servicebus");
const sqlPassword = "FAKE-sql-Pa55w0rd-EXAMPLE";
const odbcPassword = "FAKE;odbc;EXAMPLE";
const sasSig = fake.sasSignature("sas-1");
const sasSig2 = fake.sasSignature("sas-2");
const entraSecret = fake.entraClientSecret("sp-reset");
const entraSecret2 = fake.entraClientSecret("add-password");
const legacySecret = fake.entraLegacySecret("legacy");
const appSettingPassword = "FAKE-appsetting-EXAMPLE";
const cosmosKey = fake.storageAccountKey("cosmos");
const armId = `/subscriptions/${subscription}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stexamplefake`;

export const azureCases: readonly RedactionCorpusCase[] = [
  jsonCase(
    "azure-key-vault-secret-bundle",
    "Key Vault GetSecret (secret bundle)",
    {
      value: vaultValue,
      id: vaultSecretId,
      attributes: { enabled: true, created: 1735689600, updated: 1735689600, recoveryLevel: "Recoverable+Purgeable", recoverableDays: 90 },
      tags: { owner: "data-team" },
    },
    [vaultValue],
    [vaultSecretId, "data-team", "Recoverable+Purgeable"],
  ),
  jsonCase(
    "azure-key-vault-certificate-secret",
    "Key Vault GetSecret of a certificate-backed secret (PFX)",
    {
      value: pfx,
      contentType: "application/x-pkcs12",
      id: `${vault}/secrets/tls-frontend/${version}`,
      managed: true,
      attributes: { enabled: true, exp: 1767225600 },
      kid: `${vault}/keys/tls-frontend/${version}`,
    },
    [pfx],
    [`${vault}/secrets/tls-frontend/${version}`, `${vault}/keys/tls-frontend/${version}`, "application/x-pkcs12"],
  ),
  jsonCase(
    "azure-storage-list-keys",
    "Microsoft.Storage listKeys",
    { keys: [{ creationTime: "2025-01-01T00:00:00Z", keyName: "key1", permissions: "FULL", value: storageKey }, { creationTime: "2025-01-01T00:00:00Z", keyName: "key2", permissions: "FULL", value: storageKey2 }] },
    [storageKey, storageKey2],
    ["key1", "key2", "FULL"],
  ),
  jsonCase(
    "azure-connection-strings-in-app-settings",
    "Web Apps list application settings and connection strings",
    {
      id: `/subscriptions/${subscription}/resourceGroups/rg-web/providers/Microsoft.Web/sites/app-example/config/appsettings`,
      properties: {
        AzureWebJobsStorage: `DefaultEndpointsProtocol=https;AccountName=stexamplefake;AccountKey=${storageKey};EndpointSuffix=core.windows.net`,
        ServiceBus: `Endpoint=sb://sb-example.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${serviceBusKey}`,
        WEBSITE_RUN_FROM_PACKAGE: "1",
      },
      connectionStrings: [
        { name: "AppDb", type: "SQLAzure", connectionString: `Server=tcp:sql-example.database.windows.net,1433;Initial Catalog=appdb;User ID=appadmin;Password=${sqlPassword};Encrypt=True;` },
        { name: "Legacy", type: "Custom", connectionString: `Driver={ODBC Driver 18 for SQL Server};Server=legacy.example.internal;Uid=svc_legacy;Pwd={${odbcPassword}};` },
      ],
      appSettings: [
        { name: "API_PASSWORD", value: appSettingPassword, slotSetting: false },
        { name: "FEATURE_FLAGS", value: "beta,dark-mode", slotSetting: false },
      ],
    },
    [storageKey, serviceBusKey, sqlPassword, odbcPassword, appSettingPassword],
    ["RootManageSharedAccessKey", "sql-example.database.windows.net", "sb://sb-example.servicebus.windows.net/", "stexamplefake", "appadmin", "beta,dark-mode"],
  ),
  textCase(
    "azure-sas-urls",
    "az storage blob generate-sas --full-uri and a SAS token",
    `Download: https://stexamplefake.blob.core.windows.net/exports/2025/q1.csv?sp=r&st=2025-03-01T10:00:00Z&se=2025-03-02T10:00:00Z&spr=https&sv=2022-11-02&sr=b&sig=${sasSig}\nSAS token: sv=2022-11-02&ss=bfqt&srt=sco&sp=rwdlacupiytfx&se=2026-01-01T00:00:00Z&sig=${sasSig2}\n`,
    [sasSig, sasSig2],
    ["https://stexamplefake.blob.core.windows.net/exports/2025/q1.csv", "2025-03-02T10:00:00Z", "sp=rwdlacupiytfx"],
  ),
  jsonCase(
    "azure-ad-sp-credential-reset",
    "az ad sp credential reset output",
    { appId, password: entraSecret, tenant },
    [entraSecret],
    [appId, tenant],
  ),
  jsonCase(
    "entra-add-password",
    "Graph application addPassword response",
    {
      "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.passwordCredential",
      customKeyIdentifier: null,
      displayName: "ci-deploy",
      endDateTime: "2026-03-01T00:00:00Z",
      hint: entraSecret2.slice(0, 3),
      keyId: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
      secretText: entraSecret2,
      startDateTime: "2025-03-01T00:00:00Z",
    },
    [entraSecret2],
    ["a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", "ci-deploy", "2026-03-01T00:00:00Z"],
  ),
  textCase(
    "entra-secret-in-error",
    "MSAL error text",
    `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${appId}'. Sent: ${fake.entraClientSecret("error")}\nTrace ID: 9c0b7f2e-1a2b-4c3d-8e9f-0a1b2c3d4e5f`,
    [fake.entraClientSecret("error")],
    [appId, "9c0b7f2e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"],
  ),
  textCase(
    "entra-legacy-secret-env",
    ".env for a daemon app",
    `AZURE_TENANT_ID=${tenant}\nAZURE_CLIENT_ID=${appId}\nAZURE_CLIENT_SECRET=${legacySecret}\n`,
    [legacySecret],
    [tenant, appId],
  ),
  jsonCase(
    "azure-cosmos-keys",
    "Microsoft.DocumentDB listKeys",
    { primaryMasterKey: cosmosKey, secondaryMasterKey: fake.storageAccountKey("cosmos-2"), primaryReadonlyMasterKey: fake.storageAccountKey("cosmos-3") },
    [cosmosKey, fake.storageAccountKey("cosmos-2"), fake.storageAccountKey("cosmos-3")],
    [],
  ),
  textCase(
    "azure-storage-key-in-prose",
    "ticket text",
    `Storage account ${armId} was accessed with key ${fake.storageAccountKey("prose")} from 203.0.113.7; rotate key1.`,
    [fake.storageAccountKey("prose")],
    [armId, "203.0.113.7"],
  ),
  jsonCase(
    "azure-pfx-in-neutral-field",
    "certificate export job output",
    { job: "export-cert", certificateName: "tls-frontend", pfxBase64: fake.pkcs12Base64("export") },
    [fake.pkcs12Base64("export")],
    ["tls-frontend"],
  ),
  textCase(
    "azure-private-key-escaped-newlines",
    "ARM deployment error with parameter dump",
    `DeploymentFailed: parameter 'sshKey' = "${fake.pem("RSA PRIVATE KEY", fake.pkcs1Body("arm")).replace(/\n/g, "\\n")}" at ${armId}`,
    [bodyLines(fake.pkcs1Body("arm")).join("\n")],
    [armId],
  ),
];
