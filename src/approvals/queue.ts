/**
 * The approval queue: a call that a second-person policy holds puts a request here and waits; an
 * approver decides through `wiam approvals` on the host or the HTTP admin endpoint, from any
 * process or replica that shares the store. The waiting call polls the store (another process may
 * decide) and is woken at once when the decision is made in its own process.
 *
 * A request binds to one exact call (tool, canonical arguments hash, caller, task, policy
 * version); an identical call in the same task reuses an approval instead of asking again, and
 * the answer names the approval it reuses. A request is pending until decided, withdrawn (the
 * caller stopped waiting) or expired (governance.approvalTimeoutSeconds).
 */
import type { ApprovalAnswer, SecondPersonRequest } from "../governance/governor.js";
import type { ScopeEntity } from "../governance/policy-engine.js";
import { capText, cleanInline, stripInvisible } from "../text/untrusted.js";
import { StateUnavailableError } from "../state/errors.js";
import type { Logger } from "../util/logger.js";
import { approverGroupsOf, isTheCaller, unmetRequirements, inAnyApproverGroup, type CallerGroups, type Decider } from "./identity.js";
import type { ApprovalStore } from "./store.js";
import type { ApprovalListFilter, ApprovalRequestRecord, ApprovalStatus } from "./types.js";

/** What the audit chain gets for each step of a request's life. */
export interface ApprovalAuditEvent {
  action: "request" | "approve" | "deny" | "refuse" | "expire";
  request: ApprovalRequestRecord;
  /** Who acted: the caller (request), the approver (approve, deny, refuse), or the server (expire). */
  actor: string;
  /** The transport it came through (the caller's for a request). */
  via: string;
  note: string | null;
  /** Why a decision was refused. */
  refusal?: string | undefined;
}

export interface ApprovalQueueOptions {
  /** Opened on first use: a server whose policies never ask a second person creates no file. */
  store: () => Promise<ApprovalStore>;
  callerGroups: () => CallerGroups;
  now?: () => Date;
  /** How often a waiting call reads the store for a decision made elsewhere. */
  pollIntervalMs?: number;
  /** How many requests one caller may have waiting at once (governance.approvals.maxPendingPerCaller); default 20. */
  maxPendingPerCaller?: (() => number) | undefined;
  /** How long an approval is good for identical calls in the same task (a task's maximum lifetime); 0 turns reuse off. */
  reuseWindowMs: () => number;
  /** Requests over for longer than this are removed when the queue is first used (with the audit records that tell their story). */
  retentionMs?: (() => number) | undefined;
  /** Redacts text an approver typed (their note) before it is stored. */
  redactText: (text: string) => string;
  /** Redacts a call's arguments before they are stored, as the audit log does (field-name rules included). */
  redactValue: (value: unknown) => unknown;
  /** Tells approvers a request is waiting (the webhook); never blocks the request. */
  notify?: ((request: ApprovalRequestRecord) => void) | undefined;
  /** Writes the step to the audit chain; awaited, so a step that cannot be audited fails. */
  audit?: ((event: ApprovalAuditEvent) => void | Promise<void>) | undefined;
  logger?: Logger | undefined;
}

/** A decision the queue refuses: HTTP status and a message naming the problem. */
export class ApprovalRefusal extends Error {
  constructor(
    readonly status: 403 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = "ApprovalRefusal";
  }
}

const MAX_NOTE_CHARS = 500;

/** Stored text put into a message a terminal prints (`wiam approvals`): no escapes, no line breaks, capped. */
function shown(text: string): string {
  return capText(cleanInline(text), 200);
}
const DEFAULT_POLL_MS = 1_000;
export const DEFAULT_MAX_PENDING_PER_CALLER = 20;

/** The scope a call is about, in the words an approver reads (ids quoted: they come from the clouds). */
export function scopeInWords(scope: ScopeEntity): string {
  if (scope.estateWide) return scope.provider ? `all of ${scope.provider}` : "the whole estate";
  return `${scope.kind} ${JSON.stringify(capText(cleanInline(scope.id), 300))} (environment: ${scope.environment})`;
}

function answerOf(record: ApprovalRequestRecord): ApprovalAnswer {
  const outcomes: Record<Exclude<ApprovalStatus, "pending">, ApprovalAnswer["outcome"]> = { approved: "approved", denied: "declined", expired: "timeout", withdrawn: "cancelled" };
  const outcome = record.status === "pending" ? "failed" : outcomes[record.status];
  return { outcome, approver: record.approver, note: record.note, kind: "second-person", requestId: record.id, reusedFrom: null, decidedAt: record.decidedAt };
}

export class ApprovalQueue {
  private readonly now: () => Date;
  private readonly pollIntervalMs: number;
  /** Calls of this process waiting on a request, woken when it is decided here. */
  private readonly waiters = new Map<string, Set<() => void>>();
  private opened: Promise<ApprovalStore> | null = null;

  constructor(private readonly options: ApprovalQueueOptions) {
    this.now = options.now ?? (() => new Date());
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_MS;
  }

  private store(): Promise<ApprovalStore> {
    this.opened ??= this.options.store().then(
      async (store) => {
        const retentionMs = this.options.retentionMs?.();
        if (retentionMs !== undefined) {
          const removed = await store.prune(new Date(this.now().getTime() - retentionMs)).catch(() => 0);
          if (removed > 0) this.options.logger?.info(`approval retention: removed ${removed} approval requests that were over`);
        }
        return store;
      },
      (error: unknown) => {
        this.opened = null;
        throw error;
      },
    );
    return this.opened;
  }

  /** Puts the call's request in the queue (or reuses an approval of the identical call in its task) and waits for the outcome. */
  async ask(request: SecondPersonRequest, signal?: AbortSignal): Promise<ApprovalAnswer> {
    const store = await this.store();
    const now = this.now();
    const reuseWindowMs = this.options.reuseWindowMs();
    if (reuseWindowMs > 0) {
      const earlier = await store.findApproved(request.binding, new Date(now.getTime() - reuseWindowMs));
      // It stands only for the policies it was asked under (an answer's review may ask another group).
      const covered = new Set(earlier?.requirements.map((r) => r.policyId) ?? []);
      if (earlier !== null && request.requirements.every((r) => covered.has(r.policyId))) return { ...answerOf(earlier), requestId: null, reusedFrom: earlier.id };
    }
    const maxPending = this.options.maxPendingPerCaller?.() ?? DEFAULT_MAX_PENDING_PER_CALLER;
    const created = await store.create(
      {
        ...request.binding,
        callerSubject: request.callerSubject,
        callerClientId: request.callerClientId,
        taskId: request.taskId,
        intent: request.intent,
        // Stored as the audit log stores arguments: redacted (a filter can carry pasted text).
        arguments: this.options.redactValue(request.askedArguments),
        scope: scopeInWords(request.scope),
        reasons: request.reasons,
        requirements: request.requirements,
        requestedAt: now,
        expiresAt: new Date(now.getTime() + request.timeoutMs),
      },
      { maxPendingPerCaller: maxPending },
    );
    if (created.kind === "over-limit") {
      const refusal = `refused: you already have ${created.pending} approval requests waiting for a second person, the most allowed (governance.approvals.maxPendingPerCaller: ${maxPending}); the call was not run and nothing was queued. Wait for those to be decided, or cancel their calls, then call again`;
      return { outcome: "failed", approver: null, note: null, kind: "second-person", requestId: null, refusal };
    }
    // The identical call is already waiting: wait on its request rather than queue a duplicate.
    if (created.kind === "joined") return this.waitFor(store, created.record.id, request.callerTransport, signal);
    const record = created.record;
    try {
      await this.options.audit?.({ action: "request", request: record, actor: record.caller, via: request.callerTransport, note: null });
    } catch (error) {
      // A request that cannot be audited must not be decided: nobody will see it as pending.
      await store.close(record.id, "withdrawn", this.now()).catch(() => null);
      throw error;
    }
    try {
      this.options.notify?.(record);
    } catch (error) {
      this.options.logger?.warning(`approval request ${record.id}: notification failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    return this.waitFor(store, record.id, request.callerTransport, signal);
  }

  private async waitFor(store: ApprovalStore, id: string, transport: string, signal: AbortSignal | undefined): Promise<ApprovalAnswer> {
    for (;;) {
      const current = await store.get(id);
      if (current === null) return { outcome: "failed", approver: null, note: null, kind: "second-person", requestId: id };
      if (current.status !== "pending") return answerOf(current);
      const now = this.now();
      const left = Date.parse(current.expiresAt) - now.getTime();
      if (left <= 0) {
        const closed = await this.expire(store, current, transport, now);
        if (closed !== null) return answerOf(closed);
        continue; // Decided in the same instant: read the decision.
      }
      if (signal?.aborted) {
        const closed = await store.close(id, "withdrawn", now);
        if (closed !== null) return answerOf(closed);
        continue;
      }
      await this.pause(id, Math.min(this.pollIntervalMs, left), signal);
    }
  }

  /** Waits for the next poll, a decision in this process, or the caller giving up, whichever comes first. */
  private pause(id: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const waiters = this.waiters.get(id) ?? new Set<() => void>();
      this.waiters.set(id, waiters);
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        waiters.delete(done);
        if (waiters.size === 0) this.waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /** Requests the decider may see: those naming one of their groups (all of them on the host with `all`). */
  async list(decider: Decider, filter: ApprovalListFilter = {}): Promise<ApprovalRequestRecord[]> {
    const store = await this.store();
    const groups = this.options.callerGroups();
    const records = await store.list({ ...filter, groups: approverGroupsOf(decider, groups) });
    const visible = records.filter((record) => inAnyApproverGroup(decider, record.requirements.flatMap((r) => r.groups), groups));
    // A request whose caller stopped waiting without closing it (the process ended) is over at its expiry.
    const now = this.now();
    const current = await Promise.all(visible.map(async (record) => (record.status === "pending" && Date.parse(record.expiresAt) <= now.getTime() ? ((await this.expire(store, record, decider.via, now)) ?? record) : record)));
    return filter.status === undefined ? current : current.filter((record) => record.status === filter.status);
  }

  private async expire(store: ApprovalStore, record: ApprovalRequestRecord, via: string, at: Date): Promise<ApprovalRequestRecord | null> {
    const closed = await store.close(record.id, "expired", at);
    if (closed !== null) await this.options.audit?.({ action: "expire", request: closed, actor: "server", via, note: null });
    return closed;
  }

  /** One request, if the decider may see it (it names one of their groups); else a 404 as for an unknown id. */
  async show(decider: Decider, id: string): Promise<ApprovalRequestRecord> {
    const record = await (await this.store()).get(id);
    const groups = this.options.callerGroups();
    if (record === null || !inAnyApproverGroup(decider, record.requirements.flatMap((r) => r.groups), groups)) {
      throw new ApprovalRefusal(404, `no approval request ${JSON.stringify(capText(cleanInline(id), 64))} that you may see`);
    }
    return record;
  }

  /**
   * Approves or denies a pending request. Refused (and audited as refused) when the decider is the
   * caller, is in none of the groups a policy names, or the request is no longer pending.
   */
  async decide(decider: Decider, id: string, status: "approved" | "denied", rawNote: string | null): Promise<ApprovalRequestRecord> {
    const store = await this.store();
    const record = await this.show(decider, id).catch(async (error: unknown) => {
      // The caller may not be in an approver group at all: their attempt is still refused as theirs.
      const own = await store.get(id);
      if (own !== null && isTheCaller(decider, own)) return own;
      throw error;
    });
    const note = rawNote === null || rawNote.trim() === "" ? null : this.options.redactText(capText(stripInvisible(rawNote).trim(), MAX_NOTE_CHARS));
    const refuse = async (code: 403 | 409, message: string): Promise<never> => {
      await this.options.audit?.({ action: "refuse", request: record, actor: decider.name, via: decider.via, note, refusal: message });
      throw new ApprovalRefusal(code, message);
    };
    if (isTheCaller(decider, record)) await refuse(403, `approval request ${shown(record.id)} is your own: a second person must decide it`);
    // An approval must come from the approver's own client: the caller's (an agent) holding a secops member's token is still the caller's client.
    if (decider.clientId !== undefined && decider.clientId !== "" && decider.clientId === record.callerClientId) {
      await refuse(403, `approval request ${shown(record.id)} was asked through the OAuth client ${JSON.stringify(capText(cleanInline(record.callerClientId), 100))}, the one your token comes from: decide it with a token issued to an approver's own client`);
    }
    const unmet = unmetRequirements(decider, record.requirements, this.options.callerGroups());
    if (unmet.length > 0) await refuse(403, `deciding approval request ${shown(record.id)} needs membership of ${unmet.map((r) => `${shown(r.groups.join(" or "))} (policy ${shown(r.policyId)})`).join(", and ")}`);
    const at = this.now();
    if (record.status === "pending" && Date.parse(record.expiresAt) <= at.getTime()) {
      await this.expire(store, record, decider.via, at);
      await refuse(409, `approval request ${shown(record.id)} expired at ${shown(record.expiresAt)}; the caller must ask again`);
    }
    if (record.status !== "pending") await refuse(409, `approval request ${shown(record.id)} is already ${shown(record.status)}${record.approver ? ` (by ${shown(record.approver)})` : ""}`);
    // The audit record comes first: a decision never takes effect without it (a waiting call in
    // another process may act on the stored decision the moment it is written).
    const action = status === "approved" ? "approve" : "deny";
    const decision = { ...record, status, approver: decider.name, note, decidedAt: at.toISOString() };
    try {
      await this.options.audit?.({ action, request: decision, actor: decider.name, via: decider.via, note });
    } catch (error) {
      const why = error instanceof StateUnavailableError ? error.why : "the audit write failed";
      throw new StateUnavailableError(`the audit log could not record your decision on approval request ${shown(record.id)}`, why, "nothing was decided: the request is still pending");
    }
    const decided = await store.decide(record.id, { status, approver: decider.name, note, at });
    if (decided === null) {
      const now = await store.get(record.id);
      // The audit has the attempt; this says it did not take effect.
      return refuse(409, `approval request ${shown(record.id)} is already ${shown(now?.status ?? "gone")}; your ${action} did not take effect`);
    }
    for (const wake of this.waiters.get(decided.id) ?? []) wake();
    return decided;
  }

  async prune(before: Date): Promise<number> {
    return (await this.store()).prune(before);
  }

  async dispose(): Promise<void> {
    const opened = this.opened;
    this.opened = null;
    if (opened !== null) await (await opened.catch(() => null))?.dispose();
  }
}
