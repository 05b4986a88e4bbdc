/**
 * Where approval requests live: the embedded SQLite file in the data directory (one machine: the
 * servers and `wiam approvals` on the host share it) or PostgreSQL (replicas share it). Every
 * state change is one conditional update, so two approvers, or an approver and the expiry, can
 * never both win: the first change of a pending request is the only one.
 */
import type { ApprovalBinding, ApprovalDecision, ApprovalListFilter, ApprovalRequestRecord, NewApprovalRequest } from "./types.js";

export interface ApprovalStore {
  /** Stores a new pending request and returns it with its id. */
  create(request: NewApprovalRequest): Promise<ApprovalRequestRecord>;
  get(id: string): Promise<ApprovalRequestRecord | null>;
  /** Newest first. */
  list(filter?: ApprovalListFilter): Promise<ApprovalRequestRecord[]>;
  /** Decides a request still pending and not expired at `decision.at`; null when it was not (then nothing changed). */
  decide(id: string, decision: ApprovalDecision): Promise<ApprovalRequestRecord | null>;
  /** Ends a pending request that nobody decided: "expired" once past its expiry, "withdrawn" when the caller stopped waiting. */
  close(id: string, status: "expired" | "withdrawn", at: Date): Promise<ApprovalRequestRecord | null>;
  /** The newest approved request with exactly this binding, decided at or after `decidedSince`. */
  findApproved(binding: ApprovalBinding, decidedSince: Date): Promise<ApprovalRequestRecord | null>;
  /** Removes requests made before `before` that are over (decided, or past their expiry). */
  prune(before: Date): Promise<number>;
  dispose(): Promise<void>;
}
