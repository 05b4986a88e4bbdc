/**
 * Who may change the server's rules. A config or Cedar policy file decides what the assistant may
 * read, so another local user who can write it (or replace it, by writing the directory holding
 * it) can grant themselves anything at the next hot reload. Like ssh with its config and keys, the
 * server refuses such files: each file and its directory must be owned by the server's user or
 * root and must not be writable by group or others.
 *
 * The override, for setups that cannot be fixed at once (a shared mount, an odd umask), is the
 * environment variable WIAM_ALLOW_INSECURE_ADMIN_FILES=1: the file is loaded and a warning naming
 * the problem is written to stderr on every load.
 */
import { realpathSync, statSync, type Stats } from "node:fs";
import { dirname } from "node:path";

export const INSECURE_ADMIN_FILES_OVERRIDE = "WIAM_ALLOW_INSECURE_ADMIN_FILES";

export interface AdminFileCheck {
  ok: boolean;
  /** What is wrong and how to fix it; null when ok. */
  problem: string | null;
}

/**
 * Checks an admin file and the directory holding it, after following symlinks (that is the file
 * actually read), and, for a symlink, the directory holding the link too (whoever can write there
 * can point the link elsewhere). For `wiam doctor` and every load of a config or policy file.
 */
export function checkAdminFile(path: string, uid: number | undefined = process.getuid?.()): AdminFileCheck {
  if (process.platform === "win32" || uid === undefined) return { ok: true, problem: null };
  let real: string;
  let file: Stats;
  let directory: Stats;
  let linkDirectory: Stats | null = null;
  try {
    real = realpathSync(path);
    file = statSync(real);
    directory = statSync(dirname(real));
    if (realpathSync(dirname(path)) !== dirname(real)) linkDirectory = statSync(dirname(path));
  } catch (error) {
    return { ok: false, problem: `cannot be checked (${(error as NodeJS.ErrnoException).code ?? "error"})` };
  }
  if (!file.isFile()) return { ok: false, problem: "is not a regular file" };
  const shown = real === path ? "" : ` (resolved to ${real})`;
  const fileProblem = ownershipProblem(file, uid, "the file");
  if (fileProblem !== null) return { ok: false, problem: `${fileProblem}${shown}; ${fixFor(fileProblem, real)}` };
  const directoryProblem = ownershipProblem(directory, uid, `its directory ${dirname(real)}`);
  if (directoryProblem !== null) return { ok: false, problem: `${directoryProblem}${shown}; ${fixFor(directoryProblem, dirname(real))}` };
  const linkProblem = linkDirectory === null ? null : ownershipProblem(linkDirectory, uid, `the directory of the link, ${dirname(path)},`);
  if (linkProblem !== null) return { ok: false, problem: `${linkProblem}${shown}; ${fixFor(linkProblem, dirname(path))}` };
  return { ok: true, problem: null };
}

function ownershipProblem(stats: Stats, uid: number, what: string): string | null {
  if (stats.uid !== uid && stats.uid !== 0) return `${what} is owned by uid ${stats.uid}, not by this user (uid ${uid}) or root`;
  const writable = [(stats.mode & 0o020) !== 0 ? "group" : null, (stats.mode & 0o002) !== 0 ? "others" : null].filter((w) => w !== null);
  if (writable.length > 0) return `${what} is writable by ${writable.join(" and ")} (mode ${(stats.mode & 0o7777).toString(8).padStart(4, "0")})`;
  return null;
}

function fixFor(problem: string, path: string): string {
  return problem.includes("owned by") ? `run: chown "$(id -u)" "${path}"` : `run: chmod go-w "${path}"`;
}

/** True when the admin chose to load insecure admin files with a warning instead of refusing them. */
export function insecureAdminFilesAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env[INSECURE_ADMIN_FILES_OVERRIDE];
  return value === "1" || value === "true";
}
