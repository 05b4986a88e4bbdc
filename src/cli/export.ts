/**
 * `wiam export`: the inventory the configured providers give, written as a snapshot file for
 * offline analysis (`wiam serve --snapshot FILE`, or another machine). It is an analyst's command,
 * not an MCP tool: the assistant cannot call it. It runs as the export_inventory tool through the
 * same pipeline as every call (policy, budgets, redaction that fails closed, one audit record), and
 * the file is written whole or not at all.
 */
import { createHash, randomUUID } from "node:crypto";
import { accessSync, closeSync, constants, fsyncSync, lstatSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { stringify as toYaml } from "yaml";
import { commonInputShape } from "../../tools/common.js";
import { createApp } from "../app.js";
import { UserFacingError } from "../errors.js";
import { inventorySnapshotSchema } from "../model/inventory.js";
import { countsOf, exportInventoryTool } from "../../tools/export-inventory.js";
import { osUserName } from "../util/os-user.js";
import { resolveCliContext, type GlobalOptions } from "./context.js";
import { openSharedState } from "./shared-state.js";
import { plainOutput } from "./output.js";
import { terminalApprover } from "./terminal-approver.js";
import { progressLine } from "./progress-line.js";

export interface ExportOptions {
  out: string;
  intent: string;
  format?: "json" | "yaml";
  force?: boolean;
  taskId?: string;
}

function checkedIntent(intent: string): string {
  const parsed = commonInputShape.intent.safeParse(intent);
  if (!parsed.success) throw new UserFacingError("invalid_input", `--intent: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
}

function formatOf(options: ExportOptions): "json" | "yaml" {
  if (options.format) return options.format;
  return /\.ya?ml$/i.test(options.out) ? "yaml" : "json";
}

/**
 * The target may be a new file, or (with --force) an existing regular file. Never a directory, a
 * device, a FIFO or a symlink: `--force` on /dev/sda or on a link to someone's ~/.bashrc must not
 * replace what it points at, nor the link itself.
 */
export function checkOutputTarget(path: string, force: boolean): void {
  let stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new UserFacingError("invalid_input", `--out: cannot check ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const kind = stats.isSymbolicLink()
    ? "a symbolic link"
    : stats.isDirectory()
      ? "a directory"
      : stats.isCharacterDevice() || stats.isBlockDevice()
        ? "a device"
        : stats.isFIFO()
          ? "a named pipe"
          : stats.isSocket()
            ? "a socket"
            : null;
  if (kind !== null) throw new UserFacingError("invalid_input", `--out: ${path} is ${kind}; export writes regular files only (even with --force)`);
  if (!force) throw new UserFacingError("invalid_input", `--out: ${path} already exists; pass --force to replace it`);
}

/** Writes beside the target and renames over it: a reader sees the old file or the whole new one. */
function writeWhole(path: string, text: string, force: boolean): void {
  const temporary = join(dirname(path), `.${basename(path)}.${randomUUID()}.partial`);
  try {
    const fd = openSync(temporary, "wx", 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // Checked again just before the rename: the target may have changed during a long collection.
    checkOutputTarget(path, force);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    if (error instanceof UserFacingError) throw error;
    throw new UserFacingError("invalid_input", `--out: cannot write ${path} (${error instanceof Error ? error.message : String(error)})`);
  }
}


/** The directory the file goes into must exist and be writable: checked before anything is collected. */
function checkOutputDirectory(path: string): void {
  try {
    accessSync(dirname(path), constants.W_OK);
  } catch (error) {
    throw new UserFacingError("invalid_input", `--out: cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? "error"}: its directory is missing or not writable)`);
  }
}

/**
 * Runs the export_inventory tool through the one call pipeline (allowlist, policy, budgets, audit,
 * item-by-item redaction that fails closed) and writes the redacted snapshot it answers with.
 */
export async function runExport(globals: GlobalOptions, options: ExportOptions): Promise<number> {
  const intent = checkedIntent(options.intent);
  const format = formatOf(options);
  checkOutputTarget(options.out, options.force === true);
  checkOutputDirectory(options.out);
  const context = resolveCliContext(globals);
  // With state.postgres the call is audited, budgeted and (history) stored where the replicas' are.
  const state = await openSharedState(context);
  const app = createApp({ config: context.config, dataDir: context.dataDir, logLevel: context.logLevel, ...(state === undefined ? {} : { state }) });
  const output = plainOutput();
  const progress = progressLine(process.stderr);
  try {
    const response = await app.pipeline.execute({
      tool: exportInventoryTool.name,
      arguments: { intent, ...(options.taskId ? { task_id: options.taskId } : {}) },
      caller: { sessionId: `cli-${randomUUID()}`, clientName: "wiam-cli", clientVersion: null, caller: osUserName(), transport: "cli" },
      approve: terminalApprover(osUserName()),
      progress: progress.report,
    });
    progress.clear();
    if (response.isError) {
      output.err(`error: ${response.text}`);
      return 1;
    }
    // What is written must load again: a redaction that broke the format is not written either.
    const checked = inventorySnapshotSchema.safeParse((response.structured ?? {}).snapshot);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw new UserFacingError("redaction_failed", `export withheld: the redacted snapshot is not valid at ${issue?.path.join(".") || "(root)"} (${issue?.message ?? "invalid"})`);
    }
    const text = format === "yaml" ? toYaml(checked.data, { aliasDuplicateObjects: false }) : `${JSON.stringify(checked.data)}\n`;
    writeWhole(options.out, text, options.force === true);
    const sha256 = createHash("sha256").update(text).digest("hex");
    output.err(
      `wiam: wrote ${describeCounts(countsOf(checked.data))} to ${options.out} (${format}, ${Buffer.byteLength(text)} bytes, sha256 ${sha256}; ${response.redactions ?? 0} values redacted; audit id ${response.auditId ?? "none"})`,
    );
    return 0;
  } finally {
    progress.clear();
    app.close();
  }
}

function describeCounts(counts: ReturnType<typeof countsOf>): string {
  return [
    `${counts.scopes} scopes`,
    `${counts.principals} principals`,
    `${counts.credentials} credentials`,
    `${counts.vaultItems} vault items`,
    `${counts.policies} policies`,
    `${counts.grants} grants`,
    `${counts.trustEdges} trust edges`,
    `${counts.gaps} gaps`,
  ].join(", ");
}
