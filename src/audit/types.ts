/** What an audit record holds. The pipeline writes it in two steps: accepted, then completed. */
import type { CloudOperation } from "../model/cloud-operation.js";

export type AuditStatus = "accepted" | "ok" | "error" | "denied";
export type PolicyDecision = "allow" | "deny" | "approval_required";
export type ResponseBodyMode = "none" | "summary" | "full";
export type AuditTransport = "stdio" | "http" | "cli" | "in-memory";

/**
 * A person's answer as the acceptance records it. A second person's approval names its request in
 * the approval queue, or the earlier approval of an identical call in the same task it reuses.
 */
export interface AuditApproval {
  outcome: string;
  note: string | null;
  /** "second-person" (an approver from the policy's group) or "self-confirmation" (the caller's own client or terminal). */
  kind?: "second-person" | "self-confirmation" | undefined;
  requestId?: string | null | undefined;
  reusedFrom?: string | null | undefined;
  decidedAt?: string | null | undefined;
}

/** Written when a call is accepted, before any connector runs. */
export interface AuditAcceptance {
  sessionId: string | null;
  clientName: string | null;
  clientVersion: string | null;
  /** OS user for stdio, authenticated subject for HTTP, "cli" user for `wiam call`. */
  caller: string;
  transport: AuditTransport;
  /** Peer address for HTTP when known (becomes OCSF src_endpoint.ip). */
  sourceAddress?: string | null;
  tool: string;
  intent: string | null;
  taskId: string | null;
  /** Already redacted. */
  arguments: unknown;
  decision: PolicyDecision;
  /** Which rule made the decision, e.g. "allowlist", "policy:default-allow". */
  decisionRule: string;
  approver: string | null;
  /** Cedar policies that determined the decision (permits for allow, forbids for deny/approval). */
  policyIds?: string[];
  /** When a person was asked: their answer ("approved", "declined", "timeout", ...) and note. */
  approval?: AuditApproval | null;
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
  /** Redacted response body; the store keeps it according to the response body setting. */
  responseBody: unknown;
  durationMs: number;
  /**
   * The approval asked for what the answer revealed (answer review, after the call ran), when one
   * was asked: outcome, who answered, and the note (e.g. a self-confirmation over HTTP).
   */
  reviewApproval?: { outcome: string; approver: string | null; note: string | null } | null;
}

/** The response body as stored: nothing, a bounded preview of its JSON text, or all of it. */
export type StoredResponseBody =
  | { mode: "none" }
  | { mode: "summary"; preview: string; truncated: boolean }
  | { mode: "full"; body: unknown };

export interface StoredCompletion extends Omit<AuditCompletion, "responseBody"> {
  responseBody: StoredResponseBody;
}

/** One call as read back: the acceptance event joined with its completion event (if any). */
export interface AuditRecord extends AuditAcceptance {
  id: string;
  /** Sequence number of the acceptance event in the chain. */
  seq: number;
  acceptedAt: string;
  completedAt: string | null;
  /** "accepted" means no completion was written (still running, or the process died). */
  status: AuditStatus;
  completion: StoredCompletion | null;
  /** Chain hash of the acceptance event and of the completion event. */
  hash: string;
  prevHash: string;
  completionSeq: number | null;
  completionHash: string | null;
}

export interface AuditFilter {
  /** Inclusive lower bound on acceptedAt (ISO 8601 or Date). */
  since?: string | Date;
  /** Exclusive upper bound on acceptedAt. */
  until?: string | Date;
  tool?: string;
  status?: AuditStatus;
  taskId?: string;
  caller?: string;
  sessionId?: string;
  /** Case-insensitive substring of the intent. */
  intentContains?: string;
  limit?: number;
  /** "desc" (default for search) lists newest first. */
  order?: "asc" | "desc";
}

export interface DurationStats {
  count: number;
  medianMs: number | null;
  p95Ms: number | null;
}

export interface AuditStats {
  calls: number;
  byStatus: Record<AuditStatus, number>;
  byDecision: Record<string, number>;
  byTool: Record<string, { calls: number; errors: number; denied: number } & DurationStats>;
  durations: DurationStats;
  cloudOperations: number;
  redactionFindings: Record<string, number>;
  firstAt: string | null;
  lastAt: string | null;
}

/** A signed statement "the chain had this hash at this seq", meant to be kept outside the data dir. */
export interface AuditCheckpoint {
  seq: number;
  headHash: string;
  createdAt: string;
  /** Ed25519 public key, base64 of the SPKI DER encoding. */
  publicKey: string;
  /** Ed25519 signature, base64. */
  signature: string;
}

export type ChainBreakReason =
  | "hash_mismatch"
  | "missing"
  | "reordered"
  | "prev_mismatch"
  | "checkpoint_mismatch"
  | "anchor_mismatch";

export interface ChainBreak {
  seq: number;
  /** Call id of the event found at that position; null when the event is missing. */
  id: string | null;
  reason: ChainBreakReason;
  detail: string;
}

export interface VerifyOptions {
  checkpoints?: readonly AuditCheckpoint[];
  /** When given, checkpoints signed by any other key fail. */
  trustedPublicKeys?: readonly string[];
}

export interface VerifyResult {
  ok: boolean;
  /** Events whose hash and link were checked. */
  checked: number;
  /** Seq the chain starts from (1, or the retention anchor). */
  firstSeq: number;
  headSeq: number;
  headHash: string;
  checkpointsVerified: number;
  /** Checkpoints older than the retention anchor: their rows are gone, so they cannot be checked. */
  checkpointsPruned: number;
  firstBroken?: ChainBreak;
}

export interface PruneResult {
  /** Null when no retention period is set (nothing is pruned). */
  cutoff: string | null;
  removedCalls: number;
  removedEvents: number;
  /** Seq the remaining chain starts from. */
  anchorSeq: number;
}
