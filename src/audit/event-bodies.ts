/**
 * The content of each audit event, as stored and hashed: built from what the pipeline hands over
 * with every field bounded (bounds.ts), passed field by field through the store's redaction guard,
 * and serialised as canonical JSON. Shared by the SQLite and PostgreSQL stores, so one call hashes
 * the same bytes whichever database keeps it.
 */
import { boundedArguments, boundedText, MAX_STORED_CALLER_CHARS, MAX_STORED_ERROR_CHARS, MAX_STORED_INTENT_CHARS, MAX_STORED_LABEL_CHARS } from "./bounds.js";
import { canonicalJson } from "./canonical-json.js";
import type { AcceptBody, CompleteBody, PruneBody } from "./schema.js";
import type { AuditAcceptance, AuditApproval, AuditCompletion, ResponseBodyMode, StoredResponseBody } from "./types.js";

/** Characters of the response JSON kept when the response body setting is "summary". */
export const RESPONSE_PREVIEW_CHARS = 1024;

/** The acceptance event's content, every caller-supplied field bounded. */
export function acceptBodyOf(acceptance: AuditAcceptance): AcceptBody {
  const body: AcceptBody = {
    v: 1,
    sessionId: boundedText(acceptance.sessionId, MAX_STORED_LABEL_CHARS),
    clientName: boundedText(acceptance.clientName, MAX_STORED_LABEL_CHARS),
    clientVersion: boundedText(acceptance.clientVersion, MAX_STORED_LABEL_CHARS),
    caller: boundedText(acceptance.caller, MAX_STORED_CALLER_CHARS),
    transport: acceptance.transport,
    sourceAddress: boundedText(acceptance.sourceAddress ?? null, MAX_STORED_LABEL_CHARS),
    tool: boundedText(acceptance.tool, MAX_STORED_LABEL_CHARS),
    intent: boundedText(acceptance.intent, MAX_STORED_INTENT_CHARS),
    taskId: boundedText(acceptance.taskId, MAX_STORED_LABEL_CHARS),
    arguments: boundedArguments(acceptance.arguments),
    decision: acceptance.decision,
    decisionRule: acceptance.decisionRule,
    approver: boundedText(acceptance.approver, MAX_STORED_LABEL_CHARS),
    policyIds: acceptance.policyIds ?? [],
    approval: acceptance.approval ? approvalBodyOf(acceptance.approval) : null,
    redactionRulesetVersion: acceptance.redactionRulesetVersion,
  };
  return body;
}

/**
 * The approval as stored: outcome and note always; kind, request id, reuse and decision time only
 * when set, so rows written before second-person approvals hash exactly as they did.
 */
function approvalBodyOf(approval: AuditApproval): NonNullable<AcceptBody["approval"]> {
  const optional = {
    ...(approval.kind === undefined ? {} : { kind: approval.kind }),
    ...(approval.requestId === undefined ? {} : { requestId: boundedText(approval.requestId, MAX_STORED_LABEL_CHARS) }),
    ...(approval.reusedFrom === undefined ? {} : { reusedFrom: boundedText(approval.reusedFrom, MAX_STORED_LABEL_CHARS) }),
    ...(approval.decidedAt === undefined ? {} : { decidedAt: boundedText(approval.decidedAt, MAX_STORED_LABEL_CHARS) }),
  };
  return { outcome: approval.outcome, note: boundedText(approval.note, MAX_STORED_ERROR_CHARS), ...optional };
}

/** The completion event's content; the response body kept as the setting says. */
export function completeBodyOf(completion: AuditCompletion, responseBody: ResponseBodyMode): CompleteBody {
  const body: CompleteBody = {
    v: 1,
    status: completion.status,
    error: boundedText(completion.error, MAX_STORED_ERROR_CHARS),
    credentialScope: completion.credentialScope,
    cloudOperations: completion.cloudOperations,
    result: completion.result,
    redactionFindings: completion.redactionFindings,
    responseBody: storeResponseBody(responseBody, completion.responseBody),
    durationMs: completion.durationMs,
    // Only when one was asked, so records without it hash exactly as before.
    ...(completion.reviewApproval
      ? {
          reviewApproval: {
            outcome: boundedText(completion.reviewApproval.outcome, MAX_STORED_ERROR_CHARS),
            approver: boundedText(completion.reviewApproval.approver, MAX_STORED_ERROR_CHARS),
            note: boundedText(completion.reviewApproval.note, MAX_STORED_ERROR_CHARS),
          },
        }
      : {}),
  };
  return body;
}

/** The event's stored text: guarded, then canonical JSON (exactly the bytes that are hashed). */
/**
 * A call the log could not take (locked, or the shared database away) is still a call: the two
 * events that record it as refused before running, written once the log takes them again.
 */
export function refusalEventsOf(body: AcceptBody, decisionRule: string, error: string, durationMs: number): { refused: AcceptBody; completion: CompleteBody } {
  const refused: AcceptBody = { ...body, decision: "deny", decisionRule };
  const completion: CompleteBody = {
    v: 1,
    status: "error",
    error,
    credentialScope: null,
    cloudOperations: [],
    result: null,
    redactionFindings: {},
    responseBody: { mode: "none" },
    durationMs,
  };
  return { refused, completion };
}

export function serializeEvent(body: AcceptBody | CompleteBody | PruneBody, redactText: ((text: string) => string) | undefined): string {
  return canonicalJson(guardBody(body, redactText));
}

/**
 * The safety net runs over the fields that hold data from outside (intent, arguments, names,
 * notes, error text, the response), one field at a time. What the store and the pipeline compute
 * (counts such as redactionFindings, hashes, sizes, cloud operations, decisions) is never passed
 * through it: a redactor rewriting `{"jwt": 1}` made a row unreadable for every review command.
 */
function guardBody<T extends AcceptBody | CompleteBody | PruneBody>(body: T, redact: ((text: string) => string) | undefined): T {
  if (redact === undefined) return body;
  const text = (value: string | null): string | null => (value === null ? null : redact(value));
  const json = (value: unknown): unknown => guardJson(redact, value);
  if ("tool" in body) {
    const guarded: AcceptBody = {
      ...body,
      tool: redact(body.tool),
      clientName: text(body.clientName),
      clientVersion: text(body.clientVersion),
      caller: redact(body.caller),
      sourceAddress: text(body.sourceAddress),
      intent: text(body.intent),
      arguments: json(body.arguments),
      approver: text(body.approver),
      approval: body.approval ? { ...body.approval, note: text(body.approval.note) } : (body.approval ?? null),
    };
    return guarded as T;
  }
  if ("status" in body) {
    const stored = body.responseBody;
    const guarded: CompleteBody = {
      ...body,
      error: text(body.error),
      credentialScope: text(body.credentialScope),
      responseBody:
        stored.mode === "summary" ? { ...stored, preview: redact(stored.preview) } : stored.mode === "full" ? { mode: "full", body: json(stored.body) } : stored,
    };
    return guarded as T;
  }
  return body;
}

/** A JSON value through a text guard, as JSON text; a guard that breaks the JSON writes nothing. */
function guardJson(redact: (text: string) => string, value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  const text = canonicalJson(value);
  const redacted = redact(text);
  if (redacted === text) return value;
  try {
    return JSON.parse(redacted) as unknown;
  } catch {
    throw new Error("the audit redactText guard returned invalid JSON; the event was not written");
  }
}

export function storeResponseBody(mode: ResponseBodyMode, body: unknown): StoredResponseBody {
  switch (mode) {
    case "none":
      return { mode: "none" };
    case "summary": {
      // A string (the text the model saw) is previewed as is, anything else as its JSON text.
      const text = typeof body === "string" ? body : canonicalJson(body);
      return { mode: "summary", preview: text.slice(0, RESPONSE_PREVIEW_CHARS), truncated: text.length > RESPONSE_PREVIEW_CHARS };
    }
    case "full":
      return { mode: "full", body: body ?? null };
  }
}
