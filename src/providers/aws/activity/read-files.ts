/** Local CloudTrail files as the AWS activity source (`activity.files.aws`). */
import { chunkEvents } from "../../../activity/event-chunk.js";
import { eventJson } from "../../../activity/event-json.js";
import type { ActivityEvent, ActivityLogData } from "../../../model/activity-log.js";
import { readLocalCloudTrail } from "./local-files.js";
import { loadAwsRanges } from "./ranges.js";

export async function readCloudTrailFiles(
  paths: readonly string[],
  options: { rangesFile?: string | undefined; signal?: AbortSignal | undefined; workers?: number | undefined },
): Promise<ActivityLogData> {
  const events: ActivityEvent[] = [];
  const { sources } = await readLocalCloudTrail(paths, { ranges: loadAwsRanges(options.rangesFile), workers: options.workers, signal: options.signal }, (chunk) => {
    for (const event of chunkEvents(chunk)) events.push(eventJson(event));
  });
  return { sources, events };
}
