/** Google Cloud payloads with planted secrets: service-account keys (raw, as JSON text, base64), OAuth tokens, API keys. */
import { bodyLines, fake } from "./fake-secrets.js";
import { jsonCase, textCase, type RedactionCorpusCase } from "./types.js";

const project = "example-proj-123";
const saEmail = `deployer@${project}.iam.gserviceaccount.com`;
const keyHex = fake.hex("sa-key-id", 40);
const keyName = `projects/${project}/serviceAccounts/${saEmail}/keys/${keyHex}`;

function serviceAccountKey(seed: string): { json: Record<string, string>; body: string } {
  const body = fake.pkcs8Body(seed);
  return {
    body,
    json: {
      type: "service_account",
      project_id: project,
      private_key_id: keyHex,
      private_key: fake.pem("PRIVATE KEY", body),
      client_email: saEmail,
      client_id: "109876543210987654321",
      auth_uri: "https://accounts.google.com/o/oauth2/auth",
      token_uri: "https://oauth2.googleapis.com/token",
      auth_provider_x509_cert_url: "https://www.googleapis.com/oauth2/v1/certs",
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/deployer%40${project}.iam.gserviceaccount.com`,
      universe_domain: "googleapis.com",
    },
  };
}

const raw = serviceAccountKey("sa-raw");
const asText = serviceAccountKey("sa-text");
const asBase64 = serviceAccountKey("sa-base64");
const asBase64Neutral = serviceAccountKey("sa-base64-neutral");
const privateKeyData = Buffer.from(JSON.stringify(asBase64.json, null, 2)).toString("base64");
const neutralBase64 = Buffer.from(JSON.stringify(asBase64Neutral.json, null, 2)).toString("base64");
const accessToken = fake.googleAccessToken("metadata");
const refreshToken = fake.googleRefreshToken("adc");
const apiKey = fake.googleApiKey("maps");
const apiKey2 = fake.googleApiKey("restrictions");
const oauthClientSecret = "GOCSPX-FAKE_EXAMPLE_0a1B2c3D4e5F6g";

const sharedIdentifiers = [saEmail, keyHex, "109876543210987654321", "https://oauth2.googleapis.com/token"];

export const gcpCases: readonly RedactionCorpusCase[] = [
  jsonCase("gcp-service-account-key-json", "service account key file", raw.json, [bodyLines(raw.body).join("\n")], sharedIdentifiers),
  jsonCase(
    "gcp-keys-create-response",
    "iam.serviceAccounts.keys.create response (privateKeyData is base64 of the key file)",
    {
      name: keyName,
      privateKeyType: "TYPE_GOOGLE_CREDENTIALS_FILE",
      privateKeyData,
      validAfterTime: "2025-03-01T00:00:00Z",
      validBeforeTime: "9999-12-31T23:59:59Z",
      keyAlgorithm: "KEY_ALG_RSA_2048",
      keyOrigin: "GOOGLE_PROVIDED",
      keyType: "USER_MANAGED",
    },
    [privateKeyData],
    [keyName, "TYPE_GOOGLE_CREDENTIALS_FILE", "KEY_ALG_RSA_2048", "9999-12-31T23:59:59Z"],
  ),
  jsonCase(
    "gcp-key-json-inside-string",
    "Cloud Build step with a key file pasted into a neutral field",
    { step: "deploy", fileName: "key.json", fileContent: JSON.stringify(asText.json, null, 2) },
    [bodyLines(asText.body).join("\n")],
    ["key.json", "deploy"],
  ),
  jsonCase(
    "gcp-key-base64-in-neutral-field",
    "Kubernetes manifest annotation carrying a base64 key file",
    { metadata: { name: "deployer-key", annotations: { "example.com/payload": neutralBase64 } } },
    [neutralBase64],
    ["deployer-key"],
  ),
  jsonCase(
    "gcp-metadata-token",
    "metadata server token response",
    { access_token: accessToken, expires_in: 3599, token_type: "Bearer" },
    [accessToken],
    ["Bearer"],
  ),
  jsonCase(
    "gcp-application-default-credentials",
    "~/.config/gcloud/application_default_credentials.json",
    { account: "", client_id: "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com", client_secret: oauthClientSecret, quota_project_id: project, refresh_token: refreshToken, type: "authorized_user" },
    [oauthClientSecret, refreshToken],
    ["764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com", project],
  ),
  textCase(
    "gcp-tokens-in-log",
    "application debug log",
    `2025-03-01T10:00:01Z DEBUG google.auth: refreshed credentials for ${saEmail}; Authorization: Bearer ${fake.googleAccessToken("log")}\n2025-03-01T10:00:02Z DEBUG calling https://maps.googleapis.com/maps/api/geocode/json?address=x&key=${apiKey}\n`,
    [fake.googleAccessToken("log"), apiKey],
    [saEmail, "https://maps.googleapis.com/maps/api/geocode/json"],
  ),
  jsonCase(
    "gcp-api-keys-get-key-string",
    "apikeys.keys.getKeyString",
    { keyString: apiKey2, name: `projects/${project}/locations/global/keys/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d` },
    [apiKey2],
    [`projects/${project}/locations/global/keys/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d`],
  ),
  jsonCase(
    "gcp-key-pem-split-lines",
    "key material stored as an array of lines",
    { keyId: keyHex, lines: ["-----BEGIN PRIVATE KEY-----", ...bodyLines(fake.pkcs8Body("split")), "-----END PRIVATE KEY-----"] },
    [bodyLines(fake.pkcs8Body("split")).join("\n")],
    [keyHex],
  ),
  textCase(
    "gcp-secret-manager-access",
    "gcloud secrets versions access output piped into a note",
    `projects/${project}/secrets/stripe-key/versions/3 -> payload: ${fake.stripeKey("sk_live", "gcp-sm")}`,
    [fake.stripeKey("sk_live", "gcp-sm")],
    [`projects/${project}/secrets/stripe-key/versions/3`],
  ),
];
