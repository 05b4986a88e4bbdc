/** The built server, spawned the way Claude Desktop or Claude Code would spawn it. */
import { existsSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDataDir, textOf } from "./fixtures/mcp.js";

const CLI = new URL("../dist/src/cli/main.js", import.meta.url).pathname;
const intent = "Check the stdio server end to end";

describe("wiam serve over stdio (built server)", () => {
  let client: Client;
  let stderr = "";

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error("dist/ is missing: run `npm run build` (npm test does it first)");
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, "serve"],
      env: { PATH: process.env.PATH ?? "", WIAM_DATA_DIR: tempDataDir() },
      stderr: "pipe",
    });
    transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    // Like a client whose user approves what the policy sends for approval (a forward entitlement query).
    client = new Client({ name: "stdio-test", version: "1.0.0" }, { capabilities: { elicitation: { form: {} } } });
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: "accept", content: { approve: true } }));
    await client.connect(transport);
  });

  afterAll(async () => {
    await client?.close();
  });

  it("lists the tools and answers every one of them", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      "describe_identity",
      "explain_entitlement_paths",
      "find_anomalous_activity",
      "find_expiring_credentials",
      "find_stale_service_accounts",
      "inventory_summary",
      "list_identities",
      "what_changed",
    ]);
    const someone = await client.callTool({ name: "list_identities", arguments: { intent, workload_only: true, limit: 1 } });
    const principal = (someone.structuredContent as { identities: { id: string }[] }).identities[0]?.id;
    expect(principal).toBeDefined();
    const calls: [string, Record<string, unknown>][] = [
      ["inventory_summary", {}],
      ["find_stale_service_accounts", { limit: 5 }],
      ["find_expiring_credentials", { limit: 5 }],
      ["explain_entitlement_paths", { principal, limit: 5 }],
      ["describe_identity", { principal }],
      ["find_anomalous_activity", { limit: 5 }],
    ];
    for (const [name, args] of calls) {
      const result = await client.callTool({ name, arguments: { intent, ...args } });
      expect(result.isError, `${name}: ${textOf(result)}`).toBeFalsy();
      expect(textOf(result)).toMatch(/^\[DEMO DATA/);
    }
  });

  it("keeps stdout for the protocol: logs go to stderr", () => {
    expect(stderr).toContain("serving MCP over stdio: providers demo");
  });
});
