/**
 * CloudTrail log files on disk as an activity source: a trail's S3 prefix synced locally, or an
 * export. Directories are walked for `*.json.gz` and `*.json` files in name order (the key layout
 * sorts by account, region and date); each file is read, gunzipped and scanned into a chunk.
 *
 * With more than one parsing worker (`activity.ingestion.workers`, default: one per core) files
 * are parsed on worker threads while the main thread merges what they return. Chunks are handed
 * to the sink in file order whichever worker finishes first, so the log is the same for any
 * number of workers. A few files are not worth starting threads for and are read in process.
 */
import { readdir, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { ActivityChunk, ChunkTally } from "../../../activity/event-chunk.js";
import type { AddressRanges } from "../../../activity/networks.js";
import type { ActivitySource } from "../../../model/activity-log.js";
import { TrailParser } from "./trail-parser.js";

/** Below this many files, reading in process is quicker than starting worker threads. */
export const MIN_FILES_FOR_WORKERS = 8;

export async function cloudTrailFilesUnder(path: string): Promise<string[]> {
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  const files: string[] = [];
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) files.push(...(await cloudTrailFilesUnder(child)));
    else if (entry.name.endsWith(".json.gz") || entry.name.endsWith(".json")) files.push(child);
  }
  return files;
}

export interface LocalCloudTrailOptions {
  ranges: AddressRanges;
  /** Parsing threads; 1 parses in process. Default: the host's available parallelism. */
  workers?: number | undefined;
  /** Event and credential ids of earlier events are not kept (the columnar log's keepIdsSince). */
  keepIdsSince?: number | undefined;
  /** Keep source addresses themselves (default true); the columnar log needs only their networks. */
  keepAddresses?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

export interface LocalCloudTrailResult {
  tally: ChunkTally;
  sources: ActivitySource[];
  /** Worker threads used (0: parsed in process). */
  workers: number;
}

export function defaultParsingWorkers(): number {
  return availableParallelism();
}

/** Reads every CloudTrail file under `paths` into `sink`, a chunk a file; unreadable files become incomplete sources. */
export async function readLocalCloudTrail(paths: readonly string[], options: LocalCloudTrailOptions, sink: (chunk: ActivityChunk) => void): Promise<LocalCloudTrailResult> {
  const { signal } = options;
  const tally: ChunkTally = { records: 0, events: 0, skipped: 0 };
  const sources: ActivitySource[] = [];
  const roots: { root: string; files: string[] }[] = [];
  for (const root of paths) {
    try {
      roots.push({ root, files: await cloudTrailFilesUnder(root) });
    } catch {
      sources.push({ provider: "aws", source: `cloudtrail:file ${root}`, complete: false, note: "the path cannot be read" });
    }
  }
  const fileCount = roots.reduce((sum, { files }) => sum + files.length, 0);
  const wanted = Math.max(1, Math.floor(options.workers ?? defaultParsingWorkers()));
  const workers = wanted > 1 && fileCount >= MIN_FILES_FOR_WORKERS ? wanted : 0;
  const parser = new TrailParser({ ranges: options.ranges, workers, keepIdsSince: options.keepIdsSince, keepAddresses: options.keepAddresses ?? true, signal });
  // A file that cannot be read or parsed settles as undefined: it is counted, never fatal.
  const parse = (file: string): Promise<ActivityChunk | undefined> => parser.parseFile(file).catch(() => undefined);
  // Files ahead of the one being merged: enough to keep every worker busy (in process, the next
  // file is read and gunzipped on libuv's threads while this one is scanned).
  const ahead = workers > 0 ? workers * 2 : 1;
  try {
    for (const { root, files } of roots) {
      const inFlight: Promise<ActivityChunk | undefined>[] = [];
      let started = 0;
      let failed = 0;
      for (let index = 0; index < files.length; index++) {
        signal?.throwIfAborted();
        while (started < files.length && started <= index + ahead) inFlight.push(parse(files[started++] ?? ""));
        const chunk = await inFlight[index];
        inFlight[index] = Promise.resolve(undefined);
        if (chunk === undefined) {
          failed++;
          continue;
        }
        tally.records += chunk.tally.records;
        tally.events += chunk.tally.events;
        tally.skipped += chunk.tally.skipped;
        sink(chunk);
      }
      sources.push({
        provider: "aws",
        source: `cloudtrail:file ${root}`,
        complete: failed === 0,
        ...(failed > 0 ? { note: `${failed} of ${files.length} file(s) could not be read as CloudTrail logs` } : {}),
        ...idsKeptFrom(options.keepIdsSince),
      });
    }
  } finally {
    await parser.close();
  }
  return { tally, sources, workers };
}

/** The source's `idsKeptFrom` when the parser drops the ids of earlier events. */
export function idsKeptFrom(keepIdsSince: number | undefined): { idsKeptFrom?: string } {
  return keepIdsSince === undefined || keepIdsSince <= 0 ? {} : { idsKeptFrom: new Date(keepIdsSince).toISOString() };
}
