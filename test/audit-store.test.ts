import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { newRecordId, recordIdTime } from "../src/audit/record-id.js";
import { AuditStore, RESPONSE_PREVIEW_CHARS } from "../src/audit/store.js";
import { acceptance, completion, tempStore, writeCalls, type TempStore } from "./fixtures/audit-fixtures.js";

let current: TempStore | null = null;
function open(options: Parameters<typeof tempStore>[0] = {}): TempStore {
  current = tempStore(options);
  return current;
}
afterEach(() => {
  current?.cleanup();
  current = null;
});

describe("two-step records", () => {
  it("shows an accepted call before it completes, then its outcome", () => {
    const { store } = open();
    const id = store.accept(acceptance());

    expect(store.get(id)).toEqual({
      ...acceptance(),
      sourceAddress: null,
      policyIds: [],
      approval: null,
      id,
      seq: 1,
      acceptedAt: "2025-03-01T12:00:00.000Z",
      completedAt: null,
      status: "accepted",
      completion: null,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      prevHash: "0".repeat(64),
      completionSeq: null,
      completionHash: null,
    });
    expect(store.search({ status: "accepted" }).map((r) => r.id)).toEqual([id]);

    store.complete(id, completion());
    const done = store.get(id);
    expect(done?.status).toBe("ok");
    expect(done?.completedAt).toBe("2025-03-01T12:00:01.000Z");
    expect(done?.completionSeq).toBe(2);
    expect(done?.completion).toEqual({
      ...completion(),
      responseBody: { mode: "summary", preview: '{"items":[{"id":"arn:aws:iam::123456789012:role/app"}]}', truncated: false },
    });
    expect(store.search({ status: "accepted" })).toEqual([]);
  });

  it("keeps the acceptance of a call whose process died before completing", () => {
    const temp = open();
    const id = temp.store.accept(acceptance({ tool: "describe_identity" }));
    temp.store.close(); // no completion: as after SIGKILL

    const reopened = temp.reopen();
    expect(reopened.search({ status: "accepted" }).map((r) => [r.id, r.tool, r.status])).toEqual([[id, "describe_identity", "accepted"]]);
    expect(reopened.verify()).toMatchObject({ ok: true, checked: 1 });
  });

  it("lets another connection see the acceptance as soon as accept returns", () => {
    const temp = open();
    const reader = temp.reopen();
    const id = temp.store.accept(acceptance());
    expect(reader.get(id)?.status).toBe("accepted");
  });

  it("refuses to complete an unknown call or the same call twice", () => {
    const { store } = open();
    expect(() => store.complete("01JUNKNOWNUNKNOWNUNKNOWN00", completion())).toThrow("no accepted audit record with id 01JUNKNOWNUNKNOWNUNKNOWN00");
    const id = store.accept(acceptance());
    store.complete(id, completion());
    expect(() => store.complete(id, completion({ status: "error" }))).toThrow(`audit record ${id} is already completed`);
    expect(store.get(id)?.status).toBe("ok");
    expect(store.verify()).toMatchObject({ ok: true, checked: 2, headSeq: 2 });
  });
});

describe("response body setting", () => {
  it("stores nothing, a 1 KiB preview, or the whole redacted body", () => {
    const longText = "x".repeat(RESPONSE_PREVIEW_CHARS + 10);
    const none = open({ responseBody: "none" }).store;
    const a = none.accept(acceptance());
    none.complete(a, completion({ responseBody: { secretless: true } }));
    expect(none.get(a)?.completion?.responseBody).toEqual({ mode: "none" });
    current?.cleanup();

    const summary = open({ responseBody: "summary" }).store;
    const b = summary.accept(acceptance());
    summary.complete(b, completion({ responseBody: longText }));
    expect(summary.get(b)?.completion?.responseBody).toEqual({
      mode: "summary",
      preview: "x".repeat(RESPONSE_PREVIEW_CHARS),
      truncated: true,
    });
    current?.cleanup();

    const full = open({ responseBody: "full" }).store;
    const c = full.accept(acceptance());
    full.complete(c, completion({ responseBody: { items: [1, 2, 3], text: longText } }));
    expect(full.get(c)?.completion?.responseBody).toEqual({ mode: "full", body: { items: [1, 2, 3], text: longText } });
  });
});

describe("record ids", () => {
  it("are 26-character ULIDs that sort by creation time and stay unique within a millisecond", () => {
    const at = new Date("2025-03-01T12:00:00.000Z");
    const sameMs = Array.from({ length: 1000 }, () => newRecordId(at));
    expect(new Set(sameMs).size).toBe(1000);
    expect([...sameMs].sort()).toEqual(sameMs);
    expect(sameMs[0]).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    const later = newRecordId(new Date("2025-03-01T12:00:00.001Z"));
    expect(later > (sameMs.at(-1) ?? "")).toBe(true);
    expect(recordIdTime(later)?.toISOString()).toBe("2025-03-01T12:00:00.001Z");
    expect(recordIdTime("not-an-id")).toBeNull();
  });
});

describe("search, tail and stats", () => {
  function seed(store: AuditStore): string[] {
    const ids: string[] = [];
    const calls = [
      { a: acceptance({ tool: "list_identities", caller: "alice", taskId: "T-1", intent: "Quarterly REVIEW of keys" }), c: completion() },
      { a: acceptance({ tool: "describe_identity", caller: "bob", taskId: "T-2", intent: "incident 42" }), c: completion({ status: "error", error: "provider unavailable", durationMs: 100, redactionFindings: {} }) },
      { a: acceptance({ tool: "list_identities", caller: "bob", taskId: "T-2", intent: null, decision: "deny", decisionRule: "policy:deny-prod" }), c: completion({ status: "denied", error: "denied by policy", durationMs: 1, cloudOperations: [], redactionFindings: {} }) },
      { a: acceptance({ tool: "find_stale", caller: "alice", taskId: "T-3", intent: "stale review" }), c: null },
    ];
    for (const { a, c } of calls) {
      const id = store.accept(a);
      if (c !== null) store.complete(id, c);
      ids.push(id);
    }
    return ids;
  }

  it("filters by tool, status, task, caller, intent and time, newest first by default", () => {
    const { store } = open();
    const [first, second, third, fourth] = seed(store);
    const ids = (records: { id: string }[]) => records.map((r) => r.id);

    expect(ids(store.search())).toEqual([fourth, third, second, first]);
    expect(ids(store.search({ order: "asc", limit: 2 }))).toEqual([first, second]);
    expect(ids(store.search({ tool: "list_identities" }))).toEqual([third, first]);
    expect(ids(store.search({ status: "error" }))).toEqual([second]);
    expect(ids(store.search({ status: "accepted" }))).toEqual([fourth]);
    expect(ids(store.search({ taskId: "T-2" }))).toEqual([third, second]);
    expect(ids(store.search({ caller: "alice" }))).toEqual([fourth, first]);
    expect(ids(store.search({ intentContains: "review" }))).toEqual([fourth, first]);
    expect(ids(store.search({ sessionId: "session-1", limit: 1 }))).toEqual([fourth]);
    // Calls were accepted at 12:00:00, :02, :04 and :06 (each write reads the clock once).
    expect(ids(store.search({ since: "2025-03-01T12:00:02Z", until: new Date("2025-03-01T12:00:06Z") }))).toEqual([third, second]);
    expect(() => store.search({ since: "yesterday-ish" })).toThrow("invalid since time: yesterday-ish");
    expect(ids(store.tail(2))).toEqual([third, fourth]);
  });

  it("summarizes calls by status, decision and tool", () => {
    const { store } = open();
    seed(store);
    expect(store.stats()).toEqual({
      calls: 4,
      byStatus: { accepted: 1, ok: 1, error: 1, denied: 1 },
      byDecision: { allow: 3, deny: 1 },
      byTool: {
        describe_identity: { calls: 1, errors: 1, denied: 0, count: 1, medianMs: 100, p95Ms: 100 },
        find_stale: { calls: 1, errors: 0, denied: 0, count: 0, medianMs: null, p95Ms: null },
        list_identities: { calls: 2, errors: 0, denied: 1, count: 2, medianMs: 1, p95Ms: 42 },
      },
      durations: { count: 3, medianMs: 42, p95Ms: 100 },
      cloudOperations: 4,
      redactionFindings: { aws_secret_access_key: 1 },
      firstAt: "2025-03-01T12:00:00.000Z",
      lastAt: "2025-03-01T12:00:06.000Z",
    });
    expect(store.stats({ caller: "bob" }).calls).toBe(2);
  });
});

describe("files", () => {
  it("creates the database and its WAL files readable by the owner only, in a 0700 directory", () => {
    const { store, path } = open();
    writeCalls(store, 1);
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
    expect(statSync(`${path}-shm`).mode & 0o777).toBe(0o600);
  });

  it("tightens an existing database file that others could read", () => {
    const dir = mkdtempSync(join(tmpdir(), "wiam-audit-mode-"));
    try {
      const path = join(dir, "audit.db");
      closeSync(openSync(path, "w", 0o644));
      chmodSync(path, 0o644);
      AuditStore.open(path, { responseBody: "none" }).close();
      expect(statSync(path).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a database written by a newer schema version", () => {
    const temp = open();
    temp.store.close();
    const raw = new Database(temp.path);
    raw.pragma("user_version = 99");
    raw.close();
    expect(() => temp.reopen()).toThrow("the audit database was written by a newer version (schema 99)");
  });

  it("opens with synchronous=FULL when asked for full durability", () => {
    const temp = open({ durability: "full" });
    writeCalls(temp.store, 2);
    expect(temp.store.verify()).toMatchObject({ ok: true, checked: 4 });
  });
});

describe("redaction guard", () => {
  const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  const fakeRedactText = (text: string) => text.replaceAll(SECRET, "[REDACTED:aws_secret_access_key]");

  it("never writes a secret the caller forgot to redact, in any field", () => {
    const temp = open({ responseBody: "full", redactText: fakeRedactText });
    const id = temp.store.accept(acceptance({ intent: `rotate ${SECRET}`, arguments: { secret: SECRET } }));
    temp.store.complete(id, completion({ error: `failed with ${SECRET}`, responseBody: { leaked: SECRET } }));

    const record = temp.store.get(id);
    expect(record?.intent).toBe("rotate [REDACTED:aws_secret_access_key]");
    expect(record?.arguments).toEqual({ secret: "[REDACTED:aws_secret_access_key]" });
    expect(record?.completion?.error).toBe("failed with [REDACTED:aws_secret_access_key]");
    expect(record?.completion?.responseBody).toEqual({ mode: "full", body: { leaked: "[REDACTED:aws_secret_access_key]" } });
    expect(temp.store.verify()).toMatchObject({ ok: true, checked: 2 });
    temp.store.close();
    for (const file of [temp.path, `${temp.path}-wal`]) {
      let bytes: string;
      try {
        bytes = readFileSync(file).toString("latin1");
      } catch {
        continue; // the WAL may have been checkpointed away on close
      }
      expect(bytes.includes(SECRET)).toBe(false);
      expect(bytes.includes("wJalrXUtnFEMI")).toBe(false);
    }
  });

  it("writes nothing when the guard breaks a JSON field", () => {
    const temp = open({ redactText: (text) => text.replace('"provider"', '"provi"der"') });
    expect(() => temp.store.accept(acceptance())).toThrow("the audit redactText guard returned invalid JSON; the event was not written");
    expect(temp.store.search()).toEqual([]);
    expect(temp.store.verify()).toMatchObject({ ok: true, checked: 0, headSeq: 0 });
  });
});
