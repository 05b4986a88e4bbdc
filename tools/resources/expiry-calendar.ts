/**
 * The expiry calendar: credentials and vault items that expire in the next 90 days (or expired
 * already), grouped by day, from the current inventory. A client can keep it beside a
 * conversation; find_expiring_credentials answers narrower questions.
 */
import { z } from "zod";
import { expiryFindingSchema, findExpiringCredentials } from "../../src/analysis/expiring.js";
import { line, textAnswer } from "../../src/text/answer.js";
import { envelopeShape, gapsOf } from "../common.js";
import { defineTool } from "../define-tool.js";
import { findExpiringCredentialsTool } from "../find-expiring-credentials.js";
import { DOCUMENT_ANNOTATIONS, documentInput } from "./document.js";

export const CALENDAR_DAYS = 90;

const entrySchema = expiryFindingSchema.pick({ id: true, name: true, kind: true, provider: true, scopeId: true, principalId: true, status: true, daysUntilExpiry: true, autoRenew: true });

const output = z.object({
  ...envelopeShape,
  withinDays: z.number().int(),
  days: z.array(z.object({ date: z.string().describe("YYYY-MM-DD (UTC)"), items: z.array(entrySchema) })),
});

export const expiryCalendarResourceTool = defineTool({
  name: "resource_expiry_calendar",
  actionGroup: "hygiene",
  surface: "resource",
  // The same findings find_expiring_credentials gives: a setting made for that tool holds here too.
  standsFor: findExpiringCredentialsTool.name,
  title: "Expiry calendar (next 90 days)",
  description: "Credentials and vault items that expire within 90 days or have expired, grouped by day (UTC).",
  input: documentInput,
  output,
  annotations: DOCUMENT_ANNOTATIONS,
  serverFields: ["withinDays", "days.*.date", "days.*.items.*.status", "days.*.items.*.daysUntilExpiry"],
  handler(_args, context) {
    const findings = findExpiringCredentials(context.inventory, { now: context.now, withinDays: CALENDAR_DAYS, statuses: ["expired", "expiring"] });
    const byDay = new Map<string, z.infer<typeof entrySchema>[]>();
    for (const f of findings) {
      if (f.expiresAt === null) continue;
      const date = new Date(f.expiresAt).toISOString().slice(0, 10);
      const items = byDay.get(date) ?? [];
      items.push({ id: f.id, name: f.name, kind: f.kind, provider: f.provider, scopeId: f.scopeId, principalId: f.principalId, status: f.status, daysUntilExpiry: f.daysUntilExpiry, autoRenew: f.autoRenew });
      byDay.set(date, items);
    }
    const days = [...byDay.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([date, items]) => ({ date, items }));
    const count = days.reduce((sum, day) => sum + day.items.length, 0);
    return {
      structured: { dataSource: context.dataSource, incomplete: gapsOf(context.inventory), withinDays: CALENDAR_DAYS, days },
      text: textAnswer([line`${count} items expire within ${CALENDAR_DAYS} days or have expired, on ${days.length} days.`]),
      itemCount: count,
    };
  },
});
