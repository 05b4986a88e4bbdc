/**
 * The README and the docs/ pages it links to are real: every YAML block is a valid config, the
 * quick start is two commands on a fresh checkout, and every relative link names a file and a
 * heading that exist (sections moved between pages must not leave dead links behind).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { configSchema } from "../src/config/schema.js";
import { describeIssues } from "../src/util/zod-issues.js";

const ROOT = join(import.meta.dirname, "..");
const PAGES = ["README.md", "SECURITY.md", "CHANGELOG.md", ...readdirSync(join(ROOT, "docs")).filter((name) => name.endsWith(".md")).map((name) => `docs/${name}`)];
const text = (page: string) => readFileSync(join(ROOT, page), "utf8");
const readme = text("README.md");
const yamlBlocks = PAGES.flatMap((page) => [...text(page).matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => [page, m[1] ?? ""] as const));

/** Text outside fenced code blocks and inline code: what a Markdown renderer turns into links and headings. */
function prose(markdown: string): string {
  return markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "``");
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of markdown.replace(/```[\s\S]*?```/g, "").matchAll(/^#+ (.*)$/gm)) {
    const slug = (heading ?? "").trim().toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, "").replace(/ /g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

describe("README and docs", () => {
  it("has configuration examples for the config file, governance and each cloud connector", () => {
    const all = yamlBlocks.map(([, block]) => block).join("\n");
    for (const key of ["providers:", "governance:", "  aws:", "  azure:", "  gcp:"]) expect(all).toContain(key);
  });

  it.each(yamlBlocks.map(([page, block], index) => [`${page} #${index}`, block] as const))("%s parses as a valid config", (_name, block) => {
    const result = configSchema.safeParse(parse(block) ?? {});
    expect(result.success, result.success ? "" : describeIssues(result.error.issues)).toBe(true);
  });

  it("starts a fresh checkout with two commands: install and start", () => {
    expect(readme).toContain("npm install && npm start");
  });

  it("links only to files and headings that exist", () => {
    const broken: string[] = [];
    for (const page of PAGES) {
      for (const [, target] of prose(text(page)).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (target === undefined || /^[a-z]+:/.test(target)) continue;
        const [file = "", anchor] = target.split("#");
        const linked = file === "" ? page : normalize(join(dirname(page), file));
        if (!existsSync(join(ROOT, linked))) {
          broken.push(`${page}: ${target} (no such file)`);
          continue;
        }
        if (anchor !== undefined && linked.endsWith(".md") && !anchorsOf(text(linked)).has(anchor)) broken.push(`${page}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});
