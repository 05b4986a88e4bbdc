/**
 * The server's own words come out of redaction exactly as written: every tool's text and
 * structured answer, through the real pipeline and a real MCP client, equals the tool's own
 * unredacted rendering byte for byte, on the demo estate and on a generated larger estate. The only
 * differences allowed are the demo's two deliberately planted fake secrets, each replaced whole.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSyntheticEstate } from "../bench/generate-estate.js";
import { createRedactor } from "../redaction/index.js";
import { parseConfig } from "../src/config/load.js";
import type { Connector } from "../src/connectors/connector.js";
import { createDemoConnector } from "../src/connectors/demo/index.js";
import { DEMO_ANCHORS } from "../src/connectors/demo/anchors.js";
import { InventoryService } from "../src/pipeline/inventory-service.js";
import { plainText } from "../src/text/answer.js";
import { sanitizeUntrusted } from "../src/text/untrusted.js";
import { ALL_TOOLS } from "../tools/index.js";
import { connect, textOf, type Connected } from "./fixtures/mcp.js";

const NOW = new Date("2026-11-20T12:00:00Z");
const CONFIG = { limits: { maxPageSize: 500, maxResponseBytes: 4_000_000 } };
const intent = "Quarterly review of machine identities";
const PLANTED = DEMO_ANCHORS.plantedSecrets.map((planted) => planted.value);
const rescan = createRedactor({ key: Buffer.alloc(32, 3) });

const syntheticConnector: Connector = {
  id: "synthetic",
  description: "a generated estate of 1,500 identities",
  local: true,
  collect: async (context) => generateSyntheticEstate({ identities: 1_500, seed: 17, now: context.now }),
};

interface Estate {
  name: string;
  connector: () => Connector;
}

const ESTATES: Estate[] = [
  { name: "the demo estate", connector: createDemoConnector },
  { name: "a generated estate", connector: () => syntheticConnector },
];

/** The tool's own answer, unredacted, computed beside the server from the same estate and clock. */
async function ownRendering(connector: Connector, tool: string, args: Record<string, unknown>) {
  const definition = ALL_TOOLS.find((t) => t.name === tool);
  if (!definition) throw new Error(`no tool ${tool}`);
  const service = new InventoryService([connector], 60_000, () => NOW);
  const { inventory, dataSource } = await service.get({ taskId: "expected", recordOperation: () => undefined });
  const outcome = await definition.handler(definition.input.parse({ intent, ...args }), { inventory, dataSource, config: parseConfig(CONFIG, "(test)"), now: NOW });
  return { text: plainText(outcome.text), structured: sanitizeUntrusted(definition.output.parse(outcome.structured)) };
}

/** Equal, except that a string holding a planted fake secret must come back with it replaced. */
function expectSameBesidesPlanted(actual: unknown, expected: unknown, where: string): void {
  if (typeof expected === "string" && PLANTED.some((secret) => expected.includes(secret))) {
    expect(typeof actual, where).toBe("string");
    for (const secret of PLANTED) expect(String(actual), where).not.toContain(secret);
    expect(String(actual), where).toMatch(/\[REDACTED:[a-z0-9_]+:[0-9a-f]{8}\]/);
    return;
  }
  if (typeof expected !== "object" || expected === null) {
    expect(actual, where).toEqual(expected);
    return;
  }
  expect(typeof actual, where).toBe("object");
  const actualRecord = actual as Record<string, unknown>;
  const expectedRecord = expected as Record<string, unknown>;
  expect(Object.keys(actualRecord), where).toEqual(Object.keys(expectedRecord));
  for (const key of Object.keys(expectedRecord)) expectSameBesidesPlanted(actualRecord[key], expectedRecord[key], `${where}.${key}`);
}

describe.each(ESTATES)("the server's own output on $name", (estate) => {
  let session: Connected;
  let connector: Connector;
  let calls = 0;

  beforeAll(async () => {
    connector = estate.connector();
    session = await connect(CONFIG, { now: () => NOW, connectors: [connector] });
  });
  afterAll(async () => {
    await session.close();
  });

  async function expectOwnOutput(tool: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const result = await session.client.callTool({ name: tool, arguments: { intent, ...args } });
    calls++;
    const text = textOf(result);
    expect(result.isError, `${tool} ${JSON.stringify(args)}: ${text}`).toBeFalsy();
    const expected = await ownRendering(connector, tool, args);
    const where = `${tool} ${JSON.stringify(args)}`;
    expectSameBesidesPlanted(result.structuredContent, expected.structured, where);
    if (PLANTED.some((secret) => expected.text.includes(secret))) expectSameBesidesPlanted(text, expected.text, where);
    else {
      expect(text, where).toBe(expected.text);
      // Even scanned whole (as the audit store's safety net scans a stored response), the text stays.
      expect(rescan.redactText(text).value, `${where} rescanned`).toBe(text);
    }
    return result.structuredContent as Record<string, unknown>;
  }

  /** Every page of a listing, following the cursor the text hands out. */
  async function everyPage(tool: string, args: Record<string, unknown>, itemsKey: string, pageSize: number): Promise<unknown[]> {
    const items: unknown[] = [];
    let cursor: string | undefined;
    do {
      const structured = await expectOwnOutput(tool, { ...args, limit: pageSize, ...(cursor ? { cursor } : {}) });
      items.push(...(structured[itemsKey] as unknown[]));
      cursor = (structured.page as { nextCursor: string | null }).nextCursor ?? undefined;
    } while (cursor !== undefined);
    return items;
  }

  it("leaves inventory_summary, and every page of each listing, byte for byte as the tools wrote them", { timeout: 120_000 }, async () => {
    await expectOwnOutput("inventory_summary", {});
    for (const provider of ["aws", "gcp", "azure"]) await expectOwnOutput("inventory_summary", { provider });
    const identities = await everyPage("list_identities", {}, "identities", 97);
    expect(identities.length).toBeGreaterThan(100);
    await everyPage("list_identities", { workload_only: true }, "identities", 500);
    await everyPage("find_stale_service_accounts", {}, "findings", 61);
    await everyPage("find_stale_service_accounts", { inactive_days: 30, rotation_days: 30 }, "findings", 500);
    await everyPage("find_expiring_credentials", { within_days: 365 }, "findings", 53);
  });

  it("leaves describe_identity and explain_entitlement_paths as written, for identities across the estate", { timeout: 120_000 }, async () => {
    const { identities } = await expectOwnOutput("list_identities", { limit: 500 });
    const rows = identities as { id: string }[];
    // About 80 identities spread over each estate (each call is a full round trip through the server).
    const step = Math.max(1, Math.floor(rows.length / 80));
    const sample = rows.filter((_, index) => index % step === 0);
    for (const row of sample) await expectOwnOutput("describe_identity", { principal: row.id });
    for (const row of sample.slice(0, 25)) await expectOwnOutput("explain_entitlement_paths", { principal: row.id, limit: 500 });
    for (const path of DEMO_ANCHORS.paths) {
      if (estate.connector !== createDemoConnector) break;
      await expectOwnOutput("explain_entitlement_paths", { principal: path.principal, limit: 500 });
      await expectOwnOutput("explain_entitlement_paths", { action: path.action, resource: path.resource, limit: 500 });
    }
    expect(calls).toBeGreaterThan(40);
  });
});
