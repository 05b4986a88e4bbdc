/**
 * The approval admin endpoint of `wiam serve --http`, for approvers who are not on the host:
 *
 *   GET  /admin/approvals[?status=pending|approved|denied|expired|withdrawn|all]   requests naming a group of yours
 *   GET  /admin/approvals/<id>                                                     one request
 *   POST /admin/approvals/<id>/approve   {"note": "..."} (optional)                approve it
 *   POST /admin/approvals/<id>/deny      {"note": "..."} (optional)                deny it
 *
 * The same bearer token verification as /mcp (the transport calls this only with a verified
 * token), plus a scope of its own (governance.approvals.approverScopes, default wiam.approve; else
 * 403 insufficient_scope) and, when configured, an allow-list of approver OAuth clients. A token
 * from the client the request was asked through is refused. The approver is the token's issuer and subject, never a name in the body; they must be
 * in an approver group (`token:<name>` from the token's groups claim, or a governance.callerGroups
 * group listing `<issuer>|<subject>`), else 403, and never the caller of the request. Everything
 * shown is cleaned and redacted (src/approvals/present.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { Redactor } from "../../redaction/types.js";
import { inAnyApproverGroup, type CallerGroups, type Decider } from "../approvals/identity.js";
import { approvalView } from "../approvals/present.js";
import { ApprovalRefusal, type ApprovalQueue } from "../approvals/queue.js";
import { StateUnavailableError } from "../state/errors.js";
import { describeIssues } from "../util/zod-issues.js";
import { BodyTooLarge, readBody } from "./request-guards.js";
import type { VerifiedCaller } from "./token-verifier.js";

export const ADMIN_APPROVALS_PATH = "/admin/approvals";
const MAX_ADMIN_BODY_BYTES = 8_192;

export interface ApprovalAdminContext {
  queue: ApprovalQueue;
  redactor: Redactor;
  /** Every group a second-person policy in force names. */
  approverGroups: () => Iterable<string>;
  callerGroups: () => CallerGroups;
  /** Scopes a token needs here (governance.approvals.approverScopes). */
  approverScopes: () => readonly string[];
  /** When not empty, the only OAuth clients whose tokens may decide (governance.approvals.approverClientIds). */
  approverClientIds: () => readonly string[];
}

type Send = (response: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) => void;

const listQuerySchema = z.strictObject({
  status: z.enum(["pending", "approved", "denied", "expired", "withdrawn", "all"]).default("pending"),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const decisionBodySchema = z.strictObject({ note: z.string().max(500, "at most 500 characters").optional() });
const REQUEST_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** A verified token's holder as an approver. */
export function tokenDecider(verified: VerifiedCaller): Decider {
  return { name: verified.caller, subjects: [verified.authenticated.subject], tokenGroups: verified.authenticated.groups, via: "http", clientId: verified.authenticated.clientId };
}

/** Whether the path is the admin endpoint's. */
export function isApprovalAdminPath(path: string): boolean {
  return path === ADMIN_APPROVALS_PATH || path.startsWith(`${ADMIN_APPROVALS_PATH}/`);
}

export async function serveApprovalAdmin(request: IncomingMessage, response: ServerResponse, verified: VerifiedCaller, context: ApprovalAdminContext, send: Send): Promise<void> {
  const url = new URL(request.url ?? "/", "http://localhost");
  const parts = url.pathname.slice(ADMIN_APPROVALS_PATH.length).split("/").filter((part) => part.length > 0);
  const method = request.method ?? "GET";
  const decider = tokenDecider(verified);
  const problem = (status: number, error: string, description: string) => send(response, status, { error, error_description: description });

  // A token for /mcp is not enough: approving takes a scope of its own, so an agent's token cannot approve.
  const missing = context.approverScopes().filter((scope) => !verified.authenticated.scopes.includes(scope));
  if (missing.length > 0) {
    const description = `the admin endpoint needs the scope${missing.length > 1 ? "s" : ""} ${missing.join(" ")} (governance.approvals.approverScopes)`;
    return send(response, 403, { error: "insufficient_scope", error_description: description }, { "www-authenticate": `Bearer error="insufficient_scope", scope="${missing.join(" ")}"` });
  }
  const clients = context.approverClientIds();
  if (clients.length > 0 && !clients.includes(verified.authenticated.clientId)) {
    return problem(403, "forbidden", "approving is allowed only with tokens issued to the approver clients in governance.approvals.approverClientIds");
  }
  // Only approvers reach the queue at all; what each may see and decide is checked per request.
  if (!inAnyApproverGroup(decider, context.approverGroups(), context.callerGroups())) {
    return problem(403, "forbidden", "approving needs membership of a group a second-person policy names (@approvers)");
  }
  const id = parts[0];
  if (id !== undefined && !REQUEST_ID.test(id)) return problem(404, "not_found", "no such approval request");
  const verb = parts[1];
  if (parts.length > 2 || (verb !== undefined && verb !== "approve" && verb !== "deny")) return problem(404, "not_found", "no such route (see docs/governance.md)");
  const allowed = verb === undefined ? "GET" : "POST";
  if (method !== allowed) return send(response, 405, { error: "method_not_allowed", error_description: `use ${allowed}` }, { allow: allowed });

  try {
    if (id === undefined) {
      const query = listQuerySchema.safeParse(Object.fromEntries(url.searchParams));
      if (!query.success) return problem(400, "invalid_request", `query: ${describeIssues(query.error.issues)}`);
      const { status, limit } = query.data;
      const records = await context.queue.list(decider, status === "all" ? { limit } : { status, limit });
      return send(response, 200, { requests: records.map((record) => approvalView(record, context.redactor)) });
    }
    if (verb === undefined) return send(response, 200, approvalView(await context.queue.show(decider, id), context.redactor));

    let raw: Buffer;
    try {
      raw = await readBody(request, MAX_ADMIN_BODY_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLarge) return problem(413, "invalid_request", `body over ${MAX_ADMIN_BODY_BYTES} bytes`);
      throw error;
    }
    let json: unknown = {};
    if (raw.length > 0) {
      try {
        json = JSON.parse(raw.toString("utf8"));
      } catch {
        return problem(400, "invalid_request", "the body is not JSON");
      }
    }
    const body = decisionBodySchema.safeParse(json);
    if (!body.success) return problem(400, "invalid_request", `body: ${describeIssues(body.error.issues)}`);
    const decided = await context.queue.decide(decider, id, verb === "approve" ? "approved" : "denied", body.data.note ?? null);
    return send(response, 200, approvalView(decided, context.redactor));
  } catch (error) {
    if (error instanceof StateUnavailableError) return send(response, 503, { error: "temporarily_unavailable", error_description: context.redactor.redactText(error.message).value }, { "retry-after": "5" });
    if (!(error instanceof ApprovalRefusal)) throw error;
    const code = { 403: "forbidden", 404: "not_found", 409: "conflict" }[error.status];
    return problem(error.status, code, context.redactor.redactText(error.message).value);
  }
}

/** The admin endpoint's view of a running app: its queue, redactor and the approver groups of the policies in force. */
export function approvalAdminContextOf(app: { approvals: ApprovalQueue; redactor: Redactor; policySet: () => { policies: ReadonlyMap<string, { approvers: readonly string[] | null }> }; config: () => { governance: { callerGroups: CallerGroups; approvals: { approverScopes: readonly string[]; approverClientIds: readonly string[] } } } }): ApprovalAdminContext {
  return {
    queue: app.approvals,
    redactor: app.redactor,
    approverGroups: () => [...app.policySet().policies.values()].flatMap((policy) => policy.approvers ?? []),
    callerGroups: () => app.config().governance.callerGroups,
    approverScopes: () => app.config().governance.approvals.approverScopes,
    approverClientIds: () => app.config().governance.approvals.approverClientIds,
  };
}
