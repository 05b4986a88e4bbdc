/**
 * Which Node.js lines the server supports, and what to say on one that is on its way out. The AWS
 * SDK warns about Node 20 in several lines on every start; one line of ours says the same with
 * what to do, and the SDK's is silenced (AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).
 */

/** The lines CI tests (package.json `engines` lists the same). */
export const SUPPORTED_NODE_LINES = [20, 22, 24] as const;

/** Lines still supported but past their end of life: a notice at start, removal when the SDKs drop them. */
const ENDING_LINES: Readonly<Record<number, string>> = {
  20: "Node.js 20 reached its end of life in April 2026; AWS SDK releases after the first week of January 2027 need Node.js 22 or newer. Use Node.js 22 or 24",
};

export function nodeMajorOf(version: string): number {
  return Number.parseInt(version.replace(/^v/, "").split(".")[0] ?? "", 10);
}

/** The notice for this Node.js version, or null when it is a current supported line. */
export function nodeSupportNotice(version: string = process.versions.node): string | null {
  const major = nodeMajorOf(version);
  const ending = ENDING_LINES[major];
  if (ending) return `running on Node.js ${version}: ${ending}`;
  if (!(SUPPORTED_NODE_LINES as readonly number[]).includes(major)) {
    return `running on Node.js ${version}, which is not tested; supported lines: ${SUPPORTED_NODE_LINES.join(", ")}`;
  }
  return null;
}

/** Our notice replaces the AWS SDK's multi-line warning; an administrator's own setting wins. */
export function quietSdkNodeWarning(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
}
