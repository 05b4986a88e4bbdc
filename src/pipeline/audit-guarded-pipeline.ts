/**
 * The call pipeline with two more rules at its edge, both protecting the audit log:
 *
 * - Size: arguments larger than any valid call needs are refused before anything else (and before
 *   redaction, which would spend its time budget on them), with an error that says the limit. The
 *   refusal is audited with the arguments' size and hash instead of their content, so a caller
 *   cannot grow the log by megabytes per call.
 * - Lock and outage: a call whose acceptance cannot be written (another process holds the SQLite
 *   log past the busy timeout; the PostgreSQL state store is unreachable, read-only, or a replica
 *   held the chain's head lock too long) is refused with a clear tool error. Without this the
 *   error escapes the tool handler and the client sees a raw JSON-RPC -32603. The store records
 *   the refusal once it can write again.
 *
 * And progress messages (connector text naming scopes and projects) leave redacted, like every
 * other output: MCP notifications/progress and the CLI's progress line get them from here.
 */
import { boundedArguments, MAX_STORED_ARGUMENT_BYTES } from "../audit/bounds.js";
import { AuditLogBusyError } from "../audit/busy.js";
import { StateUnavailableError } from "../state/errors.js";
import type { Redactor } from "../../redaction/types.js";
import { CallPipeline, callerFieldsOf, type AuditSink, type PipelineDependencies, type ToolCallRequest, type ToolCallResponse } from "./call-pipeline.js";

/** Bytes of JSON one call's arguments may take; the largest valid call of any tool is a few KiB. */
export const MAX_ARGUMENT_BYTES = MAX_STORED_ARGUMENT_BYTES;

export class AuditGuardedPipeline extends CallPipeline {
  private readonly edge: { audit: AuditSink; redactor: Redactor; rulesetVersion: string };

  constructor(deps: PipelineDependencies) {
    super(deps);
    this.edge = { audit: deps.audit, redactor: deps.redactor, rulesetVersion: deps.redactor.rulesetVersion };
  }

  protected override async perform(request: ToolCallRequest): Promise<ToolCallResponse> {
    try {
      const oversized = argumentBytesOver(request.arguments, MAX_ARGUMENT_BYTES);
      if (oversized !== null) return await this.refuseOversized(request, oversized);
      const report = request.progress;
      if (report === undefined) return await super.perform(request);
      return await super.perform({ ...request, progress: (done, total, message) => report(done, total, this.redactedMessage(message)) });
    } catch (error) {
      if (error instanceof AuditLogBusyError || error instanceof StateUnavailableError) return { isError: true, text: error.message, auditId: null, status: "error" };
      throw error;
    }
  }

  private redactedMessage(message: string): string {
    try {
      return this.edge.redactor.redactText(message).value;
    } catch {
      return "collecting";
    }
  }

  private async refuseOversized(request: ToolCallRequest, bytes: number): Promise<ToolCallResponse> {
    const text = `arguments: ${bytes} bytes of JSON is over the limit of ${MAX_ARGUMENT_BYTES} bytes for one call (an intent is at most 500 characters); nothing ran`;
    const auditId = await this.edge.audit.accept({
      ...callerFieldsOf(request.caller),
      tool: request.tool,
      // The store keeps at most 500 characters of it.
      intent: intentOf(request.arguments),
      taskId: null,
      // Over the limit by definition, so stored as size and hash only.
      arguments: boundedArguments(request.arguments),
      decision: "deny",
      decisionRule: "not evaluated: arguments over the size limit",
      approver: null,
      redactionRulesetVersion: this.edge.rulesetVersion,
    });
    await this.edge.audit.complete(auditId, {
      status: "error",
      error: text,
      credentialScope: null,
      cloudOperations: [],
      result: null,
      redactionFindings: {},
      responseBody: null,
      durationMs: 0,
    });
    return { isError: true, text, auditId };
  }
}

function intentOf(args: unknown): string | null {
  if (typeof args !== "object" || args === null || !("intent" in args)) return null;
  return typeof args.intent === "string" ? args.intent : null;
}

/** The arguments' JSON size when it is over `limit`, else null. */
function argumentBytesOver(value: unknown, limit: number): number | null {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return null; // Not JSON (only in-process callers can send that): validation reports it.
  }
  if (text === undefined) return null;
  // Characters bound bytes from below: most calls are decided without encoding the text.
  if (text.length <= limit / 3) return null;
  const bytes = Buffer.byteLength(text);
  return bytes > limit ? bytes : null;
}
