/**
 * `wiam doctor` names the identity the server itself reaches each cloud with, and says plainly
 * when a configured provider has no usable credentials (an error, not OK); tool answers then lead
 * with what could not be read before any "none found".
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createGcpConnector } from "../src/providers/gcp/index.js";
import { gcpDoctorChecks } from "../src/providers/gcp/doctor.js";
import { endpointsOf, fakeAdcCredentials, instantRetry } from "./fakes/gcp/harness.js";

const CLI = new URL("../dist/src/cli/main.js", import.meta.url).pathname;

/** A home and environment with no cloud credentials of any kind, and no metadata server probing. */
function bareEnvironment(): { dir: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), "wiam-doctor-"));
  chmodSync(dir, 0o700);
  return { dir, env: { PATH: process.env.PATH ?? "", HOME: dir, WIAM_DATA_DIR: join(dir, "data"), METADATA_SERVER_DETECTION: "none" } };
}

function wiam(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", input: "", env, timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("doctor reports the server's own cloud identity", () => {
  it("names the Google Cloud account behind application default credentials and the account each task impersonates", async () => {
    const connector = createGcpConnector(
      { projects: ["acme-demo"], impersonateServiceAccount: "wiam-reader@acme-demo.iam.gserviceaccount.com", endpoints: endpointsOf("https://127.0.0.1:9") },
      { credentials: fakeAdcCredentials("wiam-operator@example.com"), retry: instantRetry() },
    );
    expect(await gcpDoctorChecks(connector)).toEqual([
      {
        level: "ok",
        check: "gcp identity",
        detail:
          "the server reaches Google Cloud with application default credentials as wiam-operator@example.com; each task impersonates wiam-reader@acme-demo.iam.gserviceaccount.com",
      },
    ]);
  });

  it("is an error line, not OK, for a configured provider without credentials", () => {
    const { dir, env } = bareEnvironment();
    const config = join(dir, "wiam.yaml");
    writeFileSync(config, "providers:\n  gcp:\n    projects: [acme-demo]\n", { mode: 0o600 });
    const { code, stdout } = wiam(["--config", config, "doctor"], env);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^ERROR {3}gcp identity: no usable Google Cloud credentials: Could not load the default credentials\./m);
    expect(stdout).not.toMatch(/^OK {6}provider gcp/m);
  });

  it("makes tool answers lead with the provider nothing could be read from, before 'none found'", () => {
    const { dir, env } = bareEnvironment();
    const config = join(dir, "wiam.yaml");
    writeFileSync(config, "providers:\n  gcp:\n    projects: [acme-demo]\n", { mode: 0o600 });
    const { code, stdout } = wiam(["--config", config, "call", "find_stale_service_accounts", "--intent", "stale review of the acme-demo project"], env);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines[1]).toMatch(/^Nothing could be read from gcp: nothing collected: no credentials: Could not load the default credentials\./);
    expect(lines[2]).toBe("No stale machine identities (inactive 90+ days, never used, or unrotated 90+ days).");
  });
});

describe("doctor checks the admin files like every load does", () => {
  // Three doctor processes one after another: 12 s alone on a loaded two-core machine, hence its own timeout.
  it("reports a config writable by others as an error, and under the override as a loud warning", () => {
    const { dir, env } = bareEnvironment();
    const config = join(dir, "wiam.yaml");
    writeFileSync(config, "tools:\n  allow: ['*']\n");
    chmodSync(config, 0o666);
    const refused = wiam(["--config", config, "doctor"], env);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^ERROR {3}config: .*wiam\.yaml.*writable by/m);
    const overridden = wiam(["--config", config, "doctor"], { ...env, WIAM_ALLOW_INSECURE_ADMIN_FILES: "1" });
    expect(overridden.stdout).toMatch(/^WARNING config file: .*writable by.*\(loaded only because WIAM_ALLOW_INSECURE_ADMIN_FILES is set\)$/m);
    chmodSync(config, 0o600);
    expect(wiam(["--config", config, "doctor"], env).stdout).toMatch(/^OK {6}config file: .*wiam\.yaml: owner and permissions safe$/m);
  }, 120_000);
});
