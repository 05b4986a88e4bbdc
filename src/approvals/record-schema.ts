/**
 * The shape of a stored approval request, checked when it is read back: a row may have been edited
 * by hand, and what comes out is shown to approvers and decides whether a call runs.
 */
import { z } from "zod";
import type { ApprovalRequestRecord, NewApprovalRequest } from "./types.js";

const requirementSchema = z.object({ policyId: z.string(), groups: z.array(z.string()) });

export const approvalRowSchema = z.object({
  id: z.string(),
  status: z.enum(["pending", "approved", "denied", "expired", "withdrawn"]),
  tool: z.string(),
  arguments_hash: z.string(),
  caller: z.string(),
  caller_subject: z.string(),
  caller_client_id: z.string(),
  task_key: z.string(),
  task_id: z.string(),
  policy_version: z.string(),
  intent: z.string(),
  arguments: z.string(),
  scope: z.string(),
  reasons: z.string(),
  requirements: z.string(),
  requested_at: z.string(),
  expires_at: z.string(),
  decided_at: z.string().nullable(),
  approver: z.string().nullable(),
  note: z.string().nullable(),
});
export type ApprovalRow = z.infer<typeof approvalRowSchema>;

/** A stored row as a record; throws naming the request when the row does not have the stored shape. */
export function recordOfRow(raw: unknown): ApprovalRequestRecord {
  const parsed = approvalRowSchema.safeParse(raw);
  const id = typeof raw === "object" && raw !== null && "id" in raw ? String((raw as { id: unknown }).id) : "?";
  if (!parsed.success) throw new Error(`approval request ${id}: stored row is malformed`);
  const row = parsed.data;
  const json = <T>(text: string, schema: z.ZodType<T>, field: string): T => {
    const value = schema.safeParse(JSON.parse(text));
    if (!value.success) throw new Error(`approval request ${id}: stored ${field} is malformed`);
    return value.data;
  };
  return {
    id: row.id,
    status: row.status,
    tool: row.tool,
    argumentsHash: row.arguments_hash,
    caller: row.caller,
    callerSubject: row.caller_subject,
    callerClientId: row.caller_client_id,
    taskKey: row.task_key,
    taskId: row.task_id,
    policyVersion: row.policy_version,
    intent: row.intent,
    arguments: JSON.parse(row.arguments) as unknown,
    scope: row.scope,
    reasons: json(row.reasons, z.array(z.string()), "reasons"),
    requirements: json(row.requirements, z.array(requirementSchema), "requirements"),
    requestedAt: row.requested_at,
    expiresAt: row.expires_at,
    decidedAt: row.decided_at,
    approver: row.approver,
    note: row.note,
  };
}

/** The column values of a new request, in the order of APPROVAL_COLUMNS. */
export const APPROVAL_COLUMNS = [
  "id",
  "status",
  "tool",
  "arguments_hash",
  "caller",
  "caller_subject",
  "task_key",
  "task_id",
  "policy_version",
  "intent",
  "arguments",
  "scope",
  "reasons",
  "requirements",
  "requested_at",
  "expires_at",
  "caller_client_id",
] as const;

/** A new request's values, in the order of APPROVAL_COLUMNS. */
export function columnValuesOf(id: string, request: NewApprovalRequest): (string | null)[] {
  return [
    id,
    "pending",
    request.tool,
    request.argumentsHash,
    request.caller,
    request.callerSubject,
    request.taskKey,
    request.taskId,
    request.policyVersion,
    request.intent,
    JSON.stringify(request.arguments ?? null),
    request.scope,
    JSON.stringify(request.reasons),
    JSON.stringify(request.requirements),
    request.requestedAt.toISOString(),
    request.expiresAt.toISOString(),
    request.callerClientId,
  ];
}
