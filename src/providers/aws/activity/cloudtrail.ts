/**
 * CloudTrail records to normalized activity events. Only metadata is read: time, event source and
 * name, the identity and its access key, the source address, user agent, error code, region,
 * the named resources and, for AssumeRole, the role asked for. Request parameters and response
 * elements are never kept: they can carry secrets.
 *
 * Records are read field by field with type checks rather than through a zod schema: a trail holds
 * millions of records and a per-record schema parse would cost more than the JSON parse itself.
 * The file envelope is checked with zod; a record that lacks what an event needs is counted and
 * skipped, never guessed.
 */
import { z } from "zod";
import type { ActivityEventInput } from "../../../activity/log.js";
import type { AddressRanges } from "../../../activity/networks.js";
import type { ActivityOutcome } from "../../../model/activity-log.js";
import { awsActionCategory, awsActionOf } from "./actions.js";
import { awsNetwork } from "./ranges.js";

export const cloudTrailFileSchema = z.object({ Records: z.array(z.unknown()) });

type Json = Record<string, unknown>;

const asRecord = (value: unknown): Json | undefined => (typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined);
const asText = (value: unknown): string | undefined => (typeof value === "string" && value.length > 0 ? value : undefined);

const DENIED = /AccessDenied|UnauthorizedOperation|Unauthorized|Forbidden/i;

/** CloudTrail writes UTC times as 2026-03-10T11:17:00Z; other ISO 8601 forms are read too, anything else is malformed. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** The event time in epoch ms, NaN when it is no ISO 8601 time. */
export function cloudTrailTimeMs(text: string): number {
  return ISO_TIME.test(text) ? Date.parse(text) : Number.NaN;
}

/** Event ids longer than this are malformed (the event model's limit). */
export const MAX_EVENT_ID_LENGTH = 256;
/** User agents are kept to this many characters. */
export const MAX_USER_AGENT_LENGTH = 512;

/** The identity that acted: a role for a role session (its session name is not an identity). */
function principalOf(identity: Json): string | undefined {
  const type = asText(identity.type);
  if (type === "AssumedRole") return asText(asRecord(asRecord(identity.sessionContext)?.sessionIssuer)?.arn);
  if (type === "AWSService") return undefined;
  return asText(identity.arn);
}

export function outcomeOf(errorCode: string | undefined): ActivityOutcome {
  if (errorCode === undefined) return "success";
  return DENIED.test(errorCode) ? "denied" : "failure";
}

/**
 * The event, or undefined when the record is not an identity's call (a service's own event, a
 * record without time or identity).
 */
export function normalizeCloudTrailRecord(value: unknown, ranges: AddressRanges): ActivityEventInput | undefined {
  const record = asRecord(value);
  if (!record) return undefined;
  const identity = asRecord(record.userIdentity);
  const id = asText(record.eventID);
  const time = asText(record.eventTime);
  const source = asText(record.eventSource);
  const name = asText(record.eventName);
  if (!identity || !id || !time || !source || !name || id.length > MAX_EVENT_ID_LENGTH) return undefined;
  const principalId = principalOf(identity);
  const timeMs = cloudTrailTimeMs(time);
  if (!principalId || Number.isNaN(timeMs)) return undefined;
  const account = asText(record.recipientAccountId) ?? asText(identity.accountId) ?? "";
  const action = awsActionOf(source, name);
  const category = awsActionCategory(action);
  const sourceAddress = asText(record.sourceIPAddress);
  const resources = Array.isArray(record.resources) ? record.resources : [];
  // The role asked for is the one request parameter read: an ARN, never a secret.
  const roleArn = category === "assume_role" ? asText(asRecord(record.requestParameters)?.roleArn) : undefined;
  const resource = roleArn ?? asText(asRecord(resources[0])?.ARN);
  const network = awsNetwork(sourceAddress, asText(record.vpcEndpointId), ranges);
  return {
    id,
    timeMs,
    provider: "aws",
    scopeId: `aws:account/${account}`,
    principalId,
    credentialId: asText(identity.accessKeyId),
    kind: asText(record.eventType) === "AwsConsoleSignIn" ? "sign_in" : "api_call",
    action,
    category,
    resource,
    via: undefined,
    sourceAddress,
    network: network.network,
    networkKey: network.key,
    country: undefined,
    userAgent: asText(record.userAgent)?.slice(0, MAX_USER_AGENT_LENGTH),
    outcome: outcomeOf(asText(record.errorCode)),
  };
}

export interface CloudTrailTally {
  records: number;
  events: number;
  skipped: number;
}

/** Normalizes one log file's text (already gunzipped), handing each event to `sink`. */
export function ingestCloudTrailText(text: string, ranges: AddressRanges, sink: (event: ActivityEventInput) => void, tally: CloudTrailTally): void {
  const parsed = cloudTrailFileSchema.safeParse(JSON.parse(text) as unknown);
  if (!parsed.success) throw new Error("not a CloudTrail log file (no Records array)");
  for (const value of parsed.data.Records) {
    tally.records++;
    const event = normalizeCloudTrailRecord(value, ranges);
    if (event) {
      tally.events++;
      sink(event);
    } else tally.skipped++;
  }
}
