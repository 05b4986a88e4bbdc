/**
 * Tasks and budgets. A task (task_id, or the MCP session when none is given) groups the calls of
 * one investigation: it keeps its first stated intent, holds its short-lived cloud sessions, and
 * ends after an idle timeout or a maximum lifetime, when those sessions are dropped. Budgets per
 * task and per caller (calls per minute, items returned, distinct scopes) bound how much of the
 * estate an assistant can enumerate. Rates are counted in one-second buckets over the last minute
 * (one-minute buckets over the last hour for items), so a window is exact to its bucket.
 *
 * The counts live in a UsageLedger (src/state/): in memory for one process (the embedded store), or
 * in PostgreSQL so replicas share them and a caller cannot escape a budget by switching replica or
 * session. This registry keeps what is local to the process: which tasks hold cloud sessions here,
 * and ending them.
 */
import type { LedgerUsage, UsageAdmission, UsageLedger } from "../state/state-store.js";

export interface BudgetLimits {
  callsPerMinute?: number | undefined;
  itemsReturned?: number | undefined;
  distinctScopes?: number | undefined;
}

export interface TaskSettings {
  idleMs: number;
  maxLifetimeMs: number;
  perTask: BudgetLimits;
  /** itemsReturned here is per trailing hour. */
  perCaller: BudgetLimits;
  /** Open tasks one caller may hold at once. */
  maxTasksPerCaller: number;
}

export interface UsageView {
  calls: number;
  callsLastMinute: number;
  itemsReturned: number;
  distinctScopes: number;
}

export interface BudgetCheck {
  task: UsageView;
  caller: UsageView;
  /** One sentence per exceeded budget; empty when within budget. */
  exceeded: string[];
  /** The task's first stated intent. */
  taskIntent: string;
  /**
   * When this task (by its key) started, in ms: a task id used again after its task ended starts
   * a new task, and an approval given in the old one does not carry over.
   */
  taskStartedAt?: number;
}

/**
 * A count over a trailing window, kept in fixed buckets (1/60 of the window each), so adding and
 * summing cost the same however many calls came: a busy caller must not slow every call down.
 */
export class SlidingCounter {
  private readonly counts: number[];
  private readonly starts: number[];
  private readonly bucketMs: number;

  constructor(private readonly windowMs: number, buckets = 60) {
    this.bucketMs = windowMs / buckets;
    this.counts = new Array<number>(buckets).fill(0);
    this.starts = new Array<number>(buckets).fill(-Infinity);
  }

  add(nowMs: number, n = 1): void {
    const start = Math.floor(nowMs / this.bucketMs) * this.bucketMs;
    const index = Math.floor(start / this.bucketMs) % this.counts.length;
    if (this.starts[index] !== start) {
      this.starts[index] = start;
      this.counts[index] = 0;
    }
    this.counts[index] = (this.counts[index] ?? 0) + n;
  }

  sum(nowMs: number): number {
    let total = 0;
    for (let i = 0; i < this.counts.length; i++) {
      if ((this.starts[i] ?? -Infinity) > nowMs - this.windowMs) total += this.counts[i] ?? 0;
    }
    return total;
  }
}

interface MemoryTask {
  callerKey: string;
  intent: string;
  startedAt: number;
  lastSeenAt: number;
  calls: number;
  callsPerMinute: SlidingCounter;
  items: number;
  scopes: Set<string>;
}

interface CallerState {
  calls: number;
  callsPerMinute: SlidingCounter;
  itemsPerHour: SlidingCounter;
  scopes: Set<string>;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function taskOver(task: { startedAt: number; lastSeenAt: number }, nowMs: number, idleMs: number, maxLifetimeMs: number): boolean {
  return nowMs - task.startedAt >= maxLifetimeMs || nowMs - task.lastSeenAt >= idleMs;
}

/** The ledger of one process: the embedded store's budgets (one server process counts its own). */
export class MemoryUsageLedger implements UsageLedger {
  private readonly tasks = new Map<string, MemoryTask>();
  private readonly callers = new Map<string, CallerState>();

  async admit(admission: UsageAdmission): Promise<LedgerUsage> {
    return this.admitNow(admission);
  }

  /** The same, synchronously: the in-process fast path. */
  admitNow({ taskKey, callerKey, scopeKey, intent, nowMs, idleMs, maxLifetimeMs }: UsageAdmission): LedgerUsage {
    let task = this.tasks.get(taskKey);
    if (task && taskOver(task, nowMs, idleMs, maxLifetimeMs)) {
      this.tasks.delete(taskKey);
      task = undefined;
    }
    let otherOpenTasks = 0;
    if (!task) {
      for (const [key, other] of this.tasks) {
        if (taskOver(other, nowMs, idleMs, maxLifetimeMs)) this.tasks.delete(key);
        else if (other.callerKey === callerKey) otherOpenTasks++;
      }
      task = { callerKey, intent, startedAt: nowMs, lastSeenAt: nowMs, calls: 0, callsPerMinute: new SlidingCounter(MINUTE), items: 0, scopes: new Set() };
      this.tasks.set(taskKey, task);
    }
    let caller = this.callers.get(callerKey);
    if (!caller) {
      caller = { calls: 0, callsPerMinute: new SlidingCounter(MINUTE), itemsPerHour: new SlidingCounter(HOUR), scopes: new Set() };
      this.callers.set(callerKey, caller);
    }
    task.lastSeenAt = nowMs;
    const usage: LedgerUsage = {
      task: { calls: task.calls, callsLastMinute: task.callsPerMinute.sum(nowMs), itemsReturned: task.items, distinctScopes: task.scopes.size },
      caller: { calls: caller.calls, callsLastMinute: caller.callsPerMinute.sum(nowMs), itemsReturned: caller.itemsPerHour.sum(nowMs), distinctScopes: caller.scopes.size },
      taskIntent: task.intent,
      taskStartedAt: task.startedAt,
      otherOpenTasks,
      taskHasScope: task.scopes.has(scopeKey),
      callerHasScope: caller.scopes.has(scopeKey),
    };
    task.calls++;
    task.callsPerMinute.add(nowMs);
    caller.calls++;
    caller.callsPerMinute.add(nowMs);
    return usage;
  }

  async recordResult(taskKey: string, callerKey: string, scopeKey: string, items: number, nowMs: number): Promise<void> {
    const task = this.tasks.get(taskKey);
    if (task) {
      task.items += items;
      task.scopes.add(scopeKey);
    }
    const caller = this.callers.get(callerKey);
    if (caller) {
      caller.itemsPerHour.add(nowMs, items);
      caller.scopes.add(scopeKey);
    }
  }

  async endTask(taskKey: string): Promise<void> {
    this.tasks.delete(taskKey);
  }
}

/** Which budgets a call goes over, given the usage before it. Same words whichever ledger counted. */
export function budgetCheckOf(taskId: string, usage: LedgerUsage, settings: TaskSettings): BudgetCheck {
  const { perTask, perCaller, maxTasksPerCaller } = settings;
  const { task, caller } = usage;
  const exceeded: string[] = [];
  if (usage.otherOpenTasks + 1 > maxTasksPerCaller) {
    exceeded.push(`caller has ${usage.otherOpenTasks} open tasks (budget ${maxTasksPerCaller}); reuse a task_id or wait for one to end`);
  }
  if (perTask.callsPerMinute !== undefined && task.callsLastMinute + 1 > perTask.callsPerMinute) {
    exceeded.push(`task ${taskId} made ${task.callsLastMinute} calls in the last minute (budget ${perTask.callsPerMinute})`);
  }
  if (perTask.itemsReturned !== undefined && task.itemsReturned >= perTask.itemsReturned) {
    exceeded.push(`task ${taskId} has received ${task.itemsReturned} items (budget ${perTask.itemsReturned})`);
  }
  if (perTask.distinctScopes !== undefined && !usage.taskHasScope && task.distinctScopes + 1 > perTask.distinctScopes) {
    exceeded.push(`task ${taskId} has asked about ${task.distinctScopes} scopes (budget ${perTask.distinctScopes})`);
  }
  if (perCaller.callsPerMinute !== undefined && caller.callsLastMinute + 1 > perCaller.callsPerMinute) {
    exceeded.push(`caller made ${caller.callsLastMinute} calls in the last minute (budget ${perCaller.callsPerMinute})`);
  }
  if (perCaller.itemsReturned !== undefined && caller.itemsReturned >= perCaller.itemsReturned) {
    exceeded.push(`caller has received ${caller.itemsReturned} items in the last hour (budget ${perCaller.itemsReturned})`);
  }
  if (perCaller.distinctScopes !== undefined && !usage.callerHasScope && caller.distinctScopes + 1 > perCaller.distinctScopes) {
    exceeded.push(`caller has asked about ${caller.distinctScopes} scopes (budget ${perCaller.distinctScopes})`);
  }
  return { task, caller, exceeded, taskIntent: usage.taskIntent, taskStartedAt: usage.taskStartedAt };
}

export type TaskEndReason = "idle" | "max_lifetime" | "closed";

interface LocalTask {
  startedAt: number;
  lastSeenAt: number;
}

export class TaskRegistry {
  /** Tasks seen by this process: their cloud sessions live here and end with them. */
  private readonly local = new Map<string, LocalTask>();

  constructor(
    private readonly settings: () => TaskSettings,
    /** Drops the task's cloud sessions. */
    private readonly onEnd: (taskId: string, reason: TaskEndReason) => void,
    /** Where budgets are counted: this process's memory unless a shared store is given. */
    private readonly ledger: UsageLedger = new MemoryUsageLedger(),
  ) {}

  /** Ends tasks past their idle timeout or maximum lifetime. Returns the ended ids. */
  sweep(nowMs: number): string[] {
    const { idleMs, maxLifetimeMs } = this.settings();
    const ended: string[] = [];
    for (const [id, task] of this.local) {
      const reason: TaskEndReason | null =
        nowMs - task.startedAt >= maxLifetimeMs ? "max_lifetime" : nowMs - task.lastSeenAt >= idleMs ? "idle" : null;
      if (reason) {
        this.local.delete(id);
        ended.push(id);
        this.endQuietly(id, reason);
      }
    }
    return ended;
  }

  /** Ends one task now (its MCP session closed). */
  end(taskId: string): void {
    if (!this.local.delete(taskId)) return;
    this.endQuietly(taskId, "closed");
    // The shared count forgets it too, so the caller's open tasks go down on every replica.
    void this.ledger.endTask(taskId, Date.now()).catch(() => undefined);
  }

  /** A connector failing to drop a session must not stop the other tasks from ending. */
  private endQuietly(taskId: string, reason: TaskEndReason): void {
    try {
      this.onEnd(taskId, reason);
    } catch {
      // The task is gone either way; its sessions expire on their own short TTL.
    }
  }

  get activeTaskIds(): string[] {
    return [...this.local.keys()];
  }

  /**
   * Counts a call about to run and says whether it goes over any budget. Attempts count even when
   * refused, so hammering a refused query does not reset the window.
   */
  async admit(taskId: string, callerKey: string, scopeKey: string, intent: string, nowMs: number): Promise<BudgetCheck> {
    this.sweep(nowMs);
    const settings = this.settings();
    const local = this.local.get(taskId);
    if (local) local.lastSeenAt = nowMs;
    else this.local.set(taskId, { startedAt: nowMs, lastSeenAt: nowMs });
    const admission: UsageAdmission = { taskKey: taskId, callerKey, scopeKey, intent, nowMs, idleMs: settings.idleMs, maxLifetimeMs: settings.maxLifetimeMs };
    const usage = this.ledger instanceof MemoryUsageLedger ? this.ledger.admitNow(admission) : await this.ledger.admit(admission);
    return budgetCheckOf(taskId, usage, settings);
  }

  /** Records what an admitted call touched and returned. */
  async recordResult(taskId: string, callerKey: string, scopeKey: string, items: number, nowMs: number): Promise<void> {
    await this.ledger.recordResult(taskId, callerKey, scopeKey, items, nowMs);
  }
}
