/**
 * Crash safety: the real server is SIGKILLed while calls are in flight. Every call that got a
 * response must have its completed record, calls cut off must at least show as accepted, and the
 * chain must still verify; a restarted server goes on appending to the same chain.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { describe, expect, it } from "vitest";
import { AuditStore } from "../src/audit/store.js";
import { AUDIT_ID_META_KEY } from "../src/server/create-server.js";
import { tempDataDir } from "./fixtures/mcp.js";

const CLI = new URL("../dist/src/cli/main.js", import.meta.url).pathname;

/** The test fires 60 calls at once: budgets are raised so they measure crash safety, not throttling. */
function burstConfig(dataDir: string): string {
  const path = join(dataDir, "burst.yaml");
  writeFileSync(path, "governance:\n  budgets:\n    perTask: { callsPerMinute: 1000 }\n    perCaller: { callsPerMinute: 1000 }\n");
  return path;
}

async function startServer(dataDir: string): Promise<{ client: Client; transport: StdioClientTransport }> {
  if (!existsSync(CLI)) throw new Error("dist/ is missing: run `npm run build` (npm test does it first)");
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, "serve"],
    env: { PATH: process.env.PATH ?? "", WIAM_DATA_DIR: dataDir, WIAM_CONFIG: burstConfig(dataDir) },
    stderr: "ignore",
  });
  const client = new Client({ name: "crash-test", version: "1.0.0" });
  await client.connect(transport);
  return { client, transport };
}

describe("audit crash safety", () => {
  it("keeps a completed record for every answered call across a SIGKILL, and the chain verifies", async () => {
    const dataDir = tempDataDir();
    const { client, transport } = await startServer(dataDir);
    const answered: string[] = [];
    const calls = Array.from({ length: 60 }, (_, i) =>
      client
        .callTool({
          name: i % 2 === 0 ? "find_stale_service_accounts" : "find_expiring_credentials",
          arguments: { intent: `crash test call number ${i}`, limit: 5 },
        })
        .then((result) => {
          const id = result._meta?.[AUDIT_ID_META_KEY];
          if (typeof id === "string") answered.push(id);
          if (answered.length === 20 && transport.pid) process.kill(transport.pid, "SIGKILL");
        })
        .catch(() => undefined),
    );
    await Promise.all(calls);
    await client.close().catch(() => undefined);

    expect(answered.length).toBeGreaterThanOrEqual(20);
    const store = AuditStore.open(join(dataDir, "audit.db"), { responseBody: "summary" });
    try {
      for (const id of answered) expect(store.get(id)?.status, id).toBe("ok");
      const all = store.search({ limit: 1000 });
      expect(all.length).toBeGreaterThanOrEqual(answered.length);
      expect(all.every((r) => r.status === "ok" || r.status === "accepted")).toBe(true);
      expect(store.verify().ok).toBe(true);
    } finally {
      store.close();
    }

    // A new server process appends to the same chain.
    const again = await startServer(dataDir);
    const result = await again.client.callTool({ name: "inventory_summary", arguments: { intent: "after the crash" } });
    await again.client.close();
    const reopened = AuditStore.open(join(dataDir, "audit.db"), { responseBody: "summary" });
    try {
      expect(reopened.get(result._meta?.[AUDIT_ID_META_KEY] as string)?.status).toBe("ok");
      expect(reopened.verify().ok).toBe(true);
    } finally {
      reopened.close();
    }
  });
});
