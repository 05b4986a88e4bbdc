/**
 * Command-line conventions shared by every command: exit codes for parse errors, the repeatable
 * `--snapshot` flag, and a quiet end when the reader of stdout goes away (`wiam audit export | head`).
 */
import type { CommanderError } from "commander";

/** Exit codes the README documents: 0 success, 1 the answer is an error, 2 bad usage or config. */
export const EXIT_USAGE = 2;

/**
 * Help and version asked for are successes; help shown because something was missing (`wiam audit`
 * with no subcommand: Commander's exit code 1) and every other parse error are usage errors.
 */
export function exitCodeOfParseError(error: CommanderError): number {
  const informational = error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help";
  return informational && error.exitCode === 0 ? 0 : EXIT_USAGE;
}

/** Collects `--snapshot a.json --snapshot b.json` and `--snapshot a.json,b.json` into one list. */
export function collectSnapshotPaths(value: string, previous: string[] | undefined): string[] {
  const added = value.split(",").filter((path) => path.length > 0);
  return [...(previous ?? []), ...added];
}

/**
 * A closed pipe on stdout (EPIPE) means the reader has what it wanted: exit at once, quietly and
 * successfully, as `head` users expect. Loops that write much check `stdoutClosed()` to stop early.
 */
export function quietOnClosedStdout(): void {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    if (closedStdoutAction === null) process.exit(0);
    const action = closedStdoutAction;
    closedStdoutAction = () => undefined; // one EPIPE per write: act once
    action();
  });
}

let closedStdoutAction: (() => void) | null = null;

/**
 * What a closed stdout means for a command that must not just vanish: `wiam serve` over stdio
 * has lost its client, and shuts down gracefully (running calls finish and are audited) instead
 * of exiting mid-call.
 */
export function onClosedStdout(action: () => void): void {
  closedStdoutAction = action;
}

/** True once a write to stdout has failed (the error is set before its event fires). */
export function stdoutClosed(): boolean {
  return process.stdout.errored !== null && process.stdout.errored !== undefined;
}
