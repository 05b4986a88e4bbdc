/**
 * Live CloudTrail collection (#18): the trail's log files from its S3 bucket, listed by the key
 * layout's date prefixes (`<prefix>AWSLogs/<org-id?>/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/`)
 * and read whole; and CloudTrail's event history (LookupEvents) for accounts without a trail
 * bucket, paced at its limit (2 requests a second per account and region, 50 events a page).
 * Every source reports what it covered: a page budget used up, a file that could not be read or a
 * denied listing makes it partial, with the reason.
 */
import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import type { S3Client } from "@aws-sdk/client-s3";
import { ActivityRecords } from "../../../activity/activity-records.js";
import { chunkRowsWithin, type ActivityChunk } from "../../../activity/event-chunk.js";
import type { ActivityEventInput } from "../../../activity/log.js";
import type { AddressRanges } from "../../../activity/networks.js";
import type { ActivitySource } from "../../../model/activity-log.js";
import { cleanInline } from "../../../text/untrusted.js";
import { idsKeptFrom } from "./local-files.js";
import type { AwsCallRunner } from "../calls.js";
import type { AwsActivityConfig } from "../config.js";
import { describeError, isKmsDecryptDenied } from "../errors.js";
import { cloudTrailReads, trailLogReads } from "../reads.js";
import { normalizeCloudTrailRecord } from "./cloudtrail.js";
import { MIN_FILES_FOR_WORKERS, defaultParsingWorkers } from "./local-files.js";
import { TrailParser } from "./trail-parser.js";
const DAY_MS = 86_400_000;
/** A listing that keeps returning continuation tokens past this is reported, not followed forever. */
const MAX_LIST_PAGES = 1000;

export interface CollectAwsActivityOptions {
  config: AwsActivityConfig;
  /** Accounts read from the trail, and those read through LookupEvents. */
  trailAccounts: readonly string[];
  lookupAccounts: readonly string[];
  now: Date;
  runner: AwsCallRunner;
  ranges: AddressRanges;
  /** The S3 client of the session that reads the trail bucket. */
  trailS3?: (() => Promise<S3Client>) | undefined;
  cloudTrail: (accountId: string, region: string) => Promise<CloudTrailClient>;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal | undefined;
  /** Threads that parse trail-bucket objects (1: in process; default: one per core). */
  workers?: number | undefined;
  /** Event and credential ids of trail-bucket events before this time (epoch ms) are not kept. */
  keepIdsSince?: number | undefined;
}

/** The UTC days [from, to] touches, as yyyy/mm/dd key segments. */
function daysBetween(fromMs: number, toMs: number): string[] {
  const days: string[] = [];
  for (let day = Math.floor(fromMs / DAY_MS) * DAY_MS; day <= toMs; day += DAY_MS) days.push(new Date(day).toISOString().slice(0, 10).replace(/-/g, "/"));
  return days;
}

/** The window's events of every source read, in columns, and each source's coverage. */
export async function collectAwsActivity(options: CollectAwsActivityOptions): Promise<ActivityRecords> {
  const { config, now, signal } = options;
  const toMs = now.getTime();
  const fromMs = toMs - config.hours * 3_600_000;
  const records = new ActivityRecords();
  const sources: ActivitySource[] = [];
  const keep = (event: ActivityEventInput) => {
    if (event.timeMs >= fromMs && event.timeMs <= toMs) records.add(event);
  };
  const keepChunk = (chunk: ActivityChunk) => records.addChunk(chunkRowsWithin(chunk, fromMs, toMs));
  const window = { from: new Date(fromMs).toISOString(), to: now.toISOString() };

  const trail = config.trail;
  if (trail && options.trailS3 && options.trailAccounts.length > 0) {
    let s3: S3Client | undefined;
    try {
      s3 = await options.trailS3();
    } catch (error) {
      signal?.throwIfAborted();
      sources.push({ provider: "aws", source: `cloudtrail:s3 s3://${trail.bucket}/${trail.prefix}`, ...window, complete: false, note: `the trail bucket's reader session failed: ${describeError(error)}` });
    }
    if (s3) {
      // Objects are parsed like local files: in process for the first few, then on workers.
      const parser = new TrailParser({
        ranges: options.ranges,
        workers: Math.max(1, Math.floor(options.workers ?? defaultParsingWorkers())),
        inProcessFirst: MIN_FILES_FOR_WORKERS - 1,
        keepIdsSince: options.keepIdsSince,
        keepAddresses: false,
        signal,
      });
      try {
        for (const accountId of options.trailAccounts) {
          for (const region of config.regions) {
            const base = `${trail.prefix}AWSLogs/${trail.organizationId ? `${trail.organizationId}/` : ""}${accountId}/CloudTrail/${region}/`;
            sources.push(await readTrailPrefix(options, s3, trail, base, accountId, daysBetween(fromMs, toMs), parser, keepChunk, window));
          }
        }
      } finally {
        await parser.close();
      }
    }
  }

  for (const accountId of options.lookupAccounts) {
    for (const region of config.regions) sources.push(await lookupEvents(options, accountId, region, fromMs, toMs, keep, window));
  }
  for (const source of sources) records.addSource(source);
  return records;
}

/** What reading one listed object came to, settled in listing order. */
type ObjectOutcome = { chunk: ActivityChunk } | { problem: string };

async function readTrailPrefix(
  options: CollectAwsActivityOptions,
  s3: S3Client,
  trail: { bucket: string; maxFileBytes: number; maxUnpackedBytes: number },
  base: string,
  accountId: string,
  days: readonly string[],
  parser: TrailParser,
  keep: (chunk: ActivityChunk) => void,
  window: { from: string; to: string },
): Promise<ActivitySource> {
  const { runner, signal } = options;
  const { bucket, maxFileBytes, maxUnpackedBytes } = trail;
  const scopeId = `aws:account/${accountId}`;
  const problems: string[] = [];
  let files = 0;
  // Objects are fetched one at a time and parsed while the next ones are fetched; outcomes are
  // used in listing order, so the records and the notes do not depend on which parse ends first.
  const pending: Promise<ObjectOutcome>[] = [];
  // Enough objects in flight to keep every worker busy once they run.
  const ahead = () => Math.max(2, parser.workersUsed * 2);
  const settle = async (): Promise<void> => {
    const outcome = await (pending.shift() as Promise<ObjectOutcome>);
    if ("chunk" in outcome) keep(outcome.chunk);
    else problems.push(outcome.problem);
  };
  const unreadable = (day: string, error: unknown): string =>
    isKmsDecryptDenied(error)
      ? `a log file of ${day} is encrypted with KMS (SSE-KMS) and the reader may not decrypt it: grant kms:Decrypt on the trail's key through S3 (kms:ViaService s3.<region>.amazonaws.com; ${describeError(error)})`
      : `a log file of ${day} could not be read: ${describeError(error)}`;
  for (const day of days) {
    let token: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      signal?.throwIfAborted();
      let listing;
      try {
        listing = await runner.call(trailLogReads.listObjectsV2, s3, { Bucket: bucket, Prefix: `${base}${day}/`, ...(token ? { ContinuationToken: token } : {}) }, scopeId);
      } catch (error) {
        signal?.throwIfAborted();
        pending.push(Promise.resolve({ problem: `listing ${day} failed: ${describeError(error)}` }));
        break;
      }
      for (const object of listing.Contents ?? []) {
        if (!object.Key?.endsWith(".json.gz")) continue;
        files++;
        // Judged from the listing, so an oversized object is never fetched.
        if ((object.Size ?? 0) > maxFileBytes) {
          pending.push(Promise.resolve({ problem: `a log file of ${day} is ${object.Size ?? 0} bytes, over trail.maxFileBytes (${maxFileBytes}): skipped` }));
          continue;
        }
        let bytes: Uint8Array | undefined;
        try {
          const output = await runner.call(trailLogReads.getObject, s3, { Bucket: bucket, Key: object.Key }, scopeId);
          bytes = await output.Body?.transformToByteArray();
          if (!bytes) throw new Error("empty object");
        } catch (error) {
          signal?.throwIfAborted();
          pending.push(Promise.resolve({ problem: unreadable(day, error) }));
          continue;
        }
        // The same reader as local files: gunzipped (capped at maxUnpackedBytes) and scanned into a chunk.
        pending.push(
          parser.parseBytes(bytes, true, maxUnpackedBytes).then(
            (chunk): ObjectOutcome => ({ chunk }),
            (error: unknown): ObjectOutcome => ({ problem: unreadable(day, error) }),
          ),
        );
        while (pending.length > ahead()) await settle();
      }
      token = listing.IsTruncated ? listing.NextContinuationToken : undefined;
      if (!token) break;
    }
  }
  while (pending.length > 0) await settle();
  signal?.throwIfAborted();
  const source: ActivitySource = { provider: "aws", scopeId, source: `cloudtrail:s3 s3://${bucket}/${base}`, ...window, complete: problems.length === 0, ...idsKeptFrom(options.keepIdsSince) };
  if (problems.length > 0) source.note = `${problems.length} problem(s) in ${files} file(s); first: ${problems[0] ?? ""}`;
  return source;
}

async function lookupEvents(
  options: CollectAwsActivityOptions,
  accountId: string,
  region: string,
  fromMs: number,
  toMs: number,
  keep: (event: ActivityEventInput) => void,
  window: { from: string; to: string },
): Promise<ActivitySource> {
  const { config, runner, ranges, signal } = options;
  const scopeId = `aws:account/${accountId}`;
  const source: ActivitySource = { provider: "aws", scopeId, source: `cloudtrail:LookupEvents ${region}`, ...window, complete: false };
  const maxPages = config.lookupEvents?.maxPages ?? 200;
  const interval = 1000 / (config.lookupEvents?.requestsPerSecond ?? 2);
  let client: CloudTrailClient;
  try {
    client = await options.cloudTrail(accountId, region);
  } catch (error) {
    signal?.throwIfAborted();
    source.note = `the account's session failed: ${describeError(error)}`;
    return source;
  }
  let token: string | undefined;
  let oldest = toMs;
  for (let page = 0; page < maxPages; page++) {
    // Paced under the API's limit (2 requests a second per account and region) rather than throttled into it.
    if (page > 0) await options.sleep(interval, signal);
    let output;
    try {
      output = await runner.call(
        cloudTrailReads.lookupEvents,
        client,
        { StartTime: new Date(fromMs), EndTime: new Date(toMs), MaxResults: 50, ...(token ? { NextToken: token } : {}) },
        scopeId,
      );
    } catch (error) {
      signal?.throwIfAborted();
      source.note = `LookupEvents failed after ${page} page(s): ${describeError(error)}; events before ${new Date(oldest).toISOString()} were not read`;
      return source;
    }
    for (const item of output.Events ?? []) {
      if (item.EventTime) oldest = Math.min(oldest, item.EventTime.getTime());
      if (!item.CloudTrailEvent) continue;
      let record: unknown;
      try {
        record = JSON.parse(item.CloudTrailEvent) as unknown;
      } catch {
        continue;
      }
      const event = normalizeCloudTrailRecord(record, ranges);
      if (event) keep(event);
    }
    token = output.NextToken;
    if (!token) {
      source.complete = true;
      return source;
    }
  }
  source.note = `read ${maxPages} page(s) of 50 events back to ${new Date(oldest).toISOString()}: LookupEvents allows 2 requests a second per account and region, so the rest of the window was not read (use the trail bucket instead)`;
  return source;
}

/** What `wiam doctor` learns from reading one log file of the trail. */
export type TrailProbe =
  | { readable: true; key: string }
  | { readable: false; kmsDenied: boolean; detail: string };

/**
 * Lists the trail's prefix for one account and reads its first log file: whether the reader's
 * session can read (and, for a KMS-encrypted trail, decrypt) what collection will read.
 */
export async function probeTrailLogs(options: { runner: AwsCallRunner; s3: S3Client; bucket: string; base: string; scopeId: string; signal?: AbortSignal | undefined }): Promise<TrailProbe> {
  const { runner, s3, bucket, base, scopeId } = options;
  let key: string | undefined;
  try {
    const listing = await runner.call(trailLogReads.listObjectsV2, s3, { Bucket: bucket, Prefix: base, MaxKeys: 10 }, scopeId);
    key = (listing.Contents ?? []).map((object) => object.Key).find((name) => name?.endsWith(".json.gz"));
  } catch (error) {
    return { readable: false, kmsDenied: false, detail: `listing s3://${bucket}/${base} failed: ${describeError(error)}` };
  }
  if (key === undefined) return { readable: false, kmsDenied: false, detail: `no log file under s3://${bucket}/${base}` };
  try {
    // One byte is enough: S3 still has to decrypt the object for it, and a huge object is not fetched.
    const output = await runner.call(trailLogReads.getObject, s3, { Bucket: bucket, Key: key, Range: "bytes=0-0" }, scopeId);
    await output.Body?.transformToByteArray();
    return { readable: true, key: cleanInline(key) };
  } catch (error) {
    // The key is cloud text anyone who writes to the bucket chooses: no escapes reach the terminal.
    return { readable: false, kmsDenied: isKmsDecryptDenied(error), detail: `reading s3://${bucket}/${cleanInline(key)} failed: ${describeError(error)}` };
  }
}
