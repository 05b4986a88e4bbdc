/** Local CloudTrail files as the AWS activity source (`activity.files.aws`). */
import { ActivityRecords } from "../../../activity/activity-records.js";
import { readLocalCloudTrail } from "./local-files.js";
import { loadAwsRanges } from "./ranges.js";

export async function readCloudTrailFiles(
  paths: readonly string[],
  options: { rangesFile?: string | undefined; signal?: AbortSignal | undefined; workers?: number | undefined; keepIdsSince?: number | undefined },
): Promise<ActivityRecords> {
  const records = new ActivityRecords();
  // Chunks go straight into columns; addresses are left out (the log keeps their networks only).
  const { sources } = await readLocalCloudTrail(
    paths,
    { ranges: loadAwsRanges(options.rangesFile), workers: options.workers, keepIdsSince: options.keepIdsSince, keepAddresses: false, signal: options.signal },
    (chunk) => records.addChunk(chunk),
  );
  for (const source of sources) records.addSource(source);
  return records;
}
