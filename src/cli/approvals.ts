/**
 * `wiam approvals list|show|approve|deny`: second-person approval on the host. The approver is
 * the OS account running the command (verified by the OS, never typed): it must be listed in a
 * `governance.callerGroups` group the request's policy names, and must not be the caller (an
 * account named like the caller or the caller's token subject is refused). Groups from access
 * tokens (`token:<name>`) cannot be met here: those requests are decided through the HTTP admin
 * endpoint with a token.
 */
import { Option, type Command } from "commander";
import { loadOrCreateRedactionKey } from "../../redaction/index.js";
import { createRedactorFor } from "../app.js";
import { writeApprovalAuditEvent } from "../approvals/audit-events.js";
import type { Decider } from "../approvals/identity.js";
import { approvalListLine, approvalShowLines, approvalView } from "../approvals/present.js";
import { ApprovalQueue, ApprovalRefusal } from "../approvals/queue.js";
import { openApprovalStore } from "../approvals/open.js";
import type { ApprovalStatus } from "../approvals/types.js";
import { ensureDataDir } from "../config/data-dir.js";
import { UserFacingError } from "../errors.js";
import { openStateStore } from "../state/open.js";
import { checkSharedRedactionKey } from "../state/shared-redaction-key.js";
import { osUserName } from "../util/os-user.js";
import { resolveCliContext, type GlobalOptions } from "./context.js";
import { plainOutput, redactedOutput, type CliOutput } from "./output.js";

const STATUSES: readonly (ApprovalStatus | "all")[] = ["pending", "approved", "denied", "expired", "withdrawn", "all"];

/** The OS account running the command, as a decider. */
export function hostDecider(user = osUserName()): Decider {
  return { name: user, subjects: [user], tokenGroups: [], via: "cli" };
}

async function withQueue<T>(globals: GlobalOptions, run: (queue: ApprovalQueue, show: ReturnType<typeof viewer>, output: CliOutput) => Promise<T>): Promise<T> {
  const context = resolveCliContext(globals);
  const dataDir = ensureDataDir(context.dataDir);
  const redactor = createRedactorFor(context.config, dataDir);
  // The state store the servers use: the data directory's files, or the replicas' PostgreSQL.
  const state = await openStateStore({ config: context.config, dataDir, redactor });
  try {
    // A decision's note is stored redacted: under the replicas' key, like every other record.
    await checkSharedRedactionKey(state.tables, loadOrCreateRedactionKey(dataDir));
  } catch (error) {
    await state.close().catch(() => undefined);
    throw error;
  }
  const queue = new ApprovalQueue({
    store: () => openApprovalStore(state.tables),
    callerGroups: () => context.config.governance.callerGroups,
    reuseWindowMs: () => 0,
    redactText: (text) => redactor.redactText(text).value,
    redactValue: (value) => redactor.redact(value).value,
    audit: (event) => writeApprovalAuditEvent(state.audit, redactor.rulesetVersion, event),
  });
  try {
    return await run(queue, viewer(redactor), redactedOutput(redactor));
  } finally {
    await queue.dispose();
    await state.close();
  }
}

function viewer(redactor: Parameters<typeof approvalView>[1]) {
  return (record: Parameters<typeof approvalView>[0]) => approvalView(record, redactor);
}

/** A refused decision is the command's answer (exit 1), not a usage error; its message is redacted like any output. */
async function answering(output: CliOutput, action: () => Promise<number>): Promise<number> {
  try {
    return await action();
  } catch (error) {
    if (!(error instanceof ApprovalRefusal)) throw error;
    output.err(`wiam: ${error.message}`);
    return 1;
  }
}

export function registerApprovalCommands(program: Command, globals: () => GlobalOptions, guarded: (action: () => Promise<number> | number) => Promise<void>): void {
  const approvals = program
    .command("approvals")
    .description("second-person approval requests: list, show, approve or deny them as the OS user running this command (who must not be the caller)");

  approvals
    .command("list")
    .description("requests naming a group you are in (pending ones unless --status says otherwise), newest first")
    .addOption(new Option("--status <status>", "which requests").choices(STATUSES).default("pending"))
    .option("--json", "print JSON")
    .action((options: { status: ApprovalStatus | "all"; json?: boolean }) =>
      guarded(() =>
        withQueue(globals(), async (queue, show) => {
          const records = await queue.list(hostDecider(), options.status === "all" ? {} : { status: options.status });
          const views = records.map(show);
          const out = plainOutput();
          if (options.json) out.out(JSON.stringify(views, null, 2));
          else out.out(views.length === 0 ? `no ${options.status === "all" ? "" : `${options.status} `}approval requests name a group ${osUserName()} is in` : views.map(approvalListLine).join("\n"));
          return 0;
        }),
      ),
    );

  approvals
    .command("show <id>")
    .description("one request: who asks, what, about which scope, why, and who may decide")
    .option("--json", "print JSON")
    .action((id: string, options: { json?: boolean }) =>
      guarded(() =>
        withQueue(globals(), (queue, show, output) =>
          answering(output, async () => {
            const view = show(await queue.show(hostDecider(), id));
            plainOutput().out(options.json ? JSON.stringify(view, null, 2) : approvalShowLines(view).join("\n"));
            return 0;
          }),
        ),
      ),
    );

  for (const [verb, status] of [
    ["approve", "approved"],
    ["deny", "denied"],
  ] as const) {
    approvals
      .command(`${verb} <id>`)
      .description(`${verb} a pending request as the OS user running this command; recorded in the audit log`)
      .option("--note <text>", "why; recorded in the audit log (at most 500 characters)")
      .action((id: string, options: { note?: string }) =>
        guarded(() =>
          withQueue(globals(), (queue, show, output) =>
            answering(output, async () => {
              if (options.note !== undefined && options.note.length > 500) throw new UserFacingError("invalid_input", `--note: ${options.note.length} characters; at most 500`);
              const decided = show(await queue.decide(hostDecider(), id, status, options.note ?? null));
              plainOutput().out(`${decided.id} ${decided.status} by ${decided.approver ?? osUserName()}`);
              return 0;
            }),
          ),
        ),
      );
  }
}
