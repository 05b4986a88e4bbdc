/**
 * Activity events in columns. At 10 million events an object per event would be gigabytes; here
 * an event is a row of 32 bytes: its time (seconds), its principal, action, resource, network,
 * credential and "via" identity as indexes into one table of distinct strings, its user agent
 * (16 bits) and country (8 bits) in tables of their own, and one byte of flags (outcome, network
 * class, sign-in or API call).
 *
 * Rows are sorted by principal, then time, so one identity's history is one contiguous range and
 * a detection pass reads memory in order. Exact duplicates (the same call delivered twice, as
 * CloudTrail can across regions) sort next to each other and are dropped.
 *
 * Event ids are unique strings: kept for events at or after `keepIdsSince` (the recent events
 * findings cite), not for the whole baseline.
 */
import {
  ACTIVITY_CATEGORIES,
  ACTIVITY_OUTCOMES,
  NETWORK_CLASSES,
  type ActivityCategory,
  type ActivityEvent,
  type ActivityOutcome,
  type ActivitySource,
  type NetworkClass,
} from "../model/activity-log.js";
import { PROVIDER_IDS, type ProviderId } from "../providers/ids.js";
import { eventInput } from "./event-json.js";
import { networkKeyOf } from "./networks.js";
import { CHUNK_FIELD, CHUNK_STRIDE, codeIsSignIn, codeNetwork, codeProvider, type ActivityChunk } from "./event-chunk.js";

/** One event as collectors hand it over: times in epoch milliseconds, absent values undefined. */
export interface ActivityEventInput {
  id: string;
  timeMs: number;
  provider: ProviderId;
  scopeId: string;
  principalId: string;
  credentialId?: string | undefined;
  kind: "api_call" | "sign_in";
  action: string;
  category?: ActivityCategory | undefined;
  resource?: string | undefined;
  via?: string | undefined;
  sourceAddress?: string | undefined;
  network: NetworkClass;
  /** The network key, when the collector already computed it (networkKeyOf otherwise). */
  networkKey?: string | undefined;
  country?: string | undefined;
  userAgent?: string | undefined;
  outcome: ActivityOutcome;
}

const NONE = 0;
const MAX_AGENTS = 0xffff;
const MAX_COUNTRIES = 0xff;
const OTHER_AGENT = "(other user agents)";

/** A growable table of distinct strings; index 0 is "absent". */
class StringTable {
  readonly values: string[] = [""];
  private readonly index = new Map<string, number>();

  constructor(private readonly capacity = Number.MAX_SAFE_INTEGER) {}

  of(value: string | undefined): number {
    if (value === undefined || value.length === 0) return NONE;
    const known = this.index.get(value);
    if (known !== undefined) return known;
    if (this.values.length >= this.capacity) return -1;
    const next = this.values.length;
    this.values.push(value);
    this.index.set(value, next);
    return next;
  }

  find(value: string): number | undefined {
    return this.index.get(value);
  }
}

type Column = Uint32Array | Uint16Array | Uint8Array;

/**
 * A column filled in chunks of a million rows: no doubling (a doubled array is up to twice the
 * rows, and both copies are alive while it grows), and flattened once, chunk by chunk, when built.
 * Only the first chunk starts small and doubles up to a million rows, so a log of a few events
 * (one account's LookupEvents, a test) does not take megabytes a column.
 */
export class ChunkedColumn<T extends Column> {
  private chunks: T[] = [];

  constructor(private readonly make: (length: number) => T) {}

  push(row: number, value: number): void {
    this.chunkFor(row)[row & CHUNK_MASK] = value;
  }

  /** The value at `row`; 0 where nothing was written (see `set`). */
  get(row: number): number {
    return this.chunks[row >>> CHUNK_BITS]?.[row & CHUNK_MASK] ?? 0;
  }

  /**
   * Writes `value` at `row`, rows in any order: for a column that is mostly 0, written only where
   * it is not, so a million rows of zeros cost nothing (never flattened).
   */
  set(row: number, value: number): void {
    this.chunkFor(row)[row & CHUNK_MASK] = value;
  }

  private chunkFor(row: number): T {
    const index = row >>> CHUNK_BITS;
    const offset = row & CHUNK_MASK;
    let chunk = this.chunks[index];
    if (chunk === undefined) {
      chunk = this.make(index === 0 ? FIRST_CHUNK_ROWS : CHUNK_ROWS);
      this.chunks[index] = chunk;
    }
    if (offset >= chunk.length) {
      let length = chunk.length;
      while (offset >= length) length *= 2;
      const grown = this.make(Math.min(CHUNK_ROWS, length));
      grown.set(chunk);
      chunk = grown;
      this.chunks[index] = chunk;
    }
    return chunk;
  }

  /** The column as one array of exactly `length` rows; the chunks are released as they are copied. */
  flatten(length: number): T {
    const out = this.make(length);
    for (let index = 0; index < this.chunks.length; index++) {
      const chunk = this.chunks[index];
      if (chunk === undefined) continue;
      const from = index * CHUNK_ROWS;
      out.set(chunk.subarray(0, Math.min(chunk.length, length - from)), from);
      this.chunks[index] = this.make(0);
    }
    this.chunks = [];
    return out;
  }
}

const FIRST_CHUNK_ROWS = 4096;
const CHUNK_BITS = 20;
const CHUNK_ROWS = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_ROWS - 1;
export const uint32 = (length: number) => new Uint32Array(length);
export const uint16 = (length: number) => new Uint16Array(length);
const uint8 = (length: number) => new Uint8Array(length);

const OUTCOME_CODE = new Map<ActivityOutcome, number>(ACTIVITY_OUTCOMES.map((outcome, i) => [outcome, i]));
const NETWORK_CODE = new Map<NetworkClass, number>(NETWORK_CLASSES.map((network, i) => [network, i]));
const CATEGORY_CODE = new Map<ActivityCategory, number>(ACTIVITY_CATEGORIES.map((category, i) => [category, i + 1]));
const PROVIDER_CODE = new Map<ProviderId, number>(PROVIDER_IDS.map((provider, i) => [provider, i]));
const SIGN_IN_FLAG = 16;

export interface ActivityLogOptions {
  /**
   * Keep event ids and credential ids of events at or after this time (epoch ms); earlier events
   * keep neither (findings cite recent events by id, and one credential's use from distant
   * networks is judged within the detection window). At millions of events each id is a string
   * of its own. Default: all.
   */
  keepIdsSince?: number;
}

/** What one stored row holds, its codes still packed: the builder's and the log's rows alike. */
interface StoredRow {
  id: string;
  seconds: number;
  provider: ActivityEventInput["provider"];
  scopeId: string;
  principalId: string;
  credentialId: string | undefined;
  action: string;
  categoryCode: number;
  resource: string | undefined;
  via: string | undefined;
  networkKey: string | undefined;
  flags: number;
  /** The small tables hold "" at NONE (absent). */
  country: string | undefined;
  userAgent: string | undefined;
}

/** A stored row as the builder takes it: whole seconds, the identity's first scope, no address. */
function rowInputOf(row: StoredRow): ActivityEventInput {
  return {
    id: row.id,
    timeMs: row.seconds * 1000,
    provider: row.provider,
    scopeId: row.scopeId,
    principalId: row.principalId,
    credentialId: row.credentialId,
    kind: (row.flags & SIGN_IN_FLAG) !== 0 ? "sign_in" : "api_call",
    action: row.action,
    category: row.categoryCode === 0 ? undefined : ACTIVITY_CATEGORIES[row.categoryCode - 1],
    resource: row.resource,
    via: row.via,
    sourceAddress: undefined,
    network: NETWORK_CLASSES[(row.flags >> 2) & 3] ?? "unknown",
    networkKey: row.networkKey,
    country: row.country === "" ? undefined : row.country,
    userAgent: row.userAgent === "" ? undefined : row.userAgent,
    outcome: ACTIVITY_OUTCOMES[row.flags & 3] ?? "success",
  };
}

export class ActivityLogBuilder {
  private length = 0;
  private readonly strings = new StringTable();
  private readonly agents = new StringTable(MAX_AGENTS);
  private readonly countries = new StringTable(MAX_COUNTRIES);
  private readonly time = new ChunkedColumn(uint32);
  private readonly principal = new ChunkedColumn(uint32);
  private readonly action = new ChunkedColumn(uint32);
  private readonly resource = new ChunkedColumn(uint32);
  private readonly network = new ChunkedColumn(uint32);
  private readonly credential = new ChunkedColumn(uint32);
  private readonly via = new ChunkedColumn(uint32);
  private readonly agent = new ChunkedColumn(uint16);
  private readonly flags = new ChunkedColumn(uint8);
  private readonly country = new ChunkedColumn(uint8);
  private readonly ids = new Map<number, string>();
  private readonly categories = new Map<number, number>();
  private readonly networkClasses = new Map<number, number>();
  private readonly principalProvider = new Map<number, number>();
  private readonly principalScope = new Map<number, number>();
  private readonly sources: ActivitySource[] = [];
  private readonly keepIdsSince: number;
  /** build() flattens the columns chunk by chunk, releasing them: a builder builds once. */
  private built = false;

  constructor(options: ActivityLogOptions = {}) {
    this.keepIdsSince = options.keepIdsSince ?? 0;
    this.agents.of(OTHER_AGENT);
  }

  get size(): number {
    return this.length;
  }

  addSource(source: ActivitySource): void {
    this.sources.push(source);
  }

  add(event: ActivityEventInput): void {
    if (this.built) throw new Error("the activity log builder was built already");
    const row = this.length;
    const principal = this.strings.of(event.principalId);
    if (!this.principalProvider.has(principal)) {
      this.principalProvider.set(principal, PROVIDER_CODE.get(event.provider) ?? 0);
      this.principalScope.set(principal, this.strings.of(event.scopeId));
    }
    const action = this.strings.of(event.action);
    if (event.category !== undefined && !this.categories.has(action)) this.categories.set(action, CATEGORY_CODE.get(event.category) ?? 0);
    const networkClass = NETWORK_CODE.get(event.network) ?? 3;
    const network = this.strings.of(event.networkKey ?? networkKeyOf(event.provider, event.network, event.sourceAddress));
    if (!this.networkClasses.has(network)) this.networkClasses.set(network, networkClass);
    let agent = this.agents.of(event.userAgent);
    // Past 65,535 distinct agents the rest share one entry (reserved first, so it always fits).
    if (agent < 0) agent = this.agents.find(OTHER_AGENT) ?? NONE;
    let country = this.countries.of(event.country);
    if (country < 0) country = NONE;
    const seconds = Math.floor(event.timeMs / 1000);
    this.time.push(row, seconds);
    this.principal.push(row, principal);
    this.action.push(row, action);
    this.resource.push(row, this.strings.of(event.resource));
    this.network.push(row, network);
    const recent = event.timeMs >= this.keepIdsSince;
    this.credential.push(row, recent ? this.strings.of(event.credentialId) : NONE);
    this.via.push(row, this.strings.of(event.via));
    this.agent.push(row, agent);
    this.flags.push(row, (OUTCOME_CODE.get(event.outcome) ?? 0) | (networkClass << 2) | (event.kind === "sign_in" ? SIGN_IN_FLAG : 0));
    this.country.push(row, country);
    if (recent && event.id.length > 0) this.ids.set(row, event.id);
    this.length = row + 1;
  }

  /**
   * Adds a parser's chunk: the same rows, strings and first-seen facts as `add` for each of its
   * events in order (so a log built from chunks is identical to one built event by event), with
   * each of the chunk's strings interned once.
   */
  addChunk(chunk: ActivityChunk): void {
    if (this.built) throw new Error("the activity log builder was built already");
    const { fields, strings, timeMs } = chunk;
    const remap = new Int32Array(strings.length);
    const agentRemap = new Int32Array(strings.length);
    const countryRemap = new Int32Array(strings.length);
    // Per chunk string: 1 principal's provider and scope recorded, 2 action's category, 4 network's class.
    const recorded = new Uint8Array(strings.length);
    const global = (key: number): number => {
      if (key === 0) return NONE;
      let known = remap[key] as number;
      if (known === 0) {
        known = this.strings.of(strings[key]);
        remap[key] = known;
      }
      return known;
    };
    for (let index = 0; index < chunk.rows; index++) {
      const offset = index * CHUNK_STRIDE;
      const codes = fields[offset + CHUNK_FIELD.codes] as number;
      const principalKey = fields[offset + CHUNK_FIELD.principal] as number;
      const principal = global(principalKey);
      if (((recorded[principalKey] as number) & 1) === 0) {
        if (!this.principalProvider.has(principal)) {
          this.principalProvider.set(principal, codes & 7);
          this.principalScope.set(principal, global(fields[offset + CHUNK_FIELD.scope] as number));
        }
        recorded[principalKey] = (recorded[principalKey] as number) | 1;
      }
      const actionKey = fields[offset + CHUNK_FIELD.action] as number;
      const action = global(actionKey);
      const category = (codes >> 4) & 15;
      if (category !== 0 && ((recorded[actionKey] as number) & 2) === 0) {
        if (!this.categories.has(action)) this.categories.set(action, category);
        recorded[actionKey] = (recorded[actionKey] as number) | 2;
      }
      const networkClass = (codes >> 8) & 3;
      const networkKeyIndex = fields[offset + CHUNK_FIELD.networkKey] as number;
      let network: number;
      if (networkKeyIndex !== 0) {
        network = global(networkKeyIndex);
        if (((recorded[networkKeyIndex] as number) & 4) === 0) {
          if (!this.networkClasses.has(network)) this.networkClasses.set(network, networkClass);
          recorded[networkKeyIndex] = (recorded[networkKeyIndex] as number) | 4;
        }
      } else {
        const address = fields[offset + CHUNK_FIELD.address] as number;
        network = this.strings.of(networkKeyOf(codeProvider(codes), codeNetwork(codes), address === 0 ? undefined : strings[address]));
        if (!this.networkClasses.has(network)) this.networkClasses.set(network, networkClass);
      }
      const agentKey = fields[offset + CHUNK_FIELD.agent] as number;
      let agent = NONE;
      if (agentKey !== 0) {
        agent = agentRemap[agentKey] as number;
        if (agent === 0) {
          agent = this.agents.of(strings[agentKey]);
          if (agent < 0) agent = this.agents.find(OTHER_AGENT) ?? NONE;
          agentRemap[agentKey] = agent;
        }
      }
      const countryKey = fields[offset + CHUNK_FIELD.country] as number;
      let country = NONE;
      if (countryKey !== 0) {
        country = countryRemap[countryKey] as number;
        if (country === 0) {
          country = Math.max(this.countries.of(strings[countryKey]), NONE);
          countryRemap[countryKey] = country;
        }
      }
      const row = this.length;
      const time = timeMs[index] as number;
      this.time.push(row, Math.floor(time / 1000));
      this.principal.push(row, principal);
      this.action.push(row, action);
      this.resource.push(row, global(fields[offset + CHUNK_FIELD.resource] as number));
      this.network.push(row, network);
      const recent = time >= this.keepIdsSince;
      this.credential.push(row, recent ? global(fields[offset + CHUNK_FIELD.credential] as number) : NONE);
      this.via.push(row, global(fields[offset + CHUNK_FIELD.via] as number));
      this.agent.push(row, agent);
      this.flags.push(row, ((codes >> 10) & 3) | (networkClass << 2) | (codeIsSignIn(codes) ? SIGN_IN_FLAG : 0));
      this.country.push(row, country);
      if (recent) {
        const id = fields[offset + CHUNK_FIELD.id] as number;
        // 0: the reader kept no id for this event (older than its own horizon), so none is cited.
        if (id !== 0) this.ids.set(row, strings[id] ?? "");
      }
      this.length = row + 1;
    }
  }

  /** Adds events in their JSON form (a snapshot file's, the demo's). */
  addEvents(events: readonly ActivityEvent[]): void {
    for (const event of events) this.add(eventInput(event));
  }

  /**
   * Row `row` as added, as far as the columns hold it: the time to the second, the principal's
   * first scope, the network key but not the address (ActivityRecords keeps those beside).
   * Only before build(), which releases the columns.
   */
  rowInput(row: number): ActivityEventInput {
    if (this.built) throw new Error("the activity log builder was built: its rows are gone");
    const principal = this.principal.get(row);
    const action = this.action.get(row);
    const text = (key: number): string | undefined => (key === NONE ? undefined : this.strings.values[key]);
    return rowInputOf({
      id: this.ids.get(row) ?? "",
      seconds: this.time.get(row),
      provider: PROVIDER_IDS[this.principalProvider.get(principal) ?? 0] ?? PROVIDER_IDS[0],
      scopeId: text(this.principalScope.get(principal) ?? NONE) ?? "",
      principalId: text(principal) ?? "",
      credentialId: text(this.credential.get(row)),
      action: text(action) ?? "",
      categoryCode: this.categories.get(action) ?? 0,
      resource: text(this.resource.get(row)),
      via: text(this.via.get(row)),
      networkKey: text(this.network.get(row)),
      flags: this.flags.get(row),
      country: this.countries.values[this.country.get(row)],
      userAgent: this.agents.values[this.agent.get(row)],
    });
  }

  /** Sorts by principal and time, drops exact duplicates and hands the columns to an ActivityLog. */
  build(): ActivityLog {
    if (this.built) throw new Error("the activity log builder was built already");
    this.built = true;
    const length = this.length;
    const time = this.time.flatten(length);
    const principal = this.principal.flatten(length);
    const action = this.action.flatten(length);
    const network = this.network.flatten(length);
    const credential = this.credential.flatten(length);
    const resource = this.resource.flatten(length);
    const flags = this.flags.flatten(length);
    const keyCount = this.strings.values.length;
    // Counting sort by principal keeps each principal's rows in arrival order.
    const counts = new Int32Array(keyCount + 1);
    for (let row = 0; row < length; row++) {
      const slot = (principal[row] as number) + 1;
      counts[slot] = (counts[slot] as number) + 1;
    }
    for (let k = 0; k < keyCount; k++) counts[k + 1] = (counts[k + 1] as number) + (counts[k] as number);
    const starts = counts.slice(0, keyCount);
    const order = new Int32Array(length);
    const next = starts.slice();
    for (let row = 0; row < length; row++) {
      const key = principal[row] as number;
      const slot = next[key] as number;
      order[slot] = row;
      next[key] = slot + 1;
    }
    const byTime = (a: number, b: number): number =>
      (time[a] as number) - (time[b] as number) ||
      (action[a] as number) - (action[b] as number) ||
      (network[a] as number) - (network[b] as number) ||
      (credential[a] as number) - (credential[b] as number) ||
      (resource[a] as number) - (resource[b] as number) ||
      (flags[a] as number) - (flags[b] as number);
    const principalOrder: number[] = [];
    for (let k = 0; k < keyCount; k++) {
      const from = starts[k] as number;
      const to = k + 1 < keyCount ? (starts[k + 1] as number) : length;
      if (to <= from) continue;
      principalOrder.push(k);
      if (to - from > 1) order.subarray(from, to).sort(byTime);
    }
    // Duplicates are adjacent now: keep the first of each run of equal rows.
    let kept = 0;
    for (let i = 0; i < length; i++) {
      const row = order[i] as number;
      if (kept > 0) {
        const previous = order[kept - 1] as number;
        if (principal[previous] === principal[row] && byTime(previous, row) === 0) continue;
      }
      order[kept++] = row;
    }
    const rows = order.subarray(0, kept);
    const ids = new Map<number, string>();
    for (let i = 0; i < kept; i++) {
      const id = this.ids.get(rows[i] as number);
      if (id !== undefined) ids.set(i, id);
    }
    this.ids.clear();
    const categories = new Uint8Array(keyCount);
    for (const [key, code] of this.categories) categories[key] = code;
    const networkClasses = new Uint8Array(keyCount).fill(3);
    for (const [key, code] of this.networkClasses) networkClasses[key] = code;
    return new ActivityLog({
      strings: this.strings.values,
      agents: this.agents.values,
      countries: this.countries.values,
      time: permute32(time, rows),
      principal: permute32(principal, rows),
      action: permute32(action, rows),
      resource: permute32(resource, rows),
      network: permute32(network, rows),
      credential: permute32(credential, rows),
      via: permute32(this.via.flatten(length), rows),
      agent: permute16(this.agent.flatten(length), rows),
      flags: permute8(flags, rows),
      country: permute8(this.country.flatten(length), rows),
      ids,
      categories,
      networkClasses,
      principalOrder,
      principalProvider: this.principalProvider,
      principalScope: this.principalScope,
      sources: this.sources,
    });
  }
}

function permute32(column: Uint32Array, rows: Int32Array): Uint32Array {
  const out = new Uint32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = column[rows[i] as number] as number;
  return out;
}

function permute16(column: Uint16Array, rows: Int32Array): Uint16Array {
  const out = new Uint16Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = column[rows[i] as number] as number;
  return out;
}

function permute8(column: Uint8Array, rows: Int32Array): Uint8Array {
  const out = new Uint8Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = column[rows[i] as number] as number;
  return out;
}

interface ActivityColumns {
  strings: string[];
  agents: string[];
  countries: string[];
  time: Uint32Array;
  principal: Uint32Array;
  action: Uint32Array;
  resource: Uint32Array;
  network: Uint32Array;
  credential: Uint32Array;
  via: Uint32Array;
  agent: Uint16Array;
  flags: Uint8Array;
  country: Uint8Array;
  ids: Map<number, string>;
  categories: Uint8Array;
  networkClasses: Uint8Array;
  principalOrder: number[];
  principalProvider: Map<number, number>;
  principalScope: Map<number, number>;
  sources: ActivitySource[];
}

/** One identity's rows: [start, end) in the sorted columns. */
export interface PrincipalRange {
  /** Index of the principal id in the string table. */
  key: number;
  id: string;
  provider: ProviderId;
  scopeId: string;
  start: number;
  end: number;
}

export class ActivityLog {
  readonly length: number;
  readonly time: Uint32Array;
  readonly principal: Uint32Array;
  readonly action: Uint32Array;
  readonly resource: Uint32Array;
  readonly network: Uint32Array;
  readonly credential: Uint32Array;
  readonly via: Uint32Array;
  readonly agent: Uint16Array;
  readonly flags: Uint8Array;
  readonly country: Uint8Array;
  readonly sources: readonly ActivitySource[];
  /** Identities with at least one event, in string-table order. */
  readonly ranges: readonly PrincipalRange[];
  /** Size of the string table: stamp arrays over strings are this long. */
  readonly stringCount: number;
  private readonly strings: string[];
  private readonly agents: string[];
  private readonly countries: string[];
  private readonly ids: Map<number, string>;
  private readonly categories: Uint8Array;
  private readonly networkClasses: Uint8Array;
  private readonly rangeByPrincipal = new Map<string, PrincipalRange>();

  constructor(columns: ActivityColumns) {
    this.length = columns.time.length;
    this.time = columns.time;
    this.principal = columns.principal;
    this.action = columns.action;
    this.resource = columns.resource;
    this.network = columns.network;
    this.credential = columns.credential;
    this.via = columns.via;
    this.agent = columns.agent;
    this.flags = columns.flags;
    this.country = columns.country;
    this.sources = columns.sources;
    this.strings = columns.strings;
    this.agents = columns.agents;
    this.countries = columns.countries;
    this.ids = columns.ids;
    this.categories = columns.categories;
    this.networkClasses = columns.networkClasses;
    this.stringCount = columns.strings.length;
    const ranges: PrincipalRange[] = [];
    let row = 0;
    for (const key of columns.principalOrder) {
      const start = row;
      while (row < this.length && this.principal[row] === key) row++;
      const range: PrincipalRange = {
        key,
        id: this.text(key),
        provider: PROVIDER_IDS[columns.principalProvider.get(key) ?? 0] ?? PROVIDER_IDS[0],
        scopeId: this.text(columns.principalScope.get(key) ?? NONE),
        start,
        end: row,
      };
      ranges.push(range);
      this.rangeByPrincipal.set(range.id, range);
    }
    this.ranges = ranges;
  }

  static empty(): ActivityLog {
    return new ActivityLogBuilder().build();
  }

  static fromEvents(events: readonly ActivityEvent[], sources: readonly ActivitySource[] = []): ActivityLog {
    const builder = new ActivityLogBuilder();
    for (const source of sources) builder.addSource(source);
    builder.addEvents(events);
    return builder.build();
  }

  /** The string at a table index ("" for absent). */
  text(key: number): string {
    return this.strings[key] ?? "";
  }

  /**
   * A row as the builder takes it back: what the log keeps of the event (whole seconds, the
   * identity's first scope, no source address), as a builder's own rows give it. Lets records
   * whose log was built join a merge later.
   */
  rowInput(row: number): ActivityEventInput {
    const principal = this.principal[row] ?? NONE;
    const range = this.rangeByPrincipal.get(this.text(principal));
    const action = this.action[row] ?? NONE;
    const text = (key: number | undefined): string | undefined => (key === undefined || key === NONE ? undefined : this.strings[key]);
    return rowInputOf({
      id: this.ids.get(row) ?? "",
      seconds: this.time[row] ?? 0,
      provider: range?.provider ?? PROVIDER_IDS[0],
      scopeId: range?.scopeId ?? "",
      principalId: this.text(principal),
      credentialId: text(this.credential[row]),
      action: this.text(action),
      categoryCode: this.categories[action] ?? 0,
      resource: text(this.resource[row]),
      via: text(this.via[row]),
      networkKey: text(this.network[row]),
      flags: this.flags[row] ?? 0,
      country: this.countries[this.country[row] ?? NONE],
      userAgent: this.agents[this.agent[row] ?? NONE],
    });
  }


  rangeOf(principalId: string): PrincipalRange | undefined {
    return this.rangeByPrincipal.get(principalId);
  }

  eventId(row: number): string | null {
    return this.ids.get(row) ?? null;
  }

  userAgent(row: number): string | undefined {
    const key = this.agent[row] as number;
    return key === NONE ? undefined : this.agents[key];
  }

  countryOf(row: number): string | undefined {
    const key = this.country[row] as number;
    return key === NONE ? undefined : this.countries[key];
  }

  outcome(row: number): ActivityOutcome {
    return ACTIVITY_OUTCOMES[(this.flags[row] as number) & 3] ?? "success";
  }

  networkClass(row: number): NetworkClass {
    return NETWORK_CLASSES[((this.flags[row] as number) >> 2) & 3] ?? "unknown";
  }

  /** The network class of a network key (every event in one network has the same class). */
  networkClassOfKey(key: number): NetworkClass {
    return NETWORK_CLASSES[this.networkClasses[key] ?? 3] ?? "unknown";
  }

  isSignIn(row: number): boolean {
    return ((this.flags[row] as number) & SIGN_IN_FLAG) !== 0;
  }

  /** The sensitive category of an action (by its table index), if its provider gave one. */
  categoryOfAction(actionKey: number): ActivityCategory | undefined {
    const code = this.categories[actionKey] ?? 0;
    return code === 0 ? undefined : ACTIVITY_CATEGORIES[code - 1];
  }

  /** First row of [start, end) at or after `seconds` (rows of one range are sorted by time). */
  firstAtOrAfter(start: number, end: number, seconds: number): number {
    let low = start;
    let high = end;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.time[middle] as number) < seconds) low = middle + 1;
      else high = middle;
    }
    return low;
  }

}
