/**
 * A call that waits for a second person, run as an MCP task: the client gets a task at once and
 * polls, so the wait outlives the client's request timeout; without a task the client's timeout
 * ends the call and its request is withdrawn from the queue. Cancelling the task withdraws it too.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CallToolResultSchema, McpError, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { hostDecider } from "../src/cli/approvals.js";
import { MAX_RUNNING_TASKS, RunningTasksByCaller } from "../src/server/call-tasks.js";
import { DEMO_ANCHORS } from "../src/connectors/demo/index.js";
import { connect, demoAsRealEstate, tempDataDir, textOf, type Connected } from "./fixtures/mcp.js";

const POLICY = [
  '@id("allow-read") permit (principal, action in Wiam::Action::"read", resource);',
  '@id("production-needs-secops") @approval("second-person") @approvers("secops")',
  '@reason("describing a production identity needs a second person from secops")',
  'forbid (principal, action == Wiam::Action::"describe_identity", resource) when { resource.environment == "production" } unless { context.approved };',
].join("\n");
const args = { intent: "Who can use the deploy role", principal: DEMO_ANCHORS.aws.prodDeployRole };
const opsLead = hostDecider("ops-lead");
/** Much shorter than the wait for the approver below: a plain call would time out. */
const CLIENT_TIMEOUT_MS = 300;

describe("a second-person wait as an MCP task", () => {
  let session: Connected | undefined;
  afterEach(async () => {
    await session?.close();
    session = undefined;
  });

  async function start(runningTasks?: RunningTasksByCaller): Promise<Connected> {
    const dataDir = tempDataDir();
    const policyFile = join(dataDir, "team.cedar");
    writeFileSync(policyFile, POLICY, { mode: 0o600 });
    session = await connect(
      { governance: { policyFile, approvalTimeoutSeconds: 600, approvals: { pollIntervalMs: 50 }, callerGroups: { secops: ["ops-lead"] } } },
      { dataDir, connectors: [demoAsRealEstate()], elicitation: "none", ...(runningTasks ? { runningTasks } : {}) },
    );
    return session;
  }

  async function pendingId(connected: Connected, status: "pending" | "withdrawn" = "pending"): Promise<string> {
    for (let i = 0; i < 1_000; i++) {
      const [request] = await connected.app.approvals.list(opsLead, { status });
      if (request) return request.id;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no ${status} request`);
  }

  it("offers every tool as a task, and answers a task call once approved, long after the client's request timeout", async () => {
    const connected = await start();
    const { tools } = await connected.client.listTools();
    expect(tools.every((tool) => tool.execution?.taskSupport === "optional")).toBe(true);

    const stream = connected.client.experimental.tasks.callToolStream({ name: "describe_identity", arguments: args }, CallToolResultSchema, { timeout: CLIENT_TIMEOUT_MS, task: { ttl: 60_000 } });
    const kinds: string[] = [];
    let result: CallToolResult | undefined;
    const consumed = (async () => {
      for await (const message of stream) {
        kinds.push(message.type);
        if (message.type === "result") result = message.result as CallToolResult;
        if (message.type === "error") throw message.error;
      }
    })();
    const id = await pendingId(connected);
    // Several client timeouts pass while the request waits.
    await new Promise((resolve) => setTimeout(resolve, CLIENT_TIMEOUT_MS * 4));
    await connected.app.approvals.decide(opsLead, id, "approved", null);
    await consumed;
    expect(kinds[0]).toBe("taskCreated");
    expect(kinds.at(-1)).toBe("result");
    expect(result?.isError, textOf(result ?? {})).toBeFalsy();
    expect((result?.structuredContent as { identity: { id: string } }).identity.id).toBe(args.principal);
    const auditId = (result?._meta as Record<string, string>)["workload-iam-mcp/auditId"] ?? "";
    expect(connected.app.audit?.get(auditId)?.approval).toMatchObject({ outcome: "approved", kind: "second-person", requestId: id });
  });

  it("without a task, the client's request timeout ends the call and withdraws its request", async () => {
    const connected = await start();
    const error = await connected.client.callTool({ name: "describe_identity", arguments: args }, undefined, { timeout: CLIENT_TIMEOUT_MS }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).message).toContain("Request timed out");
    const id = await pendingId(connected, "withdrawn");
    // The call records its refusal once it has stopped waiting.
    let audited = connected.app.audit?.search({ tool: "describe_identity" })[0];
    for (let i = 0; i < 500 && audited === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      audited = connected.app.audit?.search({ tool: "describe_identity" })[0];
    }
    expect(audited?.approval).toMatchObject({ outcome: "cancelled", kind: "second-person", requestId: id });
  });

  it("withdraws the request when the client cancels the task", async () => {
    const connected = await start();
    const created = await connected.client.request(
      { method: "tools/call", params: { name: "describe_identity", arguments: args, task: { ttl: 60_000 } } },
      (await import("@modelcontextprotocol/sdk/experimental/tasks/types.js")).CreateTaskResultSchema,
    );
    const id = await pendingId(connected);
    await connected.client.experimental.tasks.cancelTask(created.task.taskId);
    expect(await pendingId(connected, "withdrawn")).toBe(id);
    expect((await connected.client.experimental.tasks.getTask(created.task.taskId)).status).toBe("cancelled");
  });

  it("runs at most 16 calls of a session as tasks at once, and takes another once one ends", async () => {
    const connected = await start();
    const { CreateTaskResultSchema } = await import("@modelcontextprotocol/sdk/experimental/tasks/types.js");
    const startTask = () => connected.client.request({ method: "tools/call", params: { name: "describe_identity", arguments: args, task: { ttl: 60_000 } } }, CreateTaskResultSchema);
    const running: string[] = [];
    for (let i = 0; i < MAX_RUNNING_TASKS; i++) running.push((await startTask()).task.taskId);
    const refused = await startTask().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(McpError);
    expect((refused as McpError).message).toBe(
      "MCP error -32600: tasks: 16 calls of this session are still running as tasks (at most 16); wait for one to end or cancel one (tasks/cancel); nothing was run",
    );
    // The identical waiting calls share one pending request; the refused one added nothing.
    expect((await connected.app.approvals.list(opsLead, { status: "pending" })).length).toBe(1);
    await connected.client.experimental.tasks.cancelTask(running[0] ?? "");
    // The slot is free once the cancelled call has stopped, a moment after the cancellation.
    let next: unknown;
    for (let i = 0; i < 250 && !(next instanceof Object && "task" in next); i++) {
      next = await startTask().catch((e: unknown) => e);
      if (next instanceof McpError) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((next as { task: { status: string } }).task.status).toBe("working");
  });

  it("runs at most 32 calls of one caller as tasks across all their sessions", async () => {
    const oneCaller = new RunningTasksByCaller();
    const sessions = [await start(oneCaller), await start(oneCaller), await start(oneCaller)];
    const { CreateTaskResultSchema } = await import("@modelcontextprotocol/sdk/experimental/tasks/types.js");
    const startTask = (connected: Connected) =>
      connected.client.request({ method: "tools/call", params: { name: "describe_identity", arguments: args, task: { ttl: 60_000 } } }, CreateTaskResultSchema);
    try {
      for (const connected of sessions.slice(0, 2)) for (let i = 0; i < MAX_RUNNING_TASKS; i++) await startTask(connected);
      const refused = await startTask(sessions[2] as Connected).catch((e: unknown) => e);
      expect((refused as McpError).message).toBe(
        "MCP error -32600: tasks: you already run 32 calls as tasks across your sessions, the most allowed; wait for one to end or cancel one (tasks/cancel); nothing was run",
      );
    } finally {
      // Ending the sessions stops their calls and gives the caller's count back.
      for (const connected of sessions) await connected.close();
    }
  });
});

describe("a caller's own confirmation inside an MCP task", () => {
  it("asks the person at the client through the task's queue and records a self-confirmation", async () => {
    const dataDir = tempDataDir();
    const policyFile = join(dataDir, "team.cedar");
    writeFileSync(policyFile, POLICY.replace('@approval("second-person") @approvers("secops")', '@approval("required")'), { mode: 0o600 });
    const asked: string[] = [];
    const connected = await connect(
      { governance: { policyFile } },
      {
        dataDir,
        connectors: [demoAsRealEstate()],
        elicitation: (request) => {
          asked.push(request.params.message);
          return Promise.resolve({ action: "accept", content: { approve: true, note: "my own look" } });
        },
      },
    );
    try {
      let result: CallToolResult | undefined;
      for await (const message of connected.client.experimental.tasks.callToolStream({ name: "describe_identity", arguments: args }, CallToolResultSchema, { task: { ttl: 60_000 } })) {
        if (message.type === "result") result = message.result as CallToolResult;
        if (message.type === "error") throw message.error;
      }
      expect(asked.length).toBe(1);
      expect(result?.isError, textOf(result ?? {})).toBeFalsy();
      const auditId = (result?._meta as Record<string, string>)["workload-iam-mcp/auditId"] ?? "";
      expect(connected.app.audit?.get(auditId)?.approval).toEqual({ outcome: "approved", note: "my own look", kind: "self-confirmation" });
    } finally {
      await connected.close();
    }
  });
});
