/** Options every subcommand shares, resolved once: config file, data directory, log level. */
import { defaultDataDir } from "../config/data-dir.js";
import { loadConfig, type LoadedConfig } from "../config/load.js";
import type { LogLevel } from "../util/logger.js";

export interface GlobalOptions {
  config?: string;
  dataDir?: string;
  snapshot?: string[];
  logLevel?: LogLevel;
}

export interface CliContext extends LoadedConfig {
  dataDir: string;
  logLevel: LogLevel;
}

export function resolveCliContext(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): CliContext {
  const loaded = loadConfig({ configPath: options.config, snapshotPaths: options.snapshot }, env);
  const envLevel = env.WIAM_LOG_LEVEL as LogLevel | undefined;
  return {
    ...loaded,
    dataDir: options.dataDir ?? defaultDataDir(env),
    logLevel: options.logLevel ?? (envLevel && ["debug", "info", "warning", "error"].includes(envLevel) ? envLevel : "info"),
  };
}
