/**
 * Audit export formats, one call per line (CSV: per row after the header):
 * - jsonl: the full record with completion fields flattened, keys in a fixed order;
 * - csv: fixed columns (CSV_COLUMNS), RFC 4180 quoting, and text cells that a spreadsheet would run
 *   as a formula (=, +, -, @, tab, CR) prefixed with a quote: intents and arguments come from a model;
 * - ocsf: OCSF 1.3 "API Activity" (class 6003, category 6, activity Read) events for SIEM ingestion.
 */
import type { AuditLog } from "../state/state-store.js";
import type { AuditStore } from "./store.js";
import type { AuditFilter, AuditRecord } from "./types.js";

export type AuditExportFormat = "jsonl" | "csv" | "ocsf";

export const OCSF_VERSION = "1.3.0";
export const PRODUCT_NAME = "workload-iam-mcp";

export const CSV_COLUMNS = [
  "id",
  "seq",
  "accepted_at",
  "completed_at",
  "status",
  "tool",
  "caller",
  "transport",
  "source_address",
  "session_id",
  "client_name",
  "client_version",
  "task_id",
  "intent",
  "decision",
  "decision_rule",
  "approver",
  "credential_scope",
  "duration_ms",
  "item_count",
  "byte_size",
  "response_sha256",
  "cloud_operations",
  "cloud_request_ids",
  "redaction_findings",
  "redaction_ruleset_version",
  "error",
  "arguments",
  "hash",
  "completion_hash",
] as const;

/** Lines of the export, produced lazily so a large log streams. */
export async function* exportLines(store: AuditStore | AuditLog, format: AuditExportFormat, filter: AuditFilter = {}): AsyncGenerator<string> {
  if (format === "csv") yield CSV_COLUMNS.join(",");
  for await (const record of store.iterate({ ...filter, order: "asc" })) {
    switch (format) {
      case "jsonl":
        yield terminalSafeJson(toExportRecord(record));
        break;
      case "csv":
        yield toCsvRow(record);
        break;
      case "ocsf":
        yield terminalSafeJson(toOcsfApiActivity(record));
        break;
    }
  }
}

/** The JSONL shape: one flat object per call, keys in this order. */
export function toExportRecord(record: AuditRecord): Record<string, unknown> {
  const completion = record.completion;
  return {
    id: record.id,
    seq: record.seq,
    acceptedAt: record.acceptedAt,
    completedAt: record.completedAt,
    status: record.status,
    tool: record.tool,
    caller: record.caller,
    transport: record.transport,
    sourceAddress: record.sourceAddress ?? null,
    sessionId: record.sessionId,
    clientName: record.clientName,
    clientVersion: record.clientVersion,
    taskId: record.taskId,
    intent: record.intent,
    arguments: record.arguments,
    decision: record.decision,
    decisionRule: record.decisionRule,
    approver: record.approver,
    redactionRulesetVersion: record.redactionRulesetVersion,
    credentialScope: completion?.credentialScope ?? null,
    durationMs: completion?.durationMs ?? null,
    error: completion?.error ?? null,
    result: completion?.result ?? null,
    cloudOperations: completion?.cloudOperations ?? [],
    redactionFindings: completion?.redactionFindings ?? {},
    responseBody: completion?.responseBody ?? null,
    hash: record.hash,
    prevHash: record.prevHash,
    completionSeq: record.completionSeq,
    completionHash: record.completionHash,
  };
}

export function toCsvRow(record: AuditRecord): string {
  const completion = record.completion;
  const operations = completion?.cloudOperations ?? [];
  const cells: Record<(typeof CSV_COLUMNS)[number], string | number | null> = {
    id: record.id,
    seq: record.seq,
    accepted_at: record.acceptedAt,
    completed_at: record.completedAt,
    status: record.status,
    tool: record.tool,
    caller: record.caller,
    transport: record.transport,
    source_address: record.sourceAddress ?? null,
    session_id: record.sessionId,
    client_name: record.clientName,
    client_version: record.clientVersion,
    task_id: record.taskId,
    intent: record.intent,
    decision: record.decision,
    decision_rule: record.decisionRule,
    approver: record.approver,
    credential_scope: completion?.credentialScope ?? null,
    duration_ms: completion?.durationMs ?? null,
    item_count: completion?.result?.itemCount ?? null,
    byte_size: completion?.result?.byteSize ?? null,
    response_sha256: completion?.result?.sha256 ?? null,
    cloud_operations: completion === null ? null : operations.reduce((sum, op) => sum + op.count, 0),
    cloud_request_ids: operations.flatMap((op) => op.requestIds ?? []).join(" "),
    redaction_findings: Object.entries(completion?.redactionFindings ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      // "kind count": `kind=count` reads as a secret assignment to the CLI's own output redaction.
      .map(([kind, count]) => `${kind} ${count}`)
      .join(";"),
    redaction_ruleset_version: record.redactionRulesetVersion,
    error: completion?.error ?? null,
    arguments: JSON.stringify(record.arguments ?? null),
    hash: record.hash,
    completion_hash: record.completionHash,
  };
  return CSV_COLUMNS.map((column) => csvCell(cells[column])).join(",");
}

/**
 * Characters that drive a terminal or hide text and that JSON.stringify leaves raw: DEL and the C1
 * controls (0x9b starts an escape sequence on some terminals), format characters (bidi overrides,
 * zero-width) and line/paragraph separators.
 */
const RAW_IN_JSON = /[\u007f-\u009f\p{Cf}\u2028\u2029]/gu;

/** JSON with those characters escaped as \uXXXX: the line is safe to print and parses to the same value. */
export function terminalSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(RAW_IN_JSON, (char) => {
    let escaped = "";
    // Each UTF-16 unit on its own: a tag character above U+FFFF is escaped as its surrogate pair.
    for (let index = 0; index < char.length; index++) escaped += `\\u${char.charCodeAt(index).toString(16).padStart(4, "0")}`;
    return escaped;
  });
}

/** Control, format and separator characters in a CSV cell become "?" (a spreadsheet is no place for them either). */
const UNSAFE_IN_CSV = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\p{Cf}\u2028\u2029]/gu;

function csvCell(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return String(value);
  const printable = value.replace(UNSAFE_IN_CSV, "?");
  const safe = /^[=+\-@\t\r]/.test(printable) ? `'${printable}` : printable;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

const STATUS_IDS = { ok: 1, error: 2, denied: 2, accepted: 0 } as const;
const STATUS_NAMES = { 0: "Unknown", 1: "Success", 2: "Failure" } as const;
const SEVERITY_IDS = { ok: 1, accepted: 1, error: 2, denied: 3 } as const;
const SEVERITY_NAMES = { 1: "Informational", 2: "Low", 3: "Medium" } as const;

/**
 * One call as an OCSF API Activity event. Our tools only read, so activity is always Read (2).
 * Severity: informational for a completed or running call, low for an error, medium for a denial.
 * Fields OCSF has no place for (intent, task, decision, redaction counts, chain hashes) go in `unmapped`.
 */
export function toOcsfApiActivity(record: AuditRecord): Record<string, unknown> {
  const completion = record.completion;
  const statusId = STATUS_IDS[record.status];
  const severityId = SEVERITY_IDS[record.status];
  const denied = record.status === "denied" || record.decision === "deny";
  const approved = !denied && record.decision === "approval_required" && record.approver !== null;
  const event: Record<string, unknown> = {
    activity_id: 2,
    activity_name: "Read",
    category_uid: 6,
    category_name: "Application Activity",
    class_uid: 6003,
    class_name: "API Activity",
    type_uid: 600302,
    type_name: "API Activity: Read",
    time: Date.parse(record.acceptedAt),
    start_time: Date.parse(record.acceptedAt),
    severity_id: severityId,
    severity: SEVERITY_NAMES[severityId],
    status_id: statusId,
    status: STATUS_NAMES[statusId],
    status_code: record.status,
    message: `${record.tool} ${record.status}`,
    action_id: denied ? 2 : 1,
    action: denied ? "Denied" : "Allowed",
    disposition_id: denied ? 2 : approved ? 8 : 1,
    disposition: denied ? "Blocked" : approved ? "Approved" : "Allowed",
    policy: { name: record.decisionRule },
    metadata: {
      version: OCSF_VERSION,
      product: { name: PRODUCT_NAME, vendor_name: PRODUCT_NAME },
      profiles: ["security_control"],
      uid: record.id,
      sequence: record.seq,
      log_name: "audit",
      original_time: record.acceptedAt,
    },
    actor: {
      user: { name: record.caller },
      ...(record.sessionId === null ? {} : { session: { uid: record.sessionId } }),
      ...(record.clientName === null ? {} : { app_name: record.clientName }),
    },
    api: {
      operation: record.tool,
      service: { name: PRODUCT_NAME },
      request: { uid: record.id },
      ...(completion === null
        ? {}
        : { response: { code: completion.status === "ok" ? 0 : 1, ...(completion.error === null ? {} : { error_message: completion.error }) } }),
    },
    src_endpoint: record.sourceAddress ? { ip: record.sourceAddress, name: record.transport } : { name: record.transport },
    unmapped: {
      intent: record.intent,
      task_id: record.taskId,
      decision: record.decision,
      decision_rule: record.decisionRule,
      approver: record.approver,
      client_version: record.clientVersion,
      credential_scope: completion?.credentialScope ?? null,
      cloud_operations: completion?.cloudOperations ?? [],
      result: completion?.result ?? null,
      redaction_findings: completion?.redactionFindings ?? {},
      redaction_ruleset_version: record.redactionRulesetVersion,
      chain_hash: record.completionHash ?? record.hash,
    },
  };
  if (completion !== null && record.completedAt !== null) {
    event.end_time = Date.parse(record.completedAt);
    event.duration = completion.durationMs;
    if (completion.error !== null) event.status_detail = completion.error;
  }
  return event;
}
