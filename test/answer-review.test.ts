/**
 * The policy is asked again about what an answer reveals: a question that names a CI user can
 * still return its way into production, and the built-in production rule must hold whatever tool
 * asked. Driven through a real MCP client on the demo estate.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ElicitRequest } from "@modelcontextprotocol/sdk/types.js";
import { DEMO_ANCHORS } from "../src/connectors/demo/index.js";
import { AUDIT_ID_META_KEY } from "../src/server/create-server.js";
import { connect, demoAsRealEstate, tempDataDir, textOf, type Connected } from "./fixtures/mcp.js";
import { defaultPolicyText } from "../src/governance/policy-set.js";

const A = DEMO_ANCHORS.aws;
const intent = "see who can use the production deploy role";

let session: Connected | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
});

interface Edge {
  to?: string;
  from?: string;
}
interface Described {
  identity: { id: string; canAssume: Edge[]; canBeAssumedBy: Edge[]; grants: { resource: string | null }[] };
  withheld?: { part: string; items: number; scopes: string[]; reason: string; policyIds: string[] }[];
}

async function describeDeployRole(elicitation: "approve" | "decline" | "none", asked: ElicitRequest[] = []) {
  session = await connect(
    {},
    {
      connectors: [demoAsRealEstate()],
      elicitation:
        elicitation === "none"
          ? "none"
          : async (request) => {
              asked.push(request);
              return elicitation === "approve" ? { action: "accept", content: { approve: true, approver: "Second Reviewer" } } : { action: "decline" };
            },
    },
  );
  const result = await session.client.callTool({ name: "describe_identity", arguments: { intent, principal: A.prodDeployRole } });
  return { result, structured: result.structuredContent as unknown as Described, text: textOf(result) };
}

describe("reviewing what an answer reveals", () => {
  it("withholds the production role's trust and grants when nobody can approve, and names what was withheld", async () => {
    const full = await connect({}, { elicitation: "approve", connectors: [demoAsRealEstate()] });
    const whole = (await full.client.callTool({ name: "describe_identity", arguments: { intent, principal: A.prodDeployRole } })).structuredContent as unknown as Described;
    await full.close();
    // What the answer would show: the shared-services account's way in, and what the role may do in production.
    expect(whole.identity.canBeAssumedBy.map((e) => e.from)).toEqual(["arn:aws:iam::111111111111:root"]);
    expect(whole.identity.grants.length).toBe(1);
    expect(whole.identity.canAssume.length).toBe(1);

    const { result, structured, text } = await describeDeployRole("none");
    expect(result.isError).toBeFalsy();
    expect(structured.identity.id).toBe(A.prodDeployRole);
    expect(structured.identity.canBeAssumedBy).toEqual([]);
    expect(structured.identity.grants).toEqual([]);
    expect(structured.identity.canAssume).toEqual([]);
    const reason = "the answer reveals reach into production, which needs a person's approval; approval could not be asked (the client cannot ask a person)";
    expect(structured.withheld).toEqual([
      { part: "identity.grants", items: 1, scopes: ["aws:account/222222222222"], reason, policyIds: ["approve-production-reach-in-answers"] },
      { part: "identity.canAssume", items: 1, scopes: ["aws:account/222222222222"], reason, policyIds: ["approve-production-reach-in-answers"] },
      {
        part: "identity.canBeAssumedBy",
        items: 1,
        scopes: ["aws:account/111111111111", "aws:account/222222222222"],
        reason,
        policyIds: ["approve-production-reach-in-answers"],
      },
      // Its activity summary too (zeros: the logs never name it, which a withheld part must not tell).
      {
        part: "recentActivity",
        items: 1,
        scopes: ["aws:account/222222222222"],
        reason:
          "activity telemetry of production identities needs a person's approval; the answer reveals reach into production, which needs a person's approval; approval could not be asked (the client cannot ask a person)",
        policyIds: ["approve-production-activity", "approve-production-reach-in-answers"],
      },
    ]);
    expect(text.split("\n")[0]).toBe("Parts of this answer were withheld by policy after review of what they reveal:");
    expect(text).not.toContain("arn:aws:iam::111111111111:root");
  });

  it("asks a person once for the whole answer and releases it all when they approve", async () => {
    const asked: ElicitRequest[] = [];
    const { structured } = await describeDeployRole("approve", asked);
    expect(asked.length).toBe(1);
    expect(JSON.stringify(asked[0]?.params)).toContain("the answer reveals reach into production");
    expect(structured.withheld).toBeUndefined();
    expect(structured.identity.canBeAssumedBy.map((e) => e.from)).toEqual(["arn:aws:iam::111111111111:root"]);
  });

  it("records the answer's approval in the call's audit record, approved or declined", async () => {
    // The session describeDeployRole opened (read through a function: the variable is reassigned by it).
    const audit = () => (session as Connected | undefined)?.app.audit;
    await describeDeployRole("approve");
    const approved = audit()?.search({ limit: 1, order: "desc" })[0];
    expect(approved?.completion?.reviewApproval).toEqual({ outcome: "approved", approver: "Second Reviewer (as test-analyst via wiam-test-client)", note: null });
    expect(audit()?.verify().ok).toBe(true);
    await session?.close();
    session = undefined;
    await describeDeployRole("decline");
    expect(audit()?.search({ limit: 1, order: "desc" })[0]?.completion?.reviewApproval?.outcome).toBe("declined");
  });

  it("withholds when the person declines", async () => {
    const { structured } = await describeDeployRole("decline");
    expect(structured.withheld?.map((w) => w.part)).toEqual(["identity.grants", "identity.canAssume", "identity.canBeAssumedBy", "recentActivity"]);
    expect(structured.identity.canBeAssumedBy).toEqual([]);
  });

  it("does not ask twice when the question itself was approved (an entitlement query into production)", async () => {
    const asked: ElicitRequest[] = [];
    session = await connect({}, { elicitation: async (request) => (asked.push(request), { action: "accept", content: { approve: true } }), connectors: [demoAsRealEstate()] });
    const result = await session.client.callTool({
      name: "explain_entitlement_paths",
      arguments: { intent, resource: A.prodPaymentsSecret, action: "secretsmanager:GetSecretValue" },
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(asked.length).toBe(1);
    expect((result.structuredContent as { withheld?: unknown }).withheld).toBeUndefined();
    expect(typeof result._meta?.[AUDIT_ID_META_KEY]).toBe("string");
  });

  it("asks again about the answer when the question was approved only for going over budget", async () => {
    const asked: ElicitRequest[] = [];
    session = await connect(
      { governance: { budgets: { perTask: { callsPerMinute: 1 }, onExceed: "approval" } } },
      { elicitation: async (request) => (asked.push(request), { action: "accept", content: { approve: true } }), connectors: [demoAsRealEstate()] },
    );
    const args = { intent, task_id: "T-budget" };
    await session.client.callTool({ name: "inventory_summary", arguments: args });
    expect(asked.length).toBe(0);
    const result = await session.client.callTool({ name: "describe_identity", arguments: { ...args, principal: A.prodDeployRole } });
    expect(asked.map((request) => (JSON.stringify(request.params).includes("over budget") ? "budget" : "answer"))).toEqual(["budget", "answer"]);
    expect((result.structuredContent as unknown as Described).withheld).toBeUndefined();
  });

  it("places a resource it cannot place (\"*\") in its provider's whole estate, as at request time, not where its holder lives", async () => {
    // Only the answer rule: the question itself (a development role's reach) is allowed without asking.
    const dataDir = tempDataDir();
    const policyFile = join(dataDir, "answers-only.cedar");
    writeFileSync(policyFile, defaultPolicyText().replace(/@id\("approve-production-entitlement-paths"\)[\s\S]*?;\n/, ""), { mode: 0o600 });
    session = await connect({ governance: { policyFile } }, { dataDir, elicitation: "none", connectors: [demoAsRealEstate()] });
    // A development sandbox role allowed "*" on "*": that path reaches the production accounts too.
    const result = await session.client.callTool({ name: "explain_entitlement_paths", arguments: { intent, principal: A.boundedRole } });
    expect(result.isError, textOf(result)).toBeFalsy();
    const structured = result.structuredContent as { paths: unknown[]; withheld?: unknown[] };
    expect(structured.paths).toEqual([]);
    expect(structured.withheld).toEqual([
      {
        part: "paths",
        items: 1,
        scopes: ["*", "aws:account/333333333333"],
        reason: "the answer reveals reach into production, which needs a person's approval; approval could not be asked (the client cannot ask a person)",
        policyIds: ["approve-production-reach-in-answers"],
      },
    ]);
  });

  it("counts only what it released: counts and page leave out withheld paths, and say that other pages are still counted", async () => {
    const dataDir = tempDataDir();
    const policyFile = join(dataDir, "answers-only.cedar");
    writeFileSync(policyFile, defaultPolicyText().replace(/@id\("approve-production-entitlement-paths"\)[\s\S]*?;\n/, ""), { mode: 0o600 });
    session = await connect({ governance: { policyFile } }, { dataDir, elicitation: "none", connectors: [demoAsRealEstate()] });
    type Paths = { paths: { outcome: string }[]; counts: Record<string, number>; page: { returned: number; total: number; nextCursor: string | null }; notes: string[]; withheld?: { items: number }[] };
    const ask = async (limit: number) =>
      (await session?.client.callTool({ name: "explain_entitlement_paths", arguments: { intent, principal: A.ciUser, limit } }))?.structuredContent as Paths;
    // On one page: 46 paths, 35 withheld (patterns and "*" stand for the whole estate); the counts are the 11 released.
    // (The policy's object actions granted on the bucket ARN itself, and s3:ListBucket granted on its objects' pattern, act on nothing there: not paths.)
    const whole = await ask(100);
    expect(whole.withheld?.map((w) => w.items)).toEqual([35]);
    expect(whole.paths.length).toBe(11);
    expect(whole.page).toEqual({ returned: 11, total: 11, nextCursor: null });
    expect(whole.counts).toEqual({ allowed: 2, conditional: 0, eligible: 0, unknown: 0, denied: 9 });
    const tally: Record<string, number> = { allowed: 0, conditional: 0, eligible: 0, unknown: 0, denied: 0 };
    for (const path of whole.paths) tally[path.outcome] = (tally[path.outcome] ?? 0) + 1;
    expect(whole.counts).toEqual(tally);
    expect(whole.notes.at(-1)).toBe("Counts and page.total leave out the paths withheld after review.");
    // Page one of ten paths, nine withheld: the 37 counted are its one released path and the unreviewed paths of the other pages, and the answer says so.
    const first = await ask(10);
    expect(first.withheld?.map((w) => w.items)).toEqual([9]);
    expect(first.page.returned).toBe(1);
    expect(first.page.total).toBe(37);
    expect(Object.values(first.counts).reduce((sum, n) => sum + n, 0)).toBe(37);
    expect(first.notes.at(-1)).toBe(
      "Counts and page.total leave out the paths withheld from this page; paths on other pages are reviewed when their page is asked for, so they are still counted.",
    );
  });

  it("releases answers that touch no production without asking anyone", async () => {
    session = await connect({}, { elicitation: "none" });
    const result = await session.client.callTool({ name: "describe_identity", arguments: { intent, principal: A.ciUser } });
    const structured = result.structuredContent as unknown as Described;
    expect(structured.withheld).toBeUndefined();
    expect(structured.identity.canAssume.map((e) => e.to)).toEqual([A.ciRunnerRole]);
  });
});
