/**
 * Redaction by provenance for a tool's answer: values from outside are redacted as data, the
 * server's own words and fields are left as written (see src/text/answer.ts).
 */
import type { RedactionFinding, RedactionResult, Redactor } from "../../redaction/types.js";
import { renderText, type TextAnswer } from "../text/answer.js";

/**
 * Redacts a structured result except the fields the server computes. `serverFields` are paths of
 * keys from the top (`page`, `findings.*.reasons`; `*` is every array item): their values are held
 * out of the redactor and put back as they were. Key order and array lengths are kept.
 */
export function redactExcept(
  redactor: Redactor,
  structured: Record<string, unknown>,
  serverFields: readonly string[],
  itemwise: readonly string[] = [],
): RedactionResult<Record<string, unknown>> {
  const held: Held[] = [];
  let data: unknown = structured;
  for (const field of serverFields) data = holdOut(data, field.split("."), [], held);
  // Large arrays are held out too, then redacted one item per redactor call.
  const bulk: Held[] = [];
  for (const field of itemwise) data = holdOut(data, field.split("."), [], bulk);
  const redacted = redactor.redact(data);
  const findings = [...redacted.findings];
  let value = redacted.value;
  for (const { at, original } of bulk) {
    const items = Array.isArray(original) ? original : [original];
    const done = items.map((item: unknown) => {
      const result = redactor.redact(item);
      findings.push(...result.findings);
      return result.value;
    });
    value = putBack(value, at, Array.isArray(original) ? done : done[0]);
  }
  for (const { at, original } of held) value = putBack(value, at, original);
  return { value: value as Record<string, unknown>, findings };
}

interface Held {
  at: readonly (string | number)[];
  original: unknown;
}

/** A copy of `node` with the values at `path` replaced by null (which the redactor leaves alone). */
function holdOut(node: unknown, path: readonly string[], at: (string | number)[], held: Held[]): unknown {
  const [segment, ...rest] = path;
  if (segment === undefined) {
    held.push({ at: [...at], original: node });
    return null;
  }
  if (segment === "*") {
    if (!Array.isArray(node)) return node;
    return node.map((item: unknown, index) => holdOut(item, rest, [...at, index], held));
  }
  if (typeof node !== "object" || node === null || Array.isArray(node) || !Object.hasOwn(node, segment)) return node;
  const record = node as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(record)) copy[key] = key === segment ? holdOut(record[key], rest, [...at, key], held) : record[key];
  return copy;
}

/** Sets the held value back in place: every container on a held path is a copy (holdOut's or the redactor's). */
function putBack(node: unknown, at: readonly (string | number)[], original: unknown): unknown {
  if (at.length === 0) return original;
  let container = node;
  for (let index = 0; index < at.length - 1; index++) {
    if (typeof container !== "object" || container === null) return node;
    container = (container as Record<string | number, unknown>)[at[index] as string | number];
  }
  if (typeof container === "object" && container !== null) (container as Record<string | number, unknown>)[at[at.length - 1] as string | number] = original;
  return node;
}

/** Renders a text answer, redacting each data value on its own (the same value once per answer). */
export function redactTextAnswer(redactor: Redactor, answer: TextAnswer): RedactionResult<string> {
  const findings: RedactionFinding[] = [];
  const seen = new Map<string, string>();
  const text = renderText(answer, (value) => {
    const known = seen.get(value);
    if (known !== undefined) return known;
    const result = redactor.redactText(value);
    findings.push(...result.findings);
    seen.set(value, result.value);
    return result.value;
  });
  return { value: text, findings };
}
