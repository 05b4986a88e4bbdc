/**
 * Cost of request-time governance per call: the Cedar decision alone, the whole gate (scope
 * resolution, budgets, Cedar), and the latency it adds to a real tool call through the pipeline,
 * against the same pipeline with a pass-through governor, interleaved in one run.
 *
 *   npm run build && node dist/bench/policy.js [calls]
 *
 * Target: median added latency per call under 0.2 ms.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../src/app.js";
import { parseConfig } from "../src/config/load.js";
import { DEMO_ANCHORS } from "../src/connectors/demo/index.js";
import { Governor, type Authorization, type GovernedCall } from "../src/governance/governor.js";
import { decide, decideUncached, type GovernanceDecision, type PolicyRequest } from "../src/governance/policy-engine.js";
import { governanceSettingsOf, taskSettingsOf } from "../src/governance/settings.js";
import { TaskRegistry } from "../src/governance/tasks.js";
import { CallPipeline, type ToolCallRequest } from "../src/pipeline/call-pipeline.js";
import { resolveScope } from "../src/governance/scope-resolver.js";
import type { Inventory } from "../src/model/inventory-index.js";

const CALLS = Number(process.argv[2] ?? 5_000);
const TARGET_MEDIAN_ADDED_MS = 0.2;

/** Allows everything without looking: the "no policy" baseline. */
class PassThroughGovernor extends Governor {
  override async authorize(call: GovernedCall, _inventory: Inventory | null): Promise<Authorization> {
    const idle = { calls: 0, callsLastMinute: 0, itemsReturned: 0, distinctScopes: 0 };
    return {
      allowed: true,
      decision: "allow",
      rule: "no policy",
      policyIds: [],
      approval: null,
      message: null,
      scope: { id: "*", provider: "", kind: "estate", environment: "unknown", estateWide: true, containsProduction: false, tags: {}, ancestors: [] },
      budget: { task: idle, caller: idle, exceeded: [], taskIntent: call.intent },
      demo: true,
    };
  }

  override reviewRevealed(): GovernanceDecision {
    return { kind: "allow", policyIds: [], reasons: [] };
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function summarize(samples: number[]): { median: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), p95: percentile(sorted, 95) };
}

const fmt = (ms: number) => `${ms.toFixed(4)} ms`;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "wiam-bench-policy-"));
  const config = parseConfig(
    { governance: { budgets: { perTask: { callsPerMinute: 100_000, itemsReturned: 10_000_000 }, perCaller: { callsPerMinute: 100_000, itemsReturned: 10_000_000 } } } },
    "(bench)",
  );
  const app = createApp({ config, dataDir, logLevel: "error", logWrite: () => undefined });
  const baseline = new CallPipeline({
    tools: app.pipeline.enabledTools(),
    config: app.config,
    inventory: app.inventory,
    redactor: app.redactor,
    audit: app.audit as NonNullable<typeof app.audit>,
    logger: app.logger,
    governor: new PassThroughGovernor(() => governanceSettingsOf(config, app.policySet()), new TaskRegistry(() => taskSettingsOf(config), () => undefined)),
  });

  const request = (i: number): ToolCallRequest => ({
    tool: "list_identities",
    arguments: { intent: "benchmark the policy gate", scope: DEMO_ANCHORS.aws.productionAccount, limit: 1, task_id: `T-${i % 20}` },
    caller: { sessionId: "bench", clientName: "bench", clientVersion: null, caller: "analyst", transport: "in-memory" },
  });
  // Warm both paths (the demo estate is collected once and cached for both).
  for (let i = 0; i < 300; i++) {
    await app.pipeline.execute(request(i));
    await baseline.execute(request(i));
  }

  // 1. The Cedar decision alone, and the whole gate, on the same call.
  const inventory = await app.inventory.peekForPolicy({ taskId: "bench", recordOperation: () => undefined });
  const governor = new Governor(() => governanceSettingsOf(config, app.policySet()), new TaskRegistry(() => taskSettingsOf(config), () => undefined));
  const call: GovernedCall = {
    tool: "explain_entitlement_paths",
    intent: "benchmark the policy gate",
    taskId: "T-gate",
    caller: { name: "analyst", client: "bench", transport: "stdio" },
    query: { resource: DEMO_ANCHORS.aws.prodPaymentsSecret },
    arguments: { resource: DEMO_ANCHORS.aws.prodPaymentsSecret, action: "secretsmanager:GetSecretValue" },
    limit: 25,
    now: new Date(),
  };
  const settings = governanceSettingsOf(config, app.policySet());
  const scope = resolveScope(call.query, inventory, settings.scopes);
  const idle = { calls: 0, callsLastMinute: 0, itemsReturned: 0, distinctScopes: 0 };
  const policyRequest: PolicyRequest = {
    caller: { name: "analyst", client: "bench", transport: "stdio", issuer: "", clientId: "", groups: [] },
    tool: call.tool,
    resource: scope,
    context: { intent: call.intent, taskId: call.taskId, now: call.now, provider: "", scope: "", principal: "", target: "", limit: 25, demo: true, dataAgeMinutes: 0, task: idle, caller: idle, budgetExceeded: false, approved: true, approver: "bench", approvalKind: "second-person" },
  };
  const uncachedSamples: number[] = [];
  const decideSamples: number[] = [];
  const gateSamples: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    let t = performance.now();
    decideUncached(settings.policySet, policyRequest);
    uncachedSamples.push(performance.now() - t);
    t = performance.now();
    decide(settings.policySet, policyRequest);
    decideSamples.push(performance.now() - t);
    t = performance.now();
    await governor.authorize({ ...call, query: { resource: DEMO_ANCHORS.aws.developmentAccount }, taskId: `T-${i % 20}` }, inventory, undefined);
    gateSamples.push(performance.now() - t);
  }

  // 2. Whole tool calls, governed and not, interleaved so drift hits both alike.
  const governed: number[] = [];
  const ungoverned: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    let t = performance.now();
    await app.pipeline.execute(request(i));
    governed.push(performance.now() - t);
    t = performance.now();
    await baseline.execute(request(i));
    ungoverned.push(performance.now() - t);
  }

  const u = summarize(uncachedSamples);
  const d = summarize(decideSamples);
  const g = summarize(gateSamples);
  const on = summarize(governed);
  const off = summarize(ungoverned);
  const added = on.median - off.median;
  console.log(`policy gate, ${CALLS} calls each (default policy, demo estate)`);
  console.log(`  Cedar evaluation (uncached):       median ${fmt(u.median)}, p95 ${fmt(u.p95)}`);
  console.log(`  decision (cache of repeats):       median ${fmt(d.median)}, p95 ${fmt(d.p95)}`);
  console.log(`  whole gate (scope, budgets, Cedar): median ${fmt(g.median)}, p95 ${fmt(g.p95)}`);
  console.log(`  tool call without policy:          median ${fmt(off.median)}, p95 ${fmt(off.p95)}`);
  console.log(`  tool call with policy:             median ${fmt(on.median)}, p95 ${fmt(on.p95)}`);
  console.log(`  added per call (median):           ${fmt(added)} (${((on.median / off.median - 1) * 100).toFixed(1)}% of the call)`);
  console.log(`  target: added median < ${TARGET_MEDIAN_ADDED_MS} ms: ${added < TARGET_MEDIAN_ADDED_MS ? "met" : "MISSED"}`);
  app.close();
  rmSync(dataDir, { recursive: true, force: true });
}

await main();
