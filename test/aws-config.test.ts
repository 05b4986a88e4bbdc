import { describe, expect, test } from "vitest";
import { awsProviderConfigSchema } from "../src/providers/aws/config.js";

function issues(input: unknown): string[] {
  const result = awsProviderConfigSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

describe("providers.aws config", () => {
  test("applies defaults: 900 s sessions, not strict, small concurrency, bounded retries, 5 minute cache", () => {
    expect(awsProviderConfigSchema.parse({ accounts: [{ id: "123456789012" }] })).toEqual({
      accounts: [{ id: "123456789012" }],
      sessionDurationSeconds: 900,
      strict: false,
      maxConcurrency: 4,
      maxAttempts: 5,
      callTimeoutMs: 30_000,
      cacheTtlSeconds: 300,
      credentialReportPollAttempts: 10,
      resourcePolicies: [],
    });
  });

  test("accepts a full configuration", () => {
    const config = {
      accounts: [
        { id: "123456789012", name: "prod", roleArn: "arn:aws:iam::123456789012:role/security/wiam-read", externalId: "wiam-EXAMPLE", environment: "production" },
        { id: "210987654321" },
      ],
      region: "eu-west-1",
      profile: "security-audit",
      organizations: { enabled: true, roleArn: "arn:aws:iam::999999999999:role/wiam-org-read" },
      sessionDurationSeconds: 1800,
      strict: true,
    };
    expect(awsProviderConfigSchema.parse(config)).toMatchObject(config);
  });

  test("rejects what would fail later or read the wrong account", () => {
    expect(issues({ accounts: [{ id: "12345" }] })).toEqual(["accounts.0.id: an AWS account id is 12 digits"]);
    expect(issues({ accounts: [{ id: "123456789012", roleArn: "arn:aws:iam::210987654321:role/r" }] })).toEqual([
      "accounts.0.roleArn: the role must live in the account it reads",
    ]);
    expect(issues({ accounts: [{ id: "123456789012", externalId: "abc" }] })).toEqual(["accounts.0.externalId: externalId only applies with roleArn"]);
    expect(issues({ accounts: [{ id: "123456789012" }], sessionDurationSeconds: 600 })).toEqual([
      "sessionDurationSeconds: Too small: expected number to be >=900",
    ]);
    expect(issues({ accounts: [{ id: "123456789012" }, { id: "123456789012" }] })).toEqual(["accounts.1.id: account 123456789012 is listed twice"]);
    expect(issues({ accounts: [] })).toEqual(["accounts: list at least one account or enable organizations"]);
    expect(issues({ accounts: [{ id: "123456789012", secretAccessKey: "x" }] })).toEqual(['accounts.0: Unrecognized key: "secretAccessKey"']);
  });

  test("organizations alone is enough", () => {
    expect(issues({ organizations: { enabled: true } })).toEqual([]);
  });
});
