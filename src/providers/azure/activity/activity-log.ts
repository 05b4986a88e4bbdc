/**
 * The Azure Activity Log of a subscription (#18): control-plane calls, kept for those made by
 * service principals and managed identities (the caller is an object id, not a user name). Only
 * final records (Succeeded, Failed) count, so one operation is one event; only the listed fields
 * are asked for ($select), never request or response bodies.
 */
import { z } from "zod";
import type { ActivityEventInput } from "../../../activity/log.js";
import { isPrivateAddress } from "../../../activity/networks.js";
import type { ActivitySource } from "../../../model/activity-log.js";
import type { RestReader } from "../clients.js";
import { armPageSchema } from "../collect/graph-schemas.js";
import { followNextLinks } from "../collect/paging.js";
import { describeAzureError } from "../errors.js";
import { azureOperationCategory } from "./actions.js";

const API_VERSION = "2015-04-01";
const OBJECT_ID_CLAIM = "http://schemas.microsoft.com/identity/claims/objectidentifier";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SELECT = "eventDataId,eventTimestamp,caller,claims,operationName,status,subStatus,resourceId,httpRequest";

const valueSchema = z.object({ value: z.string().nullish() }).nullish();
const recordSchema = z.object({
  eventDataId: z.string().min(1),
  eventTimestamp: z.string(),
  caller: z.string().nullish(),
  claims: z.record(z.string(), z.string()).nullish(),
  operationName: valueSchema,
  status: valueSchema,
  subStatus: valueSchema,
  resourceId: z.string().nullish(),
  httpRequest: z.object({ clientIpAddress: z.string().nullish() }).nullish(),
});
type ActivityLogRecord = z.infer<typeof recordSchema>;

export function normalizeActivityLogRecord(record: ActivityLogRecord, subscriptionScopeId: string): ActivityEventInput | undefined {
  const status = record.status?.value ?? "";
  if (status !== "Succeeded" && status !== "Failed") return undefined;
  const principalId = record.claims?.[OBJECT_ID_CLAIM] ?? record.caller ?? undefined;
  const action = record.operationName?.value ?? undefined;
  const timeMs = Date.parse(record.eventTimestamp);
  // A user's calls carry a user name as the caller; workloads carry their object id.
  if (!principalId || !GUID.test(principalId) || !action || Number.isNaN(timeMs)) return undefined;
  const address = record.httpRequest?.clientIpAddress ?? undefined;
  const refused = /forbidden|unauthorized/i.test(record.subStatus?.value ?? "");
  return {
    id: record.eventDataId,
    timeMs,
    provider: "azure",
    scopeId: subscriptionScopeId,
    principalId: principalId.toLowerCase(),
    kind: "api_call",
    action,
    category: azureOperationCategory(action),
    resource: record.resourceId ?? undefined,
    sourceAddress: address,
    network: address !== undefined && isPrivateAddress(address) ? "inside" : "unknown",
    outcome: status === "Succeeded" ? "success" : refused ? "denied" : "failure",
  };
}

export async function readActivityLog(input: {
  arm: RestReader;
  subscriptionId: string;
  now: Date;
  hours: number;
  signal?: AbortSignal | undefined;
}): Promise<{ events: ActivityEventInput[]; source: ActivitySource }> {
  const scopeId = `/subscriptions/${input.subscriptionId}`;
  // The Activity Log keeps 90 days.
  const from = new Date(input.now.getTime() - Math.min(input.hours, 90 * 24) * 3_600_000).toISOString();
  const window = { from, to: input.now.toISOString() };
  const filter = `eventTimestamp ge '${from}' and eventTimestamp le '${window.to}'`;
  const first = `${scopeId}/providers/Microsoft.Insights/eventtypes/management/values?api-version=${API_VERSION}&$filter=${encodeURIComponent(filter)}&$select=${SELECT}`;
  const source: ActivitySource = { provider: "azure", scopeId, source: "arm:Microsoft.Insights/eventtypes/management/values", ...window, complete: true };
  try {
    const schema = armPageSchema(recordSchema);
    const records = await followNextLinks(
      first,
      async (link) => {
        const page = schema.parse(await input.arm.get(link));
        return { items: page.value, next: page.nextLink ?? undefined };
      },
      input.signal,
    );
    const events: ActivityEventInput[] = [];
    for (const record of records) {
      const event = normalizeActivityLogRecord(record, scopeId);
      if (event) events.push(event);
    }
    return { events, source };
  } catch (error) {
    input.signal?.throwIfAborted();
    return { events: [], source: { ...source, complete: false, note: `the Activity Log could not be read: ${describeAzureError(error)}` } };
  }
}
