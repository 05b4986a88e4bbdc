import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { REDACTION_RULESET_VERSION, RedactionError, createRedactor, isRedactionMarker } from "../redaction/index.js";
import { fake } from "./redaction-corpus/index.js";
import { OTHER_KEY, TEST_KEY, leakedWindow, visibleText } from "./redaction-helpers.js";

const redactor = createRedactor({ key: TEST_KEY });

function fp(secret: string, key: Uint8Array = TEST_KEY): string {
  return createHmac("sha256", key).update(secret, "utf8").digest("hex").slice(0, 8);
}

function marker(kind: string, secret: string): string {
  return `[REDACTED:${kind}:${fp(secret)}]`;
}

describe("markers and fingerprints", () => {
  it("replaces a secret with [REDACTED:<kind>:<first 8 hex of HMAC-SHA256(key, secret)>]", () => {
    const secret = "FAKE-db-Pa55-EXAMPLE";
    const result = redactor.redact({ password: secret });
    expect(result.value).toEqual({ password: marker("password_field", secret) });
    expect(result.findings).toEqual([{ kind: "password_field", path: "$.password", fingerprint: fp(secret) }]);
    expect(isRedactionMarker(marker("password_field", secret))).toBe(true);
  });

  it("gives the same marker for the same secret across calls and instances, and a different one under another key", () => {
    const input = { token: fake.githubToken("ghp", "stable") };
    const first = redactor.redact(input).value;
    const second = createRedactor({ key: Buffer.from(TEST_KEY) }).redact(input).value;
    const otherKey = createRedactor({ key: OTHER_KEY }).redact(input).value;
    expect(second).toEqual(first);
    expect(otherKey.token).not.toBe(first.token);
    expect(otherKey.token).toBe(`[REDACTED:github_token:${fp(input.token, OTHER_KEY)}]`);
  });

  it("reports the JSON path of every finding", () => {
    const result = redactor.redact({ items: [{ tags: { db_password: "FAKE-one-EXAMPLE" } }, { "odd key": { apiKey: "FAKE-two-EXAMPLE" } }] });
    expect(result.findings.map((finding) => finding.path)).toEqual(["$.items[0].tags.db_password", '$.items[1]["odd key"].apiKey']);
  });

  it("exposes the ruleset version", () => {
    expect(redactor.rulesetVersion).toBe(REDACTION_RULESET_VERSION);
    expect(REDACTION_RULESET_VERSION).toMatch(/^\d{4}\.\d+\.\d+$/);
  });
});

describe("keeps the non-secret parts only", () => {
  it("keeps scheme, user and host of a URL with a password", () => {
    const text = "postgres://app_user:FAKE-pg-EXAMPLE@db.example.internal:5432/app";
    expect(redactor.redactText(text).value).toBe(`postgres://app_user:${marker("url_password", "FAKE-pg-EXAMPLE")}@db.example.internal:5432/app`);
  });

  it("keeps the scheme word of Basic and Bearer headers", () => {
    expect(redactor.redactText("Authorization: Bearer FAKEtoken0123456789EXAMPLE").value).toBe(
      `Authorization: Bearer ${marker("bearer_token", "FAKEtoken0123456789EXAMPLE")}`,
    );
    expect(redactor.redact({ Authorization: "Basic YWRtaW46RkFLRS1FWEFNUExF" }).value).toEqual({
      Authorization: `Basic ${marker("basic_auth", "YWRtaW46RkFLRS1FWEFNUExF")}`,
    });
  });

  it("keeps a SAS URL except its signature", () => {
    const url = "https://stexample.blob.core.windows.net/c/b.txt?sv=2022-11-02&sp=r&se=2026-01-01T00:00:00Z&sig=FAKEsigEXAMPLE0123456789abcdef%3D";
    expect(redactor.redactText(url).value).toBe(
      `https://stexample.blob.core.windows.net/c/b.txt?sv=2022-11-02&sp=r&se=2026-01-01T00:00:00Z&sig=${marker("sas_signature", "FAKEsigEXAMPLE0123456789abcdef%3D")}`,
    );
  });

  it("keeps the server of a connection string held in a secret-named field", () => {
    const value = "Server=tcp:sql.example.net,1433;User ID=app;Password=FAKE-sql-EXAMPLE;Encrypt=True;";
    expect(redactor.redact({ connectionString: value }).value).toEqual({
      connectionString: `Server=tcp:sql.example.net,1433;User ID=app;Password=${marker("connection_string_password", "FAKE-sql-EXAMPLE")};Encrypt=True;`,
    });
  });

  it("finds a connection-string password where the list starts inside a value: after a quote, or behind a name the first pass redacts", () => {
    expect(redactor.redactText('token="Password=FAKE-pass-9;Server=db.example.internal"').value).toBe(
      `token="Password=${marker("connection_string_password", "FAKE-pass-9")};Server=db.example.internal"`,
    );
    expect(redactor.redactText("a=password=password=FAKE-pass-9").value).toBe(`a=password=password=${marker("connection_string_password", "FAKE-pass-9")}`);
    // The token's tail reads as a name ending in "pw" (`db_pw=`): its value is a property list.
    const token = "xoxb-123456789012-1234567890123-FAKEEXAMPLEtqQrWz7q5CSPw";
    expect(redactor.redactText(`${token}=password=FAKE-pass-9`).value).toBe(
      `${marker("slack_token", token)}=password=${marker("connection_string_password", "FAKE-pass-9")}`,
    );
    // A quote that does not close the value is part of it.
    expect(redactor.redactText('password: Server=db;Password="FAKE-pass-9').value).toBe(
      `password: Server=db;Password=${marker("connection_string_password", '"FAKE-pass-9')}`,
    );
  });

  it("reads each Authorization header of a line on its own, up to the next one", () => {
    expect(redactor.redactText("sent Authorization: FAKEtoken123EXAMPLE Authorization: Bearer FAKEbearer456EXAMPLE").value).toBe(
      `sent Authorization: ${marker("authorization_header", "FAKEtoken123EXAMPLE")} Authorization: Bearer ${marker("bearer_token", "FAKEbearer456EXAMPLE")}`,
    );
    const skipped = `sent ${"Authorization: error ".repeat(2000)}`;
    expect(redactor.redactText(skipped).value).toBe(skipped);
  });

  it("never keeps a prefix or suffix of the secret in the marker", () => {
    const secret = fake.stripeKey("sk_live", "no-prefix");
    const output = redactor.redactText(`key ${secret} end`).value;
    expect(output).toBe(`key ${marker("stripe_secret_key", secret)} end`);
    expect(output.includes("sk_live")).toBe(false);
  });
});

describe("field names decide first", () => {
  it("redacts secret-named fields whatever their format, case or separator", () => {
    const names = [
      "SecretAccessKey", "secret_access_key", "SessionToken", "password", "passwd", "pwd", "clientSecret", "client_secret",
      "secretText", "private_key", "privateKey", "privateKeyData", "AccountKey", "accountKey", "connectionString", "sas token",
      "apiKey", "api_key", "token", "access_token", "refresh_token", "id_token", "authorization", "credentials", "smtp_pass",
    ];
    const input = Object.fromEntries(names.map((name) => [name, "lowentropy"]));
    const result = redactor.redact(input);
    for (const name of names) expect(result.value[name], name).toMatch(/^\[REDACTED:[a-z_]+_field:[0-9a-f]{8}\]$/);
    expect(result.findings).toHaveLength(names.length);
  });

  it("leaves metadata fields named after secrets alone", () => {
    const input = {
      passwordLastUsed: "2025-01-02T03:04:05Z", PasswordEnabled: true, password_last_changed: "N/A", SecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
      secretName: "prod/db-password", tokenExpiry: "2025-03-01T00:00:00Z", keyId: "0123456789abcdef0123456789abcdef01234567", AccessKeyId: "AKIAIOSFODNN7EXAMPLE",
      privateKeyType: "TYPE_GOOGLE_CREDENTIALS_FILE", clientSecretExpiry: "2026-01-01", secretId: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", token_type: "Bearer",
      MaxPasswordAge: 90, tokenUri: "https://oauth2.googleapis.com/token",
    };
    expect(redactor.redact(input)).toEqual({ value: input, findings: [] });
  });

  it("keeps dates, flags, placeholders and references in secret-named fields, and nothing else", () => {
    const kept = ["", "2025-01-01T00:00:00Z", "true", "N/A", "****", "<redacted>", "${DB_PASSWORD}", "{{resolve:secretsmanager:db:SecretString:password}}",
      "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/db/)", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"];
    for (const value of kept) expect(redactor.redact({ password: value }).value, value).toEqual({ password: value });
    for (const value of ["hunter2", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", "0123456789abcdef", "correct horse battery staple"]) {
      expect(redactor.redact({ password: value }).value.password, value).toBe(marker("password_field", value));
    }
  });

  it("redacts numbers only under strict names (a numeric PIN), never booleans", () => {
    expect(redactor.redact({ pin: 1234, password: 987654, passwordEnabled: true, tokenCount: 3 }).value).toEqual({
      pin: marker("password_field", "1234"), password: marker("password_field", "987654"), passwordEnabled: true, tokenCount: 3,
    });
  });

  it("uses the key/value pair, the Key Vault bundle, SSM SecureString, Kubernetes Secret and JWK shapes", () => {
    const result = redactor.redact({
      tags: [{ Key: "db_password", Value: "FAKE-tag-EXAMPLE" }, { Key: "env", Value: "prod" }],
      env: [{ name: "API_TOKEN", value: "FAKE-env-EXAMPLE" }, { name: "API_TOKEN_EXPIRY", value: "2026-01-01" }],
      bundle: { value: "plain words", id: "https://kv.vault.azure.net/secrets/db/4387e9f3d6e14c459867679a90fd0f79", attributes: { enabled: true } },
      parameter: { Name: "/app/config", Type: "SecureString", Value: "FAKE-ssm-EXAMPLE" },
      secret: { kind: "Secret", metadata: { name: "creds" }, data: { anything: "RkFLRS1FWEFNUExF" } },
      jwk: { kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", d: "jpsQnnGQmL-YBIffH1136cLmrn8T9qmBfpWOzCaD5A4" },
    });
    expect(result.value).toEqual({
      tags: [{ Key: "db_password", Value: marker("password_field", "FAKE-tag-EXAMPLE") }, { Key: "env", Value: "prod" }],
      env: [{ name: "API_TOKEN", value: marker("token_field", "FAKE-env-EXAMPLE") }, { name: "API_TOKEN_EXPIRY", value: "2026-01-01" }],
      bundle: { value: marker("key_vault_secret_value", "plain words"), id: "https://kv.vault.azure.net/secrets/db/4387e9f3d6e14c459867679a90fd0f79", attributes: { enabled: true } },
      parameter: { Name: "/app/config", Type: "SecureString", Value: marker("ssm_secure_string", "FAKE-ssm-EXAMPLE") },
      secret: { kind: "Secret", metadata: { name: "creds" }, data: { anything: marker("kubernetes_secret_data", "RkFLRS1FWEFNUExF") } },
      jwk: { kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", d: marker("jwk_private_key", "jpsQnnGQmL-YBIffH1136cLmrn8T9qmBfpWOzCaD5A4") },
    });
  });
});

describe("reassembly of split and encoded secrets", () => {
  const body = fake.pkcs8Body("reassembly");
  const pem = fake.pem("PRIVATE KEY", body);

  it("gives one fingerprint to a PEM key whether whole, escaped, or split across array items", () => {
    const lines = pem.trimEnd().split("\n");
    const whole = redactor.redactText(pem).findings;
    const escaped = redactor.redactText(JSON.stringify(pem)).findings;
    const split = redactor.redact({ lines });
    expect(whole).toHaveLength(1);
    expect(escaped.map((finding) => finding.fingerprint)).toEqual([whole[0]?.fingerprint]);
    expect(split.value.lines).toHaveLength(lines.length);
    expect(new Set(split.value.lines)).toEqual(new Set([`[REDACTED:pem_private_key:${whole[0]?.fingerprint ?? ""}]`]));
  });

  it("redacts JSON inside a string as structure and keeps the rest of that JSON", () => {
    const inner = JSON.stringify({ user: "app", password: "FAKE-inner-EXAMPLE", host: "db.example.internal" });
    expect(redactor.redact({ body: inner }).value).toEqual({
      body: JSON.stringify({ user: "app", password: marker("password_field", "FAKE-inner-EXAMPLE"), host: "db.example.internal" }),
    });
  });

  it("redacts base64 that wraps a service-account key or a PEM key", () => {
    const sa = Buffer.from(JSON.stringify({ type: "service_account", private_key_id: "ab", private_key: pem })).toString("base64");
    const wrappedPem = Buffer.from(pem).toString("base64");
    expect(redactor.redact({ note: sa, other: wrappedPem }).value).toEqual({
      note: marker("gcp_service_account_key", sa),
      other: marker("base64_pem_private_key", wrappedPem),
    });
  });

  it("redacts secrets inside object keys too", () => {
    const token = fake.githubToken("ghp", "as-key");
    expect(redactor.redact({ [token]: "owner" }).value).toEqual({ [marker("github_token", token)]: "owner" });
  });
});

describe("structure and safety", () => {
  it("returns the same structure, never mutates the input, and returns unchanged subtrees as they are", () => {
    const unchanged = { arn: "arn:aws:iam::123456789012:role/app", tags: ["a", "b"] };
    const input = { unchanged, changed: { password: "FAKE-pw-EXAMPLE", list: [1, "two", null, true] } };
    const snapshot = structuredClone(input);
    const output = redactor.redact(input).value;
    expect(input).toEqual(snapshot);
    expect(output.unchanged).toBe(unchanged);
    expect(Object.keys(output.changed)).toEqual(["password", "list"]);
    expect(output.changed.list).toEqual([1, "two", null, true]);
  });

  it("treats a parsed __proto__ key as an ordinary field", () => {
    const input = JSON.parse('{"__proto__":{"password":"FAKE-proto-EXAMPLE"},"id":"x"}') as Record<string, unknown>;
    const output = redactor.redact(input).value;
    expect(Object.getPrototypeOf(output)).toBe(Object.prototype);
    expect(JSON.stringify(output)).toBe(`{"__proto__":{"password":"${marker("password_field", "FAKE-proto-EXAMPLE")}"},"id":"x"}`);
  });

  it("keeps Date objects and refuses binary buffers rather than guessing", () => {
    const when = new Date("2025-01-01T00:00:00Z");
    expect(redactor.redact({ CreateDate: when }).value.CreateDate).toBe(when);
    expect(() => redactor.redact({ SecretBinary: new Uint8Array([1, 2, 3]) })).toThrow(RedactionError);
  });

  it("is idempotent: redacting redacted output finds nothing new", () => {
    const once = redactor.redactText(`token=${fake.githubToken("ghp", "idem")} postgres://u:FAKE-x-EXAMPLE@h/db password: hunter2x`);
    const twice = redactor.redactText(once.value);
    expect(twice).toEqual({ value: once.value, findings: [] });
  });

  it("fails closed with a RedactionError that does not echo the input", () => {
    const secret = "FAKE-secret-EXAMPLE";
    const cyclic: Record<string, unknown> = { password: secret };
    cyclic["self"] = cyclic;
    for (const bad of [cyclic, { password: secret, n: 10n }, { password: secret, when: new Map() }, { f: () => secret }]) {
      let caught: unknown;
      try {
        redactor.redact(bad);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(RedactionError);
      expect(String((caught as Error).message).includes(secret)).toBe(false);
    }
  });

  it("throws instead of returning partial output when the time budget is exceeded", () => {
    const slow = createRedactor({ key: TEST_KEY, timeoutMs: 1 });
    const big = Array.from({ length: 200_000 }, (_, index) => ({ description: `rotated token ${index} for the secret store`, index }));
    expect(() => slow.redact(big)).toThrow(RedactionError);
  });

  it("rejects a short key, a bad timeout and an invalid extra pattern", () => {
    expect(() => createRedactor({ key: Buffer.alloc(8) })).toThrow(RedactionError);
    expect(() => createRedactor({ key: TEST_KEY, timeoutMs: 0 })).toThrow(RedactionError);
    expect(() => createRedactor({ key: TEST_KEY, extraPatterns: [{ kind: "bad", pattern: "(" }] })).toThrow(RedactionError);
  });
});

describe("configuration adds, never removes", () => {
  it("adds field names, patterns (optionally narrowed by a `secret` group) and allowlisted identifiers", () => {
    const configured = createRedactor({
      key: TEST_KEY,
      extraSecretFieldNames: ["internal_ref"],
      extraPatterns: [{ kind: "acme_key", pattern: "acme_(?<secret>[a-z0-9]{12})" }],
      allowIdentifiers: ["sk_test_FAKEEXAMPLEdocumentedSampleKey1"],
    });
    const result = configured.redact({
      internal_ref: "abc",
      note: "use acme_abcdef123456 here",
      sample: "docs use sk_test_FAKEEXAMPLEdocumentedSampleKey1 as the sample",
      password: "hunter2!",
    });
    expect(result.value).toEqual({
      internal_ref: marker("custom_field", "abc"),
      note: `use acme_${marker("acme_key", "abcdef123456")} here`,
      sample: "docs use sk_test_FAKEEXAMPLEdocumentedSampleKey1 as the sample",
      password: marker("password_field", "hunter2!"),
    });
  });

  it("never lets an allowlisted identifier override a secret field name", () => {
    const configured = createRedactor({ key: TEST_KEY, allowIdentifiers: ["FAKE-allowed-EXAMPLE"] });
    expect(configured.redact({ clientSecret: "FAKE-allowed-EXAMPLE" }).value).toEqual({ clientSecret: marker("client_secret_field", "FAKE-allowed-EXAMPLE") });
  });
});

describe("text", () => {
  it("redacts JSON text as structure and keeps its indentation", () => {
    const text = JSON.stringify({ user: "app", password: "FAKE-json-EXAMPLE" }, null, 2);
    expect(redactor.redactText(text).value).toBe(JSON.stringify({ user: "app", password: marker("password_field", "FAKE-json-EXAMPLE") }, null, 2));
  });

  it("leaves prose about secrets alone but redacts credentials stated in it", () => {
    expect(redactor.redactText("The secret: see runbook. The token is expired.").findings).toEqual([]);
    const validation = "invalid arguments for find_expiring_credentials: within_days: Too small: expected number to be >=1";
    expect(redactor.redactText(validation)).toEqual({ value: validation, findings: [] });
    const output = redactor.redactText("the password is Winter2025!FAKE, ok").value;
    expect(output).toBe(`the password is ${marker("password_in_text", "Winter2025!FAKE")}, ok`);
  });

  it("does not backtrack catastrophically on adversarial input", () => {
    const inputs = [
      `${"a".repeat(200_000)}=`,
      `password${"=".repeat(100_000)}`,
      `-----BEGIN PRIVATE KEY-----${"A".repeat(200_000)}`,
      `${"secret ".repeat(30_000)}`,
      `https://${"a:".repeat(50_000)}@`,
      `${"eyJ".repeat(50_000)}`,
    ];
    const started = Date.now();
    for (const input of inputs) redactor.redactText(input);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("leaves no 16-character window of long secrets in messy text", () => {
    const secret = fake.awsSessionToken("messy");
    const output = redactor.redactText(`error: token=${secret}; retry`).value;
    expect(leakedWindow(secret, visibleText(output))).toBeUndefined();
  });
});
