import { z } from "zod";
import {
  entitlementPathSchema,
  explainEntitlementListing,
  type EntitlementPath,
} from "../src/analysis/entitlements/index.js";
import { memoize } from "../src/analysis/memo.js";
import { providerSchema } from "../src/model/inventory.js";
import { defineTool } from "./define-tool.js";
import { joinParts, line, own, q, type TextLine } from "../src/text/answer.js";
import { commonInputShape, pageInputShape, pagedAnswer, pagedEnvelopeShape } from "./common.js";

const input = z
  .strictObject({
    ...commonInputShape,
    principal: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .describe("Forward mode: the identity to start from (ARN, GCP member or email, Entra object id, or exact name). Omit for reverse mode."),
    action: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe("Narrow to this action or permission, wildcards allowed: s3:GetObject, secretsmanager:*, secretmanager.versions.access, Microsoft.KeyVault/vaults/secrets/getSecret/action."),
    resource: z
      .string()
      .min(1)
      .max(1024)
      .optional()
      .describe("Narrow to this resource: an ARN, a GCP resource name (projects/p/secrets/s), an Azure ARM id or Key Vault item id, or a scope id."),
    provider: providerSchema.optional().describe("Only this cloud provider."),
    max_depth: z.number().int().min(0).max(8).optional().describe("How many assume-role / impersonation hops to follow (default 4)."),
    ...pageInputShape,
  })
  .superRefine((args, ctx) => {
    if (args.principal === undefined && (args.action === undefined || args.resource === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [args.action === undefined ? "action" : "resource"],
        message: "reverse mode (no principal) needs both action and resource: who can do <action> on <resource>?",
      });
    }
  });

const output = z.object({
  ...pagedEnvelopeShape,
  mode: z.enum(["forward", "reverse"]),
  principal: z.object({ id: z.string(), name: z.string(), provider: z.string(), kind: z.string() }).nullable(),
  counts: z.record(z.string(), z.number().int()).describe("paths per outcome over the whole answer"),
  truncated: z.boolean().describe("true when the search hit its bound; narrow the query to see everything"),
  notes: z.array(z.string()),
  paths: z.array(entitlementPathSchema),
});

/** Hop labels and condition expressions are built from cloud text: data, like the action and resource. */
function render(path: EntitlementPath): TextLine {
  const chain = joinParts(path.hops.map((hop) => line`${hop.label}`), " → ");
  const why =
    path.outcome === "denied" && path.blockedBy
      ? line` (blocked by ${path.blockedBy.kind} ${q(path.blockedBy.id)})`
      : path.outcome === "conditional"
        ? line` (conditions open: ${joinParts((path.openConditions ?? []).map((c) => line`${c.expression}`), "; ")})`
        : path.outcome === "eligible"
          ? line` (after activating: ${joinParts((path.eligibility ?? []).map((assignment) => line`${assignment}`), "; ")})`
          : path.outcome === "unknown"
            ? line` (${path.unknownReason ?? "data not readable"})`
            : [];
  return line`- ${own(path.outcome.toUpperCase())}${own(path.privilegeEscalation ? " [privilege escalation]" : "")}: ${q(path.action)} on ${q(path.resource)} via ${chain}${why}`;
}

export const explainEntitlementPathsTool = defineTool({
  name: "explain_entitlement_paths",
  actionGroup: "entitlements",
  title: "Explain entitlement paths",
  description:
    "Explains how identities reach permissions. Forward: given `principal`, what can it reach (optionally narrowed by `action` " +
    "and/or `resource`), directly, through groups, and through assume-role, impersonation and federation chains. Reverse (no " +
    "`principal`): who can do `action` on `resource`. Each path lists its hops and one outcome: allowed, denied (naming the deny, " +
    "deny policy, boundary or SCP that blocks it), conditional (conditions left open; never counted as granted), eligible " +
    "(reachable after activating a PIM-eligible assignment) or unknown (data not readable), with the statement and binding ids that justify it. Privilege-escalation edges (creating keys for another " +
    "identity, passing a role to new compute, editing trust) are marked. Use it for 'how can this CI role reach production secrets?'.",
  input,
  output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  // Every path shows how its principal, through its pivots, reaches a resource.
  reveals: [
    {
      name: "paths",
      path: ["paths"],
      touches: (item) => {
        const path = item as { principalId: string; via: string[]; resource: string };
        return { principals: [path.principalId, ...path.via], resources: [path.resource] };
      },
      paged: true,
    },
  ],
  // Counts per outcome must not tell of paths the review withheld from this page. Paths on other
  // pages are reviewed only when their page is asked for, so until then they are counted: the
  // answer says so rather than claim exact counts it cannot know without reviewing every page.
  afterReview(released, withheld) {
    const counts = { ...released.counts };
    for (const item of withheld.get("paths") ?? []) {
      const outcome = (item as { outcome: string }).outcome;
      counts[outcome] = Math.max(0, (counts[outcome] ?? 0) - 1);
    }
    const otherPages = released.page.total > released.page.returned;
    const note = otherPages
      ? "Counts and page.total leave out the paths withheld from this page; paths on other pages are reviewed when their page is asked for, so they are still counted."
      : "Counts and page.total leave out the paths withheld after review.";
    return { ...released, counts, notes: [...released.notes, note] };
  },
  // The answer is about the target; without one, about everything the principal can reach.
  policyScope: (args) => ({ provider: args.provider, resource: args.resource }),
  serverFields: ["mode", "counts", "truncated"],
  handler(args, context) {
    const query = { principal: args.principal, action: args.action, resource: args.resource, provider: args.provider, depth: args.max_depth };
    // Paths are built when a page shows them; counts cover the whole answer.
    const answer = memoize(context.inventory, `paths:${JSON.stringify(query)}`, () =>
      explainEntitlementListing(context.inventory, {
        ...(args.principal !== undefined ? { principal: args.principal } : {}),
        ...(args.action !== undefined ? { action: args.action } : {}),
        ...(args.resource !== undefined ? { resource: args.resource } : {}),
        ...(args.provider !== undefined ? { provider: args.provider } : {}),
        ...(args.max_depth !== undefined ? { maxDepth: args.max_depth } : {}),
      }),
    );
    const counts: Record<string, number> = { ...answer.paths.counts };
    // Eligible paths appear in the headline only when there are some (PIM data is Entra-only).
    const eligible = counts.eligible ? line`, ${counts.eligible} eligible` : [];
    const subject = answer.principal ? line`${q(answer.principal.id)}` : line`who can ${q(args.action ?? "")} on ${q(args.resource ?? "")}`;
    return pagedAnswer(context, answer.paths, args, query, {
      headline: line`${own(answer.mode === "forward" ? "Reach of" : "Reverse:")} ${subject}: ${counts.allowed ?? 0} allowed, ${counts.conditional ?? 0} conditional${eligible}, ${counts.unknown ?? 0} unknown, ${counts.denied ?? 0} denied path(s).`,
      line: render,
      trailer: [
        ...answer.notes.map((note) => line`Note: ${note}`),
        answer.truncated ? line`The search hit its bound: narrow by action, resource or provider to see everything.` : undefined,
      ],
      structured: (paths) => ({
        mode: answer.mode,
        principal: answer.principal ?? null,
        counts,
        truncated: answer.truncated,
        notes: answer.notes,
        paths,
      }),
    });
  },
});
