/**
 * CloudTrail log files read without building their JSON. A CloudTrail record is about a kilobyte,
 * most of it request parameters, response elements and TLS details that an event never keeps;
 * JSON.parse builds all of it as objects only to drop it. This scanner walks the gunzipped bytes
 * once, checks the whole file is JSON exactly as strictly as JSON.parse (a syntax error anywhere
 * fails the file, as before), and copies out only the fields an event keeps, straight into a chunk.
 *
 * It gives the events `normalizeCloudTrailRecord` gives for the parsed records, in file order:
 * the same checks of each kept field (a string, not empty, an ISO time, an id of at most 256
 * characters), the same choice of principal, network, outcome and resource, and JSON's rules for
 * escapes and repeated keys (the last one counts). A record that fails a check is counted as
 * skipped; nothing of it is written.
 */
import { randomBytes } from "node:crypto";
import type { ActivityChunk } from "../../../activity/event-chunk.js";
import { ActivityChunkWriter, CHUNK_FIELD, packCodes } from "../../../activity/event-chunk.js";
import { ipv4NetworkKey, isPrivateIpv4, networkKeyOf, type AddressRanges } from "../../../activity/networks.js";
import type { ActivityCategory, ActivityOutcome, NetworkClass } from "../../../model/activity-log.js";
import { awsActionCategory, awsActionOf } from "./actions.js";
import { MAX_EVENT_ID_LENGTH, MAX_USER_AGENT_LENGTH, cloudTrailTimeMs, outcomeOf } from "./cloudtrail.js";
import { awsNetwork } from "./ranges.js";

export interface TrailScanOptions {
  ranges: AddressRanges;
  /** Event and credential ids of earlier events are not copied out (the log would drop them). */
  keepIdsSince?: number | undefined;
  /** Copy out the source address itself (for events kept as JSON); the columnar log keeps only its network. */
  keepAddresses?: boolean | undefined;
}

/** The file is not valid JSON, or not a CloudTrail log file: the whole file is refused. */
export class TrailFileError extends Error {}

// Fields copied out of a record, as slots in the span arrays.
const F = {
  eventId: 0,
  eventTime: 1,
  eventSource: 2,
  eventName: 3,
  eventType: 4,
  recipientAccountId: 5,
  sourceIPAddress: 6,
  userAgent: 7,
  errorCode: 8,
  vpcEndpointId: 9,
  identityType: 10,
  identityArn: 11,
  identityAccountId: 12,
  accessKeyId: 13,
  issuerArn: 14,
  resourceArn: 15,
  roleArn: 16,
} as const;
const FIELD_COUNT = 17;

// Keys with an object or array value that is looked into.
const USER_IDENTITY = 100;
const SESSION_CONTEXT = 101;
const SESSION_ISSUER = 102;
const RESOURCES = 103;
const REQUEST_PARAMETERS = 104;
const RECORDS = 105;
const UNKNOWN_KEY = -1;

type KeyTable = ReadonlyMap<string, number>;
const RECORD_KEYS: KeyTable = new Map([
  ["eventID", F.eventId],
  ["eventTime", F.eventTime],
  ["eventSource", F.eventSource],
  ["eventName", F.eventName],
  ["eventType", F.eventType],
  ["recipientAccountId", F.recipientAccountId],
  ["sourceIPAddress", F.sourceIPAddress],
  ["userAgent", F.userAgent],
  ["errorCode", F.errorCode],
  ["vpcEndpointId", F.vpcEndpointId],
  ["userIdentity", USER_IDENTITY],
  ["resources", RESOURCES],
  ["requestParameters", REQUEST_PARAMETERS],
]);
const IDENTITY_KEYS: KeyTable = new Map([
  ["type", F.identityType],
  ["arn", F.identityArn],
  ["accountId", F.identityAccountId],
  ["accessKeyId", F.accessKeyId],
  ["sessionContext", SESSION_CONTEXT],
]);
const SESSION_CONTEXT_KEYS: KeyTable = new Map([["sessionIssuer", SESSION_ISSUER]]);
const SESSION_ISSUER_KEYS: KeyTable = new Map([["arn", F.issuerArn]]);
const RESOURCE_KEYS: KeyTable = new Map([["ARN", F.resourceArn]]);
const REQUEST_PARAMETER_KEYS: KeyTable = new Map([["roleArn", F.roleArn]]);
const FILE_KEYS: KeyTable = new Map([["Records", RECORDS]]);

/** A key table as byte strings, so a key is matched without decoding it. */
class ByteKeys {
  private readonly keys: Uint8Array[] = [];
  private readonly codes: number[] = [];
  /** Per key length, the indexes of the keys of that length. */
  private readonly byLength: number[][] = [];

  constructor(readonly table: KeyTable) {
    for (const [key, code] of table) {
      const bytes = new TextEncoder().encode(key);
      (this.byLength[bytes.length] ??= []).push(this.keys.length);
      this.keys.push(bytes);
      this.codes.push(code);
    }
    for (let length = 0; length < this.byLength.length; length++) this.byLength[length] ??= [];
  }

  match(buf: Uint8Array, start: number, end: number): number {
    const length = end - start;
    if (length >= this.byLength.length) return UNKNOWN_KEY;
    const candidates = this.byLength[length] as number[];
    for (let c = 0; c < candidates.length; c++) {
      const k = candidates[c] as number;
      const key = this.keys[k] as Uint8Array;
      let i = 0;
      while (i < length && key[i] === buf[start + i]) i++;
      if (i === length) return this.codes[k] as number;
    }
    return UNKNOWN_KEY;
  }
}

const KEYS = {
  file: new ByteKeys(FILE_KEYS),
  record: new ByteKeys(RECORD_KEYS),
  identity: new ByteKeys(IDENTITY_KEYS),
  sessionContext: new ByteKeys(SESSION_CONTEXT_KEYS),
  sessionIssuer: new ByteKeys(SESSION_ISSUER_KEYS),
  resource: new ByteKeys(RESOURCE_KEYS),
  requestParameters: new ByteKeys(REQUEST_PARAMETER_KEYS),
};

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

// Span flags: the string is present (non-empty), has escapes, has bytes beyond ASCII.
const PRESENT = 1;
const ESCAPED = 2;
const NON_ASCII = 4;

// Bytes inside a JSON string: 0 plain, 1 quote, 2 backslash, 3 control (invalid), 4 beyond ASCII.
const STRING_CLASS = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STRING_CLASS[c] = 3;
STRING_CLASS[QUOTE] = 1;
STRING_CLASS[BACKSLASH] = 2;
for (let c = 0x80; c < 0x100; c++) STRING_CLASS[c] = 4;

const SIMPLE_ESCAPES = new Uint8Array(256);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPES[c.charCodeAt(0)] = 1;
const HEX = new Uint8Array(256);
for (const c of "0123456789abcdefABCDEF") HEX[c.charCodeAt(0)] = 1;

const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

const CONTAINER_OBJECT = 1;
const CONTAINER_ARRAY = 2;

const INSIDE_KEY = networkKeyOf("aws", "inside", undefined);
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Reads one gunzipped CloudTrail log file into a chunk; throws TrailFileError for a file that is not one. */
export function scanCloudTrailFile(bytes: Uint8Array, options: TrailScanOptions): ActivityChunk {
  return new TrailScanner(bytes, options).scan();
}

class TrailScanner {
  private readonly n: number;
  private readonly decoder: Buffer;
  private readonly start = new Int32Array(FIELD_COUNT);
  private readonly end = new Int32Array(FIELD_COUNT);
  private readonly flags = new Uint8Array(FIELD_COUNT);
  private identityPresent = false;
  private stringFlags = 0;
  private afterKey = 0;
  private ended = false;
  private stack = new Uint8Array(64);
  private readonly writer = new ActivityChunkWriter();
  private readonly keepIdsSince: number;
  private readonly keepAddresses: boolean;
  // Per chunk string caches: an action per (source, name), a category per action, an outcome
  // per error code, a scope per account, a network per outside /24 or per non-IPv4 address.
  private readonly actions = new Map<number, Map<number, number>>();
  private readonly categories = new Map<number, ActivityCategory | undefined>();
  private readonly outcomes = new Map<number, ActivityOutcome>();
  private readonly scopes = new Map<number, number>();
  private readonly outsideNetworks = new Map<number, number>();
  private readonly otherNetworks = new Map<string, { network: NetworkClass; key: number }>();
  private insideKey = 0;
  private readonly spans: SpanInterner;

  constructor(
    private readonly buf: Uint8Array,
    private readonly options: TrailScanOptions,
  ) {
    this.n = buf.length;
    this.decoder = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.keepIdsSince = options.keepIdsSince ?? Number.NEGATIVE_INFINITY;
    this.keepAddresses = options.keepAddresses ?? true;
    this.spans = new SpanInterner(buf, this.decoder, this.writer);
  }

  scan(): ActivityChunk {
    let p = this.ws(0);
    if (this.buf[p] !== OPEN_OBJECT) throw new TrailFileError("not a CloudTrail log file (no Records array)");
    let recordsIsArray = false;
    p = this.ws(p + 1);
    if (this.buf[p] === CLOSE_OBJECT) p++;
    else {
      for (;;) {
        const code = this.key(p, KEYS.file);
        p = this.ws(this.afterKey);
        if (code === RECORDS) {
          recordsIsArray = this.buf[p] === OPEN_ARRAY;
          // The last of two Records keys counts, as in JSON.parse.
          this.writer.dropRows();
          p = recordsIsArray ? this.records(p) : this.skipValue(p);
        } else p = this.skipValue(p);
        p = this.separator(p, CLOSE_OBJECT);
        if (this.ended) break;
      }
    }
    if (this.ws(p) !== this.n) this.fail(p);
    if (!recordsIsArray) throw new TrailFileError("not a CloudTrail log file (no Records array)");
    return this.writer.finish();
  }

  private fail(at: number): never {
    throw new TrailFileError(at >= this.n ? "the JSON ends early" : `the JSON is malformed at byte ${at}`);
  }

  private ws(p: number): number {
    const buf = this.buf;
    // Past the end, buf[p] is undefined and ends the loop.
    let c = buf[p];
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = buf[++p];
    return p;
  }

  /** The index of the closing quote of the string opening at p; its flags in stringFlags. */
  private endOfString(p: number): number {
    const buf = this.buf;
    const n = this.n;
    let flags = 0;
    let i = p + 1;
    for (;;) {
      const c = buf[i];
      // Most bytes are printable ASCII other than the quote and backslash: one range check.
      if (c !== undefined && c > QUOTE && c < 0x80 && c !== BACKSLASH) {
        i++;
        continue;
      }
      if (i >= n) this.fail(i);
      const kind = STRING_CLASS[c as number] as number;
      if (kind === 0) {
        i++;
        continue;
      }
      if (kind === 1) {
        this.stringFlags = flags;
        return i;
      }
      if (kind === 4) {
        flags |= NON_ASCII;
        i++;
        continue;
      }
      if (kind === 3) this.fail(i);
      flags |= ESCAPED;
      const escaped = buf[i + 1] as number;
      if (escaped === 0x75) {
        if (i + 5 >= n || !HEX[buf[i + 2] as number] || !HEX[buf[i + 3] as number] || !HEX[buf[i + 4] as number] || !HEX[buf[i + 5] as number]) this.fail(i);
        i += 6;
      } else if (SIMPLE_ESCAPES[escaped] === 1) i += 2;
      else this.fail(i);
    }
  }

  /** The key at p (a string, then a colon): its code in `keys`; the position after the colon in afterKey. */
  private key(p: number, keys: ByteKeys): number {
    p = this.ws(p);
    if (this.buf[p] !== QUOTE) this.fail(p);
    const close = this.endOfString(p);
    const code = this.stringFlags === 0 ? keys.match(this.buf, p + 1, close) : (keys.table.get(this.decode(p + 1, close, this.stringFlags)) ?? UNKNOWN_KEY);
    this.afterKey = this.colon(close + 1);
    return code;
  }

  /** A key that is not looked at: the position after its colon. */
  private skipKey(p: number): number {
    p = this.ws(p);
    if (this.buf[p] !== QUOTE) this.fail(p);
    return this.colon(this.endOfString(p) + 1);
  }

  /**
   * After a member or an element: past its comma (more follow), or past `close` with `ended` set
   * (the object or array ends there).
   */
  private separator(p: number, close: number): number {
    p = this.ws(p);
    const c = this.buf[p];
    this.ended = c === close;
    if (c === COMMA || c === close) return p + 1;
    return this.fail(p);
  }

  private colon(p: number): number {
    p = this.ws(p);
    if (this.buf[p] !== COLON) this.fail(p);
    return p + 1;
  }

  private literal(p: number, word: readonly number[]): number {
    for (let i = 0; i < word.length; i++) if (this.buf[p + i] !== word[i]) this.fail(p + i);
    return p + word.length;
  }

  private digits(p: number): number {
    const start = p;
    while (p < this.n && (this.buf[p] as number) >= ZERO && (this.buf[p] as number) <= NINE) p++;
    if (p === start) this.fail(p);
    return p;
  }

  private number(p: number): number {
    const buf = this.buf;
    if (buf[p] === MINUS) p++;
    if (buf[p] === ZERO) p++;
    else p = this.digits(p);
    if (buf[p] === DOT) p = this.digits(p + 1);
    if (buf[p] === 0x65 || buf[p] === 0x45) {
      p++;
      if (buf[p] === PLUS || buf[p] === MINUS) p++;
      p = this.digits(p);
    }
    return p;
  }

  /** A scalar at p (string, number, true, false, null): the position after it. */
  private scalar(p: number): number {
    const c = this.buf[p];
    if (c === QUOTE) return this.endOfString(p) + 1;
    if (c === 0x74) return this.literal(p, TRUE);
    if (c === 0x66) return this.literal(p, FALSE);
    if (c === 0x6e) return this.literal(p, NULL);
    if (c === MINUS || (c !== undefined && c >= ZERO && c <= NINE)) return this.number(p);
    return this.fail(p);
  }

  /** Checks the value at p, however deep, without keeping anything: the position after it. */
  private skipValue(p: number): number {
    const buf = this.buf;
    let depth = 0;
    for (;;) {
      p = this.ws(p);
      const c = buf[p];
      let opened = false;
      if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        const isObject = c === OPEN_OBJECT;
        p = this.ws(p + 1);
        if (buf[p] === (isObject ? CLOSE_OBJECT : CLOSE_ARRAY)) p++;
        else {
          if (depth === this.stack.length) {
            const grown = new Uint8Array(depth * 2);
            grown.set(this.stack);
            this.stack = grown;
          }
          this.stack[depth++] = isObject ? CONTAINER_OBJECT : CONTAINER_ARRAY;
          if (isObject) p = this.skipKey(p);
          opened = true;
        }
      } else p = this.scalar(p);
      if (opened) continue;
      // After a value: close what ends here, or go on to the next member.
      for (;;) {
        if (depth === 0) return p;
        p = this.ws(p);
        const next = buf[p];
        const inObject = this.stack[depth - 1] === CONTAINER_OBJECT;
        if (next === COMMA) {
          p++;
          if (inObject) p = this.skipKey(p);
          break;
        }
        if (next === (inObject ? CLOSE_OBJECT : CLOSE_ARRAY)) {
          p++;
          depth--;
          continue;
        }
        this.fail(p);
      }
    }
  }

  /** The Records array at p: each record read and turned into an event (or counted as skipped). */
  private records(p: number): number {
    const tally = this.writer.tally;
    p = this.ws(p + 1);
    if (this.buf[p] === CLOSE_ARRAY) return p + 1;
    for (;;) {
      p = this.ws(p);
      tally.records++;
      if (this.buf[p] === OPEN_OBJECT) {
        this.flags.fill(0);
        this.identityPresent = false;
        p = this.object(p, KEYS.record);
        if (!this.emit()) tally.skipped++;
      } else {
        p = this.skipValue(p);
        tally.skipped++;
      }
      p = this.separator(p, CLOSE_ARRAY);
      if (this.ended) return p;
    }
  }

  /** An object at p whose keys in `keys` are copied out or looked into; the rest are checked and skipped. */
  private object(p: number, keys: ByteKeys): number {
    p = this.ws(p + 1);
    if (this.buf[p] === CLOSE_OBJECT) return p + 1;
    for (;;) {
      const code = this.key(p, keys);
      p = this.ws(this.afterKey);
      p = code === UNKNOWN_KEY ? this.skipValue(p) : this.member(code, p);
      p = this.separator(p, CLOSE_OBJECT);
      if (this.ended) return p;
    }
  }

  /** The value of a known key at p. Each occurrence replaces what an earlier one gave. */
  private member(code: number, p: number): number {
    const c = this.buf[p];
    switch (code) {
      case USER_IDENTITY:
        this.flags[F.identityType] = 0;
        this.flags[F.identityArn] = 0;
        this.flags[F.identityAccountId] = 0;
        this.flags[F.accessKeyId] = 0;
        this.flags[F.issuerArn] = 0;
        this.identityPresent = c === OPEN_OBJECT;
        return c === OPEN_OBJECT ? this.object(p, KEYS.identity) : this.skipValue(p);
      case SESSION_CONTEXT:
        this.flags[F.issuerArn] = 0;
        return c === OPEN_OBJECT ? this.object(p, KEYS.sessionContext) : this.skipValue(p);
      case SESSION_ISSUER:
        this.flags[F.issuerArn] = 0;
        return c === OPEN_OBJECT ? this.object(p, KEYS.sessionIssuer) : this.skipValue(p);
      case REQUEST_PARAMETERS:
        this.flags[F.roleArn] = 0;
        return c === OPEN_OBJECT ? this.object(p, KEYS.requestParameters) : this.skipValue(p);
      case RESOURCES:
        this.flags[F.resourceArn] = 0;
        return c === OPEN_ARRAY ? this.resources(p) : this.skipValue(p);
      default: {
        if (c !== QUOTE) {
          this.flags[code] = 0;
          return this.skipValue(p);
        }
        const close = this.endOfString(p);
        // An empty string counts as absent.
        this.flags[code] = close > p + 1 ? PRESENT | this.stringFlags : 0;
        this.start[code] = p + 1;
        this.end[code] = close;
        return close + 1;
      }
    }
  }

  /** `resources`: the ARN of the first element, when it is an object; the rest are checked. */
  private resources(p: number): number {
    p = this.ws(p + 1);
    if (this.buf[p] === CLOSE_ARRAY) return p + 1;
    let first = true;
    for (;;) {
      p = this.ws(p);
      p = first && this.buf[p] === OPEN_OBJECT ? this.object(p, KEYS.resource) : this.skipValue(p);
      first = false;
      p = this.separator(p, CLOSE_ARRAY);
      if (this.ended) return p;
    }
  }

  private decode(start: number, end: number, flags: number): string {
    if ((flags & ESCAPED) !== 0) return JSON.parse(this.decoder.toString("utf8", start - 1, end + 1)) as string;
    return this.decoder.toString((flags & NON_ASCII) !== 0 ? "utf8" : "latin1", start, end);
  }

  private text(field: number): string | undefined {
    const flags = this.flags[field] as number;
    return flags === 0 ? undefined : this.decode(this.start[field] as number, this.end[field] as number, flags);
  }

  private interned(field: number): number {
    const flags = this.flags[field] as number;
    if (flags === PRESENT) return this.spans.intern(this.start[field] as number, this.end[field] as number);
    return flags === 0 ? 0 : this.writer.intern(this.decode(this.start[field] as number, this.end[field] as number, flags));
  }

  /** Whether a plain span holds exactly `word`. */
  private spanIs(field: number, word: string): boolean {
    const flags = this.flags[field] as number;
    if (flags === 0) return false;
    if (flags !== PRESENT) return this.text(field) === word;
    const start = this.start[field] as number;
    if ((this.end[field] as number) - start !== word.length) return false;
    for (let i = 0; i < word.length; i++) if (this.buf[start + i] !== word.charCodeAt(i)) return false;
    return true;
  }

  /** The event time: CloudTrail's own form read from the bytes, any other through cloudTrailTimeMs. */
  private timeMs(): number {
    const field = F.eventTime;
    const start = this.start[field] as number;
    if (this.flags[field] === PRESENT && (this.end[field] as number) - start === 20) {
      const b = this.buf;
      const digit = (i: number): number => {
        const c = (b[start + i] as number) - ZERO;
        return c >= 0 && c <= 9 ? c : -1000;
      };
      const year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
      const month = digit(5) * 10 + digit(6);
      const day = digit(8) * 10 + digit(9);
      const hour = digit(11) * 10 + digit(12);
      const minute = digit(14) * 10 + digit(15);
      const second = digit(17) * 10 + digit(18);
      const shaped = b[start + 4] === MINUS && b[start + 7] === MINUS && b[start + 10] === 0x54 && b[start + 13] === COLON && b[start + 16] === COLON && b[start + 19] === 0x5a;
      if (shaped && year >= 1970 && month >= 1 && month <= 12 && day >= 1 && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59) {
        const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
        if (day <= (DAYS_IN_MONTH[month - 1] as number) + (leap ? 1 : 0)) return Date.UTC(year, month - 1, day, hour, minute, second);
      }
    }
    const text = this.text(field);
    return text === undefined ? Number.NaN : cloudTrailTimeMs(text);
  }

  /** The record's event into the chunk, or false when the record is not an identity's call. */
  private emit(): boolean {
    const flags = this.flags;
    if (!this.identityPresent || flags[F.eventId] === 0 || flags[F.eventTime] === 0 || flags[F.eventSource] === 0 || flags[F.eventName] === 0) return false;
    // The role of a role session (its session name is no identity); a service's own event is none.
    const principalField = this.spanIs(F.identityType, "AssumedRole") ? F.issuerArn : this.spanIs(F.identityType, "AWSService") ? -1 : F.identityArn;
    if (principalField < 0 || flags[principalField] === 0) return false;
    const timeMs = this.timeMs();
    if (Number.isNaN(timeMs)) return false;
    const recent = timeMs >= this.keepIdsSince;
    let id = 0;
    if ((flags[F.eventId] as number) === PRESENT) {
      if ((this.end[F.eventId] as number) - (this.start[F.eventId] as number) > MAX_EVENT_ID_LENGTH) return false;
      if (recent) id = this.interned(F.eventId);
    } else {
      const text = this.text(F.eventId) ?? "";
      if (text.length > MAX_EVENT_ID_LENGTH) return false;
      if (recent) id = this.writer.intern(text);
    }

    const writer = this.writer;
    const source = this.interned(F.eventSource);
    const name = this.interned(F.eventName);
    let byName = this.actions.get(source);
    if (byName === undefined) this.actions.set(source, (byName = new Map()));
    let action = byName.get(name);
    if (action === undefined) {
      action = writer.intern(awsActionOf(this.stringAt(source), this.stringAt(name)));
      byName.set(name, action);
    }
    let category = this.categories.get(action);
    if (!this.categories.has(action)) {
      category = awsActionCategory(this.stringAt(action));
      this.categories.set(action, category);
    }
    // The role asked for is the one request parameter read: an ARN, never a secret.
    const resourceField = category === "assume_role" && flags[F.roleArn] !== 0 ? F.roleArn : F.resourceArn;
    const account = flags[F.recipientAccountId] !== 0 ? this.interned(F.recipientAccountId) : this.interned(F.identityAccountId);
    let scope = this.scopes.get(account);
    if (scope === undefined) {
      scope = writer.intern(`aws:account/${this.stringAt(account)}`);
      this.scopes.set(account, scope);
    }
    const network = this.network();
    const errorCode = this.interned(F.errorCode);
    let outcome = this.outcomes.get(errorCode);
    if (outcome === undefined) {
      outcome = outcomeOf(errorCode === 0 ? undefined : this.stringAt(errorCode));
      this.outcomes.set(errorCode, outcome);
    }
    const agentFlags = flags[F.userAgent] as number;
    let agent = 0;
    if (agentFlags === PRESENT) {
      const start = this.start[F.userAgent] as number;
      agent = this.spans.intern(start, Math.min(this.end[F.userAgent] as number, start + MAX_USER_AGENT_LENGTH));
    } else if (agentFlags !== 0) agent = writer.intern(this.text(F.userAgent)?.slice(0, MAX_USER_AGENT_LENGTH));

    const offset = writer.appendRow(timeMs);
    const fields = writer.fieldsArray;
    fields[offset + CHUNK_FIELD.id] = id;
    fields[offset + CHUNK_FIELD.scope] = scope;
    fields[offset + CHUNK_FIELD.principal] = this.interned(principalField);
    fields[offset + CHUNK_FIELD.credential] = recent ? this.interned(F.accessKeyId) : 0;
    fields[offset + CHUNK_FIELD.action] = action;
    fields[offset + CHUNK_FIELD.resource] = this.interned(resourceField);
    fields[offset + CHUNK_FIELD.address] = this.keepAddresses ? this.interned(F.sourceIPAddress) : 0;
    fields[offset + CHUNK_FIELD.networkKey] = network.key;
    fields[offset + CHUNK_FIELD.agent] = agent;
    fields[offset + CHUNK_FIELD.codes] = packCodes("aws", this.spanIs(F.eventType, "AwsConsoleSignIn") ? "sign_in" : "api_call", category, network.network, outcome);
    return true;
  }

  private stringAt(key: number): string {
    return this.writer.stringAt(key);
  }

  /** Inside AWS, outside (by /24) or a service, as `awsNetwork` decides, with IPv4 read from the bytes. */
  private network(): { network: NetworkClass; key: number } {
    const flags = this.flags;
    if (flags[F.vpcEndpointId] !== 0) return { network: "inside", key: this.inside() };
    if (flags[F.sourceIPAddress] === 0) return { network: "unknown", key: this.writer.intern(networkKeyOf("aws", "unknown", undefined)) };
    if (flags[F.sourceIPAddress] === PRESENT) {
      const v4 = this.ipv4(this.start[F.sourceIPAddress] as number, this.end[F.sourceIPAddress] as number);
      if (v4 >= 0) {
        if (isPrivateIpv4(v4) || this.options.ranges.containsIpv4(v4)) return { network: "inside", key: this.inside() };
        const prefix = Math.floor(v4 / 256);
        let key = this.outsideNetworks.get(prefix);
        if (key === undefined) {
          key = this.writer.intern(ipv4NetworkKey(v4));
          this.outsideNetworks.set(prefix, key);
        }
        return { network: "outside", key };
      }
    }
    const address = this.text(F.sourceIPAddress) ?? "";
    let known = this.otherNetworks.get(address);
    if (known === undefined) {
      const network = awsNetwork(address, undefined, this.options.ranges);
      known = { network: network.network, key: this.writer.intern(network.key ?? networkKeyOf("aws", network.network, address)) };
      this.otherNetworks.set(address, known);
    }
    return known;
  }

  private inside(): number {
    if (this.insideKey === 0) this.insideKey = this.writer.intern(INSIDE_KEY);
    return this.insideKey;
  }

  /** An IPv4 address in [start, end) as a number, or -1 (the same grammar as ipv4Number). */
  private ipv4(start: number, end: number): number {
    const buf = this.buf;
    let value = 0;
    let octet = 0;
    let digits = 0;
    let dots = 0;
    for (let i = start; i < end; i++) {
      const c = buf[i] as number;
      if (c >= ZERO && c <= NINE) {
        octet = octet * 10 + (c - ZERO);
        digits++;
        if (digits > 3 || octet > 255) return -1;
      } else if (c === DOT) {
        if (digits === 0 || dots === 3) return -1;
        value = value * 256 + octet;
        octet = 0;
        digits = 0;
        dots++;
      } else return -1;
    }
    if (dots !== 3 || digits === 0) return -1;
    return value * 256 + octet;
  }
}

// Per process, so nobody who writes a user agent or ARN can pick values that collide in advance.
const INTERN_SEED = randomBytes(4).readInt32LE(0);
/** Slots an intern lookup walks at most; a value past that is looked up in the writer's Map (V8 seeds its string hash). */
export const MAX_INTERN_PROBES = 64;
/** The longest probe walk of any intern lookup in this process (tests check it stays bounded). */
export const internProbeStats = { longest: 0 };

/**
 * Plain ASCII strings of the file interned by their bytes: a value seen before (the same role,
 * action or agent on thousands of records) costs a hash and a compare, not a new string.
 */
class SpanInterner {
  private slots: Int32Array = new Int32Array(4096);
  private count = 0;
  private starts: Int32Array = new Int32Array(1024);
  private lengths: Int32Array = new Int32Array(1024);
  private hashes: Int32Array = new Int32Array(1024);
  private values: Int32Array = new Int32Array(1024);

  constructor(
    private readonly buf: Uint8Array,
    private readonly decoder: Buffer,
    private readonly writer: ActivityChunkWriter,
  ) {}

  intern(start: number, end: number): number {
    const buf = this.buf;
    const length = end - start;
    // Every byte counts, from a seeded start: values chosen to share a suffix or a length do not collide.
    let hash = (0x811c9dc5 ^ INTERN_SEED ^ length) | 0;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ (buf[i] as number), 16_777_619);
    // FNV's low bits see only the low bits of each byte: mix the high ones down before masking.
    hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
    hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
    hash ^= hash >>> 16;
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    for (let probes = 0; ; probes++) {
      if (probes > internProbeStats.longest) internProbeStats.longest = probes;
      if (probes === MAX_INTERN_PROBES) return this.internOverflow(start, end);
      const entry = this.slots[slot] as number;
      if (entry === 0) break;
      const e = entry - 1;
      if (this.hashes[e] === hash && this.lengths[e] === length) {
        const other = this.starts[e] as number;
        let i = 0;
        while (i < length && buf[start + i] === buf[other + i]) i++;
        if (i === length) return this.values[e] as number;
      }
      slot = (slot + 1) & mask;
    }
    const value = this.writer.intern(this.decoder.toString("latin1", start, end));
    this.remember(slot, start, length, hash, value);
    return value;
  }

  /** A value whose slot lies past a long run of others: the writer's own Map finds it by its string. */
  private internOverflow(start: number, end: number): number {
    return this.writer.intern(this.decoder.toString("latin1", start, end));
  }

  private remember(slot: number, start: number, length: number, hash: number, value: number): void {
    const e = this.count++;
    if (e === this.starts.length) {
      this.starts = grow(this.starts);
      this.lengths = grow(this.lengths);
      this.hashes = grow(this.hashes);
      this.values = grow(this.values);
    }
    this.starts[e] = start;
    this.lengths[e] = length;
    this.hashes[e] = hash;
    this.values[e] = value;
    this.slots[slot] = e + 1;
    if (this.count * 2 > this.slots.length) this.rehash();
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let e = 0; e < this.count; e++) {
      let slot = (this.hashes[e] as number) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = e + 1;
    }
    this.slots = slots;
  }
}

function grow(array: Int32Array): Int32Array {
  const grown = new Int32Array(array.length * 2);
  grown.set(array);
  return grown;
}
