/** The README's configuration examples are real: every YAML block in it is a valid config. */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { configSchema } from "../src/config/schema.js";
import { describeIssues } from "../src/util/zod-issues.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");

describe("README configuration examples", () => {
  it("has examples for the config file, governance and each cloud connector", () => {
    const text = blocks.join("\n");
    for (const key of ["providers:", "governance:", "  aws:", "  azure:", "  gcp:"]) expect(text).toContain(key);
  });

  it.each(blocks.map((block, index) => [index, block] as const))("block %i parses as a valid config", (_index, block) => {
    const result = configSchema.safeParse(parse(block) ?? {});
    expect(result.success, result.success ? "" : describeIssues(result.error.issues)).toBe(true);
  });
});
