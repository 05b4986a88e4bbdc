/**
 * `wiam redact`: JSON in, redacted JSON out (same shape); anything else is redacted as text.
 * stdout carries only redacted data; the findings summary goes to stderr.
 */
import type { RedactionFinding, Redactor } from "./types.js";

export interface RedactCommandOptions {
  report: "text" | "json";
  redactor: Redactor;
}

export interface RedactCommandOutput {
  stdout: string;
  stderr: string;
}

export function runRedactCommand(input: string, options: RedactCommandOptions): RedactCommandOutput {
  const { redactor } = options;
  const document = parseJsonDocument(input);
  let stdout: string;
  let findings: RedactionFinding[];
  let mode: "json" | "text";
  if (document.ok) {
    const result = redactor.redact(document.value);
    const compact = !input.trim().includes("\n");
    stdout = JSON.stringify(result.value, null, compact ? undefined : 2) + (input.endsWith("\n") || !compact ? "\n" : "");
    findings = result.findings;
    mode = "json";
  } else {
    const result = redactor.redactText(input);
    stdout = result.value;
    findings = result.findings;
    mode = "text";
  }
  const byKind = countByKind(findings);
  const stderr =
    options.report === "json"
      ? `${JSON.stringify({ rulesetVersion: redactor.rulesetVersion, mode, total: findings.length, byKind, findings })}\n`
      : textSummary(findings.length, byKind);
  return { stdout, stderr };
}

type ParsedDocument = { ok: true; value: unknown } | { ok: false };

/** Only objects and arrays count as JSON input; a bare word or number is text. */
function parseJsonDocument(input: string): ParsedDocument {
  const trimmed = input.trim();
  if (!(trimmed.startsWith("{") || trimmed.startsWith("["))) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(trimmed) as unknown };
  } catch {
    return { ok: false };
  }
}

function countByKind(findings: readonly RedactionFinding[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const finding of findings) counts[finding.kind] = (counts[finding.kind] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([left], [right]) => left.localeCompare(right)));
}

function textSummary(total: number, byKind: Readonly<Record<string, number>>): string {
  if (total === 0) return "redacted 0 secrets\n";
  const parts = Object.entries(byKind).map(([kind, count]) => `${count} ${kind}`);
  return `redacted ${total} secret${total === 1 ? "" : "s"}: ${parts.join(", ")}\n`;
}
