/**
 * The effective tool allowlist: every tool, command and resource the server knows, whether the
 * configuration exposes it, and which setting decided (tools.allow / tools.deny, globs).
 */
import { z } from "zod";
import { toolAvailabilityOf, type AllowlistSubject } from "../../src/pipeline/allowlist.js";
import { line, textAnswer } from "../../src/text/answer.js";
import { defineTool, type ToolSurface } from "../define-tool.js";
import { DOCUMENT_ANNOTATIONS, documentInput } from "./document.js";

const entrySchema = z.object({
  name: z.string(),
  surface: z.enum(["mcp", "cli", "resource"]),
  enabled: z.boolean(),
  reason: z.string(),
});

const output = z.object({
  allow: z.array(z.string()),
  deny: z.array(z.string()),
  tools: z.array(entrySchema),
});

/** `tools` is read when the resource is read, so the list includes the resources themselves. */
export function toolAllowlistResourceTool(tools: () => readonly (AllowlistSubject & { surface?: ToolSurface })[]) {
  return defineTool({
    name: "resource_tool_allowlist",
    actionGroup: "inventory",
    surface: "resource",
    title: "Effective tool allowlist",
    description: "Which tools, commands and resources the configuration exposes, and the tools.allow / tools.deny entry that decided each.",
    input: documentInput,
    output,
    annotations: DOCUMENT_ANNOTATIONS,
    serverFields: ["allow", "deny", "tools"],
    handler(_args, context) {
      const settings = context.config.tools;
      const entries = tools().map((tool) => ({ name: tool.name, surface: tool.surface ?? "mcp", ...toolAvailabilityOf(tool, settings) }));
      const enabled = entries.filter((e) => e.enabled).length;
      return {
        structured: { allow: [...settings.allow], deny: [...settings.deny], tools: entries },
        text: textAnswer([line`${enabled} of ${entries.length} tools, commands and resources are enabled.`]),
        itemCount: entries.length,
      };
    },
  });
}
