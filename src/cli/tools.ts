/** `wiam tools`: every tool with enabled or disabled and the setting that decided. */
import { ALL_TOOLS } from "../../tools/index.js";
import { toolAvailability } from "../pipeline/allowlist.js";
import { resolveCliContext, type GlobalOptions } from "./context.js";

export function runTools(globals: GlobalOptions, options: { json?: boolean }): number {
  const { config, path } = resolveCliContext(globals);
  const rows = ALL_TOOLS.map((tool) => ({ name: tool.name, title: tool.title, ...toolAvailability(tool.name, config.tools) }));
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
