import { z } from "zod";
import { CHANGE_KINDS, changeRowSchema, describeChanges, type ChangeRow } from "../src/analysis/what-changed.js";
import { UserFacingError } from "../src/errors.js";
import { line, own, q, type TextLine } from "../src/text/answer.js";
import { defineTool } from "./define-tool.js";
import { commonInputShape, filterInputShape, pageInputShape, pagedAnswer, pagedEnvelopeShape } from "./common.js";

const DEFAULT_DAYS = 7;
const DAY_MS = 86_400_000;
const NO_HISTORY =
  "The server keeps no history of collections, so no change can be named. An admin enables it with history.enabled in the config " +
  "(docs/history.md); until then, compare two `wiam export` snapshots.";

const input = z
  .strictObject({
    ...commonInputShape,
    ...filterInputShape,
    since: z.iso
      .datetime({ offset: true })
      .or(z.iso.date())
      .optional()
      .describe(`Changes seen by collections taken after this date or date-time (default ${DEFAULT_DAYS} days ago).`),
    since_collection: z
      .string()
      .regex(/^\d{1,15}$/, "a collection id: digits, as in collectionId of an earlier answer")
      .optional()
      .describe("Or: changes seen by collections after this collectionId."),
    principal: z.string().min(1).max(512).optional().describe("Only changes concerning this identity."),
    kinds: z.array(z.enum(CHANGE_KINDS)).min(1).optional().describe("Only these kinds of change."),
    ...pageInputShape,
  })
  .refine((args) => args.since === undefined || args.since_collection === undefined, {
    path: ["since_collection"],
    message: "give since or since_collection, not both",
  });

const output = z.object({
  ...pagedEnvelopeShape,
  since: z.string().nullable(),
  sinceCollection: z.string().nullable(),
  collections: z
    .array(z.object({ id: z.string(), source: z.string(), collectedAt: z.string(), compared: z.boolean() }))
    .describe("collections read, oldest first; compared false: changes unknown (first of its source, or after an unreadable copy)"),
  counts: z.record(z.string(), z.number().int()).describe("changes per kind, whole answer"),
  notes: z.array(z.string()),
  changes: z.array(changeRowSchema),
});

function render(row: ChangeRow): TextLine {
  const values = row.before !== null || row.after !== null ? line` (${q(row.before ?? "none")} → ${q(row.after ?? "none")})` : [];
  const who = row.principal !== null && row.principal !== row.id ? line` of ${q(row.principal)}` : [];
  return line`- ${own(row.change)}: ${q(row.id)}${who}${values} [collection ${own(row.collectionId)}, ${row.collectedAt}]`;
}

export const whatChangedTool = defineTool({
  name: "what_changed",
  actionGroup: "inventory",
  title: "What changed",
  description:
    "Changes between stored collections: identities and credentials added or removed, credentials rotated, expiry dates changed, " +
    "grants and trust edges added or removed, allowed paths to sensitive resources gained or lost; each names the collection that " +
    "first saw it. Paginated.",
  input,
  output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  // Grants, trust edges and paths show reach: the answer is reviewed for what they touch, like describe_identity's.
  reveals: [
    {
      name: "changes",
      path: ["changes"],
      paged: true,
      touches: (item) => {
        const row = item as ChangeRow;
        if (!["grant_added", "grant_removed", "grant_changed", "trust_edge_added", "trust_edge_removed", "trust_edge_changed", "path_added", "path_lost"].includes(row.change)) {
          return { principals: [], resources: [] };
        }
        return { principals: row.principal === null ? [] : [row.principal], resources: row.scopeId === null ? [] : [row.scopeId] };
      },
    },
  ],
  async handler(args, context) {
    if (!context.history) {
      const notes = [NO_HISTORY];
      return pagedAnswer(context, [], args, {}, {
        headline: line`${own(NO_HISTORY)}`,
        line: render,
        structured: (changes) => ({ since: null, sinceCollection: null, collections: [], counts: {}, notes, changes }),
      });
    }
    const since = args.since_collection !== undefined ? undefined : new Date(args.since ?? context.now.getTime() - DEFAULT_DAYS * DAY_MS).toISOString();
    const history = await context.history.changes({ since, afterId: args.since_collection });
    // A principal named by email or name is the identity the inventory knows by it; a removed one is matched as written.
    const principal = args.principal === undefined ? undefined : (context.inventory.findPrincipal(args.principal)?.id ?? args.principal);
    if (args.scope !== undefined && !context.inventory.scopes.has(args.scope)) {
      throw new UserFacingError("not_found", `scope: no scope with id "${args.scope}" in the inventory`, "Call inventory_summary to list the scope ids.");
    }
    const filter = { provider: args.provider, scope: args.scope, principal, kinds: args.kinds };
    const all = describeChanges(history.changes, context.inventory, filter);
    const counts: Record<string, number> = {};
    for (const row of all) counts[row.change] = (counts[row.change] ?? 0) + 1;
    const notCompared = new Set(history.notCompared.map((c) => c.id));
    const collections = history.collections.map((c) => ({ id: c.id, source: c.source, collectedAt: c.collectedAt, compared: !notCompared.has(c.id) }));
    const query = { since, sinceCollection: args.since_collection ?? null, ...filter };
    const from = since === undefined ? line`collection ${own(args.since_collection ?? "")}` : line`${since}`;
    return pagedAnswer(context, all, args, query, {
      headline: line`${all.length} change(s) since ${from} across ${collections.length} collection(s).`,
      line: render,
      structured: (changes) => ({ since: since ?? null, sinceCollection: args.since_collection ?? null, collections, counts, notes: [], changes }),
      trailer: [
        notCompared.size > 0
          ? line`Not compared: ${notCompared.size} collection(s) are the first of their source or followed an unreadable copy; their changes are unknown.`
          : undefined,
      ],
    });
  },
});
