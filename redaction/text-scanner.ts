/**
 * Finds secrets inside one string: prefilter, the detector families it selected, configured
 * patterns, allowlisted identifiers, then overlapping findings merged into one span each.
 */
import { CONTEXT_DETECTORS } from "./detectors-context.js";
import { FORMAT_DETECTORS } from "./detectors-format.js";
import type { FieldNameClassifier } from "./field-names.js";
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

  /** Merged, sorted, non-overlapping spans (empty when nothing was found). */
  scan(text: string, hooks: ScanHooks): readonly Span[] {
    const flags = familiesIn(text);
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
