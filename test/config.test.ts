import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/load.js";
import { defaultDataDir } from "../src/config/data-dir.js";
import { toolAvailability } from "../src/pipeline/allowlist.js";

function configFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "wiam-config-"));
  const path = join(dir, "wiam.yaml");
  writeFileSync(path, text);
  return path;
}

describe("configuration", () => {
  it("has defaults for everything: no file means the demo estate and every tool", () => {
    const { config, path } = loadConfig({}, {});
    expect(path).toBeNull();
    expect(config.tools).toEqual({ allow: ["*"], deny: [] });
    expect(config.thresholds).toEqual({ staleDays: 90, rotationDays: 90, neverUsedGraceDays: 7, expiringWithinDays: 30 });
    expect(config.audit).toEqual({ responseBody: "summary", retentionDays: 365 });
    expect(config.providers).toEqual({});
  });

  it("reads a YAML file given by flag, and WIAM_CONFIG when there is no flag", () => {
    const path = configFile("thresholds:\n  staleDays: 45\ntools:\n  deny: [explain_entitlement_paths]\n");
    expect(loadConfig({ configPath: path }, {}).config.thresholds.staleDays).toBe(45);
    expect(loadConfig({}, { WIAM_CONFIG: path }).config.tools.deny).toEqual(["explain_entitlement_paths"]);
  });

  it("names the file, the key path and the problem for a bad value", () => {
    const path = configFile("thresholds:\n  staleDays: -3\n");
    expect(() => loadConfig({ configPath: path }, {})).toThrow(`config ${path}: thresholds.staleDays: Too small: expected number to be >=1`);
  });

  it("rejects unknown keys so a typo is not silently ignored", () => {
    const path = configFile("thresholds:\n  stale_days: 30\n");
    expect(() => loadConfig({ configPath: path }, {})).toThrow(`config ${path}: thresholds: Unrecognized key: "stale_days" (stale_days)`);
  });

  it("names array positions in key paths", () => {
    const path = configFile("tools:\n  allow: [inventory_summary, 'Bad Name']\n");
    expect(() => loadConfig({ configPath: path }, {})).toThrow(`config ${path}: tools.allow[1]: tool names are lower_snake_case; * is a wildcard`);
  });

  it("reports invalid YAML and a missing file clearly", () => {
    const path = configFile("tools: [unclosed\n");
    expect(() => loadConfig({ configPath: path }, {})).toThrow(`config ${path}: invalid YAML`);
    expect(() => loadConfig({ configPath: "/nonexistent/wiam.yaml" }, {})).toThrow("config /nonexistent/wiam.yaml: file not found");
  });

  it("checks settings against each other", () => {
    const path = configFile("limits:\n  defaultPageSize: 300\n  maxPageSize: 100\n");
    expect(() => loadConfig({ configPath: path }, {})).toThrow("limits.defaultPageSize: must not exceed limits.maxPageSize (100)");
  });

  it("resolves snapshot paths relative to the config file, and lets WIAM_SNAPSHOT and flags override", () => {
    const path = configFile("providers:\n  snapshot:\n    paths: [estate.json]\n");
    expect(loadConfig({ configPath: path }, {}).config.providers.snapshot?.paths).toEqual([join(path, "..", "estate.json")]);
    expect(loadConfig({ configPath: path }, { WIAM_SNAPSHOT: "/data/a.json,/data/b.json" }).config.providers.snapshot?.paths).toEqual([
      "/data/a.json",
      "/data/b.json",
    ]);
    expect(loadConfig({ configPath: path, snapshotPaths: ["/x.json"] }, {}).config.providers.snapshot?.paths).toEqual(["/x.json"]);
  });

  it("takes the data directory from WIAM_DATA_DIR, else the platform convention", () => {
    expect(defaultDataDir({ WIAM_DATA_DIR: "/srv/wiam" })).toBe("/srv/wiam");
    if (process.platform === "linux") {
      expect(defaultDataDir({ XDG_STATE_HOME: "/home/a/.state" })).toBe("/home/a/.state/workload-iam-mcp");
    }
  });
});

describe("tool allowlist", () => {
  it("allows by name or glob, and deny wins over allow", () => {
    const tools = { allow: ["find_*", "inventory_summary"], deny: ["find_expiring_credentials"] };
    expect(toolAvailability("find_stale_service_accounts", tools)).toEqual({ enabled: true, reason: "tools.allow: find_*" });
    expect(toolAvailability("find_expiring_credentials", tools)).toEqual({ enabled: false, reason: "tools.deny: find_expiring_credentials" });
    expect(toolAvailability("describe_identity", tools)).toEqual({ enabled: false, reason: "not in tools.allow" });
  });
});
