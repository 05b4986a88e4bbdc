/**
 * Combines the snapshots of several connectors (or several files) into one inventory. The first
 * part to mention an id wins, so configuration order decides which source is authoritative when
 * two overlap. Gaps are kept from every part: an answer must still say what could not be read.
 */
import { ActivityRecords } from "../activity/activity-records.js";
import {
  SNAPSHOT_SCHEMA_VERSION,
  type CollectionGap,
  type InventorySnapshot,
} from "../model/inventory.js";

function firstById<T extends { id: string }>(lists: readonly (readonly T[])[]): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const list of lists) {
    for (const item of list) {
      if (seen.has(item.id)) continue;
      seen.add(item.id);
      out.push(item);
    }
  }
  return out;
}

function unionGaps(parts: readonly InventorySnapshot[]): CollectionGap[] {
  const seen = new Set<string>();
  const out: CollectionGap[] = [];
  for (const gap of parts.flatMap((part) => part.gaps ?? [])) {
    const key = JSON.stringify([gap.provider, gap.scopeId ?? null, gap.source, gap.reason]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(gap);
  }
  return out;
}

export function mergeSnapshots(parts: readonly InventorySnapshot[], generatedAt: Date | string): InventorySnapshot {
  const merged: InventorySnapshot = {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    generatedAt: typeof generatedAt === "string" ? generatedAt : generatedAt.toISOString(),
    scopes: firstById(parts.map((p) => p.scopes)),
    principals: firstById(parts.map((p) => p.principals)),
    credentials: firstById(parts.map((p) => p.credentials)),
    vaultItems: firstById(parts.map((p) => p.vaultItems)),
    policies: firstById(parts.map((p) => p.policies)),
    grants: firstById(parts.map((p) => p.grants)),
    trustEdges: firstById(parts.map((p) => p.trustEdges)),
    gaps: unionGaps(parts),
  };
  const resources = firstById(parts.map((p) => p.resources ?? []));
  if (resources.length > 0) merged.resources = resources;
  const logs = parts.flatMap((p) => (p.activityLog ? [p.activityLog] : []));
  // In columns, part after part: the same log as their events one by one, never spelled out.
  if (logs.length > 0) merged.activityLog = ActivityRecords.concat(logs);
  // Demo data mixed with real data is not a demo: only an all-demo merge keeps the flag.
  if (parts.length > 0 && parts.every((p) => p.demo === true)) merged.demo = true;
  const descriptions = parts.map((p) => p.description).filter((d): d is string => d !== undefined && d.length > 0);
  if (descriptions.length > 0) merged.description = [...new Set(descriptions)].join(" + ");
  return merged;
}
