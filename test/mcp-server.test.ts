import { afterEach, describe, expect, it } from "vitest";
import { connect, textOf, type Connected } from "./fixtures/mcp.js";

const EXPECTED_TOOLS = [
  "inventory_summary",
  "find_stale_service_accounts",
  "find_expiring_credentials",
  "explain_entitlement_paths",
  "describe_identity",
  "list_identities",
  "find_anomalous_activity",
  "what_changed",
];

const intent = "Quarterly review of machine identities";

let session: Connected | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
});

describe("MCP server over the in-memory transport, on the demo estate", () => {
  it("lists every tool as read-only with input and output schemas", async () => {
    session = await connect();
    const { tools } = await session.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(EXPECTED_TOOLS);
    for (const tool of tools) {
      expect(tool.annotations?.readOnlyHint, tool.name).toBe(true);
      expect(tool.annotations?.destructiveHint, tool.name).toBe(false);
      expect(tool.outputSchema?.type, tool.name).toBe("object");
      expect(tool.inputSchema.required, tool.name).toContain("intent");
      expect(tool.description?.length ?? 0, tool.name).toBeGreaterThan(80);
    }
  });

  it("never lists or runs a CLI command's tool (export_inventory), even with every tool allowed", async () => {
    session = await connect({ tools: { allow: ["*"] } });
    const { tools } = await session.client.listTools();
    expect(tools.map((t) => t.name)).not.toContain("export_inventory");
    const result = await session.client.callTool({ name: "export_inventory", arguments: { intent } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('tool "export_inventory" is not available (not an MCP tool (a CLI command))');
  });

  it("answers each core question with structured content that says it is demo data", async () => {
    session = await connect();
    const calls: [string, Record<string, unknown>][] = [
      ["inventory_summary", {}],
      ["find_stale_service_accounts", {}],
      ["find_expiring_credentials", { within_days: 30 }],
      ["list_identities", { provider: "gcp", workload_only: true, limit: 5 }],
    ];
    for (const [name, args] of calls) {
      const result = await session.client.callTool({ name, arguments: { intent, ...args } });
      expect(result.isError, `${name}: ${textOf(result)}`).toBeFalsy();
      const structured = result.structuredContent as { dataSource: { demo: boolean; kind: string } };
      expect(structured.dataSource).toMatchObject({ demo: true, kind: "demo" });
      expect(textOf(result).startsWith("[DEMO DATA"), name).toBe(true);
    }
  });

  it("pages through results with a cursor bound to the query", async () => {
    session = await connect();
    const first = await session.client.callTool({ name: "list_identities", arguments: { intent, limit: 3 } });
    const page = (first.structuredContent as { page: { returned: number; total: number; nextCursor: string } }).page;
    expect(page.returned).toBe(3);
    expect(page.total).toBeGreaterThan(100);
    const second = await session.client.callTool({ name: "list_identities", arguments: { intent, limit: 3, cursor: page.nextCursor } });
    const ids = (r: typeof first) => (r.structuredContent as { identities: { id: string }[] }).identities.map((i) => i.id);
    expect(ids(second)).toHaveLength(3);
    expect(ids(second)).not.toEqual(ids(first));
    const replayed = await session.client.callTool({ name: "list_identities", arguments: { intent, limit: 3, provider: "aws", cursor: page.nextCursor } });
    expect(replayed.isError).toBe(true);
    expect(textOf(replayed)).toContain("cursor: not a cursor from this query");
  });

  it("returns a tool error naming the field and the problem for bad input", async () => {
    session = await connect();
    const missingIntent = await session.client.callTool({ name: "find_expiring_credentials", arguments: {} });
    expect(missingIntent.isError).toBe(true);
    expect(textOf(missingIntent)).toContain("invalid arguments for find_expiring_credentials: intent:");

    const badNumber = await session.client.callTool({ name: "find_expiring_credentials", arguments: { intent, within_days: -5 } });
    expect(textOf(badNumber)).toBe("invalid arguments for find_expiring_credentials: within_days: Too small: expected number to be >=1");

    const unknownField = await session.client.callTool({ name: "inventory_summary", arguments: { intent, redact: false } });
    expect(textOf(unknownField)).toContain('Unrecognized key: "redact"');

    const reverseWithoutResource = await session.client.callTool({
      name: "explain_entitlement_paths",
      arguments: { intent, action: "s3:GetObject" },
    });
    expect(textOf(reverseWithoutResource)).toContain("resource: reverse mode (no principal) needs both action and resource");

    const unknownPrincipal = await session.client.callTool({ name: "describe_identity", arguments: { intent, principal: "nobody-here" } });
    expect(textOf(unknownPrincipal)).toContain('principal: no identity "nobody-here" in the inventory');
  });

  it("hides a disabled tool from the list and refuses to call it", async () => {
    session = await connect({ tools: { deny: ["explain_entitlement_paths"] } });
    const { tools } = await session.client.listTools();
    expect(tools.map((t) => t.name)).not.toContain("explain_entitlement_paths");
    const result = await session.client.callTool({
      name: "explain_entitlement_paths",
      arguments: { intent, principal: "anything" },
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('tool "explain_entitlement_paths" is not available (tools.deny: explain_entitlement_paths)');
  });
});
