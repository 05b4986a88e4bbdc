/**
 * The IAM credential report: one CSV for the whole account with password, MFA, access key and
 * signing certificate facts, in two calls instead of several per user. AWS builds it
 * asynchronously (STARTED → INPROGRESS → COMPLETE), keeps it up to 4 hours, and records key use
 * at most every 15 minutes. `N/A` means "never"; `no_information` means "not tracked then".
 */
import type { IAMClient } from "@aws-sdk/client-iam";
import type { AwsCallRunner } from "../calls.js";
import { iamReads } from "../reads.js";
import type { RetryTiming } from "../errors.js";
import { errorFacts } from "../errors.js";

export type CredentialReportRow = Readonly<Record<string, string>>;

export interface CredentialReport {
  rows: CredentialReportRow[];
  generatedAt: string | undefined;
}

/** RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quoted) {
      if (char === '"') {
        if (text[index + 1] === '"') {
          field += '"';
          index++;
        } else quoted = false;
      } else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") {
      row.push(field);
      field = "";
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && text[index + 1] === "\n") index++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += char;
  }
  if (field.length > 0 || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((cells) => cells.length > 1 || (cells[0] ?? "") !== "");
}

export function parseCredentialReport(csv: string): CredentialReportRow[] {
  const [header, ...body] = parseCsv(csv);
  if (!header) return [];
  return body.map((cells) => Object.fromEntries(header.map((name, column) => [name, cells[column] ?? ""])));
}

/** A report date value: an ISO time, `never` (N/A, not_supported) or `unknown` (no_information, blank). */
export type ReportDate = { kind: "date"; iso: string } | { kind: "never" } | { kind: "unknown" };

export function reportDate(value: string | undefined): ReportDate {
  if (value === undefined) return { kind: "unknown" };
  const trimmed = value.trim();
  if (trimmed === "N/A" || trimmed === "not_supported") return { kind: "never" };
  if (trimmed === "" || trimmed === "no_information") return { kind: "unknown" };
  const time = Date.parse(trimmed);
  return Number.isNaN(time) ? { kind: "unknown" } : { kind: "date", iso: new Date(time).toISOString() };
}

export class CredentialReportUnavailable extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "CredentialReportUnavailable";
  }
}

const NOT_PRESENT = new Set(["ReportNotPresent", "CredentialReportNotPresentException", "ReportExpired", "CredentialReportExpiredException"]);
const NOT_READY = new Set(["ReportInProgress", "CredentialReportNotReadyException"]);

function errorIs(error: unknown, names: ReadonlySet<string>): boolean {
  const facts = errorFacts(error);
  return names.has(facts.name) || (facts.code !== undefined && names.has(facts.code));
}

export interface FetchReportOptions {
  iam: IAMClient;
  runner: AwsCallRunner;
  scopeId: string;
  pollAttempts: number;
  timing: RetryTiming;
  signal?: AbortSignal | undefined;
}

/** Delay between polls: 2 s, 4 s, then 8 s (with the default 200 ms retry base; tests shrink the base). */
function pollDelayMs(poll: number, timing: RetryTiming): number {
  return Math.min(timing.maxDelayMs, timing.baseDelayMs * 5 * 2 ** Math.min(poll, 3));
}

/**
 * Generate (a no-op when a recent report exists), poll until COMPLETE within a bounded number of
 * polls, then download. A report that vanished or expired between the two is generated again once.
 */
export async function fetchCredentialReport(options: FetchReportOptions): Promise<CredentialReport> {
  const { iam, runner, scopeId, pollAttempts, timing, signal } = options;
  let regenerated = false;
  let polls = 0;
  for (;;) {
    let state = (await runner.call(iamReads.generateCredentialReport, iam, {}, scopeId)).State;
    while (state !== "COMPLETE") {
      if (++polls >= pollAttempts) {
        throw new CredentialReportUnavailable(`report still ${state ?? "not started"} after ${polls} polls`, true);
      }
      await timing.sleep(pollDelayMs(polls, timing), signal);
      state = (await runner.call(iamReads.generateCredentialReport, iam, {}, scopeId)).State;
    }
    try {
      const report = await runner.call(iamReads.getCredentialReport, iam, {}, scopeId);
      if (!report.Content) throw new CredentialReportUnavailable("GetCredentialReport returned no content", true);
      const csv = Buffer.from(report.Content).toString("utf8");
      return { rows: parseCredentialReport(csv), generatedAt: report.GeneratedTime?.toISOString() };
    } catch (error) {
      if (errorIs(error, NOT_PRESENT) && !regenerated) {
        regenerated = true;
        continue;
      }
      if (errorIs(error, NOT_READY) && polls + 1 < pollAttempts) {
        polls++;
        await timing.sleep(pollDelayMs(polls, timing), signal);
        continue;
      }
      throw error;
    }
  }
}
