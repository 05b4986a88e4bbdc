/**
 * The progress line as a person sees it: `wiam call` in a terminal (a pseudo-terminal from
 * `script`), collecting from AWS (the wire-level fake) draws its progress on one line and clears
 * it before the answer. The same command with stderr on a pipe prints no progress at all.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_BASE_ACCESS_KEY_ID, FAKE_BASE_SECRET_ACCESS_KEY } from "./fakes/aws/estate.js";
import { runProcess } from "./fixtures/run-process.js";
import { FakeAwsServer } from "./fakes/aws/server.js";
import { PROD, READ_ROLE, smallEstate } from "./fakes/aws/small-estate.js";
import { tempDataDir } from "./fixtures/mcp.js";

const CLI = new URL("../dist/src/cli/main.js", import.meta.url).pathname;
const SPAWNING = 120_000;
const CLEAR_LINE = "\r\u001b[2K";
/** util-linux `script` gives the command a pseudo-terminal; without it the terminal case is skipped. */
const hasScript = process.platform === "linux" && spawnSync("script", ["--version"]).status === 0;

let fake: FakeAwsServer;
beforeAll(async () => {
  fake = await FakeAwsServer.start(smallEstate());
});
afterAll(async () => fake.close());

/** Runs to the end without blocking this process's event loop, which serves the fake AWS. */
const run = runProcess;

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "wiam-progress-"));
  chmodSync(dir, 0o700);
  const config = join(dir, "wiam.yaml");
  writeFileSync(config, `providers:\n  aws:\n    accounts:\n      - { id: "${PROD}", roleArn: "${READ_ROLE(PROD)}" }\n`, { mode: 0o600 });
  const env = {
    PATH: process.env.PATH ?? "",
    WIAM_DATA_DIR: tempDataDir(),
    AWS_ENDPOINT_URL: fake.url,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: FAKE_BASE_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: FAKE_BASE_SECRET_ACCESS_KEY,
  };
  const wiamArgs = ["--config", config, "call", "inventory_summary", "--intent", "progress while collecting"];
  return { env, wiamArgs };
}

describe("the progress line of wiam call", () => {
  it.runIf(hasScript)("is drawn on a terminal while AWS is collected, and cleared before the answer", async () => {
    const { env, wiamArgs } = setup();
    const quoted = [process.execPath, CLI, ...wiamArgs].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    // util-linux script: -q quiet, -e the command's exit code, -c the command; the pty's output is on stdout.
    const result = await run("script", ["-qec", quoted, "/dev/null"], env);
    expect(result.code).toBe(0);
    const drawn = result.stdout.split(CLEAR_LINE).slice(1, -1);
    expect(drawn.length).toBeGreaterThan(0);
    // The first report is always drawn; later ones at most every 100 ms, so how many appear varies.
    expect(drawn[0]).toBe(`wiam: aws:account/${PROD}: authorization details page 1 (0/1)`);
    for (const line of drawn) {
      expect(line).toMatch(new RegExp(`^wiam: aws:account/${PROD}: `));
      // One terminal line: a terminal that reports no size counts as 80 columns.
      expect(line.length).toBeLessThanOrEqual(79);
    }
    // Cleared before the answer: what follows the last clear is the answer itself.
    const answer = result.stdout.split(CLEAR_LINE).at(-1) ?? "";
    expect(answer).not.toContain("wiam: aws");
    expect(answer).toContain("aws: ");
  }, SPAWNING);

  it("is not printed when stderr is not a terminal", async () => {
    const { env, wiamArgs } = setup();
    const result = await run(process.execPath, [CLI, ...wiamArgs], env);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain(CLEAR_LINE);
    expect(result.stderr).not.toContain("reading the organization");
  }, SPAWNING);
});
