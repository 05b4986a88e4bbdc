/**
 * Tasks and budgets. A task (task_id, or the MCP session when none is given) groups the calls of
 * one investigation: it keeps its first stated intent, holds its short-lived cloud sessions, and
 * ends after an idle timeout or a maximum lifetime, when those sessions are dropped. Budgets per
 * task and per caller (calls per minute, items returned, distinct scopes) bound how much of the
 * estate an assistant can enumerate.
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

interface TaskState {
  id: string;
  intent: string;
  startedAt: number;
  lastSeenAt: number;
  calls: number;
  callTimes: number[];
  items: number;
  scopes: Set<string>;
}

interface CallerState {
  calls: number;
  callTimes: number[];
  /** [time, items] of the trailing hour. */
  items: Array<[number, number]>;
  scopes: Set<string>;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function trim(times: number[], since: number): number[] {
  let drop = 0;
  while (drop < times.length && (times[drop] as number) <= since) drop++;
  return drop === 0 ? times : times.slice(drop);
}

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
        this.onEnd(task.id, reason);
      }
    }
    return ended;
  }

  /** Ends one task now (its MCP session closed). */
  end(taskId: string): void {
    if (this.tasks.delete(taskId)) this.onEnd(taskId, "closed");
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
    const { perTask, perCaller } = this.settings();
    let task = this.tasks.get(taskId);
    if (!task) {
      task = { id: taskId, intent, startedAt: nowMs, lastSeenAt: nowMs, calls: 0, callTimes: [], items: 0, scopes: new Set() };
      this.tasks.set(taskId, task);
    }
    let caller = this.callers.get(callerKey);
    if (!caller) {
      caller = { calls: 0, callTimes: [], items: [], scopes: new Set() };
      this.callers.set(callerKey, caller);
    }
    task.lastSeenAt = nowMs;
    task.callTimes = trim(task.callTimes, nowMs - MINUTE);
    caller.callTimes = trim(caller.callTimes, nowMs - MINUTE);
    caller.items = caller.items.filter(([time]) => time > nowMs - HOUR);

    const taskView: UsageView = { calls: task.calls, callsLastMinute: task.callTimes.length, itemsReturned: task.items, distinctScopes: task.scopes.size };
    const callerItems = caller.items.reduce((sum, [, n]) => sum + n, 0);
    const callerView: UsageView = { calls: caller.calls, callsLastMinute: caller.callTimes.length, itemsReturned: callerItems, distinctScopes: caller.scopes.size };

    const exceeded: string[] = [];
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
    task.callTimes.push(nowMs);
    caller.calls++;
    caller.callTimes.push(nowMs);
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
      caller.items.push([nowMs, items]);
      caller.scopes.add(scopeKey);
    }
  }
}
