/**
 * What `wiam audit ...` prints. Functions over an open store (the embedded SQLite one, or the
 * state store's audit log, SQLite or PostgreSQL: the answers are the same): the CLI parses flags, calls one of
 * these and writes `text` to stdout with `exitCode`. Text is for people (one line per call, free text
 * cleaned of control characters so a model-written intent cannot drive the terminal); `json: true`
 * gives machine-readable output instead.
 */
import { readFileSync } from "node:fs";
import { checkpointListSchema, checkpointSchema } from "./schema.js";
import type { AuditSigningKey } from "./signing.js";
import type { AuditLog } from "../state/state-store.js";
import type { AuditStore } from "./store.js";
import { exportLines, type AuditExportFormat } from "./export.js";
import type { AuditCheckpoint, AuditFilter, AuditRecord, AuditStats, VerifyResult } from "./types.js";

export { exportLines, type AuditExportFormat } from "./export.js";

/** Either store: the embedded one answers at once, the state store's log asynchronously. */
export type AuditSource = AuditStore | AuditLog;

export interface CommandOutput {
  text: string;
  exitCode: number;
}

export interface OutputOptions {
  json?: boolean;
}

export async function auditTail(store: AuditSource, n: number, options: OutputOptions = {}): Promise<CommandOutput> {
  return listOutput(await store.tail(n), options);
}

export async function auditSearch(store: AuditSource, filter: AuditFilter, options: OutputOptions = {}): Promise<CommandOutput> {
  return listOutput(await store.search(filter), options);
}

export async function auditShow(store: AuditSource, id: string, options: OutputOptions = {}): Promise<CommandOutput> {
  const record = await store.get(id);
  if (record === null) return { text: `no audit record with id ${clean(id)}\n`, exitCode: 1 };
  if (options.json) return { text: `${JSON.stringify(record, null, 2)}\n`, exitCode: 0 };
  return { text: formatRecordDetail(record), exitCode: 0 };
}

export async function auditStats(store: AuditSource, filter: AuditFilter = {}, options: OutputOptions = {}): Promise<CommandOutput> {
  const stats = await store.stats(filter);
  if (options.json) return { text: `${JSON.stringify(stats, null, 2)}\n`, exitCode: 0 };
  return { text: formatStats(stats), exitCode: 0 };
}

export interface VerifyCommandOptions extends OutputOptions {
  trustedPublicKeys?: readonly string[];
}

/** Exit code 0: intact; 1: tampering found; 2: the checkpoints file could not be read. */
export async function auditVerify(store: AuditSource, checkpointsFile?: string, options: VerifyCommandOptions = {}): Promise<CommandOutput> {
  let checkpoints: AuditCheckpoint[] = [];
  if (checkpointsFile !== undefined) {
    const loaded = readCheckpointsFile(checkpointsFile);
    if (typeof loaded === "string") return { text: `${loaded}\n`, exitCode: 2 };
    checkpoints = loaded;
  }
  const result = await store.verify({ checkpoints, ...(options.trustedPublicKeys ? { trustedPublicKeys: options.trustedPublicKeys } : {}) });
  const exitCode = result.ok ? 0 : 1;
  if (options.json) return { text: `${JSON.stringify(result, null, 2)}\n`, exitCode };
  return { text: formatVerify(result), exitCode };
}

/** The whole export as one string; for large logs the CLI can write `exportLines` one by one. */
export async function auditExport(store: AuditSource, format: AuditExportFormat, filter: AuditFilter = {}): Promise<CommandOutput> {
  let text = "";
  for await (const line of exportLines(store, format, filter)) text += `${line}\n`;
  return { text, exitCode: 0 };
}

export async function auditCheckpoint(store: AuditSource, key: AuditSigningKey): Promise<CommandOutput> {
  return { text: `${JSON.stringify(await store.createCheckpoint(key), null, 2)}\n`, exitCode: 0 };
}

export async function auditPrune(store: AuditSource, now?: Date, retentionDays?: number): Promise<CommandOutput> {
  const result = await store.prune(now, retentionDays);
  if (result.cutoff === null) return { text: "no retention period configured; nothing pruned\n", exitCode: 0 };
  return {
    text: `pruned ${result.removedCalls} call(s) (${result.removedEvents} events) accepted before ${result.cutoff}; the chain now starts at seq ${result.anchorSeq}\n`,
    exitCode: 0,
  };
}

/** Checkpoints from a file holding one checkpoint, an array, or one per line; an error message otherwise. */
export function readCheckpointsFile(path: string): AuditCheckpoint[] | string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    return `cannot read checkpoints file ${path}: ${error instanceof Error ? error.message : String(error)}`;
  }
  return parseCheckpoints(text, path);
}

export function parseCheckpoints(text: string, source = "checkpoints"): AuditCheckpoint[] | string {
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch {
    try {
      values = text
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line));
    } catch {
      return `${source} is neither JSON nor JSON lines`;
    }
  }
  const parsed = Array.isArray(values) ? checkpointSchema.array().safeParse(values) : checkpointListSchema.safeParse(values);
  if (!parsed.success) return `${source} does not hold audit checkpoints: ${parsed.error.issues[0]?.message ?? "invalid"}`;
  return parsed.data;
}

function listOutput(records: AuditRecord[], options: OutputOptions): CommandOutput {
  if (options.json) return { text: `${JSON.stringify(records, null, 2)}\n`, exitCode: 0 };
  if (records.length === 0) return { text: "no audit records\n", exitCode: 0 };
  return { text: records.map(formatRecordLine).join(""), exitCode: 0 };
}

/** One line: time, id, status, tool, caller, duration, items, task, intent. */
export function formatRecordLine(record: AuditRecord): string {
  const completion = record.completion;
  const parts = [
    record.acceptedAt,
    record.id,
    record.status.padEnd(8),
    clean(record.tool).padEnd(24),
    clean(record.caller),
    completion === null ? "-" : `${completion.durationMs}ms`,
    completion?.result ? `${completion.result.itemCount} items` : "-",
  ];
  if (record.taskId !== null) parts.push(`task=${clean(record.taskId)}`);
  if (record.intent !== null) parts.push(JSON.stringify(truncate(clean(record.intent), 80)));
  return `${parts.join("  ")}\n`;
}

/** Whose answer an approval was, and the queue request it came from or reused, when recorded. */
function approvalRole(approval: NonNullable<AuditRecord["approval"]>): string {
  const parts = [
    approval.kind === undefined ? null : approval.kind === "second-person" ? "a second person" : "self-confirmation",
    approval.requestId ? `request ${approval.requestId}` : null,
    approval.reusedFrom ? `reusing the approval of request ${approval.reusedFrom}` : null,
  ].filter((part) => part !== null);
  return parts.length === 0 ? "" : ` (${parts.join(", ")})`;
}

export function formatRecordDetail(record: AuditRecord): string {
  const completion = record.completion;
  const lines: [string, string][] = [
    ["id", record.id],
    ["status", record.status],
    ["tool", record.tool],
    ["accepted", `${record.acceptedAt} (seq ${record.seq})`],
    ["completed", record.completedAt === null ? "-" : `${record.completedAt} (seq ${record.completionSeq ?? "?"})`],
    ["caller", `${record.caller} via ${record.transport}${record.sourceAddress ? ` from ${record.sourceAddress}` : ""}`],
    ["client", [record.clientName, record.clientVersion].filter((p) => p !== null).join(" ") || "-"],
    ["session", record.sessionId ?? "-"],
    ["task", record.taskId ?? "-"],
    ["intent", record.intent ?? "-"],
    ["decision", `${record.decision} (${record.decisionRule})`],
    ["approval", record.approval ? `${record.approval.outcome}${record.approver ? ` by ${record.approver}` : ""}${approvalRole(record.approval)}${record.approval.note ? `: ${record.approval.note}` : ""}` : "-"],
    ["arguments", JSON.stringify(record.arguments)],
  ];
  if (completion !== null) {
    lines.push(["duration", `${completion.durationMs} ms`]);
    const review = completion.reviewApproval;
    if (review) lines.push(["answer approval", `${review.outcome}${review.approver ? ` by ${review.approver}` : ""}${review.note ? `: ${review.note}` : ""}`]);
    lines.push(["credentials", completion.credentialScope ?? "-"]);
    if (completion.error !== null) lines.push(["error", completion.error]);
    if (completion.result !== null) {
      const r = completion.result;
      lines.push(["result", `${r.itemCount} items, ${r.byteSize} bytes${r.truncated ? " (truncated)" : ""}, sha256 ${r.sha256}`]);
    }
    for (const op of completion.cloudOperations) {
      const ids = op.requestIds?.length ? ` request ids ${op.requestIds.join(" ")}` : "";
      lines.push(["cloud call", `${op.provider} ${op.api} ×${op.count}${op.scopeId ? ` on ${op.scopeId}` : ""}${ids}`]);
    }
    const findings = Object.entries(completion.redactionFindings);
    lines.push(["redactions", findings.length === 0 ? "none" : findings.map(([k, n]) => `${k} ${n}`).join(", ")]);
    const body = completion.responseBody;
    if (body.mode === "summary") lines.push(["response", `${body.preview}${body.truncated ? "…" : ""}`]);
    if (body.mode === "full") {
      // The pipeline keeps { structured, text }: the text as the model read it, then the JSON.
      const full = body.body;
      if (typeof full === "object" && full !== null && "text" in full && typeof full.text === "string") {
        lines.push(["response", full.text]);
        if ("structured" in full) lines.push(["structured", JSON.stringify(full.structured)]);
      } else {
        lines.push(["response", JSON.stringify(full)]);
      }
    }
  }
  lines.push(["ruleset", record.redactionRulesetVersion]);
  lines.push(["hash", record.completionHash === null ? record.hash : `${record.hash} / ${record.completionHash}`]);
  const width = Math.max(...lines.map(([label]) => label.length));
  // Multi-line values (a text response, an error listing candidates) keep their lines, each indented
  // under the value column, so no stored line can pose as a label of its own.
  const continuation = `\n${" ".repeat(width + 2)}`;
  return lines.map(([label, value]) => `${label.padEnd(width)}  ${readableLines(value).join(continuation)}\n`).join("");
}

/** A stored value as lines for a terminal: line breaks kept, tabs as spaces, other control characters as "?". */
function readableLines(value: string): string[] {
  return value
    .replace(/\t/g, "  ")
    .split(/\r\n|[\n\r\u2028\u2029]/)
    .map(clean);
}

export function formatStats(stats: AuditStats): string {
  const out: string[] = [];
  out.push(`calls: ${stats.calls}${stats.firstAt ? ` (${stats.firstAt} to ${stats.lastAt ?? stats.firstAt})` : ""}`);
  out.push(`status: ${Object.entries(stats.byStatus).map(([s, n]) => `${s} ${n}`).join(", ")}`);
  out.push(`decisions: ${Object.entries(stats.byDecision).map(([d, n]) => `${d} ${n}`).join(", ") || "-"}`);
  out.push(`duration: median ${ms(stats.durations.medianMs)}, p95 ${ms(stats.durations.p95Ms)}`);
  out.push(`cloud API calls: ${stats.cloudOperations}`);
  const findings = Object.entries(stats.redactionFindings).sort(([a], [b]) => a.localeCompare(b));
  out.push(`redactions: ${findings.length === 0 ? "none" : findings.map(([k, n]) => `${k} ${n}`).join(", ")}`);
  const tools = Object.entries(stats.byTool);
  if (tools.length > 0) {
    const width = Math.max(4, ...tools.map(([tool]) => tool.length));
    out.push("");
    out.push(`${"tool".padEnd(width)}  calls  errors  denied  median    p95`);
    for (const [tool, t] of tools) {
      out.push(
        `${clean(tool).padEnd(width)}  ${String(t.calls).padStart(5)}  ${String(t.errors).padStart(6)}  ${String(t.denied).padStart(6)}  ${ms(t.medianMs).padStart(6)}  ${ms(t.p95Ms).padStart(6)}`,
      );
    }
  }
  return `${out.join("\n")}\n`;
}

export function formatVerify(result: VerifyResult): string {
  const range = result.headSeq >= result.firstSeq ? `seq ${result.firstSeq}-${result.headSeq}` : "empty";
  const checkpoints =
    result.checkpointsVerified + result.checkpointsPruned > 0
      ? `; ${result.checkpointsVerified} checkpoint(s) verified${result.checkpointsPruned > 0 ? `, ${result.checkpointsPruned} older than retention (not checkable)` : ""}`
      : "";
  if (result.ok || result.firstBroken === undefined) {
    return `audit log OK: ${result.checked} events verified (${range}), head ${result.headHash.slice(0, 16)}${checkpoints}\n`;
  }
  const broken = result.firstBroken;
  return (
    `audit log BROKEN at seq ${broken.seq}${broken.id === null ? "" : ` (call ${broken.id})`}: ${broken.reason}\n` +
    `  ${clean(broken.detail)}\n` +
    `  ${result.checked} events verified before the break\n`
  );
}

function ms(value: number | null): string {
  return value === null ? "-" : `${value}ms`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Control characters (C0, DEL, C1) become "?" so stored text cannot move the cursor or recolor. */
export function clean(text: string): string {
  // Format characters (bidi overrides, zero-width) and line separators too: they reorder or hide text.
  return text.replace(/[\u0000-\u001f\u007f-\u009f\p{Cf}\u2028\u2029]/gu, "?");
}
