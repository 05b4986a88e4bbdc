/**
 * `wiam collect` and `wiam call` as separate processes with history on, against the wire-level
 * AWS fake: the collection is stored by one process and served to the next without a cloud call.
 */
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_BASE_ACCESS_KEY_ID, FAKE_BASE_SECRET_ACCESS_KEY } from "./fakes/aws/estate.js";
import { runProcess, type ProcessRun } from "./fixtures/run-process.js";
import { FakeAwsServer } from "./fakes/aws/server.js";
import { PROD, READ_ROLE, smallEstate } from "./fakes/aws/small-estate.js";
import { tempDataDir } from "./fixtures/mcp.js";

const CLI = new URL("../dist/src/cli/main.js", import.meta.url).pathname;
const SPAWNING = 120_000;

let fake: FakeAwsServer;
beforeAll(async () => {
  fake = await FakeAwsServer.start(smallEstate());
});
afterAll(async () => fake.close());

/** Runs to the end without blocking this process's event loop, which serves the fake AWS. */
function wiam(args: string[], env: Record<string, string>): Promise<ProcessRun> {
  return runProcess(process.execPath, [CLI, ...args], env);
}

describe("wiam collect", () => {
  it("stores the collection, and the next wiam call answers from it without calling AWS", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wiam-collect-"));
    chmodSync(dir, 0o700);
    const config = join(dir, "wiam.yaml");
    writeFileSync(config, `history: { enabled: true }\nproviders:\n  aws:\n    accounts:\n      - { id: "${PROD}", roleArn: "${READ_ROLE(PROD)}" }\n`, { mode: 0o600 });
    const env = {
      PATH: process.env.PATH ?? "",
      WIAM_DATA_DIR: tempDataDir(),
      AWS_ENDPOINT_URL: fake.url,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: FAKE_BASE_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: FAKE_BASE_SECRET_ACCESS_KEY,
    };
    fake.resetLog();
    const collected = await wiam(["--config", config, "collect", "--intent", "nightly collection of the estate", "--json"], env);
    expect(collected.code).toBe(0);
    const result = (JSON.parse(collected.stdout) as { result: { refreshed: { connector: string; outcome: string; collectionId: string }[] } }).result;
    expect(result.refreshed.map((r) => [r.connector, r.outcome, r.collectionId])).toStrictEqual([["aws", "refreshed", "1"]]);
    expect(Object.keys(fake.callCounts()).length).toBeGreaterThan(0);

    fake.resetLog();
    const answered = await wiam(["--config", config, "call", "list_identities", "--intent", "who is in the stored estate", "--json"], env);
    expect(answered.code).toBe(0);
    expect(fake.callCounts()).toStrictEqual({});
    const listing = (JSON.parse(answered.stdout) as { result: { identities: { id: string }[] } }).result;
    expect(listing.identities.map((i) => i.id)).toContain(`arn:aws:iam::${PROD}:user/automation/ci-deployer`);

    // Audited as the analyst's collection, with its cloud operations.
    const audit = await wiam(["--config", config, "audit", "search", "--tool", "collect_inventory", "--json"], env);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toContain("nightly collection of the estate");
  }, SPAWNING);
});
