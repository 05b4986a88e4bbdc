/** `wiam call`: one tool call through the full pipeline, printed as text or JSON. */
import { randomUUID } from "node:crypto";
import { createApp } from "../app.js";
import { UserFacingError } from "../errors.js";
import { resolveCliContext, type GlobalOptions } from "./context.js";
import { plainOutput } from "./output.js";
import { osUserName } from "../util/os-user.js";
import { terminalApprover } from "./terminal-approver.js";
import { progressLine } from "./progress-line.js";

export interface CallOptions {
  intent: string;
  args: string;
  taskId?: string;
  json?: boolean;
}

/** Parses the `--args` flag: a JSON object of tool arguments. */
export function parseArgsFlag(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UserFacingError("invalid_input", `--args: not valid JSON (${error instanceof Error ? error.message : "parse error"})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new UserFacingError("invalid_input", "--args: must be a JSON object, e.g. '{\"within_days\": 60}'");
  }
  return parsed as Record<string, unknown>;
}

export async function runCall(globals: GlobalOptions, tool: string, options: CallOptions): Promise<number> {
  const args = parseArgsFlag(options.args);
  const context = resolveCliContext(globals);
  const app = createApp({ config: context.config, dataDir: context.dataDir, logLevel: context.logLevel });
  // The pipeline redacts progress messages before they reach the line.
  const progress = progressLine(process.stderr, null);
  try {
    const response = await app.pipeline.execute({
      tool,
      arguments: { ...args, intent: options.intent, ...(options.taskId ? { task_id: options.taskId } : {}) },
      caller: { sessionId: `cli-${randomUUID()}`, clientName: "wiam-cli", clientVersion: null, caller: osUserName(), transport: "cli" },
      approve: terminalApprover(osUserName()),
      progress: progress.report,
    });
    progress.clear();
    // The pipeline redacted the answer's data and left its own words (cursors, counts) as written;
    // rescanning the printed text here would rewrite those.
    const output = plainOutput();
    if (options.json) {
      output.out(JSON.stringify({ isError: response.isError, auditId: response.auditId, text: response.text, result: response.structured ?? null }, null, 2));
    } else if (response.isError) {
      output.err(`error: ${response.text}`);
    } else {
      output.out(response.text);
    }
    return response.isError ? 1 : 0;
  } finally {
    progress.clear();
    app.close();
  }
}
