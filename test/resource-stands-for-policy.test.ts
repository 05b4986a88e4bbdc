/**
 * A resource's tool that stands for another tool (resource_identity for describe_identity) is
 * decided by the Cedar policy under both actions: the stricter decision wins, and when both refuse
 * or both ask, every policy in the way is named. `wiam policy test` dry-runs the same way.
 */
import { describe, expect, it } from "vitest";
import { PIPELINE_TOOLS } from "../tools/index.js";
import { parseConfig } from "../src/config/load.js";
import { Governor, type ApprovalRequest, type GovernedCall } from "../src/governance/governor.js";
import { compilePolicySet } from "../src/governance/policy-set.js";
import { governanceSettingsOf, taskSettingsOf } from "../src/governance/settings.js";
import { TaskRegistry } from "../src/governance/tasks.js";

const PERMIT_ALL = `@id("allow-all")\npermit (principal, action, resource);\n`;

function governor(policy: string): Governor {
  const config = parseConfig({}, "(test)");
  const policySet = compilePolicySet(policy, "admin.cedar", PIPELINE_TOOLS);
  return new Governor(() => governanceSettingsOf(config, policySet), new TaskRegistry(() => taskSettingsOf(config), () => undefined));
}

function call(tool: string, standsFor: string | undefined): GovernedCall {
  return {
    tool,
    standsFor,
    intent: "read one identity",
    taskId: `T-${tool}`,
    caller: { name: "analyst", client: "test-client", transport: "stdio" },
    query: {},
    arguments: {},
    limit: 25,
    now: new Date("2026-11-24T10:00:00Z"),
  };
}

describe("the policy decides a resource under the action it stands for too", () => {
  it("refuses the identity resource when a forbid names describe_identity, and says which forbid", async () => {
    const policy = `${PERMIT_ALL}@id("no-describe")\n@reason("describing identities is off")\nforbid (principal, action == Wiam::Action::"describe_identity", resource);\n`;
    const decision = await governor(policy).authorize(call("resource_identity", "describe_identity"), null, undefined);
    expect(decision).toMatchObject({ allowed: false, decision: "deny", rule: "policy: no-describe", policyIds: ["no-describe"], message: "refused by policy: describing identities is off" });
    // Without the tie the forbid would not apply: the hole the review found.
    expect(governor(policy).dryRun(call("resource_identity", undefined), null, false).decision.kind).toBe("allow");
  });

  it("lets the stricter decision win: a deny for the base tool beats an approval for the resource", () => {
    const policy =
      `${PERMIT_ALL}@id("ask-for-resource")\n@approval("required")\nforbid (principal, action == Wiam::Action::"resource_identity", resource) unless { context.approved };\n` +
      `@id("no-describe")\nforbid (principal, action == Wiam::Action::"describe_identity", resource);\n`;
    expect(governor(policy).dryRun(call("resource_identity", "describe_identity"), null, false).decision).toEqual({
      kind: "deny",
      policyIds: ["no-describe"],
      reasons: ["forbidden by policy no-describe"],
    });
  });

  it("asks once when both actions need approval, naming both policies, and allows once approved", async () => {
    const policy =
      `${PERMIT_ALL}@id("ask-for-resource")\n@approval("required")\n@reason("resource reads are approved")\nforbid (principal, action == Wiam::Action::"resource_identity", resource) unless { context.approved };\n` +
      `@id("ask-for-describe")\n@approval("required")\n@reason("describing is approved")\nforbid (principal, action == Wiam::Action::"describe_identity", resource) unless { context.approved };\n`;
    const asked: ApprovalRequest[] = [];
    const decision = await governor(policy).authorize(call("resource_identity", "describe_identity"), null, (request) => {
      asked.push(request);
      return Promise.resolve({ outcome: "approved", approver: "ann", note: null });
    });
    expect(asked.map((a) => [a.tool, a.policyIds, a.reasons])).toEqual([["resource_identity", ["ask-for-describe", "ask-for-resource"], ["describing is approved", "resource reads are approved"]]]);
    expect(decision).toMatchObject({ allowed: true, decision: "approval_required", policyIds: ["ask-for-describe", "ask-for-resource"] });
  });
});
