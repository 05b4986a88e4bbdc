/**
 * `wiam serve`: the MCP server on the configured providers or the demo estate, over stdio (the
 * default) or streamable HTTP (`--http`). The host owns config, reload, signals and tasks; the
 * transport is chosen here and only moves messages.
 */
import { httpConfigSchema, type HttpConfig } from "../config/http-schema.js";
import { UserFacingError } from "../errors.js";
import { runHost, type ServeHost } from "../server/host.js";
import { stdioTransport } from "../transports/stdio.js";
import type { CliContext, GlobalOptions } from "./context.js";
import { onClosedStdout } from "./conventions.js";

export interface ServeOptions {
  http?: boolean;
  host?: string;
  port?: string;
}

/** The file's http section with the command line's --host and --port on top. */
export function httpSettingsOf(context: CliContext, options: ServeOptions): HttpConfig {
  const base = context.config.http ?? httpConfigSchema.parse({});
  let port = base.port;
  if (options.port !== undefined) {
    port = Number(options.port);
    if (!/^\d{1,5}$/.test(options.port) || port > 65_535) throw new UserFacingError("config_invalid", `--port: "${options.port}" is not a port number (0-65535)`);
  }
  return { ...base, host: options.host ?? base.host, port };
}

export async function runServe(globals: GlobalOptions, options: ServeOptions = {}): Promise<number> {
  const wantsHttp = options.http === true;
  if (!wantsHttp && (options.host !== undefined || options.port !== undefined)) {
    throw new UserFacingError("config_invalid", "--host and --port apply to --http; add --http to serve over HTTP");
  }
  // Over stdio a closed stdout is the client gone: calls already running are finished and
  // audited before the process ends (before the host is up, nothing has run yet).
  const started: { host?: ServeHost } = {};
  onClosedStdout(() => void (started.host?.shutdown() ?? Promise.resolve()).then(() => process.exit(0), () => process.exit(1)));
  started.host = await runHost({
    globals,
    // The HTTP stack (and jose) loads only when asked for: stdio starts as fast as before.
    transport: async (context) => (wantsHttp ? (await import("../transports/http.js")).httpTransport(httpSettingsOf(context, options)) : stdioTransport()),
  });
  return 0;
}
