import { z } from "zod";
import { identityRowSchema, listIdentities } from "../src/analysis/list-identities.js";
import { principalKindSchema } from "../src/model/inventory.js";
import { memoize } from "../src/analysis/memo.js";
import { defineTool } from "./define-tool.js";
import { line, own, q } from "../src/text/answer.js";
import { NAME_CAP, commonInputShape, filterInputShape, pageInputShape, pagedAnswer, pagedEnvelopeShape } from "./common.js";

const input = z.strictObject({
  ...commonInputShape,
  ...filterInputShape,
  kinds: z.array(principalKindSchema).optional().describe("Only these kinds of identity."),
  workload_only: z.boolean().optional().describe("Only machine identities (default false)."),
  name_contains: z.string().min(1).max(200).optional().describe("Case-insensitive text in the id, name or email."),
  ...pageInputShape,
});

const output = z.object({ ...pagedEnvelopeShape, identities: z.array(identityRowSchema) });

export const listIdentitiesTool = defineTool({
  name: "list_identities",
  actionGroup: "identities",
  title: "List identities",
  description:
    "Searches identities by provider, scope, kind, workload flag and name, returning ids to use with describe_identity and " +
    "explain_entitlement_paths. Results are paginated.",
  input,
  output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  handler(args, context) {
    const options = {
      provider: args.provider,
      scope: args.scope,
      kinds: args.kinds,
      workloadOnly: args.workload_only,
      nameContains: args.name_contains,
    };
    // The matches are memoized (next pages reuse them); rows are made for the requested page only.
    const all = memoize(context.inventory, `identities:${JSON.stringify(options)}`, () => listIdentities(context.inventory, options));
    return pagedAnswer(context, all, args, options, {
      headline: line`${all.length} identit${own(all.length === 1 ? "y" : "ies")} match.`,
      line: (i) => line`- ${i.provider} ${i.kind} ${q(i.name, NAME_CAP)} (${q(i.id)})${own(i.disabled ? " disabled" : "")}`,
      structured: (identities) => ({ identities }),
    });
  },
});
