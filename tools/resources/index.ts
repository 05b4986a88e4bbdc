/**
 * The MCP resources the server offers, each read through the one call pipeline by a tool of surface
 * "resource" (allowlist, Cedar policy, redaction and audit as for any call). This file is the
 * catalogue only: URIs, names and which tool reads them; src/server/resources.ts speaks MCP.
 */
import type { ToolAction } from "../../src/governance/cedar-schema.js";
import { eraseTool, type AnyToolDefinition, type ToolSurface } from "../define-tool.js";
import { activePolicyResourceTool } from "./active-policy.js";
import { cedarSchemaResourceTool } from "./cedar-schema.js";
import { CALENDAR_DAYS, expiryCalendarResourceTool } from "./expiry-calendar.js";
import { identityResourceTool } from "./identity.js";
import { inventorySchemaResourceTool } from "./inventory-schema.js";
import { scopeResourceTool } from "./scope.js";
import { toolAllowlistResourceTool } from "./tool-allowlist.js";

/** A fixed resource. Document resources return their own media type; the others JSON. */
export interface ResourceEntry {
  uri: string;
  name: string;
  title: string;
  description: string;
  mimeType: string;
  tool: string;
}

/** A resource template: the URI is `prefix` followed by one percent-encoded id, passed as `argument`. */
export interface ResourceTemplateEntry {
  uriTemplate: string;
  prefix: string;
  argument: "principal" | "scope";
  name: string;
  title: string;
  description: string;
  mimeType: string;
  tool: string;
}

export const RESOURCES: readonly ResourceEntry[] = [
  {
    uri: "wiam://schemas/inventory.schema.json",
    name: "inventory-schema",
    title: "Inventory snapshot JSON Schema",
    description: "JSON Schema of inventory snapshot files (what wiam export writes and the snapshot provider reads).",
    mimeType: "application/schema+json",
    tool: "resource_inventory_schema",
  },
  {
    uri: "wiam://policy/schema.cedarschema",
    name: "cedar-schema",
    title: "Cedar schema",
    description: "The Cedar schema policies are checked against: Caller, Scope, the call context, one action per tool.",
    mimeType: "text/plain",
    tool: "resource_cedar_schema",
  },
  {
    uri: "wiam://policy/active.cedar",
    name: "active-policy",
    title: "Active Cedar policy",
    description: "The policy that authorizes each call now (read-only).",
    mimeType: "text/plain",
    tool: "resource_active_policy",
  },
  {
    uri: "wiam://tools/allowlist.json",
    name: "tool-allowlist",
    title: "Effective tool allowlist",
    description: "Which tools and resources the configuration exposes, and the tools.allow / tools.deny entry that decided.",
    mimeType: "application/json",
    tool: "resource_tool_allowlist",
  },
  {
    uri: "wiam://calendar/expiry.json",
    name: "expiry-calendar",
    title: `Expiry calendar (next ${CALENDAR_DAYS} days)`,
    description: `Credentials and vault items expiring within ${CALENDAR_DAYS} days or expired, grouped by day (UTC), from the current inventory.`,
    mimeType: "application/json",
    tool: "resource_expiry_calendar",
  },
];

export const RESOURCE_TEMPLATES: readonly ResourceTemplateEntry[] = [
  {
    uriTemplate: "wiam://identity/{principal}",
    prefix: "wiam://identity/",
    argument: "principal",
    name: "identity",
    title: "Identity",
    description: "One identity as describe_identity shows it. {principal}: an ARN, GCP member or email, Entra object id or exact name, percent-encoded.",
    mimeType: "application/json",
    tool: "resource_identity",
  },
  {
    uriTemplate: "wiam://scope/{scope}",
    prefix: "wiam://scope/",
    argument: "scope",
    name: "scope",
    title: "Scope",
    description: "Counts for one scope and everything below it, as inventory_summary gives them. {scope}: e.g. aws:account/<id>, projects/<id>, percent-encoded.",
    mimeType: "application/json",
    tool: "resource_scope",
  },
];

/**
 * The tools behind the resources. `known` lists everything the pipeline knows (read when a
 * resource is read), so the Cedar schema and the allowlist include these tools too.
 */
export function resourceTools(known: () => readonly (ToolAction & { surface?: ToolSurface })[]): AnyToolDefinition[] {
  return [
    eraseTool(inventorySchemaResourceTool),
    eraseTool(cedarSchemaResourceTool(known)),
    eraseTool(activePolicyResourceTool),
    eraseTool(toolAllowlistResourceTool(known)),
    eraseTool(expiryCalendarResourceTool),
    eraseTool(identityResourceTool),
    eraseTool(scopeResourceTool),
  ];
}
