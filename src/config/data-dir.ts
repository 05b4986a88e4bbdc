/** Where the server keeps its state (audit database, keys): WIAM_DATA_DIR, else the platform's convention. */
import { homedir, platform } from "node:os";
import { join } from "node:path";
import { mkdirSync, statSync } from "node:fs";
import { UserFacingError } from "../errors.js";

const APP_DIR = "workload-iam-mcp";

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.WIAM_DATA_DIR) return env.WIAM_DATA_DIR;
  const home = homedir();
  switch (platform()) {
    case "darwin":
      return join(home, "Library", "Application Support", APP_DIR);
    case "win32":
      return join(env.LOCALAPPDATA ?? join(home, "AppData", "Local"), APP_DIR);
    default:
      // XDG: state that should persist but is not user configuration.
      return join(env.XDG_STATE_HOME ?? join(home, ".local", "state"), APP_DIR);
  }
}

/**
 * Creates the directory (and missing parents) readable by its owner only; the keys and the audit
 * log live here. An existing directory keeps its mode: an admin may have locked it down further
 * (0500 for an evidence copy), and `wiam doctor` reports one that is too open.
 */
export function ensureDataDir(dir: string): string {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  }
  if (!isDirectory) throw new UserFacingError("config_invalid", `data directory ${dir}: exists but is not a directory`);
  return dir;
}
