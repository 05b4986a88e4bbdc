import { describe, expect, it } from "vitest";
import { generateRedactionInventory } from "../bench/redaction-inventory.js";
import { createRedactor } from "../redaction/index.js";
import { negativeCases, positiveCases, redactionCorpus, type RedactionCorpusCase } from "./redaction-corpus/index.js";
import { TEST_KEY, leakedWindow, shapeOf, visibleText } from "./redaction-helpers.js";

const redactor = createRedactor({ key: TEST_KEY });

function run(corpusCase: RedactionCorpusCase) {
  return corpusCase.input.kind === "json" ? redactor.redact(corpusCase.input.value) : redactor.redactText(corpusCase.input.value);
}

describe("redaction corpus", () => {
  it("has positive cases for every provider and file type and negative cases full of identifiers", () => {
    const planted = positiveCases.reduce((sum, corpusCase) => sum + corpusCase.secrets.length, 0);
    const identifiers = redactionCorpus.reduce((sum, corpusCase) => sum + corpusCase.identifiers.length, 0);
    expect(positiveCases.length).toBeGreaterThanOrEqual(45);
    expect(negativeCases.length).toBeGreaterThanOrEqual(12);
    expect(planted).toBeGreaterThanOrEqual(100);
    expect(identifiers).toBeGreaterThanOrEqual(180);
    expect(new Set(redactionCorpus.map((corpusCase) => corpusCase.id)).size).toBe(redactionCorpus.length);
    for (const corpusCase of positiveCases) expect(corpusCase.secrets.length, corpusCase.id).toBeGreaterThan(0);
    for (const corpusCase of negativeCases) expect(corpusCase.secrets, corpusCase.id).toEqual([]);
  });

  it("plants every secret verbatim in its input", () => {
    for (const corpusCase of positiveCases) {
      const input = visibleText(corpusCase.input.value);
      for (const secret of corpusCase.secrets) {
        for (const line of secret.split("\n")) expect(input.includes(line), `${corpusCase.id}: ${line.slice(0, 24)}`).toBe(true);
      }
    }
  });

  describe.each(positiveCases.map((corpusCase) => [corpusCase.id, corpusCase] as const))("positive %s", (_id, corpusCase) => {
    it("removes every planted secret, keeps every identifier and the structure", () => {
      const result = run(corpusCase);
      const visible = visibleText(result.value);
      for (const secret of corpusCase.secrets) expect(leakedWindow(secret, visible), secret.slice(0, 24)).toBeUndefined();
      for (const identifier of corpusCase.identifiers) expect(visible.includes(identifier), identifier).toBe(true);
      expect(result.findings.length).toBeGreaterThanOrEqual(1);
      for (const finding of result.findings) {
        expect(finding.fingerprint).toMatch(/^[0-9a-f]{8}$/);
        expect(visible.includes(`[REDACTED:${finding.kind}:${finding.fingerprint}]`)).toBe(true);
      }
      if (corpusCase.input.kind === "json") expect(shapeOf(result.value)).toEqual(shapeOf(corpusCase.input.value));
    });
  });

  describe.each(negativeCases.map((corpusCase) => [corpusCase.id, corpusCase] as const))("negative %s", (_id, corpusCase) => {
    it("returns the input unchanged with no findings", () => {
      const result = run(corpusCase);
      expect(result.findings).toEqual([]);
      expect(result.value).toEqual(corpusCase.input.value);
      const visible = visibleText(result.value);
      for (const identifier of corpusCase.identifiers) expect(visible.includes(identifier), identifier).toBe(true);
    });
  });

  it("reports a finding of every format family somewhere in the corpus", () => {
    const kinds = new Set(positiveCases.flatMap((corpusCase) => run(corpusCase).findings.map((finding) => finding.kind)));
    const expected = [
      "aws_secret_access_key", "aws_session_token", "aws_secret_access_key_field",
      "gcp_service_account_key", "google_oauth_access_token", "google_api_key", "jwt", "pem_private_key", "pkcs12",
      "azure_storage_account_key", "azure_shared_access_key", "connection_string_password", "sas_signature",
      "signed_url_signature", "entra_client_secret", "github_token", "gitlab_token", "slack_token", "slack_webhook",
      "stripe_secret_key", "npm_token", "sendgrid_api_key", "twilio_api_key", "twilio_auth_token", "openai_style_api_key",
      "anthropic_api_key", "heroku_api_key", "datadog_api_key", "url_password", "basic_auth", "bearer_token",
      "password_assignment", "high_entropy_secret", "key_vault_secret_value", "ssm_secure_string", "kubernetes_secret_data",
      "jwk_private_key", "password_in_text", "base64_pem_private_key",
    ];
    expect(expected.filter((kind) => !kinds.has(kind))).toEqual([]);
  });

  it("leaves a 1 MB identifier-only inventory untouched (same object back, no findings)", () => {
    const { document } = generateRedactionInventory(1024 * 1024, 7);
    const result = redactor.redact(document);
    expect(result.findings).toEqual([]);
    expect(result.value).toBe(document);
  });
});
