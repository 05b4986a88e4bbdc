/** Where the server keeps its state (audit database, keys): WIAM_DATA_DIR, else the platform's convention. */
import { homedir, platform } from "node:os";
import { join } from "node:path";
import { mkdirSync, chmodSync } from "node:fs";

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

/** Creates the directory readable by its owner only; the keys and the audit log live here. */
export function ensureDataDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (platform() !== "win32") chmodSync(dir, 0o700);
  return dir;
}
