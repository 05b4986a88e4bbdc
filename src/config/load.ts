/**
 * Loads the configuration: defaults < YAML file (--config or WIAM_CONFIG) < WIAM_* environment
 * < command-line flags. Parsed once with zod; an error names the file, the key path and the problem.
 */
import { resolve, dirname } from "node:path";
import { parseDocument } from "yaml";
import { describeIssues } from "../util/zod-issues.js";
import { UserFacingError } from "../errors.js";
import { readAdminFile } from "../util/read-admin-file.js";
import { configSchema, type WiamConfig } from "./schema.js";

export interface ConfigOverrides {
  configPath?: string | undefined;
  snapshotPaths?: readonly string[] | undefined;
}

export interface LoadedConfig {
  config: WiamConfig;
  /** Absolute path of the file the config came from, if any. */
  path: string | null;
}

function readConfigFile(path: string): unknown {
  const text = readAdminFile(path, "config");
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    const first = document.errors[0];
    throw new UserFacingError("config_invalid", `config ${path}: invalid YAML: ${first?.message.split("\n")[0] ?? "parse error"}`);
  }
  return document.toJS() ?? {};
}

/** Validates a raw config object; `source` names where it came from in error messages. */
export function parseConfig(raw: unknown, source: string): WiamConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new UserFacingError("config_invalid", `config ${source}: ${describeIssues(result.error.issues)}`);
  }
  return result.data;
}

export function loadConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const configPath = overrides.configPath ?? env.WIAM_CONFIG;
  const path = configPath ? resolve(configPath) : null;
  const raw = path ? readConfigFile(path) : {};
  const config = parseConfig(raw, path ?? "(defaults)");

  // Relative snapshot paths in a file are relative to that file, as admins expect.
  if (config.providers.snapshot && path) {
    config.providers.snapshot.paths = config.providers.snapshot.paths.map((p) => resolve(dirname(path), p));
  }
  if (config.governance.policyFile && path) config.governance.policyFile = resolve(dirname(path), config.governance.policyFile);
  const snapshotOverride = overrides.snapshotPaths ?? env.WIAM_SNAPSHOT?.split(",").filter((p) => p.length > 0);
  if (snapshotOverride && snapshotOverride.length > 0) {
    config.providers.snapshot = { paths: snapshotOverride.map((p) => resolve(p)) };
  }
  return { config, path };
}
