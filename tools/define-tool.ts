/**
 * The shape of one MCP tool. The type only admits read-only tools: `readOnlyHint` must be the
 * literal `true` and `destructiveHint` can only be `false`, so a write tool cannot be declared.
 * Tools never see MCP or a cloud SDK: they get the inventory and settings through ToolContext.
 */
import type { z } from "zod";
import type { Inventory } from "../src/model/inventory-index.js";
import type { WiamConfig } from "../src/config/schema.js";

export interface ReadOnlyAnnotations {
  readOnlyHint: true;
  destructiveHint?: false;
  idempotentHint: boolean;
  /** True when answers come from live cloud APIs; the pipeline sets it per deployment. */
  openWorldHint: boolean;
}

export interface DataSourceInfo {
  kind: "demo" | "snapshot" | "live" | "mixed";
  demo: boolean;
  generatedAt: string;
  /** One sentence the client must show, e.g. that the answer comes from demo data. */
  notice: string | null;
}

export interface ToolContext {
  inventory: Inventory;
  dataSource: DataSourceInfo;
  config: WiamConfig;
  now: Date;
}

export interface ToolOutcome<Output> {
  structured: Output;
  /** Concise human-readable rendering; untrusted cloud text never appears here as instructions. */
  text: string;
  /** Items returned, for the audit record. */
  itemCount: number;
}

export interface ToolDefinition<Input extends z.ZodObject = z.ZodObject, Output extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: Input;
  output: Output;
  annotations: ReadOnlyAnnotations;
  handler(args: z.output<Input>, context: ToolContext): ToolOutcome<z.input<Output>> | Promise<ToolOutcome<z.input<Output>>>;
}

export function defineTool<Input extends z.ZodObject, Output extends z.ZodObject>(
  definition: ToolDefinition<Input, Output>,
): ToolDefinition<Input, Output> {
  return definition;
}

/** A tool with its type parameters erased, for the registry and the pipeline. */
export interface AnyToolDefinition {
  name: string;
  title: string;
  description: string;
  input: z.ZodObject;
  output: z.ZodObject;
  annotations: ReadOnlyAnnotations;
  handler(args: unknown, context: ToolContext): ToolOutcome<unknown> | Promise<ToolOutcome<unknown>>;
}

export function eraseTool<Input extends z.ZodObject, Output extends z.ZodObject>(tool: ToolDefinition<Input, Output>): AnyToolDefinition {
  return {
    ...tool,
    handler: (args, context) => tool.handler(args as z.output<Input>, context),
  };
}
