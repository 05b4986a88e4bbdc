/** Reads a file an admin named (config, policy); a failure is an error naming what and where. */
import { readFileSync } from "node:fs";
import { UserFacingError } from "../errors.js";

export function readAdminFile(path: string, what: "config" | "policy"): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : "file cannot be read";
    throw new UserFacingError("config_invalid", `${what} ${path}: ${reason}`);
  }
}
