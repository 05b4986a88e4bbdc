/** `wiam export`: the collected estate as a snapshot file that loads again, redacted, audited, written whole. */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { buildDemoEstate } from "../src/connectors/demo/index.js";
import { inventorySnapshotSchema } from "../src/model/inventory.js";
import { tempDataDir } from "./fixtures/mcp.js";

const CLI = new URL("../dist/src/cli/main.js", import.meta.url).pathname;
const INTENT = "offline review of the estate on a laptop";

function wiam(args: string[], dataDir: string) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", WIAM_DATA_DIR: dataDir } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("wiam export", () => {
  it("writes the demo estate as a valid snapshot (0600), with the planted fake secrets redacted and every id kept", () => {
    const dataDir = tempDataDir();
    const out = join(mkdtempSync(join(tmpdir(), "wiam-export-")), "estate.json");
    const run = wiam(["export", "--out", out, "--intent", INTENT], dataDir);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^wiam: wrote 26 scopes, 327 principals, 109 credentials, 25 vault items, 198 policies, 712 grants, 99 trust edges, 1 gaps to .*estate\.json \(json, \d+ bytes, sha256 [0-9a-f]{64}; 2 values redacted; audit id \w+\)\n$/);
    expect(statSync(out).mode & 0o777).toBe(0o600);

    const text = readFileSync(out, "utf8");
    const written = inventorySnapshotSchema.parse(JSON.parse(text));
    expect(written.demo).toBe(true);
    expect(text).not.toContain("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    expect(text).not.toContain("FAKE-Winter2024-EXAMPLE");
    // Everything else is exactly the demo estate: ids, dates, conditions, evidence.
    const expected = JSON.parse(JSON.stringify(buildDemoEstate(new Date(written.generatedAt))));
    const withoutFreeText = (snapshot: { principals: { description?: string; tags?: Record<string, string> }[] }) =>
      snapshot.principals.map(({ description: _d, tags: _t, ...rest }) => rest);
    expect(withoutFreeText(written)).toEqual(withoutFreeText(expected));
    for (const key of ["scopes", "credentials", "vaultItems", "policies", "grants", "trustEdges"] as const) expect(written[key]).toEqual(expected[key]);
    // Source addresses and user agents are governed as activity, not as the inventory this exports.
    expect(expected.activityLog?.events.length).toBeGreaterThan(0);
    expect(written.activityLog).toBeUndefined();

    // It loads as a snapshot, and the export is in the audit log with its intent and size.
    const summary = wiam(["call", "inventory_summary", "--intent", "check the exported estate loads", "--snapshot", out, "--json"], dataDir);
    expect(summary.code).toBe(0);
    const result = JSON.parse(summary.stdout).result;
    // Read from the file, and still labelled demo data, as the estate it came from.
    expect([result.dataSource.kind, result.dataSource.demo]).toEqual(["snapshot", true]);
    expect(result.summary.providers.map((p: { provider: string; grants: number }) => [p.provider, p.grants])).toEqual([
      ["aws", 335],
      ["azure", 93],
      ["gcp", 284],
    ]);
    const rows = JSON.parse(wiam(["audit", "tail", "--json"], dataDir).stdout) as { tool: string; intent: string; status: string }[];
    expect(rows.map((r) => [r.tool, r.intent, r.status])).toEqual([
      ["export_inventory", INTENT, "ok"],
      ["inventory_summary", "check the exported estate loads", "ok"],
    ]);
    expect(wiam(["audit", "verify"], dataDir).code).toBe(0);
  });

  it("writes YAML for a .yaml name, and refuses to replace a file without --force, leaving it as it was", () => {
    const dataDir = tempDataDir();
    const dir = mkdtempSync(join(tmpdir(), "wiam-export-"));
    const out = join(dir, "estate.yaml");
    expect(wiam(["export", "--out", out, "--intent", INTENT], dataDir).code).toBe(0);
    expect(inventorySnapshotSchema.parse(parseYaml(readFileSync(out, "utf8"))).principals).toHaveLength(327);

    writeFileSync(out, "keep me\n");
    const again = wiam(["export", "--out", out, "--intent", INTENT], dataDir);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`wiam: --out: ${out} already exists; pass --force to replace it\n`);
    expect(readFileSync(out, "utf8")).toBe("keep me\n");
    expect(wiam(["export", "--out", out, "--intent", INTENT, "--force"], dataDir).code).toBe(0);
    expect(readFileSync(out, "utf8")).not.toBe("keep me\n");
    // No partial file is left behind.
    expect(readdirSync(dir)).toEqual(["estate.yaml"]);
  });

  it("names the flag for a missing intent or an unwritable path, and writes, collects and calls nothing", () => {
    const dataDir = tempDataDir();
    const dir = mkdtempSync(join(tmpdir(), "wiam-export-"));
    const short = wiam(["export", "--out", join(dir, "a.json"), "--intent", "why"], dataDir);
    expect(short.code).toBe(2);
    expect(short.stderr).toBe("wiam: --intent: state in a short sentence why you are asking (at least 8 characters)\n");
    const unwritable = wiam(["export", "--out", join(dir, "missing", "a.json"), "--intent", INTENT], dataDir);
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toMatch(/^wiam: --out: cannot write .*missing\/a\.json \(ENOENT: its directory is missing or not writable\)/);
    expect(existsSync(join(dir, "a.json"))).toBe(false);
    // Refused before any call: nothing was collected, so there is nothing to audit.
    expect(wiam(["audit", "tail", "--json"], dataDir).stderr).toMatch(/^wiam: no audit log at .*: nothing has been recorded with this data directory/);
  });

  it("goes through the call pipeline: the tools allowlist and the Cedar policy apply, and the refusal is audited", () => {
    const dataDir = tempDataDir();
    const dir = mkdtempSync(join(tmpdir(), "wiam-export-"));
    chmodSync(dir, 0o700);
    const config = join(dir, "wiam.yaml");
    writeFileSync(config, "tools:\n  deny: [export_inventory]\n", { mode: 0o600 });
    const out = join(dir, "estate.json");
    const refused = wiam(["--config", config, "export", "--out", out, "--intent", INTENT], dataDir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('tool "export_inventory" is not available (tools.deny: export_inventory)');
    expect(existsSync(out)).toBe(false);
    const rows = JSON.parse(wiam(["--config", config, "audit", "tail", "--json"], dataDir).stdout) as { tool: string; status: string; decision: string }[];
    expect(rows.map((r) => [r.tool, r.decision])).toEqual([["export_inventory", "deny"]]);
  });
});
