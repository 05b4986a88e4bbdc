/**
 * Live CloudTrail collection (#18) against the wire-level fake with the real SDK clients: log files
 * from an organization trail's bucket by the key layout's date prefixes (paged listings, gzip
 * objects) through the log archive account's session, whose policy allows object reads on that
 * bucket only; LookupEvents for an account without the trail, paced at 2 requests a second,
 * retried when throttled, and reported partial when its page budget runs out.
 */
import { gzipSync } from "node:zlib";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createAwsConnector, type AwsConnector } from "../src/providers/aws/index.js";
import { awsDoctorChecks } from "../src/providers/aws/doctor.js";
import { inventorySnapshotSchema } from "../src/model/inventory.js";
import type { FakeEstate } from "./fakes/aws/estate.js";
import { FAKE_BASE_CREDENTIALS, collectWith, countsByApi } from "./fakes/aws/harness.js";
import { FakeAwsServer } from "./fakes/aws/server.js";
import { DEV, PROD, READ_ROLE, smallEstate } from "./fakes/aws/small-estate.js";

const NOW = "2026-03-10T12:00:00.000Z";
const BUCKET = "acme-org-trail";
const ORG = "o-a1b2c3d4e5";
const ROLE = `arn:aws:iam::${PROD}:role/prod-secrets-reader`;
const FAKE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

function record(id: string, time: string, account: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventVersion: "1.09",
    userIdentity: {
      type: "AssumedRole",
      arn: `arn:aws:sts::${account}:assumed-role/prod-secrets-reader/task-1`,
      accountId: account,
      accessKeyId: "ASIAQ3EXAMPLEKEY0001",
      sessionContext: { sessionIssuer: { type: "Role", arn: `arn:aws:iam::${account}:role/prod-secrets-reader`, accountId: account } },
    },
    eventTime: time,
    eventSource: "secretsmanager.amazonaws.com",
    eventName: "GetSecretValue",
    awsRegion: "us-east-1",
    sourceIPAddress: "3.84.10.10",
    userAgent: "aws-sdk-java/2.25.11",
    requestParameters: { secretId: "prod/payments" },
    responseElements: { secretString: FAKE_SECRET },
    eventID: id,
    eventType: "AwsApiCall",
    recipientAccountId: account,
    ...overrides,
  };
}

const logFile = (...records: Record<string, unknown>[]) => gzipSync(JSON.stringify({ Records: records }));
const key = (account: string, day: string, name: string) => `${BUCKET}/AWSLogs/${ORG}/${account}/CloudTrail/us-east-1/${day}/${account}_CloudTrail_us-east-1_${name}.json.gz`;

function estate(): FakeEstate {
  const base = smallEstate();
  const prod = base.accounts[PROD];
  const dev = base.accounts[DEV];
  if (!prod || !dev) throw new Error("small estate changed: PROD and DEV accounts expected");
  // The log archive is PROD here: it owns the trail bucket, with files of both accounts.
  prod.trailObjects = {
    [key(PROD, "2026/03/09", "20260309T2300Z_a")]: logFile(record("e-1", "2026-03-09T23:00:00Z", PROD)),
    [key(PROD, "2026/03/10", "20260310T1100Z_b")]: logFile(record("e-2", "2026-03-10T11:00:00Z", PROD), record("e-3", "2026-03-10T11:05:00Z", PROD, { sourceIPAddress: "192.0.2.77" })),
    [key(PROD, "2026/03/10", "20260310T1110Z_c")]: logFile(record("e-4", "2026-03-10T11:10:00Z", PROD)),
    [key(PROD, "2026/03/10", "20260310T1115Z_d")]: Buffer.from("not gzip at all"),
    // Outside the window asked for (a day earlier than `hours` reaches): not listed.
    [key(PROD, "2026/03/08", "20260308T1000Z_e")]: logFile(record("e-old", "2026-03-08T10:00:00Z", PROD)),
  };
  dev.cloudTrailEvents = {
    "us-east-1": Array.from({ length: 120 }, (_, i) =>
      record(`d-${String(i).padStart(3, "0")}`, new Date(Date.parse(NOW) - (i + 1) * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z"), DEV, {
        userIdentity: { type: "IAMUser", arn: `arn:aws:iam::${DEV}:user/batch-bot`, accountId: DEV, accessKeyId: "AKIAQ3BATCHBOTEXAMPL" },
        eventSource: "s3.amazonaws.com",
        eventName: "ListBuckets",
      }),
    ),
  };
  return base;
}

let fake: FakeAwsServer;
const connectors: AwsConnector[] = [];
const ACCOUNTS = [
  { id: PROD, name: "prod", roleArn: READ_ROLE(PROD) },
  { id: DEV, name: "dev", roleArn: READ_ROLE(DEV), externalId: "dev-EXAMPLE" },
];

beforeAll(async () => {
  fake = await FakeAwsServer.start(estate());
  process.env.AWS_ENDPOINT_URL = fake.url;
  process.env.AWS_REGION = "us-east-1";
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.resetLog();
  fake.clearFaults();
});
afterEach(() => {
  for (const connector of connectors.splice(0)) connector.close();
});

function connector(activity: Record<string, unknown>, sleeps: number[] = []): AwsConnector {
  const created = createAwsConnector(
    { accounts: ACCOUNTS, cacheTtlSeconds: 0, activity },
    {
      credentials: FAKE_BASE_CREDENTIALS,
      now: () => new Date(NOW),
      caller: "analyst@example.com",
      retry: { baseDelayMs: 100, maxDelayMs: 2000, random: () => 0.5, sleep: async (ms: number) => void sleeps.push(ms) },
    },
  );
  connectors.push(created);
  return created;
}

describe("CloudTrail activity, live", () => {
  test("reads the trail's files by date prefix through the log archive's session, metadata only, and names the unreadable file", async () => {
    const aws = connector({ hours: 24, trail: { bucket: BUCKET, organizationId: ORG, readerAccountId: PROD }, lookupEvents: { accounts: [DEV], maxPages: 1 } });
    const { snapshot, operations } = await collectWith(aws, "activity", { now: new Date(NOW) });
    expect(() => inventorySnapshotSchema.parse(snapshot)).not.toThrow();
    const log = snapshot.activityLog;
    const fromTrail = log?.events.filter((e) => e.principalId === ROLE).map((e) => [e.id, e.time, e.network]);
    expect(fromTrail).toEqual([
      ["e-1", "2026-03-09T23:00:00.000Z", "inside"],
      ["e-2", "2026-03-10T11:00:00.000Z", "inside"],
      ["e-3", "2026-03-10T11:05:00.000Z", "outside"],
      ["e-4", "2026-03-10T11:10:00.000Z", "inside"],
    ]);
    expect(JSON.stringify(log)).not.toContain(FAKE_SECRET);
    expect(log?.sources.find((s) => s.scopeId === `aws:account/${PROD}`)).toEqual({
      provider: "aws",
      scopeId: `aws:account/${PROD}`,
      source: `cloudtrail:s3 s3://${BUCKET}/AWSLogs/${ORG}/${PROD}/CloudTrail/us-east-1/`,
      from: "2026-03-09T12:00:00.000Z",
      to: NOW,
      complete: false,
      note: expect.stringMatching(/^1 problem\(s\) in 4 file\(s\); first: a log file of 2026\/03\/10 could not be read: /),
    });
    // Both accounts' prefixes listed day by day (pages of 2), each file read once, all with PROD's reader session.
    const counts = countsByApi(operations);
    expect(counts["s3:ListObjectsV2"]).toBe(5);
    expect(counts["s3:GetObject"]).toBe(4);
    const s3Requests = fake.requests.filter((r) => r.service === "s3");
    expect(new Set(s3Requests.map((r) => r.accountId))).toEqual(new Set([PROD]));
    const readerPolicy = fake.assumeRoleCalls.find((call) => call.RoleArn === READ_ROLE(PROD))?.Policy ?? "";
    expect(JSON.parse(readerPolicy).Statement[1]).toEqual({
      Sid: "WiamReadTrailLogs",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:ListBucket"],
      Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/AWSLogs/*/CloudTrail/*`],
    });
  });

  test("a KMS-encrypted trail the reader may not decrypt is named as such, by collection and by doctor; sessions decrypt through S3 with the trail's key only", async () => {
    const prod = fake.estate.accounts[PROD];
    if (!prod) throw new Error("small estate changed");
    prod.trailObjectsKmsDenied = {
      [key(PROD, "2026/03/09", "20260309T2300Z_a")]: "KMS.AccessDeniedException",
      [key(PROD, "2026/03/10", "20260310T1100Z_b")]: "AccessDenied",
      // Outside the window collection reads, but the first file doctor finds.
      [key(PROD, "2026/03/08", "20260308T1000Z_e")]: "AccessDenied",
    };
    try {
      const kmsKeyArn = `arn:aws:kms:us-east-1:${PROD}:key/0a1b2c3d-EXAMPLE`;
      const trail = { bucket: BUCKET, organizationId: ORG, readerAccountId: PROD, region: "us-east-1", kmsKeyArn };
      const aws = connector({ hours: 24, trail });
      const { snapshot } = await collectWith(aws, "kms", { now: new Date(NOW) });
      expect(snapshot.activityLog?.events.filter((e) => e.principalId === ROLE).map((e) => e.id)).toEqual(["e-4"]);
      const source = snapshot.activityLog?.sources.find((s) => s.scopeId === `aws:account/${PROD}`);
      expect(source?.note).toMatch(
        /^3 problem\(s\) in 4 file\(s\); first: a log file of 2026\/03\/09 is encrypted with KMS \(SSE-KMS\) and the reader may not decrypt it: grant kms:Decrypt on the trail's key through S3 \(kms:ViaService s3.<region>.amazonaws.com; KMS.AccessDeniedException \(HTTP 403\): User: .* is not authorized to perform: kms:Decrypt/,
      );
      const readerPolicy = fake.assumeRoleCalls.find((call) => call.RoleArn === READ_ROLE(PROD))?.Policy ?? "";
      expect(JSON.parse(readerPolicy).Statement[2]).toEqual({
        Sid: "WiamDecryptTrailLogs",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: kmsKeyArn,
        Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" }, StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:*:trail/*" } },
      });

      // Doctor reads the first log file of the reader account's prefix: the one S3 refuses as AccessDenied naming kms:Decrypt.
      const checks = (await awsDoctorChecks(connector({ hours: 24, trail }))).filter((check) => check.check === "aws trail logs");
      expect(checks).toEqual([
        {
          level: "error",
          check: "aws trail logs",
          detail: expect.stringMatching(
            new RegExp(
              `^the trail's log files under s3://${BUCKET}/AWSLogs/${ORG}/${PROD}/CloudTrail/ are encrypted with KMS \\(SSE-KMS\\) and the reader may not decrypt them: grant kms:Decrypt on the trail's key through S3 \\(kms:ViaService s3.<region>.amazonaws.com\\) in the reader role and the key policy, and set activity.trail.kmsKeyArn \\(reading s3://${BUCKET}/AWSLogs/${ORG}/${PROD}/CloudTrail/us-east-1/2026/03/08/.*AccessDenied`,
            ),
          ) as string,
        },
      ]);
    } finally {
      delete prod.trailObjectsKmsDenied;
    }
    const readable = (await awsDoctorChecks(connector({ hours: 24, trail: { bucket: BUCKET, organizationId: ORG, readerAccountId: PROD } }))).filter((check) => check.check === "aws trail logs");
    expect(readable).toEqual([{ level: "ok", check: "aws trail logs", detail: `log files under s3://${BUCKET}/AWSLogs/${ORG}/${PROD}/CloudTrail/ can be read` }]);
  });

  test("a log file listed over trail.maxFileBytes is never fetched and one that unpacks past trail.maxUnpackedBytes (a gzip bomb) is refused; both are gaps", async () => {
    const prod = fake.estate.accounts[PROD];
    if (!prod) throw new Error("small estate changed");
    const limited = (name: string) => `${BUCKET}/limits/AWSLogs/${ORG}/${PROD}/CloudTrail/us-east-1/2026/03/10/${PROD}_CloudTrail_us-east-1_${name}.json.gz`;
    // 64 MiB of zeros packs into about 64 KB: under the listed-size cap, far over the unpacked one.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    const objects = {
      [limited("20260310T1000Z_bomb")]: bomb,
      [limited("20260310T1001Z_huge")]: Buffer.alloc(200_000, 0x61),
      [limited("20260310T1002Z_fine")]: logFile(record("e-fine", "2026-03-10T10:02:00Z", PROD)),
    };
    Object.assign((prod.trailObjects ??= {}), objects);
    try {
      const trail = { bucket: BUCKET, prefix: "limits/", organizationId: ORG, readerAccountId: PROD, maxFileBytes: 100_000, maxUnpackedBytes: 1024 * 1024 };
      const { snapshot, operations } = await collectWith(connector({ hours: 24, trail }), "limits", { now: new Date(NOW) });
      expect(bomb.length).toBeLessThan(100_000);
      expect(snapshot.activityLog?.events.filter((e) => e.principalId === ROLE).map((e) => e.id)).toEqual(["e-fine"]);
      expect(snapshot.activityLog?.sources.find((s) => s.scopeId === `aws:account/${PROD}`)?.note).toBe(
        "2 problem(s) in 3 file(s); first: a log file of 2026/03/10 could not be read: Error: larger than 1048576 bytes when unpacked: refused",
      );
      // The bomb and the fine file were fetched; the oversized one only listed.
      expect(countsByApi(operations)["s3:GetObject"]).toBe(2);
    } finally {
      for (const name of Object.keys(objects)) delete prod.trailObjects?.[name];
    }
  });

  test("doctor shows a log file's key with its control characters removed", async () => {
    const prod = fake.estate.accounts[PROD];
    if (!prod) throw new Error("small estate changed");
    const hostile = `${BUCKET}/escapes/AWSLogs/${ORG}/${PROD}/CloudTrail/us-east-1/2026/03/10/x\u001b]52;c;RkFLRQ==\u0007\nok: forged line.json.gz`;
    (prod.trailObjects ??= {})[hostile] = logFile(record("e-x", "2026-03-10T10:00:00Z", PROD));
    prod.trailObjectsKmsDenied = { [hostile]: "AccessDenied" };
    try {
      const checks = (await awsDoctorChecks(connector({ hours: 24, trail: { bucket: BUCKET, prefix: "escapes/", organizationId: ORG, readerAccountId: PROD } }))).filter((check) => check.check === "aws trail logs");
      expect(checks).toHaveLength(1);
      const detail = checks[0]?.detail ?? "";
      expect(detail).toContain(`2026/03/10/x]52;c;RkFLRQ==ok: forged line.json.gz failed`);
      expect(detail).not.toMatch(/[\u0000-\u001f\u007f]/);
    } finally {
      delete prod.trailObjects?.[hostile];
      delete prod.trailObjectsKmsDenied;
    }
  });

  test("LookupEvents is paced at 2 requests a second, retried when throttled, and partial when its pages run out", async () => {
    const sleeps: number[] = [];
    fake.addFault({ action: "LookupEvents", kind: "error", status: 400, code: "ThrottlingException", times: 1 });
    const aws = connector({ hours: 24, lookupEvents: { accounts: [DEV], maxPages: 2 } }, sleeps);
    const { snapshot, operations } = await collectWith(aws, "lookup", { now: new Date(NOW) });
    const events = snapshot.activityLog?.events ?? [];
    expect(events).toHaveLength(100);
    expect(events[0]).toMatchObject({ id: "d-000", principalId: `arn:aws:iam::${DEV}:user/batch-bot`, action: "s3:ListBuckets", credentialId: "AKIAQ3BATCHBOTEXAMPL" });
    expect(countsByApi(operations)["cloudtrail:LookupEvents"]).toBe(3);
    // One backoff for the throttled request, then the pacing interval between pages.
    expect(sleeps).toEqual([50, 500]);
    expect(fake.requests.filter((r) => r.service === "cloudtrail").map((r) => [r.accountId, r.signingRegion, r.params.MaxResults])).toEqual([
      [DEV, "us-east-1", "50"],
      [DEV, "us-east-1", "50"],
      [DEV, "us-east-1", "50"],
    ]);
    expect(snapshot.activityLog?.sources).toEqual([
      {
        provider: "aws",
        scopeId: `aws:account/${DEV}`,
        source: "cloudtrail:LookupEvents us-east-1",
        from: "2026-03-09T12:00:00.000Z",
        to: NOW,
        complete: false,
        note: "read 2 page(s) of 50 events back to 2026-03-10T10:20:00.000Z: LookupEvents allows 2 requests a second per account and region, so the rest of the window was not read (use the trail bucket instead)",
      },
    ]);
  });

  test("a complete event history is complete; no activity configured reads no log", async () => {
    const aws = connector({ hours: 24, lookupEvents: { accounts: [DEV], maxPages: 5 } });
    const { snapshot } = await collectWith(aws, "complete", { now: new Date(NOW) });
    expect(snapshot.activityLog?.events).toHaveLength(120);
    expect(snapshot.activityLog?.sources[0]?.complete).toBe(true);
    const none = createAwsConnector({ accounts: ACCOUNTS, cacheTtlSeconds: 0 }, { credentials: FAKE_BASE_CREDENTIALS, now: () => new Date(NOW) });
    connectors.push(none);
    fake.resetLog();
    const plain = await collectWith(none, "plain", { now: new Date(NOW) });
    expect(plain.snapshot.activityLog).toBeUndefined();
    expect(fake.requests.filter((r) => r.service === "cloudtrail" || r.action === "GetObject")).toEqual([]);
  });
});
