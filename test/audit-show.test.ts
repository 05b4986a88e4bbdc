/** `wiam audit show` prints stored text responses and errors line by line, readable and safe for a terminal. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { auditShow } from "../src/audit/commands.js";
import { AuditStore } from "../src/audit/store.js";
import type { ResponseBodyMode } from "../src/audit/types.js";
import { tempDataDir } from "./fixtures/mcp.js";

const TEXT = "[DEMO DATA: answers come from the built-in demo estate]\naws: 8 scopes\n\tindented\u001b]0;title\u0007 line";

async function recorded(mode: ResponseBodyMode, responseBody: unknown, error: string | null = null): Promise<string[]> {
  const store = AuditStore.open(join(tempDataDir(), "audit.db"), { responseBody: mode, now: () => new Date("2026-01-02T03:04:05.000Z") });
  const id = store.accept({
    sessionId: "s-1",
    clientName: "client",
    clientVersion: "1.0",
    caller: "analyst",
    transport: "stdio",
    tool: "inventory_summary",
    intent: "overview of the estate",
    taskId: null,
    arguments: { intent: "overview of the estate" },
    decision: "allow",
    decisionRule: "policy:default-allow",
    approver: null,
    redactionRulesetVersion: "test",
  });
  store.complete(id, {
    status: error === null ? "ok" : "error",
    error,
    credentialScope: null,
    cloudOperations: [],
    result: null,
    redactionFindings: {},
    responseBody,
    durationMs: 5,
  });
  const lines = (await auditShow(store, id)).text.split("\n");
  store.close();
  return lines;
}

describe("audit show", () => {
  it("prints a summary response's lines under the value column, control codes as ?", async () => {
    const lines = await recorded("summary", TEXT);
    const at = lines.findIndex((line) => line.startsWith("response"));
    expect(lines.slice(at, at + 3)).toEqual([
      "response     [DEMO DATA: answers come from the built-in demo estate]",
      "             aws: 8 scopes",
      "               indented?]0;title? line",
    ]);
    expect(lines[at + 3]).toBe("ruleset      test");
  });

  it("prints a full response as its text, then its structured JSON", async () => {
    const lines = await recorded("full", { structured: { summary: { scopes: 8 } }, text: "first line\nsecond line" });
    const at = lines.findIndex((line) => line.startsWith("response"));
    expect(lines.slice(at, at + 3)).toEqual(["response     first line", "             second line", 'structured   {"summary":{"scopes":8}}']);
  });

  it("prints a multi-line error so no stored line can pose as a field", async () => {
    const lines = await recorded("none", null, 'principal: "deploy" names 2 identities:\nstatus       ok');
    const at = lines.findIndex((line) => line.startsWith("error"));
    expect(lines.slice(at, at + 2)).toEqual(['error        principal: "deploy" names 2 identities:', "             status       ok"]);
    expect(lines.filter((line) => line.startsWith("status"))).toEqual(["status       error"]);
  });
});
