/**
 * tools/list is lean but loses nothing a model needs: it is far smaller than the schemas zod
 * generates (31.8 KB, about 7.6k tokens before; 23.6 KB, about 5.6k after, o200k), every field
 * name is still there, and the SDK client (which validates each answer's structuredContent
 * against the listed outputSchema) accepts every tool's answer.
 */
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ALL_TOOLS } from "../tools/index.js";
import { DEMO_ANCHORS } from "../src/connectors/demo/index.js";
import { connect, type Connected } from "./fixtures/mcp.js";

let session: Connected | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
});

/** Every property name anywhere in a JSON Schema. */
function propertyNames(node: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) propertyNames(item, into);
  else if (typeof node === "object" && node !== null) {
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (key === "properties" && typeof value === "object" && value !== null) for (const name of Object.keys(value)) into.add(name);
      propertyNames(value, into);
    }
  }
  return into;
}

describe("tools/list", () => {
  // Eight tools (what_changed and find_anomalous_activity joined the first six): 32.9 KB lean
  // against 44.9 KB generated. The bound grows with each tool by what a lean tool costs (about
  // 4.1 KB), and the lean listing stays under three quarters of the generated one.
  it("is at most 4.2 KB of JSON a tool, and under three quarters of the schemas as generated", async () => {
    session = await connect();
    const { tools } = await session.client.listTools();
    const generated = tools.map((tool) => {
      const definition = ALL_TOOLS.find((t) => t.name === tool.name);
      if (!definition) throw new Error(`unknown tool ${tool.name}`);
      return { ...tool, inputSchema: z.toJSONSchema(definition.input, { io: "input" }), outputSchema: z.toJSONSchema(definition.output, { io: "output" }) };
    });
    const lean = JSON.stringify({ tools }).length;
    expect(lean).toBeLessThanOrEqual(4_200 * tools.length);
    expect(lean).toBeLessThan(0.75 * JSON.stringify({ tools: generated }).length);
  });

  it("still names every input and output field, the envelope's inside its one-line summary", async () => {
    session = await connect();
    const { tools } = await session.client.listTools();
    for (const tool of tools) {
      const definition = ALL_TOOLS.find((t) => t.name === tool.name);
      if (!definition) throw new Error(`unknown tool ${tool.name}`);
      const listed = JSON.stringify(tool);
      for (const name of propertyNames(z.toJSONSchema(definition.input, { io: "input" }))) expect(tool.inputSchema.properties, `${tool.name} input ${name}`).toHaveProperty(name);
      for (const name of propertyNames(z.toJSONSchema(definition.output, { io: "output" }))) expect(listed, `${tool.name} output ${name}`).toContain(name);
      expect(tool.inputSchema.additionalProperties, tool.name).toBe(false);
      expect(listed, tool.name).not.toContain("9007199254740991");
      expect(listed, tool.name).not.toContain("$schema");
    }
  });

  it("describes every answer: the client validates each tool's structuredContent against the listed schema", async () => {
    session = await connect();
    const intent = "check answers against the listed output schemas";
    const calls: [string, Record<string, unknown>][] = [
      ["inventory_summary", {}],
      ["find_stale_service_accounts", { limit: 5 }],
      ["find_expiring_credentials", { limit: 5 }],
      ["explain_entitlement_paths", { principal: DEMO_ANCHORS.aws.ciUser, limit: 5 }],
      ["describe_identity", { principal: DEMO_ANCHORS.aws.prodDeployRole }],
      ["list_identities", { limit: 5 }],
      ["what_changed", { limit: 5 }],
      ["find_anomalous_activity", { limit: 5 }],
    ];
    expect(calls.map(([name]) => name).sort()).toEqual(ALL_TOOLS.map((t) => t.name).sort());
    await session.client.listTools();
    for (const [name, args] of calls) {
      const result = await session.client.callTool({ name, arguments: { intent, ...args } });
      expect(result.isError, name).toBeFalsy();
      expect(result.structuredContent, name).toBeDefined();
    }
  });
});
