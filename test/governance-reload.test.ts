/**
 * Admins change the surface in files, with a client connected to the real server over stdio:
 * tools enabled and disabled at once with notifications/tools/list_changed, policy edits in force on
 * the next call, and broken files rejected while the last good ones stay. Plus `wiam policy`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { DEMO_ANCHORS } from "../src/connectors/demo/index.js";
import { defaultPolicyText } from "../src/governance/policy-set.js";
import { tempDataDir, textOf } from "./fixtures/mcp.js";

const CLI = new URL("../dist/src/cli/main.js", import.meta.url).pathname;
const DENY_LISTING = `${defaultPolicyText()}\n@id("no-listing") forbid (principal, action == Wiam::Action::"list_identities", resource);\n`;

interface Running {
  client: Client;
  listChanges: number;
  dir: string;
  config: string;
  policy: string;
}

let running: Running | undefined;
afterEach(async () => {
  await running?.client.close().catch(() => undefined);
  running = undefined;
});

async function start(): Promise<Running> {
  if (!existsSync(CLI)) throw new Error("dist/ is missing: run `npm run build` (npm test does it first)");
  const dir = mkdtempSync(join(tmpdir(), "wiam-reload-"));
  const config = join(dir, "wiam.yaml");
  const policy = join(dir, "wiam.cedar");
  writeFileSync(config, "governance:\n  policyFile: ./wiam.cedar\n");
  writeFileSync(policy, defaultPolicyText());
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, "serve", "--config", config],
    env: { PATH: process.env.PATH ?? "", WIAM_DATA_DIR: tempDataDir() },
    stderr: "ignore",
  });
  const client = new Client({ name: "reload-test", version: "1.0.0" });
  const state: Running = { client, listChanges: 0, dir, config, policy };
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    state.listChanges++;
  });
  await client.connect(transport);
  return state;
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const toolNames = async (client: Client) => (await client.listTools()).tools.map((t) => t.name);
const listIdentities = (client: Client) => client.callTool({ name: "list_identities", arguments: { intent: "list a few identities", limit: 2 } });

describe("hot reload with a client connected", () => {
  it("enables and disables tools at once, with list_changed; a broken config keeps the last good one", async () => {
    running = await start();
    const { client } = running;
    expect(await toolNames(client)).toContain("inventory_summary");

    writeFileSync(running.config, "governance:\n  policyFile: ./wiam.cedar\ntools:\n  deny: [inventory_summary]\n");
    await until(() => running?.listChanges === 1, "list_changed after disabling a tool");
    expect(await toolNames(client)).not.toContain("inventory_summary");
    const refused = await client.callTool({ name: "inventory_summary", arguments: { intent: "overview of the estate" } });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toBe('tool "inventory_summary" is not available (tools.deny: inventory_summary)');

    writeFileSync(running.config, "tools: [this is not: valid\n");
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(await toolNames(client)).not.toContain("inventory_summary");
    expect((await listIdentities(client)).isError).toBeFalsy();

    writeFileSync(running.config, "governance:\n  policyFile: ./wiam.cedar\n");
    await until(() => running?.listChanges === 2, "list_changed after enabling the tool again");
    expect(await toolNames(client)).toContain("inventory_summary");
  });

  it("applies an edited policy on the next call, and keeps the last good policy when the new one is broken", async () => {
    running = await start();
    const { client } = running;
    expect((await listIdentities(client)).isError).toBeFalsy();

    writeFileSync(running.policy, DENY_LISTING);
    await until(async () => (await listIdentities(client)).isError === true, "the new policy to refuse list_identities");
    expect(textOf(await listIdentities(client))).toBe("refused by policy: forbidden by policy no-listing");

    writeFileSync(running.policy, "permit (principal, action, resource) when {");
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(textOf(await listIdentities(client))).toBe("refused by policy: forbidden by policy no-listing");
    expect((await client.callTool({ name: "inventory_summary", arguments: { intent: "overview of the estate" } })).isError).toBeFalsy();
    expect(running.listChanges).toBe(0);
  });
});

function wiam(args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", WIAM_DATA_DIR: tempDataDir() } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("wiam policy", () => {
  it("validates the built-in policy and an admin's file, naming the line of a mistake", () => {
    const builtIn = wiam(["policy", "validate"]);
    expect(builtIn.code).toBe(0);
    expect(builtIn.stdout).toBe(
      [
        "policy (built-in default): valid, 4 policies",
        "  permit allow-read-only-tools",
        "  forbid approve-production-entitlement-paths (asks for approval): entitlement paths that can reach production need a person's approval",
        "  forbid approve-production-activity (asks for approval): activity telemetry of production identities needs a person's approval",
        "  forbid approve-production-reach-in-answers (asks for approval): the answer reveals reach into production, which needs a person's approval",
        "",
      ].join("\n"),
    );
    const dir = mkdtempSync(join(tmpdir(), "wiam-policy-"));
    const broken = join(dir, "broken.cedar");
    writeFileSync(broken, 'permit (principal, action, resource);\n@id("typo") forbid (principal, action, resource) when { resource.enviroment == "production" };\n');
    const result = wiam(["policy", "validate", broken]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^wiam: policy ${broken.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: policy typo: .*enviroment`));
  });

  it("dry-runs a call and prints the decision, the policies and the resource", () => {
    const args = JSON.stringify({ action: "secretsmanager:GetSecretValue", resource: DEMO_ANCHORS.aws.prodPaymentsSecret });
    // The configured estate is the built-in demo, which the default policy lets through without a person.
    const demo = wiam(["policy", "test", "explain_entitlement_paths", "--intent", "who can read the payments secret", "--args", args]);
    expect(demo.stdout.split("\n").slice(0, 2)).toEqual(["decision: allow", "policies: allow-read-only-tools"]);
    expect(demo.stdout).toContain("estate: the built-in demo (context.demo is true; re-test with --no-demo to decide as for a real estate)");

    const approval = wiam(["policy", "test", "explain_entitlement_paths", "--intent", "who can read the payments secret", "--args", args, "--no-demo"]);
    expect(approval.code).toBe(0);
    expect(approval.stdout.split("\n").slice(0, 3)).toEqual([
      "decision: approval (a person must approve; re-test with --approved)",
      "policies: approve-production-entitlement-paths",
      "why: entitlement paths that can reach production need a person's approval",
    ]);
    expect(approval.stdout).toContain(`"id":"${DEMO_ANCHORS.aws.productionAccount}"`);
    expect(approval.stdout).toContain(`ancestors: ${DEMO_ANCHORS.aws.prodOu} > ${DEMO_ANCHORS.aws.organization}`);

    const approved = wiam(["policy", "test", "explain_entitlement_paths", "--intent", "who can read the payments secret", "--args", args, "--approved", "--no-demo", "--json"]);
    expect(JSON.parse(approved.stdout)).toMatchObject({ decision: "allow", policyIds: ["allow-read-only-tools"], resource: { environment: "production" }, demo: false });

    const dir = mkdtempSync(join(tmpdir(), "wiam-policy-"));
    const file = join(dir, "deny.cedar");
    writeFileSync(file, DENY_LISTING);
    const denied = wiam(["policy", "test", "list_identities", "--intent", "list identities", "--file", file]);
    expect(denied.code).toBe(1);
    expect(denied.stdout.split("\n")[0]).toBe("decision: deny");
  });
});
