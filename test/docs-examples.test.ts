/**
 * The documentation's examples are real: every YAML block in docs/ is a valid config (or, with a
 * modeline, one an editor checks against `wiam config schema`), every `wiam` command in a shell
 * block runs against the demo estate and succeeds, and the configuration reference is the one
 * `wiam config reference` generates.
 */
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { configSchema } from "../src/config/schema.js";
import { configReferenceMarkdown } from "../src/config/reference.js";
import { describeIssues } from "../src/util/zod-issues.js";

const ROOT = join(import.meta.dirname, "..");
const CLI = join(ROOT, "dist/src/cli/main.js");
const PAGES = [...readdirSync(join(ROOT, "docs")).map((name) => join("docs", name)), "SECURITY.md", "CHANGELOG.md"].filter((path) => path.endsWith(".md"));
const text = (path: string) => readFileSync(join(ROOT, path), "utf8");
const blocks = (language: string) =>
  PAGES.flatMap((page) => [...text(page).matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map((m) => [page, m[1] ?? ""] as const));

/** Commands a test cannot finish (a server waits for its client) are documented, not run. */
const commands = blocks("sh").flatMap(([page, block]) =>
  block
    .split("\n")
    .filter((line) => line.startsWith("wiam ") && !/^wiam serve\b/.test(line))
    .map((line) => [page, line] as const),
);

function sh(line: string, cwd: string, path: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile("bash", ["-c", line], { cwd, env: { PATH: path, HOME: cwd, WIAM_DATA_DIR: join(cwd, "data") }, timeout: 60_000 }, (error, _stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stderr }),
    );
  });
}

describe("documentation examples", () => {
  it("has pages, YAML examples and wiam commands to check", () => {
    expect(PAGES).toContain("docs/configuration.md");
    expect(PAGES).toContain("docs/demo-tour.md");
    expect(blocks("yaml").length).toBeGreaterThan(0);
    expect(commands.length).toBeGreaterThanOrEqual(10);
  });

  it.each(blocks("yaml").map(([page, block], index) => [`${page} #${index}`, block] as const))("%s is a valid config", (_name, block) => {
    const result = configSchema.safeParse(parse(block) ?? {});
    expect(result.success, result.success ? "" : describeIssues(result.error.issues)).toBe(true);
  });

  it("keeps docs/configuration.md's reference equal to what `wiam config reference` generates", () => {
    const page = text("docs/configuration.md");
    const generated = /<!-- generated: wiam config reference -->\n([\s\S]*?)<!-- end generated -->/.exec(page)?.[1];
    expect(generated).toBe(configReferenceMarkdown());
  });

  it("runs every wiam command in a shell block against the demo estate", { timeout: 300_000 }, async () => {
    if (!existsSync(CLI)) throw new Error("dist/ is missing: run `npm run build` (npm test does it first)");
    const dir = mkdtempSync(join(tmpdir(), "wiam-docs-"));
    // `wiam` on PATH is the built CLI, run by the Node running the tests.
    writeFileSync(join(dir, "wiam"), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    chmodSync(join(dir, "wiam"), 0o755);
    const path = `${dir}:${process.env.PATH ?? ""}`;
    for (const [page, line] of commands) {
      const { code, stderr } = await sh(line, dir, path);
      expect(code, `${page}: ${line}\n${stderr}`).toBe(0);
    }
  });
});
