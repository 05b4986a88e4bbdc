/**
 * A shutdown (a signal, stdin closed, or the stdio client's end of stdout gone) lets the calls that
 * are already running finish and be audited before the audit store closes: a call that ran is
 * never missing from the log. Through the real host and the real SQLite audit store.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AUDIT_DB_FILE, AuditStore } from "../src/audit/store.js";
import { runHost, type ServeHost } from "../src/server/host.js";
import { tempDataDir } from "./fixtures/mcp.js";

const caller = { sessionId: "s", clientName: "test", clientVersion: null, caller: "analyst", transport: "stdio" as const };

let host: ServeHost | undefined;
afterEach(async () => {
  await host?.shutdown();
  host = undefined;
});

function auditRecords(dataDir: string): { id: string; tool: string; status: string; intent: string | null }[] {
  const store = AuditStore.open(join(dataDir, AUDIT_DB_FILE), { responseBody: "none" });
  try {
    return store.search().map((record) => ({ id: record.id, tool: record.tool, status: record.status, intent: record.intent }));
  } finally {
    store.close();
  }
}

describe("shutting down with a call running", () => {
  it("waits for the running call, whose answer and audit record are complete, before the store closes", async () => {
    const dataDir = tempDataDir();
    host = await runHost({
      globals: { dataDir, logLevel: "error" },
      transport: () => ({ start: () => Promise.resolve("test"), stop: () => Promise.resolve() }),
      exit: () => undefined,
    });
    // The first call builds the demo inventory, so it is still running when the shutdown starts.
    const call = host.app.pipeline.execute({ tool: "find_stale_service_accounts", arguments: { intent: "stale accounts before shutdown" }, caller });
    const stopped = host.shutdown();
    const answer = await call;
    await stopped;
    host = undefined;
    expect(answer.isError).toBe(false);
    expect(auditRecords(dataDir)).toEqual([
      { id: answer.auditId, tool: "find_stale_service_accounts", status: "ok", intent: "stale accounts before shutdown" },
    ]);
  }, 60_000);
});

describe("shutting down when waiting fails", () => {
  it("still closes the stores (the waiting audit rows are written) and says why", async () => {
    const dataDir = tempDataDir();
    const started = await runHost({
      globals: { dataDir, logLevel: "error" },
      transport: () => ({ start: () => Promise.resolve("test"), stop: () => Promise.resolve() }),
      exit: () => undefined,
    });
    const answer = await started.app.pipeline.execute({ tool: "inventory_summary", arguments: { intent: "summary before a failing shutdown" }, caller });
    const errors: string[] = [];
    started.app.logger.error = (message: string) => void errors.push(message);
    started.app.drain = () => Promise.reject(new Error("drain broke"));
    await started.shutdown();
    expect(errors).toEqual(["waiting for running calls failed: drain broke"]);
    expect(auditRecords(dataDir)).toEqual([{ id: answer.auditId, tool: "inventory_summary", status: "ok", intent: "summary before a failing shutdown" }]);
    // Closed: a call now is refused by the closed store rather than written.
    await expect(started.app.pipeline.execute({ tool: "inventory_summary", arguments: { intent: "after close" }, caller })).rejects.toThrow("the audit log is closed (the server is shutting down): this record was not written");
  }, 60_000);
});
