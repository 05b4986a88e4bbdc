/**
 * `wiam doctor`: checks the installation the way an admin would before handing it to an assistant:
 * config and policies valid, state files private, audit chain intact, and cloud credentials no broader than
 * the read-only access the server needs.
 */
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { createRedactor } from "../../redaction/index.js";
import type { Redactor } from "../../redaction/types.js";
import { join } from "node:path";
import { connectorsFor, createRedactorFor, inventorySourceOf, openAuditStore } from "../app.js";
import { storedInventoryChecks, type StoredInventoryDoctorOptions } from "../history/doctor.js";
import { createPostgresPool } from "../state/postgres/connection.js";
import type { WiamConfig } from "../config/schema.js";
import { PROVIDERS } from "../providers/registry.js";
import { checkAdminFile, INSECURE_ADMIN_FILES_OVERRIDE } from "../util/admin-file-permissions.js";
import { ensureDataDir } from "../config/data-dir.js";
import { loadPolicySet } from "../governance/policy-set.js";
import { PIPELINE_TOOLS } from "../../tools/index.js";
import { resolveCliContext, type GlobalOptions } from "./context.js";
import { plainOutput } from "./output.js";

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
  let context: ReturnType<typeof resolveCliContext>;
  try {
    context = resolveCliContext(globals);
  } catch (error) {
    // A config refused for its permissions (or its content) is the finding: nothing else can be checked.
    return [{ level: "error", check: "config", detail: error instanceof Error ? error.message : String(error) }];
  }
  const checks: { level: Level; check: string; detail: string }[] = [
    { level: "ok", check: "config", detail: context.path ?? "(defaults: demo estate)" },
  ];
  // Loaded despite unsafe permissions only because the documented override is set: say so loudly.
  for (const [label, path] of [["config file", context.path], ["policy file", context.config.governance.policyFile]] as const) {
    if (path === undefined || path === null) continue;
    const verdict = checkAdminFile(path);
    checks.push(verdict.ok ? { level: "ok", check: label, detail: `${path}: owner and permissions safe` } : { level: "warning", check: label, detail: `${verdict.problem ?? "unsafe"} (loaded only because ${INSECURE_ADMIN_FILES_OVERRIDE} is set)` });
  }
  try {
    const policy = loadPolicySet(context.config.governance.policyFile, PIPELINE_TOOLS);
    checks.push({ level: "ok", check: "policy", detail: `${policy.source}: ${policy.policies.size} policies (${[...policy.policies.keys()].join(", ")})` });
  } catch (error) {
    checks.push({ level: "error", check: "policy", detail: error instanceof Error ? error.message : String(error) });
  }
  const dataDir = ensureDataDir(context.dataDir);
  checks.push({ check: "data directory", ...privateFile(dataDir) });
  for (const file of ["redaction.key", "audit.db", "audit-signing.key", "approvals.db"]) checks.push({ check: file, ...privateFile(join(dataDir, file)) });

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

  const connectors = connectorsFor(context.config);
  // Only cloud sources are stored; the demo and snapshot files are read afresh by every process.
  const stored = connectors.filter((c) => c.local !== true);
  checks.push(...(await storedInventoryDoctorChecks(context.config, dataDir, new Map(stored.map((c) => [inventorySourceOf(c, context.config), c.id])))));

  for (const connector of connectors) {
    const module = PROVIDERS.find((candidate) => candidate.id === connector.id);
    if (module) checks.push(...(await module.doctorChecks(connector)));
    else checks.push({ level: "ok", check: `provider ${connector.id}`, detail: connector.description });
  }
  return checks;
}

/** The stored inventory's checks, on a connection of its own to PostgreSQL when the state lives there. */
async function storedInventoryDoctorChecks(config: WiamConfig, dataDir: string, sources: ReadonlyMap<string, string>) {
  const options: StoredInventoryDoctorOptions = { config, dataDir, sources, now: new Date() };
  const postgres = config.history.enabled ? config.state.postgres : undefined;
  if (postgres === undefined) return storedInventoryChecks(options);
  let pool: Awaited<ReturnType<typeof createPostgresPool>>;
  try {
    pool = await createPostgresPool(postgres, () => undefined);
  } catch (error) {
    // A settings problem (a secret reference that cannot be read): its message names the field.
    return storedInventoryChecks({ ...options, postgres: { unavailable: error instanceof Error ? error.message : String(error) } });
  }
  try {
    return await storedInventoryChecks({ ...options, postgres: { pool } });
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/** The configured redactor, or (when the config itself is refused) one with a throwaway key. */
function doctorRedactor(globals: GlobalOptions): Redactor {
  try {
    const context = resolveCliContext(globals);
    return createRedactorFor(context.config, ensureDataDir(context.dataDir));
  } catch {
    return createRedactor({ key: randomBytes(32) });
  }
}

export async function runDoctor(globals: GlobalOptions, options: { json?: boolean }): Promise<number> {
  const checks = await collectDoctorChecks(globals);
  const redactor = doctorRedactor(globals);
  // Levels and check names are the server's words; a detail can carry outside text (SDK errors,
  // paths, identities): only the details are redacted, each on its own, never the finished lines.
  const shown = checks.map((c) => ({ ...c, detail: redactor.redactText(c.detail).value }));
  const output = plainOutput();
  if (options.json) output.out(JSON.stringify({ checks: shown }, null, 2));
  else for (const c of shown) output.out(`${c.level.toUpperCase().padEnd(7)} ${c.check}: ${c.detail}`);
  return shown.some((c) => c.level === "error") ? 1 : 0;
}
