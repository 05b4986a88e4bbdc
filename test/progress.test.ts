/**
 * Collection progress reaches whoever asked for it: MCP `notifications/progress` when the client
 * sent a progress token (strictly increasing values, as MCP requires, even with connectors running
 * in parallel), and one redrawn stderr line when the CLI runs in a terminal.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { Progress } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { parseConfig } from "../src/config/load.js";
import type { CollectContext, Connector } from "../src/connectors/connector.js";
import { createDemoConnector } from "../src/connectors/demo/index.js";
import { progressLine } from "../src/cli/progress-line.js";
import { createMcpServer } from "../src/server/create-server.js";
import { tempDataDir } from "./fixtures/mcp.js";

/** The demo estate, served as if collected from a cloud: it reports progress as live connectors do. */
function reportingConnector(): Connector {
  const demo = createDemoConnector();
  return {
    id: "aws",
    description: "demo estate reporting progress",
    async collect(context: CollectContext) {
      context.progress?.(0, undefined, "aws: reading the organization");
      context.progress?.(1, 2, "aws:account/111111111111: collected");
      // A second connector running in parallel would report its own, lower, count here.
      context.progress?.(0, 3, "gcp: projects/acme-prod-data:\n12 service accounts");
      context.progress?.(2, 2, "aws:account/222222222222: collected");
      // Connector text can carry estate data; a token in it must not reach the client.
      context.progress?.(2, 2, "aws: tag says ghp_EXAMPLEd0c5f1e2a3b4c5d6e7f8a9b0c1d2e3f4");
      return demo.collect(context);
    },
  };
}

async function connectedClient() {
  const app = createApp({ config: parseConfig({}, "(test)"), dataDir: tempDataDir(), logLevel: "error", logWrite: () => undefined, connectors: [reportingConnector()] });
  const server = createMcpServer({ pipeline: app.pipeline, logger: app.logger, transport: "in-memory", caller: "test-analyst" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "progress-test", version: "1.0.0" });
  await server.connect(serverSide);
  await client.connect(clientSide);
  return {
    client,
    close: async () => {
      await client.close();
      app.close();
    },
  };
}

describe("MCP progress notifications during collection", () => {
  it("reach a client that sent a progress token, in order, strictly increasing and redacted", async () => {
    const { client, close } = await connectedClient();
    try {
      const seen: Progress[] = [];
      const result = await client.callTool(
        { name: "inventory_summary", arguments: { intent: "overview with a progress bar" } },
        undefined,
        { onprogress: (progress) => void seen.push(progress) },
      );
      expect(result.isError).toBeFalsy();
      expect(seen).toEqual([
        { progress: 1, message: "aws: reading the organization" },
        { progress: 2, message: "aws:account/111111111111: collected (1/2)" },
        { progress: 3, message: "gcp: projects/acme-prod-data: 12 service accounts (0/3)" },
        { progress: 4, message: "aws:account/222222222222: collected (2/2)" },
        { progress: 5, message: expect.stringMatching(/^aws: tag says \[REDACTED:[a-z_]+:[0-9a-f]+\] \(2\/2\)$/) },
      ]);

      // The inventory is cached now: the next call collects nothing and reports nothing.
      const again: Progress[] = [];
      await client.callTool({ name: "inventory_summary", arguments: { intent: "overview with a progress bar" } }, undefined, {
        onprogress: (progress) => void again.push(progress),
      });
      expect(again).toEqual([]);
    } finally {
      await close();
    }
  });
});

describe("the CLI's progress line", () => {
  function terminal(isTTY: boolean) {
    const writes: string[] = [];
    return { writes, stream: { isTTY, columns: 40, write: (text: string) => writes.push(text) > 0 } };
  }

  it("redraws one line on a terminal, at most every 100 ms, cut to the width, and clears it at the end", () => {
    const { writes, stream } = terminal(true);
    let now = 0;
    const line = progressLine(stream, () => now);
    line.report?.(1, undefined, "aws: reading the organization");
    now = 50;
    line.report?.(2, undefined, "skipped: drawn too soon after the last");
    now = 150;
    line.report?.(3, undefined, "aws:account/111111111111: authorization details page 3");
    line.clear();
    expect(writes).toEqual([
      "\r\u001b[2Kwiam: aws: reading the organization",
      "\r\u001b[2Kwiam: aws:account/111111111111: author…",
      "\r\u001b[2K",
    ]);
  });

  it("is off when stderr is not a terminal (logs and pipes get no escape codes)", () => {
    const { writes, stream } = terminal(false);
    const line = progressLine(stream);
    expect(line.report).toBeUndefined();
    line.clear();
    expect(writes).toEqual([]);
  });
});
