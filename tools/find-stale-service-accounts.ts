import { z } from "zod";
import { rankStaleServiceAccounts, staleFindingSchema, staleFindingsOf, type StaleFinding } from "../src/analysis/stale.js";
import { memoize, minuteOf } from "../src/analysis/memo.js";
import { defineTool } from "./define-tool.js";
import { line, own, q, type TextLine } from "../src/text/answer.js";
import { NAME_CAP, commonInputShape, filterInputShape, pageInputShape, pagedAnswer, pagedEnvelopeShape, type LazyListing } from "./common.js";

const input = z.strictObject({
  ...commonInputShape,
  ...filterInputShape,
  inactive_days: z.number().int().min(1).max(3650).optional().describe("Inactive for at least this many days (default from config, 90)."),
  rotation_days: z.number().int().min(1).max(3650).optional().describe("Credentials older than this are overdue for rotation (default 90)."),
  include_unknown: z.boolean().optional().describe("Also list identities with no activity evidence at all (default true)."),
  ...pageInputShape,
});

const output = z.object({
  ...pagedEnvelopeShape,
  thresholds: z.object({ inactiveDays: z.number().int(), rotationDays: z.number().int(), neverUsedGraceDays: z.number().int() }),
  findings: z.array(staleFindingSchema),
});

/** Reason codes and details are the server's sentences (stale-rules.ts); names and ids are data. */
function findingLine(finding: StaleFinding): TextLine {
  const p = finding.principal;
  const reasons = own(finding.reasons.map((r) => `${r.code}: ${r.detail}`).join("; "));
  const source = finding.activity.source ? line` [evidence: ${finding.activity.source}]` : [];
  return line`- ${own(finding.severity.toUpperCase())} ${p.provider} ${p.kind} ${q(p.name, NAME_CAP)} (${q(p.id)}): ${reasons}${source}`;
}

export const findStaleServiceAccountsTool = defineTool({
  name: "find_stale_service_accounts",
  actionGroup: "hygiene",
  title: "Find stale service accounts",
  description:
    "Lists machine identities (AWS roles and workload users, GCP service accounts, Entra service principals and managed identities) " +
    "that are inactive for at least N days, were never used, were not seen within their activity source's window, have no activity " +
    "evidence, or hold credentials that are unused or overdue for rotation. Each finding gives the evidence of last activity, its " +
    "source and window, and a recommended action (advice only: nothing is changed). Use it for questions like 'which service " +
    "accounts are stale?' or 'which keys were never used?'.",
  input,
  output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  serverFields: ["thresholds", "findings.*.severity", "findings.*.reasons", "findings.*.recommendedAction"],
  handler(args, context) {
    const { thresholds } = context.config;
    const options = {
      now: context.now,
      provider: args.provider,
      scope: args.scope,
      inactiveDays: args.inactive_days ?? thresholds.staleDays,
      rotationDays: args.rotation_days ?? thresholds.rotationDays,
      neverUsedGraceDays: thresholds.neverUsedGraceDays,
      includeUnknown: args.include_unknown ?? true,
    };
    // The ranking is memoized (next pages reuse it); findings are built for the requested page only.
    const ranking = memoize(context.inventory, `stale:${JSON.stringify({ ...options, now: minuteOf(context.now) })}`, () =>
      rankStaleServiceAccounts(context.inventory, options),
    );
    const all: LazyListing<StaleFinding> = { length: ranking.order.length, slice: (from, to) => staleFindingsOf(ranking, options, from, to) };
    const [high, medium, low] = ranking.counts;
    const counts = { high, medium, low };
    return pagedAnswer(context, all, args, { ...options, now: undefined }, {
      headline:
        all.length === 0
          ? line`No stale machine identities (inactive ${options.inactiveDays}+ days, never used, or unrotated ${options.rotationDays}+ days).`
          : line`${all.length} stale machine identit${own(all.length === 1 ? "y" : "ies")} (high ${counts.high}, medium ${counts.medium}, low ${counts.low}):`,
      line: findingLine,
      structured: (findings) => ({
        thresholds: { inactiveDays: options.inactiveDays, rotationDays: options.rotationDays, neverUsedGraceDays: options.neverUsedGraceDays },
        findings,
      }),
    });
  },
});
