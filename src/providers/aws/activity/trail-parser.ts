/**
 * Parses CloudTrail log files, and objects read from the trail bucket, into chunks: in process, or
 * on a pool of parsing workers once there is enough to parse. Either way a file gives the same
 * chunk, so the log does not depend on where it was parsed. On workers every task has a budget,
 * and cancelling ends the worker busy with it.
 */
import { readFile } from "node:fs/promises";
import { unpackChunk, type ActivityChunk, type PackedActivityChunk } from "../../../activity/event-chunk.js";
import type { AddressRanges } from "../../../activity/networks.js";
import { WorkerPool } from "../../../activity/worker-pool.js";
import { DEFAULT_MAX_UNPACKED_TRAIL_FILE, isGzipName, trailLogBytes, type TrailParseTask, type TrailWorkerData } from "./trail-logs.js";
import { scanCloudTrailFile } from "./trail-scanner.js";

// A file at the unpacked cap scans in seconds: a parse still running after five minutes is stuck
// (or fed a pathological file), and its file is counted unreadable.
const TRAIL_FILE_BUDGET_MS = 5 * 60_000;

export interface TrailParserOptions {
  ranges: AddressRanges;
  /** Parsing threads; 0 or 1 parses in process. */
  workers: number;
  /** Tasks parsed in process before the workers start (a few files are not worth starting threads for). */
  inProcessFirst?: number | undefined;
  /** Event and credential ids of earlier events are not kept (the columnar log's keepIdsSince). */
  keepIdsSince?: number | undefined;
  /** Keep source addresses themselves; the columnar log needs only their networks. */
  keepAddresses: boolean;
  signal?: AbortSignal | undefined;
}

export class TrailParser {
  private pool: WorkerPool<TrailParseTask, PackedActivityChunk> | undefined;
  private started = 0;

  constructor(private readonly options: TrailParserOptions) {}

  /** Worker threads started so far (0: everything was parsed in process). */
  get workersUsed(): number {
    return this.pool?.size ?? 0;
  }

  /** One local file's chunk; rejects when the file cannot be read or is not a CloudTrail log. */
  parseFile(path: string): Promise<ActivityChunk> {
    const pool = this.poolForNextTask();
    if (pool) return pool.run(this.task({ path }), [], this.options.signal).then(unpackChunk);
    return readFile(path).then((raw) => this.scanInProcess(raw, isGzipName(path), DEFAULT_MAX_UNPACKED_TRAIL_FILE));
  }

  /** An object's bytes (they are handed to a worker: do not use them afterwards). */
  parseBytes(bytes: Uint8Array, gzipped: boolean, maxUnpacked: number): Promise<ActivityChunk> {
    const pool = this.poolForNextTask();
    if (pool) {
      // A buffer shared with other views (Node's pool for small reads) is copied, never handed over.
      const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
      return pool.run(this.task({ bytes, gzipped, maxUnpacked }), owned ? [bytes.buffer] : [], this.options.signal).then(unpackChunk);
    }
    return this.scanInProcess(bytes, gzipped, maxUnpacked);
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }

  private async scanInProcess(raw: Uint8Array, gzipped: boolean, maxUnpacked: number): Promise<ActivityChunk> {
    const bytes = await trailLogBytes(raw, gzipped, maxUnpacked);
    return scanCloudTrailFile(bytes, { ranges: this.options.ranges, keepIdsSince: this.options.keepIdsSince, keepAddresses: this.options.keepAddresses });
  }

  private task(source: { path: string } | { bytes: Uint8Array; gzipped: boolean; maxUnpacked: number }): TrailParseTask {
    return { ...source, keepIdsSince: this.options.keepIdsSince, keepAddresses: this.options.keepAddresses };
  }

  private poolForNextTask(): WorkerPool<TrailParseTask, PackedActivityChunk> | undefined {
    const { workers, inProcessFirst = 0 } = this.options;
    if (workers <= 1 || this.started++ < inProcessFirst) return undefined;
    if (this.pool === undefined) {
      const data: TrailWorkerData = { cidrs: this.options.ranges.cidrs };
      this.pool = new WorkerPool<TrailParseTask, PackedActivityChunk>(trailWorkerScript(), workers, data, { taskBudgetMs: () => TRAIL_FILE_BUDGET_MS });
    }
    return this.pool;
  }
}

/**
 * The worker's compiled script. Tests run this module from its TypeScript source, which a worker
 * thread cannot load on Node 20; they use the compiled one (npx tsc -p tsconfig.json).
 */
function trailWorkerScript(): URL {
  const here = import.meta.url;
  return here.endsWith(".ts") ? new URL("../../../../dist/src/providers/aws/activity/trail-worker.js", here) : new URL("./trail-worker.js", here);
}
