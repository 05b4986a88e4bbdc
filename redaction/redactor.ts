/**
 * The redactor: one walk over a JSON value, structure first (field names, object shapes, PEM lines
 * split over array items, JSON and base64 inside strings), then formats and context inside every
 * string. Unchanged subtrees are returned as they are (no copy); changed ones are copied with the
 * same keys in the same order and the same array lengths.
 */
import { authorizationCredentialOffset, authorizationKind, looksSecretish } from "./detectors-context.js";
import { decodedBase64Text, isPublicCertificate } from "./detectors-format.js";
import { RedactionError } from "./errors.js";
import { FieldNameClassifier } from "./field-names.js";
import { Fingerprinter, MARKER_PREFIX, MARKERS_IN_TEXT, formatMarker, sanitizeKind } from "./fingerprint.js";
import { isSafeSecretFieldValue } from "./identifiers.js";
import type { Span } from "./scan-types.js";
import { fieldContext, structuralSecrets, type SecretContext } from "./structure-rules.js";
import { TextScanner, isContextKind, type ExtraPattern, type ScanHooks } from "./text-scanner.js";
import type { RedactionFinding, RedactionResult, Redactor, RedactorOptions } from "./types.js";
import { REDACTION_RULESET_VERSION } from "./version.js";

const DEFAULT_TIMEOUT_MS = 10_000;
const MIN_KEY_BYTES = 16;
const MAX_DEPTH = 512;
const MAX_NESTED_PAYLOADS = 4;
/** No detector matches fewer characters than this (the shortest is "pwd=x"). */
const MIN_SCANNED_LENGTH = 5;
/** Keys shorter than this cannot hold a detectable secret worth breaking the key for. */
const MIN_SCANNED_KEY_LENGTH = 16;

interface Engine {
  readonly classifier: FieldNameClassifier;
  readonly scanner: TextScanner;
  readonly fingerprinter: Fingerprinter;
  readonly timeoutMs: number;
  readonly minScannedLength: number;
  readonly cleanKeys: Set<string>;
  readonly fieldContexts: Map<string, SecretContext>;
}

export function createRedactor(options: RedactorOptions): Redactor {
  const engine = createEngine(options);
  return {
    rulesetVersion: REDACTION_RULESET_VERSION,
    redact<T>(value: T): RedactionResult<T> {
      return failClosed(engine, (run) => run.value(value, undefined) as T);
    },
    redactText(text: string): RedactionResult<string> {
      if (typeof text !== "string") throw new RedactionError("redactText expects a string");
      return failClosed(engine, (run) => run.text(text));
    },
  };
}

function createEngine(options: RedactorOptions): Engine {
  if (!(options.key instanceof Uint8Array) || options.key.length < MIN_KEY_BYTES) {
    throw new RedactionError(`the redaction key must be at least ${MIN_KEY_BYTES} bytes`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RedactionError("timeoutMs must be a positive number");
  const extraPatterns: ExtraPattern[] = (options.extraPatterns ?? []).map((pattern, index) => {
    try {
      return { kind: sanitizeKind(pattern.kind), regex: new RegExp(pattern.pattern, "gd") };
    } catch {
      throw new RedactionError(`extraPatterns[${index}] (${sanitizeKind(pattern.kind)}) is not a valid regular expression`);
    }
  });
  const classifier = new FieldNameClassifier(options.extraSecretFieldNames ?? []);
  return {
    classifier,
    scanner: new TextScanner(classifier, extraPatterns, options.allowIdentifiers ?? []),
    fingerprinter: new Fingerprinter(Uint8Array.from(options.key)),
    timeoutMs,
    minScannedLength: extraPatterns.length > 0 ? 1 : MIN_SCANNED_LENGTH,
    cleanKeys: new Set(),
    fieldContexts: new Map(),
  };
}

/** Never return partially redacted data: any failure or overrun becomes a RedactionError. */
function failClosed<T>(engine: Engine, work: (run: RedactionRun) => T): RedactionResult<T> {
  const run = new RedactionRun(engine, Date.now() + engine.timeoutMs, 0);
  try {
    const value = work(run);
    run.checkDeadline();
    return { value, findings: run.findings };
  } catch (error) {
    if (error instanceof RedactionError) throw error;
    // The original error may quote the input: keep only its type.
    const type = error instanceof Error ? error.name : typeof error;
    throw new RedactionError(`redaction failed (${type}); nothing was returned`);
  }
}

class RedactionRun {
  readonly findings: RedactionFinding[] = [];
  readonly #engine: Engine;
  readonly #deadline: number;
  readonly #nesting: number;
  readonly #path: (string | number)[];
  readonly #ancestors = new Set<object>();
  #visits = 0;
  readonly #hooks: ScanHooks;

  constructor(engine: Engine, deadline: number, nesting: number, path: (string | number)[] = []) {
    this.#engine = engine;
    this.#deadline = deadline;
    this.#nesting = nesting;
    this.#path = path;
    this.#hooks = {
      checkDeadline: () => this.checkDeadline(),
      inspectDecoded: (decoded) => this.#inspectDecoded(decoded),
    };
  }

  checkDeadline(): void {
    if (Date.now() > this.#deadline) {
      throw new RedactionError(`redaction took longer than ${this.#engine.timeoutMs} ms; nothing was returned`);
    }
  }

  value(node: unknown, context: SecretContext | undefined): unknown {
    if ((++this.#visits & 1023) === 0) this.checkDeadline();
    switch (typeof node) {
      case "string":
        return context ? this.#secretString(node, context) : this.#freeString(node);
      case "number":
        return context?.strict && Number.isFinite(node) ? this.#marker(context.kind, String(node)) : node;
      case "boolean":
      case "undefined":
        return node;
      case "object":
        if (node === null) return node;
        return Array.isArray(node) ? this.#array(node, context) : this.#object(node, context);
      default:
        throw new RedactionError(`cannot redact a value of type ${typeof node}`);
    }
  }

  /** Free text: a JSON document is redacted as structure, anything else as text. */
  text(text: string): string {
    const embedded = this.#embeddedJson(text);
    if (embedded !== undefined) return embedded;
    return this.#scanAndApply(text);
  }

  #freeString(text: string): string {
    if (text.length < this.#engine.minScannedLength) return text;
    const embedded = this.#embeddedJson(text);
    if (embedded !== undefined) return embedded;
    const scanned = this.#scanAndApply(text);
    if (scanned !== text) return scanned;
    // A value that is base64 of text is read as the text it encodes; a secret in it takes the whole value.
    const decoded = decodedBase64Text(text);
    if (decoded === undefined) return text;
    const kinds = this.#inspectDecoded(decoded);
    return kinds.length === 0 ? text : this.#marker(`base64_${kinds[0] ?? "secret"}`, text);
  }

  #scanAndApply(text: string): string {
    const spans = this.#engine.scanner.scan(text, this.#hooks);
    return spans.every((span) => span.alreadyRedacted) ? text : this.#applySpans(text, spans);
  }

  /** A value the field name says is secret: only a clearly harmless value, or structure around a located secret, stays. */
  #secretString(text: string, context: SecretContext): string {
    if (isSafeSecretFieldValue(text) || isPublicCertificate(text)) return text;
    if (context.category === "authorization") {
      const offset = authorizationCredentialOffset(text);
      if (offset > 0) {
        const credential = text.slice(offset);
        return isSafeSecretFieldValue(credential) ? text : text.slice(0, offset) + this.#marker(authorizationKind(text), credential);
      }
    }
    const spans = this.#engine.scanner.scan(text, this.#hooks);
    // A located secret (a URL password, a `sig=`, a header's credentials) keeps the structure
    // around it, also when it is a marker already. Markers no detector lands on are trusted only
    // when what surrounds them is structure, never a credential-looking word: the marker format is
    // public, and a forged one must not open a secret-named field.
    const located = (span: Span) => span.alreadyRedacted === true || (span.partial && !isContextKind(span.kind));
    const markers = markerPlacement(text);
    const kept = spans.length > 0 ? spans.every(located) : markers === "apart" && onlyStructureAround(text);
    if (kept && markers !== "glued") return this.#applySpans(text, spans);
    const only = spans.length === 1 ? spans[0] : undefined;
    const coversAll = only !== undefined && text.slice(0, only.start).trim() === "" && text.slice(only.end).trim() === "";
    if (only && coversAll) return only.alreadyRedacted ? text : this.#marker(only.kind, only.fingerprintSource ?? text);
    return this.#marker(context.kind, text);
  }

  #array(items: readonly unknown[], context: SecretContext | undefined): unknown {
    this.#enter(items);
    if (context === undefined && items.length > 1 && hasPemHeader(items)) {
      const joined = this.#pemLinesAcrossItems(items);
      if (joined !== undefined) {
        this.#leave(items);
        return joined;
      }
    }
    let copy: unknown[] | undefined;
    let flagContext: SecretContext | undefined;
    for (let index = 0; index < items.length; index++) {
      const item = items[index];
      this.#path.push(index);
      // Command lines as arrays: ["--db-password", "value"] (container args, argv).
      const redacted = this.value(item, context ?? flagContext);
      flagContext = typeof item === "string" ? this.#secretFlagContext(item) : undefined;
      this.#path.pop();
      if (redacted !== item) {
        copy ??= items.slice();
        copy[index] = redacted;
      }
    }
    this.#leave(items);
    return copy ?? items;
  }

  #secretFlagContext(item: string): SecretContext | undefined {
    if (item.length < 3 || item.length > 64 || !item.startsWith("--")) return undefined;
    // A flag is one word: "=", spaces or a marker mean this item is a value or prose, not a flag.
    if (/[=\s]/.test(item) || item.includes("[REDACTED:")) return undefined;
    return this.#contextForKey(item.slice(2), undefined);
  }

  /** PEM keys stored one line per array item: scan the lines together, redact each piece. */
  #pemLinesAcrossItems(items: readonly unknown[]): unknown[] | undefined {
    const offsets: number[] = [];
    let joined = "";
    items.forEach((item, index) => {
      offsets[index] = joined.length;
      if (typeof item === "string") joined += `${item}\n`;
    });
    const spans = this.#engine.scanner.scan(joined, this.#hooks).filter((span) => !span.alreadyRedacted);
    if (spans.length === 0) return undefined;
    const markers = spans.map((span) => {
      const firstItem = offsets.findIndex((offset, index) => typeof items[index] === "string" && offset + String(items[index]).length >= span.start);
      this.#path.push(Math.max(0, firstItem));
      const marker = this.#marker(span.kind, span.fingerprintSource ?? joined.slice(span.start, span.end));
      this.#path.pop();
      return marker;
    });
    return items.map((item, index) => {
      if (typeof item !== "string") {
        this.#path.push(index);
        const redacted = this.value(item, undefined);
        this.#path.pop();
        return redacted;
      }
      const itemStart = offsets[index] ?? 0;
      const itemEnd = itemStart + item.length;
      let result = "";
      let cursor = itemStart;
      spans.forEach((span, spanIndex) => {
        if (span.end <= itemStart || span.start >= itemEnd) return;
        const from = Math.max(span.start, itemStart);
        result += joined.slice(cursor, from) + (markers[spanIndex] ?? "");
        cursor = Math.min(span.end, itemEnd);
      });
      return cursor === itemStart && result === "" ? item : result + joined.slice(cursor, itemEnd);
    });
  }

  #object(node: object, context: SecretContext | undefined): unknown {
    const prototype: unknown = Object.getPrototypeOf(node);
    if (prototype !== Object.prototype && prototype !== null) {
      if (node instanceof Date) return node;
      throw new RedactionError(`cannot redact a ${node.constructor?.name ?? "non-plain"} object; pass JSON-compatible data`);
    }
    const record = node as Readonly<Record<string, unknown>>;
    const keys = Object.keys(record);
    const rules = structuralSecrets(record, keys, this.#engine.classifier, (name) => this.#redactedName(name));
    let copy: Record<string, unknown> | undefined;
    this.#enter(node);
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index] ?? "";
      const child = record[key];
      const outKey = this.#redactKey(key);
      // A key is judged as it is sent (its own secrets replaced), as a redacted copy's key would be.
      const childContext = rules?.get(key) ?? (context?.allStrings ? context : this.#contextForKey(outKey, context));
      this.#path.push(outKey);
      const redacted = this.value(child, childContext);
      this.#path.pop();
      if (copy === undefined && (redacted !== child || outKey !== key)) {
        copy = {};
        for (let earlier = 0; earlier < index; earlier++) {
          const earlierKey = keys[earlier] ?? "";
          defineEntry(copy, earlierKey, record[earlierKey]);
        }
      }
      if (copy !== undefined) defineEntry(copy, outKey, redacted);
    }
    this.#leave(node);
    return copy ?? node;
  }

  /** A name value as the walk will send it, without recording findings (those come when it is walked). */
  #redactedName(name: string): string {
    const scratch = new RedactionRun(this.#engine, this.#deadline, this.#nesting);
    return scratch.#freeString(name);
  }

  #contextForKey(key: string, parent: SecretContext | undefined): SecretContext | undefined {
    const info = this.#engine.classifier.info(key);
    const field = info.field;
    if (field.role === "secret") {
      const cacheKey = `${field.category}:${field.strict}`;
      let context = this.#engine.fieldContexts.get(cacheKey);
      if (!context) {
        context = fieldContext(field.category, field.strict);
        this.#engine.fieldContexts.set(cacheKey, context);
      }
      return context;
    }
    if (field.role === "neutral" && parent && info.valueKey) return parent;
    return undefined;
  }

  /** Keys are scanned too: a secret used as a map key must not survive (the key is replaced). */
  #redactKey(key: string): string {
    if (key.length < MIN_SCANNED_KEY_LENGTH || this.#engine.cleanKeys.has(key)) return key;
    const spans = this.#engine.scanner.scan(key, this.#hooks);
    if (spans.every((span) => span.alreadyRedacted)) {
      if (this.#engine.cleanKeys.size > 50_000) this.#engine.cleanKeys.clear();
      this.#engine.cleanKeys.add(key);
      return key;
    }
    return this.#applySpans(key, spans);
  }

  /** JSON inside a string: redact it as structure and re-serialize only if something changed. */
  #embeddedJson(text: string): string | undefined {
    const first = firstNonSpace(text);
    const last = lastNonSpace(text);
    if (!((first === "{" && last === "}") || (first === "[" && last === "]"))) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (this.#nesting >= MAX_NESTED_PAYLOADS) throw new RedactionError("too many nested encoded payloads");
    const nested = new RedactionRun(this.#engine, this.#deadline, this.#nesting + 1, [...this.#path]);
    const redacted = nested.value(parsed, undefined);
    this.findings.push(...nested.findings);
    if (redacted === parsed) return text;
    return JSON.stringify(redacted, null, indentationOf(text));
  }

  /** Kinds of the secrets inside a decoded payload; the caller replaces the whole payload. */
  #inspectDecoded(decoded: string): readonly string[] {
    if (this.#nesting >= MAX_NESTED_PAYLOADS) throw new RedactionError("too many nested encoded payloads");
    const nested = new RedactionRun(this.#engine, this.#deadline, this.#nesting + 1, [...this.#path]);
    nested.text(decoded);
    return nested.findings.map((finding) => finding.kind);
  }

  #applySpans(text: string, spans: readonly Span[]): string {
    let result = "";
    let cursor = 0;
    for (const span of spans) {
      if (span.alreadyRedacted) continue;
      result += text.slice(cursor, span.start) + this.#marker(span.kind, span.fingerprintSource ?? text.slice(span.start, span.end));
      cursor = span.end;
    }
    return result + text.slice(cursor);
  }

  #marker(kind: string, secret: string): string {
    const fingerprint = this.#engine.fingerprinter.fingerprint(secret);
    this.findings.push({ kind, path: formatPath(this.#path), fingerprint });
    return formatMarker(kind, fingerprint);
  }

  #enter(node: object): void {
    if (this.#ancestors.has(node)) throw new RedactionError("cannot redact a value that contains itself");
    if (this.#path.length > MAX_DEPTH) throw new RedactionError(`value is nested deeper than ${MAX_DEPTH} levels`);
    this.#ancestors.add(node);
  }

  #leave(node: object): void {
    this.#ancestors.delete(node);
  }
}

/** Whether a text holds markers, and whether any has a letter or digit glued to it. */
function markerPlacement(text: string): "none" | "apart" | "glued" {
  if (!text.includes(MARKER_PREFIX)) return "none";
  let placement: "none" | "apart" = "none";
  MARKERS_IN_TEXT.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = MARKERS_IN_TEXT.exec(text)) !== null) {
    if (WORD_CHARACTER.test(text.charAt(match.index - 1)) || WORD_CHARACTER.test(text.charAt(match.index + match[0].length))) return "glued";
    placement = "apart";
  }
  return placement;
}

const WORD_CHARACTER = /[\p{L}\p{N}]/u;

/**
 * The text around its markers is names (a token right before `=` or `:`), separators and plain
 * words: no other token looks like a credential.
 */
function onlyStructureAround(text: string): boolean {
  MARKERS_IN_TEXT.lastIndex = 0;
  const around = text.replace(MARKERS_IN_TEXT, " ");
  TOKEN.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = TOKEN.exec(around)) !== null) {
    const next = around.charAt(match.index + match[0].length);
    if (next !== "=" && next !== ":" && looksSecretish(match[0])) return false;
  }
  return true;
}

const TOKEN = /[A-Za-z0-9_.-]+/g;

function hasPemHeader(items: readonly unknown[]): boolean {
  return items.some((item) => typeof item === "string" && item.includes("-----BEGIN"));
}

/** Assignment would call the __proto__ setter; define it as a plain own property instead. */
function defineEntry(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function firstNonSpace(text: string): string {
  for (let index = 0; index < text.length; index++) {
    const char = text.charAt(index);
    if (char.trim() !== "") return char;
  }
  return "";
}

function lastNonSpace(text: string): string {
  for (let index = text.length - 1; index >= 0; index--) {
    const char = text.charAt(index);
    if (char.trim() !== "") return char;
  }
  return "";
}

function indentationOf(text: string): string | undefined {
  const match = /\n([ \t]+)\S/.exec(text);
  return match?.[1];
}

function formatPath(path: readonly (string | number)[]): string {
  let result = "$";
  for (const segment of path) {
    if (typeof segment === "number") result += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) result += `.${segment}`;
    else result += `[${JSON.stringify(segment)}]`;
  }
  return result;
}
