/**
 * `wiam export` as a tool of the one call pipeline: the same allowlist, Cedar policy and budgets,
 * collection, field visibility, redaction (item by item, fails closed) and audit record as any
 * call. It is a CLI command (surface "cli"): no MCP client can list or call it. The CLI writes
 * the redacted snapshot this answer carries; the audit keeps its hash, never the body.
 */
import { z } from "zod";
import { activityEventCount } from "../src/activity/activity-records.js";
import { inventorySnapshotSchema, type InventorySnapshot } from "../src/model/inventory.js";
import { line, textAnswer } from "../src/text/answer.js";
import { commonInputShape, envelopeShape, gapsOf, sourceLine } from "./common.js";
import { defineTool } from "./define-tool.js";

const input = z.strictObject({ ...commonInputShape });

const countsSchema = z.object({
  scopes: z.number(),
  principals: z.number(),
  credentials: z.number(),
  vaultItems: z.number(),
  policies: z.number(),
  grants: z.number(),
  trustEdges: z.number(),
  gaps: z.number(),
});

const output = z.object({ ...envelopeShape, counts: countsSchema, snapshot: inventorySnapshotSchema });

/** The arrays of a snapshot, each redacted one item at a time. */
const SNAPSHOT_ARRAYS = ["scopes", "principals", "credentials", "vaultItems", "policies", "grants", "trustEdges", "gaps"] as const;

export function countsOf(snapshot: Pick<InventorySnapshot, (typeof SNAPSHOT_ARRAYS)[number]>): z.infer<typeof countsSchema> {
  return {
    scopes: snapshot.scopes.length,
    principals: snapshot.principals.length,
    credentials: snapshot.credentials.length,
    vaultItems: snapshot.vaultItems.length,
    policies: snapshot.policies.length,
    grants: snapshot.grants.length,
    trustEdges: snapshot.trustEdges.length,
    gaps: snapshot.gaps?.length ?? 0,
  };
}

export const exportInventoryTool = defineTool({
  name: "export_inventory",
  actionGroup: "inventory",
  surface: "cli",
  title: "Export the inventory",
  description: "The configured providers' inventory as a snapshot (wiam export): metadata only, redacted, for offline analysis.",
  input,
  output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  serverFields: ["counts"],
  itemwiseRedaction: SNAPSHOT_ARRAYS.map((name) => `snapshot.${name}`),
  auditResponseBody: false,
  handler(_args, context) {
    // Spelled out as plain data (grants from the table): the snapshot file is JSON of exactly this.
    // Without the activity log: source addresses and user agents are governed as activity (their own
    // action group, approval in production), and this export is governed as inventory.
    const { activityLog, ...inventoryOnly } = context.inventory.snapshot;
    const snapshot = JSON.parse(JSON.stringify(inventoryOnly)) as InventorySnapshot;
    const counts = countsOf(snapshot);
    return {
      structured: { dataSource: context.dataSource, incomplete: gapsOf(context.inventory), counts, snapshot },
      text: textAnswer([
        sourceLine(context.dataSource),
        line`Exported ${counts.scopes} scopes, ${counts.principals} principals, ${counts.credentials} credentials, ${counts.vaultItems} vault items, ${counts.policies} policies, ${counts.grants} grants, ${counts.trustEdges} trust edges, ${counts.gaps} gaps.`,
        ...(activityLog === undefined ? [] : [line`Activity events (${activityEventCount(activityLog)}) are not exported: they are governed as activity (find_anomalous_activity).`]),
      ]),
      itemCount: counts.principals + counts.credentials + counts.vaultItems + counts.grants,
    };
  },
});
