/**
 * The parsing workers' pool: answers settle their own tasks, a worker that dies or throws fails
 * only the task it ran and is replaced, and a closed pool refuses work.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { WorkerPool } from "../src/activity/worker-pool.js";

// A plain worker in the pool's protocol: doubles numbers, exits or throws on request.
const WORKER = `
import { parentPort, workerData } from "node:worker_threads";
parentPort.on("message", ({ id, task }) => {
  if (task === "exit") process.exit(3);
  if (task === "throw") throw new Error("worker bug");
  if (task === "spin") for (;;);
  if (task === "hog") { const kept = []; for (;;) kept.push({ n: kept.length }); }
  if (task === "refuse") return parentPort.postMessage({ id, ok: false, message: "not a log file" });
  parentPort.postMessage({ id, ok: true, result: task * workerData.factor });
});
`;

function script(): URL {
  const path = join(mkdtempSync(join(tmpdir(), "wiam-pool-")), "worker.mjs");
  writeFileSync(path, WORKER);
  return pathToFileURL(path);
}

const pools: WorkerPool<unknown, number>[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
});

describe("WorkerPool", () => {
  it("runs tasks on every worker and settles each with its own answer", async () => {
    const pool = new WorkerPool<unknown, number>(script(), 2, { factor: 3 });
    pools.push(pool);
    expect(pool.size).toBe(2);
    expect(await Promise.all([1, 2, 3, 4, 5].map((n) => pool.run(n)))).toEqual([3, 6, 9, 12, 15]);
    await expect(pool.run("refuse")).rejects.toThrow("not a log file");
  });

  it("fails only the task of a worker that exits or throws, and goes on with a new worker", async () => {
    const pool = new WorkerPool<unknown, number>(script(), 1, { factor: 2 });
    pools.push(pool);
    const [died, after] = await Promise.allSettled([pool.run("exit"), pool.run(21)]);
    expect(died).toEqual({ status: "rejected", reason: new Error("the parsing worker stopped: exit code 3") });
    expect(after).toEqual({ status: "fulfilled", value: 42 });
    await expect(pool.run("throw")).rejects.toThrow("the parsing worker stopped: worker bug");
    expect(await pool.run(5)).toBe(10);
  });

  it("ends a worker whose task is cancelled while it runs, drops a cancelled queued task, and goes on", async () => {
    const pool = new WorkerPool<unknown, number>(script(), 1, { factor: 2 });
    pools.push(pool);
    const running = new AbortController();
    const waiting = new AbortController();
    const spin = pool.run("spin", [], running.signal);
    const queued = pool.run(7, [], waiting.signal);
    waiting.abort(new Error("caller gave up"));
    await expect(queued).rejects.toThrow("caller gave up");
    running.abort();
    await expect(spin).rejects.toThrow();
    // Only a new worker can answer: the old one never leaves its loop.
    expect(await pool.run(21)).toBe(42);
    await expect(pool.run(1, [], AbortSignal.abort(new Error("already cancelled")))).rejects.toThrow("already cancelled");
  });

  it("ends a worker whose task outlasts its budget (an injected clock), and times nothing once answered", async () => {
    const timers: { ms: number; fire: () => void; cancelled: boolean }[] = [];
    const startTimer = (ms: number, fire: () => void) => {
      const timer = { ms, fire, cancelled: false };
      timers.push(timer);
      return () => void (timer.cancelled = true);
    };
    const pool = new WorkerPool<unknown, number>(script(), 1, { factor: 2 }, { taskBudgetMs: (task) => (task === "spin" ? 5_000 : 60_000), startTimer });
    pools.push(pool);
    expect(await pool.run(3)).toBe(6);
    expect(timers.map(({ ms, cancelled }) => [ms, cancelled])).toEqual([[60_000, true]]);
    const spin = pool.run("spin");
    const after = pool.run(4);
    await new Promise((resolve) => setImmediate(resolve));
    expect(timers.map(({ ms, cancelled }) => [ms, cancelled])).toEqual([[60_000, true], [5_000, false]]);
    timers[1]?.fire();
    await expect(spin).rejects.toThrow("the parsing worker took longer than 5000 ms on one task");
    expect(await after).toBe(8);
  });

  it("ends a worker past its heap limit, failing only its task", async () => {
    const pool = new WorkerPool<unknown, number>(script(), 1, { factor: 2 }, { resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
    pools.push(pool);
    await expect(pool.run("hog")).rejects.toThrow(/^the parsing worker stopped: /);
    expect(await pool.run(4)).toBe(8);
  });

  it("refuses work once closed, and fails what was still queued", async () => {
    const pool = new WorkerPool<unknown, number>(script(), 1, { factor: 1 });
    const queued = pool.run(1);
    await pool.close();
    await expect(queued).rejects.toThrow(/the worker pool was closed/);
    await expect(pool.run(2)).rejects.toThrow("the worker pool is closed");
  });
});
