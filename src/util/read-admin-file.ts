/**
 * Reads a file an admin named (config, policy); a failure is an error naming what and where. A file
 * that someone other than its owner could change is refused (see admin-file-permissions.ts).
 */
import { readFileSync } from "node:fs";
import { UserFacingError } from "../errors.js";
import { checkAdminFile, INSECURE_ADMIN_FILES_OVERRIDE, insecureAdminFilesAllowed } from "./admin-file-permissions.js";

export function readAdminFile(path: string, what: "config" | "policy", env: NodeJS.ProcessEnv = process.env): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : "file cannot be read";
    throw new UserFacingError("config_invalid", `${what} ${path}: ${reason}`);
  }
  const check = checkAdminFile(path);
  if (!check.ok) {
    const problem = `${what} ${path}: ${check.problem ?? "insecure"}`;
    if (!insecureAdminFilesAllowed(env)) {
      throw new UserFacingError(
        "config_invalid",
        `${problem}. Refusing to load it: whoever can change it decides what the server allows`,
        `Fix the ownership or mode, or set ${INSECURE_ADMIN_FILES_OVERRIDE}=1 to load it anyway with a warning.`,
      );
    }
    process.stderr.write(`wiam: WARNING: ${problem}. Loaded anyway because ${INSECURE_ADMIN_FILES_OVERRIDE} is set: anyone who can change it controls this server\n`);
  }
  return text;
}
