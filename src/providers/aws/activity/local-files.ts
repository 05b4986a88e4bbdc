/**
 * CloudTrail log files on disk as an activity source: a trail's S3 prefix synced locally, or an
 * export. Directories are walked for `*.json.gz` and `*.json` files in name order (the key layout
 * sorts by account, region and date); each file is read, gunzipped and normalized.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import type { ActivityEventInput } from "../../../activity/log.js";
import type { AddressRanges } from "../../../activity/networks.js";
import type { ActivitySource } from "../../../model/activity-log.js";
import { ingestCloudTrailText, type CloudTrailTally } from "./cloudtrail.js";

const gunzipAsync = promisify(gunzip);

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

export interface LocalCloudTrailResult {
  tally: CloudTrailTally;
  sources: ActivitySource[];
}

/** Reads every CloudTrail file under `paths` into `sink`; unreadable files become incomplete sources. */
export async function readLocalCloudTrail(
  paths: readonly string[],
  ranges: AddressRanges,
  sink: (event: ActivityEventInput) => void,
  signal?: AbortSignal,
): Promise<LocalCloudTrailResult> {
  const tally: CloudTrailTally = { records: 0, events: 0, skipped: 0 };
  const sources: ActivitySource[] = [];
  for (const root of paths) {
    let files: string[];
    try {
      files = await cloudTrailFilesUnder(root);
    } catch {
      sources.push({ provider: "aws", source: `cloudtrail:file ${root}`, complete: false, note: "the path cannot be read" });
      continue;
    }
    const failed: string[] = [];
    // The next file is read and gunzipped (on libuv's thread pool) while this one is parsed and
    // normalized on the main thread: the two cores of a small host both work.
    const load = async (file: string): Promise<string> => {
      const raw = await readFile(file);
      return file.endsWith(".gz") ? (await gunzipAsync(raw)).toString("utf8") : raw.toString("utf8");
    };
    const settle = (file: string | undefined) => (file === undefined ? undefined : load(file).then((text) => ({ text }), () => ({ text: undefined })));
    let next = settle(files[0]);
    for (let index = 0; index < files.length; index++) {
      signal?.throwIfAborted();
      const current = await next;
      next = settle(files[index + 1]);
      try {
        if (current?.text === undefined) throw new Error("unreadable");
        ingestCloudTrailText(current.text, ranges, sink, tally);
      } catch {
        failed.push(files[index] ?? "");
      }
    }
    sources.push({
      provider: "aws",
      source: `cloudtrail:file ${root}`,
      complete: failed.length === 0,
      ...(failed.length > 0 ? { note: `${failed.length} of ${files.length} file(s) could not be read as CloudTrail logs` } : {}),
    });
  }
  return { tally, sources };
}
