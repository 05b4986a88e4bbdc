/**
 * Tasks and budgets. A task (task_id, or the MCP session when none is given) groups the calls of
 * one investigation: it keeps its first stated intent, holds its short-lived cloud sessions, and
 * ends after an idle timeout or a maximum lifetime, when those sessions are dropped. Budgets per
 * task and per caller (calls per minute, items returned, distinct scopes) bound how much of the
 * estate an assistant can enumerate. Rates are counted in one-second buckets over the last minute
 * (one-minute buckets over the last hour for items), so a window is exact to its bucket.
 */

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

interface TaskState {
  id: string;
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

export type TaskEndReason = "idle" | "max_lifetime" | "closed";

export class TaskRegistry {
  private readonly tasks = new Map<string, TaskState>();
  private readonly callers = new Map<string, CallerState>();

  constructor(
    private readonly settings: () => TaskSettings,
    /** Drops the task's cloud sessions. */
    private readonly onEnd: (taskId: string, reason: TaskEndReason) => void,
  ) {}

  /** Ends tasks past their idle timeout or maximum lifetime. Returns the ended ids. */
  sweep(nowMs: number): string[] {
    const { idleMs, maxLifetimeMs } = this.settings();
    const ended: string[] = [];
    for (const task of this.tasks.values()) {
      const reason: TaskEndReason | null =
        nowMs - task.startedAt >= maxLifetimeMs ? "max_lifetime" : nowMs - task.lastSeenAt >= idleMs ? "idle" : null;
      if (reason) {
        this.tasks.delete(task.id);
        ended.push(task.id);
        this.endQuietly(task.id, reason);
      }
    }
    return ended;
  }

  /** Ends one task now (its MCP session closed). */
  end(taskId: string): void {
    if (this.tasks.delete(taskId)) this.endQuietly(taskId, "closed");
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
    return [...this.tasks.keys()];
  }

  /**
   * Counts a call about to run and says whether it goes over any budget. Attempts count even when
   * refused, so hammering a refused query does not reset the window.
   */
  admit(taskId: string, callerKey: string, scopeKey: string, intent: string, nowMs: number): BudgetCheck {
    this.sweep(nowMs);
    const { perTask, perCaller, maxTasksPerCaller } = this.settings();
    let task = this.tasks.get(taskId);
    const openTasks = task ? 0 : [...this.tasks.values()].filter((t) => t.callerKey === callerKey).length;
    if (!task) {
      task = { id: taskId, callerKey, intent, startedAt: nowMs, lastSeenAt: nowMs, calls: 0, callsPerMinute: new SlidingCounter(MINUTE), items: 0, scopes: new Set() };
      this.tasks.set(taskId, task);
    }
    let caller = this.callers.get(callerKey);
    if (!caller) {
      caller = { calls: 0, callsPerMinute: new SlidingCounter(MINUTE), itemsPerHour: new SlidingCounter(HOUR), scopes: new Set() };
      this.callers.set(callerKey, caller);
    }
    task.lastSeenAt = nowMs;
    const taskView: UsageView = { calls: task.calls, callsLastMinute: task.callsPerMinute.sum(nowMs), itemsReturned: task.items, distinctScopes: task.scopes.size };
    const callerItems = caller.itemsPerHour.sum(nowMs);
    const callerView: UsageView = { calls: caller.calls, callsLastMinute: caller.callsPerMinute.sum(nowMs), itemsReturned: callerItems, distinctScopes: caller.scopes.size };

    const exceeded: string[] = [];
    if (openTasks + 1 > maxTasksPerCaller) {
      exceeded.push(`caller has ${openTasks} open tasks (budget ${maxTasksPerCaller}); reuse a task_id or wait for one to end`);
    }
    const newScopeForTask = !task.scopes.has(scopeKey);
    if (perTask.callsPerMinute !== undefined && taskView.callsLastMinute + 1 > perTask.callsPerMinute) {
      exceeded.push(`task ${taskId} made ${taskView.callsLastMinute} calls in the last minute (budget ${perTask.callsPerMinute})`);
    }
    if (perTask.itemsReturned !== undefined && taskView.itemsReturned >= perTask.itemsReturned) {
      exceeded.push(`task ${taskId} has received ${taskView.itemsReturned} items (budget ${perTask.itemsReturned})`);
    }
    if (perTask.distinctScopes !== undefined && newScopeForTask && taskView.distinctScopes + 1 > perTask.distinctScopes) {
      exceeded.push(`task ${taskId} has asked about ${taskView.distinctScopes} scopes (budget ${perTask.distinctScopes})`);
    }
    if (perCaller.callsPerMinute !== undefined && callerView.callsLastMinute + 1 > perCaller.callsPerMinute) {
      exceeded.push(`caller made ${callerView.callsLastMinute} calls in the last minute (budget ${perCaller.callsPerMinute})`);
    }
    if (perCaller.itemsReturned !== undefined && callerItems >= perCaller.itemsReturned) {
      exceeded.push(`caller has received ${callerItems} items in the last hour (budget ${perCaller.itemsReturned})`);
    }
    if (perCaller.distinctScopes !== undefined && !caller.scopes.has(scopeKey) && callerView.distinctScopes + 1 > perCaller.distinctScopes) {
      exceeded.push(`caller has asked about ${callerView.distinctScopes} scopes (budget ${perCaller.distinctScopes})`);
    }

    task.calls++;
    task.callsPerMinute.add(nowMs);
    caller.calls++;
    caller.callsPerMinute.add(nowMs);
    return { task: taskView, caller: callerView, exceeded, taskIntent: task.intent };
  }

  /** Records what an admitted call touched and returned. */
  recordResult(taskId: string, callerKey: string, scopeKey: string, items: number, nowMs: number): void {
    const task = this.tasks.get(taskId);
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
}
