/** `wiam call`: one tool call through the full pipeline, printed as text or JSON. */
import { randomUUID } from "node:crypto";
import { ALL_TOOLS } from "../../tools/index.js";
import { createApp } from "../app.js";
import { UserFacingError } from "../errors.js";
import { resolveCliContext, type GlobalOptions } from "./context.js";
import { openSharedState } from "./shared-state.js";
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
  } catch {
    // The parser's own message quotes the input, which may hold a secret: say where to look instead.
    throw new UserFacingError("invalid_input", "--args: not valid JSON (quote it for the shell as one argument, e.g. --args '{\"limit\": 3}')");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new UserFacingError("invalid_input", "--args: must be a JSON object, e.g. '{\"within_days\": 60}'");
  }
  return parsed as Record<string, unknown>;
}

export async function runCall(globals: GlobalOptions, tool: string, options: CallOptions): Promise<number> {
  // A name no tool has is a typo on the command line (exit 2), not a call to audit; a known but
  // disabled tool goes through the pipeline, which refuses and audits it.
  if (!ALL_TOOLS.some((t) => t.name === tool)) {
    throw new UserFacingError("invalid_input", `call: no tool named "${tool}" (tools: ${ALL_TOOLS.map((t) => t.name).join(", ")})`);
  }
  const args = parseArgsFlag(options.args);
  const context = resolveCliContext(globals);
  // With state.postgres the call is audited, budgeted and (history) stored where the replicas' are.
  const state = await openSharedState(context);
  const app = createApp({ config: context.config, dataDir: context.dataDir, logLevel: context.logLevel, ...(state === undefined ? {} : { state }) });
  const progress = progressLine(process.stderr);
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
