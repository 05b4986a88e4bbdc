/**
 * Caller groups come from two places: the admin's `governance.callerGroups` and, over HTTP, the
 * groups claim of the caller's token. They are separate namespaces: an IdP group named like a
 * configured group must not grant that membership (Cedar sees it as `token:<name>`).
 */
import { describe, expect, it } from "vitest";
import { ALL_TOOLS } from "../tools/index.js";
import { parseConfig } from "../src/config/load.js";
import { Governor, type GovernedCall } from "../src/governance/governor.js";
import { compilePolicySet } from "../src/governance/policy-set.js";
import { governanceSettingsOf, taskSettingsOf } from "../src/governance/settings.js";
import { TaskRegistry } from "../src/governance/tasks.js";

const POLICY = [
  '@id("allow-read") permit (principal, action in Wiam::Action::"read", resource);',
  '@id("summary-is-for-trusted") @reason("inventory_summary is for the trusted group")',
  'forbid (principal, action == Wiam::Action::"inventory_summary", resource) unless { principal in Wiam::CallerGroup::"trusted" };',
  '@id("describe-is-for-idp-secops") @reason("describe_identity is for the IdP group secops")',
  'forbid (principal, action == Wiam::Action::"describe_identity", resource) unless { principal in Wiam::CallerGroup::"token:secops" };',
].join("\n");

function governor(): Governor {
  const config = parseConfig({ governance: { callerGroups: { trusted: ["https://idp.example.com|admin-ann"], secops: ["https://idp.example.com|admin-ann"] } } }, "(test)");
  const policySet = compilePolicySet(POLICY, "admin.cedar", ALL_TOOLS);
  return new Governor(() => governanceSettingsOf(config, policySet), new TaskRegistry(() => taskSettingsOf(config), () => undefined));
}

function call(tool: string, subject: string, groups: string[]): GovernedCall {
  return {
    tool,
    intent: "check group separation",
    taskId: `T-${subject}-${tool}`,
    caller: { name: `https://idp.example.com|${subject}`, client: "test-client", transport: "http", issuer: "https://idp.example.com", clientId: "wiam-cli", groups },
    query: {},
    arguments: {},
    limit: 25,
    now: new Date("2026-11-24T10:00:00Z"),
  };
}

describe("caller groups from tokens and from the config", () => {
  it("does not let a token group named like a configured group grant that group", async () => {
    const decision = await governor().authorize(call("inventory_summary", "mallory", ["trusted"]), null, undefined);
    expect(decision.allowed).toBe(false);
    expect(decision.message).toBe("refused by policy: inventory_summary is for the trusted group");
  });

  it("still grants configured membership to the callers the config lists", async () => {
    const decision = await governor().authorize(call("inventory_summary", "admin-ann", []), null, undefined);
    expect(decision.allowed).toBe(true);
  });

  it("names the token's groups token:<name> in Cedar, and a configured group of that name does not count as one", async () => {
    const idp = await governor().authorize(call("describe_identity", "sam", ["secops"]), null, undefined);
    expect(idp.allowed).toBe(true);
    // admin-ann is in the config's "secops", which is not the IdP's "token:secops".
    const configured = await governor().authorize(call("describe_identity", "admin-ann", []), null, undefined);
    expect(configured.allowed).toBe(false);
    expect(configured.message).toBe("refused by policy: describe_identity is for the IdP group secops");
  });
});
