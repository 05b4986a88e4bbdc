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
import { canonicalJson } from "../audit/canonical-json.js";
import { plainGrant } from "../model/compact-grant.js";
import type { GrantTable } from "../model/grant-table.js";
import type { InventorySnapshot } from "../model/inventory.js";
import type { ColumnarInventory } from "./columnar-codec.js";

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

/** A record as compared: without evidence, and last-use without its read time. */
function comparable(record: object): string {
  const { evidence: _evidence, ...rest } = record as Record<string, unknown>;
  const activity = rest.lastActivity as Record<string, unknown> | undefined;
  if (activity !== undefined) {
    const { observedAt: _observedAt, ...kept } = activity;
    rest.lastActivity = kept;
  }
  return canonicalJson(rest);
}

function diffList(list: DeltaList, before: readonly { id: string }[], after: readonly { id: string }[], changes: EntityChange[]): void {
  const previous = new Map<string, { record: { id: string }; text: string }>();
  for (const record of before) previous.set(record.id, { record, text: comparable(record) });
  for (const record of after) {
    const old = previous.get(record.id);
    if (old === undefined) {
      changes.push({ list, change: "added", id: record.id, after: plainRecord(record) });
      continue;
    }
    previous.delete(record.id);
    if (old.text !== comparable(record)) changes.push({ list, change: "changed", id: record.id, before: plainRecord(old.record), after: plainRecord(record) });
  }
  for (const [id, old] of previous) changes.push({ list, change: "removed", id, before: plainRecord(old.record) });
}

function plainRecord(record: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(record)) as Record<string, unknown>;
}

/**
 * Grants by id, compared on their own fields (not evidence). The id is spelled from the table's
 * columns once per grant; nothing else is made for a grant that did not change.
 */
function diffGrants(before: GrantTable, after: GrantTable, changes: EntityChange[]): void {
  const key = (table: GrantTable, row: number): string => {
    const grant = table.at(row);
    const conditions = grant.conditions;
    return `${grant.kind}\u0000${grant.principalId}\u0000${grant.policyId}\u0000${grant.resource ?? "\u0001"}\u0000${conditions === undefined ? "" : JSON.stringify(conditions)}`;
  };
  const previous = new Map<string, number>();
  const previousKeys: string[] = new Array<string>(before.length);
  for (let row = 0; row < before.length; row++) {
    previous.set(before.at(row).id, row);
    previousKeys[row] = key(before, row);
  }
  for (let row = 0; row < after.length; row++) {
    const grant = after.at(row);
    const id = grant.id;
    const old = previous.get(id);
    if (old === undefined) {
      changes.push({ list: "grants", change: "added", id, after: plainRecord(plainGrant(grant)) });
      continue;
    }
    previous.delete(id);
    if (previousKeys[old] !== key(after, row)) {
      changes.push({ list: "grants", change: "changed", id, before: plainRecord(plainGrant(before.at(old))), after: plainRecord(plainGrant(grant)) });
    }
  }
  for (const [id, row] of previous) changes.push({ list: "grants", change: "removed", id, before: plainRecord(plainGrant(before.at(row))) });
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
