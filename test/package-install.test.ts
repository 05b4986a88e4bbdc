/**
 * The package installs and runs as a newcomer would get it: `npm pack`, then `npm install -g` of
 * the tarball into an empty prefix and `npx --package <tarball> wiam`, each run from an empty
 * directory and answering a real MCP client over stdio. It installs every dependency (from the
 * npm cache or registry) and builds better-sqlite3, minutes of work: CI sets
 * WIAM_PACKAGE_INSTALL_TEST=1 (.ci/run); elsewhere the test is skipped.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { describe, expect, it } from "vitest";
import { PRODUCT_VERSION } from "../src/version.js";
import { textOf } from "./fixtures/mcp.js";

const ROOT = join(import.meta.dirname, "..");
const enabled = process.env.WIAM_PACKAGE_INSTALL_TEST === "1";
const INSTALL_TIMEOUT_MS = 15 * 60_000;

/**
 * Runs a command to the end without blocking the event loop: a synchronous spawn would stall
 * vitest's worker for the minutes an install takes.
 */
function run(command: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { cwd, encoding: "utf8", timeout: INSTALL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(" ")} failed: ${error.message}\n${stderr.slice(-3000)}`));
      else resolve(stdout);
    });
  });
}

/** A real MCP client on `command args`, started in an empty directory with its own data directory. */
async function askDemoQuestion(command: string, args: readonly string[], cwd: string, env: Record<string, string>): Promise<{ tools: string[]; text: string }> {
  const transport = new StdioClientTransport({ command, args: [...args], cwd, env, stderr: "ignore" });
  const client = new Client({ name: "package-install-test", version: "1.0.0" });
  await client.connect(transport);
  try {
    const tools = (await client.listTools()).tools.map((t) => t.name).sort();
    const result = await client.callTool({ name: "inventory_summary", arguments: { intent: "first look after installing the package" } });
    return { tools, text: textOf(result) };
  } finally {
    await client.close();
  }
}

const EXPECTED_TOOLS = ["describe_identity", "explain_entitlement_paths", "find_anomalous_activity", "find_expiring_credentials", "find_stale_service_accounts", "inventory_summary", "list_identities", "what_changed"];

describe.skipIf(!enabled)("the npm package, installed from its tarball", () => {
  const work = mkdtempSync(join(tmpdir(), "wiam-package-"));
  let tarball = "";

  it("packs the built tree", async () => {
    if (!existsSync(join(ROOT, "dist/src/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` (npm test does it first)");
    // --ignore-scripts: `prepare` would rebuild dist/ under the other tests' feet.
    await run("npm", ["pack", "--ignore-scripts", "--pack-destination", work, "--silent"], ROOT);
    const packed = readdirSync(work).filter((name) => name.endsWith(".tgz"));
    expect(packed).toEqual([`workload-iam-mcp-${PRODUCT_VERSION}.tgz`]);
    tarball = join(work, packed[0] ?? "");
  });

  it("installs globally into an empty prefix and serves the demo estate from an empty directory", { timeout: INSTALL_TIMEOUT_MS }, async () => {
    const prefix = join(work, "prefix");
    await run("npm", ["install", "--global", "--prefix", prefix, "--no-audit", "--no-fund", "--prefer-offline", tarball], work);
    const wiam = join(prefix, "bin", "wiam");
    const empty = join(work, "empty-global");
    mkdirSync(empty);
    expect((await run(wiam, ["--version"], empty)).trim()).toBe(PRODUCT_VERSION);
    const env = { PATH: process.env.PATH ?? "", HOME: empty, WIAM_DATA_DIR: join(work, "data-global") };
    const { tools, text } = await askDemoQuestion(wiam, ["serve"], empty, env);
    expect(tools).toEqual(EXPECTED_TOOLS);
    expect(text.split("\n")[0]).toBe("[DEMO DATA: answers come from the built-in demo estate, not from a real cloud]");
  });

  it("runs with npx --package <tarball> from an empty directory", { timeout: INSTALL_TIMEOUT_MS }, async () => {
    const empty = join(work, "empty-npx");
    mkdirSync(empty);
    expect((await run("npx", ["--yes", "--prefer-offline", "--package", tarball, "wiam", "--version"], empty)).trim()).toBe(PRODUCT_VERSION);
    // The npx cache holds the install now: the MCP client starts it the way a client config would.
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? empty, WIAM_DATA_DIR: join(work, "data-npx") };
    const { tools, text } = await askDemoQuestion("npx", ["--yes", "--prefer-offline", "--package", tarball, "wiam", "serve"], empty, env);
    expect(tools).toEqual(EXPECTED_TOOLS);
    expect(text.split("\n")[0]).toBe("[DEMO DATA: answers come from the built-in demo estate, not from a real cloud]");
  });
});
