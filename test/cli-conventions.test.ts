/**
 * The built `wiam` command follows the conventions in docs/command-line.md: usage errors exit 2, unknown commands
 * are named, `--snapshot` cannot swallow the subcommand after it, a closed stdout pipe ends the
 * command quietly, and `wiam tools <name>` shows a tool's arguments.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadOrCreateRedactionKey } from "../redaction/index.js";
import { AUDIT_DB_FILE, AuditStore } from "../src/audit/store.js";
import { tempDataDir } from "./fixtures/mcp.js";
import { principal, snapshot } from "./fixtures/small-estate.js";

const CLI = new URL("../dist/src/cli/main.js", import.meta.url).pathname;
/** Spawning the CLI takes seconds on a loaded two-core machine: generous limits, never asserted. */
const SPAWNING = 120_000;

function wiam(args: string[], options: { dataDir?: string; env?: Record<string, string> } = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    input: "",
    env: { PATH: process.env.PATH ?? "", WIAM_DATA_DIR: options.dataDir ?? tempDataDir(), ...options.env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("wiam usage errors", () => {
  it.each([
    ["a missing --intent", ["call", "inventory_summary"], "error: required option '-i, --intent <text>' not specified"],
    ["an unknown option", ["tools", "--bogus"], "error: unknown option '--bogus'"],
    ["a bad --log-level", ["--log-level", "loud", "tools"], "error: option '--log-level <level>' argument 'loud' is invalid. Allowed choices are debug, info, warning, error."],
    ["an unknown command", ["frobnicate"], "error: unknown command 'frobnicate'"],
    ["an unknown audit subcommand", ["audit", "frobnicate"], "error: unknown command 'frobnicate'"],
    ["a count that is not a number", ["audit", "tail", "-n", "ten"], 'wiam: --lines: "ten" is not a positive whole number'],
    [
      "a tool name no tool has",
      ["call", "describe", "--intent", "a typo in the tool name"],
      'wiam: call: no tool named "describe" (tools: inventory_summary, find_stale_service_accounts, find_expiring_credentials, explain_entitlement_paths, describe_identity, list_identities, find_anomalous_activity, what_changed)',
    ],
    // The JSON parser's own message would quote the input (and a secret in it).
    ["--args that are not JSON", ["call", "inventory_summary", "--intent", "bad args flag", "--args", "{token: ghp_EXAMPLE}"], "wiam: --args: not valid JSON (quote it for the shell as one argument, e.g. --args '{\"limit\": 3}')"],
  ])("exit 2 for %s, with the problem first on stderr", (_case, args, message) => {
    const { code, stdout, stderr } = wiam(args);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.split("\n")[0]).toBe(message);
  });

  it("help asked for and version exit 0; help shown because a subcommand is missing exits 2", () => {
    const help = wiam(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout.split("\n")[0]).toBe("Usage: wiam [options] [command]");
    const helpAudit = wiam(["help", "audit"]);
    expect([helpAudit.code, helpAudit.stdout.split("\n")[0]]).toEqual([0, "Usage: wiam audit [options] [command]"]);
    expect(wiam(["--version"]).code).toBe(0);
    const bare = wiam(["audit"]);
    expect([bare.code, bare.stdout, bare.stderr.split("\n")[0]]).toEqual([2, "", "Usage: wiam audit [options] [command]"]);
  }, SPAWNING);
});

describe("wiam --snapshot", () => {
  it("takes one file per flag (repeated or comma-separated) and leaves the next word as the command", () => {
    const dir = tempDataDir();
    const a = join(dir, "a.json");
    const b = join(dir, "b.json");
    writeFileSync(a, JSON.stringify(snapshot({ principals: [principal("arn:aws:iam::111111111111:role/from-a")] })));
    writeFileSync(b, JSON.stringify(snapshot({ principals: [principal("arn:aws:iam::111111111111:role/from-b")] })));
    const listed = (run: { code: number | null; stdout: string }) => {
      expect(run.code).toBe(0);
      const result = (JSON.parse(run.stdout) as { result: { identities: { id: string }[] } }).result;
      return result.identities.map((i) => i.id).sort();
    };
    const both = ["arn:aws:iam::111111111111:role/from-a", "arn:aws:iam::111111111111:role/from-b"];
    // Before, `--snapshot a.json call ...` read "call" as a second snapshot file and ran `serve`.
    expect(listed(wiam(["--snapshot", a, "--snapshot", b, "call", "list_identities", "--intent", "both snapshot files loaded", "--json"]))).toEqual(both);
    expect(listed(wiam(["--snapshot", `${a},${b}`, "call", "list_identities", "--intent", "both snapshot files loaded", "--json"]))).toEqual(both);
  }, SPAWNING);
});

describe("wiam tools <name>", () => {
  it("prints the tool's arguments with types, limits, required or optional, and descriptions", () => {
    const { code, stdout } = wiam(["tools", "describe_identity"]);
    expect(code).toBe(0);
    const lines = stdout.split("\n");
    expect(lines[0]).toBe("describe_identity: Describe an identity (enabled: tools.allow: *)");
    expect(lines.slice(3)).toEqual([
      "arguments:",
      "  intent     string, 8-500 chars  required  Why the analyst is asking, in one short sentence. Recorded in the audit log.",
      "  task_id    string               optional  Groups the calls of one investigation; defaults to the MCP session.",
      "  principal  string, 1-512 chars  required  The identity: an AWS ARN, a GCP member (serviceAccount:...) or email, an Entra object id, or an exact name.",
      "",
    ]);
  });

  it("prints enums, numeric ranges and lists; --json gives the same rows and the input schema", () => {
    const text = wiam(["tools", "find_expiring_credentials"]);
    expect(text.stdout).toContain("  within_days  integer 1..3650 ");
    expect(text.stdout).toContain("  provider     one of aws|gcp|azure ");
    expect(text.stdout).toContain("  statuses     list of (expired|expiring|no_expiry|disabled), at least 1 ");
    const json = wiam(["tools", "find_expiring_credentials", "--json"]);
    const parsed = JSON.parse(json.stdout) as { name: string; enabled: boolean; arguments: { name: string; type: string; required: boolean }[]; inputSchema: { required: string[] } };
    expect(parsed.name).toBe("find_expiring_credentials");
    expect(parsed.arguments.find((a) => a.name === "within_days")).toEqual({ name: "within_days", type: "integer 1..3650", required: false, description: "Expiring within this many days (default from config, 30)." });
    expect(parsed.inputSchema.required).toEqual(["intent"]);
  }, SPAWNING);

  it("names the known tools when the name is wrong, exit 2", () => {
    const { code, stderr } = wiam(["tools", "describe"]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      'wiam: tools: no tool named "describe" (tools: inventory_summary, find_stale_service_accounts, find_expiring_credentials, explain_entitlement_paths, describe_identity, list_identities, find_anomalous_activity, what_changed)\n',
    );
  });
});

describe("wiam output into a closed pipe", () => {
  it("audit export | head -1 prints one line and exits 0 without a word on stderr", () => {
    const dataDir = tempDataDir();
    // Far more than a pipe buffer holds, so the export is still writing when head exits.
    loadOrCreateRedactionKey(dataDir);
    const store = AuditStore.open(join(dataDir, AUDIT_DB_FILE), { responseBody: "none" });
    for (let i = 0; i < 2_000; i++) {
      const id = store.accept({
        sessionId: "s",
        clientName: "epipe-test",
        clientVersion: null,
        caller: "analyst",
        transport: "cli",
        tool: "inventory_summary",
        intent: `an intent long enough to make each exported line a few hundred bytes, number ${i}`,
        taskId: null,
        arguments: { scope: "aws:account/111122223333" },
        decision: "allow",
        decisionRule: "policy:default-allow",
        approver: null,
        redactionRulesetVersion: "test",
      });
      store.complete(id, { status: "ok", error: null, credentialScope: null, cloudOperations: [], result: null, redactionFindings: {}, responseBody: null, durationMs: 1 });
    }
    store.close();
    const result = spawnSync("bash", ["--norc", "--noprofile", "-c", `"${process.execPath}" "${CLI}" audit export --format csv | head -1; echo "exit \${PIPESTATUS[0]}"`], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", WIAM_DATA_DIR: dataDir },
    });
    const lines = result.stdout.split("\n");
    expect(lines[0]).toMatch(/^id,/);
    expect(lines.slice(1)).toEqual(["exit 0", ""]);
    expect(result.stderr).toBe("");
  }, SPAWNING);
});
