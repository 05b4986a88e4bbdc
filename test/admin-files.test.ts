/**
 * Config and Cedar policy files decide what the server allows, so a file (or its directory) that
 * another local user could change is refused: at start, on hot reload, and in `wiam doctor` through
 * `checkAdminFile`. WIAM_ALLOW_INSECURE_ADMIN_FILES=1 loads it anyway with a loud warning.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { loadConfig } from "../src/config/load.js";
import { defaultPolicyText } from "../src/governance/policy-set.js";
import { checkAdminFile } from "../src/util/admin-file-permissions.js";
import { tempDataDir } from "./fixtures/mcp.js";

const CLI = new URL("../dist/src/cli/main.js", import.meta.url).pathname;
/** Spawning the CLI takes seconds on a loaded two-core machine: generous limits, never asserted. */
const SPAWNING = 120_000;
const isRoot = process.getuid?.() === 0;
const PERMIT_ALL = '@id("anything-goes") permit (principal, action, resource);\n';

function adminDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "wiam-admin-"));
  chmodSync(dir, 0o700);
  return dir;
}

function write(path: string, text: string, mode = 0o600): string {
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

describe("checkAdminFile", () => {
  it("accepts a file and directory only their owner can write", () => {
    const dir = adminDir();
    expect(checkAdminFile(write(join(dir, "wiam.yaml"), "{}\n", 0o644))).toEqual({ ok: true, problem: null });
  });

  it("names a group- or world-writable file with its mode and the fix", () => {
    const dir = adminDir();
    const file = write(join(dir, "wiam.yaml"), "{}\n", 0o666);
    expect(checkAdminFile(file)).toEqual({ ok: false, problem: `the file is writable by group and others (mode 0666); run: chmod go-w "${file}"` });
    chmodSync(file, 0o620);
    expect(checkAdminFile(file).problem).toBe(`the file is writable by group (mode 0620); run: chmod go-w "${file}"`);
  });

  it("names a writable directory (whoever can write it can replace the file)", () => {
    const dir = adminDir();
    const file = write(join(dir, "wiam.cedar"), PERMIT_ALL);
    chmodSync(dir, 0o777);
    expect(checkAdminFile(file)).toEqual({ ok: false, problem: `its directory ${dir} is writable by group and others (mode 0777); run: chmod go-w "${dir}"` });
  });

  it("follows a symlink to the file actually read", () => {
    const dir = adminDir();
    const shared = join(dir, "shared");
    mkdirSync(shared, { mode: 0o777 });
    chmodSync(shared, 0o777);
    const target = write(join(shared, "wiam.yaml"), "{}\n");
    const link = join(dir, "wiam.yaml");
    symlinkSync(target, link);
    expect(checkAdminFile(link).problem).toBe(`its directory ${shared} is writable by group and others (mode 0777) (resolved to ${target}); run: chmod go-w "${shared}"`);
  });

  it("names a writable directory holding a link to a safe file (the link can be re-pointed)", () => {
    const safe = adminDir();
    const target = write(join(safe, "wiam.yaml"), "{}\n");
    const shared = join(adminDir(), "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const link = join(shared, "wiam.yaml");
    symlinkSync(target, link);
    expect(checkAdminFile(link).problem).toBe(
      `the directory of the link, ${shared}, is writable by group and others (mode 0777) (resolved to ${target}); run: chmod go-w "${shared}"`,
    );
  });

  it.runIf(isRoot)("names a file owned by another user", () => {
    const dir = adminDir();
    const file = write(join(dir, "wiam.yaml"), "{}\n");
    chownSync(file, 65_534, 65_534);
    expect(checkAdminFile(file).problem).toBe(`the file is owned by uid 65534, not by this user (uid 0) or root; run: chown "$(id -u)" "${file}"`);
  });
});

describe("loading admin files", () => {
  it("refuses an insecure config with the file, the problem and the override", () => {
    const dir = adminDir();
    const config = write(join(dir, "wiam.yaml"), "tools:\n  deny: []\n", 0o666);
    expect(() => loadConfig({ configPath: config }, {})).toThrow(
      `config ${config}: the file is writable by group and others (mode 0666); run: chmod go-w "${config}". Refusing to load it: whoever can change it decides what the server allows`,
    );
  });

  it("keeps the last good policy on hot reload when the new policy file is writable by others", () => {
    const dir = adminDir();
    const policy = write(join(dir, "wiam.cedar"), defaultPolicyText());
    const config = write(join(dir, "wiam.yaml"), "governance:\n  policyFile: ./wiam.cedar\n");
    const app = createApp({ config: loadConfig({ configPath: config }, {}).config, dataDir: tempDataDir(), logLevel: "error", logWrite: () => undefined });
    try {
      const before = [...app.policySet().policies.keys()];
      // Another local user, able to write the file, swaps in a permit-everything policy.
      write(policy, PERMIT_ALL, 0o666);
      expect(() => app.reload(loadConfig({ configPath: config }, {}).config)).toThrow(`policy ${policy}: the file is writable by group and others (mode 0666)`);
      expect([...app.policySet().policies.keys()]).toEqual(before);
      expect(before).not.toContain("anything-goes");
    } finally {
      app.close();
    }
  });
});

describe("wiam with an insecure config", () => {
  it("exits 2 naming the problem, and with the override loads it and warns on stderr", () => {
    const dir = adminDir();
    const config = write(join(dir, "wiam.yaml"), "tools:\n  deny: [list_identities]\n", 0o664);
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, [CLI, "--config", config, "tools", "--json"], {
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "", WIAM_DATA_DIR: tempDataDir(), ...env },
      });
    const refused = run({});
    expect(refused.status).toBe(2);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toBe(
      `wiam: config ${config}: the file is writable by group (mode 0664); run: chmod go-w "${config}". Refusing to load it: whoever can change it decides what the server allows\n` +
        "Fix the ownership or mode, or set WIAM_ALLOW_INSECURE_ADMIN_FILES=1 to load it anyway with a warning.\n",
    );
    const allowed = run({ WIAM_ALLOW_INSECURE_ADMIN_FILES: "1" });
    expect(allowed.status).toBe(0);
    expect((JSON.parse(allowed.stdout) as { tools: { name: string; enabled: boolean }[] }).tools.find((t) => t.name === "list_identities")?.enabled).toBe(false);
    expect(allowed.stderr).toBe(
      `wiam: WARNING: config ${config}: the file is writable by group (mode 0664); run: chmod go-w "${config}". Loaded anyway because WIAM_ALLOW_INSECURE_ADMIN_FILES is set: anyone who can change it controls this server\n`,
    );
  }, SPAWNING);
});
