/**
 * What changed in the estate, from the stored deltas (src/history/): each entity change becomes
 * one finding an analyst reads (a key added, a credential rotated, a new way into a sensitive
 * secret), named with the collection that first saw it.
 *
 * Rotation: a credential whose rotation or creation date moved, or, within one collection, a
 * credential of an identity removed while another of the same kind was added (how AWS access
 * keys and Google keys are rotated: a new key, the old one deleted).
 */
import { z } from "zod";
import type { RecordedChange } from "../history/inventory-history.js";
import type { Inventory } from "../model/inventory-index.js";

export const CHANGE_KINDS = [
  "identity_added",
  "identity_removed",
  "identity_changed",
  "credential_added",
  "credential_removed",
  "credential_rotated",
  "credential_changed",
  "expiry_changed",
  "grant_added",
  "grant_removed",
  "grant_changed",
  "trust_edge_added",
  "trust_edge_removed",
  "trust_edge_changed",
  "path_added",
  "path_lost",
  "vault_item_added",
  "vault_item_removed",
  "vault_item_changed",
  "policy_added",
  "policy_removed",
  "policy_changed",
  "scope_added",
  "scope_removed",
  "scope_changed",
] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export const changeRowSchema = z.object({
  // Spelled as a string here: the kinds are listed once, in what_changed's input.
  change: z.string() as z.ZodType<ChangeKind>,
  collectionId: z.string().describe("the collection that first saw it"),
  collectedAt: z.string(),
  provider: z.string(),
  id: z.string().describe("what changed (for a path: the resource)"),
  principal: z.string().nullable(),
  scopeId: z.string().nullable(),
  before: z.string().nullable(),
  after: z.string().nullable(),
  note: z.string().nullable(),
});
export type ChangeRow = z.infer<typeof changeRowSchema>;

type Row = Record<string, unknown>;
const text = (value: unknown): string | null => (typeof value === "string" ? value : value === undefined || value === null ? null : JSON.stringify(value));

/** Fields of a changed record that differ (evidence and read times are not changes). */
function changedFields(before: Row | undefined, after: Row | undefined): string[] {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const fields: string[] = [];
  for (const key of [...keys].sort()) {
    if (key === "evidence") continue;
    let a = before?.[key];
    let b = after?.[key];
    if (key === "lastActivity") {
      a = a === undefined ? undefined : { ...(a as Row), observedAt: undefined };
      b = b === undefined ? undefined : { ...(b as Row), observedAt: undefined };
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) fields.push(key);
  }
  return fields;
}

const LIST_NOUN = {
  principals: "identity",
  credentials: "credential",
  grants: "grant",
  trustEdges: "trust_edge",
  vaultItems: "vault_item",
  policies: "policy",
  scopes: "scope",
} as const;

function rowOf(change: RecordedChange, kind: ChangeKind, values: Partial<ChangeRow>): ChangeRow {
  const record = (change.after ?? change.before ?? {}) as Row;
  return {
    change: kind,
    collectionId: change.collectionId,
    collectedAt: change.collectedAt,
    provider: text(record.provider) ?? "",
    id: change.id,
    principal: null,
    scopeId: null,
    before: null,
    after: null,
    note: null,
    ...values,
  };
}

/** The principal and scope a change concerns, from the record (and the current inventory for grants and edges). */
function subjectOf(change: RecordedChange, inventory: Inventory): { principal: string | null; scopeId: string | null } {
  const record = (change.after ?? change.before ?? {}) as Row;
  switch (change.list) {
    case "principals":
      return { principal: change.id, scopeId: text(record.scopeId) };
    case "credentials":
      return { principal: text(record.principalId), scopeId: text(record.scopeId) };
    case "grants": {
      const principal = text(record.principalId);
      const resource = text(record.resource);
      const scope = resource ? inventory.scopeOfResource(resource)?.id ?? resource : principal ? inventory.principals.get(principal)?.scopeId ?? null : null;
      return { principal, scopeId: scope };
    }
    case "trustEdges": {
      const to = text(record.to);
      return { principal: to, scopeId: to ? inventory.principals.get(to)?.scopeId ?? null : null };
    }
    case "paths": {
      const resource = text(record.resource) ?? change.id;
      return { principal: text(record.principal), scopeId: inventory.scopeOfResource(resource)?.id ?? null };
    }
    case "vaultItems":
    case "policies":
      return { principal: null, scopeId: text(record.scopeId) };
    case "scopes":
      return { principal: null, scopeId: change.id };
  }
}

/** The findings of one collection's changes, in a fixed order (kind, then id). */
function rowsOfCollection(changes: readonly RecordedChange[], inventory: Inventory): ChangeRow[] {
  const rows: ChangeRow[] = [];
  // Rotation by replacement: per identity and credential kind, removed keys paired with added ones.
  const added = new Map<string, RecordedChange[]>();
  const removed = new Map<string, RecordedChange[]>();
  for (const change of changes) {
    if (change.list !== "credentials" || change.change === "changed") continue;
    const record = (change.after ?? change.before ?? {}) as Row;
    const principal = text(record.principalId);
    if (principal === null) continue;
    const key = `${principal}\u0000${text(record.kind) ?? ""}`;
    const target = change.change === "added" ? added : removed;
    const list = target.get(key);
    if (list) list.push(change);
    else target.set(key, [change]);
  }
  const paired = new Set<RecordedChange>();
  for (const [key, olds] of removed) {
    const news = added.get(key) ?? [];
    olds.sort((a, b) => (a.id < b.id ? -1 : 1));
    news.sort((a, b) => (a.id < b.id ? -1 : 1));
    for (let i = 0; i < Math.min(olds.length, news.length); i++) {
      const old = olds[i] as RecordedChange;
      const replacement = news[i] as RecordedChange;
      paired.add(old);
      paired.add(replacement);
      const { principal, scopeId } = subjectOf(replacement, inventory);
      rows.push(rowOf(replacement, "credential_rotated", { principal, scopeId, before: old.id, after: replacement.id, note: "replaced: the old credential removed, a new one added" }));
    }
  }
  for (const change of changes) {
    if (paired.has(change)) continue;
    const { principal, scopeId } = subjectOf(change, inventory);
    const base = { principal, scopeId };
    const before = change.before as Row | undefined;
    const after = change.after as Row | undefined;
    if (change.list === "paths") {
      const reach = (after ?? before ?? {}) as Row;
      const note = `${text(reach.via) ?? "direct"} (${String(reach.hops ?? 0)} hop(s))`;
      rows.push(rowOf(change, change.change === "removed" ? "path_lost" : "path_added", { ...base, id: text(reach.resource) ?? change.id, note }));
      continue;
    }
    const noun = LIST_NOUN[change.list];
    if (change.change !== "changed") {
      const kind = `${noun}_${change.change}` as ChangeKind;
      const note = change.list === "policies" ? `${text((after ?? before)?.kind) ?? ""} policy` : null;
      const value = change.list === "grants" ? text((after ?? before)?.policyId) : null;
      rows.push(rowOf(change, kind, { ...base, note, ...(change.change === "added" ? { after: value } : { before: value }) }));
      continue;
    }
    const fields = changedFields(before, after);
    const rest = new Set(fields);
    if ((change.list === "credentials" || change.list === "vaultItems") && rest.has("expiresAt")) {
      rest.delete("expiresAt");
      rows.push(rowOf(change, "expiry_changed", { ...base, before: text(before?.expiresAt), after: text(after?.expiresAt) }));
    }
    if (change.list === "credentials" && (rest.has("lastRotatedAt") || rest.has("createdAt"))) {
      const field = rest.has("lastRotatedAt") ? "lastRotatedAt" : "createdAt";
      rest.delete("lastRotatedAt");
      rest.delete("createdAt");
      rows.push(rowOf(change, "credential_rotated", { ...base, before: text(before?.[field]), after: text(after?.[field]), note: `${field} changed` }));
    }
    if (rest.size > 0) {
      const only = rest.size === 1 ? [...rest][0] : undefined;
      const values = only !== undefined && typeof (before?.[only] ?? after?.[only]) !== "object" ? { before: text(before?.[only]), after: text(after?.[only]) } : {};
      rows.push(rowOf(change, `${noun}_changed` as ChangeKind, { ...base, ...values, note: `changed: ${[...rest].join(", ")}` }));
    }
  }
  return rows.sort((a, b) => (a.change === b.change ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : CHANGE_KINDS.indexOf(a.change) - CHANGE_KINDS.indexOf(b.change)));
}

export interface ChangeFilter {
  provider?: string | undefined;
  /** Changes in this scope or below (by the current inventory's scope tree). */
  scope?: string | undefined;
  /** Changes concerning this identity (its id as stored). */
  principal?: string | undefined;
  kinds?: readonly ChangeKind[] | undefined;
}

/** Findings of every change, oldest collection first, filtered. */
export function describeChanges(changes: readonly RecordedChange[], inventory: Inventory, filter: ChangeFilter): ChangeRow[] {
  const byCollection = new Map<string, RecordedChange[]>();
  for (const change of changes) {
    const list = byCollection.get(change.collectionId);
    if (list) list.push(change);
    else byCollection.set(change.collectionId, [change]);
  }
  let scopes: Set<string> | undefined;
  if (filter.scope !== undefined) {
    scopes = new Set<string>();
    const pending = [filter.scope];
    while (pending.length > 0) {
      const id = pending.pop() as string;
      if (scopes.has(id)) continue;
      scopes.add(id);
      for (const child of inventory.childrenOf(id)) pending.push(child.id);
    }
  }
  const kinds = filter.kinds ? new Set(filter.kinds) : undefined;
  const rows: ChangeRow[] = [];
  const ids = [...byCollection.keys()].sort((a, b) => Number(a) - Number(b));
  for (const id of ids) {
    for (const row of rowsOfCollection(byCollection.get(id) ?? [], inventory)) {
      if (filter.provider !== undefined && row.provider !== filter.provider) continue;
      if (filter.principal !== undefined && row.principal !== filter.principal) continue;
      if (scopes !== undefined && (row.scopeId === null || !scopes.has(row.scopeId))) continue;
      if (kinds !== undefined && !kinds.has(row.change)) continue;
      rows.push(row);
    }
  }
  return rows;
}
