/**
 * One CloudTrail log file, raw bytes to chunk: gunzipped (when it is gzip) and scanned. The same
 * function runs in a parsing worker and in process, for local files and for objects read from the
 * trail bucket.
 */
import { readFileSync } from "node:fs";
import { gunzip, gunzipSync, type ZlibOptions } from "node:zlib";
import { promisify } from "node:util";
import type { ActivityChunk } from "../../../activity/event-chunk.js";
import { scanCloudTrailFile, type TrailScanOptions } from "./trail-scanner.js";

const MIN_OUTPUT_CHUNK = 64 * 1024;
const MAX_OUTPUT_CHUNK = 32 * 1024 * 1024;
const gunzipAsync = promisify(gunzip);

/**
 * Output buffer size for gunzipping `raw`: the size the gzip trailer states (ISIZE, the last
 * member's length modulo 4 GiB; only a hint), within bounds. zlib's default of 16 KiB makes a
 * megabyte file hundreds of pieces to join; one piece is about a third faster.
 */
export function gunzipOptions(raw: Uint8Array, maxUnpacked = DEFAULT_MAX_UNPACKED_TRAIL_FILE): ZlibOptions {
  const stated = raw.length >= 4 ? ((raw[raw.length - 4] as number) | ((raw[raw.length - 3] as number) << 8) | ((raw[raw.length - 2] as number) << 16)) + (raw[raw.length - 1] as number) * 16_777_216 : 0;
  return { chunkSize: Math.min(MAX_OUTPUT_CHUNK, maxUnpacked + 1, Math.max(MIN_OUTPUT_CHUNK, stated + 1)) };
}

/** Unpacked bytes one log file may reach; past it the file is refused (a gzip bomb must not fill memory). */
export const DEFAULT_MAX_UNPACKED_TRAIL_FILE = 512 * 1024 * 1024;

/** A file whose gunzipped size passes the cap; the scanner's span offsets also stay well under 2 GiB. */
export class TrailFileTooLargeError extends Error {}

function refuseOversize(error: unknown, maxUnpacked: number): never {
  if (error instanceof RangeError && "code" in error && error.code === "ERR_BUFFER_TOO_LARGE") {
    throw new TrailFileTooLargeError(`larger than ${maxUnpacked} bytes when unpacked: refused`);
  }
  throw error;
}

export function isGzipName(name: string): boolean {
  return name.endsWith(".gz");
}

/** The file's events as a chunk; throws when the file is not a (gzip) CloudTrail log. */
export function trailLogChunk(raw: Uint8Array, gzipped: boolean, options: TrailScanOptions, maxUnpacked = DEFAULT_MAX_UNPACKED_TRAIL_FILE): ActivityChunk {
  if (!gzipped) return scanCloudTrailFile(checkedPlain(raw, maxUnpacked), options);
  let bytes: Uint8Array;
  try {
    bytes = gunzipSync(raw, { ...gunzipOptions(raw, maxUnpacked), maxOutputLength: maxUnpacked });
  } catch (error) {
    refuseOversize(error, maxUnpacked);
  }
  return scanCloudTrailFile(bytes, options);
}

/** The same, gunzipping on libuv's thread pool so the calling thread can scan meanwhile. */
export async function trailLogBytes(raw: Uint8Array, gzipped: boolean, maxUnpacked = DEFAULT_MAX_UNPACKED_TRAIL_FILE): Promise<Uint8Array> {
  if (!gzipped) return checkedPlain(raw, maxUnpacked);
  try {
    return await gunzipAsync(raw, { ...gunzipOptions(raw, maxUnpacked), maxOutputLength: maxUnpacked });
  } catch (error) {
    refuseOversize(error, maxUnpacked);
  }
}

function checkedPlain(raw: Uint8Array, maxUnpacked: number): Uint8Array {
  if (raw.length > maxUnpacked) throw new TrailFileTooLargeError(`larger than ${maxUnpacked} bytes: refused`);
  return raw;
}

/**
 * What a parsing worker is asked, with the scan settings: a file by path (read in the worker), or
 * the bytes of an object read from the trail bucket (handed over, not copied, when they own their
 * buffer) with its unpacked size cap.
 */
export type TrailParseTask = ({ path: string } | { bytes: Uint8Array; gzipped: boolean; maxUnpacked: number }) & {
  keepIdsSince?: number | undefined;
  keepAddresses: boolean;
};

export interface TrailWorkerData {
  /** The address ranges that make "inside AWS", as CIDRs. */
  cidrs: readonly string[];
}

export function readTrailFileChunk(task: TrailParseTask, options: Omit<TrailScanOptions, "keepIdsSince" | "keepAddresses">): ActivityChunk {
  const scan = { ...options, keepIdsSince: task.keepIdsSince, keepAddresses: task.keepAddresses };
  if ("bytes" in task) return trailLogChunk(task.bytes, task.gzipped, scan, task.maxUnpacked);
  return trailLogChunk(readFileSync(task.path), isGzipName(task.path), scan);
}
