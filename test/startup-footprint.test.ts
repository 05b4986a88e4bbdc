/**
 * What a process answering from the demo estate loads. Cloud SDKs and the PostgreSQL driver are
 * loaded only when a live connector or `state.postgres` is configured: each eagerly imported
 * package stays resident in every process, and the 10k-identity estate must be served within
 * 250 MB (issue #19). Cedar is loaded only through src/governance/cedar.ts, after the setting
 * that keeps its one-off schema check off the optimizing compiler.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { DEMO_ANCHORS } from "../src/connectors/demo/index.js";

const ROOT = new URL("..", import.meta.url).pathname;
const CLI = join(ROOT, "dist/src/cli/main.js");

/** A module resolution hook (run in Node's loader thread) that appends every resolved URL to a file. */
const RECORDING_HOOKS = `
import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.WIAM_TEST_IMPORT_LOG, resolved.url + "\\n");
  return resolved;
}
`;

/** The packages a `wiam` process resolved from node_modules while it ran `args`. */
function packagesLoadedBy(args: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "wiam-footprint-"));
  chmodSync(dir, 0o700);
  const hooks = join(dir, "hooks.mjs");
  const register = join(dir, "register.mjs");
  const log = join(dir, "imports.log");
  writeFileSync(hooks, RECORDING_HOOKS);
  writeFileSync(register, `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  writeFileSync(log, "");
  const result = spawnSync(process.execPath, ["--import", pathToFileURL(register).href, CLI, ...args], {
    encoding: "utf8",
    input: "",
    env: { PATH: process.env.PATH ?? "", HOME: dir, WIAM_DATA_DIR: join(dir, "data"), WIAM_TEST_IMPORT_LOG: log },
    timeout: 60_000,
  });
  expect(result.status, result.stderr).toBe(0);
  // A Node.js whose V8 no longer knows the tiering flag would say so on every command's stderr.
  expect(result.stderr).not.toContain("unrecognized flag");
  const packages = new Set<string>();
  for (const url of readFileSync(log, "utf8").split("\n")) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (match?.[1]) packages.add(match[1]);
  }
  return [...packages].sort();
}

/** Packages only a live connector, PostgreSQL or telemetry export needs. */
const LOADED_ONLY_WHEN_CONFIGURED = /^(@aws-sdk\/|@smithy\/|@azure\/|@google-cloud\/|@googleapis\/|google-auth-library$|googleapis|gaxios$|pg$|pg-|@cloud-copilot\/|@opentelemetry\/(?!api$))/;

describe("a server on the demo estate loads no cloud SDK and no PostgreSQL driver", () => {
  it("answers inventory and entitlement questions with only the server's own packages loaded", () => {
    const summary = packagesLoadedBy(["call", "inventory_summary", "--intent", "what does the server see here"]);
    const paths = packagesLoadedBy(["call", "explain_entitlement_paths", "--intent", "what can the dev tools bot reach", "--args", JSON.stringify({ principal: DEMO_ANCHORS.aws.passRoleUser })]);
    for (const loaded of [summary, paths]) {
      // The hook saw the packages every call needs, so an absent cloud SDK is a real absence.
      expect(loaded).toEqual(expect.arrayContaining(["@cedar-policy/cedar-wasm", "better-sqlite3", "zod"]));
      expect(loaded.filter((name) => LOADED_ONLY_WHEN_CONFIGURED.test(name))).toStrictEqual([]);
    }
  }, 120_000);
});

describe("Cedar is loaded through one module", () => {
  it("is imported from src/governance/cedar.ts only, which sets the wasm tiering budget first", () => {
    const sources = (dir: string): string[] =>
      readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
        .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
        .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
    const importers = ["src", "tools", "redaction", "bench"]
      .flatMap(sources)
      .filter((file) => /from\s+["']@cedar-policy\/cedar-wasm/.test(readFileSync(join(ROOT, file), "utf8")));
    expect(importers).toStrictEqual(["src/governance/cedar.ts"]);
    const wrapper = readFileSync(join(ROOT, "src/governance/cedar.ts"), "utf8");
    expect(wrapper.indexOf('import "./cedar-wasm-tiering.js"')).toBeLessThan(wrapper.indexOf("@cedar-policy/cedar-wasm"));
    expect(wrapper.indexOf('import "./cedar-wasm-tiering.js"')).toBeGreaterThan(-1);
  });
});
