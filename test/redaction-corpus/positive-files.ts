/** Config files, CI logs and prose: kubeconfig, .env, docker config, Kubernetes Secrets, vendor tokens. */
import { bodyLines, fake } from "./fake-secrets.js";
import { jsonCase, textCase, type RedactionCorpusCase } from "./types.js";

const clusterCa = fake.certificateBase64("cluster-ca");
const clientKeyBody = fake.pkcs1Body("kubeconfig");
const clientKeyData = Buffer.from(fake.pem("RSA PRIVATE KEY", clientKeyBody)).toString("base64");
const kubeToken = fake.jwt("kubeconfig", { "kubernetes.io/serviceaccount/namespace": "ci" });
const kubePassword = "FAKE-kube-EXAMPLE-9";
const dockerAuth = Buffer.from("ci-bot:FAKE-registry-EXAMPLE-pass").toString("base64");
const dockerIdentityToken = fake.jwt("docker-identity");
const dockerConfigJson = Buffer.from(JSON.stringify({ auths: { "registry.example.com": { auth: Buffer.from("robot:FAKE-k8s-pull-EXAMPLE").toString("base64") } } })).toString("base64");
const k8sPassword = Buffer.from("FAKE-k8s-db-EXAMPLE").toString("base64");
const ghp = fake.githubToken("ghp", "ci-log");
const ghs = fake.githubToken("ghs", "ci-log");
const npmToken = fake.npmToken("npmrc");
const opensshBody = fake.openSshBody("deploy-key");
const jwtInLog = fake.jwt("ci-log");
const basicHeader = Buffer.from("admin:FAKE-basic-EXAMPLE").toString("base64");
const curlPassword = "FAKE-curl-EXAMPLE9";
const bearer = `FAKEbearer${fake.highEntropy("bearer", 30)}`;
const webhookSecret = fake.highEntropy("webhook-signing", 40);
const xmlPassword = "FAKE-xml-Pa55-EXAMPLE";
const yamlBlockSecret = "FAKE-block-EXAMPLE-line1";
const hostedSecrets = {
  gitlab: fake.gitlabToken("env"),
  slackBot: fake.slackBotToken("env"),
  slackUser: fake.slackUserToken("env"),
  slackApp: fake.slackAppToken("env"),
  slackHook: fake.slackWebhookPath("env"),
  stripeLive: fake.stripeKey("sk_live", "env"),
  stripeRestricted: fake.stripeKey("rk_live", "env"),
  stripeTest: fake.stripeKey("sk_test", "env"),
  sendgrid: fake.sendgridKey("env"),
  twilioSid: fake.twilioApiKeySid("env"),
  twilioToken: fake.hex("twilio-token", 32),
  openai: fake.openAiKey("env"),
  anthropic: fake.anthropicKey("env"),
  heroku: fake.herokuKey("env"),
  herokuUuid: fake.uuid("heroku-legacy"),
  datadogApi: fake.hex("datadog-api", 32),
  datadogApp: fake.hex("datadog-app", 40),
  githubFine: fake.githubFineGrained("env"),
  gho: fake.githubToken("gho", "env"),
  ghu: fake.githubToken("ghu", "env"),
  ghr: fake.githubToken("ghr", "env"),
};
const twilioAccountSid = `AC${fake.hex("twilio-account", 32)}`;

export const fileCases: readonly RedactionCorpusCase[] = [
  textCase(
    "kubeconfig",
    "~/.kube/config",
    `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: ${clusterCa}
    server: https://api.prod.example.internal:6443
  name: prod
users:
- name: ci
  user:
    client-certificate-data: ${clusterCa}
    client-key-data: ${clientKeyData}
- name: robot
  user:
    token: ${kubeToken}
- name: legacy
  user:
    username: admin
    password: ${kubePassword}
contexts:
- context: {cluster: prod, user: ci}
  name: prod-ci
`,
    [clientKeyData, kubeToken, kubePassword],
    [clusterCa, "https://api.prod.example.internal:6443", "prod-ci"],
  ),
  jsonCase(
    "kubernetes-secret-object",
    "kubectl get secret -o json",
    {
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/dockerconfigjson",
      metadata: { name: "regcred", namespace: "ci", uid: "5f1d1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b", resourceVersion: "182736" },
      data: { ".dockerconfigjson": dockerConfigJson, "db-password": k8sPassword },
    },
    [dockerConfigJson, k8sPassword],
    ["regcred", "5f1d1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b", "kubernetes.io/dockerconfigjson"],
  ),
  jsonCase(
    "docker-config-json",
    "~/.docker/config.json",
    { auths: { "registry.example.com": { auth: dockerAuth }, "example.azurecr.io": { identitytoken: dockerIdentityToken } }, credsStore: "desktop" },
    [dockerAuth, dockerIdentityToken],
    ["registry.example.com", "example.azurecr.io", "desktop"],
  ),
  textCase(
    "dotenv-vendors",
    ".env of a web service",
    `# service config
NODE_ENV=production
GITLAB_TOKEN=${hostedSecrets.gitlab}
SLACK_BOT_TOKEN=${hostedSecrets.slackBot}
SLACK_USER_TOKEN=${hostedSecrets.slackUser}
SLACK_APP_TOKEN=${hostedSecrets.slackApp}
SLACK_WEBHOOK=https://hooks.slack.com/services/${hostedSecrets.slackHook}
STRIPE_SECRET_KEY=${hostedSecrets.stripeLive}
STRIPE_RESTRICTED=${hostedSecrets.stripeRestricted}
STRIPE_TEST=${hostedSecrets.stripeTest}
SENDGRID_API_KEY=${hostedSecrets.sendgrid}
TWILIO_ACCOUNT_SID=${twilioAccountSid}
TWILIO_API_KEY=${hostedSecrets.twilioSid}
TWILIO_AUTH_TOKEN=${hostedSecrets.twilioToken}
OPENAI_API_KEY=${hostedSecrets.openai}
ANTHROPIC_API_KEY=${hostedSecrets.anthropic}
HEROKU_API_KEY=${hostedSecrets.heroku}
DD_API_KEY=${hostedSecrets.datadogApi}
DD_APP_KEY=${hostedSecrets.datadogApp}
DATABASE_URL=postgres://app_user:FAKE-pg-EXAMPLE@db.example.internal:5432/app
REDIS_URL=redis://:FAKE-redis-EXAMPLE@cache.example.internal:6379/0
`,
    [
      hostedSecrets.gitlab, hostedSecrets.slackBot, hostedSecrets.slackUser, hostedSecrets.slackApp, hostedSecrets.slackHook,
      hostedSecrets.stripeLive, hostedSecrets.stripeRestricted, hostedSecrets.stripeTest, hostedSecrets.sendgrid, hostedSecrets.twilioSid,
      hostedSecrets.twilioToken, hostedSecrets.openai, hostedSecrets.anthropic, hostedSecrets.heroku, hostedSecrets.datadogApi,
      hostedSecrets.datadogApp, "FAKE-pg-EXAMPLE", "FAKE-redis-EXAMPLE",
    ],
    [twilioAccountSid, "db.example.internal:5432/app", "cache.example.internal:6379", "app_user", "https://hooks.slack.com/services/"],
  ),
  textCase(
    "vendor-tokens-in-prose",
    "chat transcript",
    `Heads up: the old deploy token ${hostedSecrets.githubFine} still works, as do ${hostedSecrets.gho}, ${hostedSecrets.ghu} and ${hostedSecrets.ghr}. ` +
      `Heroku key for the staging app: HEROKU_API_KEY ${hostedSecrets.herokuUuid}. Datadog app key ${fake.hex("datadog-prose", 40)} belongs to the SRE team; ` +
      `twilio auth token ${fake.hex("twilio-prose", 32)} for account ${twilioAccountSid}.`,
    [hostedSecrets.githubFine, hostedSecrets.gho, hostedSecrets.ghu, hostedSecrets.ghr, hostedSecrets.herokuUuid, fake.hex("datadog-prose", 40), fake.hex("twilio-prose", 32)],
    [twilioAccountSid],
  ),
  textCase(
    "ci-log",
    "GitHub Actions job log",
    `2025-03-01T10:00:00.000Z ##[group]Run actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11
2025-03-01T10:00:01.000Z git -c http.extraheader="AUTHORIZATION: basic ${basicHeader}" fetch origin
2025-03-01T10:00:02.000Z echo "token=${ghp}" >> $GITHUB_ENV
2025-03-01T10:00:03.000Z curl -sS -u deployer:${curlPassword} https://artifacts.example.internal/api/upload
2025-03-01T10:00:04.000Z curl -H "Authorization: Bearer ${bearer}" https://api.example.internal/v1/deploy
2025-03-01T10:00:05.000Z npm config set //registry.npmjs.org/:_authToken=${npmToken}
2025-03-01T10:00:06.000Z installation token ${ghs} expires 2025-03-01T11:00:00Z
2025-03-01T10:00:07.000Z OIDC id_token: ${jwtInLog}
2025-03-01T10:00:08.000Z deploy --db-password ${"FAKE-flag-EXAMPLE1"} --region eu-west-1
`,
    [basicHeader, ghp, curlPassword, bearer, npmToken, ghs, jwtInLog, "FAKE-flag-EXAMPLE1"],
    ["b4ffde65f46336ab88eb53be808477a3936bae11", "https://artifacts.example.internal/api/upload", "deployer", "https://api.example.internal/v1/deploy", "2025-03-01T11:00:00Z", "eu-west-1"],
  ),
  textCase(
    "openssh-deploy-key",
    "ssh deploy key pasted in an issue",
    `Here is the deploy key for repo access:\n\n${fake.pem("OPENSSH PRIVATE KEY", opensshBody)}\nfingerprint SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8`,
    [bodyLines(opensshBody).join("\n")],
    ["SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"],
  ),
  textCase(
    "generic-assignments",
    "mixed config snippets",
    `db:\n  host: db.example.internal\n  password: "${"FAKE-yaml-Pa55-EXAMPLE"}"\n  passwordLastChanged: 2025-01-01\nsmtp_pass = FAKE-ini-EXAMPLE-7\n<appSettings><add key="Mode" value="prod"/><ApiSecret>${xmlPassword}</ApiSecret></appSettings>\nwebhook signing secret (hex-free): ${webhookSecret}\ncert_passphrase: |\n  ${yamlBlockSecret}\n`,
    ["FAKE-yaml-Pa55-EXAMPLE", "FAKE-ini-EXAMPLE-7", xmlPassword, webhookSecret, yamlBlockSecret],
    ["db.example.internal", "2025-01-01"],
  ),
  textCase(
    "prose-passwords",
    "incident notes",
    `During the call the admin said the password is Winter2025!FAKE and the api key is ${fake.highEntropy("prose-key", 28)}. We also found mongodb+srv://reporting:FAKE-mongo-EXAMPLE@cluster0.example.mongodb.net/reports in the wiki.`,
    ["Winter2025!FAKE", fake.highEntropy("prose-key", 28), "FAKE-mongo-EXAMPLE"],
    ["cluster0.example.mongodb.net/reports", "reporting"],
  ),
  jsonCase(
    "oidc-private-jwk",
    "JWKS file with a private signing key",
    { keys: [{ kty: "RSA", kid: "signing-2025-03", use: "sig", alg: "RS256", n: fake.highEntropy("jwk-n", 342), e: "AQAB", d: fake.highEntropy("jwk-d", 342), p: fake.highEntropy("jwk-p", 171), q: fake.highEntropy("jwk-q", 171) }] },
    [fake.highEntropy("jwk-d", 342), fake.highEntropy("jwk-p", 171), fake.highEntropy("jwk-q", 171)],
    ["signing-2025-03", fake.highEntropy("jwk-n", 342), "AQAB"],
  ),
  jsonCase(
    "http-request-dump",
    "HTTP client debug dump as JSON",
    {
      method: "POST",
      url: "https://api.example.com/v2/charges",
      headers: { authorization: `Basic ${basicHeader}`, "x-api-key": fake.highEntropy("x-api-key", 32), "content-type": "application/json", cookie: `session=${fake.highEntropy("cookie", 40)}` },
      body: JSON.stringify({ amount: 1200, card: { token: "tok_FAKE_EXAMPLE_visa_4242" } }),
    },
    [basicHeader, fake.highEntropy("x-api-key", 32), fake.highEntropy("cookie", 40), "tok_FAKE_EXAMPLE_visa_4242"],
    ["https://api.example.com/v2/charges", "application/json"],
  ),
];
