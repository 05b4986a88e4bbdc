/**
 * The CLI's own output is never rewritten by redaction: with an audit log and an estate that hold
 * no secret in what is printed, no command prints a marker, and the server's tokens (cursors,
 * hashes, record ids, counts) come out as the server wrote them.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { tempDataDir } from "./fixtures/mcp.js";

const CLI = new URL("../dist/src/cli/main.js", import.meta.url).pathname;

function wiam(args: string[], dataDir: string) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", WIAM_DATA_DIR: dataDir } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the CLI's own output", () => {
  it("prints every command's output without a marker, cursors and hashes as written", { timeout: 180_000 }, () => {
    const dataDir = tempDataDir();
    const calls: [string, string][] = [
      ["list_identities", '{"limit": 3}'],
      ["find_stale_service_accounts", '{"limit": 3}'],
      ["find_expiring_credentials", '{"limit": 3, "within_days": 365}'],
      ["inventory_summary", "{}"],
      ["describe_identity", '{"principal": "arn:aws:iam::111111111111:user/ci-deployer"}'],
    ];
    const outputs: [string, string][] = [];
    const cursors: string[] = [];
    for (const [tool, args] of calls) {
      const json = wiam(["call", tool, "--intent", `review ${tool} for the quarterly audit`, "--args", args, "--json"], dataDir);
      expect(json.code, `${tool}: ${json.stderr}`).toBe(0);
      const parsed = JSON.parse(json.stdout) as { text: string; result: { page?: { nextCursor: string | null } } };
      const cursor = parsed.result.page?.nextCursor;
      if (cursor) {
        cursors.push(cursor);
        expect(parsed.text, tool).toContain(`pass cursor "${cursor}" for more.`);
      }
      outputs.push([`call ${tool} --json`, json.stdout]);
    }
    expect(cursors.length).toBeGreaterThanOrEqual(3);

    const tail = wiam(["audit", "search", "--json"], dataDir);
    const records = JSON.parse(tail.stdout) as { id: string; hash: string; completionHash: string }[];
    expect(records).toHaveLength(calls.length);
    const first = records.at(-1);
    if (!first) throw new Error("no audit record");
    const commands: string[][] = [
      ["tools"],
      ["tools", "--json"],
      ["policy", "test", "list_identities", "--intent", "review identities for the quarterly audit", "--args", '{"scope": "aws:account/111111111111"}'],
      ["doctor"],
      ["audit", "tail"],
      ["audit", "show", first.id],
      ["audit", "show", first.id, "--json"],
      ["audit", "stats"],
      ["audit", "export"],
      ["audit", "export", "-f", "csv"],
      ["audit", "export", "-f", "ocsf"],
      ["audit", "verify"],
      ["audit", "checkpoint"],
    ];
    for (const args of commands) {
      const run = wiam(args, dataDir);
      expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(0);
      outputs.push([args.join(" "), run.stdout]);
    }
    for (const [command, stdout] of outputs) expect(stdout, command).not.toContain("[REDACTED");

    const shown = outputs.find(([command]) => command === `audit show ${first.id}`)?.[1] ?? "";
    expect(shown).toMatch(new RegExp(`\\nhash +${first.hash} / ${first.completionHash}\\n`));
    const stored = outputs.find(([command]) => command === "audit export")?.[1] ?? "";
    // The stored preview keeps the first 1,024 characters: list_identities' short page ends in its cursor.
    expect(stored).toContain(`pass cursor \\"${cursors[0] ?? ""}\\" for more.`);
  });
});
