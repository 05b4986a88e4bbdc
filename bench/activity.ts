/**
 * Activity at scale (#18 item 8): 10 million CloudTrail events of 100k identities over 30 days,
 * as gzip log files in the trail's key layout. Each phase runs in its own process, so peak RSS
 * is its own:
 *
 *   baseline  read every file, gunzip and JSON.parse it, touch each record, on one thread: the
 *             least a JSON reader does (gunzipped with the same output buffer size as ingestion)
 *   ingest    the same files through the server's reader (parsing workers, one per core unless
 *             --workers says otherwise) into the columnar log, then one full detection pass over it
 *   server    a real app (createApp) whose config reads the same files as `activity.files.aws`:
 *             time to its first find_anomalous_activity answer through the call pipeline
 *             (collection, the inventory's log, detection, policy, redaction, audit), then a
 *             second answer over another window (detection and answer only), and peak RSS
 *
 * Targets: ingestion at least 200k events/s, the detection pass at most 5 s, peak RSS at most
 * 1.5 GB, for the reader alone and for the server.
 *
 *   node dist/bench/activity.js              # 10M events, 100k identities (files cached in the temp dir)
 *   node dist/bench/activity.js 1000000 10000 # a smaller run
 *   node dist/bench/activity.js 1000000 10000 --workers 1   # ingestion parsed on the main thread
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import { detectAnomalies } from "../src/activity/detect.js";
import { createApp } from "../src/app.js";
import { parseConfig } from "../src/config/load.js";
import type { Approver } from "../src/governance/governor.js";
import { UNLIMITED } from "./shared.js";
import { DEFAULT_ACTIVITY_SETTINGS } from "../src/activity/detections/types.js";
import { ActivityLogBuilder } from "../src/activity/log.js";
import { loadAwsRanges } from "../src/providers/aws/activity/ranges.js";
import { readLocalCloudTrail } from "../src/providers/aws/activity/local-files.js";
import { gunzipOptions } from "../src/providers/aws/activity/trail-logs.js";

const DAY_MS = 86_400_000;
const NOW = Date.parse("2026-03-10T12:00:00Z");
const DAYS = 30;
const ACCOUNTS = ["111111111111", "222222222222", "333333333333", "444444444444"];
const REGIONS = ["us-east-1", "eu-west-1"];
const ACTIONS = [
  ["sqs.amazonaws.com", "ReceiveMessage"],
  ["sqs.amazonaws.com", "DeleteMessage"],
  ["dynamodb.amazonaws.com", "Query"],
  ["s3.amazonaws.com", "GetObject"],
  ["kms.amazonaws.com", "GenerateDataKey"],
  ["secretsmanager.amazonaws.com", "GetSecretValue"],
  ["sts.amazonaws.com", "GetCallerIdentity"],
  ["ec2.amazonaws.com", "DescribeInstances"],
] as const;
const AGENTS = [
  "aws-sdk-java/2.25.11 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.10",
  "Boto3/1.34.60 md/Botocore#1.34.60 ua/2.0 os/linux#5.10 lang/python#3.12.2",
  "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22",
];

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(0);
}

/** CPU seconds this process has used, every thread counted: a measure the other load on a shared host hardly moves. */
function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

function peakRssMb(): string {
  return mb(process.resourceUsage().maxRSS * 1024);
}

class Random {
  constructor(private seed: number) {}
  next(): number {
    this.seed = (this.seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return this.seed / 2_147_483_648;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

const uuid = (random: Random) =>
  "xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx".replace(/x/g, () => "0123456789abcdef"[random.int(16)] ?? "0");

/** One CloudTrail record as AWS writes it (about 1 KB), for identity `i` at `timeMs`. */
function record(random: Random, i: number, timeMs: number): Record<string, unknown> {
  const account = ACCOUNTS[i % ACCOUNTS.length] ?? "111111111111";
  const role = i % 5 !== 0;
  const [source, name] = ACTIONS[(i + random.int(3)) % ACTIONS.length] ?? ACTIONS[0];
  const day = Math.floor(timeMs / DAY_MS);
  const inside = i % 10 !== 0;
  const address = inside ? `3.${80 + random.int(16)}.${random.int(256)}.${random.int(256)}` : `198.51.${i % 200}.${random.int(256)}`;
  const identity = role
    ? {
        type: "AssumedRole",
        principalId: `AROAQ3EXAMPLE${i}:session-${day}`,
        arn: `arn:aws:sts::${account}:assumed-role/workload-${i}/session-${day}`,
        accountId: account,
        accessKeyId: `ASIAQ3${String(i).padStart(6, "0")}${day % 100}EX`,
        sessionContext: {
          sessionIssuer: { type: "Role", principalId: `AROAQ3EXAMPLE${i}`, arn: `arn:aws:iam::${account}:role/workload-${i}`, accountId: account, userName: `workload-${i}` },
          attributes: { creationDate: new Date(day * DAY_MS).toISOString(), mfaAuthenticated: "false" },
        },
      }
    : {
        type: "IAMUser",
        principalId: `AIDAQ3EXAMPLE${i}`,
        arn: `arn:aws:iam::${account}:user/integration-${i}`,
        accountId: account,
        accessKeyId: `AKIAQ3${String(i).padStart(8, "0")}EX`,
        userName: `integration-${i}`,
      };
  return {
    eventVersion: "1.09",
    userIdentity: identity,
    eventTime: new Date(timeMs).toISOString().replace(/\.\d{3}Z$/, "Z"),
    eventSource: source,
    eventName: name,
    awsRegion: REGIONS[i % REGIONS.length],
    sourceIPAddress: address,
    userAgent: AGENTS[i % AGENTS.length],
    requestParameters: { queueUrl: `https://sqs.us-east-1.amazonaws.com/${account}/queue-${i % 97}`, maxNumberOfMessages: 10 },
    responseElements: null,
    requestID: uuid(random),
    eventID: uuid(random),
    readOnly: true,
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: account,
    eventCategory: "Management",
    tlsDetails: { tlsVersion: "TLSv1.3", cipherSuite: "TLS_AES_128_GCM_SHA256", clientProvidedHostHeader: `${source.split(".")[0] ?? "sqs"}.us-east-1.amazonaws.com` },
  };
}

/** Writes the files once (cached by size): one file per day and shard, in time order within a file. */
function generate(directory: string, events: number, identities: number): void {
  const marker = join(directory, "complete");
  if (existsSync(marker)) return;
  const random = new Random(7);
  const perDay = Math.ceil(events / DAYS);
  const shards = 40;
  let written = 0;
  for (let d = DAYS; d >= 1; d--) {
    const dayStart = NOW - d * DAY_MS;
    const date = new Date(dayStart).toISOString().slice(0, 10).split("-");
    for (let shard = 0; shard < shards && written < events; shard++) {
      const count = Math.min(Math.ceil(perDay / shards), events - written);
      const records: Record<string, unknown>[] = new Array(count);
      for (let k = 0; k < count; k++) {
        const identity = (written + k) % identities;
        records[k] = record(random, identity, dayStart + Math.floor((k / count) * DAY_MS));
      }
      const folder = join(directory, "AWSLogs", "o-a1b2c3d4e5", ACCOUNTS[shard % ACCOUNTS.length] ?? "", "CloudTrail", "us-east-1", ...date);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, `shard-${String(shard).padStart(3, "0")}.json.gz`), gzipSync(JSON.stringify({ Records: records }), { level: 1 }));
      written += count;
    }
  }
  writeFileSync(marker, String(written));
}

function filesUnder(directory: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.name.endsWith(".json.gz")) out.push(path);
  }
  return out.sort();
}

/** The baseline: gunzip and parse every file, and touch each record. */
function baseline(directory: string): void {
  const started = performance.now();
  let records = 0;
  let touched = 0;
  for (const file of filesUnder(directory)) {
    const raw = readFileSync(file);
    const parsed = JSON.parse(gunzipSync(raw, gunzipOptions(raw)).toString("utf8")) as { Records: { eventTime?: string }[] };
    for (const item of parsed.Records) {
      records++;
      if (item.eventTime !== undefined) touched++;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds();
  console.log(JSON.stringify({ phase: "baseline", records, touched, seconds, eventsPerSecond: Math.round(records / seconds), cpuSeconds: cpu, eventsPerCpuSecond: Math.round(records / cpu), peakRssMb: Number(peakRssMb()) }));
}

async function ingestAndDetect(directory: string, workers: number | undefined): Promise<void> {
  const started = performance.now();
  // Event ids are kept for the last two days (what findings cite).
  const keepIdsSince = NOW - 2 * DAY_MS;
  const builder = new ActivityLogBuilder({ keepIdsSince });
  const ranges = loadAwsRanges(undefined);
  const { tally, workers: used } = await readLocalCloudTrail([directory], { ranges, workers, keepIdsSince, keepAddresses: false }, (chunk) => builder.addChunk(chunk));
  const read = performance.now();
  const log = builder.build();
  const built = performance.now();
  const ingestSeconds = (built - started) / 1000;
  const ingestCpuSeconds = cpuSeconds();
  const detectStarted = performance.now();
  const result = detectAnomalies(log, { settings: DEFAULT_ACTIVITY_SETTINGS, now: new Date(NOW) });
  const detectSeconds = (performance.now() - detectStarted) / 1000;
  const heap = process.memoryUsage();
  console.log(
    JSON.stringify({
      phase: "ingest",
      workers: used,
      records: tally.records,
      events: log.length,
      identities: log.ranges.length,
      readSeconds: (read - started) / 1000,
      buildSeconds: (built - read) / 1000,
      ingestSeconds,
      eventsPerSecond: Math.round(tally.records / ingestSeconds),
      cpuSeconds: ingestCpuSeconds,
      eventsPerCpuSecond: Math.round(tally.records / ingestCpuSeconds),
      detectSeconds,
      activeIdentities: result.activeIdentities,
      findings: result.findings.length,
      bySeverity: { high: result.findings.filter((f) => f.severity === "high").length, medium: result.findings.filter((f) => f.severity === "medium").length, low: result.findings.filter((f) => f.severity === "low").length },
      heapUsedMb: Number(mb(heap.heapUsed)),
      arrayBuffersMb: Number(mb(heap.arrayBuffers)),
      peakRssMb: Number(peakRssMb()),
    }),
  );
}

/**
 * The server's path: a real app reads the files as `activity.files.aws` on its first call. Its
 * first answer includes the collection; the second, over another window, only detection and the
 * answer (the log is built once per collection).
 */
async function serveAndAnswer(directory: string, workers: number | undefined): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "wiam-bench-activity-server-"));
  const caller = { sessionId: "bench", clientName: "bench", clientVersion: null, caller: "bench", transport: "cli" as const };
  // Activity of accounts of unknown environment asks a person first (the built-in policy).
  const approve: Approver = async () => ({ outcome: "approved", approver: "bench", note: null });
  const config = parseConfig(
    {
      activity: { files: { aws: [directory] }, ingestion: workers === undefined ? {} : { workers } },
      providers: { demo: { enabled: false } },
      governance: { budgets: { perTask: UNLIMITED, perCaller: UNLIMITED, onExceed: "deny" } },
    },
    "(bench)",
  );
  try {
    const started = performance.now();
    const app = createApp({ config, dataDir, logLevel: "error", now: () => new Date(NOW) });
    const ask = async (since?: string) => {
      const response = await app.pipeline.execute({
        tool: "find_anomalous_activity",
        arguments: { intent: "benchmark of the server's activity path", provider: "aws", ...(since === undefined ? {} : { since }) },
        caller,
        approve,
      });
      if (response.isError) throw new Error(`find_anomalous_activity: ${response.text}`);
      return response.structured as { summary: { activeIdentities: number; eventsInWindow: number; high: number; medium: number; low: number } };
    };
    const first = await ask();
    const firstAnswerSeconds = (performance.now() - started) / 1000;
    const cpu = cpuSeconds();
    const secondStarted = performance.now();
    await ask(new Date(NOW - 12 * 3_600_000).toISOString());
    const secondAnswerSeconds = (performance.now() - secondStarted) / 1000;
    const log = (await app.inventory.get({ taskId: "bench", recordOperation: () => undefined })).inventory.activity;
    const heap = process.memoryUsage();
    console.log(
      JSON.stringify({
        phase: "server",
        events: log.length,
        identities: log.ranges.length,
        firstAnswerSeconds,
        eventsPerSecond: Math.round(log.length / firstAnswerSeconds),
        cpuSeconds: cpu,
        secondAnswerSeconds,
        summary: first.summary,
        heapUsedMb: Number(mb(heap.heapUsed)),
        arrayBuffersMb: Number(mb(heap.arrayBuffers)),
        peakRssMb: Number(peakRssMb()),
      }),
    );
    app.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const [phase, directoryArgument, workersArgument] = process.argv.slice(2);
  if (phase === "--baseline" && directoryArgument) return baseline(directoryArgument);
  if (phase === "--ingest" && directoryArgument) return ingestAndDetect(directoryArgument, workersArgument ? Number(workersArgument) : undefined);
  if (phase === "--server" && directoryArgument) return serveAndAnswer(directoryArgument, workersArgument ? Number(workersArgument) : undefined);
  const workersFlag = process.argv.indexOf("--workers");
  const workers = workersFlag > 0 ? process.argv[workersFlag + 1] : undefined;
  const positional = process.argv.slice(2, workersFlag > 0 ? workersFlag : undefined);
  const events = Number(positional[0] ?? 10_000_000);
  const identities = Number(positional[1] ?? 100_000);
  const directory = join(tmpdir(), `wiam-bench-activity-${events}-${identities}`);
  mkdirSync(directory, { recursive: true });
  const generating = performance.now();
  generate(directory, events, identities);
  console.log(`activity bench: ${events} events, ${identities} identities, ${DAYS} days, files in ${directory} (${((performance.now() - generating) / 1000).toFixed(0)} s to generate or reuse)`);
  const self = fileURLToPath(import.meta.url);
  const run = (flag: string) =>
    JSON.parse(execFileSync(process.execPath, ["--max-old-space-size=4096", self, flag, directory, ...(workers ? [workers] : [])], { encoding: "utf8" }).trim().split("\n").pop() ?? "{}") as Record<string, number>;
  const base = run("--baseline");
  const ingest = run("--ingest");
  const server = run("--server");
  console.log(
    `baseline (gunzip + JSON.parse, one thread): ${base.eventsPerSecond} events/s, ${Number(base.seconds).toFixed(1)} s, ${base.eventsPerCpuSecond} events per CPU second, peak RSS ${base.peakRssMb} MB`,
  );
  console.log(
    `ingest (${ingest.workers === 0 ? "parsed on the main thread" : `${ingest.workers} parsing workers`}, into columns): ${ingest.eventsPerSecond} events/s (${(Number(ingest.eventsPerSecond) / Number(base.eventsPerSecond)).toFixed(2)}x the baseline's rate), ${Number(ingest.ingestSeconds).toFixed(1)} s, ${ingest.eventsPerCpuSecond} events per CPU second (${(Number(ingest.eventsPerCpuSecond) / Number(base.eventsPerCpuSecond)).toFixed(2)}x the baseline's) [target >= 200000 events/s]`,
  );
  console.log(`detection pass: ${Number(ingest.detectSeconds).toFixed(2)} s over ${ingest.events} events, ${ingest.identities} identities [target <= 5 s]`);
  console.log(`peak RSS: ${ingest.peakRssMb} MB [target <= 1536 MB]; findings ${ingest.findings}`);
  console.log(
    `server (createApp, activity.files.aws, first find_anomalous_activity answer): ${Number(server.firstAnswerSeconds).toFixed(1)} s for ${server.events} events, ${server.eventsPerSecond} events/s (${(Number(server.eventsPerSecond) / Number(base.eventsPerSecond)).toFixed(2)}x the baseline's rate) [target >= 200000 events/s]`,
  );
  console.log(`server: a second answer (detection and answer over another window) ${Number(server.secondAnswerSeconds).toFixed(2)} s [target <= 5 s]; peak RSS ${server.peakRssMb} MB [target <= 1536 MB]`);
  console.log(JSON.stringify({ baseline: base, ingest, server }));
}

await main();
