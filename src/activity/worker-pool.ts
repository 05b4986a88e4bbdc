/**
 * A small pool of worker threads for parsing log files: parsing is CPU-bound and the main thread
 * has to merge, answer and serve, so on a host with several cores the files are parsed beside it.
 * Tasks run in the order given on whichever worker is free; each answer settles its own promise,
 * so the caller decides the order results are used in.
 *
 * A worker that dies (out of memory on a huge file, a bug) fails only its task; a new one takes
 * its place.
 */
import { Worker, parentPort, type Transferable } from "node:worker_threads";

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
}

export class WorkerPool<Task, Result> {
  private readonly slots: Slot[] = [];
  private readonly queue: { id: number; task: Task; transfer: readonly Transferable[] }[] = [];
  private readonly pending = new Map<number, Pending<Result>>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly script: URL,
    size: number,
    private readonly workerData: unknown,
  ) {
    for (let i = 0; i < Math.max(1, size); i++) this.slots.push(this.start());
  }

  get size(): number {
    return this.slots.length;
  }

  run(task: Task, transfer: readonly Transferable[] = []): Promise<Result> {
    if (this.closed) return Promise.reject(new Error("the worker pool is closed"));
    const id = this.nextId++;
    const promise = new Promise<Result>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.queue.push({ id, task, transfer });
    this.dispatch();
    return promise;
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
    const worker = new Worker(this.script, { workerData: this.workerData });
    const slot: Slot = { worker, taskId: undefined };
    worker.on("message", (answer: AnswerMessage<Result>) => {
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
      if (slot.taskId !== undefined) continue;
      const next = this.queue.shift();
      if (next === undefined) return;
      slot.taskId = next.id;
      const message: TaskMessage<Task> = { id: next.id, task: next.task };
      slot.worker.postMessage(message, [...next.transfer]);
    }
  }

  private settle(id: number, error: Error | undefined, result?: Result): void {
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    this.pending.delete(id);
    if (error) pending.reject(error);
    else pending.resolve(result as Result);
  }
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
