/** `wiam serve`: the MCP server over stdio, on the configured providers or the demo estate. */
import { userInfo } from "node:os";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { createApp } from "../app.js";
import { createMcpServer } from "../server/create-server.js";
import { resolveCliContext, type GlobalOptions } from "./context.js";

export function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}

export async function runServe(globals: GlobalOptions): Promise<number> {
  const context = resolveCliContext(globals);
  const app = createApp({ config: context.config, dataDir: context.dataDir, logLevel: context.logLevel });
  const server = createMcpServer({ pipeline: app.pipeline, logger: app.logger, transport: "stdio", caller: osUser() });
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
  server.onclose = () => void shutdown();

  await server.connect(transport);
  app.logger.info(
    `serving MCP over stdio: providers ${app.inventory.connectorIds.join(", ")}; ` +
      `${app.pipeline.enabledTools().length} tools enabled; config ${context.path ?? "(defaults)"}`,
  );
  return 0;
}
