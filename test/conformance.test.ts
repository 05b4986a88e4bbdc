/**
 * The MCP conformance suite's server scenarios against the built `wiam serve --http`.
 *
 * The suite needs Node >= 22 while the project supports 20, so the test installs a Node 22 binary
 * (the npm registry's `node-<platform>-<arch>` package) and the suite into a cache folder outside
 * the project's dependencies, once, and runs the suite with that binary. Pinned versions keep CI
 * reproducible. Scenarios that need the suite's own test tools (`test_simple_text`, ...), resources
 * or prompts do not apply to a tools-only server and are not run; docs/deployment.md lists which run.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./fixtures/authorization-server.js";

const CLI = new URL("../dist/src/cli/main.js", import.meta.url).pathname;
const CONFORMANCE_VERSION = "0.1.16";
const NODE_VERSION = "22.23.3";
export const CONFORMANCE_SCENARIOS = ["server-initialize", "ping", "logging-set-level", "tools-list", "server-sse-multiple-streams", "dns-rebinding-protection"] as const;

const cacheDir = process.env.WIAM_CONFORMANCE_CACHE ?? join(tmpdir(), `wiam-conformance-${CONFORMANCE_VERSION}-node${NODE_VERSION}`);
const nodePackage = `node-${process.platform === "win32" ? "win" : process.platform}-${process.arch}`;
const node22 = join(cacheDir, "node_modules", nodePackage, "bin", "node");
const suite = join(cacheDir, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");

function installSuite(): void {
  if (existsSync(node22) && existsSync(suite)) return;
  mkdirSync(cacheDir, { recursive: true });
  // No install scripts: the platform package already holds the binary.
  const npm = spawnSync(
    "npm",
    ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--prefix", cacheDir, `${nodePackage}@${NODE_VERSION}`, `@modelcontextprotocol/conformance@${CONFORMANCE_VERSION}`],
    { encoding: "utf8", timeout: 300_000 },
  );
  if (npm.status !== 0) throw new Error(`installing Node ${NODE_VERSION} and the conformance suite failed: ${npm.stderr.slice(-2000)}`);
}

describe.skipIf(process.env.WIAM_SKIP_CONFORMANCE === "1")("MCP conformance suite against wiam serve --http", () => {
  let server: ChildProcess;
  let url: string;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error("dist/ is missing: run `npm run build` (npm test does it first)");
    installSuite();
    const dir = mkdtempSync(join(tmpdir(), "wiam-conformance-"));
    const port = await freePort();
    const config = join(dir, "wiam.yaml");
    writeFileSync(config, `http:\n  host: 127.0.0.1\n  port: ${port}\n  auth:\n    type: none\n`, { mode: 0o600 });
    url = `http://127.0.0.1:${port}/mcp`;
    server = spawn(process.execPath, [CLI, "--config", config, "serve", "--http"], {
      env: { PATH: process.env.PATH ?? "", WIAM_DATA_DIR: join(dir, "data") },
      stdio: ["ignore", "ignore", "pipe"],
    });
    await new Promise<void>((resolve, reject) => {
      let log = "";
      server.stderr?.on("data", (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes("serving MCP over streamable HTTP")) resolve();
      });
      server.once("exit", (code) => reject(new Error(`server exited (${code}): ${log}`)));
    });
  }, 600_000);

  afterAll(() => {
    server?.kill("SIGTERM");
  });

  it.each(CONFORMANCE_SCENARIOS)("passes %s", (scenario) => {
    const run = spawnSync(node22, [suite, "server", "--url", url, "--scenario", scenario], { encoding: "utf8", timeout: 120_000, env: { PATH: process.env.PATH ?? "", NO_COLOR: "1" } });
    const output = `${run.stdout}\n${run.stderr}`;
    const summary = /Passed: (\d+)\/(\d+), (\d+) failed/.exec(output);
    expect(summary, output).not.toBeNull();
    expect(summary?.[3], output).toBe("0");
    expect(summary?.[1], output).toBe(summary?.[2]);
    expect(run.status, output).toBe(0);
  }, 150_000);
});
