/**
 * What one collection changed against the one before it, per entity (added, removed, changed),
 * with the record as it was and as it is. History keeps these deltas, not full copies: an estate
 * changes by a fraction of a percent a day, and `what_changed` reads the changes directly.
 *
 * Two records are the same when everything but when they were observed is the same: evidence
 * (source and read time) and the read time of last-use records change with every collection and
 * are not changes of the estate.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { z } from "zod";
import { plainGrant } from "../model/compact-grant.js";
import type { GrantTable } from "../model/grant-table.js";
import type { InventorySnapshot } from "../model/inventory.js";
import { ENTITY_FIELDS, type ColumnarInventory } from "./columnar-codec.js";

export const DELTA_LISTS = ["scopes", "principals", "credentials", "vaultItems", "policies", "grants", "trustEdges", "paths"] as const;
export type DeltaList = (typeof DELTA_LISTS)[number];

const recordSchema = z.record(z.string(), z.unknown());

export const entityChangeSchema = z.object({
  list: z.enum(DELTA_LISTS),
  change: z.enum(["added", "removed", "changed"]),
  id: z.string(),
  before: recordSchema.optional(),
  after: recordSchema.optional(),
});
export type EntityChange = z.infer<typeof entityChangeSchema>;

const DELTA_FORMAT_VERSION = 1;
const deltaSchema = z.object({ formatVersion: z.literal(DELTA_FORMAT_VERSION), changes: z.array(entityChangeSchema) });
export type CollectionDelta = z.infer<typeof deltaSchema>;

/**
 * An allowed path from an identity to a sensitive resource (see sensitive-reach.ts), kept with a
 * collection so history can say when one appeared or went away.
 */
export interface SensitiveReach {
  resource: string;
  principal: string;
  provider: string;
  /** The first hop's kind or "direct", and how many hops, for the change's description. */
  via: string;
  hops: number;
}

export function reachId(reach: Pick<SensitiveReach, "resource" | "principal">): string {
  return `${reach.principal} -> ${reach.resource}`;
}

/**
 * Nested values (tags, statements, last use) as JSON, once per object: both a collection and a
 * stored copy share one object among the records that hold equal values.
 */
const jsonOfObject = new WeakMap<object, string>();
function jsonOf(value: object): string {
  let text = jsonOfObject.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    jsonOfObject.set(value, text);
  }
  return text;
}

/** Last use without its read time (read again at every collection, not a change). */
function lastUseOf(value: object): string {
  const { observedAt: _observedAt, ...kept } = value as Record<string, unknown>;
  return JSON.stringify(kept);
}

/**
 * Whether two records of one entity are the same, field by field, evidence aside. Strings and
 * flags compare directly; nested values by their JSON (key order is the collector's, the same in
 * both: a stored copy keeps each nested value as collected).
 */
function sameRecord(before: object, after: object, fields: readonly string[]): boolean {
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  for (const field of fields) {
    if (field === "evidence") continue;
    const x = a[field];
    const y = b[field];
    if (x === y) continue;
    if (typeof x !== "object" || typeof y !== "object" || x === null || y === null) return false;
    if (field === "lastActivity" ? lastUseOf(x) !== lastUseOf(y) : jsonOf(x) !== jsonOf(y)) return false;
  }
  return true;
}

function diffList(list: Exclude<DeltaList, "grants">, before: readonly { id: string }[], after: readonly { id: string }[], changes: EntityChange[]): void {
  const fields = list === "paths" ? ["id", "resource", "principal", "provider", "via", "hops"] : Object.keys(ENTITY_FIELDS[list]);
  const previous = new Map<string, { id: string }>();
  for (const record of before) previous.set(record.id, record);
  for (const record of after) {
    const old = previous.get(record.id);
    if (old === undefined) {
      changes.push({ list, change: "added", id: record.id, after: plainRecord(record) });
      continue;
    }
    previous.delete(record.id);
    if (!sameRecord(old, record, fields)) changes.push({ list, change: "changed", id: record.id, before: plainRecord(old), after: plainRecord(record) });
  }
  for (const [id, old] of previous) changes.push({ list, change: "removed", id, before: plainRecord(old) });
}

function plainRecord(record: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(record)) as Record<string, unknown>;
}

/** Whether row `a` of one table and row `b` of another are the same grant, unchanged (evidence aside). */
function sameGrant(before: GrantTable, a: number, after: GrantTable, b: number): boolean {
  if (before.policyAt(a) !== after.policyAt(b) || before.resourceAt(a) !== after.resourceAt(b) || before.ownIdAt(a) !== after.ownIdAt(b)) return false;
  const shapeA = before.shapeAt(a);
  const shapeB = after.shapeAt(b);
  if (shapeA.kind !== shapeB.kind || shapeA.provider !== shapeB.provider || shapeA.template?.key !== shapeB.template?.key) return false;
  const conditionsA = before.conditionsAt(a);
  const conditionsB = after.conditionsAt(b);
  return conditionsA === conditionsB || JSON.stringify(conditionsA) === JSON.stringify(conditionsB);
}

/**
 * Grants compared principal by principal, in the tables' own columns: a principal whose grants
 * are the same, in the same order, costs a few string comparisons per grant and makes nothing
 * (most of an estate, from one collection to the next). Only the grants of principals whose
 * grants differ are spelled out and matched by id.
 */
function diffGrants(before: GrantTable, after: GrantTable, changes: EntityChange[]): void {
  const principals = new Set([...after.principalsWithGrants(), ...before.principalsWithGrants()]);
  for (const principal of principals) {
    const rowsBefore = before.rowsOfPrincipal(principal);
    const rowsAfter = after.rowsOfPrincipal(principal);
    if (rowsBefore.length === rowsAfter.length) {
      let same = true;
      for (let i = 0; i < rowsAfter.length && same; i++) same = sameGrant(before, rowsBefore[i] as number, after, rowsAfter[i] as number);
      if (same) continue;
    }
    const previous = new Map<string, number>();
    for (const row of rowsBefore) previous.set(before.at(row).id, row);
    for (const row of rowsAfter) {
      const grant = after.at(row);
      const id = grant.id;
      const old = previous.get(id);
      if (old === undefined) {
        changes.push({ list: "grants", change: "added", id, after: plainRecord(plainGrant(grant)) });
        continue;
      }
      previous.delete(id);
      if (!sameGrant(before, old, after, row)) {
        changes.push({ list: "grants", change: "changed", id, before: plainRecord(plainGrant(before.at(old))), after: plainRecord(plainGrant(grant)) });
      }
    }
    for (const [id, row] of previous) changes.push({ list: "grants", change: "removed", id, before: plainRecord(plainGrant(before.at(row))) });
  }
}

function withIds(reach: readonly SensitiveReach[]): { id: string }[] {
  return reach.map((item) => ({ id: reachId(item), ...item }));
}

/** The changes from `before` to `after` (two collections of one source), in a fixed order. */
export function diffCollections(
  before: ColumnarInventory,
  after: ColumnarInventory,
  reach: { before: readonly SensitiveReach[]; after: readonly SensitiveReach[] } = { before: [], after: [] },
): CollectionDelta {
  const changes: EntityChange[] = [];
  const lists = ["scopes", "principals", "credentials", "vaultItems", "policies", "trustEdges"] as const satisfies readonly (keyof InventorySnapshot & DeltaList)[];
  for (const list of lists) diffList(list, before.snapshot[list], after.snapshot[list], changes);
  diffGrants(before.grants, after.grants, changes);
  diffList("paths", withIds(reach.before), withIds(reach.after), changes);
  return { formatVersion: DELTA_FORMAT_VERSION, changes };
}

export function encodeDelta(delta: CollectionDelta): Buffer {
  return gzipSync(Buffer.from(JSON.stringify(delta), "utf8"));
}

/** Reads a stored delta; a damaged one is an error naming the collection, never a partial list. */
export function decodeDelta(bytes: Buffer, collectionId: string): CollectionDelta {
  let parsed: unknown;
  try {
    parsed = JSON.parse(gunzipSync(bytes).toString("utf8"));
  } catch (error) {
    throw new Error(`collection ${collectionId}: stored changes unreadable (${(error as Error).message})`, { cause: error });
  }
  const checked = deltaSchema.safeParse(parsed);
  if (!checked.success) throw new Error(`collection ${collectionId}: stored changes do not have the expected shape`);
  return checked.data;
}
