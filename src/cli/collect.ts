/**
 * `wiam collect`: collects the configured sources afresh and stores each collection (with history
 * on), so the next `wiam call` and the next server start answer from it without waiting. Runs the
 * collect_inventory tool through the one call pipeline: allowed by the policy, within budget, audited.
 */
import { randomUUID } from "node:crypto";
import { commonInputShape } from "../../tools/common.js";
import { collectInventoryTool } from "../../tools/collect-inventory.js";
import { createApp } from "../app.js";
import { UserFacingError } from "../errors.js";
import { osUserName } from "../util/os-user.js";
import { resolveCliContext, type GlobalOptions } from "./context.js";
import { openSharedState } from "./shared-state.js";
import { plainOutput } from "./output.js";
import { progressLine } from "./progress-line.js";
import { terminalApprover } from "./terminal-approver.js";

export interface CollectOptions {
  intent: string;
  source?: string;
  taskId?: string;
  json?: boolean;
}

/** Exit code 0 when every source was collected, 1 when one failed (its previous copy is still served). */
export async function runCollect(globals: GlobalOptions, options: CollectOptions): Promise<number> {
  const intent = commonInputShape.intent.safeParse(options.intent);
  if (!intent.success) throw new UserFacingError("invalid_input", `--intent: ${intent.error.issues[0]?.message ?? "invalid"}`);
  const context = resolveCliContext(globals);
  // With state.postgres the call is audited, budgeted and (history) stored where the replicas' are.
  const state = await openSharedState(context);
  const app = createApp({ config: context.config, dataDir: context.dataDir, logLevel: context.logLevel, ...(state === undefined ? {} : { state }) });
  const output = plainOutput();
  const progress = progressLine(process.stderr);
  try {
    const response = await app.pipeline.execute({
      tool: collectInventoryTool.name,
      arguments: { intent: intent.data, ...(options.source ? { source: options.source } : {}), ...(options.taskId ? { task_id: options.taskId } : {}) },
      caller: { sessionId: `cli-${randomUUID()}`, clientName: "wiam-cli", clientVersion: null, caller: osUserName(), transport: "cli" },
      approve: terminalApprover(osUserName()),
      progress: progress.report,
    });
    progress.clear();
    if (options.json === true) {
      output.out(JSON.stringify({ isError: response.isError, auditId: response.auditId, text: response.text, result: response.structured ?? null }, null, 2));
    } else if (response.isError) {
      output.err(`error: ${response.text}`);
    } else {
      output.out(response.text);
    }
    if (response.isError) return 1;
    const refreshed = (response.structured?.refreshed ?? []) as { outcome: string }[];
    return refreshed.every((r) => r.outcome === "refreshed") ? 0 : 1;
  } finally {
    progress.clear();
    app.close();
  }
}
