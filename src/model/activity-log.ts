/**
 * Activity of identities as the clouds log it (CloudTrail, Entra sign-ins and the Activity Log,
 * Cloud Audit Logs), normalized to one event shape. Metadata only: what was done, by whom, with
 * which credential, from where, with which client and how it ended. Request and response bodies
 * are never kept, since they can carry secrets.
 *
 * Snapshot files carry events in this JSON form; a loaded inventory keeps them in columns
 * (src/activity/log.ts).
 */
import { z } from "zod";
import { PROVIDER_IDS } from "../providers/ids.js";

const isoTime = z.iso.datetime({ offset: true });

/**
 * What kind of sensitive act an action is, decided by the provider that logged it (its action
 * names are its own): neutral detections compare categories, never action names.
 */
export const ACTIVITY_CATEGORIES = [
  "secret_read",
  "credential_creation",
  "iam_change",
  "pass_role",
  "federation_change",
  "assume_role",
  "impersonation",
] as const;
export type ActivityCategory = (typeof ACTIVITY_CATEGORIES)[number];

/**
 * Where a call came from, as far as the logging provider can tell without a network lookup:
 * `inside` its own network (an address in its published ranges, a private address behind a VPC
 * endpoint), `outside` it, `service` (the provider's own service acting for the identity) or
 * `unknown`.
 */
export const NETWORK_CLASSES = ["inside", "outside", "service", "unknown"] as const;
export type NetworkClass = (typeof NETWORK_CLASSES)[number];

export const ACTIVITY_OUTCOMES = ["success", "denied", "failure"] as const;
export type ActivityOutcome = (typeof ACTIVITY_OUTCOMES)[number];

export const activityEventSchema = z.object({
  id: z.string().min(1).max(256).describe("the log's own event id (CloudTrail eventID, sign-in id, insertId)"),
  time: isoTime,
  provider: z.enum(PROVIDER_IDS),
  scopeId: z.string().min(1).describe("account, project, tenant or subscription the event was logged in"),
  principalId: z.string().min(1).describe("the identity, in the inventory's id convention (a role ARN for a role session)"),
  credentialId: z.string().optional().describe("access key id, key id or credential id; never a secret"),
  kind: z.enum(["api_call", "sign_in"]),
  action: z.string().min(1),
  category: z.enum(ACTIVITY_CATEGORIES).optional(),
  resource: z.string().optional(),
  via: z.string().optional().describe("the identity this session was obtained through (impersonation delegate, assume-role caller)"),
  sourceAddress: z.string().optional().describe("IP address, or the provider service that called on the identity's behalf"),
  network: z.enum(NETWORK_CLASSES),
  country: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .optional()
    .describe("ISO country code, only where the log itself gives it (Entra sign-ins)"),
  userAgent: z.string().max(512).optional(),
  outcome: z.enum(ACTIVITY_OUTCOMES),
});
export type ActivityEvent = z.infer<typeof activityEventSchema>;

/** One log source read (or not): answers name what was unread and where coverage is partial. */
export const activitySourceSchema = z.object({
  provider: z.enum(PROVIDER_IDS),
  scopeId: z.string().optional(),
  source: z.string().min(1).describe("e.g. cloudtrail:s3 AWSLogs/.../us-east-1, graph:beta/auditLogs/signIns"),
  from: isoTime.optional().describe("earliest time the source was read from"),
  to: isoTime.optional(),
  complete: z.boolean().describe("false: the source was read partly (throttled, missing permission, not enabled)"),
  note: z.string().optional().describe("what was missed and why"),
  idsKeptFrom: isoTime
    .optional()
    .describe("event and credential ids are kept only for events at or after this time (activity.ingestion.keepIdsHours): one credential's use from two networks is compared only from then"),
});
export type ActivitySource = z.infer<typeof activitySourceSchema>;

export const activityLogSchema = z.object({
  sources: z.array(activitySourceSchema),
  events: z.array(activityEventSchema),
});
export type ActivityLogData = z.infer<typeof activityLogSchema>;
