import { z } from "zod";
import { expiryFindingSchema, expiryStatusSchema, rankExpiringCredentials, type ExpiryFinding } from "../src/analysis/expiring.js";
import { memoize, minuteOf } from "../src/analysis/memo.js";
import { defineTool } from "./define-tool.js";
import { line, q, type TextLine } from "../src/text/answer.js";
import { NAME_CAP, commonInputShape, filterInputShape, pageInputShape, pagedAnswer, pagedEnvelopeShape } from "./common.js";

const input = z.strictObject({
  ...commonInputShape,
  ...filterInputShape,
  within_days: z.number().int().min(1).max(3650).optional().describe("Expiring within this many days (default from config, 30)."),
  statuses: z
    .array(expiryStatusSchema)
    .min(1)
    .optional()
    .describe("Which statuses to list: expired, expiring, no_expiry, disabled (default all)."),
  ...pageInputShape,
});

const output = z.object({
  ...pagedEnvelopeShape,
  withinDays: z.number().int(),
  counts: z.record(z.string(), z.number().int()),
  findings: z.array(expiryFindingSchema),
});

function when(finding: ExpiryFinding): TextLine {
  switch (finding.status) {
    case "expired":
      return line`expired ${-(finding.daysUntilExpiry ?? 0)} days ago (${finding.expiresAt ?? ""})`;
    case "expiring":
      return line`expires in ${finding.daysUntilExpiry ?? 0} days (${finding.expiresAt ?? ""})`;
    case "no_expiry":
      return line`no expiry set`;
    default:
      return line`disabled but still present`;
  }
}

export const findExpiringCredentialsTool = defineTool({
  name: "find_expiring_credentials",
  actionGroup: "hygiene",
  title: "Find expiring credentials",
  description:
    "Lists certificates, secrets, keys and client secrets (Key Vault items, Entra app credentials, GCP service-account keys, AWS " +
    "server and signing certificates) that expire within N days, have already expired, have no expiry set, or are disabled but " +
    "still present. Metadata only: secret values are never read. Use it for questions like 'which certificates expire this month?'.",
  input,
  output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  serverFields: ["withinDays", "counts", "findings.*.status", "findings.*.daysUntilExpiry", "findings.*.recommendedAction"],
  handler(args, context) {
    const options = {
      now: context.now,
      provider: args.provider,
      scope: args.scope,
      withinDays: args.within_days ?? context.config.thresholds.expiringWithinDays,
      statuses: args.statuses,
    };
    // The ranking is memoized (next pages reuse it); findings are built for the requested page only.
    const all = memoize(context.inventory, `expiring:${JSON.stringify({ ...options, now: minuteOf(context.now) })}`, () =>
      rankExpiringCredentials(context.inventory, options),
    );
    const counts: Record<string, number> = { ...all.counts };
    return pagedAnswer(context, all, args, { ...options, now: undefined }, {
      headline:
        all.length === 0
          ? line`Nothing expires within ${options.withinDays} days, and nothing expired, lacks an expiry or sits disabled.`
          : line`${counts.expired ?? 0} expired, ${counts.expiring ?? 0} expiring within ${options.withinDays} days, ${counts.no_expiry ?? 0} without expiry, ${counts.disabled ?? 0} disabled:`,
      line: (f) => line`- ${f.provider} ${f.kind} ${q(f.name, NAME_CAP)}: ${when(f)} [${q(f.id)}]`,
      structured: (findings) => ({ withinDays: options.withinDays, counts, findings }),
    });
  },
});
