/**
 * Text answers keep the server's own words apart from values that came from outside.
 *
 * A tool writes its text with the `line` template tag: the literal parts and numbers are the
 * server's (sentences, counts, cursors it minted via `own`), every interpolated string is data
 * (a name, an id, an ARN, a condition, an analysis label built from cloud text). Rendering cleans
 * and redacts each data value on its own and never rescans the finished text, so a cursor after
 * the word "pass" or a "Credentials: 1" line stays as written, and a value can neither start a line
 * of its own nor carry live markup.
 */
import { cleanInline } from "./untrusted.js";

/** A part of a line: the server's own text, or a value from outside (shown quoted or bare). */
export type TextPart = { readonly own: string } | { readonly data: string; readonly quoted: boolean; readonly max?: number };

export type TextLine = readonly TextPart[];

/** The lines of one text answer; empty lines are dropped when rendered. */
export interface TextAnswer {
  readonly lines: readonly TextLine[];
}

/** A token the server minted (a cursor): shown as is, never redacted. */
export interface OwnText {
  readonly ownText: string;
}

/** A value from outside shown in double quotes (names, ids, ARNs, resources). */
export interface QuotedData {
  readonly quotedData: string;
  readonly max?: number;
}

export type LineValue = string | number | boolean | OwnText | QuotedData | TextLine;

export function own(text: string): OwnText {
  return { ownText: text };
}

/** `max` caps a free-text value such as a display name (ids and ARNs are never cut). */
export function q(value: string, max?: number): QuotedData {
  return max === undefined ? { quotedData: value } : { quotedData: value, max };
}

/** Tag for one line of a text answer: literals are the server's, interpolated strings are data. */
export function line(literals: TemplateStringsArray, ...values: readonly LineValue[]): TextLine {
  const parts: TextPart[] = [];
  literals.forEach((literal, index) => {
    if (literal !== "") parts.push({ own: literal });
    if (index < values.length) appendValue(parts, values[index] ?? "");
  });
  return parts;
}

function appendValue(parts: TextPart[], value: LineValue): void {
  if (typeof value === "number" || typeof value === "boolean") parts.push({ own: String(value) });
  else if (typeof value === "string") parts.push({ data: value, quoted: false });
  else if (Array.isArray(value)) parts.push(...(value as TextLine));
  else if ("ownText" in value) parts.push({ own: value.ownText });
  else if ("quotedData" in value) parts.push({ data: value.quotedData, quoted: true, ...(value.max === undefined ? {} : { max: value.max }) });
}

/** Lines joined by `separator`, as one line (e.g. a list of ids separated by commas). */
export function joinParts(lines: readonly TextLine[], separator: string): TextLine {
  const parts: TextPart[] = [];
  lines.forEach((each, index) => {
    if (index > 0) parts.push({ own: separator });
    parts.push(...each);
  });
  return parts;
}

export function textAnswer(lines: readonly (TextLine | undefined)[]): TextAnswer {
  return { lines: lines.filter((each): each is TextLine => each !== undefined && each.length > 0) };
}

/**
 * The answer as text. `redactValue` gets each data value already cleaned and returns it redacted;
 * quoting comes last, so a marker sits inside the quotes like the value it replaced.
 */
export function renderText(answer: TextAnswer, redactValue: (value: string) => string): string {
  return answer.lines.map((parts) => parts.map((part) => renderPart(part, redactValue)).join("")).join("\n");
}

function renderPart(part: TextPart, redactValue: (value: string) => string): string {
  if ("own" in part) return part.own;
  const redacted = redactValue(cleanInline(part.data));
  // Cut after redacting (a secret cut in half is no longer recognisable), never inside a marker.
  const value = part.max === undefined ? redacted : capOutsideMarkers(redacted, part.max);
  return part.quoted ? JSON.stringify(value) : value;
}

const MARKER = /\[REDACTED:[a-z0-9_]+:[0-9a-f]{8}\]/g;

function capOutsideMarkers(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  for (const match of text.matchAll(MARKER)) {
    if (match.index < cut && match.index + match[0].length > cut) cut = match.index;
  }
  return `${text.slice(0, cut)}…`;
}

/** The answer with every value shown unredacted (tests, and callers that redact elsewhere). */
export function plainText(answer: TextAnswer): string {
  return renderText(answer, (value) => value);
}
