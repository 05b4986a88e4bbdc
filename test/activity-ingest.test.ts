/**
 * CloudTrail ingestion at scale (#18 item 8): the byte scanner gives exactly the events the
 * JSON.parse reader gives, record by record, on awkward records (escapes, repeated keys, wrong
 * types, huge bodies, key names nested where they do not count); it refuses the files JSON.parse
 * refuses; and the log built on parsing workers is identical (rows, strings, ids, detections) to
 * the one built in process and to the one built event by event, on the demo's AWS stream written
 * as trail files and on generated files with malformed records, a truncated gzip, an empty file
 * and a huge record.
 *
 * The worker path runs the compiled worker (dist/): `npx tsc -p tsconfig.json` first.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { detectAnomalies } from "../src/activity/detect.js";
import { DEFAULT_ACTIVITY_SETTINGS } from "../src/activity/detections/types.js";
import { ActivityChunkWriter, chunkEvents } from "../src/activity/event-chunk.js";
import { ActivityLogBuilder, type ActivityEventInput, type ActivityLog } from "../src/activity/log.js";
import { buildDemoEstate } from "../src/connectors/demo/index.js";
import type { ActivityEvent } from "../src/model/activity-log.js";
import { ingestCloudTrailText } from "../src/providers/aws/activity/cloudtrail.js";
import { readLocalCloudTrail } from "../src/providers/aws/activity/local-files.js";
import { loadAwsRanges } from "../src/providers/aws/activity/ranges.js";
import { TrailFileTooLargeError, trailLogBytes, trailLogChunk } from "../src/providers/aws/activity/trail-logs.js";
import { MAX_INTERN_PROBES, TrailFileError, internProbeStats, scanCloudTrailFile } from "../src/providers/aws/activity/trail-scanner.js";
import { ROLE_SESSION_RECORD } from "./fixtures/cloudtrail.js";
import { cloudTrailRecordOf } from "./fixtures/demo-trail.js";

const RANGES = loadAwsRanges(undefined);
const NOW = new Date("2026-03-10T12:00:00Z");
const WORKER = fileURLToPath(new URL("../dist/src/providers/aws/activity/trail-worker.js", import.meta.url));

const role = ROLE_SESSION_RECORD.userIdentity.sessionContext.sessionIssuer.arn;
const base = ROLE_SESSION_RECORD;

let sequence = 0;
const record = (overrides: Record<string, unknown>): Record<string, unknown> => ({ ...base, eventID: `00000000-0000-4000-8000-${String(++sequence).padStart(12, "0")}`, ...overrides });

/** Records that probe every rule of the reader, as objects (JSON.stringify writes them). */
function awkwardRecords(): unknown[] {
  return [
    record({}),
    record({ userAgent: "Mozilla/5.0 (Macintosh) naïve ☃ agent" }),
    record({ userAgent: "x".repeat(700) }),
    record({ userAgent: "é".repeat(600) }),
    record({ sourceIPAddress: "3.84.10.10" }),
    record({ sourceIPAddress: "10.0.3.7", vpcEndpointId: "vpce-0a1b2c3d" }),
    record({ sourceIPAddress: "lambda.amazonaws.com" }),
    record({ sourceIPAddress: "AWS Internal", errorCode: "AccessDenied" }),
    record({ sourceIPAddress: "2600:1f18:4bcd::1" }),
    record({ sourceIPAddress: "2001:db8:1:2::5" }),
    record({ sourceIPAddress: "256.1.1.1" }),
    record({ sourceIPAddress: "" }),
    record({ sourceIPAddress: 17 }),
    record({ errorCode: "Client.UnauthorizedOperation" }),
    record({ errorCode: "ThrottlingException" }),
    record({ eventType: "AwsConsoleSignIn", eventSource: "signin.amazonaws.com", eventName: "ConsoleLogin" }),
    record({ eventTime: "2026-03-10T11:17:00.123Z" }),
    record({ eventTime: "2026-03-10T13:17:00+02:00" }),
    record({ eventTime: "2026-02-29T11:17:00Z" }),
    record({ eventTime: "2024-02-29T23:59:59Z" }),
    record({ eventTime: "2026-04-31T00:00:00Z" }),
    record({ eventTime: "2026-03-10T24:00:00Z" }),
    record({ eventTime: "March 10, 2026" }),
    record({ eventTime: "" }),
    record({ eventTime: 1773141420 }),
    record({ eventID: "" }),
    record({ eventID: "i".repeat(256) }),
    record({ eventID: "i".repeat(257) }),
    record({ eventName: null }),
    record({ eventSource: ["sts.amazonaws.com"] }),
    record({ userIdentity: "AssumedRole" }),
    record({ userIdentity: { type: "AWSService", invokedBy: "ec2.amazonaws.com" } }),
    record({ userIdentity: { type: "AssumedRole", arn: "arn:aws:sts::222222222222:assumed-role/x/y", sessionContext: "none" } }),
    record({ userIdentity: { type: "AssumedRole", sessionContext: { sessionIssuer: [role] } } }),
    record({ userIdentity: { type: "IAMUser", arn: "arn:aws:iam::111111111111:user/ci-deployer", accessKeyId: "AKIAQ3CIDEPLOEXAMPLE" }, recipientAccountId: undefined }),
    record({ userIdentity: { type: "IAMUser", arn: "arn:aws:iam::111111111111:user/ci-deployer" }, recipientAccountId: "" }),
    record({
      userIdentity: { type: "IAMUser", arn: "arn:aws:iam::111111111111:user/ci-deployer", accountId: "111111111111" },
      eventSource: "sts.amazonaws.com",
      eventName: "AssumeRole",
      requestParameters: { roleSessionName: "build-42", roleArn: "arn:aws:iam::111111111111:role/ci-runner", policy: '{"Statement":[]}' },
      resources: [],
    }),
    record({ eventSource: "sts.amazonaws.com", eventName: "AssumeRole", requestParameters: { roleArn: 7 } }),
    record({ eventSource: "iam.amazonaws.com", eventName: "AttachRolePolicy", resources: "arn:aws:iam::222222222222:role/x" }),
    record({ resources: [null, { ARN: "arn:aws:s3:::second" }] }),
    record({ resources: [{ type: "AWS::S3::Bucket" }] }),
    // Key names that count only at their own level.
    record({ requestParameters: { eventName: "Nested", userIdentity: { arn: "arn:aws:iam::999999999999:user/not-me" }, eventTime: "2020-01-01T00:00:00Z" } }),
    record({ responseElements: { credentials: { accessKeyId: "ASIAQ3RESPONSEEXAMPLE", sessionToken: "FAKE-session-token-EXAMPLE" } } }),
    // A body of a megabyte (a huge record), deep nesting and every number form.
    record({ requestParameters: { policy: "p".repeat(1 << 20), nested: [[[[[{ a: [1, -2, 3.5, -0.25e-7, 6e+10, 0, true, false, null] }]]]]] } }),
    "not a record",
    42,
    null,
    [base],
    {},
  ];
}

/** A file's text: JSON.stringify of the records, with extra escapes and repeated keys spliced in where JSON allows them. */
function awkwardText(): string {
  const records = awkwardRecords().map((value) => JSON.stringify(value));
  // Escaped key and value characters, decoded as JSON.parse decodes them.
  records.push(JSON.stringify(record({})).replace('"eventName":"GetSecretValue"', '"event\\u004eame":"Get\\u0053ecret\\"Value\\\\"'));
  records.push(JSON.stringify(record({})).replace('"userAgent":"aws-cli/2.15.30 Python/3.11.8"', '"userAgent":"tab\\there \\ud83d\\ude00 \\/ end"'));
  // A repeated key: the last counts.
  records.push(JSON.stringify(record({})).replace('"eventName":"GetSecretValue"', '"eventName":"First","eventName":"ListSecrets"'));
  records.push(JSON.stringify(record({})).replace('"eventName":"GetSecretValue"', '"eventName":"First","eventName":5'));
  records.push(JSON.stringify(record({})).replace('"userIdentity":{', '"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/gone"},"userIdentity":{'));
  // Whitespace everywhere JSON allows it.
  records.push(JSON.stringify(record({ eventName: "Pretty" }), null, "\t").replace(/\n/g, "\r\n"));
  return ` \n{"Other":{"Records":"not these"},"Records":[${records.join(" ,\n ")}] , "Trailer" : [ ] }\n`;
}

function referenceEvents(text: string): ActivityEventInput[] {
  const events: ActivityEventInput[] = [];
  ingestCloudTrailText(text, RANGES, (event) => events.push(event), { records: 0, events: 0, skipped: 0 });
  return events;
}

function scannedEvents(text: string): ActivityEventInput[] {
  return [...chunkEvents(scanCloudTrailFile(Buffer.from(text, "utf8"), { ranges: RANGES }))];
}

/** The reference gives no network key where the log computes one: compare with what the log would use. */
const withoutKey = (event: ActivityEventInput) => ({ ...event, networkKey: undefined });

describe("the CloudTrail byte scanner", () => {
  it("gives exactly the events the JSON.parse reader gives, record by record", () => {
    const text = awkwardText();
    const reference = referenceEvents(text);
    const scanned = scannedEvents(text);
    expect(scanned.map(withoutKey)).toEqual(reference.map(withoutKey));
    expect(reference.length).toBe(38);
    const chunk = scanCloudTrailFile(Buffer.from(text, "utf8"), { ranges: RANGES });
    expect(chunk.tally).toEqual({ records: 55, events: 38, skipped: 17 });
    // Spot checks of what the rules mean.
    const byName = new Map(scanned.map((event) => [event.action, event]));
    expect(byName.get("secretsmanager:GetSecret\"Value\\")?.principalId).toBe(role);
    expect(scanned.filter((event) => event.action === "secretsmanager:ListSecrets")).toHaveLength(1);
    expect(scanned.some((event) => event.action === "secretsmanager:First")).toBe(false);
    expect(scanned.find((event) => event.userAgent?.startsWith("tab"))?.userAgent).toBe("tab\there \ud83d\ude00 / end");
    expect(scanned.find((event) => event.action === "sts:AssumeRole" && event.resource?.endsWith("ci-runner"))).toMatchObject({
      principalId: "arn:aws:iam::111111111111:user/ci-deployer",
      // The account that received the call, ahead of the caller's own.
      scopeId: "aws:account/222222222222",
      credentialId: undefined,
    });
    expect(scanned.filter((event) => event.userAgent?.length === 512)).toHaveLength(2);
    expect(scanned.some((event) => event.principalId.includes("not-me") || event.action.includes("Nested"))).toBe(false);
  });

  it("reads numbers, literals and pretty-printed records, and keeps no request or response body", () => {
    const scanned = scannedEvents(awkwardText());
    expect(scanned.find((event) => event.action === "secretsmanager:Pretty")?.principalId).toBe(role);
    expect(JSON.stringify(scanned)).not.toContain("FAKE-session-token-EXAMPLE");
    expect(JSON.stringify(scanned)).not.toContain("ppppp");
  });

  it("refuses every file JSON.parse refuses, and a file without a Records array", () => {
    const good = JSON.stringify({ Records: [record({ responseElements: null, readOnly: true })] });
    const refused = [
      good.slice(0, -1),
      good.slice(0, good.length / 2),
      `${good} x`,
      `${good}{}`,
      good.replace("aws-cli", "aws\u0001cli"),
      good.replace("aws-cli", "aws\\xcli"),
      good.replace("aws-cli", "aws\\u12cli"),
      good.replace('"readOnly":true', '"readOnly":tru'),
      good.replace('"readOnly":true', '"readOnly":01'),
      good.replace('"readOnly":true', '"readOnly":1.'),
      good.replace('"readOnly":true', '"readOnly":-'),
      good.replace('"readOnly":true', '"readOnly":+1'),
      good.replace('"eventType":"AwsApiCall",', '"eventType":"AwsApiCall",,'),
      good.replace('"readOnly":true', "'readOnly':true"),
      good.replace('"responseElements":null', '"responseElements":{"a":1,}'),
      good.replace('"responseElements":null', '"responseElements":[1 2]'),
      "\ufeff" + good,
      "",
      "[]",
      "{}",
      '{"Records":{}}',
      `{"Records":[],"Records":"later"}`,
    ];
    for (const text of refused) {
      expect(text, "each case changes the good file").not.toBe(good);
      const parseFails = (() => {
        try {
          referenceEvents(text);
          return false;
        } catch {
          return true;
        }
      })();
      expect(parseFails, `reference on ${text.slice(0, 80)}`).toBe(true);
      expect(() => scanCloudTrailFile(Buffer.from(text, "utf8"), { ranges: RANGES }), text.slice(0, 80)).toThrow(TrailFileError);
    }
  });

  it("takes the last of two Records arrays, as JSON.parse does", () => {
    const text = `{"Records":[${JSON.stringify(record({ eventName: "Early" }))}],"Records":[${JSON.stringify(record({ eventName: "Late" }))}]}`;
    expect(scannedEvents(text).map((event) => event.action)).toEqual(["secretsmanager:Late"]);
    expect(referenceEvents(text).map((event) => event.action)).toEqual(["secretsmanager:Late"]);
  });

  it("refuses a gzip bomb past the unpacked cap, in process and on the thread pool, and keeps a file under it", async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    const cap = 1024 * 1024;
    expect(() => trailLogChunk(bomb, true, { ranges: RANGES }, cap)).toThrow(new TrailFileTooLargeError("larger than 1048576 bytes when unpacked: refused"));
    await expect(trailLogBytes(bomb, true, cap)).rejects.toThrow(new TrailFileTooLargeError("larger than 1048576 bytes when unpacked: refused"));
    await expect(trailLogBytes(Buffer.alloc(cap + 1), false, cap)).rejects.toThrow(TrailFileTooLargeError);
    const fine = gzipSync(`{"Records":[${JSON.stringify(record({ eventName: "Small" }))}]}`);
    expect([...chunkEvents(trailLogChunk(fine, true, { ranges: RANGES }, cap))].map((event) => event.action)).toEqual(["secretsmanager:Small"]);
  });

  it("interns 20,000 user agents of one length and one 24-byte ending with a bounded probe walk each", () => {
    const suffix = " (colliding-tail/EXAMPLE)";
    const agents = Array.from({ length: 20_000 }, (_, i) => `agent-${String(i).padStart(8, "0")}${suffix}`);
    const text = `{"Records":[${agents.map((userAgent) => JSON.stringify(record({ userAgent }))).join(",")}]}`;
    internProbeStats.longest = 0;
    const scanned = scannedEvents(text);
    expect(internProbeStats.longest).toBeLessThanOrEqual(MAX_INTERN_PROBES);
    expect(scanned.map((event) => event.userAgent)).toEqual(agents);
  });
});

/** The AWS events of the demo stream as CloudTrail records (the inverse of the reader's mapping). */
function demoTrailRecords(events: readonly ActivityEvent[]): Record<string, unknown>[] {
  return events.filter((event) => event.provider === "aws").map(cloudTrailRecordOf);
}

/** Writes records as trail files of `perFile` records each, in the key layout; returns the root. */
function writeTrail(records: readonly unknown[], perFile: number, extras: (folder: string) => void = () => undefined): string {
  const root = mkdtempSync(join(tmpdir(), "wiam-ingest-"));
  const folder = join(root, "AWSLogs", "222222222222", "CloudTrail", "us-east-1", "2026", "03", "10");
  mkdirSync(folder, { recursive: true });
  for (let start = 0, file = 0; start < records.length; start += perFile, file++) {
    const name = `222222222222_CloudTrail_us-east-1_20260310T${String(file).padStart(4, "0")}Z_a1b2.json.gz`;
    writeFileSync(join(folder, name), gzipSync(JSON.stringify({ Records: records.slice(start, start + perFile) })));
  }
  extras(folder);
  return root;
}

interface Built {
  log: ActivityLog;
  workers: number;
  tally: { records: number; events: number; skipped: number };
  sources: unknown;
}

async function ingest(root: string, workers: number, keepIdsSince = 0): Promise<Built> {
  const builder = new ActivityLogBuilder({ keepIdsSince });
  const result = await readLocalCloudTrail([root], { ranges: RANGES, workers, keepIdsSince, keepAddresses: false }, (chunk) => builder.addChunk(chunk));
  return { log: builder.build(), workers: result.workers, tally: result.tally, sources: result.sources };
}

/** The reference: every file JSON.parsed and normalized, events added one by one, in file order. */
function referenceLog(texts: readonly string[], keepIdsSince = 0): ActivityLog {
  const builder = new ActivityLogBuilder({ keepIdsSince });
  for (const text of texts) ingestCloudTrailText(text, RANGES, (event) => builder.add(event), { records: 0, events: 0, skipped: 0 });
  return builder.build();
}

/** Everything a log holds, row by row, with its raw string-table indexes (the same interning order too). */
function dump(log: ActivityLog): unknown {
  const rows: unknown[] = [];
  for (let row = 0; row < log.length; row++) {
    rows.push([
      log.time[row],
      log.principal[row],
      log.text(log.principal[row] ?? 0),
      log.text(log.action[row] ?? 0),
      log.text(log.resource[row] ?? 0),
      log.text(log.network[row] ?? 0),
      log.text(log.credential[row] ?? 0),
      log.text(log.via[row] ?? 0),
      log.action[row],
      log.resource[row],
      log.network[row],
      log.credential[row],
      log.userAgent(row),
      log.countryOf(row),
      log.flags[row],
      log.eventId(row),
      log.networkClassOfKey(log.network[row] ?? 0),
      log.categoryOfAction(log.action[row] ?? 0),
    ]);
  }
  return { length: log.length, stringCount: log.stringCount, ranges: log.ranges, rows };
}

const detections = (log: ActivityLog) => detectAnomalies(log, { settings: DEFAULT_ACTIVITY_SETTINGS, now: NOW });

describe("ingestion on parsing workers", () => {
  it("needs the compiled worker", () => {
    expect(existsSync(WORKER), `${WORKER} is missing: run npx tsc -p tsconfig.json`).toBe(true);
  });

  it("builds the same log and findings as in process and as event by event, from the demo's AWS stream", async () => {
    const demo = buildDemoEstate(NOW);
    const records = demoTrailRecords(demo.activityLog?.events ?? []);
    expect(records.length).toBeGreaterThan(1000);
    const perFile = Math.ceil(records.length / 12);
    const root = writeTrail(records, perFile);
    const texts: string[] = [];
    for (let start = 0; start < records.length; start += perFile) texts.push(JSON.stringify({ Records: records.slice(start, start + perFile) }));
    const keepIdsSince = NOW.getTime() - 2 * 86_400_000;
    const onWorkers = await ingest(root, 2, keepIdsSince);
    const inProcess = await ingest(root, 1, keepIdsSince);
    expect([onWorkers.workers, inProcess.workers]).toEqual([2, 0]);
    const reference = referenceLog(texts, keepIdsSince);
    expect(dump(onWorkers.log)).toEqual(dump(inProcess.log));
    expect(dump(onWorkers.log)).toEqual(dump(reference));
    expect(onWorkers.tally).toEqual({ records: records.length, events: records.length, skipped: 0 });
    const found = detections(onWorkers.log);
    expect(found).toEqual(detections(inProcess.log));
    expect(found).toEqual(detections(reference));
    // The planted AWS anomalies survive the round trip through trail files.
    expect(found.findings.length).toBeGreaterThan(3);
  });

  it("builds the same log from files with malformed records, a truncated gzip, an empty file and a huge record", async () => {
    const records: unknown[] = [];
    for (let i = 0; i < 400; i++) {
      const hoursAgo = (i * 7) % (24 * 20);
      records.push(
        record({
          eventTime: new Date(NOW.getTime() - hoursAgo * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
          userIdentity: { type: "IAMUser", arn: `arn:aws:iam::222222222222:user/u${i % 13}`, accountId: "222222222222", accessKeyId: `AKIAQ3EXAMPLE${i % 13}` },
          sourceIPAddress: i % 5 === 0 ? `198.51.100.${i % 250}` : `3.84.${i % 200}.9`,
        }),
      );
      if (i % 37 === 0) records.push(...awkwardRecords().slice(-6));
    }
    records.splice(100, 0, record({ requestParameters: { blob: "b".repeat(3 << 20) } }));
    const truncated = gzipSync(JSON.stringify({ Records: records.slice(0, 20) }));
    const root = writeTrail(records, 40, (folder) => {
      writeFileSync(join(folder, "222222222222_CloudTrail_us-east-1_20260310T0003Z_zz01.json.gz"), truncated.subarray(0, truncated.length - 30));
      writeFileSync(join(folder, "222222222222_CloudTrail_us-east-1_20260310T0004Z_zz02.json.gz"), Buffer.alloc(0));
      writeFileSync(join(folder, "222222222222_CloudTrail_us-east-1_20260310T0005Z_zz03.json"), awkwardText());
    });
    const onWorkers = await ingest(root, 3);
    const inProcess = await ingest(root, 1);
    expect(dump(onWorkers.log)).toEqual(dump(inProcess.log));
    expect(onWorkers.tally).toEqual(inProcess.tally);
    expect(onWorkers.sources).toEqual(inProcess.sources);
    expect(onWorkers.sources).toEqual([{ provider: "aws", source: `cloudtrail:file ${root}`, complete: false, note: "2 of 15 file(s) could not be read as CloudTrail logs" }]);
    expect(onWorkers.tally.skipped).toBe(11 * 5 + 17);
    expect(detections(onWorkers.log)).toEqual(detections(inProcess.log));
  });

  it("hands chunks that rebuild the events exactly (the JSON path of activity.files)", () => {
    const writer = new ActivityChunkWriter();
    const event: ActivityEventInput = {
      id: "e-1",
      timeMs: NOW.getTime() - 1234,
      provider: "gcp",
      scopeId: "gcp:project/p",
      principalId: "sa@p.iam.gserviceaccount.com",
      credentialId: undefined,
      kind: "sign_in",
      action: "iam.serviceAccounts.getAccessToken",
      category: "impersonation",
      resource: "r",
      via: "ci@p.iam.gserviceaccount.com",
      sourceAddress: "34.64.1.1",
      network: "inside",
      networkKey: "gcp network",
      country: "DE",
      userAgent: "gcloud",
      outcome: "failure",
    };
    writer.add(event);
    expect([...chunkEvents(writer.finish())]).toEqual([event]);
  });
});
