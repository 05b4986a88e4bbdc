/**
 * Where approval requests live: the embedded SQLite file in the data directory (one machine: the
 * servers and `wiam approvals` on the host share it) or PostgreSQL (replicas share it). Every
 * state change is one conditional update, so two approvers, or an approver and the expiry, can
 * never both win: the first change of a pending request is the only one.
 */
import type { ApprovalBinding, ApprovalDecision, ApprovalListFilter, ApprovalRequestRecord, NewApprovalRequest } from "./types.js";

/** What storing a new request did, decided in one transaction so concurrent calls cannot overrun the cap. */
export type CreateOutcome =
  /** A new pending request. */
  | { kind: "created"; record: ApprovalRequestRecord }
  /** An identical call (same binding) is already waiting: this one waits on that request instead of adding another. */
  | { kind: "joined"; record: ApprovalRequestRecord }
  /** The caller already has `pending` requests waiting, the most allowed. */
  | { kind: "over-limit"; pending: number };

export interface CreateLimits {
  /** How many unexpired pending requests one caller may have at once. */
  maxPendingPerCaller: number;
}

export interface ApprovalStore {
  /**
   * Stores a new pending request, unless an identical one (same binding, unexpired) is pending,
   * which is returned instead, or the caller is at the cap.
   */
  create(request: NewApprovalRequest, limits: CreateLimits): Promise<CreateOutcome>;
  get(id: string): Promise<ApprovalRequestRecord | null>;
  /** Newest first; with `groups`, only requests naming one of them, filtered before the limit. */
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
