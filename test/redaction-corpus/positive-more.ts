/** More shapes secrets hide in: XML config, argv arrays, Terraform state, CloudTrail, ARM parameters, CLI logins. */
import { bodyLines, fake } from "./fake-secrets.js";
import { jsonCase, textCase, type RedactionCorpusCase } from "./types.js";

const account = "123456789012";
const tfKeyId = fake.awsAccessKeyId("terraform");
const tfSecret = fake.awsSecretKey("terraform");
const tfSmtp = fake.highEntropy("terraform-smtp", 44);
const tfDbPassword = "FAKE-tf-db-EXAMPLE-77";
const ecrToken = Buffer.from(JSON.stringify({ payload: fake.highEntropy("ecr-payload", 120), datakey: fake.highEntropy("ecr-datakey", 60), version: "2", type: "DATA_KEY", expiration: 1767225600 })).toString("base64");
const pkcs7Blob = Buffer.concat([Buffer.from([0x30, 0x82, 0x05, 0x10, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x06]), Buffer.from("EXAMPLE.FAKE.ENCRYPTED.BAG"), Buffer.alloc(300, 0x5a)]).toString("base64");
const saBody = fake.pkcs8Body("sa-in-log");
const saLogJson = JSON.stringify({ type: "service_account", project_id: "example-proj-123", private_key_id: fake.hex("sa-log", 40), private_key: fake.pem("PRIVATE KEY", saBody), client_email: "logger@example-proj-123.iam.gserviceaccount.com" });

export const moreCases: readonly RedactionCorpusCase[] = [
  textCase(
    "web-config-xml",
    "ASP.NET web.config",
    `<configuration>
  <appSettings>
    <add key="Environment" value="Production" />
    <add key="DbPassword" value="FAKE-webconfig-EXAMPLE" />
    <add key="StorageAccountKey" value="${fake.storageAccountKey("webconfig")}" />
  </appSettings>
  <connectionStrings>
    <add name="Main" connectionString="Server=tcp:sql-example.database.windows.net;Database=main;User ID=web;Password=FAKE-cs-EXAMPLE-1;" providerName="System.Data.SqlClient" />
  </connectionStrings>
</configuration>`,
    ["FAKE-webconfig-EXAMPLE", fake.storageAccountKey("webconfig"), "FAKE-cs-EXAMPLE-1"],
    ["sql-example.database.windows.net", "Production", "System.Data.SqlClient"],
  ),
  jsonCase(
    "container-args",
    "Kubernetes pod spec container args",
    { spec: { containers: [{ name: "api", image: "registry.example.com/api:1.4.2", args: ["serve", "--db-password", "FAKE-arg-EXAMPLE", "--port", "8080", `--api-token=${fake.highEntropy("arg-token", 32)}`] }] } },
    ["FAKE-arg-EXAMPLE", fake.highEntropy("arg-token", 32)],
    ["registry.example.com/api:1.4.2", "--db-password", "8080"],
  ),
  jsonCase(
    "terraform-state",
    "terraform.tfstate fragment",
    {
      version: 4,
      resources: [
        {
          mode: "managed",
          type: "aws_iam_access_key",
          name: "ci",
          instances: [{ attributes: { id: tfKeyId, secret: tfSecret, ses_smtp_password_v4: tfSmtp, status: "Active", user: "ci" }, sensitive_attributes: [[{ type: "get_attr", value: "secret" }]] }],
        },
        { mode: "managed", type: "aws_db_instance", name: "main", instances: [{ attributes: { arn: `arn:aws:rds:eu-west-1:${account}:db:main`, password: tfDbPassword, username: "dbadmin" } }] },
      ],
    },
    [tfSecret, tfSmtp, tfDbPassword],
    [tfKeyId, `arn:aws:rds:eu-west-1:${account}:db:main`, "dbadmin"],
  ),
  jsonCase(
    "cloudtrail-event",
    "CloudTrail event with an error message and a request body string",
    {
      eventVersion: "1.08",
      userIdentity: { type: "AssumedRole", principalId: "AROAEXAMPLEFAKE1234567:ci", arn: `arn:aws:sts::${account}:assumed-role/ci/ci`, accessKeyId: fake.awsTemporaryKeyId("cloudtrail") },
      eventTime: "2025-03-01T10:00:00Z",
      eventSource: "lambda.amazonaws.com",
      eventName: "UpdateFunctionConfiguration20150331v2",
      errorMessage: `Invalid environment: GITHUB_TOKEN=${fake.githubToken("ghp", "cloudtrail")} exceeds size`,
      requestParameters: { functionName: "billing-sync", body: JSON.stringify({ Environment: { Variables: { DB_PASSWORD: "FAKE-ct-EXAMPLE-9" } } }) },
      requestID: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    },
    [fake.githubToken("ghp", "cloudtrail"), "FAKE-ct-EXAMPLE-9"],
    ["AROAEXAMPLEFAKE1234567:ci", fake.awsTemporaryKeyId("cloudtrail"), "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "billing-sync"],
  ),
  jsonCase(
    "arm-parameters-file",
    "azuredeploy.parameters.json",
    { $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", contentVersion: "1.0.0.0", parameters: { adminUsername: { value: "azureuser" }, adminPassword: { value: "FAKE-arm-EXAMPLE-Pw1" }, sshKey: { value: fake.pem("RSA PRIVATE KEY", fake.pkcs1Body("arm-param")) } } },
    ["FAKE-arm-EXAMPLE-Pw1", bodyLines(fake.pkcs1Body("arm-param")).join("\n")],
    ["azureuser", "1.0.0.0"],
  ),
  textCase(
    "registry-logins",
    "CI shell trace",
    `+ aws ecr get-login-password --region eu-west-1\n+ docker login -u AWS -p ${ecrToken} ${account}.dkr.ecr.eu-west-1.amazonaws.com\n+ mysql -h db.example.internal -u root -pFAKE-mysql-EXAMPLE appdb < schema.sql\n`,
    [ecrToken, "FAKE-mysql-EXAMPLE"],
    [`${account}.dkr.ecr.eu-west-1.amazonaws.com`, "db.example.internal"],
  ),
  textCase(
    "pfx-blob-in-context",
    "support ticket",
    `Attached the password-protected PFX export (base64): ${pkcs7Blob}\nPlease import it on the gateway.`,
    [pkcs7Blob],
    [],
  ),
  textCase(
    "sa-key-in-log-line",
    "application log printing a loaded key file",
    `2025-03-01T10:00:00Z INFO loaded credentials ${saLogJson} from GOOGLE_APPLICATION_CREDENTIALS`,
    [bodyLines(saBody).join("\n")],
    ["logger@example-proj-123.iam.gserviceaccount.com", fake.hex("sa-log", 40)],
  ),
  jsonCase(
    "kv-secret-value-low-entropy",
    "az keyvault secret show",
    { attributes: { created: "2025-01-01T00:00:00+00:00", enabled: true, recoveryLevel: "Recoverable" }, contentType: null, id: "https://kv-example.vault.azure.net/secrets/smtp/0f1e2d3c4b5a69788796a5b4c3d2e1f0", kid: null, managed: null, name: "smtp", tags: {}, value: "summer" },
    ["summer"],
    ["https://kv-example.vault.azure.net/secrets/smtp/0f1e2d3c4b5a69788796a5b4c3d2e1f0"],
  ),
];
