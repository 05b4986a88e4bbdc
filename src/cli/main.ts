#!/usr/bin/env node
/**
 * `wiam`: the command line. `serve` (the default) speaks MCP over stdio; the other commands let
 * analysts and admins use the same pipeline, audit and redaction without an LLM.
 * Logs go to stderr only: stdout belongs to the protocol (serve) or to the command's output.
 */
import { Command, CommanderError, Help, Option } from "commander";
import { AuditLogBusyError } from "../audit/busy.js";
import { errorMessage, isUserFacingError } from "../errors.js";
import { PRODUCT_VERSION } from "../version.js";
import type { GlobalOptions } from "./context.js";
import { registerApprovalCommands } from "./approvals.js";
import { registerAuditCommands } from "./audit.js";
import { registerConfigCommands } from "./config-commands.js";
import { runCall } from "./call.js";
import { runDoctor } from "./doctor.js";
import { runExport, type ExportOptions } from "./export.js";
import { runCollect, type CollectOptions } from "./collect.js";
import { registerPolicyCommands } from "./policy.js";
import { runRedact } from "./redact.js";
import { runSchema } from "./schema.js";
import { runServe, type ServeOptions } from "./serve.js";
import { runTools } from "./tools.js";
import { collectSnapshotPaths, exitCodeOfParseError, quietOnClosedStdout } from "./conventions.js";
import { quietSdkNodeWarning } from "../util/node-support.js";
import { startTelemetryFromEnv } from "../telemetry/setup.js";

// Before any cloud SDK loads: `wiam serve` says in one line what the AWS SDK says in six.
quietSdkNodeWarning();

/** Exit codes: 0 success, 1 the answer is an error (tool error, failed verify), 2 bad usage or config. */
async function guarded(action: () => Promise<number> | number): Promise<void> {
  try {
    process.exitCode = await action();
  } catch (error) {
    if (isUserFacingError(error)) {
      process.stderr.write(`wiam: ${error.message}${error.hint ? `\n${error.hint}` : ""}\n`);
      process.exitCode = 2;
      return;
    }
    // Not a usage problem and not a bug: another process holds the audit log; the answer is an error.
    if (error instanceof AuditLogBusyError) {
      process.stderr.write(`wiam: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    // Unexpected errors print only their message: stacks may carry paths and request details.
    process.stderr.write(`wiam: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 70;
  }
}

export function buildProgram(): Command {
  const program = new Command("wiam")
    .description("Read-only MCP server and CLI for machine identities across AWS, Google Cloud and Azure")
    .version(PRODUCT_VERSION)
    .addOption(new Option("-c, --config <file>", "YAML config file (default: $WIAM_CONFIG)"))
    .addOption(new Option("-d, --data-dir <dir>", "state directory for the audit log and keys (default: $WIAM_DATA_DIR or the platform's)"))
    // One file per flag (repeat it, or separate files by commas): a variadic option would swallow
    // the subcommand that follows it (`--snapshot a.json tools`).
    .addOption(
      new Option("-s, --snapshot <file>", "analyse this inventory snapshot file instead of the configured providers (repeat, or comma-separate, for several)")
        .argParser(collectSnapshotPaths),
    )
    .addOption(new Option("--log-level <level>", "stderr log level").choices(["debug", "info", "warning", "error"]))
    // Usage errors throw instead of exiting 1, so they exit 2 as documented; subcommands inherit this.
    .exitOverride()
    // A program with its own action loses Commander's implicit `help` command; `wiam help audit` stays.
    .helpCommand(true)
    .showHelpAfterError()
    .usage("[options] [command]");
  // The catch-all argument below only exists to name unknown commands; its own help line would
  // read as if any word were accepted. (Help settings are inherited: only the program's is hidden.)
  program.configureHelp({ visibleArguments: (command) => (command === program ? [] : new Help().visibleArguments(command)) });
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();

  // With no command the server runs; a word that names no command is an error, not an argument to
  // `serve` (a default subcommand would turn `wiam frobnicate` into "too many arguments for 'serve'").
  program.argument("[command...]", "a command below (default: serve)").action((words: string[]) => {
    if (words.length > 0) program.error(`error: unknown command '${words[0] ?? ""}'`, { code: "commander.unknownCommand", exitCode: 2 });
    return guarded(() => runServe(globals()));
  });

  program
    .command("serve")
    .description("run the MCP server over stdio (the default command), or over streamable HTTP with --http")
    .option("--http", "serve MCP over streamable HTTP (settings from the config's http section)")
    .option("--host <address>", "HTTP listen address (default: http.host, 127.0.0.1)")
    .option("--port <port>", "HTTP listen port (default: http.port, 8787)")
    .action((options: ServeOptions) => guarded(() => runServe(globals(), options)));

  program
    .command("tools [name]")
    .description("list every tool, enabled or disabled, and why; with a name, that tool's arguments with types and defaults")
    .option("--json", "print JSON")
    .action((name: string | undefined, options: { json?: boolean }) => guarded(() => runTools(globals(), name, options)));

  program
    .command("call <tool>")
    .description("run one tool through the full pipeline (allowlist, redaction, audit) without an LLM")
    .requiredOption("-i, --intent <text>", "why you are asking; recorded in the audit log")
    .option("-a, --args <json>", "tool arguments as a JSON object", "{}")
    .option("-t, --task-id <id>", "task id grouping calls of one investigation")
    .option("--json", "print the structured result as JSON")
    .action((tool: string, options: { intent: string; args: string; taskId?: string; json?: boolean }) =>
      guarded(() => runCall(globals(), tool, options)),
    );

  program
    .command("export")
    .description("write the inventory the configured providers give as a snapshot file (redacted, audited), for offline analysis")
    .requiredOption("-o, --out <file>", "snapshot file to write (.json, or .yaml/.yml)")
    .requiredOption("-i, --intent <text>", "why you are exporting; recorded in the audit log")
    .addOption(new Option("--format <format>", "file format (default: from the file name)").choices(["json", "yaml"]))
    .option("-t, --task-id <id>", "task id for the collection (its cloud sessions end with the command)")
    .option("--force", "replace the file if it exists")
    .action((options: ExportOptions) => guarded(() => runExport(globals(), options)));

  program
    .command("collect")
    .description("collect the configured sources afresh and store each collection (history.enabled), audited; exit 1 when one failed")
    .requiredOption("-i, --intent <text>", "why you are collecting; recorded in the audit log")
    .option("-s, --source <name>", "only this source: aws, gcp, azure, demo or snapshot")
    .option("-t, --task-id <id>", "task id for the collection (its cloud sessions end with the command)")
    .option("--json", "print the structured result as JSON")
    .action((options: CollectOptions) => guarded(() => runCollect(globals(), options)));

  program
    .command("redact")
    .description("redact JSON or text from stdin to stdout; findings summary on stderr")
    .addOption(new Option("--report <format>", "findings report format on stderr").choices(["text", "json"]).default("text"))
    .action((options: { report: "text" | "json" }) => guarded(() => runRedact(globals(), options)));

  program
    .command("doctor")
    .description("check config, state file permissions, the audit chain and cloud credential breadth")
    .option("--json", "print JSON")
    .action((options: { json?: boolean }) => guarded(() => runDoctor(globals(), options)));

  program
    .command("schema")
    .description("print the JSON Schema of inventory snapshot files")
    .action(() => guarded(() => runSchema()));

  registerAuditCommands(program, globals, guarded);
  registerApprovalCommands(program, globals, guarded);
  registerPolicyCommands(program, globals, guarded);
  registerConfigCommands(program, guarded);
  return program;
}

quietOnClosedStdout();
try {
  // Off unless WIAM_TELEMETRY=otlp. What is buffered is sent when the event loop runs dry (a
  // command ends); a server stopped by a signal may lose its last few seconds of spans.
  const telemetry = await startTelemetryFromEnv().catch((error: unknown) => {
    process.stderr.write(`wiam: ${errorMessage(error)}\n`);
    return process.exit(2);
  });
  if (telemetry) process.once("beforeExit", () => void telemetry.shutdown());
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  // Commander has already printed the message (and help after errors); only the code is ours.
  process.exitCode = exitCodeOfParseError(error);
}
