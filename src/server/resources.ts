/**
 * MCP resources: the catalogue in tools/resources/ mapped to reads through the call pipeline. A
 * URI names a resource's tool and, for a template, its one argument; listing shows only what the
 * allowlist enables, and a read is allowed, policed, redacted and audited like a tool call.
 */
import type { ReadResourceResult, Resource, ResourceTemplate } from "@modelcontextprotocol/sdk/types.js";
import { RESOURCES, RESOURCE_TEMPLATES } from "../../tools/resources/index.js";

/** What a resource URI asks the pipeline: which tool, with which arguments (besides the intent). */
export interface ResourceRead {
  tool: string;
  arguments: Record<string, string>;
  mimeType: string;
}

/** The MCP error code for an unknown resource (MCP specification, resources). */
export const RESOURCE_NOT_FOUND = -32002;

export function listedResources(enabled: ReadonlySet<string>): Resource[] {
  return RESOURCES.filter((r) => enabled.has(r.tool)).map((r) => ({ uri: r.uri, name: r.name, title: r.title, description: r.description, mimeType: r.mimeType }));
}

export function listedTemplates(enabled: ReadonlySet<string>): ResourceTemplate[] {
  return RESOURCE_TEMPLATES.filter((t) => enabled.has(t.tool)).map((t) => ({
    uriTemplate: t.uriTemplate,
    name: t.name,
    title: t.title,
    description: t.description,
    mimeType: t.mimeType,
  }));
}

/** The read a URI asks for, or null when no resource or template has that URI. */
export function resourceReadOf(uri: string): ResourceRead | null {
  const fixed = RESOURCES.find((r) => r.uri === uri);
  if (fixed) return { tool: fixed.tool, arguments: {}, mimeType: fixed.mimeType };
  for (const template of RESOURCE_TEMPLATES) {
    if (!uri.startsWith(template.prefix)) continue;
    const encoded = uri.slice(template.prefix.length);
    if (encoded.length === 0) return null;
    let value: string;
    try {
      value = decodeURIComponent(encoded);
    } catch {
      return null;
    }
    return { tool: template.tool, arguments: { [template.argument]: value }, mimeType: template.mimeType };
  }
  return null;
}

/** Document resources carry their own text and media type; the others are the answer as JSON. */
export function resourceContents(uri: string, read: ResourceRead, structured: Record<string, unknown> | undefined): ReadResourceResult {
  const lines = structured?.lines;
  const mimeType = structured?.mimeType;
  if (Array.isArray(lines) && typeof mimeType === "string") return { contents: [{ uri, mimeType, text: `${lines.join("\n")}\n` }] };
  return { contents: [{ uri, mimeType: read.mimeType, text: `${JSON.stringify(structured ?? {}, null, 2)}\n` }] };
}
