/**
 * Audit rows as both stores read them back: the call view's columns, the event columns the chain
 * walk needs, and the statistics over calls. Every stored body is parsed against its schema, since
 * a row may have been edited by hand.
 */
import { acceptBodySchema, completeBodySchema } from "./schema.js";
import type { ChainEvent } from "./chain.js";
import type { AuditRecord, AuditStats, AuditStatus, DurationStats } from "./types.js";

export interface EventRow {
  seq: number;
  kind: string;
  call_id: string;
  at: string;
  body: string;
  prev_hash: string;
  hash: string;
}

export interface CallRow {
  id: string;
  seq: number;
  accepted_at: string;
  accept_body: string;
  prev_hash: string;
  hash: string;
  completion_seq: number | null;
  completed_at: string | null;
  completion_body: string | null;
  completion_hash: string | null;
  status: string;
}

export interface StatsRow {
  tool: string | null;
  status: string;
  decision: string | null;
  duration_ms: number | null;
  findings: string | null;
  cloud_operations: number | null;
  accepted_at: string;
}

/** Stored times are UTC ISO strings, so they compare as text once the bound is normalized too. */
export function isoTime(value: string | Date, name: string): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error(`invalid ${name} time: ${String(value)}`);
  return date.toISOString();
}

export function toRecord(row: CallRow): AuditRecord {
  const accepted = parseStored(row.seq, row.accept_body, acceptBodySchema);
  const completion =
    row.completion_body === null || row.completion_seq === null
      ? null
      : parseStored(row.completion_seq, row.completion_body, completeBodySchema);
  const { v: _acceptVersion, ...acceptance } = accepted;
  let storedCompletion: AuditRecord["completion"] = null;
  if (completion !== null) {
    const { v: _completeVersion, ...rest } = completion;
    storedCompletion = rest;
  }
  return {
    ...acceptance,
    id: row.id,
    seq: row.seq,
    acceptedAt: row.accepted_at,
    completedAt: row.completed_at,
    status: (completion?.status ?? "accepted") satisfies AuditStatus,
    completion: storedCompletion,
    hash: row.hash,
    prevHash: row.prev_hash,
    completionSeq: row.completion_seq,
    completionHash: row.completion_hash,
  };
}

interface Parser<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false };
}

export function parseStored<T>(seq: number, text: string, schema: Parser<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`audit event ${seq} is malformed; run \`wiam audit verify\``);
  return parsed.data;
}

export function toChainEvent(row: EventRow): ChainEvent {
  return {
    seq: row.seq,
    kind: row.kind,
    callId: row.call_id,
    at: row.at,
    body: row.body,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export function summarize(rows: readonly StatsRow[]): AuditStats {
  const byStatus: Record<AuditStatus, number> = { accepted: 0, ok: 0, error: 0, denied: 0 };
  const byDecision: Record<string, number> = {};
  const toolDurations = new Map<string, { calls: number; errors: number; denied: number; durations: number[] }>();
  const durations: number[] = [];
  const redactionFindings: Record<string, number> = {};
  let cloudOperations = 0;
  for (const row of rows) {
    if (isStatus(row.status)) byStatus[row.status]++;
    const decision = row.decision ?? "unknown";
    byDecision[decision] = (byDecision[decision] ?? 0) + 1;
    const tool = row.tool ?? "unknown";
    const perTool = toolDurations.get(tool) ?? { calls: 0, errors: 0, denied: 0, durations: [] };
    perTool.calls++;
    if (row.status === "error") perTool.errors++;
    if (row.status === "denied") perTool.denied++;
    if (typeof row.duration_ms === "number") {
      perTool.durations.push(row.duration_ms);
      durations.push(row.duration_ms);
    }
    toolDurations.set(tool, perTool);
    cloudOperations += row.cloud_operations ?? 0;
    for (const [kind, count] of Object.entries(parseFindings(row.findings))) {
      redactionFindings[kind] = (redactionFindings[kind] ?? 0) + count;
    }
  }
  const byTool: AuditStats["byTool"] = {};
  for (const [tool, entry] of [...toolDurations].sort(([a], [b]) => a.localeCompare(b))) {
    byTool[tool] = { calls: entry.calls, errors: entry.errors, denied: entry.denied, ...durationStats(entry.durations) };
  }
  return {
    calls: rows.length,
    byStatus,
    byDecision,
    byTool,
    durations: durationStats(durations),
    cloudOperations,
    redactionFindings,
    firstAt: rows[0]?.accepted_at ?? null,
    lastAt: rows.at(-1)?.accepted_at ?? null,
  };
}

function isStatus(value: string): value is AuditStatus {
  return value === "accepted" || value === "ok" || value === "error" || value === "denied";
}

function parseFindings(text: string | null): Record<string, number> {
  if (text === null) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null) return {};
    const out: Record<string, number> = {};
    for (const [kind, count] of Object.entries(value)) if (typeof count === "number") out[kind] = count;
    return out;
  } catch {
    return {};
  }
}

/** Nearest-rank percentiles over the recorded durations. */
export function durationStats(values: readonly number[]): DurationStats {
  if (values.length === 0) return { count: 0, medianMs: null, p95Ms: null };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
  return { count: sorted.length, medianMs: rank(0.5), p95Ms: rank(0.95) };
}
