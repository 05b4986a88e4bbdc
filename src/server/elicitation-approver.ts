/**
 * Human approval over MCP elicitation: the person at the client sees the tool, the scope, the
 * intent and why approval is needed, and answers. No elicitation support, a refusal, an invalid
 * answer or no answer in time all mean "not approved"; the call has not run at that point.
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import type { ApprovalAnswer, ApprovalRequest, Approver } from "../governance/governor.js";
import { capText, cleanInline, stripInvisible } from "../text/untrusted.js";

const REQUESTED_SCHEMA = {
  type: "object" as const,
  properties: {
    approve: { type: "boolean" as const, title: "Approve this query", description: "Run it once, as described above." },
    approver: { type: "string" as const, title: "Your name", description: "Recorded in the audit log as the approver.", maxLength: 120 },
    note: { type: "string" as const, title: "Note (optional)", description: "Why you approve or refuse; recorded in the audit log.", maxLength: 500 },
  },
  required: ["approve"],
};

/** Anything the caller or a cloud wrote, shown as a quoted, cleaned, capped string with no live markup. */
function shown(text: string): string {
  return JSON.stringify(capText(cleanInline(text), 300));
}

function describeScope(request: ApprovalRequest): string {
  const { scope } = request;
  if (scope.estateWide) return scope.provider ? `all of ${scope.provider}` : "the whole estate";
  return `${scope.kind} ${shown(scope.id)} (environment: ${scope.environment})`;
}

/** The message shown to the person; our own words, with the caller's intent quoted as data. */
export function approvalMessage(request: ApprovalRequest): string {
  return [
    "An AI assistant asks to run a read-only identity query that needs your approval.",
    `Tool: ${request.tool}`,
    ...(["principal", "action", "resource"] as const).flatMap((key) => {
      const value = request.arguments[key];
      return value === undefined ? [] : [`${key[0]?.toUpperCase()}${key.slice(1)}: ${shown(value)}`];
    }),
    `Scope: ${describeScope(request)}`,
    `Stated intent: ${shown(request.intent)}`,
    `Task: ${request.taskId}`,
    `Why approval is needed: ${request.reasons.join("; ")}`,
    "Nothing runs unless you approve.",
  ].join("\n");
}

export interface ElicitationApproverOptions {
  server: Server;
  /** Default approver name: the caller and client, when the person leaves the name empty. */
  defaultApprover: string;
  relatedRequestId?: string | number | undefined;
  /**
   * The call runs as an MCP task: the question goes through the task's message queue (the client
   * reads it with tasks/result), and the task shows as waiting for the client meanwhile.
   */
  task?: { taskId: string; waitingForClient(waiting: boolean): Promise<void> } | undefined;
  /**
   * The client that answers is the caller's own (HTTP): the answer is recorded as a
   * self-confirmation, not a second person's approval (that needs a separate approver).
   */
  selfConfirmation?: boolean | undefined;
}

/** The audit note of an answer the caller's own client gave. */
export const SELF_CONFIRMATION_NOTE = "self-confirmation: answered by the caller's own MCP client over HTTP, not by a second person";

function withSelfConfirmation(answer: ApprovalAnswer): ApprovalAnswer {
  return { ...answer, note: answer.note === null ? SELF_CONFIRMATION_NOTE : `${SELF_CONFIRMATION_NOTE}; note: ${answer.note}` };
}

export function elicitationApprover(options: ElicitationApproverOptions): Approver {
  const ask = askThroughElicitation(options);
  if (!options.selfConfirmation) return ask;
  return async (request, signal) => {
    const answer = await ask(request, signal);
    // Only an answer someone (or something) at the client gave is a confirmation; no answer is not.
    return answer.outcome === "approved" || answer.outcome === "declined" || answer.outcome === "cancelled" ? withSelfConfirmation(answer) : answer;
  };
}

function askThroughElicitation(options: ElicitationApproverOptions): Approver {
  return async (request, signal): Promise<ApprovalAnswer> => {
    const capabilities = options.server.getClientCapabilities();
    if (!capabilities?.elicitation) return { outcome: "unsupported", approver: null, note: null };
    const task = options.task;
    const related = task !== undefined ? { relatedTask: { taskId: task.taskId } } : options.relatedRequestId !== undefined ? { relatedRequestId: options.relatedRequestId } : {};
    await task?.waitingForClient(true);
    try {
      const result = await options.server.elicitInput(
        { mode: "form", message: approvalMessage(request), requestedSchema: REQUESTED_SCHEMA },
        { timeout: request.timeoutMs, ...(signal ? { signal } : {}), ...related },
      );
      const content = result.content ?? {};
      const named = typeof content.approver === "string" ? stripInvisible(content.approver).trim().slice(0, 120) : "";
      const approver = named.length > 0 ? `${named} (as ${options.defaultApprover})` : options.defaultApprover;
      const note = typeof content.note === "string" && content.note.trim().length > 0 ? stripInvisible(content.note).trim().slice(0, 500) : null;
      if (result.action === "accept") return { outcome: content.approve === true ? "approved" : "declined", approver, note };
      return { outcome: result.action === "decline" ? "declined" : "cancelled", approver, note: null };
    } catch (error) {
      if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) return { outcome: "timeout", approver: null, note: null };
      if (error instanceof Error && /does not support/.test(error.message)) return { outcome: "unsupported", approver: null, note: null };
      return { outcome: "failed", approver: null, note: null };
    } finally {
      await task?.waitingForClient(false);
    }
  };
}
