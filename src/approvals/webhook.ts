/**
 * Tells approvers a request is waiting: a JSON POST to the configured URL (a chat or paging
 * bridge). The payload names the request and what it is about, never a secret: the intent and
 * arguments were redacted when the call was accepted, and the cloud ids in the scope are
 * identifiers. A slow or failing endpoint is logged and never holds up the request or its decision.
 */
import type { Logger } from "../util/logger.js";
import { capText, cleanInline } from "../text/untrusted.js";
import type { ApprovalRequestRecord } from "./types.js";

export interface ApprovalWebhookSettings {
  url: string;
  timeoutSeconds: number;
}

export interface ApprovalNotice {
  requestId: string;
  caller: string;
  tool: string;
  /** The caller's words as a literal: a JSON string in a code span, so a chat shows it as text and links nothing in it. */
  intent: string;
  scope: string;
  why: string[];
  approvers: string[];
  expiresAt: string;
  /** The only link: where an approver decides (a path on this server's admin endpoint). */
  link: string;
}

/** Untrusted text as an inert literal: cleaned, capped, JSON-quoted, in a code span no backtick can close. */
export function literalOf(text: string, maxChars: number): string {
  return `\`${JSON.stringify(capText(cleanInline(text), maxChars)).replaceAll("`", "'")}\``;
}

/** The webhook's body: the request's untrusted text cleaned and capped as everywhere it is shown. */
export function noticeOf(request: ApprovalRequestRecord): ApprovalNotice {
  return {
    requestId: request.id,
    caller: request.caller,
    tool: request.tool,
    intent: literalOf(request.intent, 500),
    scope: request.scope,
    why: request.reasons,
    approvers: [...new Set(request.requirements.flatMap((r) => r.groups))],
    expiresAt: request.expiresAt,
    link: `/admin/approvals/${encodeURIComponent(request.id)}`,
  };
}

export function approvalWebhook(settings: ApprovalWebhookSettings, logger: Logger, fetchImpl: typeof fetch = fetch): (request: ApprovalRequestRecord) => void {
  return (request) => {
    const body = JSON.stringify(noticeOf(request));
    void fetchImpl(settings.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      signal: AbortSignal.timeout(settings.timeoutSeconds * 1_000),
      redirect: "error",
    })
      .then(async (response) => {
        await response.body?.cancel();
        if (!response.ok) logger.warning(`approval request ${request.id}: webhook answered HTTP ${response.status}`);
      })
      .catch((error: unknown) => logger.warning(`approval request ${request.id}: webhook failed: ${error instanceof Error ? error.message : String(error)}`));
  };
}
