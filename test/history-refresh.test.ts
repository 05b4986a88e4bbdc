/**
 * The background refresh and `wiam collect` run the collect_inventory tool through the call
 * pipeline: each refresh is audited as the server's own collector task, the served copy is
 * swapped once the new collection is stored, and a policy can refuse the collector (the previous
 * copy stays). The source here is a connector object that answers like a cloud (not local), so
 * history keeps it; the AWS end-to-end cases are in history-service.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp, type App } from "../src/app.js";
import { parseConfig } from "../src/config/load.js";
import type { Connector } from "../src/connectors/connector.js";
import { buildDemoEstate } from "../src/connectors/demo/index.js";
import { startBackgroundRefresh } from "../src/history/background-refresh.js";

const DAY1 = new Date("2026-11-24T00:00:00Z");
const DAY2 = new Date("2026-11-25T00:00:00Z");

let dataDir: string;
let clock: Date;
let collections: number;
const apps: App[] = [];

/** The demo estate, as a cloud connector would hand it over: collected anew each time, at the clock's time. */
const cloudLike: Connector = {
  id: "aws",
  description: "the demo estate, served as if collected from a cloud",
  async collect(context) {
    collections++;
    const estate = buildDemoEstate(DAY1);
    delete estate.demo;
    estate.generatedAt = context.now.toISOString();
    return estate;
  },
};

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "wiam-refresh-"));
  clock = DAY1;
  collections = 0;
});
afterEach(() => {
  for (const app of apps.splice(0)) app.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function start(extra: Record<string, unknown> = {}): App {
  const config = parseConfig({ history: { enabled: true, refreshMinutes: 30, sensitive: { tags: {} } }, ...extra }, "(test)");
  const app = createApp({ config, dataDir, logLevel: "error", logWrite: () => undefined, now: () => clock, connectors: [cloudLike] });
  apps.push(app);
  return app;
}

/** Timers run by hand: the test says when the interval has passed. */
function manualTimers() {
  const pending: { run: () => void; ms: number; cancelled: boolean }[] = [];
  return {
    pending,
    setTimer(run: () => void, ms: number) {
      const timer = { run, ms, cancelled: false };
      pending.push(timer);
      return { cancel: () => void (timer.cancelled = true) };
    },
  };
}

const caller = { sessionId: "s", clientName: "test", clientVersion: null, caller: "analyst", transport: "in-memory" as const };
async function collectedAt(app: App): Promise<unknown> {
  const response = await app.pipeline.execute({ tool: "inventory_summary", arguments: { intent: "how old is the data" }, caller });
  return (response.structured?.dataSource as { collectedAt?: unknown } | undefined)?.collectedAt;
}

describe("background refresh", () => {
  it("runs every refreshMinutes as the audited collector task and swaps the served copy", async () => {
    const app = start();
    expect(await collectedAt(app)).toStrictEqual({ aws: DAY1.toISOString() });
    expect(collections).toBe(1);
    const logs: string[] = [];
    const timers = manualTimers();
    const refresher = startBackgroundRefresh({
      execute: (request) => app.pipeline.execute(request),
      sources: () => app.inventory.connectorIds,
      settings: () => app.config().history,
      log: (level, message) => logs.push(`${level}: ${message}`),
      setTimer: timers.setTimer,
    });
    expect(timers.pending.map((t) => t.ms)).toStrictEqual([30 * 60_000]);
    clock = DAY2;
    await refresher.runOnce();
    refresher.stop();
    expect(collections).toBe(2);
    expect(await collectedAt(app)).toStrictEqual({ aws: DAY2.toISOString() });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^info: background refresh of aws: - aws: collected 2026-11-25T00:00:00.000Z \(collection 2\) .*\(audit \S+\)$/);
    const audited = (await app.state?.audit.search({ tool: "collect_inventory" })) ?? [];
    expect(audited.map((r) => [r.caller, r.clientName, r.taskId, r.intent, r.status])).toStrictEqual([
      ["wiam-collector", "wiam-collector", "collector-aws", "scheduled background refresh of aws", "ok"],
    ]);
  });

  it("a policy can refuse the collector: the refresh is refused and logged, the previous copy stays", async () => {
    const policy = join(dataDir, "policy.cedar");
    writeFileSync(
      policy,
      [
        "permit (principal, action in Wiam::Action::\"read\", resource);",
        "forbid (principal == Wiam::Caller::\"wiam-collector\", action == Wiam::Action::\"collect_inventory\", resource);",
      ].join("\n"),
    );
    const app = start({ governance: { policyFile: policy } });
    await collectedAt(app);
    const logs: string[] = [];
    const refresher = startBackgroundRefresh({
      execute: (request) => app.pipeline.execute(request),
      sources: () => app.inventory.connectorIds,
      settings: () => app.config().history,
      log: (level, message) => logs.push(`${level}: ${message}`),
      setTimer: manualTimers().setTimer,
    });
    clock = DAY2;
    await refresher.runOnce();
    refresher.stop();
    expect(collections).toBe(1);
    expect(await collectedAt(app)).toStrictEqual({ aws: DAY1.toISOString() });
    expect(logs).toHaveLength(1);
    expect(logs[0]?.startsWith("warning: background refresh of aws: ")).toBe(true);
  });

  it("serves several sources joined after a restart, as the same answers as one source", async () => {
    const part = (provider: "aws" | "gcp" | "azure"): Connector => ({
      id: provider,
      description: `the demo estate's ${provider} part, as if collected from it`,
      async collect(context) {
        const estate = buildDemoEstate(DAY1);
        delete estate.demo;
        estate.generatedAt = context.now.toISOString();
        for (const list of ["scopes", "principals", "credentials", "vaultItems", "policies", "grants", "trustEdges"] as const) {
          (estate[list] as { provider: string }[]) = (estate[list] as { provider: string }[]).filter((item) => item.provider === provider);
        }
        estate.gaps = (estate.gaps ?? []).filter((gap) => gap.provider === provider);
        return estate;
      },
    });
    const config = parseConfig({ history: { enabled: true, refreshMinutes: 0, sensitive: { tags: {} } } }, "(test)");
    const ask = async (connectors: Connector[], directory = dataDir) => {
      const app = createApp({ config, dataDir: directory, logLevel: "error", logWrite: () => undefined, now: () => clock, connectors });
      apps.push(app);
      const answer = await app.pipeline.execute({ tool: "list_identities", arguments: { intent: "who is in the estate", limit: 500 }, caller });
      const summary = await app.pipeline.execute({ tool: "inventory_summary", arguments: { intent: "how large is the estate" }, caller });
      return {
        ids: (answer.structured?.identities as { id: string }[]).map((i) => i.id),
        total: (answer.structured?.page as { total: number }).total,
        summary: { ...summary.structured, dataSource: undefined, incomplete: undefined },
      };
    };
    const sources = [part("aws"), part("gcp"), part("azure")];
    const collected = await ask(sources);
    const restarted = await ask(sources);
    expect(restarted).toStrictEqual(collected);
    // One source holding every provider, in a data directory of its own.
    const wholeDir = mkdtempSync(join(tmpdir(), "wiam-refresh-whole-"));
    const whole = await ask([cloudLike], wholeDir).finally(() => rmSync(wholeDir, { recursive: true, force: true }));
    expect([restarted.total, restarted.summary]).toStrictEqual([whole.total, whole.summary]);
  });

  it("collect_inventory is a command: never listed to or callable by an MCP client", async () => {
    const app = start();
    expect(app.pipeline.enabledTools().map((t) => t.name)).not.toContain("collect_inventory");
    expect(app.pipeline.enabledTools("cli").map((t) => t.name)).toContain("collect_inventory");
  });
});
