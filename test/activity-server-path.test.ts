/**
 * Activity on the server's own path (#18 items 2 and 8): every reader hands its events to the
 * inventory in columns (ActivityRecords), never as an object each, and nothing in the answers
 * moves. The demo estate's AWS stream, written as CloudTrail files, is answered through real MCP
 * clients of real apps three ways — `activity.files` on parsing workers, the same in process, and
 * the per-event JSON a snapshot file holds (what the server used to keep) — with the same answer.
 * Trail-bucket objects read through the real S3 client from the wire fake are parsed on the
 * worker pool with the same log as in process and as the same files on disk; the unpacked size
 * cap still refuses a gzip bomb there, and cancelling stops the collection. Readers of files keep
 * event ids over the detection window at least (activity.ingestion.keepIdsHours), and stored
 * copies keep activity in columns.
 *
 * The worker path runs the compiled worker (dist/): `npx tsc -p tsconfig.json` first.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ActivityRecords, activityEventCount } from "../src/activity/activity-records.js";
import { detectAnomalies } from "../src/activity/detect.js";
import { DEFAULT_ACTIVITY_SETTINGS } from "../src/activity/detections/types.js";
import { eventInput, eventJson } from "../src/activity/event-json.js";
import { ActivityLog, type ActivityEventInput } from "../src/activity/log.js";
import { buildDemoEstate } from "../src/connectors/demo/index.js";
import { mergeSnapshots } from "../src/connectors/merge.js";
import type { ActivityEvent, ActivitySource } from "../src/model/activity-log.js";
import { decodeInventory, encodeInventory } from "../src/history/columnar-codec.js";
import { emptySnapshot } from "../src/model/inventory.js";
import { ingestCloudTrailText } from "../src/providers/aws/activity/cloudtrail.js";
import { readCloudTrailFiles } from "../src/providers/aws/activity/read-files.js";
import { loadAwsRanges } from "../src/providers/aws/activity/ranges.js";
import { TrailParser } from "../src/providers/aws/activity/trail-parser.js";
import { scanCloudTrailFile } from "../src/providers/aws/activity/trail-scanner.js";
import { createAwsConnector, type AwsConnector } from "../src/providers/aws/index.js";
import { FAKE_BASE_CREDENTIALS, collectWith } from "./fakes/aws/harness.js";
import { FakeAwsServer } from "./fakes/aws/server.js";
import { DEV, PROD, READ_ROLE, smallEstate } from "./fakes/aws/small-estate.js";
import { demoTrailFiles } from "./fixtures/demo-trail.js";
import { connect } from "./fixtures/mcp.js";

const NOW = new Date("2026-03-10T12:00:00Z");
const ORG = "o-a1b2c3d4e5";
const BUCKET = "acme-org-trail";
const RANGES = loadAwsRanges(undefined);
const demoEvents = buildDemoEstate(NOW).activityLog?.events ?? [];
// Small files: dozens of them, so reading them starts the parsing workers.
const trailFiles = demoTrailFiles(demoEvents, { organizationId: ORG, accountId: PROD, perFile: 40 });

function writeFiles(files: ReadonlyMap<string, Buffer>): string {
  const root = mkdtempSync(join(tmpdir(), "wiam-server-path-"));
  for (const [key, bytes] of files) {
    mkdirSync(join(root, dirname(key)), { recursive: true });
    writeFileSync(join(root, key), bytes);
  }
  return root;
}

/** The events as the per-event reader made them: every file JSON.parsed, each record normalized and spelled out, in key order. */
function jsonEventsOf(files: ReadonlyMap<string, Buffer>): ActivityEvent[] {
  const events: ActivityEvent[] = [];
  for (const key of [...files.keys()].sort()) {
    ingestCloudTrailText(gunzipSync(files.get(key) as Buffer).toString("utf8"), RANGES, (event) => events.push(eventJson(event)), { records: 0, events: 0, skipped: 0 });
  }
  return events;
}

describe("activity on the server's path", () => {
  it("answers find_anomalous_activity from activity.files on workers, in process, and from the same events as JSON, identically", async () => {
    expect(trailFiles.size).toBeGreaterThan(20);
    const root = writeFiles(trailFiles);
    const source: ActivitySource = { provider: "aws", source: `cloudtrail:file ${root}`, complete: true };
    const snapshotPath = join(mkdtempSync(join(tmpdir(), "wiam-server-path-snapshot-")), "activity.json");
    writeFileSync(snapshotPath, JSON.stringify({ ...emptySnapshot(NOW.toISOString()), activityLog: { sources: [source], events: jsonEventsOf(trailFiles) } }));

    const answer = async (config: Record<string, unknown>): Promise<Record<string, unknown>> => {
      const session = await connect({ ...config, providers: { demo: { enabled: false }, ...(config.providers as object | undefined) } }, { now: () => NOW });
      try {
        const result = await session.client.callTool({ name: "find_anomalous_activity", arguments: { intent: "comparing the server's activity paths", min_severity: "low", limit: 500 } });
        expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
        const { dataSource: _dataSource, ...rest } = result.structuredContent as Record<string, unknown>;
        return rest;
      } finally {
        await session.close();
      }
    };
    const onWorkers = await answer({ activity: { files: { aws: [root] }, ingestion: { workers: 2 } } });
    const inProcess = await answer({ activity: { files: { aws: [root] }, ingestion: { workers: 1 } } });
    const fromJson = await answer({ providers: { snapshot: { paths: [snapshotPath] } } });

    const findings = onWorkers.findings as { code: string; evidence: { eventId: string | null }[] }[];
    expect(findings.length).toBeGreaterThan(3);
    expect(new Set(findings.map((finding) => finding.code)).size).toBeGreaterThan(2);
    // Findings cite recent events, whose ids the readers keep (activity.ingestion.keepIdsHours).
    expect(findings.flatMap((finding) => finding.evidence).every((evidence) => evidence.eventId !== null)).toBe(true);
    expect(onWorkers).toEqual(inProcess);
    expect(onWorkers).toEqual(fromJson);
  });
});

describe("ids kept by the file reader (activity.ingestion.keepIdsHours)", () => {
  const root = writeFiles(trailFiles);
  const evidenceOf = async (activity: Record<string, unknown>, args: Record<string, unknown> = {}) => {
    const session = await connect({ activity: { files: { aws: [root] }, ...activity }, providers: { demo: { enabled: false } } }, { now: () => NOW });
    try {
      const result = await session.client.callTool({ name: "find_anomalous_activity", arguments: { intent: "checking which event ids are kept", min_severity: "low", limit: 500, ...args } });
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      return (result.structuredContent as { findings: { evidence: { eventId: string | null; time: string }[] }[] }).findings.flatMap((finding) => finding.evidence);
    } finally {
      await session.close();
    }
  };

  it("are kept over the detection window at least, whatever the setting", async () => {
    // One hour asked for, but the detection window is three days: ids are kept over those.
    const evidence = await evidenceOf({ detectionHours: 72, ingestion: { keepIdsHours: 1 } });
    expect(evidence.length).toBeGreaterThan(3);
    expect(evidence.filter((item) => item.eventId === null)).toEqual([]);
  });

  it("are not kept for older events, which a window reaching further back cites without an id", async () => {
    // The one-hour window and the ten minutes of overlap before it, in whole hours: two.
    const keptFrom = NOW.getTime() - 2 * 3_600_000;
    const evidence = await evidenceOf({ detectionHours: 1, ingestion: { keepIdsHours: 1 } }, { since: new Date(NOW.getTime() - 86_400_000).toISOString() });
    expect(evidence.some((item) => Date.parse(item.time) < keptFrom)).toBe(true);
    expect(evidence.map((item) => [item.time, item.eventId === null])).toEqual(evidence.map((item) => [item.time, Date.parse(item.time) < keptFrom]));
  });

  it("make an answer whose window reaches back past them say which comparison is blind there (review 3, #12)", async () => {
    const incompleteOf = async (args: Record<string, unknown>) => {
      const session = await connect({ activity: { files: { aws: [root] }, detectionHours: 1, ingestion: { keepIdsHours: 1 } }, providers: { demo: { enabled: false } } }, { now: () => NOW });
      try {
        const result = await session.client.callTool({ name: "find_anomalous_activity", arguments: { intent: "checking what an old window cannot compare", ...args } });
        return (result.structuredContent as { incomplete: unknown[] }).incomplete;
      } finally {
        await session.close();
      }
    };
    const keptFrom = new Date(NOW.getTime() - 2 * 3_600_000).toISOString();
    expect(await incompleteOf({})).toEqual([]);
    expect(await incompleteOf({ since: new Date(NOW.getTime() - 86_400_000).toISOString() })).toEqual([
      {
        provider: "aws",
        scopeId: null,
        source: `cloudtrail:file ${root}`,
        reason: `event and credential ids are kept only from ${keptFrom} (activity.ingestion.keepIdsHours): before then, one credential's use from two distant networks is not compared and evidence has no event id`,
      },
    ]);
  });
});

describe("ActivityRecords", () => {
  const input = (overrides: Partial<ActivityEventInput>): ActivityEventInput => ({
    id: "e-1",
    timeMs: Date.parse("2026-03-10T11:00:00.250Z"),
    provider: "azure",
    scopeId: "/subscriptions/5d8e2f10-3a4b-4c5d-9e6f-7a8b9c0d1e2f",
    principalId: "9a1b2c3d-0000-4000-8000-000000000001",
    credentialId: "key-1",
    kind: "sign_in",
    action: "signIn",
    category: undefined,
    resource: undefined,
    via: undefined,
    sourceAddress: "198.51.100.7",
    network: "outside",
    networkKey: undefined,
    country: "DE",
    userAgent: "azure-cli/2.60",
    outcome: "failure",
    ...overrides,
  });

  it("give back the events of the snapshot format exactly: milliseconds, each event's own scope, addresses", () => {
    const events = [
      eventJson(input({})),
      eventJson(input({ id: "e-2", timeMs: Date.parse("2026-03-10T11:05:00Z"), scopeId: "azure:tenant/7c3f1a2b-4d5e-4f60-8a91-b2c3d4e5f607", kind: "api_call", action: "Microsoft.Authorization/roleAssignments/write", category: "iam_change", resource: "/subscriptions/5d8e2f10-3a4b-4c5d-9e6f-7a8b9c0d1e2f", outcome: "success", country: undefined })),
      eventJson(input({ id: "e-3", timeMs: Date.parse("2026-03-10T11:06:00.999Z"), principalId: "sa@p.iam.gserviceaccount.com", provider: "gcp", scopeId: "projects/p", sourceAddress: undefined, network: "unknown", credentialId: undefined, userAgent: undefined, country: undefined, via: "ci@p.iam.gserviceaccount.com" })),
    ];
    const records = ActivityRecords.fromData({ sources: [{ provider: "azure", source: "graph:beta/auditLogs/signIns", complete: true }], events });
    expect(records.events).toEqual(events);
    expect(JSON.parse(JSON.stringify(records))).toEqual({ sources: records.sources, events });
    expect([records.eventCount, activityEventCount(records), activityEventCount({ sources: [], events })]).toEqual([3, 3, 3]);
  });

  it("build their log once, shared by every inventory of the collection, and equal to the log of their events one by one", () => {
    const records = ActivityRecords.fromData({ sources: [], events: demoEvents });
    const reference = ActivityLog.fromEvents(demoEvents);
    const log = records.log();
    expect(records.log()).toBe(log);
    expect(detectAnomalies(log, { settings: DEFAULT_ACTIVITY_SETTINGS, now: NOW })).toEqual(detectAnomalies(reference, { settings: DEFAULT_ACTIVITY_SETTINGS, now: NOW }));
    expect(log.length).toBe(reference.length);
    // Built, the collected columns are gone: the events are spelled out from the log (whole
    // seconds, no addresses; a merge reads them so, see below), and no more events are taken.
    expect(records.events).toHaveLength(log.length);
    expect(records.events.every((event) => event.sourceAddress === undefined && event.time.endsWith(".000Z"))).toBe(true);
    expect(() => records.add(eventInput(demoEvents[0] as ActivityEvent))).toThrow("the activity records were built into their log: they take no more events");
    expect(records.eventCount).toBe(demoEvents.length);
  });

  it("built alone (the only part with activity) still join a later merge with a new part (review 3, #9)", () => {
    const half = Math.floor(demoEvents.length / 2);
    const alone = ActivityRecords.fromData({ sources: [{ provider: "aws" as const, source: "a", complete: true }], events: demoEvents.slice(0, half) });
    const snapshot = (activityLog?: ActivityRecords) => ({ ...emptySnapshot(NOW.toISOString()), ...(activityLog ? { activityLog } : {}) });
    // First merge: the other part has no activity, so this part is shared and its log built.
    const first = mergeSnapshots([snapshot(alone), snapshot()], NOW).activityLog as ActivityRecords;
    expect(first).toBe(alone);
    first.log();
    // The other part is collected again and now has activity: the merge reads the built part from its log.
    const later = ActivityRecords.fromData({ sources: [{ provider: "aws" as const, source: "b", complete: true }], events: demoEvents.slice(half) });
    const merged = mergeSnapshots([snapshot(alone), snapshot(later)], NOW).activityLog as ActivityRecords;
    expect(merged.sources.map((source) => source.source)).toEqual(["a", "b"]);
    const expected = detectAnomalies(ActivityLog.fromEvents(demoEvents), { settings: DEFAULT_ACTIVITY_SETTINGS, now: NOW });
    expect(detectAnomalies(merged.log(), { settings: DEFAULT_ACTIVITY_SETTINGS, now: NOW })).toEqual(expected);
    expect(merged.log().length).toBe(ActivityLog.fromEvents(demoEvents).length);
  });

  it("of several parts merge into the log their events make one by one, part after part", () => {
    const half = Math.floor(demoEvents.length / 2);
    const first = { sources: [{ provider: "aws" as const, source: "a", complete: true }], events: demoEvents.slice(0, half) };
    const second = ActivityRecords.fromData({ sources: [{ provider: "aws" as const, source: "b", complete: false, note: "partly" }], events: demoEvents.slice(half) });
    const merged = mergeSnapshots(
      [
        { ...emptySnapshot(NOW.toISOString()), activityLog: first },
        { ...emptySnapshot(NOW.toISOString()), activityLog: second },
      ],
      NOW,
    ).activityLog as ActivityRecords;
    expect(merged.sources.map((source) => source.source)).toEqual(["a", "b"]);
    expect(merged.events).toEqual(ActivityRecords.fromData({ sources: [], events: demoEvents }).events);
    const expected = detectAnomalies(ActivityLog.fromEvents(demoEvents), { settings: DEFAULT_ACTIVITY_SETTINGS, now: NOW });
    expect(detectAnomalies(merged.log(), { settings: DEFAULT_ACTIVITY_SETTINGS, now: NOW })).toEqual(expected);
    // The parts stay readable: a later merge (another refresh) reads them again.
    expect(second.events).toHaveLength(demoEvents.length - half);
  });
});

describe("the stored copy (history)", () => {
  it("keeps activity in columns and gives back the same records, log and findings", () => {
    const awsTenth = demoEvents.filter((_, index) => index % 10 === 0);
    const withMilliseconds = awsTenth.map((event, index) => (index % 3 === 0 ? { ...event, time: event.time.replace(".000Z", `.${String(index % 1000).padStart(3, "0")}Z`) } : event));
    const records = ActivityRecords.fromData({ sources: [{ provider: "aws", source: "cloudtrail:s3 s3://acme-org-trail/AWSLogs/", complete: false, note: "1 problem(s)" }], events: withMilliseconds });
    const decoded = decodeInventory(encodeInventory({ ...emptySnapshot(NOW.toISOString()), activityLog: records })).snapshot.activityLog;
    expect(decoded).toBeInstanceOf(ActivityRecords);
    const restored = decoded as ActivityRecords;
    expect(restored.sources).toEqual(records.sources);
    expect(restored.events).toEqual(records.events);
    expect(restored.events.map((event) => event.time)).toEqual(withMilliseconds.map((event) => new Date(event.time).toISOString()));
    const detect = (log: ActivityLog) => detectAnomalies(log, { settings: DEFAULT_ACTIVITY_SETTINGS, now: NOW });
    expect(detect(restored.log())).toEqual(detect(ActivityLog.fromEvents(withMilliseconds)));
  });
});

describe("trail-bucket objects on the parsing workers", () => {
  let fake: FakeAwsServer;
  const connectors: AwsConnector[] = [];
  const PREFIX = "server-path/";
  const MAX_UNPACKED = 4 * 1024 * 1024;
  const bombKey = `${PREFIX}AWSLogs/${ORG}/${PROD}/CloudTrail/us-east-1/2026/03/10/${PROD}_CloudTrail_us-east-1_20260310T9999Z_bomb.json.gz`;

  beforeAll(async () => {
    const estate = smallEstate();
    const prod = estate.accounts[PROD];
    if (!prod) throw new Error("small estate changed: PROD expected");
    prod.trailObjects = Object.fromEntries([...trailFiles].map(([key, bytes]) => [`${BUCKET}/${PREFIX}${key}`, bytes]));
    // Listed last, so it is parsed on a worker: 16 MiB of zeros in about 16 KB of gzip.
    prod.trailObjects[`${BUCKET}/${bombKey}`] = gzipSync(Buffer.alloc(16 * 1024 * 1024));
    fake = await FakeAwsServer.start(estate);
    process.env.AWS_ENDPOINT_URL = fake.url;
    process.env.AWS_REGION = "us-east-1";
  });
  afterAll(async () => {
    for (const connector of connectors.splice(0)) connector.close();
    await fake.close();
  });

  const collect = async (workers: number) => {
    const connector = createAwsConnector(
      {
        accounts: [
          { id: PROD, name: "prod", roleArn: READ_ROLE(PROD) },
          { id: DEV, name: "dev", roleArn: READ_ROLE(DEV), externalId: "dev-EXAMPLE" },
        ],
        cacheTtlSeconds: 0,
        activity: { hours: 24 * 40, trail: { bucket: BUCKET, prefix: PREFIX, organizationId: ORG, readerAccountId: PROD, maxUnpackedBytes: MAX_UNPACKED } },
      },
      { credentials: FAKE_BASE_CREDENTIALS, now: () => NOW, caller: "analyst@example.com", activityIngestion: { workers } },
    );
    connectors.push(connector);
    const { snapshot } = await collectWith(connector, `trail-${workers}`, { now: NOW });
    return snapshot.activityLog as ActivityRecords;
  };

  it("gives the same records, notes and findings on workers as in process and as the same files on disk", async () => {
    const onWorkers = await collect(2);
    const inProcess = await collect(1);
    const fromDisk = await readCloudTrailFiles([writeFiles(trailFiles)], { workers: 1 });
    expect(onWorkers).toBeInstanceOf(ActivityRecords);
    expect(onWorkers.eventCount).toBe(demoEvents.filter((event) => event.provider === "aws").length);
    expect(onWorkers.events).toEqual(inProcess.events);
    expect(onWorkers.events).toEqual(fromDisk.events);
    expect(onWorkers.sources).toEqual(inProcess.sources);
    // The bomb was refused on a worker as it is in process: a gap, not a crash.
    expect(onWorkers.sources.find((source) => source.scopeId === `aws:account/${PROD}`)?.note).toBe(
      `1 problem(s) in ${trailFiles.size + 1} file(s); first: a log file of 2026/03/10 could not be read: Error: larger than ${MAX_UNPACKED} bytes when unpacked: refused`,
    );
    const findings = (records: ActivityRecords) => detectAnomalies(records.log(), { settings: DEFAULT_ACTIVITY_SETTINGS, now: NOW });
    const expected = findings(fromDisk);
    expect(expected.findings.length).toBeGreaterThan(3);
    expect(findings(onWorkers)).toEqual(expected);
    expect(findings(inProcess)).toEqual(expected);
  });

  it("stop when the collection is cancelled while objects are read and parsed on workers, and the next collection reads them all", async () => {
    // The twelfth object's read hangs: by then the pool runs and earlier objects are in flight.
    const slowKey = `${PREFIX}${[...trailFiles.keys()][11] ?? ""}`;
    fake.addFault({ action: "GetObject", params: { Key: slowKey }, kind: "delay", delayMs: 120_000, times: 1 });
    const controller = new AbortController();
    const connector = createAwsConnector(
      { accounts: [{ id: PROD, name: "prod", roleArn: READ_ROLE(PROD) }], cacheTtlSeconds: 0, activity: { hours: 24 * 40, trail: { bucket: BUCKET, prefix: PREFIX, organizationId: ORG, readerAccountId: PROD, maxUnpackedBytes: MAX_UNPACKED } } },
      { credentials: FAKE_BASE_CREDENTIALS, now: () => NOW, caller: "analyst@example.com", activityIngestion: { workers: 2 } },
    );
    connectors.push(connector);
    try {
      const collecting = collectWith(connector, "trail-cancelled", { now: NOW, signal: controller.signal });
      while (!fake.callsOf("GetObject").some((request) => request.params.Key === slowKey)) await new Promise((resolve) => setTimeout(resolve, 5));
      controller.abort(new Error("the analyst cancelled the collection"));
      await expect(collecting).rejects.toThrow("the analyst cancelled the collection");
    } finally {
      fake.clearFaults();
    }
    const again = await collect(2);
    expect(again.eventCount).toBe(demoEvents.filter((event) => event.provider === "aws").length);
  });

  it("parses an object's bytes on a worker into the chunk the main thread makes; bytes it does not own are copied, never taken", async () => {
    const bytes = [...trailFiles.values()][0] ?? Buffer.alloc(0);
    const inProcess = scanCloudTrailFile(gunzipSync(bytes), { ranges: RANGES, keepAddresses: false });
    const plain = (chunk: typeof inProcess) => ({ ...chunk, fields: [...chunk.fields], timeMs: [...chunk.timeMs] });
    const parser = new TrailParser({ ranges: RANGES, workers: 2, keepAddresses: false });
    try {
      // A view into a larger buffer (as Node's pooled reads are): copied, and still the caller's.
      const shared = new Uint8Array(bytes.length + 32);
      shared.set(bytes, 16);
      const view = shared.subarray(16, 16 + bytes.length);
      expect(plain(await parser.parseBytes(view, true, MAX_UNPACKED))).toEqual(plain(inProcess));
      expect(parser.workersUsed).toBe(2);
      expect(view.length).toBe(bytes.length);
      // Bytes that own their buffer (an object's body) are handed over without a copy.
      const owned = new Uint8Array(bytes);
      expect(plain(await parser.parseBytes(owned, true, MAX_UNPACKED))).toEqual(plain(inProcess));
      expect(owned.length).toBe(0);
    } finally {
      await parser.close();
    }
  });
});
