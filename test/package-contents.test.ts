/**
 * `npm pack` ships only what runs: the compiled server, tools and redactor, the schemas and
 * policies it reads, and the README. No tests, fakes, benchmarks, source maps or their output.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { expect, test } from "vitest";
import { z } from "zod";

const ROOT = join(import.meta.dirname, "..");

const packSchema = z.array(z.object({ files: z.array(z.object({ path: z.string() })) })).length(1);

test("npm pack --dry-run lists only runtime files", () => {
  const output = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const files = packSchema.parse(JSON.parse(output))[0]?.files.map((file) => file.path) ?? [];
  const unexpected = files.filter(
    (path) => !/^(dist\/(src|tools|redaction)\/.+\.js|schemas\/[^/]+\.json|policies\/[^/]+\.(cedar|json|yaml)|README\.md|LICENSE|package\.json)$/.test(path),
  );
  expect(unexpected).toEqual([]);
  expect(files).toContain("dist/src/cli/main.js");
  expect(files).toContain("dist/src/providers/aws/index.js");
  expect(files).toContain("schemas/inventory.schema.json");
  expect(files).toContain("policies/default.cedar");
  expect(files.some((path) => /(^|\/)(test|bench)\//.test(path) || path.endsWith(".map"))).toBe(false);
});
