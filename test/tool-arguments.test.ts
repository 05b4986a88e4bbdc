/** How `wiam tools <name>` describes arguments, from the JSON Schema the MCP client receives. */
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { formatToolArguments, toolArguments, type ToolSignature } from "../src/cli/tool-arguments.js";

const tool: ToolSignature = {
  name: "sample_tool",
  title: "Sample tool",
  description: "A tool made for this test.",
  input: z.strictObject({
    intent: z.string().min(8).max(500).describe("Why."),
    depth: z.number().int().min(1).max(6).default(3).describe("How deep."),
    verbose: z.boolean().default(false).describe("More detail."),
    kinds: z.array(z.enum(["role", "user"])).min(1).optional().describe("Which kinds."),
    id: z.string().regex(/^[a-z]+$/).max(64).optional().describe("An id."),
  }),
};

describe("tool arguments", () => {
  it("gives each argument's type with its limits, whether it is required, and its default", () => {
    expect(toolArguments(tool).map(({ name, type, required, default: fallback }) => [name, type, required, fallback])).toEqual([
      ["intent", "string, 8-500 chars", true, undefined],
      ["depth", "integer 1..6", false, 3],
      ["verbose", "boolean", false, false],
      ["kinds", "list of (role|user), at least 1", false, undefined],
      ["id", "string, 0-64 chars, /^[a-z]+$/", false, undefined],
    ]);
  });

  it("prints them as aligned rows under the tool's title and description", () => {
    expect(formatToolArguments(tool, { enabled: false, reason: "tools.deny: sample_*" })).toBe(
      [
        "sample_tool: Sample tool (disabled: tools.deny: sample_*)",
        "A tool made for this test.",
        "",
        "arguments:",
        "  intent   string, 8-500 chars              required       Why.",
        "  depth    integer 1..6                     default 3      How deep.",
        "  verbose  boolean                          default false  More detail.",
        "  kinds    list of (role|user), at least 1  optional       Which kinds.",
        "  id       string, 0-64 chars, /^[a-z]+$/   optional       An id.",
        "",
      ].join("\n"),
    );
  });
});
