/** The built `wiam` command, run as analysts and admins run it. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDataDir } from "./fixtures/mcp.js";

const CLI = new URL("../dist/src/cli/main.js", import.meta.url).pathname;

function wiam(args: string[], options: { dataDir?: string; input?: string; env?: Record<string, string> } = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    input: options.input ?? "",
    env: { PATH: process.env.PATH ?? "", WIAM_DATA_DIR: options.dataDir ?? tempDataDir(), ...options.env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("wiam CLI", () => {
  it("lists tools with enabled or disabled and the setting that decided", () => {
    const dir = mkdtempSync(join(tmpdir(), "wiam-cli-"));
    const config = join(dir, "wiam.yaml");
    writeFileSync(config, "tools:\n  deny: [explain_*]\n");
    const { code, stdout } = wiam(["--config", config, "tools"]);
    expect(code).toBe(0);
    expect(stdout).toContain(`config: ${config}`);
    expect(stdout).toMatch(/explain_entitlement_paths\s+disabled\s+tools\.deny: explain_\*/);
    expect(stdout).toMatch(/find_stale_service_accounts\s+enabled\s+tools\.allow: \*/);
  });

  it("runs a tool through the pipeline and prints JSON with the audit id; the call is in the audit log", () => {
    const dataDir = tempDataDir();
    const call = wiam(["call", "find_expiring_credentials", "--intent", "certificates expiring this month", "--args", '{"limit": 3}', "--json"], { dataDir });
    expect(call.code).toBe(0);
    const parsed = JSON.parse(call.stdout) as { isError: boolean; auditId: string; result: { page: { returned: number } } };
    expect(parsed.isError).toBe(false);
    expect(parsed.result.page.returned).toBe(3);

    const tail = wiam(["audit", "tail", "--json"], { dataDir });
    expect(tail.code).toBe(0);
    const rows = JSON.parse(tail.stdout) as { id: string; tool: string; intent: string; status: string; caller: string }[];
    expect(rows.map((r) => [r.id, r.tool, r.intent, r.status])).toEqual([[parsed.auditId, "find_expiring_credentials", "certificates expiring this month", "ok"]]);

    const verify = wiam(["audit", "verify"], { dataDir });
    expect(verify.code).toBe(0);
  });

  it("prints a tool error on stderr and exits 1; bad --args exits 2 naming the flag", () => {
    const bad = wiam(["call", "find_expiring_credentials", "--intent", "testing bad input", "--args", '{"within_days": 0}']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("within_days: Too small");
    const notJson = wiam(["call", "inventory_summary", "--intent", "testing bad input", "--args", "{oops"]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain("wiam: --args: not valid JSON");
  });

  it("exits 2 with the file, key path and problem for a bad config", () => {
    const dir = mkdtempSync(join(tmpdir(), "wiam-cli-"));
    const config = join(dir, "wiam.yaml");
    writeFileSync(config, "audit:\n  responseBody: everything\n");
    const { code, stderr } = wiam(["tools"], { env: { WIAM_CONFIG: config } });
    expect(code).toBe(2);
    expect(stderr).toContain(`wiam: config ${config}: audit.responseBody: Invalid option: expected one of "none"|"summary"|"full"`);
  });

  it("redacts JSON from stdin to stdout with a findings summary on stderr", () => {
    const input = JSON.stringify({ AccessKeyId: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" });
    const { code, stdout, stderr } = wiam(["redact"], { input });
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as Record<string, string>;
    expect(out.AccessKeyId).toBe("AKIAIOSFODNN7EXAMPLE");
    expect(out.SecretAccessKey).toMatch(/^\[REDACTED:[a-z0-9_]+:[0-9a-f]{8}\]$/);
    expect(stderr).not.toContain("wJalrXUtnFEMI");
  });

  it("doctor reports private state files and an intact audit chain", () => {
    const dataDir = tempDataDir();
    wiam(["call", "inventory_summary", "--intent", "create some state first"], { dataDir });
    const { code, stdout } = wiam(["doctor"], { dataDir });
    expect(stdout).toContain("OK      audit chain:");
    expect(stdout).toContain("OK      policy: (built-in default): 4 policies (allow-read-only-tools, approve-production-entitlement-paths, approve-production-activity, approve-production-reach-in-answers)");
    expect(stdout).toMatch(/OK {6}redaction\.key: .* mode 600/);
    expect(code).toBe(0);
  });
});
