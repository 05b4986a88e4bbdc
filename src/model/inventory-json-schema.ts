/** The JSON Schema of inventory snapshot files, generated from the zod model (`wiam schema`, an MCP resource). */
import { z } from "zod";
import { inventorySnapshotSchema } from "./inventory.js";

export function inventoryJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(inventorySnapshotSchema, { io: "input", target: "draft-2020-12", reused: "ref" }),
    $id: "https://github.com/workload-iam-mcp/workload-iam-mcp/schemas/inventory.schema.json",
    title: "workload-iam-mcp inventory snapshot",
  };
}
