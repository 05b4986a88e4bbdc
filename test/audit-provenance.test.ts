/**
 * The audit log by provenance: data from outside (intent, arguments) is redacted, what the server
 * computed (finding counts, hashes, cloud request ids, checkpoint signatures) is kept as written, so
 * every review command works on every row and a checkpoint verifies through the CLI.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createRedactor } from "../redaction/index.js";
import { auditSearch, auditShow, auditTail, exportLines } from "../src/audit/commands.js";
import { recordRedaction } from "../src/audit/record-redaction.js";
import { AuditStore } from "../src/audit/store.js";
import { fake } from "./redaction-corpus/index.js";
import { acceptance, completion, linesOf } from "./fixtures/audit-fixtures.js";
import { connect, tempDataDir, textOf } from "./fixtures/mcp.js";
import { TEST_KEY } from "./redaction-helpers.js";

const CLI = new URL("../dist/src/cli/main.js", import.meta.url).pathname;
// Short enough for an intent: {"alg":"HS256","typ":"JWT"}.{"sub":"FAKE"}.signature
const JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJGQUtFIn0.EXAMPLEFAKEsignature0123456789abcdefXYZ";
const GITHUB_TOKEN = fake.githubToken("ghp", "audit-provenance");

function wiam(args: string[], dataDir: string) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", WIAM_DATA_DIR: dataDir } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const redactor = createRedactor({ key: TEST_KEY });
const guarded = (path: string) =>
  AuditStore.open(path, { responseBody: "full", redactText: (text) => redactor.redactText(text).value, redactRecord: recordRedaction(redactor) });

describe("audit records by provenance", async () => {
  it("keeps computed fields as written while the safety net redacts the data fields", async () => {
    const store = guarded(join(mkdtempSync(join(tmpdir(), "wiam-audit-")), "audit.db"));
    const requestIds = ["7f0c2a9e-4b1d-4e8a-9c3f-2d5b6a7e8f90", "0d3e1f8c9a7b6c5d4e3f2a1b0c9d8e7f", "EXAMPLEREQ1D2345FAKE"];
    const id = store.accept(acceptance({ intent: `check ${JWT} against the vault`, arguments: { token: GITHUB_TOKEN, provider: "aws" } }));
    const findings = { jwt: 1, github_token: 1, token_field: 2, password_assignment: 3, pin: 4 };
    store.complete(
      id,
      completion({
        redactionFindings: findings,
        cloudOperations: [{ provider: "aws", api: "iam:GetAccountAuthorizationDetails", count: 3, requestIds }],
        responseBody: { text: `pass cursor "MTAwOmFiY2RlZjAxMjM0NQ" for more; token=${GITHUB_TOKEN}` },
      }),
    );
    const record = store.get(id);
    expect(record?.intent).toMatch(/^check \[REDACTED:jwt:[0-9a-f]{8}\] against the vault$/);
    expect(JSON.stringify(record?.arguments)).not.toContain(GITHUB_TOKEN);
    expect(record?.completion?.redactionFindings).toEqual(findings);
    expect(record?.completion?.cloudOperations[0]?.requestIds).toEqual(requestIds);
    expect(JSON.stringify(record?.completion?.responseBody)).toContain('pass cursor \\"MTAwOmFiY2RlZjAxMjM0NQ\\" for more; token=[REDACTED:');

    // Every review command reads the row.
    expect((await auditTail(store, 5)).exitCode).toBe(0);
    expect((await auditSearch(store, {}, { json: true })).exitCode).toBe(0);
    const shown = (await auditShow(store, id)).text;
    expect(shown).toContain(requestIds.join(" "));
    expect(shown).toContain("redactions   github_token 1, jwt 1, password_assignment 3, pin 4, token_field 2");
    for (const format of ["jsonl", "csv", "ocsf"] as const) {
      const lines = await linesOf(exportLines(store, format));
      expect(lines.length, format).toBeGreaterThan(0);
      expect(lines.join("\n"), format).not.toContain(GITHUB_TOKEN);
    }
    expect(store.verify()).toMatchObject({ ok: true, checked: 2 });
    store.close();
  });

  it("records a JWT in an intent through the pipeline, and every review command still reads the log", async () => {
    const session = await connect();
    const result = await session.client.callTool({
      name: "list_identities",
      arguments: { intent: `why does ${JWT} work here`, name_contains: GITHUB_TOKEN, limit: 2 },
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    await session.close();
    const store = AuditStore.openReadOnly(join(session.dataDir, "audit.db"), { responseBody: "summary" });
    const [record] = store.tail(1);
    expect(record?.intent).toMatch(/^why does \[REDACTED:jwt:[0-9a-f]{8}\] work here$/);
    expect(record?.completion?.redactionFindings).toEqual({ jwt: 1, github_token: 1 });
    for (const format of ["jsonl", "csv", "ocsf"] as const) expect((await linesOf(exportLines(store, format))).join("\n")).not.toContain(JWT);
    store.close();
  });
});

describe("audit exports and listings on a terminal", async () => {
  it("escape C1 controls, bidi and separators in JSON Lines (same value when parsed) and replace them in CSV and tail", async () => {
    const store = guarded(join(mkdtempSync(join(tmpdir(), "wiam-audit-")), "audit.db"));
    const intent = "review \u009b31mred\u202egnp.exe\u2028next line\u200b done";
    const id = store.accept(acceptance({ intent }));
    store.complete(id, completion());
    const [jsonl] = await linesOf(exportLines(store, "jsonl"));
    expect(jsonl).not.toMatch(/[\u007f-\u009f\u200b\u202e\u2028]/);
    expect((JSON.parse(jsonl ?? "{}") as { intent: string }).intent).toBe(intent);
    const [, csvRow] = await linesOf(exportLines(store, "csv"));
    expect(csvRow).toContain("review ?31mred?gnp.exe?next line? done");
    expect((await auditTail(store, 1)).text).toContain('"review ?31mred?gnp.exe?next line? done"');
    store.close();
  });
});

describe("the audit CLI by provenance", () => {
  it("prints a checkpoint that verifies, keeps the cursor of `wiam call`, and reads every row after a JWT in an intent", { timeout: 120_000 }, () => {
    const dataDir = tempDataDir();
    const call = wiam(["call", "list_identities", "--intent", `review the token ${JWT}`, "--args", '{"limit": 2}'], dataDir);
    expect(call.code, call.stderr).toBe(0);
    const json = wiam(["call", "list_identities", "--intent", "review all identities", "--args", '{"limit": 2}', "--json"], dataDir);
    const parsed = JSON.parse(json.stdout) as { text: string; result: { page: { nextCursor: string } } };
    expect(parsed.text).toContain(`pass cursor "${parsed.result.page.nextCursor}" for more.`);
    expect(call.stdout).toContain(`pass cursor "${parsed.result.page.nextCursor}" for more.`);

    for (const args of [["audit", "tail"], ["audit", "search", "--json"], ["audit", "export"], ["audit", "export", "-f", "csv"], ["audit", "export", "-f", "ocsf"]]) {
      const run = wiam(args, dataDir);
      expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(0);
      expect(run.stdout, args.join(" ")).not.toContain(JWT);
    }

    const checkpoint = wiam(["audit", "checkpoint"], dataDir);
    expect(checkpoint.code, checkpoint.stderr).toBe(0);
    const signed = JSON.parse(checkpoint.stdout) as { signature: string; headHash: string; seq: number };
    expect(signed.signature).not.toContain("REDACTED");
    expect(signed.seq).toBe(4);
    const file = join(mkdtempSync(join(tmpdir(), "wiam-checkpoints-")), "checkpoint.json");
    writeFileSync(file, checkpoint.stdout);
    const verify = wiam(["audit", "verify", "--checkpoints", file], dataDir);
    expect(verify.stdout).toContain("1 checkpoint(s) verified");
    expect(verify.code, verify.stdout).toBe(0);
  });
});
