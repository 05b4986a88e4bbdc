/**
 * Several processes writing one audit database, as when two MCP clients each spawn a stdio server.
 *
 * The writers are real `node` processes. Each runs test/fixtures/audit-writer.ts through vite-node
 * (shipped with vitest), which compiles the TypeScript store on the fly: no build step, no dist/
 * directory to keep fresh, and the children run exactly the sources under test.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { AuditStore } from "../src/audit/store.js";

const here = dirname(fileURLToPath(import.meta.url));
const writerScript = resolve(here, "fixtures", "audit-writer.ts");
const viteNodeCli = join(dirname(createRequire(import.meta.url).resolve("vite-node/package.json")), "vite-node.mjs");

/** A writer process: `ready` once it has opened the store and waits for the go file, `done` with its last line. */
function runWriter(path: string, writer: string, count: number, goFile: string): { ready: Promise<void>; done: Promise<string> } {
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolveReady) => (onReady = resolveReady));
  const done = new Promise<string>((resolvePromise, reject) => {
    const child = spawn(process.execPath, [viteNodeCli, writerScript, path, writer, String(count), goFile], {
      cwd: resolve(here, ".."),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes(`ready ${writer}\n`)) onReady();
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolvePromise(stdout.trim().split("\n").at(-1) ?? "");
      else reject(new Error(`writer ${writer} exited with ${code}: ${stderr}`));
    });
  });
  return { ready, done };
}

let dir: string | null = null;
afterEach(() => {
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

describe("concurrent writers", () => {
  it("lose no rows and never fork the chain", async () => {
    dir = mkdtempSync(join(tmpdir(), "wiam-audit-concurrent-"));
    const path = join(dir, "audit.db");
    const writers = ["w1", "w2", "w3", "w4"];
    const perWriter = 150;

    const goFile = join(dir, "go");
    const running = writers.map((writer) => runWriter(path, writer, perWriter, goFile));
    await Promise.all(running.map((run) => run.ready));
    writeFileSync(goFile, "");
    const outputs = await Promise.all(running.map((run) => run.done));
    expect(outputs).toEqual(writers.map((writer) => `done ${writer}`));

    const store = AuditStore.open(path, { responseBody: "summary" });
    try {
      const records = store.search({ limit: 10_000, order: "asc" });
      expect(records).toHaveLength(writers.length * perWriter);
      expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
      expect(records.every((r) => r.status === "ok")).toBe(true);
      for (const writer of writers) {
        const tasks = records.filter((r) => r.caller === writer).map((r) => r.taskId);
        expect(tasks).toEqual(Array.from({ length: perWriter }, (_, i) => `${writer}-${i}`));
      }
      expect(store.verify()).toMatchObject({ ok: true, checked: writers.length * perWriter * 2, headSeq: writers.length * perWriter * 2 });
      // Writes really interleaved (otherwise this test proves little): some writer's calls are not contiguous.
      const callers = records.map((r) => r.caller);
      const switches = callers.filter((caller, i) => i > 0 && caller !== callers[i - 1]).length;
      expect(switches).toBeGreaterThan(writers.length - 1);
    } finally {
      store.close();
    }
  }, 60_000);
});
