/**
 * `wiam doctor`: checks the installation the way an admin would before handing it to an assistant:
 * config and policies valid, state files private, audit chain intact, and cloud credentials no broader than
 * the read-only access the server needs.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { connectorsFor, createRedactorFor, openAuditStore } from "../app.js";
import { PROVIDERS } from "../providers/registry.js";
import { ensureDataDir } from "../config/data-dir.js";
import { loadPolicySet } from "../governance/policy-set.js";
import { PIPELINE_TOOLS } from "../../tools/index.js";
import { resolveCliContext, type GlobalOptions } from "./context.js";
import { redactedOutput } from "./output.js";

type Level = "ok" | "warning" | "error";

function privateFile(path: string): { level: Level; detail: string } {
  try {
    const mode = statSync(path).mode & 0o777;
    return mode & 0o077
      ? { level: "error", detail: `${path} is readable by others (mode ${mode.toString(8)}); chmod 600 it` }
      : { level: "ok", detail: `${path} mode ${mode.toString(8)}` };
  } catch {
    return { level: "ok", detail: `${path} not created yet` };
  }
}

export async function collectDoctorChecks(globals: GlobalOptions): Promise<{ level: Level; check: string; detail: string }[]> {
  const context = resolveCliContext(globals);
  const checks: { level: Level; check: string; detail: string }[] = [
    { level: "ok", check: "config", detail: context.path ?? "(defaults: demo estate)" },
  ];
  try {
    const policy = loadPolicySet(context.config.governance.policyFile, PIPELINE_TOOLS);
    checks.push({ level: "ok", check: "policy", detail: `${policy.source}: ${policy.policies.size} policies (${[...policy.policies.keys()].join(", ")})` });
  } catch (error) {
    checks.push({ level: "error", check: "policy", detail: error instanceof Error ? error.message : String(error) });
  }
  const dataDir = ensureDataDir(context.dataDir);
  checks.push({ check: "data directory", ...privateFile(dataDir) });
  for (const file of ["redaction.key", "audit.db", "audit-signing.key"]) checks.push({ check: file, ...privateFile(join(dataDir, file)) });

  const redactor = createRedactorFor(context.config, dataDir);
  const store = openAuditStore(context.config, dataDir, redactor);
  try {
    const verified = store.verify();
    checks.push(
      verified.ok
        ? { level: "ok", check: "audit chain", detail: `${verified.checked} events verified` }
        : { level: "error", check: "audit chain", detail: `broken at seq ${verified.firstBroken?.seq}: ${verified.firstBroken?.reason}` },
    );
  } finally {
    store.close();
  }

  for (const connector of connectorsFor(context.config)) {
    const module = PROVIDERS.find((candidate) => candidate.id === connector.id);
    if (module) checks.push(...(await module.doctorChecks(connector)));
    else checks.push({ level: "ok", check: `provider ${connector.id}`, detail: connector.description });
  }
  return checks;
}

export async function runDoctor(globals: GlobalOptions, options: { json?: boolean }): Promise<number> {
  const checks = await collectDoctorChecks(globals);
  const context = resolveCliContext(globals);
  const output = redactedOutput(createRedactorFor(context.config, ensureDataDir(context.dataDir)));
  if (options.json) output.out(JSON.stringify({ checks }, null, 2));
  else for (const c of checks) output.out(`${c.level.toUpperCase().padEnd(7)} ${c.check}: ${c.detail}`);
  return checks.some((c) => c.level === "error") ? 1 : 0;
}
