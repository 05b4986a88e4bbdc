/**
 * A small pool of worker threads for parsing log files: parsing is CPU-bound and the main thread
 * has to merge, answer and serve, so on a host with several cores the files are parsed beside it.
 * Tasks run in the order given on whichever worker is free; each answer settles its own promise,
 * so the caller decides the order results are used in.
 *
 * A worker that dies (past its heap limit on a huge file, a bug) fails only its task; a new one
 * takes its place. A cancelled task ends the worker running it the same way, so a stuck parse
 * never holds up the caller.
 */
import { Worker, parentPort, type ResourceLimits, type Transferable } from "node:worker_threads";

/** Heap a parsing worker may use by default: one runaway file ends its worker, not the process. */
export const DEFAULT_WORKER_LIMITS: ResourceLimits = { maxOldGenerationSizeMb: 2048, maxYoungGenerationSizeMb: 64 };

export interface WorkerPoolOptions<Task> {
  resourceLimits?: ResourceLimits | undefined;
  /** How long one task may run once a worker has it; past that the worker is ended and the task fails. */
  taskBudgetMs?: ((task: Task) => number) | undefined;
  /** Starts a timer and returns its cancel (injected by tests; setTimeout otherwise). */
  startTimer?: ((ms: number, onTimeout: () => void) => () => void) | undefined;
}

function startRealTimer(ms: number, onTimeout: () => void): () => void {
  const timer = setTimeout(onTimeout, ms);
  timer.unref();
  return () => clearTimeout(timer);
}

interface TaskMessage<Task> {
  id: number;
  task: Task;
}

type AnswerMessage<Result> = { id: number; ok: true; result: Result } | { id: number; ok: false; message: string };

interface Pending<Result> {
  resolve: (result: Result) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  /** The task it runs, if any. */
  taskId: number | undefined;
  /** Being ended (its task was cancelled): given no more work, its answers ignored. */
  retiring: boolean;
}

export class WorkerPool<Task, Result> {
  private readonly slots: Slot[] = [];
  private readonly queue: { id: number; task: Task; transfer: readonly Transferable[] }[] = [];
  private readonly pending = new Map<number, Pending<Result>>();
  private readonly budgetTimers = new Map<number, () => void>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly script: URL,
    size: number,
    private readonly workerData: unknown,
    private readonly options: WorkerPoolOptions<Task> = {},
  ) {
    for (let i = 0; i < Math.max(1, size); i++) this.slots.push(this.start());
  }

  get size(): number {
    return this.slots.length;
  }

  /** Runs `task`; when `signal` aborts first, the task fails and a worker busy with it is ended (and replaced). */
  run(task: Task, transfer: readonly Transferable[] = [], signal?: AbortSignal): Promise<Result> {
    if (this.closed) return Promise.reject(new Error("the worker pool is closed"));
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const id = this.nextId++;
    const promise = new Promise<Result>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.queue.push({ id, task, transfer });
    if (signal) {
      const onAbort = () => this.cancel(id, abortError(signal));
      signal.addEventListener("abort", onAbort, { once: true });
      const forget = () => signal.removeEventListener("abort", onAbort);
      promise.then(forget, forget);
    }
    this.dispatch();
    return promise;
  }

  private cancel(id: number, error: Error): void {
    const queued = this.queue.findIndex((entry) => entry.id === id);
    if (queued >= 0) this.queue.splice(queued, 1);
    this.settle(id, error);
    // A parse cannot be interrupted from outside: the worker goes, and its exit starts a new one.
    const busy = this.slots.find((slot) => slot.taskId === id);
    if (busy !== undefined) {
      busy.retiring = true;
      void busy.worker.terminate();
    }
  }

  /** Stops every worker; tasks not answered yet fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const { id } of this.queue) this.settle(id, new Error("the worker pool was closed"));
    this.queue.length = 0;
    const workers = this.slots.map((slot) => slot.worker);
    this.slots.length = 0;
    await Promise.all(workers.map((worker) => worker.terminate()));
    for (const id of [...this.pending.keys()]) this.settle(id, new Error("the worker pool was closed"));
  }

  private start(): Slot {
    const worker = new Worker(this.script, { workerData: this.workerData, resourceLimits: this.options.resourceLimits ?? DEFAULT_WORKER_LIMITS });
    const slot: Slot = { worker, taskId: undefined, retiring: false };
    worker.on("message", (answer: AnswerMessage<Result>) => {
      if (slot.retiring) return;
      slot.taskId = undefined;
      if (answer.ok) this.settle(answer.id, undefined, answer.result);
      else this.settle(answer.id, new Error(answer.message));
      this.dispatch();
    });
    const replace = (reason: string) => {
      const index = this.slots.indexOf(slot);
      if (index < 0) return;
      if (slot.taskId !== undefined) this.settle(slot.taskId, new Error(`the parsing worker stopped: ${reason}`));
      slot.taskId = undefined;
      if (this.closed) return;
      this.slots[index] = this.start();
      this.dispatch();
    };
    worker.on("error", (error) => replace(error.message));
    worker.on("exit", (code) => replace(`exit code ${code}`));
    return slot;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.taskId !== undefined || slot.retiring) continue;
      const next = this.queue.shift();
      if (next === undefined) return;
      slot.taskId = next.id;
      const budget = this.options.taskBudgetMs?.(next.task);
      if (budget !== undefined) {
        const id = next.id;
        const startTimer = this.options.startTimer ?? startRealTimer;
        this.budgetTimers.set(id, startTimer(budget, () => this.cancel(id, new Error(`the parsing worker took longer than ${budget} ms on one task`))));
      }
      const message: TaskMessage<Task> = { id: next.id, task: next.task };
      slot.worker.postMessage(message, [...next.transfer]);
    }
  }

  private settle(id: number, error: Error | undefined, result?: Result): void {
    this.budgetTimers.get(id)?.();
    this.budgetTimers.delete(id);
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    this.pending.delete(id);
    if (error) pending.reject(error);
    else pending.resolve(result as Result);
  }
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error("the task was cancelled");
}

/** The worker side: answers each task with `handle`'s result (and what it hands over), or its error. */
export function serveWorkerTasks<Task, Result>(handle: (task: Task) => { result: Result; transfer: readonly Transferable[] }): void {
  const port = parentPort;
  if (port === null) throw new Error("serveWorkerTasks runs in a worker thread");
  port.on("message", ({ id, task }: TaskMessage<Task>) => {
    let answer: AnswerMessage<Result>;
    let transfer: readonly Transferable[] = [];
    try {
      const done = handle(task);
      answer = { id, ok: true, result: done.result };
      transfer = done.transfer;
    } catch (error) {
      answer = { id, ok: false, message: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(answer, [...transfer]);
  });
}
