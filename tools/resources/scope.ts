/** One scope as a resource (wiam://scope/{scope}): inventory_summary's answer for that scope and below. */
import { inventorySummaryTool } from "../inventory-summary.js";
import { defineTool } from "../define-tool.js";

export const scopeResourceTool = defineTool({
  ...inventorySummaryTool,
  name: "resource_scope",
  surface: "resource",
  standsFor: inventorySummaryTool.name,
  title: "Scope",
  description: "One scope and everything below it, as inventory_summary counts it (read through the wiam://scope/{scope} resource template).",
});
