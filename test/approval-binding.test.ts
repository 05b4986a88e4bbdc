/**
 * What a second person's approval is bound to, as the governor hands it to the queue: the tool,
 * the arguments' hash, the caller, the task as it started and the OAuth client that asked, and the
 * policies with the config's groups and scopes. Every argument the approval binds to is shown.
 */
import { describe, expect, it } from "vitest";
import { ALL_TOOLS } from "../tools/index.js";
import { parseConfig } from "../src/config/load.js";
import { Governor, type GovernedCall, type SecondPersonRequest } from "../src/governance/governor.js";
import { compilePolicySet } from "../src/governance/policy-set.js";
import { governanceSettingsOf, taskSettingsOf } from "../src/governance/settings.js";
import { TaskRegistry } from "../src/governance/tasks.js";

const POLICY = [
  '@id("allow-read") permit (principal, action in Wiam::Action::"read", resource);',
  '@id("summary-needs-secops") @approval("second-person") @approvers("token:secops") @reason("the summary needs a second person")',
  'forbid (principal, action == Wiam::Action::"inventory_summary", resource) unless { context.approved };',
].join("\n");

function governorAsking(asked: SecondPersonRequest[]): Governor {
  const config = parseConfig({}, "(test)");
  const policySet = compilePolicySet(POLICY, "admin.cedar", ALL_TOOLS);
  return new Governor(
    () => governanceSettingsOf(config, policySet),
    new TaskRegistry(() => taskSettingsOf(config), () => undefined),
    (request) => {
      asked.push(request);
      return Promise.resolve({ outcome: "declined", approver: "https://idp.example.com|sam", note: null, kind: "second-person", requestId: "R1", reusedFrom: null });
    },
  );
}

function call(clientId: string): GovernedCall {
  return {
    tool: "inventory_summary",
    intent: "summarize before the release",
    taskId: "release-42",
    taskKey: "https://idp.example.com|alice#release-42",
    caller: { name: "https://idp.example.com|alice", client: "claude", transport: "http", issuer: "https://idp.example.com", clientId, groups: [] },
    query: {},
    arguments: {},
    askedArguments: { provider: "aws", include_counts: true },
    argumentsHash: "a".repeat(64),
    limit: 25,
    now: new Date("2026-11-24T10:00:00Z"),
  };
}

describe("what a second person's approval is bound to", () => {
  it("binds the task as it started and the OAuth client that asked, and shows every argument", async () => {
    const asked: SecondPersonRequest[] = [];
    const governor = governorAsking(asked);
    await governor.authorize(call("desktop-app"), null, undefined);
    await governor.authorize(call("desktop-app"), null, undefined);
    await governor.authorize(call("untrusted-agent"), null, undefined);
    const started = Date.parse("2026-11-24T10:00:00Z");
    expect(asked.map((request) => request.binding.taskKey)).toEqual([
      `https://idp.example.com|alice#release-42@${started}/desktop-app`,
      `https://idp.example.com|alice#release-42@${started}/desktop-app`,
      `https://idp.example.com|alice#release-42@${started}/untrusted-agent`,
    ]);
    expect(asked[0]?.askedArguments).toEqual({ provider: "aws", include_counts: true });
    expect(asked[0]?.binding).toMatchObject({ tool: "inventory_summary", argumentsHash: "a".repeat(64), caller: "https://idp.example.com|alice" });
  });
});
