/**
 * A tool's arguments as a person reads them: name, type (with its limits), required or optional,
 * default and description, taken from the same JSON Schema the MCP client receives.
 */
import { z } from "zod";
import type { AnyToolDefinition } from "../../tools/define-tool.js";

/** What describing a tool's arguments needs of its definition. */
export type ToolSignature = Pick<AnyToolDefinition, "name" | "title" | "description" | "input">;

export interface ToolArgument {
  name: string;
  type: string;
  required: boolean;
  default: unknown;
  description: string;
}

const jsonSchemaProperty = z.looseObject({
  type: z.string().optional(),
  enum: z.array(z.unknown()).optional(),
  items: z.looseObject({ type: z.string().optional(), enum: z.array(z.unknown()).optional() }).optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
  minLength: z.number().optional(),
  maxLength: z.number().optional(),
  minItems: z.number().optional(),
  pattern: z.string().optional(),
  default: z.unknown().optional(),
  description: z.string().optional(),
});
type JsonSchemaProperty = z.infer<typeof jsonSchemaProperty>;

const objectSchema = z.looseObject({
  properties: z.record(z.string(), jsonSchemaProperty).default({}),
  required: z.array(z.string()).default([]),
});

/** The tool's input JSON Schema, exactly as `tools/list` advertises it. */
export function toolInputJsonSchema(tool: ToolSignature): Record<string, unknown> {
  return z.toJSONSchema(tool.input, { io: "input" }) as Record<string, unknown>;
}

export function toolArguments(tool: ToolSignature): ToolArgument[] {
  const schema = objectSchema.parse(toolInputJsonSchema(tool));
  return Object.entries(schema.properties).map(([name, property]) => ({
    name,
    type: typeOf(property),
    required: schema.required.includes(name),
    default: property.default,
    description: property.description ?? "",
  }));
}

function typeOf(property: JsonSchemaProperty): string {
  if (property.enum) return `one of ${property.enum.map(String).join("|")}`;
  if (property.type === "array") {
    const items = property.items?.enum ? `(${property.items.enum.map(String).join("|")})` : (property.items?.type ?? "value");
    return `list of ${items}${property.minItems ? `, at least ${property.minItems}` : ""}`;
  }
  const type = property.type ?? "value";
  if (property.minimum !== undefined || property.maximum !== undefined) return `${type} ${property.minimum ?? ""}..${property.maximum ?? ""}`;
  if (property.maxLength !== undefined) return `${type}, ${property.minLength ?? 0}-${property.maxLength} chars${property.pattern ? `, /${property.pattern}/` : ""}`;
  return type;
}

/** The text `wiam tools <name>` prints. */
export function formatToolArguments(tool: ToolSignature, availability: { enabled: boolean; reason: string }): string {
  const rows = toolArguments(tool).map((row) => ({
    ...row,
    presence: row.required ? "required" : row.default === undefined ? "optional" : `default ${JSON.stringify(row.default)}`,
  }));
  const width = Math.max(...rows.map((r) => r.name.length));
  const typeWidth = Math.max(...rows.map((r) => r.type.length));
  const presenceWidth = Math.max(...rows.map((r) => r.presence.length));
  const lines = [
    `${tool.name}: ${tool.title} (${availability.enabled ? "enabled" : "disabled"}: ${availability.reason})`,
    tool.description,
    "",
    "arguments:",
    ...rows.map((row) => `  ${row.name.padEnd(width)}  ${row.type.padEnd(typeWidth)}  ${row.presence.padEnd(presenceWidth)}  ${row.description}`),
  ];
  return `${lines.join("\n")}\n`;
}
