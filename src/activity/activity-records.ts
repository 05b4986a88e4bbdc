/**
 * Activity as collected, in memory: what every reader (log files, the trail bucket, LookupEvents,
 * sign-in and Activity Logs, Cloud Audit Logs) hands to the inventory. Events sit in the columns
 * of an ActivityLogBuilder, in the order they were read, with one table of distinct strings:
 * about 36 bytes an event instead of an object each (10 million events as objects are gigabytes).
 * The columnar ActivityLog is sorted from them once, on first use, and kept here, so every
 * inventory served from one collection shares it.
 *
 * It reads as the snapshot file format's `{ sources, events }`, so code that writes or checks
 * that format needs no second shape: `events` spells every event out as JSON and is built on
 * each read. No server path reads it; `eventCount` counts without it.
 */
import type { ActivityEvent, ActivityLogData, ActivitySource } from "../model/activity-log.js";
import { CHUNK_FIELD, CHUNK_STRIDE, packCodes, type ActivityChunk } from "./event-chunk.js";
import { eventInput, eventJson } from "./event-json.js";
import { ActivityLogBuilder, ChunkedColumn, uint16, uint32, type ActivityEventInput, type ActivityLog } from "./log.js";

/** Distinct strings of the columns kept beside the log's own (scopes, addresses); index 0 is "absent". */
class DetailTable {
  readonly values: string[] = [""];
  private readonly index = new Map<string, number>();

  of(value: string | undefined): number {
    if (value === undefined || value.length === 0) return 0;
    const known = this.index.get(value);
    if (known !== undefined) return known;
    this.values.push(value);
    this.index.set(value, this.values.length - 1);
    return this.values.length - 1;
  }
}

export class ActivityRecords implements ActivityLogData {
  readonly sources: ActivitySource[] = [];
  private builder: ActivityLogBuilder | undefined = new ActivityLogBuilder();
  private built: ActivityLog | undefined;
  private count = 0;
  // What the events' JSON form holds and the log does not: the milliseconds of the time, each
  // event's own scope (the log keeps a principal's first) and its source address (the log keeps
  // its network). Written only where not 0: a reader at volume keeps no addresses, and
  // CloudTrail times are whole seconds, so those columns stay empty there.
  private milliseconds = new ChunkedColumn(uint16);
  private scope = new ChunkedColumn(uint32);
  private address = new ChunkedColumn(uint32);
  private details = new DetailTable();

  /** The events of a snapshot file or the demo, in their JSON form. */
  static fromData(data: ActivityLogData): ActivityRecords {
    const records = new ActivityRecords();
    for (const source of data.sources) records.addSource(source);
    for (const event of data.events) records.add(eventInput(event));
    return records;
  }

  /** `data` as records: itself when it is (no copy), else converted from its JSON form. */
  static of(data: ActivityLogData): ActivityRecords {
    return data instanceof ActivityRecords ? data : ActivityRecords.fromData(data);
  }

  /**
   * Several parts' activity as one, in part order: the same log as their events added one by one.
   * One part is returned as it is, so the log built from it is shared rather than built again.
   */
  static concat(parts: readonly ActivityLogData[]): ActivityRecords {
    const records = parts.map((part) => ActivityRecords.of(part));
    if (records.length === 1 && records[0]) return records[0];
    const joined = new ActivityRecords();
    for (const part of records) {
      for (const source of part.sources) joined.addSource(source);
      // A part whose log was built (the only one with activity in an earlier merge) joins from
      // its log, which keeps what the joined log needs.
      for (let row = 0; row < part.rowCount; row++) joined.add(part.inputAt(row));
    }
    return joined;
  }

  get eventCount(): number {
    return this.count;
  }

  addSource(source: ActivitySource): void {
    this.sources.push(source);
  }

  add(event: ActivityEventInput): void {
    const row = this.count;
    this.open().add(event);
    const milliseconds = event.timeMs - Math.floor(event.timeMs / 1000) * 1000;
    if (milliseconds !== 0) this.milliseconds.set(row, milliseconds);
    this.setDetail(this.scope, row, event.scopeId);
    this.setDetail(this.address, row, event.sourceAddress);
    this.count = row + 1;
  }

  /** A reader's chunk, its rows in order (the same as adding its events one by one). */
  addChunk(chunk: ActivityChunk): void {
    const first = this.count;
    this.open().addChunk(chunk);
    const { fields, strings, timeMs } = chunk;
    // Each of the chunk's strings is looked up in the detail table once, not once per event.
    const detailKeys = new Int32Array(strings.length).fill(-1);
    const detailOf = (key: number): number => {
      if (key === 0) return 0;
      let known = detailKeys[key] as number;
      if (known < 0) {
        known = this.details.of(strings[key]);
        detailKeys[key] = known;
      }
      return known;
    };
    for (let index = 0; index < chunk.rows; index++) {
      const offset = index * CHUNK_STRIDE;
      const time = timeMs[index] as number;
      const milliseconds = time - Math.floor(time / 1000) * 1000;
      if (milliseconds !== 0) this.milliseconds.set(first + index, milliseconds);
      const scope = detailOf(fields[offset + CHUNK_FIELD.scope] as number);
      if (scope !== 0) this.scope.set(first + index, scope);
      const address = detailOf(fields[offset + CHUNK_FIELD.address] as number);
      if (address !== 0) this.address.set(first + index, address);
    }
    this.count = first + chunk.rows;
  }

  /** Records stored as one chunk (the stored inventory): the same events back, in the same order. */
  static fromChunk(sources: readonly ActivitySource[], chunk: ActivityChunk): ActivityRecords {
    const records = new ActivityRecords();
    for (const source of sources) records.addSource(source);
    records.addChunk(chunk);
    return records;
  }

  /** Every event as one chunk with one table of strings, for storage (arrays of exactly its size). */
  toChunk(): ActivityChunk {
    const strings: string[] = [""];
    const index = new Map<string, number>();
    const intern = (value: string | undefined): number => {
      if (value === undefined || value.length === 0) return 0;
      let known = index.get(value);
      if (known === undefined) {
        known = strings.length;
        strings.push(value);
        index.set(value, known);
      }
      return known;
    };
    const timeMs = new Float64Array(this.rowCount);
    const fields = new Int32Array(this.rowCount * CHUNK_STRIDE);
    for (let row = 0; row < this.rowCount; row++) {
      const event = this.inputAt(row);
      const offset = row * CHUNK_STRIDE;
      timeMs[row] = event.timeMs;
      fields[offset + CHUNK_FIELD.id] = intern(event.id);
      fields[offset + CHUNK_FIELD.scope] = intern(event.scopeId);
      fields[offset + CHUNK_FIELD.principal] = intern(event.principalId);
      fields[offset + CHUNK_FIELD.credential] = intern(event.credentialId);
      fields[offset + CHUNK_FIELD.action] = intern(event.action);
      fields[offset + CHUNK_FIELD.resource] = intern(event.resource);
      fields[offset + CHUNK_FIELD.via] = intern(event.via);
      fields[offset + CHUNK_FIELD.address] = intern(event.sourceAddress);
      fields[offset + CHUNK_FIELD.networkKey] = intern(event.networkKey);
      fields[offset + CHUNK_FIELD.country] = intern(event.country);
      fields[offset + CHUNK_FIELD.agent] = intern(event.userAgent);
      fields[offset + CHUNK_FIELD.codes] = packCodes(event.provider, event.kind, event.category, event.network, event.outcome);
    }
    return { rows: this.rowCount, timeMs, fields, strings, tally: { records: this.rowCount, events: this.rowCount, skipped: 0 } };
  }

  /** Every event in its JSON form (the snapshot file format), spelled out on each read. */
  get events(): ActivityEvent[] {
    const events: ActivityEvent[] = new Array<ActivityEvent>(this.rowCount);
    for (let row = 0; row < this.rowCount; row++) events[row] = eventJson(this.inputAt(row));
    return events;
  }

  /** JSON.stringify writes the snapshot file format. */
  toJSON(): ActivityLogData {
    return { sources: this.sources, events: this.events };
  }

  /**
   * The columnar log, sorted and deduplicated, built on the first call. Building releases the
   * collected columns (the sort needs their memory): the events are then spelled out from the log
   * (whole seconds, each identity's first scope, no source address).
   */
  log(): ActivityLog {
    if (this.built) return this.built;
    const builder = this.open();
    for (const source of this.sources) builder.addSource(source);
    this.built = builder.build();
    // The events cannot be spelled out any more: what only that needed goes too.
    this.builder = undefined;
    this.milliseconds = new ChunkedColumn(uint16);
    this.scope = new ChunkedColumn(uint32);
    this.address = new ChunkedColumn(uint32);
    this.details = new DetailTable();
    return this.built;
  }

  private open(): ActivityLogBuilder {
    if (this.builder === undefined) throw new Error("the activity records were built into their log: they take no more events");
    return this.builder;
  }

  private setDetail(column: ChunkedColumn<Uint32Array>, row: number, value: string | undefined): void {
    const key = this.details.of(value);
    if (key !== 0) column.set(row, key);
  }

  /** Rows to spell out: the collected events, or once built, the log's (sorted, deduplicated). */
  private get rowCount(): number {
    return this.built ? this.built.length : this.count;
  }

  private inputAt(row: number): ActivityEventInput {
    // Once built, the log's rows: whole seconds, each identity's first scope, no address.
    if (this.built) return this.built.rowInput(row);
    const input = this.open().rowInput(row);
    input.timeMs += this.milliseconds.get(row);
    const scope = this.scope.get(row);
    if (scope !== 0) input.scopeId = this.details.values[scope] ?? input.scopeId;
    const address = this.address.get(row);
    input.sourceAddress = address === 0 ? undefined : this.details.values[address];
    return input;
  }
}

/** Events in `data`, without spelling them out when they are records. */
export function activityEventCount(data: ActivityLogData): number {
  return data instanceof ActivityRecords ? data.eventCount : data.events.length;
}
