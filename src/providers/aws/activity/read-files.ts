/** Local CloudTrail files as the AWS activity source (`activity.files.aws`). */
import type { ActivityEventInput } from "../../../activity/log.js";
import type { ActivityEvent, ActivityLogData } from "../../../model/activity-log.js";
import { readLocalCloudTrail } from "./local-files.js";
import { loadAwsRanges } from "./ranges.js";

/** The JSON form of a normalized event (snapshot files hold this). */
export function eventJson(event: ActivityEventInput): ActivityEvent {
  const json: ActivityEvent = {
    id: event.id,
    time: new Date(event.timeMs).toISOString(),
    provider: event.provider,
    scopeId: event.scopeId,
    principalId: event.principalId,
    kind: event.kind,
    action: event.action,
    network: event.network,
    outcome: event.outcome,
  };
  if (event.credentialId !== undefined) json.credentialId = event.credentialId;
  if (event.category !== undefined) json.category = event.category;
  if (event.resource !== undefined) json.resource = event.resource;
  if (event.via !== undefined) json.via = event.via;
  if (event.sourceAddress !== undefined) json.sourceAddress = event.sourceAddress;
  if (event.country !== undefined) json.country = event.country;
  if (event.userAgent !== undefined) json.userAgent = event.userAgent;
  return json;
}

export async function readCloudTrailFiles(
  paths: readonly string[],
  options: { rangesFile?: string | undefined; signal?: AbortSignal | undefined },
): Promise<ActivityLogData> {
  const events: ActivityEvent[] = [];
  const { sources } = await readLocalCloudTrail(paths, loadAwsRanges(options.rangesFile), (event) => events.push(eventJson(event)), options.signal);
  return { sources, events };
}
