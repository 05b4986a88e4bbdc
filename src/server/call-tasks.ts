/**
 * Tool calls as MCP tasks (SDK `experimental/tasks`): a client that asks for a task gets one at
 * once and polls for the answer, so a call that waits, above all for a second person's approval,
 * is not cut off by the client's request timeout. The call then runs on its own, not bound to
 * the request that started it: the task's cancellation (tasks/cancel) aborts it, and a person
 * asked at the client (elicitation) is asked through the task's message queue (tasks/result).
 *
 * Tasks live in this server instance (one per MCP session). A finished task's answer is kept for
 * its time to live from when it finished (never cut short while the call still waits); the timers
 * do not hold the process open. A session runs a bounded number of tasks at once and keeps a
 * bounded number of answers, so one client cannot pile up calls or memory; when the session ends
 * its calls still running are cancelled, since nobody can fetch their answers any more.
 */
import { randomBytes } from "node:crypto";
import { ErrorCode, type CallToolResult, type Request, type RequestId, type Result, type Task } from "@modelcontextprotocol/sdk/types.js";
import { InMemoryTaskMessageQueue } from "@modelcontextprotocol/sdk/experimental/tasks/stores/in-memory.js";
import type { CreateTaskOptions, TaskStore } from "@modelcontextprotocol/sdk/experimental/tasks/interfaces.js";
import type { RequestTaskStore } from "@modelcontextprotocol/sdk/shared/protocol.js";
import { ProtocolError } from "./protocol-error.js";

/** How long a finished task's answer waits for the client to fetch it, at most. */
export const TASK_RESULT_TTL_MS = 15 * 60_000;
const TASK_POLL_INTERVAL_MS = 1_000;
const TERMINAL: ReadonlySet<Task["status"]> = new Set(["completed", "failed", "cancelled"]);
const LIST_PAGE = 100;
/** Calls one session may run as tasks at the same time (each may hold a pending approval). */
export const MAX_RUNNING_TASKS = 16;
/** Tasks one session keeps, running or finished; the oldest finished answers go first. */
export const MAX_KEPT_TASKS = 200;

interface StoredTask {
  task: Task;
  sessionId: string | undefined;
  result: Result | null;
  controller: AbortController | null;
  /** The call still runs: a cancelled task's call may take a moment to stop, and counts until it has. */
  callActive: boolean;
  expiry: NodeJS.Timeout | null;
}

/** The task store of one MCP server: in memory, per session, and it aborts a call whose task is cancelled. */
export class CallTaskStore implements TaskStore {
  private readonly tasks = new Map<string, StoredTask>();
  private ended = false;

  private lookup(taskId: string, sessionId?: string): StoredTask | undefined {
    const stored = this.tasks.get(taskId);
    // Another session's task is answered like an unknown one.
    if (stored === undefined || (sessionId !== undefined && stored.sessionId !== undefined && stored.sessionId !== sessionId)) return undefined;
    return stored;
  }

  private expireLater(taskId: string, stored: StoredTask): void {
    if (stored.expiry !== null) clearTimeout(stored.expiry);
    stored.expiry = setTimeout(() => this.tasks.delete(taskId), stored.task.ttl ?? TASK_RESULT_TTL_MS);
    stored.expiry.unref();
  }

  createTask(taskParams: CreateTaskOptions, _requestId: RequestId, _request: Request, sessionId?: string): Promise<Task> {
    if (this.ended) return Promise.reject(new ProtocolError(ErrorCode.InvalidRequest, "tasks: this session has ended; nothing was run"));
    const running = [...this.tasks.values()].filter((stored) => stored.callActive || !TERMINAL.has(stored.task.status)).length;
    if (running >= MAX_RUNNING_TASKS) {
      return Promise.reject(
        new ProtocolError(ErrorCode.InvalidRequest, `tasks: ${running} calls of this session are still running as tasks (at most ${MAX_RUNNING_TASKS}); wait for one to end or cancel one (tasks/cancel); nothing was run`),
      );
    }
    this.dropOldestFinished();
    const taskId = randomBytes(16).toString("hex");
    const now = new Date().toISOString();
    const ttl = Math.min(taskParams.ttl ?? TASK_RESULT_TTL_MS, TASK_RESULT_TTL_MS);
    const task: Task = { taskId, status: "working", ttl, createdAt: now, lastUpdatedAt: now, pollInterval: taskParams.pollInterval ?? TASK_POLL_INTERVAL_MS };
    this.tasks.set(taskId, { task, sessionId, result: null, controller: null, callActive: false, expiry: null });
    return Promise.resolve({ ...task });
  }

  getTask(taskId: string, sessionId?: string): Promise<Task | null> {
    const stored = this.lookup(taskId, sessionId);
    return Promise.resolve(stored ? { ...stored.task } : null);
  }

  storeTaskResult(taskId: string, status: "completed" | "failed", result: Result, sessionId?: string): Promise<void> {
    const stored = this.lookup(taskId, sessionId);
    if (stored === undefined) return Promise.reject(new Error(`task ${taskId} not found`));
    if (TERMINAL.has(stored.task.status)) return Promise.reject(new Error(`task ${taskId} already ended (${stored.task.status})`));
    stored.result = result;
    stored.task = { ...stored.task, status, lastUpdatedAt: new Date().toISOString() };
    stored.controller = null;
    this.expireLater(taskId, stored);
    return Promise.resolve();
  }

  getTaskResult(taskId: string, sessionId?: string): Promise<Result> {
    const result = this.lookup(taskId, sessionId)?.result;
    return result ? Promise.resolve(result) : Promise.reject(new Error(`task ${taskId} has no result`));
  }

  updateTaskStatus(taskId: string, status: Task["status"], statusMessage?: string, sessionId?: string): Promise<void> {
    const stored = this.lookup(taskId, sessionId);
    if (stored === undefined) return Promise.reject(new Error(`task ${taskId} not found`));
    if (TERMINAL.has(stored.task.status)) return Promise.reject(new Error(`task ${taskId} already ended (${stored.task.status})`));
    stored.task = { ...stored.task, status, lastUpdatedAt: new Date().toISOString(), ...(statusMessage === undefined ? {} : { statusMessage }) };
    if (status === "cancelled") stored.controller?.abort(new Error("the task was cancelled"));
    if (TERMINAL.has(status)) this.expireLater(taskId, stored);
    return Promise.resolve();
  }

  listTasks(cursor?: string, sessionId?: string): Promise<{ tasks: Task[]; nextCursor?: string }> {
    const visible = [...this.tasks.entries()].filter(([id]) => this.lookup(id, sessionId) !== undefined).map(([, stored]) => ({ ...stored.task }));
    const start = cursor === undefined ? 0 : visible.findIndex((task) => task.taskId === cursor) + 1;
    if (cursor !== undefined && start === 0) return Promise.reject(new Error("invalid cursor"));
    const page = visible.slice(start, start + LIST_PAGE);
    const last = page.at(-1);
    return Promise.resolve({ tasks: page, ...(start + LIST_PAGE < visible.length && last ? { nextCursor: last.taskId } : {}) });
  }

  /** Makes room for one more task by forgetting the oldest finished answers beyond the cap. */
  private dropOldestFinished(): void {
    // A Map iterates in insertion order: the first finished entries are the oldest.
    for (const [taskId, stored] of this.tasks) {
      if (this.tasks.size < MAX_KEPT_TASKS) return;
      if (stored.callActive || !TERMINAL.has(stored.task.status)) continue;
      if (stored.expiry !== null) clearTimeout(stored.expiry);
      this.tasks.delete(taskId);
    }
  }

  /**
   * The session ended: its running calls are cancelled (a pending approval request is withdrawn,
   * and the pipeline audits the cancellation), and every kept answer is dropped.
   */
  endSession(): void {
    this.ended = true;
    for (const stored of this.tasks.values()) {
      if (stored.expiry !== null) clearTimeout(stored.expiry);
      if (!TERMINAL.has(stored.task.status)) stored.controller?.abort(new Error("the MCP session ended"));
    }
    this.tasks.clear();
  }

  /** The abort controller of a task's call, aborted when the task is cancelled. */
  track(taskId: string): AbortController {
    const controller = new AbortController();
    const stored = this.tasks.get(taskId);
    if (stored !== undefined) {
      stored.controller = controller;
      stored.callActive = true;
    }
    return controller;
  }

  /** The task's call has ended (answered, failed or stopped after a cancellation): its slot is free. */
  callEnded(taskId: string): void {
    const stored = this.tasks.get(taskId);
    if (stored !== undefined) stored.callActive = false;
  }
}

/** Calls one caller may run as tasks at once, across all their sessions. */
export const MAX_RUNNING_TASKS_PER_CALLER = 32;

/**
 * Task calls running per caller, across sessions: a caller with many sessions would otherwise run
 * MAX_RUNNING_TASKS in each.
 */
export class RunningTasksByCaller {
  private readonly running = new Map<string, number>();

  /** Counts one more call for the caller, or refuses (false) at the cap. */
  tryStart(caller: string): boolean {
    const now = this.running.get(caller) ?? 0;
    if (now >= MAX_RUNNING_TASKS_PER_CALLER) return false;
    this.running.set(caller, now + 1);
    return true;
  }

  end(caller: string): void {
    const now = (this.running.get(caller) ?? 1) - 1;
    if (now <= 0) this.running.delete(caller);
    else this.running.set(caller, now);
  }
}

export function callTaskOptions(): { taskStore: CallTaskStore; taskMessageQueue: InMemoryTaskMessageQueue } {
  return { taskStore: new CallTaskStore(), taskMessageQueue: new InMemoryTaskMessageQueue() };
}

/** What a call running as a task is given: its own abort signal, and how to mark it waiting for the client. */
export interface TaskRun {
  taskId: string;
  signal: AbortSignal;
  /** Marks the task as waiting for the client (input_required) while a person at the client is asked, and working again after. */
  waitingForClient(waiting: boolean): Promise<void>;
}

/**
 * Starts `run` as a task and returns the task at once; its answer is stored when the call ends
 * (a failed call's answer is an error result, like any tool error, so the task completes).
 */
export async function startCallTask(
  store: CallTaskStore,
  requestStore: RequestTaskStore,
  ttl: number | undefined,
  run: (task: TaskRun) => Promise<CallToolResult>,
  onCallEnded?: () => void,
): Promise<{ task: Task }> {
  const task = await requestStore.createTask({ ...(ttl === undefined ? {} : { ttl }), pollInterval: TASK_POLL_INTERVAL_MS });
  const controller = store.track(task.taskId);
  const waitingForClient = (waiting: boolean) => requestStore.updateTaskStatus(task.taskId, waiting ? "input_required" : "working").catch(() => undefined);
  void run({ taskId: task.taskId, signal: controller.signal, waitingForClient })
    // The pipeline answers every failure itself; anything thrown here is a bug, and its details stay private.
    .catch((): CallToolResult => ({ content: [{ type: "text", text: "internal error while answering" }], isError: true }))
    // A task cancelled meanwhile keeps its cancelled status: storing fails then, and that is fine.
    .then((result) => requestStore.storeTaskResult(task.taskId, "completed", result))
    .catch(() => undefined)
    .finally(() => {
      store.callEnded(task.taskId);
      onCallEnded?.();
    });
  return { task };
}
