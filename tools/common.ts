/**
 * Inputs every tool accepts (intent, task, filters, pagination) and the envelope every result
 * carries (data source, page, gaps), so all tools page and label data the same way.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { UserFacingError } from "../src/errors.js";
import { line, own, textAnswer, type TextLine } from "../src/text/answer.js";
import type { Inventory } from "../src/model/inventory-index.js";
import { providerSchema } from "../src/model/inventory.js";
import type { DataSourceInfo, ToolContext } from "./define-tool.js";

export const commonInputShape = {
  intent: z
    .string()
    .trim()
    .min(8, "state in a short sentence why you are asking (at least 8 characters)")
    .max(500)
    .describe("Why the analyst is asking, in one short sentence. Recorded in the audit log."),
  task_id: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,64}$/, "use 1-64 letters, digits or . _ : -")
    .optional()
    .describe("Groups the calls of one investigation; defaults to the MCP session."),
};

export const filterInputShape = {
  provider: providerSchema.optional().describe("Only this cloud provider."),
  scope: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .describe("Only this scope and everything below it: aws:account/<id>, projects/<id>, folders/<n>, an Azure subscription/vault ARM id."),
};

export const pageInputShape = {
  limit: z.number().int().min(1).max(500).optional().describe("Items per page (capped by the server's maximum)."),
  cursor: z.string().max(200).optional().describe("nextCursor from a previous page of the same query."),
};

export const dataSourceSchema = z.object({
  kind: z.enum(["demo", "snapshot", "live", "mixed"]),
  demo: z.boolean(),
  generatedAt: z.string(),
  notice: z.string().nullable(),
  collectedAt: z.record(z.string(), z.string()).optional().describe("when each source (aws, gcp, azure, demo, snapshot) was collected"),
});

export const pageSchema = z.object({
  returned: z.number().int(),
  total: z.number().int(),
  nextCursor: z.string().nullable(),
});

export const gapSchema = z.object({
  provider: z.string(),
  scopeId: z.string().nullable(),
  source: z.string(),
  reason: z.string(),
});

export const envelopeShape = {
  dataSource: dataSourceSchema,
  incomplete: z.array(gapSchema).describe("parts of the estate that could not be read; answers may miss data there"),
};

export const pagedEnvelopeShape = { ...envelopeShape, page: pageSchema };

export function gapsOf(inventory: Inventory): z.infer<typeof gapSchema>[] {
  return inventory.gaps.map((g) => ({ provider: g.provider, scopeId: g.scopeId ?? null, source: g.source, reason: g.reason }));
}

/** A cursor is bound to the query it came from, so it cannot be replayed with other filters. */
function queryFingerprint(query: unknown): string {
  return createHash("sha256").update(JSON.stringify(query)).digest("hex").slice(0, 12);
}

function decodeCursor(cursor: string, fingerprint: string): number {
  const decoded = Buffer.from(cursor, "base64url").toString("utf8");
  const match = /^(\d{1,9}):([0-9a-f]{12})$/.exec(decoded);
  if (!match || match[2] !== fingerprint) {
    throw new UserFacingError("invalid_input", "cursor: not a cursor from this query", "Repeat the same query without a cursor to start over.");
  }
  return Number(match[1]);
}

export interface Page<T> {
  items: T[];
  page: z.infer<typeof pageSchema>;
}

/**
 * A sorted answer whose items are built only when a page needs them: for large answers, building
 * every item to show 25 is most of the cost.
 */
export interface LazyListing<T> {
  readonly length: number;
  /** Items at answer positions [from, to). */
  slice(from: number, to: number): readonly T[];
}

export type Listing<T> = readonly T[] | LazyListing<T>;

/**
 * Cuts one page out of a full, deterministically sorted result. The page is also cut short when
 * its JSON would exceed the response byte budget, so one call never returns an unbounded answer.
 */
export function paginate<T>(
  all: Listing<T>,
  args: { limit?: number | undefined; cursor?: string | undefined },
  query: unknown,
  context: ToolContext,
): Page<T> {
  const fingerprint = queryFingerprint(query);
  const offset = args.cursor ? decodeCursor(args.cursor, fingerprint) : 0;
  const { defaultPageSize, maxPageSize, maxResponseBytes } = context.config.limits;
  const limit = Math.min(args.limit ?? defaultPageSize, maxPageSize);
  const items: T[] = [];
  let bytes = 0;
  for (const item of all.slice(offset, offset + limit)) {
    const size = JSON.stringify(item).length;
    if (items.length > 0 && bytes + size > maxResponseBytes) break;
    items.push(item);
    bytes += size;
  }
  const next = offset + items.length;
  return {
    items,
    page: {
      returned: items.length,
      total: all.length,
      nextCursor: next < all.length ? Buffer.from(`${next}:${fingerprint}`).toString("base64url") : null,
    },
  };
}

/** The first line of every text answer: where the data came from, and whether it is demo data. */
export function sourceLine(source: DataSourceInfo): TextLine {
  return source.notice ? line`[${own(source.notice)}]` : line`[data: ${source.kind}, collected ${source.generatedAt}]`;
}

export function pageLine(page: z.infer<typeof pageSchema>): TextLine | undefined {
  if (page.total === 0) return undefined;
  return page.nextCursor
    ? line`Showing ${page.returned} of ${page.total}; pass cursor "${own(page.nextCursor)}" for more.`
    : line`Showing ${page.returned} of ${page.total}.`;
}

export function gapLine(gaps: readonly z.infer<typeof gapSchema>[]): TextLine | undefined {
  if (gaps.length === 0) return undefined;
  return line`Incomplete: ${gaps.length} part(s) of the estate could not be read (see "incomplete"); absence of a finding there proves nothing.`;
}

/**
 * Providers the answer could read nothing from (they have gaps and not one identity collected):
 * said first, so "none found" is never read as a clean bill of health.
 */
export function unreadLines(inventory: Inventory): TextLine[] {
  const lines: TextLine[] = [];
  for (const provider of new Set(inventory.gaps.map((gap) => gap.provider))) {
    if (inventory.principalsOf(provider).length > 0) continue;
    const first = inventory.gaps.find((gap) => gap.provider === provider);
    lines.push(line`Nothing could be read from ${own(provider)}: ${first?.reason ?? "collection failed"}`);
  }
  return lines;
}

/** Display names are free text: capped in the text answer (the structured result has them whole). */
export const NAME_CAP = 80;

export interface PagedAnswerParts<T, Extra extends object> {
  /** One sentence summing up the whole answer (not just this page). */
  headline: TextLine;
  line(item: T): TextLine;
  /** Tool-specific structured fields, given this page's items. */
  structured(items: T[]): Extra;
  /** Extra text lines after the items (notes, warnings). */
  trailer?: readonly (TextLine | undefined)[];
}

/**
 * The shape every listing tool answers in: one page of a full, sorted answer, with the data
 * source, the page and the collection gaps in both the structured result and the text.
 */
export function pagedAnswer<T, Extra extends object>(
  context: ToolContext,
  all: Listing<T>,
  args: { limit?: number | undefined; cursor?: string | undefined },
  query: unknown,
  parts: PagedAnswerParts<T, Extra>,
) {
  const { items, page } = paginate(all, args, query, context);
  const incomplete = gapsOf(context.inventory);
  return {
    structured: { dataSource: context.dataSource, incomplete, page, ...parts.structured(items) },
    text: textAnswer([
      sourceLine(context.dataSource),
      ...unreadLines(context.inventory),
      parts.headline,
      ...items.map(parts.line),
      ...(parts.trailer ?? []),
      pageLine(page),
      gapLine(incomplete),
    ]),
    itemCount: items.length,
  };
}
