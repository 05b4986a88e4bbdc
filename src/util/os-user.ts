import { userInfo } from "node:os";

/** The caller on stdio and the CLI: the OS account running the process. */
export function osUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}
