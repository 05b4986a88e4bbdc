/** What an audit record holds. The pipeline writes it in two steps: accepted, then completed. */
import type { CloudOperation } from "../connectors/connector.js";

export type AuditStatus = "accepted" | "ok" | "error" | "denied";
export type PolicyDecision = "allow" | "deny" | "approval_required";
export type ResponseBodyMode = "none" | "summary" | "full";

/** Written when a call is accepted, before any connector runs. */
export interface AuditAcceptance {
  sessionId: string | null;
  clientName: string | null;
  clientVersion: string | null;
  /** OS user for stdio, authenticated subject for HTTP, "cli" user for `wiam call`. */
  caller: string;
  transport: "stdio" | "http" | "cli" | "in-memory";
  tool: string;
  intent: string | null;
  taskId: string | null;
  /** Already redacted. */
  arguments: unknown;
  decision: PolicyDecision;
  /** Which rule made the decision, e.g. "allowlist", "policy:default-allow". */
  decisionRule: string;
  approver: string | null;
  redactionRulesetVersion: string;
}

export interface AuditResultSummary {
  itemCount: number;
  byteSize: number;
  /** SHA-256 (hex) of the redacted response as sent. */
  sha256: string;
  truncated: boolean;
}

/** Written when the call ends, whatever the outcome. */
export interface AuditCompletion {
  status: Exclude<AuditStatus, "accepted">;
  /** Redacted public error text, when status is error or denied. */
  error: string | null;
  credentialScope: string | null;
  cloudOperations: CloudOperation[];
  result: AuditResultSummary | null;
  /** Redaction findings counted by kind, e.g. { jwt: 2 }. */
  redactionFindings: Record<string, number>;
  /** Redacted response body, kept according to the response body setting. */
  responseBody: unknown;
  durationMs: number;
}

export interface AuditRecord extends AuditAcceptance {
  id: string;
  seq: number;
  acceptedAt: string;
  completedAt: string | null;
  status: AuditStatus;
  completion: AuditCompletion | null;
  hash: string;
  prevHash: string;
}
