/** Local CloudTrail files as the AWS activity source (`activity.files.aws`). */
import { eventJson } from "../../../activity/event-json.js";
import type { ActivityEvent, ActivityLogData } from "../../../model/activity-log.js";
import { readLocalCloudTrail } from "./local-files.js";
import { loadAwsRanges } from "./ranges.js";

export async function readCloudTrailFiles(
  paths: readonly string[],
  options: { rangesFile?: string | undefined; signal?: AbortSignal | undefined },
): Promise<ActivityLogData> {
  const events: ActivityEvent[] = [];
  const { sources } = await readLocalCloudTrail(paths, loadAwsRanges(options.rangesFile), (event) => events.push(eventJson(event)), options.signal);
  return { sources, events };
}
