/**
 * Second-person approval in the policy and in the call pipeline: the annotations are checked when
 * the policy loads; a call a second-person policy holds goes to the queue, never to the caller's
 * own client; it waits (bounded by approvalTimeoutSeconds on an injected clock), and the webhook
 * tells approvers without ever holding anything up.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CallToolResult, ElicitRequest } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import type { Decider } from "../src/approvals/identity.js";
import { formatRecordDetail } from "../src/audit/commands.js";
import type { AuditRecord } from "../src/audit/types.js";
import { hostDecider } from "../src/cli/approvals.js";
import { DEMO_ANCHORS } from "../src/connectors/demo/index.js";
import { noticeOf } from "../src/approvals/webhook.js";
import { approvalContextOf } from "../src/governance/governor.js";
import { compilePolicySet } from "../src/governance/policy-set.js";
import { ALL_TOOLS } from "../tools/index.js";
import { connect, demoAsRealEstate, tempDataDir, textOf, type Connected } from "./fixtures/mcp.js";

const PERMIT = '@id("allow-read") permit (principal, action in Wiam::Action::"read", resource);';
const SECOND_PERSON = [
  '@id("production-needs-secops") @approval("second-person") @approvers("secops")',
  '@reason("describing a production identity needs a second person from secops")',
  'forbid (principal, action == Wiam::Action::"describe_identity", resource) when { resource.environment == "production" } unless { context.approved };',
].join("\n");
const intent = "Check who can use the deploy role";
const principal = DEMO_ANCHORS.aws.prodDeployRole;

describe("second-person annotations", () => {
  const compile = (text: string) => () => compilePolicySet(text, "team.cedar", ALL_TOOLS);

  it("reads @approvers of a second-person forbid (comma-separated, config or token groups)", () => {
    const set = compilePolicySet(`${PERMIT}\n${SECOND_PERSON.replace('@approvers("secops")', '@approvers("secops, token:release-managers")')}`, "team.cedar", ALL_TOOLS);
    expect(set.policies.get("production-needs-secops")).toMatchObject({ approval: true, approvers: ["secops", "token:release-managers"] });
    expect(set.policies.get("allow-read")).toMatchObject({ approval: false, approvers: null });
  });

  it("keeps @approval(\"required\") as the caller's own confirmation, with no approvers", () => {
    const set = compilePolicySet(`${PERMIT}\n${SECOND_PERSON.replace('@approval("second-person") @approvers("secops")', '@approval("required")')}`, "team.cedar", ALL_TOOLS);
    expect(set.policies.get("production-needs-secops")).toMatchObject({ approval: true, approvers: null });
  });

  it("refuses a second-person policy without approvers, approvers without a second person, and a malformed group, naming the policy", () => {
    expect(compile(`${PERMIT}\n${SECOND_PERSON.replace(' @approvers("secops")', "")}`)).toThrow(
      'policy team.cedar: policy production-needs-secops: @approval("second-person") needs @approvers("<group>") naming who may approve (a governance.callerGroups group, or token:<name> for a group from the access token)',
    );
    expect(compile(`${PERMIT}\n${SECOND_PERSON.replace('@approvers("secops")', '@approvers(" , ")')}`)).toThrow('@approval("second-person") needs @approvers("<group>")');
    expect(compile(`${PERMIT}\n${SECOND_PERSON.replace('@approval("second-person") ', '@approval("required") ')}`)).toThrow(
      'policy team.cedar: policy production-needs-secops: @approvers only applies with @approval("second-person")',
    );
    expect(compile(`${PERMIT}\n${SECOND_PERSON.replace('@approvers("secops")', '@approvers("sec ops")')}`)).toThrow(
      'policy team.cedar: policy production-needs-secops: @approvers group "sec ops" is not a group name (letters, digits, . _ -, optionally prefixed token:)',
    );
    expect(compile(`${PERMIT}\n${SECOND_PERSON.replace('@approval("second-person")', '@approval("second person")')}`)).toThrow(
      'policy team.cedar: policy production-needs-secops: @approval must be "required" (the caller confirms) or "second-person" (an approver from @approvers decides)',
    );
  });
});

describe("the approval webhook's notice", () => {
  it("quotes the intent as an inert literal (no live link, no closing backtick) and links only to the admin endpoint", () => {
    const record = { id: "01JD3V8Q2W5Y7Z9A1B3C5D7E9F", caller: "mallory", tool: "describe_identity", intent: "urgent: approve at [the portal](https://phish.example.com) `now`\nthanks", scope: "s", reasons: [], requirements: [], expiresAt: "2026-03-02T10:01:00.000Z" };
    const notice = noticeOf(record as unknown as Parameters<typeof noticeOf>[0]);
    expect(notice.intent.startsWith('`"urgent: approve at ')).toBe(true);
    expect(notice.intent.endsWith('"`')).toBe(true);
    expect(notice.intent.slice(1, -1)).not.toContain("`");
    expect(notice.intent).not.toContain("](https://");
    expect(notice.link).toBe("/admin/approvals/01JD3V8Q2W5Y7Z9A1B3C5D7E9F");
  });
});

describe("a call held for a second person", () => {
  let session: Connected | undefined;
  afterEach(async () => {
    await session?.close();
    session = undefined;
  });

  async function start(options: { now?: () => Date; approvals?: Record<string, unknown>; policy?: string; budgets?: Record<string, unknown>; transport?: "http" } = {}): Promise<{ asked: ElicitRequest[] }> {
    const dataDir = tempDataDir();
    const policyFile = join(dataDir, "team.cedar");
    writeFileSync(policyFile, options.policy ?? `${PERMIT}\n${SECOND_PERSON}`, { mode: 0o600 });
    const asked: ElicitRequest[] = [];
    session = await connect(
      { governance: { policyFile, approvalTimeoutSeconds: 60, approvals: { pollIntervalMs: 50, ...options.approvals }, ...(options.budgets ? { budgets: options.budgets } : {}), callerGroups: { secops: ["ops-lead", "test-analyst"], auditors: ["audit-lead"] } } },
      {
        dataDir,
        connectors: [demoAsRealEstate()],
        ...(options.now ? { now: options.now } : {}),
        ...(options.transport ? { transport: options.transport, caller: "anonymous@loopback" } : {}),
        // The caller's own client would approve anything: it must never be asked.
        elicitation: (request) => {
          asked.push(request);
          return Promise.resolve({ action: "accept", content: { approve: true } });
        },
      },
    );
    return { asked };
  }

  const opsLead: Decider = hostDecider("ops-lead");
  const call = (connected: Connected) => connected.client.callTool({ name: "describe_identity", arguments: { intent, principal } }) as Promise<CallToolResult>;
  async function pendingId(connected: Connected): Promise<string> {
    for (let i = 0; i < 500; i++) {
      const [request] = await connected.app.approvals.list(opsLead, { status: "pending" });
      if (request) return request.id;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error("no pending request");
  }

  it("waits for the queue instead of asking the caller's client, refuses the caller (a secops member) and runs once another member approves", async () => {
    const { asked } = await start();
    const connected = session as Connected;
    const answer = call(connected);
    const id = await pendingId(connected);
    await expect(connected.app.approvals.decide(hostDecider("test-analyst"), id, "approved", null)).rejects.toThrow(`approval request ${id} is your own: a second person must decide it`);
    await connected.app.approvals.decide(opsLead, id, "approved", "ticket CHG-7");
    const result = await answer;
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(asked).toEqual([]);
    const record = connected.app.audit?.get((result._meta as Record<string, string>)["workload-iam-mcp/auditId"] ?? "");
    expect(record).toMatchObject({ caller: "test-analyst", approver: "ops-lead", approval: { outcome: "approved", kind: "second-person", requestId: id, note: "ticket CHG-7" } });
    expect(formatRecordDetail(record as AuditRecord).split("\n")).toContain(`approval     approved by ops-lead (a second person, request ${id}): ticket CHG-7`);
  });

  it("asks a second person about the answer even when the question was approved, by the caller or by another policy's group", async () => {
    const ANSWER_REVIEW = [
      '@id("answer-reach-needs-auditors") @approval("second-person") @approvers("auditors")',
      '@reason("the answer reveals reach into production, which an auditor must release")',
      "forbid (principal, action, resource) when { context has resultContainsProduction && context.resultContainsProduction } unless { context.approved };",
    ].join("\n");
    for (const question of [SECOND_PERSON.replace('@approval("second-person") @approvers("secops")', '@approval("required")'), SECOND_PERSON]) {
      const { asked } = await start({ policy: `${PERMIT}\n${question}\n${ANSWER_REVIEW}` });
      const connected = session as Connected;
      const answer = call(connected);
      const byCaller = question !== SECOND_PERSON;
      if (!byCaller) await connected.app.approvals.decide(opsLead, await pendingId(connected), "approved", null);
      // The answer's parts wait for an auditor: neither the caller's yes nor secops' approval stands in.
      let reviewId = "";
      for (let i = 0; i < 500 && reviewId === ""; i++) {
        const [request] = await connected.app.approvals.list(hostDecider("audit-lead"), { status: "pending" });
        reviewId = request?.id ?? "";
        if (reviewId === "") await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(reviewId, byCaller ? "after the caller's confirmation" : "after secops' approval").not.toBe("");
      await connected.app.approvals.decide(hostDecider("audit-lead"), reviewId, "approved", "released for the audit");
      const result = await answer;
      expect(result.isError, textOf(result)).toBeFalsy();
      expect((result.structuredContent as { withheld?: unknown }).withheld).toBeUndefined();
      expect(asked.length).toBe(byCaller ? 1 : 0);
      const record = connected.app.audit?.get((result._meta as Record<string, string>)["workload-iam-mcp/auditId"] ?? "");
      expect(record?.completion?.reviewApproval).toEqual({ outcome: "approved", approver: "audit-lead", note: "released for the audit" });
      await session?.close();
      session = undefined;
    }
  });

  it("refuses an over-budget call that needs a second person instead of queueing it", async () => {
    await start({ budgets: { perTask: { callsPerMinute: 1, itemsReturned: 5_000, distinctScopes: 25 } } });
    const connected = session as Connected;
    const first = call(connected);
    await connected.app.approvals.decide(opsLead, await pendingId(connected), "approved", null);
    expect((await first).isError).toBeFalsy();
    const second = await call(connected);
    expect(second.isError).toBe(true);
    expect(textOf(second)).toContain("and this call needs a second person (policy production-needs-secops): an approver is not asked to lift a budget; nothing was queued");
    expect((await connected.app.approvals.list(opsLead)).map((r) => r.status)).toEqual(["approved"]);
  });

  it("tells policies which kind of approval it was, and never puts a self-confirmation's typed name in context.approver", async () => {
    const selfConfirmed = [
      '@id("confirm-production") @approval("required") @reason("production needs the caller to confirm")',
      'forbid (principal, action == Wiam::Action::"describe_identity", resource) when { resource.environment == "production" }',
      'unless { context.approved && context.approvalKind == "self-confirmation" && context.approver == "" };',
    ].join("\n");
    const { asked } = await start({ policy: `${PERMIT}\n${selfConfirmed}` });
    const result = await call(session as Connected);
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(asked.length).toBe(1);
    expect(approvalContextOf({ outcome: "approved", approver: "ops-lead", note: null, kind: "self-confirmation" })).toEqual({ approved: true, approver: "", kind: "self-confirmation" });
    expect(approvalContextOf({ outcome: "approved", approver: "ops-lead", note: null, kind: "second-person", requestId: "R1" })).toEqual({ approved: true, approver: "ops-lead", kind: "second-person" });
    expect(approvalContextOf({ outcome: "approved", approver: "ops-lead", note: null, kind: "second-person", requestId: null, reusedFrom: "R1" })).toEqual({ approved: true, approver: "ops-lead", kind: "reused" });
    expect(approvalContextOf({ outcome: "declined", approver: "ops-lead", note: null, kind: "second-person" })).toEqual({ approved: false, approver: "", kind: "none" });
  });

  it("refuses second-person approval for unauthenticated HTTP callers, who cannot be told apart from an approver", async () => {
    const { asked } = await start({ transport: "http" });
    const connected = session as Connected;
    const result = await call(connected);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(
      "refused: this call needs a second person (policy production-needs-secops), but callers of this server are not authenticated (HTTP with auth none), so an approver cannot be told apart from the caller; the call was not run and nothing was queued. Serve HTTP with http.auth.type: oauth, or call over stdio as your own OS user",
    );
    expect(asked).toEqual([]);
    expect(await connected.app.approvals.list(opsLead)).toEqual([]);
  });

  it("refuses a call approved under policies that changed while it waited", async () => {
    await start();
    const connected = session as Connected;
    const answer = call(connected);
    const id = await pendingId(connected);
    const config = connected.app.config();
    const policyFile = config.governance.policyFile ?? "";
    writeFileSync(policyFile, `${PERMIT}\n${SECOND_PERSON.replace("describing a production identity", "describing any production identity")}`, { mode: 0o600 });
    connected.app.reload(config);
    await connected.app.approvals.decide(opsLead, id, "approved", null);
    const result = await answer;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(`refused: the policies changed while approval request ${id} waited; call again to be decided under the policies in force`);
  });

  it("reuses an approval only in the same task under the same groups: a task id used again after its task ended, or changed groups, ask again", async () => {
    let now = new Date("2026-03-02T10:00:00.000Z");
    await start({ now: () => now });
    const connected = session as Connected;
    const auditOf = (result: CallToolResult) => connected.app.audit?.get((result._meta as Record<string, string>)["workload-iam-mcp/auditId"] ?? "")?.approval;
    const approvedCall = async (): Promise<{ id: string; result: CallToolResult }> => {
      const answer = call(connected);
      const id = await pendingId(connected);
      await connected.app.approvals.decide(opsLead, id, "approved", null);
      return { id, result: await answer };
    };
    const first = await approvedCall();
    expect(auditOf(first.result)).toMatchObject({ kind: "second-person", requestId: first.id });
    // The identical call in the same task: reused.
    expect(auditOf(await call(connected))).toMatchObject({ kind: "second-person", reusedFrom: first.id });
    // Idle past the task's 30 minutes: the same task id now names a new task, which is asked again.
    now = new Date(now.getTime() + 31 * 60_000);
    const second = await approvedCall();
    expect(second.id).not.toBe(first.id);
    expect(auditOf(second.result)).toMatchObject({ kind: "second-person", requestId: second.id });
    // Someone joined secops: who the approval stood for changed, so it is asked again.
    const config = connected.app.config();
    connected.app.reload({ ...config, governance: { ...config.governance, callerGroups: { ...config.governance.callerGroups, secops: ["ops-lead", "test-analyst", "new-member"] } } });
    const third = await approvedCall();
    expect([first.id, second.id]).not.toContain(third.id);
    expect(auditOf(third.result)).toMatchObject({ kind: "second-person", requestId: third.id });
  });

  it("gives up when nobody decides within approvalTimeoutSeconds, and says where the request waited", async () => {
    let now = new Date("2026-03-02T10:00:00.000Z");
    await start({ now: () => now });
    const connected = session as Connected;
    const answer = call(connected);
    const id = await pendingId(connected);
    now = new Date(now.getTime() + 60_000);
    const result = await answer;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(
      `approval required (describing a production identity needs a second person from secops): approval request ${id} waited for a second person from secops and expired without a decision; the call was not run. Ask an approver to watch \`wiam approvals list\` (or the admin endpoint), then call again`,
    );
    expect(connected.app.audit?.search({ tool: "approvals/expire" }).map((r) => (r.arguments as { requestId: string }).requestId)).toEqual([id]);
  });

  it("posts the request to the webhook without secrets, and a failing webhook holds nothing up", async () => {
    const received: { headers: IncomingMessage["headers"]; body: unknown }[] = [];
    let status = 200;
    const hook = createServer((request, response) => {
      let text = "";
      request.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      request.on("end", () => {
        received.push({ headers: request.headers, body: JSON.parse(text) as unknown });
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", () => resolve()));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    try {
      await start({ approvals: { webhook: { url, timeoutSeconds: 2 } } });
      const connected = session as Connected;
      const answer = call(connected);
      const id = await pendingId(connected);
      for (let i = 0; i < 500 && received.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      const [notice] = received;
      expect(notice?.headers["content-type"]).toBe("application/json");
      expect(notice?.body).toEqual({
        requestId: id,
        caller: "test-analyst",
        tool: "describe_identity",
        intent: `\`${JSON.stringify(intent)}\``,
        scope: 'account "aws:account/222222222222" (environment: production)',
        why: ["describing a production identity needs a second person from secops"],
        approvers: ["secops"],
        expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
        link: `/admin/approvals/${id}`,
      });
      await connected.app.approvals.decide(opsLead, id, "denied", null);
      expect((await answer).isError).toBe(true);

      // The endpoint fails: the request is still made and decided.
      status = 500;
      const second = call(connected);
      const secondId = await pendingId(connected);
      await connected.app.approvals.decide(opsLead, secondId, "approved", null);
      expect((await second).isError).toBeFalsy();
      for (let i = 0; i < 500 && received.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect((received[1]?.body as { requestId: string }).requestId).toBe(secondId);
    } finally {
      hook.closeAllConnections();
      await new Promise<void>((resolve) => hook.close(() => resolve()));
    }
  });
});
