/**
 * Cloud Audit Logs of service accounts (#18) through Logging entries.list: Admin Activity always,
 * Data Access where the project enabled it, filtered to service-account callers and the window,
 * paced under the read quota (about 60 requests a minute a project). Metadata only: method,
 * resource, caller, caller address and agent, the impersonation chain and the status code; never
 * request or response payloads.
 */
import { z } from "zod";
import type { ActivityEventInput } from "../../../activity/log.js";
import { AddressRanges, isPrivateAddress } from "../../../activity/networks.js";
import { ActivityRecords } from "../../../activity/activity-records.js";
import type { ActivitySource, NetworkClass } from "../../../model/activity-log.js";
import type { GcpActivityConfig } from "../config.js";
import { describeError } from "../errors.js";
import type { LoggingReads } from "../reads.js";
import { gcpMethodCategory } from "./actions.js";
import { GCP_RANGES_SNAPSHOT } from "./ranges-snapshot.js";

const GCP_RANGES = new AddressRanges(GCP_RANGES_SNAPSHOT.prefixes);
/** gRPC status PERMISSION_DENIED and UNAUTHENTICATED. */
const DENIED_CODES = new Set([7, 16]);

const principalSchema = z.object({ principalEmail: z.string().optional(), principalSubject: z.string().optional() }).partial();
const logEntrySchema = z.object({
  insertId: z.string().min(1),
  timestamp: z.string(),
  logName: z.string().optional(),
  resource: z.object({ labels: z.record(z.string(), z.string()).optional() }).optional(),
  protoPayload: z.object({
    methodName: z.string().optional(),
    resourceName: z.string().optional(),
    status: z.object({ code: z.number().optional() }).optional(),
    authenticationInfo: z
      .object({
        principalEmail: z.string().optional(),
        serviceAccountKeyName: z.string().optional(),
        serviceAccountDelegationInfo: z.array(z.object({ firstPartyPrincipal: principalSchema.optional(), thirdPartyPrincipal: z.unknown().optional() }).partial()).optional(),
      })
      .optional(),
    requestMetadata: z.object({ callerIp: z.string().optional(), callerSuppliedUserAgent: z.string().optional() }).optional(),
  }),
});

function networkOf(callerIp: string | undefined): NetworkClass {
  if (callerIp === undefined || callerIp.length === 0) return "unknown";
  // Google writes these instead of an address for calls from its own network.
  if (callerIp === "private" || callerIp === "gce-internal-ip") return "inside";
  if (isPrivateAddress(callerIp)) return "inside";
  if (!/^[0-9a-fA-F:.]+$/.test(callerIp)) return "unknown";
  return GCP_RANGES.contains(callerIp) ? "inside" : "outside";
}

/** The event of one audit log entry, or undefined when no service account made the call. */
export function normalizeAuditLogEntry(value: unknown, project: string): ActivityEventInput | undefined {
  const parsed = logEntrySchema.safeParse(value);
  if (!parsed.success) return undefined;
  const entry = parsed.data;
  const payload = entry.protoPayload;
  const email = payload.authenticationInfo?.principalEmail;
  const timeMs = Date.parse(entry.timestamp);
  if (!email?.endsWith(".gserviceaccount.com") || !payload.methodName || Number.isNaN(timeMs)) return undefined;
  // The chain's first hop is the identity that impersonated this account.
  const delegate = payload.authenticationInfo?.serviceAccountDelegationInfo?.[0]?.firstPartyPrincipal?.principalEmail;
  const callerIp = payload.requestMetadata?.callerIp;
  const code = payload.status?.code ?? 0;
  const network = networkOf(callerIp);
  return {
    id: entry.insertId,
    timeMs,
    provider: "gcp",
    scopeId: `projects/${entry.resource?.labels?.project_id ?? project}`,
    principalId: `serviceAccount:${email}`,
    credentialId: payload.authenticationInfo?.serviceAccountKeyName,
    kind: "api_call",
    action: payload.methodName,
    category: gcpMethodCategory(payload.methodName),
    resource: payload.resourceName,
    via: delegate === undefined ? undefined : delegate.endsWith(".gserviceaccount.com") ? `serviceAccount:${delegate}` : `user:${delegate}`,
    sourceAddress: callerIp === "private" || callerIp === "gce-internal-ip" ? undefined : callerIp,
    network,
    country: undefined,
    userAgent: payload.requestMetadata?.callerSuppliedUserAgent?.slice(0, 512),
    outcome: code === 0 ? "success" : DENIED_CODES.has(code) ? "denied" : "failure",
  };
}

export function auditLogFilter(from: string, dataAccess: boolean): string {
  const logs = dataAccess ? '(log_id("cloudaudit.googleapis.com/activity") OR log_id("cloudaudit.googleapis.com/data_access"))' : 'log_id("cloudaudit.googleapis.com/activity")';
  return `${logs} AND protoPayload.authenticationInfo.principalEmail:"gserviceaccount.com" AND timestamp>="${from}"`;
}

export async function readAuditLogs(input: {
  logging: LoggingReads;
  projects: readonly string[];
  config: GcpActivityConfig;
  now: Date;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal | undefined;
}): Promise<ActivityRecords> {
  const { config, now, signal } = input;
  const from = new Date(now.getTime() - config.hours * 3_600_000).toISOString();
  const window = { from, to: now.toISOString() };
  const interval = 60_000 / config.requestsPerMinute;
  const records = new ActivityRecords();
  const filter = auditLogFilter(from, config.dataAccess);
  let requests = 0;
  for (const project of input.projects) {
    const scopeId = `projects/${project}`;
    const source: ActivitySource = {
      provider: "gcp",
      scopeId,
      source: `logging:entries.list cloudaudit.googleapis.com/activity${config.dataAccess ? " + data_access" : ""}`,
      ...window,
      complete: false,
    };
    let token: string | undefined;
    let pages = 0;
    try {
      do {
        // Paced under the project's read quota rather than throttled into it.
        if (requests > 0) await input.sleep(interval, signal);
        requests++;
        const page = await input.logging.listEntriesPage(project, filter, token);
        pages++;
        for (const entry of page.entries) {
          const event = normalizeAuditLogEntry(entry, project);
          if (event && event.timeMs <= now.getTime()) records.add(event);
        }
        token = page.nextPageToken;
      } while (token && pages < config.maxPages);
      source.complete = token === undefined;
      if (token) source.note = `read ${pages} page(s) of up to 1000 entries: older entries of the window were not read (auditLogs.maxPages)`;
    } catch (error) {
      signal?.throwIfAborted();
      source.note = `entries.list failed after ${pages} page(s): ${describeError(error)}`;
    }
    records.addSource(source);
  }
  return records;
}
