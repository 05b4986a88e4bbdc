/** `wiam tools`: every tool with enabled or disabled and the setting that decided; `wiam tools <name>`: its arguments. */
import { ALL_TOOLS } from "../../tools/index.js";
import { UserFacingError } from "../errors.js";
import { toolAvailabilityOf } from "../pipeline/allowlist.js";
import { resolveCliContext, type GlobalOptions } from "./context.js";
import { formatToolArguments, toolArguments, toolInputJsonSchema } from "./tool-arguments.js";

export function runTools(globals: GlobalOptions, name: string | undefined, options: { json?: boolean }): number {
  const { config, path } = resolveCliContext(globals);
  if (name !== undefined) {
    const tool = ALL_TOOLS.find((t) => t.name === name);
    if (!tool) throw new UserFacingError("invalid_input", `tools: no tool named "${name}" (tools: ${ALL_TOOLS.map((t) => t.name).join(", ")})`);
    const availability = toolAvailabilityOf(tool, config.tools);
    if (options.json) {
      const body = { name: tool.name, title: tool.title, ...availability, arguments: toolArguments(tool), inputSchema: toolInputJsonSchema(tool) };
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    } else {
      process.stdout.write(formatToolArguments(tool, availability));
    }
    return 0;
  }
  const rows = ALL_TOOLS.map((tool) => ({ name: tool.name, title: tool.title, ...toolAvailabilityOf(tool, config.tools) }));
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ config: path, tools: rows }, null, 2)}\n`);
    return 0;
  }
  const width = Math.max(...rows.map((r) => r.name.length));
  process.stdout.write(`config: ${path ?? "(defaults)"}\n`);
  for (const row of rows) {
    process.stdout.write(`${row.name.padEnd(width)}  ${row.enabled ? "enabled " : "disabled"}  ${row.reason}\n`);
  }
  return 0;
}
