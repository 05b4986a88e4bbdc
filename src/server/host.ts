/**
 * The serving host: everything a running server owns whatever the transport — the app (config,
 * policy, audit, inventory), config and policy reload (file watch and SIGHUP), signals, audit
 * retention at start, and the task lifecycle of each MCP session. A transport only moves bytes:
 * it asks the host for one MCP server per session and tells it when the session ends.
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { createApp, type App } from "../app.js";
import { startBackgroundRefresh } from "../history/background-refresh.js";
import type { WiamConfig } from "../config/schema.js";
import { watchConfigFile } from "../config/watch.js";
import { UserFacingError } from "../errors.js";
import { osUserName } from "../util/os-user.js";
import { resolveCliContext, type CliContext, type GlobalOptions } from "../cli/context.js";
import { openSharedState } from "../cli/shared-state.js";
import { createMcpServer, endSessionTasks, type ServerOptions } from "./create-server.js";
import { nodeSupportNotice } from "../util/node-support.js";

/** How long a shutdown waits for running calls to finish and be audited. */
const SHUTDOWN_DRAIN_MS = 10_000;

/** One MCP session as a transport sees it: its server, and the call that ends its task. */
export interface HostedSession {
  server: Server;
  /** Ends the session's default task (its short-lived cloud sessions) once the transport closed. */
  end(): void;
}

export interface ServeHost {
  app: App;
  /** The file the config came from, for messages. */
  configPath: string | null;
  /** One MCP server for one session, from the same factory whatever the transport. */
  openSession(options: { sessionId: string; transport: ServerOptions["transport"]; caller: ServerOptions["caller"] }): HostedSession;
  /** Called after a reload changed the tool list: transports tell their clients. */
  onToolsChanged(listener: () => void): void;
  /** Stops serving: the transport drains, then the app closes. Safe to call more than once. */
  shutdown(): Promise<void>;
}

/** A way of reaching clients: stdio, streamable HTTP. */
export interface ServeTransport {
  /** Starts serving; resolves with a one-line description for the log (where and how it listens). */
  start(host: ServeHost): Promise<string>;
  /** Stops taking new work, lets calls in flight finish (within the transport's own bound), closes. */
  stop(): Promise<void>;
}

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

export interface RunHostOptions {
  globals: GlobalOptions;
  /** The transport, built from the resolved context (e.g. with the http section of the config). */
  transport: (context: CliContext) => ServeTransport | Promise<ServeTransport>;
  /** Exits the process after a signal-driven shutdown; tests pass a no-op. */
  exit?: (code: number) => void;
}

/**
 * The MCP sessions of one app, whatever the transport: one server each from the same factory,
 * told when a reload changes the tools; ending a session ends its task and cloud sessions.
 * Over HTTP the server's own log is not forwarded (it covers every caller's calls).
 */
export function appSessions(app: App): Pick<ServeHost, "openSession" | "onToolsChanged"> {
  const toolListeners: (() => void)[] = [];
  // Admins change the surface by editing the file; an invalid new file keeps the last good one.
  app.onToolsChanged(() => {
    for (const listener of toolListeners) listener();
  });
  return {
    openSession: ({ sessionId, transport: kind, caller }) => {
      const server = createMcpServer({ pipeline: app.pipeline, logger: app.logger, transport: kind, caller, sessionId, forwardLogs: kind !== "http" });
      const listener = () => {
        void server.sendToolListChanged().catch(() => undefined);
        void server.sendResourceListChanged().catch(() => undefined);
      };
      toolListeners.push(listener);
      return {
        server,
        end: () => {
          const index = toolListeners.indexOf(listener);
          if (index >= 0) toolListeners.splice(index, 1);
          // Nobody can fetch the answers of the session's tasks any more: their calls stop.
          endSessionTasks(server);
          // A session is the default task: its short-lived cloud sessions end with it.
          app.tasks.end(sessionId);
          app.inventory.endTask(sessionId);
        },
      };
    },
    onToolsChanged: (listener) => void toolListeners.push(listener),
  };
}

export async function runHost(options: RunHostOptions): Promise<ServeHost> {
  const { globals } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const context = resolveCliContext(globals);
  // Built before anything is opened, so a transport that refuses its settings stops the start.
  const transport = await options.transport(context);
  await refuseBroadCredentials(context.config);
  // A shared store (PostgreSQL) is opened, and migrated, before anything serves; the embedded one
  // is opened by the app itself.
  const state = await openSharedState(context);
  const app = createApp({ config: context.config, dataDir: context.dataDir, logLevel: context.logLevel, ...(state === undefined ? {} : { state }) });
  // Retention runs at start: a long-lived server prunes again on its next start.
  const pruned = await app.state?.audit.prune().catch((error: unknown) => {
    app.logger.warning(`audit retention: not pruned at start (${error instanceof Error ? error.message : String(error)})`);
    return undefined;
  });
  if (pruned && pruned.removedCalls > 0) app.logger.info(`audit retention: pruned ${pruned.removedCalls} calls older than ${pruned.cutoff}`);

  const sessions = appSessions(app);

  // The config file and the policy file it names are watched; a reload that names another policy
  // file moves the watch there. Both reload the same way: validate first, then swap.
  const watchers = new Map<string, () => void>();
  const watchFiles = (paths: readonly (string | null | undefined)[]) => {
    const wanted = new Set(paths.filter((p): p is string => typeof p === "string"));
    for (const [path, stop] of watchers) {
      if (wanted.has(path)) continue;
      stop();
      watchers.delete(path);
    }
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

  // The server's own collector task (history.refreshMinutes): see src/history/background-refresh.ts.
  const refresher = startBackgroundRefresh({
    execute: (request) => app.pipeline.execute(request),
    sources: () => app.inventory.connectorIds,
    settings: () => app.config().history,
    log: (level, message) => (level === "info" ? app.logger.info(message) : app.logger.warning(message)),
  });

  let closing: Promise<void> | null = null;
  const shutdown = (): Promise<void> => {
    closing ??= (async () => {
      process.off("SIGHUP", reload);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      stopWatching();
      refresher.stop();
      await transport.stop().catch((error: unknown) => app.logger.error(`stopping the transport failed: ${error instanceof Error ? error.message : String(error)}`));
      // The transport has stopped taking calls (HTTP let them finish for drainSeconds; a closed
      // MCP session cancels its handlers). What still runs is audited before the store closes.
      try {
        if (!(await app.drain(SHUTDOWN_DRAIN_MS))) app.logger.warning(`shutting down with calls still running after ${SHUTDOWN_DRAIN_MS / 1000} s; their audit records may be incomplete`);
      } catch (error) {
        app.logger.error(`waiting for running calls failed: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        // Whatever happened above, the stores are closed (their waiting rows written).
        app.close();
      }
    })();
    return closing;
  };
  // The process ends after a signal even if the shutdown failed (it said why).
  const onSignal = () => void shutdown().then(() => exit(0), () => exit(1));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  process.on("SIGHUP", reload);

  const host: ServeHost = {
    app,
    configPath: context.path,
    ...sessions,
    shutdown,
  };
  const where = await transport.start(host);
  const nodeNotice = nodeSupportNotice();
  if (nodeNotice) app.logger.warning(nodeNotice);
  app.logger.info(`serving MCP over ${where}: providers ${app.inventory.connectorIds.join(", ")}; ${app.pipeline.enabledTools().length} tools enabled; config ${context.path ?? "(defaults)"}`);
  return host;
}
