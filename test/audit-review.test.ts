/**
 * The data directory and the audit database under review: modes an admin set are kept, review
 * commands read an evidence copy locked down to 0400/0500 without writing anything, `wiam export
 * --out` writes regular files only, what one call can store is bounded, and a database locked by
 * another process gives a clear tool error and is audited once the lock is gone.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { createApp, type App } from "../src/app.js";
import { MAX_STORED_ARGUMENT_BYTES } from "../src/audit/bounds.js";
import { AuditLogBusyError } from "../src/audit/busy.js";
import { MAX_ARGUMENT_BYTES } from "../src/pipeline/audit-guarded-pipeline.js";
import { loadOrCreateRedactionKey } from "../redaction/index.js";
import { AUDIT_DB_FILE, AuditStore } from "../src/audit/store.js";
import { parseConfig } from "../src/config/load.js";
import { createMcpServer } from "../src/server/create-server.js";
import { tempDataDir, textOf } from "./fixtures/mcp.js";

const CLI = new URL("../dist/src/cli/main.js", import.meta.url).pathname;
const isRoot = process.getuid?.() === 0;
const NOBODY = 65_534;

function wiam(args: string[], dataDir: string, as?: number) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    input: "",
    env: { PATH: process.env.PATH ?? "", WIAM_DATA_DIR: dataDir },
    ...(as === undefined ? {} : { uid: as, gid: as }),
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Spawning the CLI takes seconds on a loaded two-core machine: generous limits, never asserted. */
const SPAWNING = 120_000;

/** A live data directory with `tools` recorded as if called (the real store and redaction key). */
function seededDataDir(tools: readonly string[]): string {
  const dataDir = tempDataDir();
  loadOrCreateRedactionKey(dataDir);
  const store = AuditStore.open(join(dataDir, AUDIT_DB_FILE), { responseBody: "summary" });
  for (const tool of tools) {
    const id = store.accept({
      sessionId: "s-1",
      clientName: "review-test",
      clientVersion: null,
      caller: "analyst",
      transport: "stdio",
      tool,
      intent: "calls to review later",
      taskId: null,
      arguments: { intent: "calls to review later" },
      decision: "allow",
      decisionRule: "policy:allow-read-only-tools",
      approver: null,
      redactionRulesetVersion: "test",
    });
    store.complete(id, { status: "ok", error: null, credentialScope: null, cloudOperations: [], result: null, redactionFindings: {}, responseBody: "answer", durationMs: 3 });
  }
  store.close();
  return dataDir;
}

function modeOf(path: string): number {
  return statSync(path).mode & 0o7777;
}

describe("the data directory", () => {
  it("is created 0700 with the database 0600, and an existing directory keeps the mode its admin set", () => {
    const parent = mkdtempSync(join(tmpdir(), "wiam-dd-"));
    const fresh = join(parent, "state", "wiam");
    expect(wiam(["call", "inventory_summary", "--intent", "first call creates the state"], fresh).code).toBe(0);
    expect([modeOf(fresh), modeOf(join(fresh, AUDIT_DB_FILE))]).toEqual([0o700, 0o600]);

    // An admin opened the directory to a reviewers' group (0750): calls and reviews leave it so.
    chmodSync(fresh, 0o750);
    expect(wiam(["call", "inventory_summary", "--intent", "second call in the shared dir"], fresh).code).toBe(0);
    expect(wiam(["audit", "tail"], fresh).code).toBe(0);
    expect(modeOf(fresh)).toBe(0o750);
  }, SPAWNING);

  it("review commands on a data directory that does not exist say so (exit 2) and create nothing", () => {
    const missing = join(mkdtempSync(join(tmpdir(), "wiam-dd-")), "never-used");
    for (const command of [["audit", "tail"], ["audit", "verify"], ["audit", "export"]]) {
      const run = wiam(command, missing);
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(
        `wiam: no audit log at ${join(missing, AUDIT_DB_FILE)}: nothing has been recorded with this data directory\nCheck --data-dir or WIAM_DATA_DIR; the server creates the log on its first call.\n`,
      );
    }
    expect(existsSync(missing)).toBe(false);
  }, SPAWNING);
});

describe("reviewing an evidence copy", () => {
  // Permission bits do not bind root, so the copy is reviewed as an unprivileged user when the
  // tests run as root (as in CI containers); otherwise as the current user.
  it("verifies, tails, searches and exports a 0400 audit.db in a 0500 directory, writing nothing", () => {
    const live = seededDataDir(["list_identities", "inventory_summary"]);

    const holder = mkdtempSync(join(tmpdir(), "wiam-evidence-"));
    const evidence = join(holder, "copy");
    mkdirSync(evidence);
    // The evidence is the database file alone (no -wal or -shm beside it), as a copy usually is.
    cpSync(join(live, AUDIT_DB_FILE), join(evidence, AUDIT_DB_FILE));
    cpSync(join(live, "redaction.key"), join(evidence, "redaction.key"));
    const reviewer = isRoot ? NOBODY : undefined;
    if (reviewer !== undefined) {
      chownSync(evidence, reviewer, reviewer);
      for (const file of readdirSync(evidence)) chownSync(join(evidence, file), reviewer, reviewer);
      chmodSync(holder, 0o711);
    }
    for (const file of readdirSync(evidence)) chmodSync(join(evidence, file), 0o400);
    chmodSync(evidence, 0o500);
    const before = readdirSync(evidence).sort();

    const verify = wiam(["audit", "verify"], evidence, reviewer);
    expect([verify.code, verify.stderr]).toEqual([0, ""]);
    expect(verify.stdout).toMatch(/^audit log OK: 4 events verified \(seq 1-4\), head [0-9a-f]{16}\n$/);
    const tail = wiam(["audit", "tail", "--json"], evidence, reviewer);
    expect(tail.code).toBe(0);
    expect((JSON.parse(tail.stdout) as { tool: string }[]).map((r) => r.tool)).toEqual(["list_identities", "inventory_summary"]);
    const search = wiam(["audit", "search", "--tool", "inventory_summary", "--json"], evidence, reviewer);
    expect((JSON.parse(search.stdout) as { intent: string }[]).map((r) => r.intent)).toEqual(["calls to review later"]);
    const exported = wiam(["audit", "export"], evidence, reviewer);
    expect(exported.stdout.trim().split("\n")).toHaveLength(2);

    // A call must append, which the copy does not allow: refused with the reason, not "EACCES".
    const call = wiam(["call", "inventory_summary", "--intent", "try to write to the evidence"], evidence, reviewer);
    expect(call.code).toBe(2);
    expect(call.stderr).toBe(
      `wiam: audit log ${join(evidence, AUDIT_DB_FILE)}: cannot be opened for writing (EACCES); calls are refused while nothing can be audited\n` +
        "Review commands (wiam audit tail/search/show/stats/export/verify) read it as it is; to serve or call, point --data-dir or WIAM_DATA_DIR at a directory this user can write.\n",
    );

    expect(readdirSync(evidence).sort()).toEqual(before);
    expect(modeOf(evidence)).toBe(0o500);
    expect(modeOf(join(evidence, AUDIT_DB_FILE))).toBe(0o400);
  }, SPAWNING);

  it("without the redaction key, still prints redacted output and says fingerprints will differ", () => {
    const live = seededDataDir(["inventory_summary"]);
    const evidence = mkdtempSync(join(tmpdir(), "wiam-evidence-"));
    cpSync(join(live, AUDIT_DB_FILE), join(evidence, AUDIT_DB_FILE));
    chmodSync(join(evidence, AUDIT_DB_FILE), 0o400);
    chmodSync(evidence, 0o500);
    const verify = wiam(["audit", "verify"], evidence);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^audit log OK: 2 events verified/);
    expect(verify.stderr).toBe(`wiam: note: no redaction.key in ${evidence}; using a one-time key, so redaction fingerprints will not match the server's\n`);
    expect(readdirSync(evidence)).toEqual([AUDIT_DB_FILE]);
  }, SPAWNING);
});

describe("wiam export --out", () => {
  const INTENT = "offline copy of the estate for review";

  it.each([
    ["a directory", (path: string) => mkdirSync(path), "a directory"],
    ["a symbolic link", (path: string) => symlinkSync("/dev/null", path), "a symbolic link"],
    ["a named pipe", (path: string) => void spawnSync("mkfifo", [path]), "a named pipe"],
  ])("refuses %s even with --force, and leaves it as it was", (_case, make, kind) => {
    const dir = mkdtempSync(join(tmpdir(), "wiam-out-"));
    const out = join(dir, "target");
    make(out);
    const run = wiam(["export", "--out", out, "--intent", INTENT, "--force"], tempDataDir());
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`wiam: --out: ${out} is ${kind}; export writes regular files only (even with --force)\n`);
  });

  it("refuses a device file itself, and replaces a regular file only with --force", () => {
    const device = wiam(["export", "--out", "/dev/null", "--intent", INTENT, "--force"], tempDataDir());
    expect([device.code, device.stderr]).toEqual([2, "wiam: --out: /dev/null is a device; export writes regular files only (even with --force)\n"]);

    const out = join(mkdtempSync(join(tmpdir(), "wiam-out-")), "estate.json");
    writeFileSync(out, "old");
    const refused = wiam(["export", "--out", out, "--intent", INTENT], tempDataDir());
    expect([refused.code, refused.stderr]).toEqual([2, `wiam: --out: ${out} already exists; pass --force to replace it\n`]);
    const replaced = wiam(["export", "--out", out, "--intent", INTENT, "--force"], tempDataDir());
    expect(replaced.code).toBe(0);
    expect(statSync(out).size).toBeGreaterThan(1000);
  }, SPAWNING);
});

describe("what one call can store", () => {
  it("refuses oversized arguments with the limit, and audits them as size and hash, so five huge calls stay small", async () => {
    const dataDir = tempDataDir();
    const app = createApp({ config: parseConfig({}, "(test)"), dataDir, logLevel: "error", logWrite: () => undefined });
    const huge = "x".repeat(2 * 1024 * 1024);
    const args = { intent: "an intent that is fine", padding: huge };
    const bytes = Buffer.byteLength(JSON.stringify(args));
    try {
      for (let i = 0; i < 5; i++) {
        const response = await app.pipeline.execute({
          tool: "inventory_summary",
          arguments: args,
          caller: { sessionId: "s", clientName: "test", clientVersion: null, caller: "analyst", transport: "in-memory" },
        });
        expect(response).toEqual({
          isError: true,
          text: `arguments: ${bytes} bytes of JSON is over the limit of ${MAX_ARGUMENT_BYTES} bytes for one call (an intent is at most 500 characters); nothing ran`,
          auditId: expect.any(String),
        });
      }
      const rows = app.audit?.tail(5) ?? [];
      expect(rows.map((r) => [r.status, r.decisionRule, r.intent])).toEqual(
        Array.from({ length: 5 }, () => ["error", "not evaluated: arguments over the size limit", "an intent that is fine"]),
      );
      expect(rows[0]?.arguments).toEqual({
        withheld: `arguments too large to store (${bytes} bytes; the limit is ${MAX_STORED_ARGUMENT_BYTES})`,
        bytes,
        sha256: createHash("sha256").update(JSON.stringify(args)).digest("hex"),
      });
    } finally {
      app.close();
    }
    // Five 2 MiB calls leave a log of kilobytes, not 10 MiB.
    const wal = join(dataDir, `${AUDIT_DB_FILE}-wal`);
    expect(statSync(join(dataDir, AUDIT_DB_FILE)).size + (existsSync(wal) ? statSync(wal).size : 0)).toBeLessThan(512 * 1024);
  });

  it("the store itself bounds what any writer hands it: arguments, intent, client name, caller, approver, error", () => {
    const store = AuditStore.open(join(tempDataDir(), AUDIT_DB_FILE), { responseBody: "none" });
    const id = store.accept({
      sessionId: "s",
      clientName: "c".repeat(10_000),
      clientVersion: null,
      caller: `https://issuer.example|${"s".repeat(5_000)}`,
      transport: "in-memory",
      tool: "inventory_summary",
      intent: "i".repeat(10_000),
      taskId: null,
      arguments: { statuses: Array.from({ length: 5_000 }, () => "expired") },
      decision: "allow",
      decisionRule: "policy:default-allow",
      approver: "a".repeat(1_000),
      redactionRulesetVersion: "test",
    });
    store.complete(id, { status: "error", error: "e".repeat(100_000), credentialScope: null, cloudOperations: [], result: null, redactionFindings: {}, responseBody: null, durationMs: 1 });
    const record = store.get(id);
    store.close();
    expect(record?.clientName).toBe(`${"c".repeat(256)}…[+9744 chars]`);
    expect(record?.intent).toBe(`${"i".repeat(500)}…[+9500 chars]`);
    expect(record?.caller).toBe(`https://issuer.example|${"s".repeat(1_024 - 23)}…[+${5_023 - 1_024} chars]`);
    expect(record?.approver).toBe(`${"a".repeat(256)}…[+744 chars]`);
    expect((record?.arguments as { withheld: string }).withheld).toBe(`arguments too large to store (50014 bytes; the limit is ${MAX_STORED_ARGUMENT_BYTES})`);
    expect(record?.completion?.error).toBe(`${"e".repeat(4096)}…[+95904 chars]`);
  });
});

describe("a locked audit database", () => {
  let app: App | undefined;
  let holder: Database.Database | undefined;
  afterEach(() => {
    if (holder?.inTransaction) holder.exec("ROLLBACK");
    holder?.close();
    app?.close();
    holder = undefined;
    app = undefined;
  });

  it("gives the MCP client a clear tool error, and records the refused call once the lock is released", async () => {
    const dataDir = tempDataDir();
    app = createApp({ config: parseConfig({}, "(test)"), dataDir, logLevel: "error", logWrite: () => undefined, auditBusyTimeoutMs: 200 });
    const server = createMcpServer({ pipeline: app.pipeline, logger: app.logger, transport: "in-memory", caller: "test-analyst" });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: "lock-test", version: "1.0.0" });
    await server.connect(serverSide);
    await client.connect(clientSide);

    // Another process (here: another connection) holds the write lock past the busy timeout.
    holder = new Database(join(dataDir, AUDIT_DB_FILE));
    holder.exec("BEGIN IMMEDIATE");
    const refused = await client.callTool({ name: "inventory_summary", arguments: { intent: "summary while the log is locked" } });
    expect(refused.isError).toBe(true);
    expect(textOf(refused as { content?: unknown })).toBe(
      "the audit log is locked by another process and stayed locked for 0 s; the call was refused before it ran (nothing runs unaudited) and the refusal will be recorded once the log is free. Try again shortly",
    );
    holder.exec("ROLLBACK");

    const next = await client.callTool({ name: "inventory_summary", arguments: { intent: "summary after the lock is gone" } });
    expect(next.isError).toBeFalsy();
    const rows = app.audit?.tail(5) ?? [];
    expect(rows.map((r) => [r.intent, r.status, r.decision, r.decisionRule])).toEqual([
      ["summary while the log is locked", "error", "deny", "audit log locked: refused before running"],
      ["summary after the lock is gone", "ok", "allow", rows[1]?.decisionRule],
    ]);
    expect(app.audit?.verify().ok).toBe(true);
    await client.close();
  });

  it("retention pruning under the lock says so and prunes nothing", () => {
    const path = join(tempDataDir(), AUDIT_DB_FILE);
    const store = AuditStore.open(path, { responseBody: "none", retentionDays: 1, busyTimeoutMs: 100 });
    holder = new Database(path);
    holder.exec("BEGIN IMMEDIATE");
    try {
      expect(() => store.prune(new Date("2030-01-01T00:00:00Z"))).toThrow(AuditLogBusyError);
      expect(() => store.prune(new Date("2030-01-01T00:00:00Z"))).toThrow("the audit log is locked by another process and stayed locked for 0 s; nothing was pruned. Try again shortly");
    } finally {
      store.close();
    }
  });
});
