/**
 * `wiam export`: the inventory the configured providers give, written as a snapshot file for
 * offline analysis (`wiam serve --snapshot FILE`, or another machine). It is an analyst's command,
 * not an MCP tool: the assistant cannot call it. Like every output path it is redacted (fails
 * closed) and audited, and the file is written whole or not at all.
 */
import { createHash, randomUUID } from "node:crypto";
import { closeSync, fsyncSync, lstatSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { stringify as toYaml } from "yaml";
import { commonInputShape } from "../../tools/common.js";
import { createApp } from "../app.js";
import type { CloudOperation } from "../connectors/connector.js";
import { UserFacingError } from "../errors.js";
import { inventorySnapshotSchema, type InventorySnapshot } from "../model/inventory.js";
import { osUserName } from "../util/os-user.js";
import { resolveCliContext, type GlobalOptions } from "./context.js";
import { redactedOutput } from "./output.js";
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

function countsOf(snapshot: InventorySnapshot): string {
  return [
    `${snapshot.scopes.length} scopes`,
    `${snapshot.principals.length} principals`,
    `${snapshot.credentials.length} credentials`,
    `${snapshot.vaultItems.length} vault items`,
    `${snapshot.policies.length} policies`,
    `${snapshot.grants.length} grants`,
    `${snapshot.trustEdges.length} trust edges`,
    `${snapshot.gaps?.length ?? 0} gaps`,
  ].join(", ");
}

export async function runExport(globals: GlobalOptions, options: ExportOptions): Promise<number> {
  const intent = checkedIntent(options.intent);
  const format = formatOf(options);
  checkOutputTarget(options.out, options.force === true);
  const context = resolveCliContext(globals);
  const app = createApp({ config: context.config, dataDir: context.dataDir, logLevel: context.logLevel });
  const output = redactedOutput(app.redactor);
  const taskId = options.taskId ?? `export-${randomUUID()}`;
  const operations: CloudOperation[] = [];
  const findings: Record<string, number> = {};
  const started = performance.now();
  const audit = app.audit;
  const auditId = audit?.accept({
    sessionId: null,
    clientName: "wiam-cli",
    clientVersion: null,
    caller: osUserName(),
    transport: "cli",
    tool: "wiam export",
    intent,
    taskId,
    arguments: { out: basename(options.out), format, force: options.force === true },
    decision: "allow",
    decisionRule: "cli:export (an analyst's command; not an MCP tool)",
    approver: null,
    redactionRulesetVersion: app.redactor.rulesetVersion,
  });
  try {
    const progress = progressLine(process.stderr, app.redactor);
    const { inventory } = await app.inventory
      .get({ taskId, recordOperation: (op) => operations.push(op), ...(progress.report ? { progress: progress.report } : {}) })
      .finally(() => progress.clear());
    // Spelled out as plain data (grants from the table), then redacted like any other output: item
    // by item, so a large estate stays within the redactor's time limit per call. Any failure
    // withholds the whole file.
    const plain = JSON.parse(JSON.stringify(inventory.snapshot)) as Record<string, unknown>;
    const redactOne = (value: unknown): unknown => {
      const result = app.redactor.redact(value);
      for (const finding of result.findings) findings[finding.kind] = (findings[finding.kind] ?? 0) + 1;
      return result.value;
    };
    let redacted: Record<string, unknown>;
    try {
      redacted = Object.fromEntries(Object.entries(plain).map(([key, value]) => [key, Array.isArray(value) ? value.map(redactOne) : redactOne(value)]));
    } catch {
      throw new UserFacingError("redaction_failed", "export withheld: redaction failed or timed out, and nothing is ever written unredacted");
    }
    // What is written must load again: a redaction that broke the format is not written either.
    const checked = inventorySnapshotSchema.safeParse(redacted);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw new UserFacingError("redaction_failed", `export withheld: the redacted snapshot is not valid at ${issue?.path.join(".") || "(root)"} (${issue?.message ?? "invalid"})`);
    }
    const text = format === "yaml" ? toYaml(checked.data, { aliasDuplicateObjects: false }) : `${JSON.stringify(checked.data)}\n`;
    writeWhole(options.out, text, options.force === true);
    const sha256 = createHash("sha256").update(text).digest("hex");
    const itemCount = checked.data.principals.length + checked.data.credentials.length + checked.data.vaultItems.length + checked.data.grants.length;
    if (audit && auditId) {
      audit.complete(auditId, {
        status: "ok",
        error: null,
        credentialScope: app.inventory.credentialScope(taskId),
        cloudOperations: operations,
        result: { itemCount, byteSize: Buffer.byteLength(text), sha256, truncated: false },
        redactionFindings: findings,
        responseBody: null,
        durationMs: Math.round(performance.now() - started),
      });
    }
    const redactions = Object.values(findings).reduce((sum, n) => sum + n, 0);
    output.err(`wiam: wrote ${countsOf(checked.data)} to ${options.out} (${format}, ${Buffer.byteLength(text)} bytes, sha256 ${sha256}; ${redactions} values redacted; audit id ${auditId ?? "none"})`);
    return 0;
  } catch (error) {
    if (audit && auditId) {
      const message = error instanceof Error ? error.message : String(error);
      let publicMessage: string;
      try {
        publicMessage = app.redactor.redactText(message).value;
      } catch {
        publicMessage = "error withheld: redaction failed";
      }
      audit.complete(auditId, {
        status: "error",
        error: publicMessage,
        credentialScope: app.inventory.credentialScope(taskId),
        cloudOperations: operations,
        result: null,
        redactionFindings: findings,
        responseBody: null,
        durationMs: Math.round(performance.now() - started),
      });
    }
    throw error;
  } finally {
    app.inventory.endTask(taskId);
    app.close();
  }
}
