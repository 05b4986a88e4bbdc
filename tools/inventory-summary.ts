import { z } from "zod";
import { inventorySummarySchema, summarizeInventory } from "../src/analysis/summary.js";
import { defineTool } from "./define-tool.js";
import { joinParts, line, own, q, textAnswer } from "../src/text/answer.js";
import { commonInputShape, envelopeShape, filterInputShape, gapLine, gapsOf, sourceLine } from "./common.js";

const input = z.strictObject({ ...commonInputShape, ...filterInputShape });

const output = z.object({ ...envelopeShape, summary: inventorySummarySchema });

function total(counts: readonly { count: number }[]): number {
  return counts.reduce((sum, c) => sum + c.count, 0);
}

export const inventorySummaryTool = defineTool({
  name: "inventory_summary",
  actionGroup: "inventory",
  title: "Inventory summary",
  description:
    "Counts what the server can see per cloud provider (scopes, identities by kind, credentials, vault items, policies, grants, " +
    "trust edges), lists the scope ids to use as filters in other tools, and reports parts of the estate that could not be read. " +
    "A good first call in an investigation.",
  input,
  output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  handler(args, context) {
    const summary = summarizeInventory(context.inventory, { provider: args.provider, scope: args.scope });
    const incomplete = gapsOf(context.inventory);
    return {
      structured: { dataSource: context.dataSource, incomplete, summary },
      text: textAnswer([
        sourceLine(context.dataSource),
        ...summary.providers.map(
          (p) =>
            line`${p.provider}: ${total(p.scopes)} scopes, ${total(p.principals)} identities (${p.workloadIdentities} workloads), ${total(p.credentials)} credentials, ${total(p.vaultItems)} vault items, ${p.grants} grants, ${p.trustEdges} trust edges`,
        ),
        line`Scopes: ${joinParts(summary.scopes.slice(0, 20).map((s) => line`${q(s.id)}`), ", ")}${own(summary.scopes.length > 20 ? ", ..." : "")}`,
        gapLine(incomplete),
      ]),
      itemCount: summary.providers.length,
    };
  },
});
