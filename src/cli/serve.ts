/** `wiam serve`: the MCP server over stdio, on the configured providers or the demo estate. */
import { randomUUID } from "node:crypto";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { createApp } from "../app.js";
import type { WiamConfig } from "../config/schema.js";
import { UserFacingError } from "../errors.js";
import { osUserName } from "../util/os-user.js";
import { watchConfigFile } from "../config/watch.js";
import { createMcpServer } from "../server/create-server.js";
import { resolveCliContext, type GlobalOptions } from "./context.js";


/** With providers.aws.strict, credentials broader than read-only stop the server before it serves anything. */
async function refuseBroadCredentials(config: WiamConfig): Promise<void> {
  if (!config.providers.aws?.strict) return;
  const { createAwsConnector } = await import("../providers/aws/index.js");
  const aws = createAwsConnector(config.providers.aws, { caller: osUserName() });
  try {
    const report = await aws.checkCredentialBreadth();
    if (report.errors.length > 0) {
      throw new UserFacingError("config_invalid", `providers.aws.strict: refusing to start: ${report.errors.join("; ")}`, "Narrow the credentials or roles to policies/aws-readonly.json.");
    }
  } finally {
    aws.close();
  }
}

export async function runServe(globals: GlobalOptions): Promise<number> {
  const context = resolveCliContext(globals);
  await refuseBroadCredentials(context.config);
  const app = createApp({ config: context.config, dataDir: context.dataDir, logLevel: context.logLevel });
  // Retention runs at start: a long-lived server prunes again on its next start.
  const pruned = app.audit?.prune();
  if (pruned && pruned.removedCalls > 0) app.logger.info(`audit retention: pruned ${pruned.removedCalls} calls older than ${pruned.cutoff}`);
  const sessionId = randomUUID();
  const server = createMcpServer({ pipeline: app.pipeline, logger: app.logger, transport: "stdio", caller: osUserName(), sessionId });
  const transport = new StdioServerTransport();

  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await server.close().catch(() => undefined);
    app.close();
  };
  process.once("SIGINT", () => void shutdown().then(() => process.exit(0)));
  process.once("SIGTERM", () => void shutdown().then(() => process.exit(0)));
  // The client closing stdin is the normal way a stdio session ends.
  process.stdin.once("end", () => void shutdown());

  // Admins change the surface by editing the file; an invalid new file keeps the last good one.
  app.onToolsChanged(() => void server.sendToolListChanged().catch(() => undefined));
  // The config file and the policy file it names are watched; a reload that names another policy
  // file moves the watch there. Both reload the same way: validate first, then swap.
  const watchers = new Map<string, () => void>();
  const watchFiles = (paths: readonly (string | null | undefined)[]) => {
    const wanted = new Set(paths.filter((p): p is string => typeof p === "string"));
    for (const [path, stop] of watchers) if (!wanted.has(path)) (stop(), watchers.delete(path));
    for (const path of wanted) if (!watchers.has(path)) watchers.set(path, watchConfigFile(path, reload));
  };
  function reload(): void {
    try {
      const next = resolveCliContext(globals);
      const result = app.reload(next.config);
      watchFiles([context.path, next.config.governance.policyFile]);
      app.logger.info(`config reloaded from ${next.path ?? "(defaults)"}${result.toolsChanged ? "; tool list changed" : ""}`);
      if (result.restartNeededFor.length > 0) app.logger.warning(`changes to ${result.restartNeededFor.join(", ")} take effect after a restart`);
    } catch (error) {
      app.logger.error(`config reload rejected, keeping the last good config: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  watchFiles([context.path, context.config.governance.policyFile]);
  const stopWatching = () => {
    for (const stop of watchers.values()) stop();
    watchers.clear();
  };
  process.on("SIGHUP", reload);
  server.onclose = () => {
    // The stdio session is the default task: its short-lived cloud sessions end with it.
    app.tasks.end(sessionId);
    app.inventory.endTask(sessionId);
    stopWatching();
    void shutdown();
  };

  await server.connect(transport);
  app.logger.info(
    `serving MCP over stdio: providers ${app.inventory.connectorIds.join(", ")}; ` +
      `${app.pipeline.enabledTools().length} tools enabled; config ${context.path ?? "(defaults)"}`,
  );
  return 0;
}
