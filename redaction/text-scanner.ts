/**
 * Finds secrets inside one string: prefilter, the detector families it selected, configured
 * patterns, allowlisted identifiers, then overlapping findings merged into one span each.
 */
import { CONTEXT_DETECTORS } from "./detectors-context.js";
import { FORMAT_DETECTORS } from "./detectors-format.js";
import type { FieldNameClassifier } from "./field-names.js";
import { MARKER_PREFIX, MARKERS_IN_TEXT } from "./fingerprint.js";
import { familiesIn } from "./prefilter.js";
import type { DetectorEnvironment, PushOptions, Span } from "./scan-types.js";

export interface ExtraPattern {
  kind: string;
  /** Global (and hasIndices) regex; a named group `secret` narrows the span. */
  regex: RegExp;
}

export interface ScanHooks {
  inspectDecoded(decoded: string): readonly string[];
  checkDeadline(): void;
}

const DETECTORS = [...FORMAT_DETECTORS, ...CONTEXT_DETECTORS];
/** The filler a marker is masked with. */
const MASK = "\u0000";
/** What a NUL of the input is scanned as. */
const INPUT_NUL = "\uFFFD";
const NO_SPANS: readonly Span[] = Object.freeze([]);

/** The environment detectors see during one scan. */
class ScanSession implements DetectorEnvironment {
  flags = 0;
  spans: Span[] = [];
  readonly classifier: FieldNameClassifier;
  #hooks: ScanHooks | undefined;

  constructor(classifier: FieldNameClassifier) {
    this.classifier = classifier;
  }

  start(flags: number, hooks: ScanHooks): void {
    this.flags = flags;
    this.#hooks = hooks;
  }

  finish(): void {
    this.spans = [];
    this.#hooks = undefined;
  }

  push(start: number, end: number, kind: string, options: PushOptions = {}): void {
    if (end <= start) return;
    const span: Span = { start, end, kind, partial: options.partial === true };
    if (options.fingerprintSource !== undefined) span.fingerprintSource = options.fingerprintSource;
    this.spans.push(span);
  }

  inspectDecoded(decoded: string): readonly string[] {
    return this.#hooks ? this.#hooks.inspectDecoded(decoded) : [];
  }
}
const LONG_TEXT = 64 * 1024;

export class TextScanner {
  readonly #classifier: FieldNameClassifier;
  readonly #extraPatterns: readonly ExtraPattern[];
  readonly #allowIdentifiers: readonly string[];
  readonly #sessions: ScanSession[] = [];

  constructor(classifier: FieldNameClassifier, extraPatterns: readonly ExtraPattern[], allowIdentifiers: readonly string[]) {
    this.#classifier = classifier;
    this.#extraPatterns = extraPatterns;
    this.#allowIdentifiers = allowIdentifiers.filter((identifier) => identifier.length > 0);
  }

  /**
   * Merged, sorted, non-overlapping spans (empty when nothing was found). Markers of an earlier
   * redaction are opaque: detectors see them as filler, and a span that falls on one comes back
   * `alreadyRedacted` (redacting twice changes nothing and never nests a marker).
   */
  scan(input: string, hooks: ScanHooks): readonly Span[] {
    // NUL means "masked marker" to the detectors, so a NUL of the input becomes another character
    // (same length, same offsets): a secret holding one is read whole, as any other character.
    const text = input.includes(MASK) ? input.replace(/\u0000/g, INPUT_NUL) : input;
    const flags = familiesIn(text);
    if (flags === 0 && this.#extraPatterns.length === 0) return NO_SPANS;
    // Only text some detector could match is searched for markers (most text has neither).
    if (!text.includes(MARKER_PREFIX)) return this.#scanUnmarked(text, flags, hooks);
    const markers = markerRanges(text);
    if (markers.length === 0) return this.#scanUnmarked(text, flags, hooks);
    const masked = maskRanges(text, markers);
    const spans = this.#scanUnmarked(masked, familiesIn(masked), hooks);
    return spans.length === 0 ? spans : outsideMarkers(text, spans, markers);
  }

  #scanUnmarked(text: string, flags: number, hooks: ScanHooks): readonly Span[] {
    if (flags === 0 && this.#extraPatterns.length === 0) return NO_SPANS;
    // Sessions are pooled (most scans find nothing) and stacked: a detector may scan decoded content.
    const session = this.#sessions.pop() ?? new ScanSession(this.#classifier);
    session.start(flags, hooks);
    try {
      const long = text.length > LONG_TEXT;
      if (flags !== 0) {
        for (const detector of DETECTORS) {
          detector(text, session);
          if (long) hooks.checkDeadline();
        }
      }
      for (const pattern of this.#extraPatterns) this.#runExtraPattern(text, pattern, session);
      if (session.spans.length === 0) return NO_SPANS;
      return mergeSpans(session.spans.filter((span) => !this.#isAllowlisted(text, span)));
    } finally {
      session.finish();
      this.#sessions.push(session);
    }
  }

  #runExtraPattern(text: string, pattern: ExtraPattern, env: ScanSession): void {
    pattern.regex.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = pattern.regex.exec(text)) !== null) {
      if (match[0].length === 0) {
        pattern.regex.lastIndex++;
        continue;
      }
      const narrowed = match.indices?.groups?.["secret"];
      if (narrowed) env.push(narrowed[0], narrowed[1], pattern.kind, { partial: true });
      else env.push(match.index, match.index + match[0].length, pattern.kind);
    }
  }

  /** An allowlisted identifier protects any finding that lies inside one of its occurrences. */
  #isAllowlisted(text: string, span: Span): boolean {
    for (const identifier of this.#allowIdentifiers) {
      if (identifier.length < span.end - span.start) continue;
      const position = text.indexOf(identifier, Math.max(0, span.end - identifier.length));
      if (position !== -1 && position <= span.start) return true;
    }
    return false;
  }
}

type Range = readonly [number, number];

function markerRanges(text: string): Range[] {
  const ranges: Range[] = [];
  MARKERS_IN_TEXT.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = MARKERS_IN_TEXT.exec(text)) !== null) ranges.push([match.index, match.index + match[0].length]);
  return ranges;
}

/**
 * NUL is no detector's character (not a word, base64, name or separator character), so a masked
 * marker still ends values and names where it stood, and offsets stay those of the original.
 */
function maskRanges(text: string, ranges: readonly Range[]): string {
  let masked = "";
  let cursor = 0;
  for (const [start, end] of ranges) {
    masked += text.slice(cursor, start) + MASK.repeat(end - start);
    cursor = end;
  }
  return masked + text.slice(cursor);
}

/**
 * Spans with the markers cut out: what lies outside every marker is redacted as found, unless it
 * is only punctuation or spaces between markers, or follows a marker after a space or punctuation (a value reader
 * that runs to the end of the line took the words after a value the first redaction removed). A
 * span wholly on markers is `alreadyRedacted`.
 */
function outsideMarkers(text: string, spans: readonly Span[], markers: readonly Range[]): readonly Span[] {
  const result: Span[] = [];
  for (const span of spans) {
    let cursor = span.start;
    let pieces = 0;
    for (const [start, end] of markers) {
      if (end <= cursor || start >= span.end) continue;
      if (start > cursor) pieces += pushPiece(text, span, cursor, start, result);
      cursor = Math.max(cursor, end);
    }
    if (cursor < span.end) pieces += pushPiece(text, span, cursor, span.end, result);
    if (pieces === 0) result.push({ ...span, alreadyRedacted: true });
  }
  return result;
}

function pushPiece(text: string, span: Span, start: number, end: number, into: Span[]): number {
  const piece = text.slice(start, end);
  if (!/[\p{L}\p{N}]/u.test(piece)) return 0;
  if (start > span.start && /^[^\p{L}\p{N}_]/u.test(piece)) return 0;
  const whole = start === span.start && end === span.end;
  const found: Span = { start, end, kind: span.kind, partial: whole ? span.partial : true };
  if (whole && span.fingerprintSource !== undefined) found.fingerprintSource = span.fingerprintSource;
  into.push(found);
  return 1;
}

/** Kinds found by context rather than by format: a format kind names an overlap better. */
export function isContextKind(kind: string): boolean {
  return kind.endsWith("_assignment") || kind.endsWith("_in_text") || kind === "high_entropy_secret";
}

function rank(span: Span): number {
  return isContextKind(span.kind) ? 0 : 1;
}

export function mergeSpans(spans: Span[]): readonly Span[] {
  spans.sort((left, right) => left.start - right.start || right.end - left.end);
  const merged: Span[] = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (!last || span.start >= last.end) {
      merged.push({ ...span });
      continue;
    }
    const better = rank(span) > rank(last) || (rank(span) === rank(last) && span.end - span.start > last.end - last.start);
    if (better) {
      last.kind = span.kind;
      if (span.fingerprintSource !== undefined) last.fingerprintSource = span.fingerprintSource;
      else delete last.fingerprintSource;
    }
    if (span.end > last.end) {
      last.end = span.end;
      last.partial = last.partial && span.partial;
    }
  }
  return merged;
}
