/**
 * The stored form of a collected inventory: columns, not JSON of objects. At 100k identities an
 * estate has about a million grants; written as objects they take seconds to parse and rebuild,
 * while a restart must answer within 2 s. Here every string is written once (an interned table,
 * parsed in a few large JSON arrays), every entity kind is a set of typed-array columns of string
 * indexes, and the grants are the grant table's own columns (src/model/grant-table.ts), read back
 * into a table without making a grant object.
 *
 * Layout (little-endian): magic "WIAMCOL1", format version (u32), section count (u32), then per
 * section its name, type, byte length and bytes, then a SHA-256 of everything before it, keyed
 * (HMAC) when the server gives a key: then a copy changed by anyone without the key (a write to
 * inventory.db or the shared database) fails the check like a damaged one. A checksum that does
 * not match, another magic or version, or fields other than this build's are refused with
 * StoredInventoryUnreadable: the caller collects afresh rather than serve it.
 *
 * Every field of the model must be listed in ENTITY_FIELDS / GRANT_FIELDS: encoding an entity
 * with a field not listed throws, and a test compares the lists with the zod schemas, so a field
 * added to the model is never silently dropped from the stored copy.
 */
import { createHash, createHmac } from "node:crypto";
import { endianness } from "node:os";
import { z } from "zod";
import { ActivityRecords } from "../activity/activity-records.js";
import { CHUNK_FIELD, CHUNK_STRIDE } from "../activity/event-chunk.js";
import { activitySourceSchema } from "../model/activity-log.js";
import { storedGrantShape, type GrantShape, type Piece } from "../model/compact-grant.js";
import { GrantTable, OwnIdTexts, type GrantColumns } from "../model/grant-table.js";
import {
  SNAPSHOT_SCHEMA_VERSION,
  type Condition,
  type Evidence,
  type Grant,
  type InventorySnapshot,
  type Provider,
} from "../model/inventory.js";

const MAGIC = Buffer.from("WIAMCOL1", "latin1");
export const COLUMNAR_FORMAT_VERSION = 1;
const CHECKSUM_BYTES = 32;
/** Strings per JSON chunk: far below V8's longest string even with long ids. */
const STRINGS_PER_CHUNK = 65_536;

/** How a field is stored: a string, a boolean, or a nested value as (interned) JSON text. */
type FieldCodec = "text" | "flag" | "json";

/** The entity lists of a snapshot other than grants, each field with how it is stored. */
export const ENTITY_FIELDS = {
  scopes: { id: "text", provider: "text", kind: "text", name: "text", parentId: "text", tags: "json", attributes: "json", evidence: "json" },
  principals: {
    id: "text", provider: "text", kind: "text", workload: "flag", name: "text", scopeId: "text", email: "text", uniqueId: "text",
    description: "text", createdAt: "text", disabled: "flag", tags: "json", memberOf: "json", permissionsBoundary: "text",
    trustPolicyId: "text", owners: "json", directoryRoles: "json", exchangeConditions: "json", graphAppPermissions: "json",
    lastActivity: "json", evidence: "json",
  },
  credentials: {
    id: "text", provider: "text", kind: "text", principalId: "text", scopeId: "text", name: "text", status: "text", managedBy: "text",
    algorithm: "text", createdAt: "text", expiresAt: "text", lastRotatedAt: "text", lastActivity: "json", evidence: "json",
  },
  vaultItems: {
    id: "text", provider: "text", kind: "text", name: "text", scopeId: "text", version: "text", enabled: "flag", createdAt: "text",
    updatedAt: "text", notBefore: "text", expiresAt: "text", contentType: "text", managed: "flag", recoveryLevel: "text", tags: "json",
    certificatePolicy: "json", evidence: "json",
  },
  policies: {
    id: "text", provider: "text", kind: "text", name: "text", scopeId: "text", description: "text", attachedTo: "json", encryptionKey: "text",
    resourceTags: "json", enforcementVersion: "text", statements: "json", evidence: "json",
  },
  trustEdges: { id: "text", provider: "text", kind: "text", from: "text", to: "text", policyId: "text", statementId: "text", conditions: "json", evidence: "json" },
  gaps: { provider: "text", scopeId: "text", source: "text", reason: "text" },
} as const satisfies Record<string, Record<string, FieldCodec>>;

export type EntityList = keyof typeof ENTITY_FIELDS;
const ENTITY_LISTS = Object.keys(ENTITY_FIELDS) as EntityList[];

/** The grant fields the grant table's columns carry (a test compares them with the schema). */
export const GRANT_FIELDS = ["id", "provider", "kind", "principalId", "policyId", "resource", "conditions", "evidence"] as const;

/** Top-level snapshot fields written in the header (the lists are written as columns). */
export const SNAPSHOT_HEADER_FIELDS = ["schemaVersion", "generatedAt", "demo", "description"] as const;

/** Top-level snapshot sections written whole, as JSON: the collected resources, small beside the grants. */
export const SNAPSHOT_JSON_FIELDS = ["resources"] as const;

/**
 * Top-level snapshot sections stored in columns of their own: the activity log, its events as one
 * chunk (src/activity/event-chunk.ts) with one table of strings, never as JSON text (millions of
 * events would be gigabytes of it). The format is named in the stored `fields`, so a copy stored
 * another way is refused and collected afresh.
 */
export const SNAPSHOT_COLUMN_FIELDS = ["activityLog"] as const;
const ACTIVITY_FORMAT = "chunk-1";

function encodeActivity(writer: SectionWriter, records: ActivityRecords): void {
  const chunk = records.toChunk();
  writer.json("activity.sources", records.sources);
  writeStrings(writer, "activity.strings", chunk.strings);
  writer.int32("activity.fields", chunk.fields);
  // Times as whole seconds (read back unsigned: good until 2106) and the milliseconds beside them.
  const times = new Int32Array(chunk.rows * 2);
  for (let row = 0; row < chunk.rows; row++) {
    const time = chunk.timeMs[row] as number;
    const seconds = Math.floor(time / 1000);
    times[row * 2] = seconds | 0;
    times[row * 2 + 1] = time - seconds * 1000;
  }
  writer.int32("activity.times", times);
}

function decodeActivity(sections: Map<string, Section>): ActivityRecords {
  const sources = z.array(activitySourceSchema).safeParse(jsonSection(sections, "activity.sources"));
  if (!sources.success) throw new StoredInventoryUnreadable("activity sources damaged");
  const strings = readStrings(sections, "activity.strings");
  const fields = sections.get("activity.fields");
  const times = sections.get("activity.times");
  if (fields?.type !== SectionType.Int32 || times?.type !== SectionType.Int32) throw new StoredInventoryUnreadable("activity columns missing");
  const rows = times.value.length / 2;
  if (!Number.isInteger(rows) || fields.value.length !== rows * CHUNK_STRIDE || strings[0] !== "") throw new StoredInventoryUnreadable("activity columns of different lengths");
  const timeMs = new Float64Array(rows);
  for (let row = 0; row < rows; row++) {
    const milliseconds = times.value[row * 2 + 1] as number;
    if (milliseconds < 0 || milliseconds > 999) throw new StoredInventoryUnreadable("activity time damaged");
    timeMs[row] = ((times.value[row * 2] as number) >>> 0) * 1000 + milliseconds;
  }
  for (let offset = 0; offset < fields.value.length; offset++) {
    const value = fields.value[offset] as number;
    // Every field but the packed codes is an index into the strings.
    if (offset % CHUNK_STRIDE !== CHUNK_FIELD.codes && (value < 0 || value >= strings.length)) throw new StoredInventoryUnreadable("activity string index out of range");
  }
  return ActivityRecords.fromChunk(sources.data, { rows, timeMs, fields: fields.value, strings, tally: { records: rows, events: rows, skipped: 0 } });
}

/** A stored inventory that must not be served: damaged, from another format, or of other fields. */
export class StoredInventoryUnreadable extends Error {
  constructor(reason: string) {
    super(`stored inventory unreadable: ${reason}`);
    this.name = "StoredInventoryUnreadable";
  }
}

/** A decoded inventory: the snapshot without its grants, and the grants as a table. */
export interface ColumnarInventory {
  snapshot: InventorySnapshot;
  grants: GrantTable;
}

const enum SectionType {
  Json = 1,
  Int32 = 2,
  Int8 = 3,
}

function assertLittleEndian(): void {
  // Typed arrays are written as the machine holds them; every platform Node supports is little-endian.
  if (endianness() !== "LE") throw new Error("the columnar inventory format needs a little-endian machine");
}

class SectionWriter {
  private readonly parts: Buffer[] = [];
  private count = 0;

  json(name: string, value: unknown): void {
    this.add(name, SectionType.Json, Buffer.from(JSON.stringify(value), "utf8"));
  }

  int32(name: string, values: Int32Array): void {
    this.add(name, SectionType.Int32, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
  }

  int8(name: string, values: Int8Array): void {
    this.add(name, SectionType.Int8, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
  }

  private add(name: string, type: SectionType, bytes: Buffer): void {
    const nameBytes = Buffer.from(name, "utf8");
    const head = Buffer.alloc(2 + nameBytes.length + 1 + 4);
    head.writeUInt16LE(nameBytes.length, 0);
    nameBytes.copy(head, 2);
    head.writeUInt8(type, 2 + nameBytes.length);
    head.writeUInt32LE(bytes.length, 3 + nameBytes.length);
    this.parts.push(head, bytes);
    this.count++;
  }

  finish(key: Buffer | undefined): Buffer {
    const header = Buffer.alloc(MAGIC.length + 8);
    MAGIC.copy(header, 0);
    header.writeUInt32LE(COLUMNAR_FORMAT_VERSION, MAGIC.length);
    header.writeUInt32LE(this.count, MAGIC.length + 4);
    const hash = digestOf(key).update(header);
    for (const part of this.parts) hash.update(part);
    return Buffer.concat([header, ...this.parts, hash.digest()]);
  }
}

/** A JSON section keeps its bytes until read (sections read later, or never, are not parsed at load). */
type Section = { type: SectionType.Json; bytes: Buffer } | { type: SectionType.Int32; value: Int32Array } | { type: SectionType.Int8; value: Int8Array };

function digestOf(key: Buffer | undefined) {
  return key === undefined ? createHash("sha256") : createHmac("sha256", key);
}

function readSections(bytes: Buffer, key: Buffer | undefined): Map<string, Section> {
  if (bytes.length < MAGIC.length + 8 + CHECKSUM_BYTES) throw new StoredInventoryUnreadable("too short");
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw new StoredInventoryUnreadable("not a columnar inventory");
  const version = bytes.readUInt32LE(MAGIC.length);
  if (version !== COLUMNAR_FORMAT_VERSION) throw new StoredInventoryUnreadable(`format version ${version}, this build reads ${COLUMNAR_FORMAT_VERSION}`);
  const body = bytes.subarray(0, bytes.length - CHECKSUM_BYTES);
  const expected = bytes.subarray(bytes.length - CHECKSUM_BYTES);
  if (!digestOf(key).update(body).digest().equals(expected)) throw new StoredInventoryUnreadable("checksum mismatch");
  const count = bytes.readUInt32LE(MAGIC.length + 4);
  const sections = new Map<string, Section>();
  let offset = MAGIC.length + 8;
  try {
    for (let i = 0; i < count; i++) {
      const nameLength = body.readUInt16LE(offset);
      const name = body.toString("utf8", offset + 2, offset + 2 + nameLength);
      const type = body.readUInt8(offset + 2 + nameLength) as SectionType;
      const length = body.readUInt32LE(offset + 3 + nameLength);
      const start = offset + 7 + nameLength;
      const end = start + length;
      if (end > body.length) throw new StoredInventoryUnreadable(`section ${name} runs past the end`);
      if (type === SectionType.Json) sections.set(name, { type, bytes: body.subarray(start, end) });
      else if (type === SectionType.Int32) {
        // A copy: the file's buffer need not be 4-byte aligned, and the table outlives it.
        const copy = new Int32Array(length / 4);
        new Uint8Array(copy.buffer).set(body.subarray(start, end));
        sections.set(name, { type, value: copy });
      } else if (type === SectionType.Int8) sections.set(name, { type, value: new Int8Array(body.subarray(start, end)) });
      else throw new StoredInventoryUnreadable(`section ${name} has unknown type ${String(type)}`);
      offset = end;
    }
  } catch (error) {
    if (error instanceof StoredInventoryUnreadable) throw error;
    throw new StoredInventoryUnreadable(`damaged sections (${(error as Error).message})`);
  }
  if (offset !== body.length) throw new StoredInventoryUnreadable("bytes after the last section");
  return sections;
}

/** Strings written once each; a value's index is its place in the table. */
class StringTable {
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();

  of(value: string): number {
    let found = this.index.get(value);
    if (found === undefined) {
      found = this.values.length;
      this.values.push(value);
      this.index.set(value, found);
    }
    return found;
  }

  /** Nested values by their JSON text: equal evidence or tags are written (and read back) once. */
  json(value: unknown): number {
    return this.of(JSON.stringify(value));
  }
}

function writeStrings(writer: SectionWriter, name: string, values: readonly string[]): void {
  const chunks = Math.ceil(values.length / STRINGS_PER_CHUNK);
  writer.json(`${name}.chunks`, chunks);
  for (let c = 0; c < chunks; c++) writer.json(`${name}.${c}`, values.slice(c * STRINGS_PER_CHUNK, (c + 1) * STRINGS_PER_CHUNK));
}

function readStrings(sections: Map<string, Section>, name: string): string[] {
  const chunks = jsonSection(sections, `${name}.chunks`);
  if (typeof chunks !== "number" || !Number.isInteger(chunks) || chunks < 0) throw new StoredInventoryUnreadable(`${name}: bad chunk count`);
  const values: string[] = [];
  for (let c = 0; c < chunks; c++) {
    const chunk = jsonSection(sections, `${name}.${c}`);
    if (!Array.isArray(chunk) || chunk.some((value) => typeof value !== "string")) throw new StoredInventoryUnreadable(`${name}.${c}: not a list of strings`);
    for (const value of chunk as string[]) values.push(value);
  }
  return values;
}

function jsonSection(sections: Map<string, Section>, name: string): unknown {
  const section = sections.get(name);
  if (section?.type !== SectionType.Json) throw new StoredInventoryUnreadable(`missing section ${name}`);
  try {
    return JSON.parse(section.bytes.toString("utf8")) as unknown;
  } catch (error) {
    throw new StoredInventoryUnreadable(`section ${name}: ${(error as Error).message}`);
  }
}

function int32Section(sections: Map<string, Section>, name: string, length: number): Int32Array {
  const section = sections.get(name);
  if (section?.type !== SectionType.Int32 || section.value.length !== length) throw new StoredInventoryUnreadable(`missing or short section ${name}`);
  return section.value;
}

function int8Section(sections: Map<string, Section>, name: string, length: number): Int8Array {
  const section = sections.get(name);
  if (section?.type !== SectionType.Int8 || section.value.length !== length) throw new StoredInventoryUnreadable(`missing or short section ${name}`);
  return section.value;
}

function encodeEntities(writer: SectionWriter, strings: StringTable, list: EntityList, items: readonly object[]): void {
  const fields = ENTITY_FIELDS[list] as Record<string, FieldCodec>;
  for (const item of items) {
    for (const key of Object.keys(item)) {
      if (!(key in fields)) {
        throw new Error(`inventory ${list} field "${key}" is not carried by the stored inventory: add it to ENTITY_FIELDS in src/history/columnar-codec.ts`);
      }
    }
  }
  for (const [field, codec] of Object.entries(fields)) {
    if (codec === "flag") {
      const column = new Int8Array(items.length);
      items.forEach((item, row) => {
        const value = (item as Record<string, unknown>)[field];
        column[row] = value === undefined ? -1 : value === true ? 1 : 0;
      });
      writer.int8(`${list}.${field}`, column);
    } else {
      const column = new Int32Array(items.length);
      items.forEach((item, row) => {
        const value = (item as Record<string, unknown>)[field];
        column[row] = value === undefined ? -1 : codec === "text" ? strings.of(value as string) : strings.json(value);
      });
      writer.int32(`${list}.${field}`, column);
    }
  }
}

function decodeEntities(sections: Map<string, Section>, strings: readonly string[], list: EntityList, count: number): object[] {
  const fields = Object.entries(ENTITY_FIELDS[list] as Record<string, FieldCodec>);
  const columns = fields.map(([field, codec]) =>
    codec === "flag" ? int8Section(sections, `${list}.${field}`, count) : int32Section(sections, `${list}.${field}`, count),
  );
  // One object per distinct JSON text, shared like the collected estate shares them (share-values.ts).
  const parsed = new Map<number, unknown>();
  const nested = (index: number): unknown => {
    let value = parsed.get(index);
    if (value === undefined) {
      const text = strings[index];
      if (text === undefined) throw new StoredInventoryUnreadable(`${list}: string ${index} out of range`);
      value = JSON.parse(text) as unknown;
      parsed.set(index, value);
    }
    return value;
  };
  const items = new Array<object>(count);
  for (let row = 0; row < count; row++) {
    const item: Record<string, unknown> = {};
    for (let f = 0; f < fields.length; f++) {
      const value = (columns[f] as Int32Array | Int8Array)[row] as number;
      if (value < 0) continue;
      const [field, codec] = fields[f] as [string, FieldCodec];
      if (codec === "flag") item[field] = value === 1;
      else if (codec === "json") item[field] = nested(value);
      else {
        const text = strings[value];
        if (text === undefined) throw new StoredInventoryUnreadable(`${list}.${field}: string ${value} out of range`);
        item[field] = text;
      }
    }
    items[row] = item;
  }
  return items;
}

interface StoredShape {
  provider: Provider;
  kind: Grant["kind"];
  evidence: Evidence;
  pieces: Piece[] | null;
}

function encodeGrants(writer: SectionWriter, table: GrantTable): void {
  const columns = table.columns();
  writeStrings(writer, "grants.values", columns.values);
  writer.int32("grants.principal", columns.principal);
  writer.int32("grants.policy", columns.policy);
  writer.int32("grants.resource", columns.resource);
  writer.int32("grants.shape", columns.shape);
  const shapes: StoredShape[] = columns.shapes.map((shape: GrantShape) => ({
    provider: shape.provider,
    kind: shape.kind,
    evidence: shape.evidence,
    pieces: shape.template ? [...shape.template.pieces] : null,
  }));
  writer.json("grants.shapes", shapes);
  // A grant's own id text (an Azure role assignment's GUID): a third of an estate's grants; as rows and strings, not pairs.
  writer.int32("grants.ownRows", columns.own.rows);
  writeStrings(writer, "grants.ownTexts", columns.own.all());
  writer.json("grants.conditions", [...columns.conditions]);
}

function decodeGrants(sections: Map<string, Section>, length: number): GrantTable {
  const values = readStrings(sections, "grants.values");
  const storedShapes = jsonSection(sections, "grants.shapes");
  if (!Array.isArray(storedShapes)) throw new StoredInventoryUnreadable("grants.shapes: not a list");
  const shapes = (storedShapes as StoredShape[]).map((shape) => storedGrantShape(shape.provider, shape.kind, shape.evidence, shape.pieces));
  const columns: GrantColumns = {
    values,
    principal: int32Section(sections, "grants.principal", length),
    policy: int32Section(sections, "grants.policy", length),
    resource: int32Section(sections, "grants.resource", length),
    shape: int32Section(sections, "grants.shape", length),
    shapes,
    own: ownOf(sections, length),
    conditions: new Map(jsonSection(sections, "grants.conditions") as [number, Condition[]][]),
  };
  // Indexes out of range would read `undefined` later as if a grant had no principal: refuse now.
  for (const column of [columns.principal, columns.policy, columns.resource]) {
    for (let row = 0; row < length; row++) {
      const value = column[row] as number;
      if (value < -1 || value >= values.length) throw new StoredInventoryUnreadable(`grant ${row}: value ${value} out of range`);
    }
  }
  for (let row = 0; row < length; row++) {
    const value = columns.shape[row] as number;
    if (value < 0 || value >= shapes.length) throw new StoredInventoryUnreadable(`grant ${row}: shape ${value} out of range`);
  }
  return new GrantTable(columns);
}

/**
 * Grants' own id texts: the rows now (checked: ascending, in range), the texts when first read.
 * Their sections' bytes are copied out of the file's buffer, so it can go once decoded.
 */
function ownOf(sections: Map<string, Section>, length: number): OwnIdTexts {
  const rowsSection = sections.get("grants.ownRows");
  if (rowsSection?.type !== SectionType.Int32) throw new StoredInventoryUnreadable("missing section grants.ownRows");
  const rows = rowsSection.value;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as number;
    if (row < 0 || row >= length || (i > 0 && row <= (rows[i - 1] as number))) throw new StoredInventoryUnreadable(`grant own id ${i}: row ${row} out of order or range`);
  }
  const chunks = jsonSection(sections, "grants.ownTexts.chunks");
  if (typeof chunks !== "number" || !Number.isInteger(chunks) || chunks < 0 || chunks !== Math.ceil(rows.length / STRINGS_PER_CHUNK)) {
    throw new StoredInventoryUnreadable("grants.ownTexts: chunk count does not match the rows");
  }
  const kept = new Map<string, Section>();
  kept.set("grants.ownTexts.chunks", { type: SectionType.Json, bytes: Buffer.from(JSON.stringify(chunks)) });
  for (let c = 0; c < chunks; c++) {
    const section = sections.get(`grants.ownTexts.${c}`);
    if (section?.type !== SectionType.Json) throw new StoredInventoryUnreadable(`missing section grants.ownTexts.${c}`);
    kept.set(`grants.ownTexts.${c}`, { type: SectionType.Json, bytes: Buffer.from(section.bytes) });
  }
  // Checked (keyed checksum) like the rest: what is read later is what this server wrote.
  return new OwnIdTexts(rows, () => readStrings(kept, "grants.ownTexts"));
}

/**
 * The stored form of an inventory: `grants` is its grant table (built from `snapshot.grants` when
 * absent); `key`, when given, keys the checksum (decode with the same key).
 */
export function encodeInventory(snapshot: InventorySnapshot, grants?: GrantTable, key?: Buffer): Buffer {
  assertLittleEndian();
  for (const key of Object.keys(snapshot)) {
    const known =
      key in ENTITY_FIELDS ||
      key === "grants" ||
      (SNAPSHOT_COLUMN_FIELDS as readonly string[]).includes(key) ||
      (SNAPSHOT_HEADER_FIELDS as readonly string[]).includes(key) ||
      (SNAPSHOT_JSON_FIELDS as readonly string[]).includes(key);
    if (!known) {
      throw new Error(`inventory snapshot field "${key}" is not carried by the stored inventory: add it to src/history/columnar-codec.ts`);
    }
  }
  const table = grants ?? new GrantTable(snapshot.grants);
  const writer = new SectionWriter();
  const strings = new StringTable();
  const counts: Record<string, number> = { grants: table.length };
  const header = {
    schemaVersion: snapshot.schemaVersion,
    generatedAt: snapshot.generatedAt,
    ...(snapshot.demo !== undefined ? { demo: snapshot.demo } : {}),
    ...(snapshot.description !== undefined ? { description: snapshot.description } : {}),
  };
  for (const list of ENTITY_LISTS) {
    const items = (list === "gaps" ? (snapshot.gaps ?? []) : snapshot[list]) as readonly object[];
    counts[list] = items.length;
    encodeEntities(writer, strings, list, items);
  }
  writer.json("header", { ...header, hasGaps: snapshot.gaps !== undefined });
  for (const field of SNAPSHOT_JSON_FIELDS) if (snapshot[field] !== undefined) writer.json(`snapshot.${field}`, snapshot[field]);
  if (snapshot.activityLog !== undefined) encodeActivity(writer, ActivityRecords.of(snapshot.activityLog));
  writer.json("counts", counts);
  writer.json("fields", { entities: ENTITY_FIELDS, grants: GRANT_FIELDS, sections: SNAPSHOT_JSON_FIELDS, activity: ACTIVITY_FORMAT });
  writeStrings(writer, "strings", strings.values);
  encodeGrants(writer, table);
  return writer.finish(key);
}

/** Reads a stored inventory back; throws StoredInventoryUnreadable for anything it cannot trust. */
export function decodeInventory(bytes: Buffer, key?: Buffer): ColumnarInventory {
  assertLittleEndian();
  const sections = readSections(bytes, key);
  const fields = jsonSection(sections, "fields");
  if (JSON.stringify(fields) !== JSON.stringify({ entities: ENTITY_FIELDS, grants: GRANT_FIELDS, sections: SNAPSHOT_JSON_FIELDS, activity: ACTIVITY_FORMAT })) {
    throw new StoredInventoryUnreadable("written with other inventory fields than this build carries");
  }
  const header = jsonSection(sections, "header") as { schemaVersion: unknown; generatedAt: unknown; demo?: unknown; description?: unknown; hasGaps?: unknown };
  if (header.schemaVersion !== SNAPSHOT_SCHEMA_VERSION) throw new StoredInventoryUnreadable(`inventory schema version ${String(header.schemaVersion)}`);
  if (typeof header.generatedAt !== "string") throw new StoredInventoryUnreadable("no collection time");
  const counts = jsonSection(sections, "counts") as Record<string, unknown>;
  const countOf = (list: string): number => {
    const count = counts[list];
    if (typeof count !== "number" || !Number.isInteger(count) || count < 0) throw new StoredInventoryUnreadable(`bad count of ${list}`);
    return count;
  };
  const strings = readStrings(sections, "strings");
  const lists = Object.fromEntries(ENTITY_LISTS.map((list) => [list, decodeEntities(sections, strings, list, countOf(list))]));
  const snapshot = {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    generatedAt: header.generatedAt,
    ...(typeof header.demo === "boolean" ? { demo: header.demo } : {}),
    ...(typeof header.description === "string" ? { description: header.description } : {}),
    scopes: lists.scopes,
    principals: lists.principals,
    credentials: lists.credentials,
    vaultItems: lists.vaultItems,
    policies: lists.policies,
    grants: [],
    trustEdges: lists.trustEdges,
    ...(header.hasGaps === true ? { gaps: lists.gaps } : {}),
    ...Object.fromEntries(SNAPSHOT_JSON_FIELDS.filter((field) => sections.has(`snapshot.${field}`)).map((field) => [field, jsonSection(sections, `snapshot.${field}`)])),
  } as unknown as InventorySnapshot;
  // Served in columns, like a fresh collection's, not as an object per event.
  if (sections.has("activity.sources")) snapshot.activityLog = decodeActivity(sections);
  return { snapshot, grants: decodeGrants(sections, countOf("grants")) };
}
