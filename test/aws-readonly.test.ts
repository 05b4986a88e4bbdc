/**
 * Read-only by construction: the only SDK commands the code can send are reads, they are all
 * declared in reads.ts, and the shipped IAM policy and the per-task session policy grant
 * exactly the actions those commands need.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, test } from "vitest";
import { ALL_READ_OPERATIONS, SESSION_READ_ACTIONS } from "../src/providers/aws/reads.js";
import { buildSessionPolicy } from "../src/providers/aws/sessions.js";
import { awsProviderConfigSchema } from "../src/providers/aws/config.js";
import { CONVENTIONAL_READER_ROLE_PATTERN, configuredReaderRoles, readerPolicyDocument } from "../src/providers/aws/reader-policy.js";

const ROOT = join(import.meta.dirname, "..");

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs)$/.test(name) ? [path] : [];
  });
}

/** Every identifier imported from an AWS SDK package, per file (static and dynamic imports, require). */
function sdkImports(): Array<{ file: string; names: string[] }> {
  const result: Array<{ file: string; names: string[] }> = [];
  for (const file of sourceFiles(join(ROOT, "src"))) {
    const text = readFileSync(file, "utf8");
    const names: string[] = [];
    for (const match of text.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+["'](@aws-sdk\/[^"']+)["']/g)) {
      for (const part of (match[1] ?? "").split(",")) {
        const name = part.replace(/\btype\b/, "").split(/\s+as\s+/)[0]?.trim();
        if (name) names.push(name);
      }
    }
    if (/import\s*\(\s*["']@aws-sdk\/|require\s*\(\s*["']@aws-sdk\/|import\s+\*\s+as\s+\w+\s+from\s+["']@aws-sdk\//.test(text)) {
      names.push("<namespace or dynamic import>");
    }
    if (names.length > 0) result.push({ file: relative(ROOT, file), names });
  }
  return result;
}

const READ_COMMAND = /^(List\w+|Get\w+|Generate\w*Report|Describe\w+|Simulate\w+|Lookup\w+)Command$/;

describe("read-only by construction", () => {
  test("every SDK command imported anywhere under src/ is a read, and only reads.ts imports commands", () => {
    const commandImports = sdkImports().flatMap(({ file, names }) => names.filter((name) => name.endsWith("Command") || name.startsWith("<")).map((name) => ({ file, name })));
    const notReads = commandImports.filter(({ name }) => !READ_COMMAND.test(name) && name !== "AssumeRoleCommand");
    expect(notReads).toEqual([]);
    expect([...new Set(commandImports.map(({ file }) => file))]).toEqual(["src/providers/aws/reads.ts"]);
  });

  test("AssumeRole is the one non-List/Get/Describe command, and it comes from the STS client", () => {
    const text = readFileSync(join(ROOT, "src/providers/aws/reads.ts"), "utf8");
    const packagesImportingIt = [...text.matchAll(/import\s*\{([^}]*)\}\s*from\s*"(@aws-sdk\/[^"]+)"/g)]
      .filter((match) => /\bAssumeRoleCommand\b/.test(match[1] ?? ""))
      .map((match) => match[2]);
    expect(packagesImportingIt).toEqual(["@aws-sdk/client-sts"]);
  });

  test("the declared operations are exactly the imported command classes", () => {
    const imported = sdkImports()
      .flatMap(({ names }) => names)
      .filter((name) => name.endsWith("Command"))
      .sort();
    expect(ALL_READ_OPERATIONS.map((operation) => operation.command).sort()).toEqual(imported);
    for (const operation of ALL_READ_OPERATIONS) {
      expect(operation.api).toBe(`${operation.api.split(":")[0]}:${operation.command.replace(/Command$/, "")}`);
    }
  });

  test("policies/aws-readonly.json grants exactly the actions of the commands the code uses", () => {
    const policy = JSON.parse(readFileSync(join(ROOT, "policies/aws-readonly.json"), "utf8")) as {
      Statement: Array<{ Effect: string; Action: string[] }>;
    };
    const granted = policy.Statement.flatMap((statement) => {
      expect(statement.Effect).toBe("Allow");
      return statement.Action;
    }).sort();
    const needed = [...new Set(ALL_READ_OPERATIONS.flatMap((operation) => operation.actions))].sort();
    expect(granted).toEqual(needed);
    expect(granted.every((action) => !action.includes("*"))).toBe(true);
  });

  test("policies/aws-readonly.json lets the base credentials assume only the reader roles, by their conventional name", () => {
    const shipped = JSON.parse(readFileSync(join(ROOT, "policies/aws-readonly.json"), "utf8")) as unknown;
    expect(shipped).toEqual(readerPolicyDocument([CONVENTIONAL_READER_ROLE_PATTERN]));
    const assume = readerPolicyDocument([CONVENTIONAL_READER_ROLE_PATTERN]).Statement.filter((s) => s.Action.includes("sts:AssumeRole"));
    expect(assume).toEqual([
      { Sid: "AssumeReaderRolesWithSourceIdentity", Effect: "Allow", Action: ["sts:AssumeRole", "sts:SetSourceIdentity"], Resource: "arn:aws:iam::*:role/wiam-readonly" },
    ]);
  });

  test("for a config, sts:AssumeRole names exactly its reader roles; without any, no sts action at all", () => {
    const config = awsProviderConfigSchema.parse({
      accounts: [
        { id: "111111111111", roleArn: "arn:aws:iam::111111111111:role/audit/wiam-reader" },
        { id: "222222222222", roleArn: "arn:aws:iam::222222222222:role/wiam-readonly" },
        { id: "333333333333" },
      ],
      organizations: { enabled: true, roleArn: "arn:aws:iam::999999999999:role/org-reader" },
    });
    const roles = configuredReaderRoles(config);
    expect(roles).toEqual(["arn:aws:iam::111111111111:role/audit/wiam-reader", "arn:aws:iam::222222222222:role/wiam-readonly", "arn:aws:iam::999999999999:role/org-reader"]);
    expect(readerPolicyDocument(roles).Statement.at(-1)).toEqual({
      Sid: "AssumeReaderRolesWithSourceIdentity",
      Effect: "Allow",
      Action: ["sts:AssumeRole", "sts:SetSourceIdentity"],
      Resource: roles,
    });
    const direct = readerPolicyDocument(configuredReaderRoles(awsProviderConfigSchema.parse({ accounts: [{ id: "333333333333" }] })));
    expect(direct.Statement.flatMap((s) => s.Action).filter((a) => a.startsWith("sts:"))).toEqual([]);
  });

  test("the session policy allows exactly the IAM, Organizations, KMS, Secrets Manager, S3, SQS, SNS, Lambda and CloudTrail reads (never kms:Decrypt, GetSecretValue or GetObject), and fits STS's size limit", () => {
    const document = JSON.parse(buildSessionPolicy()) as { Statement: Array<{ Effect: string; Action: string[]; Resource: string }> };
    expect(document.Statement).toEqual([{ Sid: "WiamReadOnlyCollection", Effect: "Allow", Action: [...SESSION_READ_ACTIONS], Resource: "*" }]);
    expect(SESSION_READ_ACTIONS).toEqual([
      "cloudtrail:LookupEvents",
      "iam:GenerateCredentialReport",
      "iam:GetAccessKeyLastUsed",
      "iam:GetAccountAuthorizationDetails",
      "iam:GetCredentialReport",
      "iam:GetLoginProfile",
      "iam:GetRole",
      "iam:ListAccessKeys",
      "iam:ListOpenIDConnectProviders",
      "iam:ListSAMLProviders",
      "iam:ListServerCertificates",
      "iam:ListSigningCertificates",
      "iam:SimulatePrincipalPolicy",
      "kms:GetKeyPolicy",
      "kms:ListAliases",
      "kms:ListGrants",
      "kms:ListKeys",
      "lambda:GetPolicy",
      "lambda:ListFunctions",
      "organizations:DescribePolicy",
      "organizations:ListAccountsForParent",
      "organizations:ListOrganizationalUnitsForParent",
      "organizations:ListPolicies",
      "organizations:ListRoots",
      "organizations:ListTargetsForPolicy",
      "s3:GetBucketPolicy",
      "s3:ListAllMyBuckets",
      "secretsmanager:GetResourcePolicy",
      "secretsmanager:ListSecrets",
      "sns:GetTopicAttributes",
      "sns:ListTopics",
      "sqs:GetQueueAttributes",
      "sqs:ListQueues",
    ]);
    expect(buildSessionPolicy().length).toBeLessThanOrEqual(2048);
  });

  test("object reads are allowed only for CloudTrail's own log files in the configured trail bucket (not other logs under AWSLogs/)", () => {
    const document = JSON.parse(buildSessionPolicy({ bucket: "acme-org-trail", prefix: "org/" })) as { Statement: Array<Record<string, unknown>> };
    expect(document.Statement[1]).toEqual({
      Sid: "WiamReadTrailLogs",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:ListBucket"],
      Resource: ["arn:aws:s3:::acme-org-trail", "arn:aws:s3:::acme-org-trail/org/AWSLogs/*/CloudTrail/*"],
    });
    expect(buildSessionPolicy({ bucket: "acme-org-trail", prefix: "org/" }).length).toBeLessThanOrEqual(2048);
    const shipped = readerPolicyDocument([CONVENTIONAL_READER_ROLE_PATTERN]).Statement.filter((statement) => statement.Action.includes("s3:GetObject") || statement.Action.includes("s3:ListBucket"));
    expect(shipped.map((statement) => [statement.Action, statement.Resource, statement.Condition])).toEqual([
      [["s3:ListBucket"], "arn:aws:s3:::*", { StringLike: { "s3:prefix": ["AWSLogs/*", "*/AWSLogs/*"] } }],
      [["s3:GetObject"], "arn:aws:s3:::*/AWSLogs/*/CloudTrail/*", undefined],
    ]);
  });

  test("a KMS-encrypted trail's log files are decrypted only through S3: with the trail's key and the bucket's region when configured", () => {
    const key = "arn:aws:kms:eu-west-1:111111111111:key/0a1b2c3d-EXAMPLE-4e5f-8a9b-0c1d2e3f4a5b";
    const configured = JSON.parse(buildSessionPolicy({ bucket: "acme-org-trail", prefix: "org/", region: "eu-west-1", kmsKeyArn: key })) as { Statement: unknown[] };
    expect(configured.Statement[2]).toEqual({
      Sid: "WiamDecryptTrailLogs",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: key,
      Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" }, StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:*:trail/*" } },
    });
    const unknownKey = JSON.parse(buildSessionPolicy({ bucket: "acme-org-trail", prefix: "" })) as { Statement: unknown[] };
    expect(unknownKey.Statement[2]).toEqual({
      Sid: "WiamDecryptTrailLogs",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: "*",
      Condition: { StringLike: { "kms:ViaService": "s3.*.amazonaws.com", "kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:*:trail/*" } },
    });
    expect(buildSessionPolicy({ bucket: "acme-org-trail", prefix: "org/", region: "eu-west-1", kmsKeyArn: key }).length).toBeLessThanOrEqual(2048);
    // No trail, no decryption at all.
    expect(buildSessionPolicy()).not.toContain("kms:Decrypt");
    const shipped = readerPolicyDocument([CONVENTIONAL_READER_ROLE_PATTERN]).Statement.filter((statement) => statement.Action.includes("kms:Decrypt"));
    expect(shipped).toEqual([
      { Sid: "DecryptCloudTrailLogFilesThroughS3", Effect: "Allow", Action: ["kms:Decrypt"], Resource: "*", Condition: { StringLike: { "kms:ViaService": ["s3.*.amazonaws.com"], "kms:EncryptionContext:aws:cloudtrail:arn": ["arn:aws:cloudtrail:*:*:trail/*"] } } },
    ]);
  });
});
