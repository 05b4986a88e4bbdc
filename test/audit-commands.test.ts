import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import {
  auditCheckpoint,
  auditExport,
  auditPrune,
  auditSearch,
  auditShow,
  auditStats,
  auditTail,
  auditVerify,
  parseCheckpoints,
} from "../src/audit/commands.js";
import { CSV_COLUMNS } from "../src/audit/export.js";
import { generateSigningKey } from "../src/audit/signing.js";
import type { AuditStore } from "../src/audit/store.js";
import { acceptance, completion, tempStore, type TempStore } from "./fixtures/audit-fixtures.js";

let current: TempStore | null = null;
afterEach(async () => {
  current?.cleanup();
  current = null;
});

/** Three calls: ok (12:00:00-01), error (12:00:02-03), and one still running (12:00:04). */
function seeded(options: Parameters<typeof tempStore>[0] = {}): { temp: TempStore; store: AuditStore; ids: string[] } {
  current = tempStore(options);
  const store = current.store;
  const ok = store.accept(acceptance());
  store.complete(ok, completion());
  const failed = store.accept(
    acceptance({ tool: "describe_identity", caller: "bob", taskId: null, intent: "=HYPERLINK(\"http://evil\")\u001b[31m", arguments: { id: "a,b" } }),
  );
  store.complete(
    failed,
    completion({ status: "error", error: 'provider "aws" unavailable', cloudOperations: [], result: null, redactionFindings: {}, durationMs: 7 }),
  );
  const running = store.accept(acceptance({ tool: "find_stale", sourceAddress: "192.0.2.10", transport: "http", sessionId: null, clientName: null }));
  return { temp: current, store, ids: [ok, failed, running] };
}

describe("tail, search and show", async () => {
  it("prints one line per call, oldest first, with control characters neutralized", async () => {
    const { store, ids } = seeded();
    expect(await auditTail(store, 10)).toEqual({
      text:
        `2025-03-01T12:00:00.000Z  ${ids[0]}  ok        list_identities           alice  42ms  3 items  task=TASK-1  "review stale service accounts"\n` +
        `2025-03-01T12:00:02.000Z  ${ids[1]}  error     describe_identity         bob  7ms  -  "=HYPERLINK(\\"http://evil\\")?[31m"\n` +
        `2025-03-01T12:00:04.000Z  ${ids[2]}  accepted  find_stale                alice  -  -  task=TASK-1  "review stale service accounts"\n`,
      exitCode: 0,
    });
    expect((await auditSearch(store, { status: "error" }, { json: true })).text).toBe(`${JSON.stringify(store.search({ status: "error" }), null, 2)}\n`);
    expect(await auditSearch(store, { tool: "nothing" })).toEqual({ text: "no audit records\n", exitCode: 0 });
  });

  it("shows every field of one call", async () => {
    const { store, ids } = seeded();
    expect((await auditShow(store, ids[0] ?? "")).text).toBe(
      [
        `id           ${ids[0]}`,
        "status       ok",
        "tool         list_identities",
        "accepted     2025-03-01T12:00:00.000Z (seq 1)",
        "completed    2025-03-01T12:00:01.000Z (seq 2)",
        "caller       alice via stdio",
        "client       claude-desktop 0.9.2",
        "session      session-1",
        "task         TASK-1",
        "intent       review stale service accounts",
        "decision     allow (allowlist)",
        "approval     -",
        'arguments    {"pageSize":50,"provider":"aws"}',
        "duration     42 ms",
        "credentials  aws:account/123456789012 read-only",
        `result       3 items, 512 bytes, sha256 ${"a".repeat(64)}`,
        "cloud call   aws iam:GetAccountAuthorizationDetails ×2 on aws:account/123456789012 request ids req-EXAMPLE-1 req-EXAMPLE-2",
        "redactions   aws_secret_access_key 1",
        'response     {"items":[{"id":"arn:aws:iam::123456789012:role/app"}]}',
        "ruleset      2025.1",
        `hash         ${store.get(ids[0] ?? "")?.hash} / ${store.get(ids[0] ?? "")?.completionHash}`,
        "",
      ].join("\n"),
    );
    expect(await auditShow(store, "01NOPE")).toEqual({ text: "no audit record with id 01NOPE\n", exitCode: 1 });
    expect(JSON.parse((await auditShow(store, ids[2] ?? "", { json: true })).text)).toMatchObject({ id: ids[2], status: "accepted", sourceAddress: "192.0.2.10" });
  });

  it("prints stats as text and JSON", async () => {
    const { store } = seeded();
    expect((await auditStats(store)).text).toBe(
      [
        "calls: 3 (2025-03-01T12:00:00.000Z to 2025-03-01T12:00:04.000Z)",
        "status: accepted 1, ok 1, error 1, denied 0",
        "decisions: allow 3",
        "duration: median 7ms, p95 42ms",
        "cloud API calls: 2",
        "redactions: aws_secret_access_key 1",
        "",
        "tool               calls  errors  denied  median    p95",
        "describe_identity      1       1       0     7ms     7ms",
        "find_stale             1       0       0       -       -",
        "list_identities        1       0       0    42ms    42ms",
        "",
      ].join("\n"),
    );
    expect(JSON.parse((await auditStats(store, {}, { json: true })).text)).toEqual(store.stats());
  });
});

describe("verify and checkpoint commands", async () => {
  it("reports an intact log with exit code 0 and a broken one with 1", async () => {
    const { temp, store, ids } = seeded();
    const head = store.verify().headHash;
    expect(await auditVerify(store)).toEqual({ text: `audit log OK: 5 events verified (seq 1-5), head ${head.slice(0, 16)}\n`, exitCode: 0 });

    const raw = new Database(temp.path);
    raw.prepare("UPDATE audit_events SET body = replace(body, 'bob', 'eve') WHERE seq = 3").run();
    raw.close();
    expect(await auditVerify(store)).toEqual({
      text:
        `audit log BROKEN at seq 3 (call ${ids[1]}): hash_mismatch\n` +
        "  the stored hash does not match the event's content: the row was edited\n" +
        "  2 events verified before the break\n",
      exitCode: 1,
    });
    expect(JSON.parse((await auditVerify(store, undefined, { json: true })).text)).toMatchObject({ ok: false, firstBroken: { seq: 3 } });
  });

  it("checks checkpoints from a file written by the checkpoint command", async () => {
    const { temp, store } = seeded();
    const key = generateSigningKey();
    const output = await auditCheckpoint(store, key);
    expect(output.exitCode).toBe(0);
    const file = join(temp.dir, "checkpoints.jsonl");
    const one = JSON.stringify(JSON.parse(output.text));
    writeFileSync(file, `${one}\n${one}\n`);
    expect(await auditVerify(store, file)).toMatchObject({ exitCode: 0, text: expect.stringContaining("; 2 checkpoint(s) verified") });
    writeFileSync(file, output.text);
    expect((await auditVerify(store, file)).exitCode).toBe(0);
    writeFileSync(file, `[${one}]`);
    expect((await auditVerify(store, file)).exitCode).toBe(0);

    writeFileSync(file, '{"seq": 1}');
    expect((await auditVerify(store, file)).exitCode).toBe(2);
    expect(await auditVerify(store, join(temp.dir, "absent.json"))).toMatchObject({ exitCode: 2, text: expect.stringContaining("cannot read checkpoints file") });
    expect(parseCheckpoints("not json\n")).toBe("checkpoints is neither JSON nor JSON lines");
  });

  it("prunes through the command, including an old call that never completed", async () => {
    const { store } = seeded({ retentionDays: 1 });
    expect(await auditPrune(store, new Date("2025-03-05T00:00:00.000Z"))).toEqual({
      text: "pruned 3 call(s) (5 events) accepted before 2025-03-04T00:00:00.000Z; the chain now starts at seq 6\n",
      exitCode: 0,
    });
  });
});

describe("export", async () => {
  it("writes JSONL with a fixed key order, oldest first", async () => {
    const { store, ids } = seeded();
    const lines = (await auditExport(store, "jsonl")).text.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    const first: unknown = JSON.parse(lines[0] ?? "");
    expect(Object.keys(first as object)).toEqual([
      "id", "seq", "acceptedAt", "completedAt", "status", "tool", "caller", "transport", "sourceAddress", "sessionId",
      "clientName", "clientVersion", "taskId", "intent", "arguments", "decision", "decisionRule", "approver",
      "redactionRulesetVersion", "credentialScope", "durationMs", "error", "result", "cloudOperations", "redactionFindings",
      "responseBody", "hash", "prevHash", "completionSeq", "completionHash",
    ]);
    expect(first).toMatchObject({ id: ids[0], status: "ok", durationMs: 42, redactionFindings: { aws_secret_access_key: 1 } });
    expect(JSON.parse(lines[2] ?? "")).toMatchObject({ id: ids[2], status: "accepted", completedAt: null, durationMs: null, cloudOperations: [] });
    expect((await auditExport(store, "jsonl", { status: "error" })).text.split("\n").filter(Boolean)).toHaveLength(1);
  });

  it("writes CSV with fixed columns, RFC 4180 quoting and formula cells defused", async () => {
    const { store, ids } = seeded();
    const lines = (await auditExport(store, "csv")).text.split("\n");
    expect(lines[0]).toBe(CSV_COLUMNS.join(","));
    expect(lines[0]).toBe(
      "id,seq,accepted_at,completed_at,status,tool,caller,transport,source_address,session_id,client_name,client_version,task_id,intent,decision,decision_rule,approver,credential_scope,duration_ms,item_count,byte_size,response_sha256,cloud_operations,cloud_request_ids,redaction_findings,redaction_ruleset_version,error,arguments,hash,completion_hash",
    );
    const second = store.get(ids[1] ?? "");
    expect(lines[2]).toBe(
      `${ids[1]},3,2025-03-01T12:00:02.000Z,2025-03-01T12:00:03.000Z,error,describe_identity,bob,stdio,,session-1,claude-desktop,0.9.2,,` +
        `"'=HYPERLINK(""http://evil"")?[31m",allow,allowlist,,aws:account/123456789012 read-only,7,,,,0,,,2025.1,` +
        `"provider ""aws"" unavailable","{""id"":""a,b""}",${second?.hash},${second?.completionHash}`,
    );
    expect(lines[1]).toContain(",2,req-EXAMPLE-1 req-EXAMPLE-2,aws_secret_access_key 1,2025.1,,");
    expect(lines).toHaveLength(5); // header, 3 rows, trailing newline
  });

  it("writes OCSF API Activity events with the required fields", async () => {
    const { store, ids } = seeded();
    const events = (await auditExport(store, "ocsf"))
      .text.trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const event of events) {
      for (const field of ["activity_id", "category_uid", "class_uid", "type_uid", "severity_id", "time", "metadata", "actor", "api", "src_endpoint"]) {
        expect(event).toHaveProperty(field);
      }
      expect(event).toMatchObject({ class_uid: 6003, category_uid: 6, activity_id: 2, type_uid: 600302 });
    }
    expect(events[0]).toEqual({
      activity_id: 2,
      activity_name: "Read",
      category_uid: 6,
      category_name: "Application Activity",
      class_uid: 6003,
      class_name: "API Activity",
      type_uid: 600302,
      type_name: "API Activity: Read",
      time: Date.parse("2025-03-01T12:00:00.000Z"),
      start_time: Date.parse("2025-03-01T12:00:00.000Z"),
      end_time: Date.parse("2025-03-01T12:00:01.000Z"),
      duration: 42,
      severity_id: 1,
      severity: "Informational",
      status_id: 1,
      status: "Success",
      status_code: "ok",
      message: "list_identities ok",
      action_id: 1,
      action: "Allowed",
      disposition_id: 1,
      disposition: "Allowed",
      policy: { name: "allowlist" },
      metadata: {
        version: "1.3.0",
        product: { name: "workload-iam-mcp", vendor_name: "workload-iam-mcp" },
        profiles: ["security_control"],
        uid: ids[0],
        sequence: 1,
        log_name: "audit",
        original_time: "2025-03-01T12:00:00.000Z",
      },
      actor: { user: { name: "alice" }, session: { uid: "session-1" }, app_name: "claude-desktop" },
      api: { operation: "list_identities", service: { name: "workload-iam-mcp" }, request: { uid: ids[0] }, response: { code: 0 } },
      src_endpoint: { name: "stdio" },
      unmapped: {
        intent: "review stale service accounts",
        task_id: "TASK-1",
        decision: "allow",
        decision_rule: "allowlist",
        approver: null,
        client_version: "0.9.2",
        credential_scope: "aws:account/123456789012 read-only",
        cloud_operations: completion().cloudOperations,
        result: completion().result,
        redaction_findings: { aws_secret_access_key: 1 },
        redaction_ruleset_version: "2025.1",
        chain_hash: store.get(ids[0] ?? "")?.completionHash,
      },
    });
    expect(events[1]).toMatchObject({
      status_id: 2,
      status: "Failure",
      severity_id: 2,
      status_detail: 'provider "aws" unavailable',
      api: { response: { code: 1, error_message: 'provider "aws" unavailable' } },
    });
    expect(events[2]).toMatchObject({ status_id: 0, status: "Unknown", src_endpoint: { ip: "192.0.2.10", name: "http" }, actor: { user: { name: "alice" } } });
    expect(events[2]).not.toHaveProperty("end_time");
  });

  it("maps a denied call to a blocked disposition with medium severity", async () => {
    current = tempStore();
    const id = current.store.accept(acceptance({ decision: "deny", decisionRule: "policy:deny-prod" }));
    current.store.complete(id, completion({ status: "denied", error: "denied by policy" }));
    const [event] = (await auditExport(current.store, "ocsf")).text.trimEnd().split("\n").map((line) => JSON.parse(line) as unknown);
    expect(event).toMatchObject({ severity_id: 3, severity: "Medium", action_id: 2, action: "Denied", disposition_id: 2, disposition: "Blocked", policy: { name: "policy:deny-prod" } });
  });
});
