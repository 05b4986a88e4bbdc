/**
 * What approvers are shown of a request, on the command line and through the admin endpoint. The
 * intent, arguments and scope come from the caller and the clouds: untrusted text, shown cleaned
 * (no control or invisible characters, no live markup), capped, and redacted again on the way out.
 */
import type { Redactor } from "../../redaction/types.js";
import { capText, cleanInline, sanitizeUntrusted } from "../text/untrusted.js";
import type { ApprovalRequestRecord, ApprovalStatus } from "./types.js";

export interface ApprovalView {
  id: string;
  status: ApprovalStatus;
  tool: string;
  caller: string;
  taskId: string;
  intent: string;
  arguments: unknown;
  scope: string;
  why: string[];
  /** Per second-person policy, the groups one of whose members may decide. */
  approvers: { policyId: string; groups: string[] }[];
  requestedAt: string;
  expiresAt: string;
  decidedAt: string | null;
  approver: string | null;
  note: string | null;
}

const shownText = (text: string, max: number) => capText(cleanInline(text), max);

export function approvalView(record: ApprovalRequestRecord, redactor: Redactor): ApprovalView {
  const text = (value: string, max: number) => redactor.redactText(shownText(value, max)).value;
  return {
    id: record.id,
    status: record.status,
    tool: text(record.tool, 120),
    caller: text(record.caller, 300),
    taskId: text(record.taskId, 120),
    intent: text(record.intent, 500),
    arguments: redactor.redact(sanitizeUntrusted(record.arguments)).value,
    scope: text(record.scope, 400),
    why: record.reasons.map((reason) => text(reason, 300)),
    approvers: record.requirements.map((r) => ({ policyId: text(r.policyId, 120), groups: r.groups.map((g) => text(g, 80)) })),
    requestedAt: record.requestedAt,
    expiresAt: record.expiresAt,
    decidedAt: record.decidedAt,
    approver: record.approver === null ? null : text(record.approver, 300),
    note: record.note === null ? null : text(record.note, 500),
  };
}

/** One line per request for `wiam approvals list`; the caller's words quoted. */
export function approvalListLine(view: ApprovalView): string {
  return `${view.id}  ${view.status.padEnd(9)}  ${view.tool}  caller ${view.caller}  until ${view.expiresAt}  intent ${JSON.stringify(view.intent)}`;
}

/** `wiam approvals show`: every field, the caller's words quoted as data. */
export function approvalShowLines(view: ApprovalView): string[] {
  return [
    `request     ${view.id}`,
    `status      ${view.status}`,
    `tool        ${view.tool}`,
    `caller      ${view.caller}`,
    `task        ${JSON.stringify(view.taskId)}`,
    `intent      ${JSON.stringify(view.intent)}`,
    `arguments   ${JSON.stringify(view.arguments)}`,
    `scope       ${view.scope}`,
    `why         ${view.why.join("; ")}`,
    `approvers   ${view.approvers.map((a) => `${a.groups.join(" or ")} (policy ${a.policyId})`).join(", and ")}`,
    `requested   ${view.requestedAt}`,
    `expires     ${view.expiresAt}`,
    ...(view.decidedAt === null ? [] : [`decided     ${view.decidedAt}${view.approver === null ? "" : ` by ${view.approver}`}`]),
    ...(view.note === null ? [] : [`note        ${JSON.stringify(view.note)}`]),
  ];
}
