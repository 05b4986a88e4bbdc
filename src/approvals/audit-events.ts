/**
 * Each step of an approval request's life as a record in the audit chain, beside the calls: the
 * request (by the caller), the decision or a refused attempt (by the approver, with the note),
 * and the expiry. They are written like calls to an `approvals/<step>` tool, so `wiam audit
 * search --tool approvals/approve` and export find them, and the call that waited records the same
 * request id (or the approval it reused) in its own acceptance.
 */
import type { AuditTransport } from "../audit/types.js";
import type { AuditSink } from "../pipeline/call-pipeline.js";
import type { ApprovalAuditEvent } from "./queue.js";

/** An audit sink whose appends may be asynchronous (the shared state store's are). */
export type ApprovalAuditSink = {
  accept(acceptance: Parameters<AuditSink["accept"]>[0]): string | Promise<string>;
  complete(id: string, completion: Parameters<AuditSink["complete"]>[1]): void | Promise<void>;
};

const TRANSPORTS: readonly AuditTransport[] = ["stdio", "http", "cli", "in-memory"];

const RULES: Record<ApprovalAuditEvent["action"], string> = {
  request: "approvals: a second-person policy holds the call",
  approve: "approvals: approved by a member of an approver group who is not the caller",
  deny: "approvals: denied by a member of an approver group who is not the caller",
  refuse: "approvals: decision refused",
  expire: "approvals: no decision before the request expired",
};

export async function writeApprovalAuditEvent(sink: ApprovalAuditSink, redactionRulesetVersion: string, event: ApprovalAuditEvent): Promise<void> {
  const { request, action } = event;
  const decided = action === "approve" || action === "deny";
  const id = await sink.accept({
    sessionId: null,
    clientName: null,
    clientVersion: null,
    caller: event.actor,
    transport: TRANSPORTS.find((t) => t === event.via) ?? "in-memory",
    tool: `approvals/${action}`,
    intent: null,
    taskId: request.taskId,
    arguments: {
      requestId: request.id,
      tool: request.tool,
      caller: request.caller,
      argumentsHash: request.argumentsHash,
      policyVersion: request.policyVersion,
      ...(event.note === null ? {} : { note: event.note }),
    },
    decision: action === "refuse" ? "deny" : "allow",
    decisionRule: RULES[action],
    approver: decided ? event.actor : null,
    policyIds: request.requirements.map((r) => r.policyId),
    approval: decided
      ? { outcome: action === "approve" ? "approved" : "declined", note: event.note, kind: "second-person", requestId: request.id, ...(request.decidedAt ? { decidedAt: request.decidedAt } : {}) }
      : null,
    redactionRulesetVersion,
  });
  await sink.complete(id, {
    status: action === "refuse" ? "denied" : "ok",
    error: event.refusal ?? null,
    credentialScope: null,
    cloudOperations: [],
    result: null,
    redactionFindings: {},
    responseBody: null,
    durationMs: 0,
  });
}
