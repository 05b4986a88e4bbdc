/**
 * Reverse entitlement questions on an estate of 100k identities whose AWS secrets carry resource
 * policies (10k policies by default), through the full call pipeline as a client meets them.
 * Printed beside the same run's baseline (one pass over every principal and credential, as in
 * core-queries) and beside the same question on secrets without a resource policy, so the cost of
 * the resource policies themselves is visible. Target (#16): p50 at most 50 ms.
 *
 *   node dist/bench/aws-resource-policies.js [identities] [resource policies]
 *
 * Each policy names a role of its own account, another account's root (cross account), anyone in
 * the organization (`*` with aws:PrincipalOrgID, every fifth) and denies deletion to everyone; the
 * secrets sit under the services the identity policies already grant, so identity holders and
 * resource-policy holders meet in one answer. Also printed: what the AWS action catalog costs to
 * load (the services the questions name), measured in the same process.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../src/app.js";
import { parseConfig } from "../src/config/load.js";
import type { Connector } from "../src/connectors/connector.js";
import type { Approver } from "../src/governance/governor.js";
import type { Condition, InventorySnapshot, Policy } from "../src/model/inventory.js";
import { awsActionCatalog } from "../src/providers/aws/access/action-catalog.js";
import { generateSyntheticEstate } from "./generate-estate.js";
import { principalPassTimes, UNLIMITED } from "./shared.js";

const RUNS = 15;
const GET = "secretsmanager:GetSecretValue";
const SERVICES = ["orders", "payments", "inventory", "checkout", "catalog", "search", "shipping", "billing", "ledger", "notifications"];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? 0;
}

const orgCondition = (org: string): Condition => ({ expression: `aws:PrincipalOrgID StringEquals ${org}`, keys: ["aws:PrincipalOrgID"], operator: "StringEquals", values: [org] });

/** Adds `count` secrets with resource policies, spread over the estate's AWS accounts. Returns their ARNs. */
function addResourcePolicies(snapshot: InventorySnapshot, count: number): string[] {
  const accounts = snapshot.scopes.filter((s) => s.provider === "aws" && s.kind === "account").map((s) => s.id.slice("aws:account/".length));
  const org = snapshot.scopes.find((s) => s.provider === "aws" && s.kind === "organization")?.id.slice("aws:organization/".length) ?? "o-none";
  const rolesByAccount = new Map<string, string[]>();
  for (const p of snapshot.principals) {
    if (p.provider !== "aws" || p.kind !== "role") continue;
    const account = p.id.split(":")[4] ?? "";
    rolesByAccount.set(account, [...(rolesByAccount.get(account) ?? []), p.id]);
  }
  const arns: string[] = [];
  const evidence = { source: "secretsmanager:GetResourcePolicy", observedAt: snapshot.generatedAt };
  for (let i = 0; i < count; i++) {
    const account = accounts[i % accounts.length] ?? "";
    const other = accounts[(i + 1) % accounts.length] ?? account;
    const roles = rolesByAccount.get(account) ?? [];
    const service = SERVICES[i % SERVICES.length] ?? "app";
    const arn = `arn:aws:secretsmanager:us-east-1:${account}:secret:${service}/shared-${i}-AbCdEf`;
    arns.push(arn);
    const policy: Policy = {
      id: `${arn}#resource-policy`,
      provider: "aws",
      kind: "resource",
      name: `resource policy of ${service}/shared-${i}`,
      scopeId: `aws:account/${account}`,
      attachedTo: [arn],
      statements: [
        { id: "OwnRole", effect: "Allow", actions: [GET], resources: ["*"], principals: [roles[i % Math.max(1, roles.length)] ?? `arn:aws:iam::${account}:root`] },
        { id: "Partner", effect: "Allow", actions: [GET, "secretsmanager:DescribeSecret"], resources: ["*"], principals: [`arn:aws:iam::${other}:root`] },
        ...(i % 5 === 0 ? [{ id: "Organization", effect: "Allow" as const, actions: [GET], resources: ["*"], principals: ["*"], conditions: [orgCondition(org)] }] : []),
        { id: "NoDelete", effect: "Deny", actions: ["secretsmanager:DeleteSecret"], resources: ["*"], principals: ["*"] },
      ],
      evidence,
    };
    snapshot.policies.push(policy);
  }
  return arns;
}

async function main(): Promise<void> {
  const identities = Number(process.argv[2] ?? 100_000);
  const policyCount = Number(process.argv[3] ?? 10_000);
  const now = new Date("2026-11-24T00:00:00Z");

  // The catalog's cost, cold: the services these questions name.
  const heapBefore = process.memoryUsage().heapUsed;
  const catalogStart = performance.now();
  const catalog = awsActionCatalog();
  catalog.lookup(GET);
  catalog.lookup("s3:GetObject");
  const catalogMs = performance.now() - catalogStart;
  const catalogKb = (process.memoryUsage().heapUsed - heapBefore) / 1024;

  let estate: InventorySnapshot | undefined = generateSyntheticEstate({ identities, seed: 7, now });
  const withPolicies = addResourcePolicies(estate, policyCount);
  const without = estate.vaultItems.filter((v) => v.provider === "aws").map((v) => v.id);
  const sampleWith = withPolicies.filter((_, i) => i % Math.max(1, Math.floor(withPolicies.length / (RUNS + 1))) === 0).slice(0, RUNS + 1);
  const sampleWithout = without.slice(0, RUNS + 1);
  console.log(`${identities.toLocaleString()} identities, ${estate.grants.length.toLocaleString()} grants, ${policyCount.toLocaleString()} AWS resource policies`);

  const connector: Connector = {
    id: "snapshot",
    description: "synthetic",
    collect: async () => {
      const handed = estate;
      estate = undefined;
      if (!handed) throw new Error("collected once");
      return handed;
    },
  };
  const dataDir = mkdtempSync(join(tmpdir(), "wiam-bench-"));
  const config = parseConfig({ cacheTtlMinutes: 60, governance: { budgets: { perTask: UNLIMITED, perCaller: UNLIMITED, onExceed: "deny" } } }, "(bench)");
  const app = createApp({ config, dataDir, logLevel: "error", now: () => now, connectors: [connector] });
  const { inventory } = await app.inventory.get({ taskId: "bench", recordOperation: () => {} });

  const baseline = principalPassTimes(inventory, RUNS);
  const base = median(baseline);
  console.log(`baseline (one pass over principals + credentials): median ${base.toFixed(2)} ms`);
  console.log(`AWS action catalog, cold load of secretsmanager and s3: ${catalogMs.toFixed(1)} ms, ${catalogKb.toFixed(0)} KB heap`);

  const caller = { sessionId: "bench", clientName: "bench", clientVersion: null, caller: "bench", transport: "cli" as const };
  const approve: Approver = async () => ({ outcome: "approved", approver: "bench", note: null });
  const intent = "benchmark of reverse questions on resource policies";
  console.log("query                                              first ms  median ms   p95 ms  x baseline   paths");
  for (const [label, sample] of [
    ["reverse GetSecretValue, secret with a policy", sampleWith],
    ["reverse GetSecretValue, secret without a policy", sampleWithout],
  ] as const) {
    const ask = (resource: string) => app.pipeline.execute({ tool: "explain_entitlement_paths", arguments: { intent, action: GET, resource }, caller, approve });
    const firstStart = performance.now();
    const first = await ask(sample[RUNS] ?? sample[0] ?? "");
    const firstMs = performance.now() - firstStart;
    if (first.isError) throw new Error(`${label}: ${first.text}`);
    const times: number[] = [];
    let paths = 0;
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      const response = await ask(sample[i % sample.length] ?? "");
      times.push(performance.now() - start);
      if (response.isError) throw new Error(`${label}: ${response.text}`);
      paths = (response.structured?.page as { total?: number } | undefined)?.total ?? 0;
    }
    console.log(
      `${label.padEnd(50)} ${firstMs.toFixed(0).padStart(8)} ${median(times).toFixed(2).padStart(10)} ${p95(times).toFixed(2).padStart(8)} ${(median(times) / base).toFixed(1).padStart(11)} ${String(paths).padStart(7)}`,
    );
  }
  console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  app.close();
  rmSync(dataDir, { recursive: true, force: true });
}

await main();
