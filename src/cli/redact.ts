/** `wiam redact`: pipe any cloud CLI output through the redactor. */
import { readFileSync } from "node:fs";
import { runRedactCommand } from "../../redaction/index.js";
import { createRedactorFor } from "../app.js";
import { ensureDataDir } from "../config/data-dir.js";
import { resolveCliContext, type GlobalOptions } from "./context.js";

export function runRedact(globals: GlobalOptions, options: { report: "text" | "json" }): number {
  const context = resolveCliContext(globals);
  const redactor = createRedactorFor(context.config, ensureDataDir(context.dataDir));
  const input = readFileSync(0, "utf8");
  const { stdout, stderr } = runRedactCommand(input, { report: options.report, redactor });
  process.stdout.write(stdout);
  if (stderr) process.stderr.write(stderr);
  return 0;
}
