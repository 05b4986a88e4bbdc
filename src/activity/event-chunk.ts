/**
 * Events in a compact, transferable form: what a log parser (in a worker thread or in process)
 * hands to the activity log. A chunk is one log file's events as rows of string-table indexes plus
 * a few small codes, with the chunk's own table of distinct strings. It crosses threads as two
 * ArrayBuffers and one array of strings, and the log merges it by re-interning the chunk's strings
 * once each instead of once per event.
 */
import { ACTIVITY_CATEGORIES, ACTIVITY_OUTCOMES, NETWORK_CLASSES, type ActivityCategory, type ActivityOutcome, type NetworkClass } from "../model/activity-log.js";
import { PROVIDER_IDS, type ProviderId } from "../providers/ids.js";
import type { ActivityEventInput } from "./log.js";

/** Column offsets in a row of `ActivityChunk.fields`; string fields hold a chunk-table index (0: absent). */
export const CHUNK_FIELD = {
  id: 0,
  scope: 1,
  principal: 2,
  credential: 3,
  action: 4,
  resource: 5,
  via: 6,
  address: 7,
  networkKey: 8,
  country: 9,
  agent: 10,
  /** provider | kind << 3 | category << 4 | network class << 8 | outcome << 10 */
  codes: 11,
} as const;
export const CHUNK_STRIDE = 12;

export interface ChunkTally {
  /** Records read (one per log entry, kept or not). */
  records: number;
  /** Records that became events. */
  events: number;
  /** Records that are no identity's call or lack what an event needs: counted, never guessed. */
  skipped: number;
}

export interface ActivityChunk {
  rows: number;
  /** Event times, epoch milliseconds. */
  timeMs: Float64Array;
  /** rows × CHUNK_STRIDE. */
  fields: Int32Array;
  /** The chunk's strings; index 0 is "absent". */
  strings: string[];
  tally: ChunkTally;
}

const PROVIDER_CODE = new Map<ProviderId, number>(PROVIDER_IDS.map((provider, i) => [provider, i]));
const CATEGORY_CODE = new Map<ActivityCategory, number>(ACTIVITY_CATEGORIES.map((category, i) => [category, i + 1]));
const NETWORK_CODE = new Map<NetworkClass, number>(NETWORK_CLASSES.map((network, i) => [network, i]));
const OUTCOME_CODE = new Map<ActivityOutcome, number>(ACTIVITY_OUTCOMES.map((outcome, i) => [outcome, i]));

export function packCodes(provider: ProviderId, kind: ActivityEventInput["kind"], category: ActivityCategory | undefined, network: NetworkClass, outcome: ActivityOutcome): number {
  return (
    (PROVIDER_CODE.get(provider) ?? 0) |
    ((kind === "sign_in" ? 1 : 0) << 3) |
    ((category === undefined ? 0 : (CATEGORY_CODE.get(category) ?? 0)) << 4) |
    ((NETWORK_CODE.get(network) ?? 3) << 8) |
    ((OUTCOME_CODE.get(outcome) ?? 0) << 10)
  );
}

export const codeProvider = (codes: number): ProviderId => PROVIDER_IDS[codes & 7] ?? PROVIDER_IDS[0];
export const codeIsSignIn = (codes: number): boolean => ((codes >> 3) & 1) === 1;
export const codeCategory = (codes: number): ActivityCategory | undefined => (((codes >> 4) & 15) === 0 ? undefined : ACTIVITY_CATEGORIES[((codes >> 4) & 15) - 1]);
export const codeNetwork = (codes: number): NetworkClass => NETWORK_CLASSES[(codes >> 8) & 3] ?? "unknown";
export const codeOutcome = (codes: number): ActivityOutcome => ACTIVITY_OUTCOMES[(codes >> 10) & 3] ?? "success";

const INITIAL_ROWS = 1024;

/** Builds one chunk: strings interned in first-use order, rows appended. */
export class ActivityChunkWriter {
  private rows = 0;
  private timeMs = new Float64Array(INITIAL_ROWS);
  private fields = new Int32Array(INITIAL_ROWS * CHUNK_STRIDE);
  private readonly strings: string[] = [""];
  private readonly index = new Map<string, number>();
  readonly tally: ChunkTally = { records: 0, events: 0, skipped: 0 };

  intern(value: string | undefined): number {
    if (value === undefined || value.length === 0) return 0;
    const known = this.index.get(value);
    if (known !== undefined) return known;
    const next = this.strings.length;
    this.strings.push(value);
    this.index.set(value, next);
    return next;
  }

  stringAt(key: number): string {
    return this.strings[key] ?? "";
  }

  /** Appends a row; returns the offset of its fields, which the caller fills (CHUNK_FIELD). */
  appendRow(timeMs: number): number {
    if (this.rows === this.timeMs.length) {
      const time = new Float64Array(this.rows * 2);
      time.set(this.timeMs);
      this.timeMs = time;
      const fields = new Int32Array(this.rows * 2 * CHUNK_STRIDE);
      fields.set(this.fields);
      this.fields = fields;
    }
    this.timeMs[this.rows] = timeMs;
    const offset = this.rows * CHUNK_STRIDE;
    this.fields.fill(0, offset, offset + CHUNK_STRIDE);
    this.rows++;
    this.tally.events++;
    return offset;
  }

  get fieldsArray(): Int32Array {
    return this.fields;
  }

  /**
   * Forgets the rows (the strings stay; unused ones are never merged). JSON takes the last of two
   * equal keys, so a second `Records` array replaces the first.
   */
  dropRows(): void {
    this.rows = 0;
    this.tally.records = 0;
    this.tally.events = 0;
    this.tally.skipped = 0;
  }

  add(event: ActivityEventInput): void {
    const offset = this.appendRow(event.timeMs);
    const fields = this.fields;
    fields[offset + CHUNK_FIELD.id] = this.intern(event.id);
    fields[offset + CHUNK_FIELD.scope] = this.intern(event.scopeId);
    fields[offset + CHUNK_FIELD.principal] = this.intern(event.principalId);
    fields[offset + CHUNK_FIELD.credential] = this.intern(event.credentialId);
    fields[offset + CHUNK_FIELD.action] = this.intern(event.action);
    fields[offset + CHUNK_FIELD.resource] = this.intern(event.resource);
    fields[offset + CHUNK_FIELD.via] = this.intern(event.via);
    fields[offset + CHUNK_FIELD.address] = this.intern(event.sourceAddress);
    fields[offset + CHUNK_FIELD.networkKey] = this.intern(event.networkKey);
    fields[offset + CHUNK_FIELD.country] = this.intern(event.country);
    fields[offset + CHUNK_FIELD.agent] = this.intern(event.userAgent);
    fields[offset + CHUNK_FIELD.codes] = packCodes(event.provider, event.kind, event.category, event.network, event.outcome);
  }

  finish(): ActivityChunk {
    return {
      rows: this.rows,
      timeMs: this.timeMs.slice(0, this.rows),
      fields: this.fields.slice(0, this.rows * CHUNK_STRIDE),
      strings: this.strings,
      tally: { ...this.tally },
    };
  }
}

/**
 * A chunk as it crosses threads: its strings as one UTF-8 buffer with their end offsets. Cloning
 * an array of strings costs close to a microsecond a string (a file's chunk holds thousands);
 * the buffers are handed over without a copy.
 */
export interface PackedActivityChunk {
  rows: number;
  timeMs: Float64Array;
  fields: Int32Array;
  text: Uint8Array;
  /** End offset in `text` of each string; string i spans [ends[i - 1] ?? 0, ends[i]). */
  ends: Int32Array;
  /** Every string is ASCII (bytes are characters). */
  ascii: boolean;
  tally: ChunkTally;
}

export function packChunk(chunk: ActivityChunk): PackedActivityChunk {
  const joined = chunk.strings.join("");
  const text = Buffer.from(joined, "utf8");
  const ascii = text.length === joined.length;
  const ends = new Int32Array(chunk.strings.length);
  let end = 0;
  for (let i = 0; i < chunk.strings.length; i++) {
    const value = chunk.strings[i] ?? "";
    end += ascii ? value.length : Buffer.byteLength(value, "utf8");
    ends[i] = end;
  }
  return { rows: chunk.rows, timeMs: chunk.timeMs, fields: chunk.fields, text: new Uint8Array(text.buffer, text.byteOffset, text.length), ends, ascii, tally: chunk.tally };
}

export function unpackChunk(packed: PackedActivityChunk): ActivityChunk {
  const text = Buffer.from(packed.text.buffer, packed.text.byteOffset, packed.text.length);
  const encoding = packed.ascii ? "latin1" : "utf8";
  const strings: string[] = new Array<string>(packed.ends.length);
  let start = 0;
  for (let i = 0; i < packed.ends.length; i++) {
    const end = packed.ends[i] as number;
    strings[i] = text.toString(encoding, start, end);
    start = end;
  }
  return { rows: packed.rows, timeMs: packed.timeMs, fields: packed.fields, strings, tally: packed.tally };
}

/** The ArrayBuffers a packed chunk hands over to another thread without copying. */
export function packedTransferList(packed: PackedActivityChunk): ArrayBuffer[] {
  const buffers = [packed.timeMs.buffer, packed.fields.buffer, packed.ends.buffer] as ArrayBuffer[];
  // Buffer.from of a short string lands in Node's shared pool, which must never be handed over (it is copied instead).
  if (packed.text.byteOffset === 0 && packed.text.buffer.byteLength === packed.text.length) buffers.push(packed.text.buffer as ArrayBuffer);
  return buffers;
}

/** The chunk's events, one object each (for consumers that keep events as JSON). */
export function* chunkEvents(chunk: ActivityChunk): Generator<ActivityEventInput> {
  const { fields, strings } = chunk;
  const text = (offset: number): string | undefined => {
    const key = fields[offset] as number;
    return key === 0 ? undefined : strings[key];
  };
  for (let row = 0; row < chunk.rows; row++) {
    const offset = row * CHUNK_STRIDE;
    const codes = fields[offset + CHUNK_FIELD.codes] as number;
    yield {
      id: text(offset + CHUNK_FIELD.id) ?? "",
      timeMs: chunk.timeMs[row] as number,
      provider: codeProvider(codes),
      scopeId: text(offset + CHUNK_FIELD.scope) ?? "",
      principalId: text(offset + CHUNK_FIELD.principal) ?? "",
      credentialId: text(offset + CHUNK_FIELD.credential),
      kind: codeIsSignIn(codes) ? "sign_in" : "api_call",
      action: text(offset + CHUNK_FIELD.action) ?? "",
      category: codeCategory(codes),
      resource: text(offset + CHUNK_FIELD.resource),
      via: text(offset + CHUNK_FIELD.via),
      sourceAddress: text(offset + CHUNK_FIELD.address),
      network: codeNetwork(codes),
      networkKey: text(offset + CHUNK_FIELD.networkKey),
      country: text(offset + CHUNK_FIELD.country),
      userAgent: text(offset + CHUNK_FIELD.agent),
      outcome: codeOutcome(codes),
    };
  }
}

/**
 * The chunk's rows timed within [fromMs, toMs], in order: the chunk itself when all are (the
 * strings are shared either way; a string no kept row names is never merged).
 */
export function chunkRowsWithin(chunk: ActivityChunk, fromMs: number, toMs: number): ActivityChunk {
  const { timeMs, fields } = chunk;
  let kept = 0;
  for (let row = 0; row < chunk.rows; row++) {
    const time = timeMs[row] as number;
    if (time >= fromMs && time <= toMs) kept++;
  }
  if (kept === chunk.rows) return chunk;
  const keptTimes = new Float64Array(kept);
  const keptFields = new Int32Array(kept * CHUNK_STRIDE);
  let next = 0;
  for (let row = 0; row < chunk.rows; row++) {
    const time = timeMs[row] as number;
    if (time < fromMs || time > toMs) continue;
    keptTimes[next] = time;
    keptFields.set(fields.subarray(row * CHUNK_STRIDE, (row + 1) * CHUNK_STRIDE), next * CHUNK_STRIDE);
    next++;
  }
  return { rows: kept, timeMs: keptTimes, fields: keptFields, strings: chunk.strings, tally: chunk.tally };
}
