import { describe, expect, test } from "vitest";
import { certificateFacts } from "../src/providers/aws/collect/certificates.js";
import { parseCredentialReport, parseCsv, reportDate } from "../src/providers/aws/collect/credential-report.js";
import { decodePolicyDocument, normalizeConditions, normalizePrincipalBlock, normalizeStatements } from "../src/providers/aws/collect/policy-document.js";
import { mapWithConcurrency } from "../src/connectors/common/pool.js";
import { backoffDelayMs, isRetryable } from "../src/providers/aws/errors.js";
import { roleSessionNameForTask, sourceIdentityForCaller } from "../src/providers/aws/sessions.js";
import { awsAccountOf } from "../src/providers/aws/ids.js";
import { FAKE_SIGNING_CERTIFICATE_NOT_AFTER, FAKE_SIGNING_CERTIFICATE_NOT_BEFORE, FAKE_SIGNING_CERTIFICATE_PEM } from "./fakes/aws/certificates.js";

const DOCUMENT = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::a b/*" }] };

describe("policy documents", () => {
  test("decodes URL-encoded, double-encoded, form-encoded and plain JSON documents", () => {
    const json = JSON.stringify(DOCUMENT);
    expect(decodePolicyDocument(encodeURIComponent(json))).toEqual(DOCUMENT);
    expect(decodePolicyDocument(encodeURIComponent(encodeURIComponent(json)))).toEqual(DOCUMENT);
    expect(decodePolicyDocument(new URLSearchParams({ d: JSON.stringify(DOCUMENT, null, 1) }).toString().slice(2))).toEqual(DOCUMENT);
    expect(decodePolicyDocument(`  ${json}\n`)).toEqual(DOCUMENT);
    expect(() => decodePolicyDocument("%7Bnot json")).toThrow("not a JSON policy document");
  });

  test("normalizes single values to arrays, keeps Not* fields, ids from Sid or index (made unique)", () => {
    const { statements, skipped } = normalizeStatements(
      {
        Statement: [
          { Sid: "A", Effect: "Allow", Action: "s3:GetObject", Resource: "*" },
          { Effect: "Deny", NotAction: ["iam:*"], NotResource: "arn:aws:s3:::x" },
          { Sid: "A", Effect: "Allow", Action: ["sqs:*"], Resource: ["a", "b"] },
          { Effect: "Maybe", Action: "*" },
        ],
      },
      "aws",
    );
    expect(statements).toEqual([
      { id: "A", effect: "Allow", actions: ["s3:GetObject"], resources: ["*"] },
      { id: "1", effect: "Deny", notActions: ["iam:*"], notResources: ["arn:aws:s3:::x"] },
      { id: "A#2", effect: "Allow", actions: ["sqs:*"], resources: ["a", "b"] },
    ]);
    expect(skipped).toEqual(["statement 3 has effect Maybe"]);
  });

  test("a single statement object is accepted", () => {
    expect(normalizeStatements({ Statement: { Effect: "Allow", Action: "*", Resource: "*" } }, "aws").statements).toEqual([
      { id: "0", effect: "Allow", actions: ["*"], resources: ["*"] },
    ]);
  });

  test("principals: bare account ids become root ARNs in the role's partition; services and federation are prefixed", () => {
    expect(
      normalizePrincipalBlock(
        { AWS: ["123456789012", "arn:aws:iam::210987654321:role/x", "*"], Service: "ec2.amazonaws.com", Federated: ["cognito-identity.amazonaws.com"], CanonicalUser: "abc" },
        "aws-cn",
      ),
    ).toEqual([
      "arn:aws-cn:iam::123456789012:root",
      "arn:aws:iam::210987654321:role/x",
      "*",
      "service:ec2.amazonaws.com",
      "federated:cognito-identity.amazonaws.com",
      "canonical:abc",
    ]);
    expect(normalizePrincipalBlock("*", "aws")).toEqual(["*"]);
  });

  test("conditions become one entry per operator and key, with the key, operator and values listed", () => {
    expect(
      normalizeConditions({
        StringEquals: { "sts:ExternalId": "x", "aws:PrincipalTag/team": ["a", "b"] },
        "ForAnyValue:StringLike": { "aws:TagKeys": "env*" },
        Bool: { "aws:MultiFactorAuthPresent": true },
      }),
    ).toEqual([
      { expression: "sts:ExternalId StringEquals x", keys: ["sts:ExternalId"], operator: "StringEquals", values: ["x"] },
      { expression: 'aws:PrincipalTag/team StringEquals ["a","b"]', keys: ["aws:PrincipalTag/team"], operator: "StringEquals", values: ["a", "b"] },
      { expression: "aws:TagKeys ForAnyValue:StringLike env*", keys: ["aws:TagKeys"], operator: "ForAnyValue:StringLike", values: ["env*"] },
      { expression: "aws:MultiFactorAuthPresent Bool true", keys: ["aws:MultiFactorAuthPresent"], operator: "Bool", values: ["true"] },
    ]);
  });
});

describe("credential report", () => {
  test("parses quoted CSV fields with commas, quotes and CRLF", () => {
    expect(parseCsv('a,b,c\r\n"x,1","say ""hi""",\n')).toEqual([
      ["a", "b", "c"],
      ["x,1", 'say "hi"', ""],
    ]);
  });

  test("rows are keyed by header; dates distinguish never (N/A) from unknown (no_information)", () => {
    const rows = parseCredentialReport("user,arn,password_last_used\nbob,arn:aws:iam::1:user/bob,no_information\n");
    expect(rows).toEqual([{ user: "bob", arn: "arn:aws:iam::1:user/bob", password_last_used: "no_information" }]);
    expect(reportDate("2024-05-01T10:00:00+00:00")).toEqual({ kind: "date", iso: "2024-05-01T10:00:00.000Z" });
    expect(reportDate("N/A")).toEqual({ kind: "never" });
    expect(reportDate("not_supported")).toEqual({ kind: "never" });
    expect(reportDate("no_information")).toEqual({ kind: "unknown" });
    expect(reportDate("garbage")).toEqual({ kind: "unknown" });
  });
});

describe("certificates", () => {
  test("reads validity and key type from a public signing certificate", () => {
    expect(certificateFacts(FAKE_SIGNING_CERTIFICATE_PEM)).toEqual({
      notBefore: FAKE_SIGNING_CERTIFICATE_NOT_BEFORE,
      notAfter: FAKE_SIGNING_CERTIFICATE_NOT_AFTER,
      algorithm: "rsa-2048",
    });
    expect(certificateFacts("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----")).toBeUndefined();
  });
});

describe("session naming", () => {
  test("role session names are derived from the task, sanitized, at most 64 characters and still distinct", () => {
    expect(roleSessionNameForTask("task-42")).toBe("wiam-task-42");
    expect(roleSessionNameForTask("mcp/session:7 (x)")).toBe("wiam-mcp-session-7--x-");
    const long = roleSessionNameForTask("a".repeat(100));
    expect(long).toHaveLength(64);
    expect(long).toMatch(/^wiam-a+-[0-9a-f]{8}$/);
    expect(roleSessionNameForTask(`${"a".repeat(100)}b`)).not.toBe(long);
  });

  test("source identity is the sanitized caller", () => {
    expect(sourceIdentityForCaller("Jane Doe <jane@example.com>")).toBe("Jane-Doe--jane@example.com-");
    expect(sourceIdentityForCaller("")).toBe("wiam");
    expect(sourceIdentityForCaller("x")).toBe("x-");
    expect(sourceIdentityForCaller("aws:evil")).toBe("aws-evil");
  });
});

describe("retry policy", () => {
  test("full jitter: uniform below an exponentially growing, capped ceiling", () => {
    const timing = { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.5 };
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelayMs(attempt, timing))).toEqual([50, 100, 200, 400, 500, 500]);
    expect(backoffDelayMs(3, { ...timing, random: () => 0 })).toBe(0);
  });

  test("retries throttling, 5xx and dropped connections, not client errors", () => {
    const sdkError = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
    expect(isRetryable(sdkError("Throttling", 400))).toBe(true);
    expect(isRetryable(sdkError("TooManyRequestsException", 400))).toBe(true);
    expect(isRetryable(sdkError("ServiceFailure", 500))).toBe(true);
    expect(isRetryable(sdkError("AccessDenied", 403))).toBe(false);
    expect(isRetryable(sdkError("NoSuchEntityException", 404))).toBe(false);
    expect(isRetryable(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }))).toBe(true);
  });
});

describe("bounded pool", () => {
  test("never runs more than the limit at once and keeps input order", async () => {
    let running = 0;
    let peak = 0;
    const results = await mapWithConcurrency([5, 1, 4, 2, 3, 0], 2, async (value) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, value));
      running--;
      return value * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
  });
});

describe("account of an ARN or account scope", () => {
  test("the fifth field when it is 12 digits, the scope's account, else nothing", () => {
    expect(awsAccountOf("arn:aws:iam::111111111111:role/app")).toBe("111111111111");
    expect(awsAccountOf("arn:aws:secretsmanager:us-east-1:222222222222:secret:db:AbCdEf")).toBe("222222222222");
    expect(awsAccountOf("aws:account/333333333333")).toBe("333333333333");
    expect([awsAccountOf("arn:aws:s3:::bucket/key"), awsAccountOf("arn:aws:iam::aws:policy/ReadOnlyAccess"), awsAccountOf("arn:aws:iam::11111111111x:root"), awsAccountOf("arn:aws:iam::1111111111111:root")]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect([awsAccountOf("arn:aws:iam"), awsAccountOf("arn:aws:iam::111111111111"), awsAccountOf("111111111111"), awsAccountOf("")]).toEqual([undefined, undefined, undefined, undefined]);
  });
});
