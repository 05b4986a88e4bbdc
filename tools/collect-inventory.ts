/**
 * The collector's tool: `wiam collect` and the server's background refresh. Never offered over
 * MCP (an assistant cannot make the server call the clouds at will); it runs through the same
 * pipeline as every call, so each refresh is allowed by the policy, counted against its own task's
 * budget and audited, with the cloud operations it made.
 */
import { z } from "zod";
import { UserFacingError } from "../src/errors.js";
import { line, own, q, textAnswer } from "../src/text/answer.js";
import { defineTool } from "./define-tool.js";
import { commonInputShape, envelopeShape, gapLine, gapsOf, sourceLine } from "./common.js";

const input = z.strictObject({
  ...commonInputShape,
  source: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,31}$/, "a source name: aws, gcp, azure, demo or snapshot")
    .optional()
    .describe("Only this source (connector): aws, gcp, azure, demo or snapshot. Default: every configured source."),
});

const output = z.object({
  ...envelopeShape,
  refreshed: z.array(
    z.object({
      connector: z.string(),
      outcome: z.enum(["refreshed", "failed"]),
      collectionId: z.string().nullable().describe("the stored collection now served (null without history)"),
      collectedAt: z.string().nullable(),
      error: z.string().nullable().describe("why the refresh failed; the previous copy is still served, marked stale"),
    }),
  ),
});

export const collectInventoryTool = defineTool({
  name: "collect_inventory",
  actionGroup: "inventory",
  surface: "cli",
  title: "Collect the inventory",
  description: "Collects the configured sources afresh, stores each collection and serves it (wiam collect; the background refresh).",
  input,
  output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  refreshesInventory: (args) => ({ connectors: args.source === undefined ? undefined : [args.source] }),
  handler(args, context) {
    const refreshed = (context.refreshed ?? []).map((r) => ({ ...r, error: r.error ?? null }));
    if (args.source !== undefined && refreshed.length === 0) {
      const known = Object.keys(context.dataSource.collectedAt ?? {}).join(", ");
      throw new UserFacingError("invalid_input", `source: no configured source is named "${args.source}" (configured: ${known})`);
    }
    const incomplete = gapsOf(context.inventory);
    return {
      structured: { dataSource: context.dataSource, incomplete, refreshed },
      text: textAnswer([
        sourceLine(context.dataSource),
        ...refreshed.map((r) =>
          r.outcome === "refreshed"
            ? line`- ${own(r.connector)}: collected ${r.collectedAt ?? ""}${r.collectionId === null ? [] : line` (collection ${own(r.collectionId)})`}`
            : line`- ${own(r.connector)}: refresh failed (${q(r.error ?? "")}); still serving the collection of ${r.collectedAt ?? "none"}`,
        ),
        gapLine(incomplete),
      ]),
      itemCount: refreshed.length,
    };
  },
});
