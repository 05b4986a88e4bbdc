import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRedactor } from "../redaction/index.js";
import { fake } from "./redaction-corpus/index.js";
import { TEST_KEY, leakedWindow, shapeOf, visibleText } from "./redaction-helpers.js";
import { propertyRuns } from "./support/property-runs.js";

const redactor = createRedactor({ key: TEST_KEY });

// --- identifiers -------------------------------------------------------------------------------------

const hexOf = (length: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`));
const word = fc.constantFrom("billing", "payments", "ingest", "secret", "token", "key", "rotation", "broker", "sync", "vault", "password", "access");
const name = fc.array(word, { minLength: 1, maxLength: 3 }).map((words) => words.join("-"));
const account = fc.stringMatching(/^[1-9][0-9]{11}$/);
const project = fc.tuple(word, fc.integer({ min: 1, max: 999 })).map(([w, n]) => `${w}-prod-${n}`);
const isoDate = fc.date({ min: new Date("2015-01-01T00:00:00Z"), max: new Date("2030-12-31T00:00:00Z"), noInvalidDate: true }).map((date) => date.toISOString());

const identifier = fc.oneof(
  fc.tuple(account, name).map(([acct, role]) => `arn:aws:iam::${acct}:role/${role}`),
  fc.tuple(account, name).map(([acct, secret]) => `arn:aws:secretsmanager:eu-west-1:${acct}:secret:${secret}-AbCdEf`),
  fc.uuid(),
  hexOf(40),
  hexOf(64),
  hexOf(32),
  fc.stringMatching(/^AKIA[A-Z2-7]{16}$/),
  fc.stringMatching(/^AROA[A-Z2-7]{17}$/),
  isoDate,
  fc.tuple(name, project).map(([sa, proj]) => `${sa}@${proj}.iam.gserviceaccount.com`),
  fc.tuple(name, project, hexOf(40)).map(([sa, proj, id]) => `projects/${proj}/serviceAccounts/${sa}@${proj}.iam.gserviceaccount.com/keys/${id}`),
  fc.tuple(fc.uuid(), name).map(([sub, vault]) => `/subscriptions/${sub}/resourceGroups/rg-${vault}/providers/Microsoft.KeyVault/vaults/kv-${vault}`),
  fc.tuple(name, hexOf(32)).map(([secret, version]) => `https://kv-example.vault.azure.net/secrets/${secret}/${version}`),
  hexOf(40).map((hex) => (hex.toUpperCase().match(/../g) ?? []).join(":")),
  name.map((ns) => `spiffe://example.org/ns/${ns}/sa/api`),
  fc.array(fc.oneof(word, fc.constantFrom("the", "was", "rotated", "for", "by", "on", "of")), { minLength: 1, maxLength: 12 }).map((words) => words.join(" ")),
);

/** Mentions identifiers in sentences full of secret-suggestive words. */
const prose = fc.tuple(identifier, identifier, word).map(([first, second, noun]) => `The ${noun} ${first} was rotated for ${second}; see the secret token runbook.`);

const neutralKey = fc.constantFrom(
  "id", "name", "arn", "description", "createdAt", "owner", "region", "items", "tags", "principalId", "scope", "path", "note",
  "keyId", "secretName", "passwordLastUsed", "tokenExpiry", "AccessKeyId", "SecretArn", "private_key_id", "secretId",
);

const identifierDocument = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    identifier,
    prose,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("node"), { maxLength: 4 }),
    fc.dictionary(neutralKey, tie("node"), { maxKeys: 5 }),
  ),
})).node;

// --- planted secrets ---------------------------------------------------------------------------------

const formatSecret = fc.tuple(
  fc.constantFrom<(seed: string) => string>(
    fake.awsSessionToken, fake.googleAccessToken, fake.googleRefreshToken, fake.googleApiKey, (seed) => fake.jwt(seed),
    (seed) => fake.githubToken("ghp", seed), fake.githubFineGrained, fake.gitlabToken, fake.slackBotToken,
    (seed) => fake.stripeKey("sk_live", seed), fake.npmToken, fake.sendgridKey, fake.openAiKey, fake.anthropicKey,
    fake.herokuKey, fake.entraClientSecret, fake.storageAccountKey, fake.pkcs12Base64,
  ),
  fc.integer(),
).map(([build, seed]) => build(`property-${seed}`));

/** Any value at all: only the field name or the context says it is secret. */
const plainSecret = fc.string({ unit: fc.constantFrom(..."abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_!%+"), minLength: 6, maxLength: 30 }).map((text) => `FAKE${text}`);

const secretKey = fc.constantFrom("password", "Password", "client_secret", "SecretAccessKey", "api_key", "token", "privateKeyData", "connection_string", "db_pwd", "authToken");
const secretName = fc.constantFrom("DB_PASSWORD", "api_token", "Stripe-Secret", "smtp_pass", "GITHUB_TOKEN", "client-secret");

interface Planted {
  fragment: unknown;
  secrets: string[];
}

const planted: fc.Arbitrary<Planted> = fc.oneof(
  fc.tuple(secretKey, plainSecret).map(([key, secret]) => ({ fragment: { [key]: secret }, secrets: [secret] })),
  fc.tuple(neutralKey, formatSecret).map(([key, secret]) => ({ fragment: { [key]: secret }, secrets: [secret] })),
  fc.tuple(neutralKey, formatSecret, prose).map(([key, secret, text]) => ({ fragment: { [key]: `${text} Leaked: ${secret} (ticket 42)` }, secrets: [secret] })),
  fc.tuple(neutralKey, secretName, plainSecret).map(([key, nameOfSecret, secret]) => ({ fragment: { [key]: `export ${nameOfSecret}=${secret}` }, secrets: [secret] })),
  fc.tuple(secretName, plainSecret).map(([nameOfSecret, secret]) => ({ fragment: [{ Key: nameOfSecret, Value: secret }, { Key: "env", Value: "prod" }], secrets: [secret] })),
  fc.tuple(secretName, plainSecret).map(([nameOfSecret, secret]) => ({ fragment: { name: nameOfSecret, value: secret }, secrets: [secret] })),
  fc.tuple(neutralKey, plainSecret).map(([key, secret]) => ({ fragment: { [key]: `postgres://app:${secret}@db.example.internal:5432/app` }, secrets: [secret] })),
  fc.tuple(neutralKey, plainSecret, fc.uuid()).map(([key, secret, id]) => ({ fragment: { [key]: JSON.stringify({ id, password: secret }) }, secrets: [secret] })),
  fc.integer().map((seed) => {
    const body = fake.pkcs8Body(`property-pem-${seed}`);
    return { fragment: ["-----BEGIN PRIVATE KEY-----", ...body.split("\n"), "-----END PRIVATE KEY-----"], secrets: [body] };
  }),
  fc.tuple(neutralKey, fc.integer()).map(([key, seed]) => {
    const body = fake.pkcs1Body(`property-escaped-${seed}`);
    return { fragment: { [key]: JSON.stringify(fake.pem("RSA PRIVATE KEY", body)).slice(1, -1) }, secrets: [body] };
  }),
);

/** Puts a fragment under a random path of objects and arrays. */
const nested = fc.tuple(planted, fc.array(fc.oneof(fc.constant<"array">("array"), neutralKey), { maxLength: 3 })).map(([plant, path]) => ({
  fragment: path.reduce<unknown>((inner, step) => (step === "array" ? ["x", inner] : { [step]: inner }), plant.fragment),
  secrets: plant.secrets,
}));

const documentWithSecrets = fc.tuple(identifierDocument, fc.array(nested, { minLength: 1, maxLength: 4 })).map(([base, plants]) => ({
  document: { base, planted: plants.map((plant) => plant.fragment) },
  secrets: plants.flatMap((plant) => plant.secrets),
}));

describe("redaction properties", () => {
  it("returns identifier-only documents unchanged (same object, no findings)", () => {
    fc.assert(
      fc.property(identifierDocument, (document) => {
        const result = redactor.redact(document);
        expect(result.findings).toEqual([]);
        expect(result.value).toBe(document);
      }),
      propertyRuns(300),
    );
  });

  it("scrubs planted secrets wherever they sit and keeps the shape and the identifiers around them", () => {
    fc.assert(
      fc.property(documentWithSecrets, ({ document, secrets }) => {
        const result = redactor.redact(document);
        const visible = visibleText(result.value);
        for (const secret of secrets) expect(leakedWindow(secret, visible)).toBeUndefined();
        expect(shapeOf(result.value)).toEqual(shapeOf(document));
        expect(result.value.base).toBe(document.base);
        expect(result.findings.length).toBeGreaterThanOrEqual(1);
      }),
      propertyRuns(300),
    );
  });

  it("is deterministic for one key and differs across keys", () => {
    const otherRedactor = createRedactor({ key: Buffer.alloc(32, 1) });
    fc.assert(
      fc.property(documentWithSecrets, ({ document }) => {
        const first = redactor.redact(document);
        expect(redactor.redact(document)).toEqual(first);
        const other = otherRedactor.redact(document);
        expect(other.findings.map((finding) => finding.kind)).toEqual(first.findings.map((finding) => finding.kind));
        expect(other.findings.map((finding) => finding.fingerprint)).not.toEqual(first.findings.map((finding) => finding.fingerprint));
      }),
      propertyRuns(100),
    );
  });
});
