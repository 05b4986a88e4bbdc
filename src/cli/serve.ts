/**
 * `wiam serve`: the MCP server on the configured providers or the demo estate, over stdio (the
 * default) or streamable HTTP (`--http`). The host owns config, reload, signals and tasks; the
 * transport is chosen here and only moves messages.
 */
import { httpConfigSchema, type HttpConfig } from "../config/http-schema.js";
import { UserFacingError } from "../errors.js";
import { runHost } from "../server/host.js";
import { stdioTransport } from "../transports/stdio.js";
import type { CliContext, GlobalOptions } from "./context.js";

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
  await runHost({
    globals,
    // The HTTP stack (and jose) loads only when asked for: stdio starts as fast as before.
    transport: async (context) => (wantsHttp ? (await import("../transports/http.js")).httpTransport(httpSettingsOf(context, options)) : stdioTransport()),
  });
  return 0;
}
