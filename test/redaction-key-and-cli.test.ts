import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RedactionError, createRedactor, loadOrCreateRedactionKey, runRedactCommand } from "../redaction/index.js";
import { TEST_KEY } from "./redaction-helpers.js";

describe("loadOrCreateRedactionKey", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "wiam-redaction-key-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("creates the data directory (0700) and a 32-byte key file (0600), then returns the same key", () => {
    const dataDir = join(root, "data");
    const key = loadOrCreateRedactionKey(dataDir);
    expect(key).toHaveLength(32);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, "redaction.key")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dataDir, "redaction.key")).equals(key)).toBe(true);
    expect(loadOrCreateRedactionKey(dataDir).equals(key)).toBe(true);
  });

  it("makes markers stable across restarts and different across installations", () => {
    const first = createRedactor({ key: loadOrCreateRedactionKey(join(root, "a")) }).redact({ password: "FAKE-EXAMPLE" }).value;
    const again = createRedactor({ key: loadOrCreateRedactionKey(join(root, "a")) }).redact({ password: "FAKE-EXAMPLE" }).value;
    const elsewhere = createRedactor({ key: loadOrCreateRedactionKey(join(root, "b")) }).redact({ password: "FAKE-EXAMPLE" }).value;
    expect(again).toEqual(first);
    expect(elsewhere).not.toEqual(first);
  });

  it("refuses a key file readable by others, a symlink, and a file of the wrong size", () => {
    const open = join(root, "open");
    loadOrCreateRedactionKey(open);
    chmodSync(join(open, "redaction.key"), 0o644);
    expect(() => loadOrCreateRedactionKey(open)).toThrow(/mode 644.*chmod 600/);

    const linked = join(root, "linked");
    loadOrCreateRedactionKey(join(root, "target"));
    loadOrCreateRedactionKey(linked);
    rmSync(join(linked, "redaction.key"));
    symlinkSync(join(root, "target", "redaction.key"), join(linked, "redaction.key"));
    expect(() => loadOrCreateRedactionKey(linked)).toThrow(RedactionError);

    const short = join(root, "short");
    loadOrCreateRedactionKey(short);
    writeFileSync(join(short, "redaction.key"), Buffer.alloc(16), { mode: 0o600 });
    expect(() => loadOrCreateRedactionKey(short)).toThrow(/exactly 32 bytes, found 16/);
  });
});

describe("runRedactCommand (wiam redact)", () => {
  const redactor = createRedactor({ key: TEST_KEY });

  it("redacts JSON to JSON of the same shape, with a summary by kind on stderr", () => {
    const input = `${JSON.stringify({ user: "app", password: "FAKE-cli-EXAMPLE", tags: [{ Key: "api_token", Value: "FAKE-tag-EXAMPLE" }] }, null, 2)}\n`;
    const { stdout, stderr } = runRedactCommand(input, { report: "text", redactor });
    const output = JSON.parse(stdout) as { user: string; password: string; tags: { Key: string; Value: string }[] };
    expect(output.user).toBe("app");
    expect(output.password).toMatch(/^\[REDACTED:password_field:[0-9a-f]{8}\]$/);
    expect(output.tags[0]?.Value).toMatch(/^\[REDACTED:token_field:[0-9a-f]{8}\]$/);
    expect(stdout.endsWith("}\n")).toBe(true);
    expect(stdout.includes("\n  ")).toBe(true);
    expect(stderr).toBe("redacted 2 secrets: 1 password_field, 1 token_field\n");
  });

  it("keeps compact JSON compact and reports findings as JSON on request", () => {
    const { stdout, stderr } = runRedactCommand('{"token":"FAKE-EXAMPLE-1"}', { report: "json", redactor });
    expect(stdout).toMatch(/^\{"token":"\[REDACTED:token_field:[0-9a-f]{8}\]"\}$/);
    const report = JSON.parse(stderr) as { rulesetVersion: string; mode: string; total: number; byKind: Record<string, number>; findings: { path: string }[] };
    expect(report.rulesetVersion).toBe(redactor.rulesetVersion);
    expect(report.mode).toBe("json");
    expect(report.total).toBe(1);
    expect(report.byKind).toEqual({ token_field: 1 });
    expect(report.findings[0]?.path).toBe("$.token");
  });

  it("redacts anything else as text", () => {
    const { stdout, stderr } = runRedactCommand("export DB_PASSWORD=FAKE-env-EXAMPLE\nexport REGION=eu-west-1\n", { report: "text", redactor });
    expect(stdout).toMatch(/^export DB_PASSWORD=\[REDACTED:password_assignment:[0-9a-f]{8}\]\nexport REGION=eu-west-1\n$/);
    expect(stderr).toBe("redacted 1 secret: 1 password_assignment\n");
    expect(runRedactCommand("nothing here", { report: "text", redactor })).toEqual({ stdout: "nothing here", stderr: "redacted 0 secrets\n" });
  });
});
