/** `wiam audit ...`: review, verify and export the audit log. */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Option, type Command } from "commander";
import { createRedactor, REDACTION_KEY_FILE } from "../../redaction/index.js";
import { createRedactorFor, openAuditStore } from "../app.js";
import {
  auditCheckpoint,
  auditPrune,
  auditSearch,
  auditShow,
  auditStats,
  auditTail,
  auditVerify,
  exportLines,
  type AuditExportFormat,
  type AuditSource,
  type CommandOutput,
} from "../audit/commands.js";
import { loadOrCreateSigningKey, SIGNING_KEY_FILE, signingKeyFromPem, type AuditSigningKey } from "../audit/signing.js";
import { PostgresStateStore } from "../state/postgres/store.js";
import { readSecretReference } from "../state/postgres/connection.js";
import { AUDIT_DB_FILE, AuditStore } from "../audit/store.js";
import type { AuditFilter, AuditRecord, AuditStatus } from "../audit/types.js";
import type { Redactor } from "../../redaction/types.js";
import type { WiamConfig } from "../config/schema.js";
import { ensureDataDir } from "../config/data-dir.js";
import { UserFacingError } from "../errors.js";
import { stdoutClosed } from "./conventions.js";
import { resolveCliContext, type GlobalOptions } from "./context.js";
import { recordRedaction } from "../audit/record-redaction.js";

interface FilterFlags {
  since?: string;
  until?: string;
  tool?: string;
  status?: AuditStatus;
  task?: string;
  caller?: string;
  session?: string;
  intent?: string;
  limit?: string;
  json?: boolean;
}

function parseTime(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  // Relative times ("24h", "7d") are what analysts type; absolute ISO dates also work.
  const relative = /^(\d+)([mhd])$/.exec(value);
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as "m" | "h" | "d"];
    return new Date(Date.now() - Number(relative[1]) * unit).toISOString();
  }
  if (Number.isNaN(Date.parse(value))) {
    throw new UserFacingError("invalid_input", `--${flag}: "${value}" is not a date (use ISO 8601 like 2026-11-01T00:00:00Z, or 30m, 24h, 7d)`);
  }
  return new Date(value).toISOString();
}

/** A count flag (`--lines`, `--limit`): a bad value is a usage error, never quietly replaced. */
function positiveWhole(flag: string, value: string): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < 1) throw new UserFacingError("invalid_input", `--${flag}: "${value}" is not a positive whole number`);
  return parsed;
}

function filterFrom(flags: FilterFlags): AuditFilter {
  const limit = flags.limit === undefined ? undefined : positiveWhole("limit", flags.limit);
  const filter: AuditFilter = {};
  const since = parseTime("since", flags.since);
  const until = parseTime("until", flags.until);
  if (since) filter.since = since;
  if (until) filter.until = until;
  if (flags.tool) filter.tool = flags.tool;
  if (flags.status) filter.status = flags.status;
  if (flags.task) filter.taskId = flags.task;
  if (flags.caller) filter.caller = flags.caller;
  if (flags.session) filter.sessionId = flags.session;
  if (flags.intent) filter.intentContains = flags.intent;
  if (limit !== undefined) filter.limit = limit;
  return filter;
}

function withFilterOptions(command: Command): Command {
  return command
    .option("--since <time>", "from this time (ISO 8601, or relative: 30m, 24h, 7d)")
    .option("--until <time>", "before this time")
    .option("--tool <name>", "only this tool")
    .addOption(new Option("--status <status>", "only this outcome").choices(["accepted", "ok", "error", "denied"]))
    .option("--task <id>", "only this task id")
    .option("--caller <name>", "only this caller")
    .option("--session <id>", "only this MCP session")
    .option("--intent <text>", "intent contains this text (case-insensitive)")
    .option("--limit <n>", "at most this many calls");
}

type Guard = (action: () => Promise<number> | number) => Promise<void>;

/**
 * The redactor for review commands, which must not write to the data directory: the installed key
 * when there is one that can be read; otherwise (an evidence copy without its key, or a key owned
 * by someone else) a throwaway key, so output is still redacted but fingerprints do not match the
 * server's. The reader is told which.
 */
function reviewRedactor(config: WiamConfig, dataDir: string): Redactor {
  if (existsSync(join(dataDir, REDACTION_KEY_FILE))) {
    try {
      return createRedactorFor(config, dataDir);
    } catch (error) {
      process.stderr.write(`wiam: note: ${error instanceof Error ? error.message : String(error)}; using a one-time key, so redaction fingerprints will not match the server's\n`);
    }
  } else {
    process.stderr.write(`wiam: note: no ${REDACTION_KEY_FILE} in ${dataDir}; using a one-time key, so redaction fingerprints will not match the server's\n`);
  }
  return createRedactor({
    key: randomBytes(32),
    extraSecretFieldNames: config.redaction.extraSecretFieldNames,
    extraPatterns: config.redaction.extraPatterns,
    allowIdentifiers: config.redaction.allowIdentifiers,
    timeoutMs: config.redaction.timeoutMs,
  });
}

type StoreAccess = "read" | "write";
type StoreCommand = (store: AuditSource, dataDir: string, redactor: Redactor) => Promise<CommandOutput>;

/** An open audit log and how to close it: the embedded file, or the shared PostgreSQL store. */
interface OpenedLog {
  store: AuditSource;
  close(): Promise<void>;
}

/**
 * The shared store when `state.postgres` is set: review and write commands read the one chain all
 * replicas append to. Opening it applies pending migrations and refuses a newer schema.
 */
async function openSharedLog(config: WiamConfig, redactRecord: (record: AuditRecord) => AuditRecord, redactText?: (text: string) => string): Promise<OpenedLog | null> {
  const postgres = config.state.postgres;
  if (postgres === undefined) return null;
  const state = await PostgresStateStore.open({
    config: postgres,
    audit: { responseBody: config.audit.responseBody, retentionDays: config.audit.retentionDays, redactRecord, ...(redactText ? { redactText } : {}) },
  });
  return { store: state.audit, close: () => state.close() };
}

/** The key that signs checkpoints: the one all replicas share (`state.checkpointKey`), else the data directory's own. */
function checkpointKeyOf(config: WiamConfig, dataDir: string): AuditSigningKey {
  const reference = config.state.checkpointKey;
  if (reference === undefined) return loadOrCreateSigningKey(join(dataDir, SIGNING_KEY_FILE));
  return signingKeyFromPem(readSecretReference(reference, "state.checkpointKey"));
}

export function registerAuditCommands(program: Command, globals: () => GlobalOptions, guarded: Guard): void {
  const audit = program.command("audit").description("review, verify and export the audit log");

  /**
   * Opens the store, runs one command, prints through the redactor and closes. Review commands
   * open it read-only and create nothing: they work on a copy locked down for evidence.
   */
  const run = (access: StoreAccess, prepare: () => StoreCommand) =>
    guarded(async () => {
      // Flags are checked before anything is opened: a bad flag is reported as such, first.
      const body = prepare();
      const context = resolveCliContext(globals());
      let dataDir: string;
      let redactor: Redactor;
      let opened: OpenedLog;
      const shared = context.config.state.postgres !== undefined;
      if (shared && access === "read") {
        dataDir = context.dataDir;
        redactor = reviewRedactor(context.config, dataDir);
        opened = (await openSharedLog(context.config, recordRedaction(redactor))) as OpenedLog;
      } else if (shared) {
        dataDir = ensureDataDir(context.dataDir);
        redactor = createRedactorFor(context.config, dataDir);
        opened = (await openSharedLog(context.config, recordRedaction(redactor), (text) => redactor.redactText(text).value)) as OpenedLog;
      } else if (access === "read") {
        dataDir = context.dataDir;
        // The store first: with no audit log there is nothing to say about redaction keys.
        const review: { redactRecord?: (record: AuditRecord) => AuditRecord } = {};
        const store = AuditStore.openReadOnly(join(dataDir, AUDIT_DB_FILE), {
          responseBody: context.config.audit.responseBody,
          redactRecord: (record) => {
            if (review.redactRecord === undefined) throw new Error("audit records read before their redaction was set up");
            return review.redactRecord(record);
          },
        });
        try {
          redactor = reviewRedactor(context.config, dataDir);
        } catch (error) {
          store.close();
          throw error;
        }
        review.redactRecord = recordRedaction(redactor);
        opened = { store, close: async () => store.close() };
      } else {
        dataDir = ensureDataDir(context.dataDir);
        redactor = createRedactorFor(context.config, dataDir);
        const store = openAuditStore(context.config, dataDir, redactor);
        opened = { store, close: async () => store.close() };
      }
      try {
        // Records come out of the store with their data fields redacted; the rest (ids, hashes,
        // counts, signatures) is the server's own and printed as it is, never rescanned.
        const { text, exitCode } = await body(opened.store, dataDir, redactor);
        if (text !== "") process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
        return exitCode;
      } finally {
        await opened.close();
      }
    });

  audit
    .command("tail")
    .description("the most recent calls, oldest first")
    .option("-n, --lines <n>", "how many calls", "20")
    .option("--json", "print JSON")
    .action((flags: { lines: string; json?: boolean }) =>
      run("read", () => {
        const lines = positiveWhole("lines", flags.lines);
        return (store) => auditTail(store, lines, { json: flags.json ?? false });
      }),
    );

  withFilterOptions(audit.command("search").description("find calls by time, tool, status, task, caller or intent text"))
    .option("--json", "print JSON")
    .action((flags: FilterFlags) =>
      run("read", () => {
        const filter = filterFrom(flags);
        return (store) => auditSearch(store, filter, { json: flags.json ?? false });
      }),
    );

  audit
    .command("show <id>")
    .description("everything recorded about one call")
    .option("--json", "print JSON")
    .action((id: string, flags: { json?: boolean }) => run("read", () => (store) => auditShow(store, id, { json: flags.json ?? false })));

  withFilterOptions(audit.command("stats").description("counts by tool, status and caller, with durations"))
    .option("--json", "print JSON")
    .action((flags: FilterFlags) =>
      run("read", () => {
        const filter = filterFrom(flags);
        return (store) => auditStats(store, filter, { json: flags.json ?? false });
      }),
    );

  audit
    .command("verify")
    .description("walk the hash chain (and signed checkpoints); exits 1 at the first broken or missing link")
    .option("--checkpoints <file>", "checkpoints exported earlier with `wiam audit checkpoint` and kept elsewhere")
    .option("--trusted-key <pem...>", "only accept checkpoints signed by these public keys (PEM files' contents)")
    .option("--json", "print JSON")
    .action((flags: { checkpoints?: string; trustedKey?: string[]; json?: boolean }) =>
      run("read", () => (store) =>
        auditVerify(store, flags.checkpoints, { json: flags.json ?? false, ...(flags.trustedKey ? { trustedPublicKeys: flags.trustedKey } : {}) }),
      ),
    );

  audit
    .command("checkpoint")
    .description("print a signed checkpoint (sequence number and head hash) to keep somewhere else")
    .action(() => run("write", () => (store, dataDir) => auditCheckpoint(store, checkpointKeyOf(resolveCliContext(globals()).config, dataDir))));

  audit
    .command("prune")
    .description("delete calls older than audit.retentionDays, keeping the rest of the chain verifiable")
    .action(() => run("write", () => (store) => auditPrune(store)));

  withFilterOptions(audit.command("export").description("export calls as JSON Lines, CSV or OCSF API Activity events"))
    .addOption(new Option("-f, --format <format>", "output format").choices(["jsonl", "csv", "ocsf"]).default("jsonl"))
    .action((flags: FilterFlags & { format: AuditExportFormat }) =>
      run("read", () => {
        const filter = { ...filterFrom(flags), order: "asc" as const };
        return async (store) => {
          // Stream line by line: an export can be far larger than memory allows as one string.
          // A reader that closed the pipe (`| head -1`) ends the export; the EPIPE exits quietly.
          for await (const line of exportLines(store, flags.format, filter)) {
            if (stdoutClosed()) break;
            process.stdout.write(`${line}\n`);
          }
          return { text: "", exitCode: 0 };
        };
      }),
    );
}
