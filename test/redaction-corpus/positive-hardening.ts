/**
 * Misses found by trying the redactor as an attacker would (issue #17): tokens glued to word
 * characters, payloads encoded before they are logged, secrets wrapped across lines, PuTTY keys,
 * wrapped PKCS#12 blobs, and vendor formats (Azure DevOps and AI services identifiable keys, Docker
 * Hub, PagerDuty routing keys).
 */
import { fake } from "./fake-secrets.js";
import { jsonCase, textCase, type RedactionCorpusCase } from "./types.js";

const gluedGithub = fake.githubToken("ghp", "glued");
const gluedSlack = fake.slackBotToken("glued");
const gluedGitlab = fake.gitlabToken("glued");

const userDataPassword = "FAKE-userdata-EXAMPLE-41";
const userDataKey = fake.awsSecretKey("userdata");
const userData = Buffer.from(
  `#!/bin/bash\nset -euo pipefail\nexport DB_PASSWORD='${userDataPassword}'\nexport AWS_SECRET_ACCESS_KEY=${userDataKey}\n/opt/app/start --port 8080\n`,
).toString("base64");
const cloudConfigToken = fake.githubToken("ghs", "cloud-config");
const cloudConfig = Buffer.from(`#cloud-config\nwrite_files:\n  - path: /etc/app/env\n    content: |\n      GITHUB_TOKEN=${cloudConfigToken}\n`).toString("base64");

const secretPayloadValue = "FAKE-sm-payload-EXAMPLE-Pa55";
const secretPayload = Buffer.from(`postgres://app:${secretPayloadValue}@db.example.internal:5432/app`).toString("base64");

const samlAssertion = Buffer.from(
  `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_FAKE0example" Version="2.0"><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:Subject><saml:NameID>ci@example.com</saml:NameID></saml:Subject><saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role"><saml:AttributeValue>arn:aws:iam::123456789012:role/ci,arn:aws:iam::123456789012:saml-provider/idp</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion><ds:SignatureValue>${fake.highEntropy("saml-sig", 172)}</ds:SignatureValue></samlp:Response>`,
).toString("base64");

const hexPassword = "FAKE-hex-EXAMPLE-pw-93";
const hexEncoded = Buffer.from(`db_password=${hexPassword};host=db.example.internal`).toString("hex");

const doubleEncodedPassword = "FAKE-dbl-EXAMPLE-88";
const doubleEncoded = encodeURIComponent(encodeURIComponent(`password=${doubleEncodedPassword}&user=svc`));

const wrappedSecretKey = fake.awsSecretKey("wrapped");
const wrappedJwt = fake.jwt("wrapped");

const puttyPrivate = [fake.highEntropy("putty-private-1", 64), fake.highEntropy("putty-private-2", 44)];
const puttyKey = [
  "PuTTY-User-Key-File-3: ssh-ed25519",
  "Encryption: none",
  "Comment: deploy@example",
  "Public-Lines: 2",
  "AAAAC3NzaC1lZDI1NTE5AAAAIFAKEEXAMPLE0publicpart0000000000000000",
  "00000000",
  "Private-Lines: 2",
  ...puttyPrivate,
  `Private-MAC: ${fake.hex("putty-mac", 64)}`,
].join("\n");

const pfx = fake.pkcs12Base64("wrapped-pfx");
const pfxWrapped = pfx.match(/.{1,76}/g)?.join("\r\n") ?? pfx;

const adoPat = `${fake.highEntropy("ado-a", 52)}JQQJ${fake.highEntropy("ado-b", 20)}AZDO${fake.highEntropy("ado-c", 4)}`;
const aiServicesKey = `${fake.highEntropy("acog-a", 52)}JQQJ${fake.highEntropy("acog-b", 20)}ACOG${fake.highEntropy("acog-c", 4)}`;
const dockerPat = `dckr_pat_FAKEEXAMPLE${fake.highEntropy("docker", 16)}`;
const pagerdutyKey = fake.hex("pagerduty-routing", 32);
const legacyAdoPat = "fakeexample2345qrstuvwxyzabcdefgh2345qrstuvwxyzabcde";

export const hardeningCases: readonly RedactionCorpusCase[] = [
  textCase(
    "password-first-in-property-list",
    "an ADO.NET connection string logged with its password first",
    "Password=FAKE-ado-EXAMPLE-7;Server=sql-example.database.windows.net;Database=appdb",
    ["FAKE-ado-EXAMPLE-7"],
    ["Server=sql-example.database.windows.net", "Database=appdb"],
  ),
  textCase(
    "password-then-pairs-with-semicolons",
    "a key=value log line whose pairs are separated by `; `",
    "password=FAKE-kv-EXAMPLE-8; host=db.example.internal; user=app",
    ["FAKE-kv-EXAMPLE-8"],
    ["; host=db.example.internal", "user=app"],
  ),
  textCase(
    "glued-vendor-tokens",
    "CI log with tokens glued to variable names",
    `Setting tool_${gluedGithub} for the release step\nslack: x_${gluedSlack}\nGITLAB_${gluedGitlab} exported`,
    [gluedGithub, gluedSlack, gluedGitlab],
    ["release step"],
  ),
  jsonCase(
    "ec2-user-data",
    "aws ec2 describe-instance-attribute --attribute userData",
    { InstanceId: "i-0abc123def4567890", UserData: { Value: userData } },
    [userData],
    ["i-0abc123def4567890"],
  ),
  jsonCase(
    "cloud-config-user-data",
    "gcloud compute instances describe (metadata user-data)",
    { metadata: { items: [{ key: "user-data", value: cloudConfig }, { key: "enable-oslogin", value: "TRUE" }] } },
    [cloudConfig],
    ["enable-oslogin", "TRUE"],
  ),
  jsonCase(
    "secret-manager-payload",
    "gcloud secrets versions access --format=json",
    { name: "projects/123456789012/secrets/db-url/versions/3", payload: { data: secretPayload, dataCrc32c: "2913645091" } },
    [secretPayload],
    ["projects/123456789012/secrets/db-url/versions/3", "2913645091"],
  ),
  textCase(
    "saml-response-in-log",
    "proxy access log with a SAML POST body",
    `POST /saml/acs HTTP/1.1 host=signin.example.com body=RelayState=%2Fconsole&SAMLResponse=${samlAssertion}`,
    [samlAssertion],
    ["signin.example.com", "/saml/acs"],
  ),
  textCase(
    "hex-encoded-config",
    "debug dump of a config blob in hex",
    `config blob (hex): ${hexEncoded} (size 52)`,
    [hexEncoded],
    ["size 52"],
  ),
  textCase(
    "double-url-encoded",
    "redirect URL logged after two rounds of encoding",
    `302 Location: https://app.example.com/callback?next=${doubleEncoded}&lang=en`,
    [doubleEncodedPassword],
    ["https://app.example.com/callback", "lang=en"],
  ),
  textCase(
    "wrapped-secret-key",
    "CI log wrapped at 40 columns",
    `export AWS_SECRET_ACCESS_KEY=${wrappedSecretKey.slice(0, 20)}\n${wrappedSecretKey.slice(20)}\necho done`,
    [wrappedSecretKey.slice(0, 20), wrappedSecretKey.slice(20)],
    ["echo done"],
  ),
  textCase(
    "wrapped-bearer-token",
    "HTTP trace wrapped at 100 columns",
    `Authorization: Bearer ${wrappedJwt.slice(0, 60)}\n${wrappedJwt.slice(60)}\nAccept: application/json`,
    [wrappedJwt.slice(0, 60), wrappedJwt.slice(60)],
    ["Accept: application/json"],
  ),
  textCase("putty-private-key", "deploy key checked into a repository (.ppk)", puttyKey, puttyPrivate, []),
  jsonCase(
    "pkcs12-template-parameter",
    "CloudFormation / ARM deployment parameters",
    { parameters: { appName: { value: "payments" }, certificateData: { value: pfxWrapped }, certificateThumbprint: { value: fake.hex("pfx-thumb", 40).toUpperCase() } } },
    pfxWrapped.split("\r\n").filter((line) => line.length >= 16),
    ["payments", fake.hex("pfx-thumb", 40).toUpperCase()],
  ),
  textCase(
    "identifiable-azure-keys",
    "pipeline variables dump",
    `AZDO_PERSONAL_ACCESS_TOKEN ${adoPat}\nopenai endpoint https://example.openai.azure.com/ key ${aiServicesKey}\nlegacy azure devops pat ${legacyAdoPat} (rotated)`,
    [adoPat, aiServicesKey, legacyAdoPat],
    ["https://example.openai.azure.com/"],
  ),
  textCase(
    "docker-hub-pat",
    "CI log of docker login",
    `echo ${dockerPat} | docker login --username ci-example --password-stdin\nLogin Succeeded`,
    [dockerPat],
    ["ci-example", "Login Succeeded"],
  ),
  // Reviewer-3 inputs (session of 2026-12-05): a value holding `;X=` is not cut there, a NUL in
  // the input is an ordinary character, a forged marker opens no secret-named field.
  textCase(
    "values-holding-semicolon-pairs",
    "line-start secrets whose random value holds `;X=`, a scheme-less Authorization token holding `;k=`",
    'DB_PASSWORD=Xk9#mQ2v;Lz=8Rt4!pW7\nexport PASSWORD=hunter2;Kq=77Zx!aaa\nAPI_TOKEN=ghp-like9Zq;rX=Ab12Cd34Ef56\nSIGNING_KEY=k9Qz;Tm=Wd83!xLp2\ncurl -H "Authorization: Zq9x;k=Wk3mPp8TtQQ" https://x',
    ["Xk9#mQ2v;Lz=8Rt4!pW7", "8Rt4!pW7", "hunter2;Kq=77Zx!aaa", "77Zx!aaa", "ghp-like9Zq;rX=Ab12Cd34Ef56", "Ab12Cd34Ef56", "k9Qz;Tm=Wd83!xLp2", "Wd83!xLp2", "Zq9x;k=Wk3mPp8TtQQ", "Wk3mPp8TtQQ"],
    ["DB_PASSWORD=", "export PASSWORD=", "API_TOKEN=", "SIGNING_KEY=", "curl -H", "https://x"],
  ),
  textCase(
    "nul-inside-secrets",
    "NULs of the input inside prose and colon secrets",
    "the password is Zq9x\u0000Wk3mPp8Tt\nthe password is Zq9xA1\u0000Wk3mPp8Tt\nerror: password:ab\u0000Zq9xWk3mPp8Tt",
    ["Wk3mPp8Tt", "Zq9xWk3mPp8Tt"],
    ["the password is", "error: password:"],
  ),
  textCase(
    "connection-string-under-secret-name",
    "a connection string under a secret-named variable keeps its server",
    "CONNECTION_STRING=Server=db;Database=app;Uid=sa;Pwd=FAKEpw-1",
    ["FAKEpw-1"],
    ["Server=db;Database=app;Uid=sa;Pwd="],
  ),
  jsonCase(
    "forged-marker-in-secret-fields",
    "a marker-looking text beside a secret in secret-named fields",
    [
      { password: "[REDACTED:password_field:0123abcd] Zq9xWk3mPp8Tt" },
      { env: { DB_PASSWORD: "[REDACTED:x:00000000] Zq9xWk3mPp8Tt" } },
      { token: "[REDACTED:aws_access_key_id:0123abcd] hunter2" },
      { password: "Zq9xWk3mPp8Tt [REDACTED:password_field:0123abcd]" },
      { password: "[REDACTED:password_field:0123abcd]\nZq9xWk3mPp8Tt" },
      { Key: "db_password", Value: "[REDACTED:x:00000000] Zq9xWk3mPp8Tt" },
    ],
    ["Zq9xWk3mPp8Tt", "hunter2"],
    ["db_password"],
  ),
  jsonCase(
    "pagerduty-routing-key",
    "Alertmanager receiver config as JSON",
    { receivers: [{ name: "oncall", pagerduty_configs: [{ routing_key: pagerdutyKey, severity: "critical" }] }] },
    [pagerdutyKey],
    ["oncall", "critical"],
  ),
];
