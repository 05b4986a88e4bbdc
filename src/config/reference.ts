/**
 * The configuration file described from its zod schema, so the description cannot drift from what
 * the server accepts: a JSON Schema editors use through a `yaml-language-server` modeline
 * (`wiam config schema`), and the Markdown reference in docs/configuration.md (`wiam config
 * reference`; a test keeps the page equal to it).
 */
import { z } from "zod";
import { configSchema } from "./schema.js";

export const CONFIG_SCHEMA_ID = "https://github.com/workload-iam-mcp/workload-iam-mcp/schemas/config.schema.json";

export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: "input", target: "draft-2020-12", unrepresentable: "any" }),
    $id: CONFIG_SCHEMA_ID,
    title: "workload-iam-mcp configuration (wiam.yaml)",
  };
}

type JsonSchema = Record<string, unknown>;

interface ReferenceRow {
  path: string;
  type: string;
  default: string;
  description: string;
}

const asSchema = (value: unknown): JsonSchema | null => (typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonSchema) : null);

/** A short type: string, integer 1-3650, "a" | "b", list of string, map of ... */
function typeOf(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(" \\| ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const variants = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : null;
  if (variants) return [...new Set(variants.map((v) => typeOf(asSchema(v) ?? {})))].join(" or ");
  const type = schema.type;
  if (type === "array") return `list of ${typeOf(asSchema(schema.items) ?? {})}`;
  if (type === "object") {
    const values = asSchema(schema.additionalProperties);
    return values && !schema.properties ? `map of ${typeOf(values)}` : "object";
  }
  if (type === "integer" || type === "number") {
    const min = typeof schema.minimum === "number" ? schema.minimum : null;
    const max = typeof schema.maximum === "number" ? schema.maximum : null;
    const safe = (n: number | null) => n !== null && Math.abs(n) < Number.MAX_SAFE_INTEGER;
    return safe(min) || safe(max) ? `${type} ${safe(min) ? String(min) : ""}-${safe(max) ? String(max) : ""}` : String(type);
  }
  if (Array.isArray(type)) return type.join(" or ");
  return typeof type === "string" ? type : "any";
}

function rowsOf(schema: JsonSchema, path: string, rows: ReferenceRow[]): void {
  const properties = asSchema(schema.properties);
  if (properties) {
    for (const [name, child] of Object.entries(properties)) {
      const childSchema = asSchema(child) ?? {};
      const childPath = path ? `${path}.${name}` : name;
      rows.push({
        path: childPath,
        type: typeOf(childSchema),
        default: childSchema.default === undefined ? "" : `\`${JSON.stringify(childSchema.default)}\``,
        description: typeof childSchema.description === "string" ? childSchema.description : "",
      });
      rowsOf(childSchema, childPath, rows);
    }
  }
  const items = asSchema(schema.items);
  if (items?.properties) rowsOf(items, `${path}[]`, rows);
  const values = asSchema(schema.additionalProperties);
  if (values?.properties) rowsOf(values, `${path}.<name>`, rows);
  for (const key of ["anyOf", "oneOf"] as const) {
    const variants = schema[key];
    if (Array.isArray(variants)) for (const variant of variants) rowsOf(asSchema(variant) ?? {}, path, rows);
  }
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The reference table: one row per setting, in the schema's order. */
export function configReferenceMarkdown(): string {
  const rows: ReferenceRow[] = [];
  rowsOf(configJsonSchema(), "", rows);
  // A union (e.g. the Azure credential kinds) names one field in several variants: one row, every type.
  const byPath = new Map<string, ReferenceRow & { types: Set<string> }>();
  for (const row of rows) {
    const known = byPath.get(row.path);
    if (known) {
      known.types.add(row.type);
      known.default ||= row.default;
      known.description ||= row.description;
    } else byPath.set(row.path, { ...row, types: new Set([row.type]) });
  }
  const lines = ["| setting | type | default | meaning |", "|---|---|---|---|"];
  for (const row of byPath.values()) {
    const type = [...row.types].map((t) => (t.includes("\\|") ? t : cell(t))).join(" or ");
    lines.push(`| \`${row.path}\` | ${type} | ${row.default} | ${cell(row.description)} |`);
  }
  return `${lines.join("\n")}\n`;
}
