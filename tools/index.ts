/** Every MCP tool the server knows. Configuration decides which of them are exposed. */
import { eraseTool, type AnyToolDefinition } from "./define-tool.js";
import { collectInventoryTool } from "./collect-inventory.js";
import { describeIdentityTool } from "./describe-identity.js";
import { explainEntitlementPathsTool } from "./explain-entitlement-paths.js";
import { exportInventoryTool } from "./export-inventory.js";
import { findAnomalousActivityTool } from "./find-anomalous-activity.js";
import { findExpiringCredentialsTool } from "./find-expiring-credentials.js";
import { findStaleServiceAccountsTool } from "./find-stale-service-accounts.js";
import { inventorySummaryTool } from "./inventory-summary.js";
import { listIdentitiesTool } from "./list-identities.js";
import { resourceTools } from "./resources/index.js";
import { whatChangedTool } from "./what-changed.js";

export const ALL_TOOLS: readonly AnyToolDefinition[] = [
  eraseTool(inventorySummaryTool),
  eraseTool(findStaleServiceAccountsTool),
  eraseTool(findExpiringCredentialsTool),
  eraseTool(explainEntitlementPathsTool),
  eraseTool(describeIdentityTool),
  eraseTool(listIdentitiesTool),
  eraseTool(findAnomalousActivityTool),
  eraseTool(whatChangedTool),
];

/** Tools behind CLI commands (surface "cli"): through the same pipeline, never offered over MCP. */
export const COMMAND_TOOLS: readonly AnyToolDefinition[] = [eraseTool(exportInventoryTool), eraseTool(collectInventoryTool)];

/** The readings behind MCP resources (surface "resource"): through the same pipeline, never listed as tools. */
export const RESOURCE_TOOLS: readonly AnyToolDefinition[] = resourceTools(() => PIPELINE_TOOLS);

/** Everything the pipeline and the Cedar schema know: the MCP tools, the commands' and the resources' tools. */
export const PIPELINE_TOOLS: readonly AnyToolDefinition[] = [...ALL_TOOLS, ...COMMAND_TOOLS, ...RESOURCE_TOOLS];
