/**
 * JSON Schemas for tools/list without what costs a model tokens and tells it nothing: the dialect
 * (MCP's default is 2020-12 already), integer bounds that only restate JavaScript's safe-integer
 * range, and `additionalProperties: false` on outputs (the server builds them; a model never sends
 * one). Input objects keep it: it tells the model not to invent arguments. In outputs, an object
 * whose fields are all always present drops its `required` list (the server instructions say so),
 * and the envelope every answer shares (dataSource, incomplete, page) is one line each.
 */
import { z } from "zod";

const SAFE_BOUND = Number.MAX_SAFE_INTEGER;

/** The envelope of every answer (tools/common.ts), said once per tool in one line each. */
export const ENVELOPE_SUMMARIES: Readonly<Record<string, Record<string, unknown>>> = {
  dataSource: { type: "object", description: "where the answer came from: {kind: demo|snapshot|live|mixed, demo: boolean, generatedAt, notice: string|null, collectedAt?: {source: time}}" },
  incomplete: { type: "array", description: "parts of the estate that could not be read (answers may miss data there): [{provider, scopeId: string|null, source, reason}]" },
  page: { type: "object", description: "{returned, total, nextCursor: string|null}: pass nextCursor as cursor for the next page" },
};

function allRequired(node: Record<string, unknown>): boolean {
  const properties = node.properties;
  const required = node.required;
  return typeof properties === "object" && properties !== null && Array.isArray(required) && required.length === Object.keys(properties).length;
}

function prune(node: unknown, output: boolean): unknown {
  if (Array.isArray(node)) return node.map((item) => prune(item, output));
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key === "$schema") continue;
    if ((key === "minimum" && value === -SAFE_BOUND) || (key === "maximum" && value === SAFE_BOUND)) continue;
    if (output && key === "additionalProperties" && value === false) continue;
    if (output && key === "required" && allRequired(node as Record<string, unknown>)) continue;
    // Property names are data here, not keywords: only their schemas are pruned.
    out[key] = key === "properties" || key === "$defs" ? pruneEach(value, output) : prune(value, output);
  }
  return out;
}

function pruneEach(value: unknown, output: boolean): unknown {
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([name, schema]) => [name, prune(schema, output)]));
}

export function leanInputSchema(schema: z.ZodType): Record<string, unknown> {
  return prune(z.toJSONSchema(schema, { io: "input" }), false) as Record<string, unknown>;
}

export function leanOutputSchema(schema: z.ZodType): Record<string, unknown> {
  const lean = prune(z.toJSONSchema(schema, { io: "output" }), true) as Record<string, unknown>;
  const properties = lean.properties;
  if (typeof properties !== "object" || properties === null) return lean;
  const shortened = Object.fromEntries(Object.entries(properties).map(([name, field]) => [name, ENVELOPE_SUMMARIES[name] ?? field]));
  return { ...lean, properties: shortened };
}
