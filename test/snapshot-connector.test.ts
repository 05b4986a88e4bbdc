import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify as toYaml } from "yaml";
import type { CloudOperation, CollectContext } from "../src/connectors/connector.js";
import { buildDemoEstate } from "../src/connectors/demo/index.js";
import { mergeSnapshots } from "../src/connectors/merge.js";
import { createSnapshotConnector } from "../src/connectors/snapshot.js";
import { formatIssuePath } from "../src/util/zod-issues.js";
import { UserFacingError } from "../src/errors.js";
import { emptySnapshot, type InventorySnapshot } from "../src/model/inventory.js";

const NOW = new Date("2025-06-01T12:00:00Z");
const dir = mkdtempSync(join(tmpdir(), "wiam-snapshot-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function context(): CollectContext & { operations: CloudOperation[] } {
  const operations: CloudOperation[] = [];
  return { taskId: "test", now: NOW, operations, recordOperation: (op) => operations.push(op) };
}

async function collectError(path: string): Promise<UserFacingError> {
  const error: unknown = await createSnapshotConnector(path)
    .collect(context())
    .then(() => undefined, (e: unknown) => e);
  if (!(error instanceof UserFacingError)) throw new Error(`expected a UserFacingError, got ${String(error)}`);
  return error;
}

describe("snapshot connector", () => {
  it("round-trips the demo estate through a JSON file and records one local read", async () => {
    const estate = buildDemoEstate(NOW);
    const path = write("demo.json", JSON.stringify(estate));
    const ctx = context();
    const connector = createSnapshotConnector(path);

    const loaded = await connector.collect(ctx);

    expect(connector.id).toBe("snapshot");
    expect(loaded).toEqual(estate);
    expect(ctx.operations).toEqual([{ provider: "local", api: "snapshot:read", count: 1 }]);
  });

  it("reads YAML when the file ends in .yaml or .yml", async () => {
    const estate = buildDemoEstate(NOW);
    // Written the way an exporter writes it: shared objects spelled out, no YAML anchors.
    for (const name of ["demo.yaml", "demo.YML"]) {
      const loaded = await createSnapshotConnector(write(name, toYaml(estate, { aliasDuplicateObjects: false }))).collect(context());
      expect(loaded).toEqual(estate);
    }
  });

  it("names the file, the JSON path and the problem for an invalid snapshot", async () => {
    const estate = buildDemoEstate(NOW);
    const broken = JSON.parse(JSON.stringify(estate)) as Record<string, unknown> & { principals: Record<string, unknown>[] };
    const target = broken.principals[12];
    if (!target) throw new Error("demo estate too small");
    target.lastActivity = { ...(target.lastActivity as object), coverage: "forever" };
    const path = write("broken.json", JSON.stringify(broken));

    const error = await collectError(path);

    expect(error.code).toBe("config_invalid");
    expect(error.message).toContain(`Snapshot file ${path} is not a valid inventory snapshot (1 problem):`);
    expect(error.message).toMatch(/^- principals\[12\]\.lastActivity\.coverage: Invalid option: expected one of "lifetime"\|"window"$/m);
  });

  it("reports the first five problems and counts the rest", async () => {
    const snapshot = emptySnapshot(NOW.toISOString()) as Record<string, unknown>;
    snapshot.principals = Array.from({ length: 7 }, (_, i) => ({ id: `p${i}`, provider: "aws", kind: "robot", workload: true, name: "x", scopeId: "s", evidence: { source: "x", observedAt: NOW.toISOString() } }));
    const error = await collectError(write("many.json", JSON.stringify(snapshot)));

    const lines = error.message.split("\n");
    expect(lines[0]).toContain("(7 problems)");
    expect(lines.slice(1, 6).every((line) => /^- principals\[\d\]\.kind: Invalid option/.test(line))).toBe(true);
    expect(lines[6]).toBe("- ... and 2 more");
    expect(lines).toHaveLength(7);
  });

  it("reports a missing or wrong schema version at its path", async () => {
    const error = await collectError(write("version.json", JSON.stringify({ ...emptySnapshot(NOW.toISOString()), schemaVersion: 2 })));
    expect(error.message).toMatch(/^- schemaVersion: Invalid input: expected 1$/m);
  });

  it("says clearly when the file is not JSON", async () => {
    const path = write("bad.json", '{ "schemaVersion": 1, ');
    const error = await collectError(path);
    expect(error.code).toBe("config_invalid");
    expect(error.message.startsWith(`Snapshot file ${path} is not valid JSON: `)).toBe(true);
  });

  it("says clearly when the file is not YAML", async () => {
    const path = write("bad.yaml", "scopes: [unclosed\n  - {");
    const error = await collectError(path);
    expect(error.message.startsWith(`Snapshot file ${path} is not valid YAML: `)).toBe(true);
  });

  it("says clearly when the file cannot be read, and still records the attempt", async () => {
    const missing = join(dir, "missing.json");
    const ctx = context();
    const error: unknown = await createSnapshotConnector(missing).collect(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserFacingError);
    expect((error as UserFacingError).message).toBe(`Cannot read snapshot file ${missing}: the file does not exist`);
    expect(ctx.operations).toEqual([{ provider: "local", api: "snapshot:read", count: 1 }]);

    expect((await collectError(dir)).message).toBe(`Cannot read snapshot file ${dir}: it is a directory, not a file`);
  });

  it("formats issue paths the way a reader writes them", () => {
    expect(formatIssuePath(["principals", 12, "lastActivity", "coverage"])).toBe("principals[12].lastActivity.coverage");
    expect(formatIssuePath(["scopes", 0, "tags", "data-classification"])).toBe('scopes[0].tags["data-classification"]');
    expect(formatIssuePath([])).toBe("(top level)");
  });
});

describe("mergeSnapshots", () => {
  const evidence = { source: "test", observedAt: NOW.toISOString() };
  const part = (name: string, demo: boolean | undefined, gaps: InventorySnapshot["gaps"]): InventorySnapshot => ({
    ...emptySnapshot(NOW.toISOString()),
    ...(demo === undefined ? {} : { demo }),
    description: name,
    scopes: [{ id: "aws:account/111111111111", provider: "aws", kind: "account", name, evidence }],
    principals: [
      { id: "arn:aws:iam::111111111111:role/shared", provider: "aws", kind: "role", workload: true, name: `shared from ${name}`, scopeId: "aws:account/111111111111", evidence },
      { id: `arn:aws:iam::111111111111:role/${name}`, provider: "aws", kind: "role", workload: true, name, scopeId: "aws:account/111111111111", evidence },
    ],
    gaps,
  });
  const gapA = { provider: "aws" as const, source: "iam:GetCredentialReport", reason: "throttled" };
  const gapB = { provider: "gcp" as const, scopeId: "projects/p", source: "policyanalyzer", reason: "disabled" };

  it("concatenates, keeps the first of each id and unions gaps", () => {
    const merged = mergeSnapshots([part("a", true, [gapA]), part("b", false, [gapA, gapB])], NOW);

    expect(merged.generatedAt).toBe("2025-06-01T12:00:00.000Z");
    expect(merged.scopes.map((s) => s.name)).toEqual(["a"]);
    expect(merged.principals.map((p) => p.name)).toEqual(["shared from a", "a", "b"]);
    expect(merged.gaps).toEqual([gapA, gapB]);
    expect(merged.demo).toBeUndefined();
    expect(merged.description).toBe("a + b");
  });

  it("stays a demo only when every part is a demo", () => {
    expect(mergeSnapshots([part("a", true, []), part("b", true, [])], NOW.toISOString()).demo).toBe(true);
    expect(mergeSnapshots([part("a", true, []), part("b", undefined, [])], NOW).demo).toBeUndefined();
    expect(mergeSnapshots([], NOW)).toEqual({ ...emptySnapshot("2025-06-01T12:00:00.000Z") });
  });
});
