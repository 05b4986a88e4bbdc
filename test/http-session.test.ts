/**
 * The HTTP session transport on its own, spoken to over real HTTP with raw requests, behind an SDK
 * MCP server: each POST's answer form chosen per request (a JSON answer is not held behind an open
 * stream), the protocol's status codes, what a tool handler sees of the request, and what happens
 * to requests still open when the session ends.
 */
import { once } from "node:events";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { HttpSessionTransport } from "../src/transports/http-session.js";

const PROTOCOL = "2025-11-25";
const BOTH = "application/json, text/event-stream";

interface Harness {
  url: string;
  transport: HttpSessionTransport;
  /** Releases the `wait` tool's call. */
  release: () => void;
  seenHeaders: Record<string, string>[];
  http: HttpServer;
}

async function start(): Promise<Harness> {
  const transport = new HttpSessionTransport("session-1");
  const mcp = new McpServer({ name: "session-test", version: "1" }, { capabilities: { tools: {} } });
  let release: () => void = () => undefined;
  const seenHeaders: Record<string, string>[] = [];
  mcp.registerTool("wait", { inputSchema: { note: z.string() } }, async ({ note }, extra) => {
    seenHeaders.push({ ...(extra.requestInfo?.headers as Record<string, string>) });
    const token = extra._meta?.progressToken;
    if (token !== undefined) await extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: 1, message: "waiting" } });
    await new Promise<void>((resolve) => (release = resolve));
    return { content: [{ type: "text", text: `released ${note}` }] };
  });
  mcp.registerTool("quick", { inputSchema: { note: z.string() } }, ({ note }, extra) => {
    seenHeaders.push({ ...(extra.requestInfo?.headers as Record<string, string>) });
    return { content: [{ type: "text", text: `quick ${note}` }] };
  });
  mcp.registerTool("ask", { inputSchema: {} }, async (_args, extra) => {
    try {
      await mcp.server.elicitInput({ message: "approve?", requestedSchema: { type: "object", properties: {} } }, { relatedRequestId: extra.requestId });
      return { content: [{ type: "text", text: "asked" }] };
    } catch (error) {
      return { content: [{ type: "text", text: `could not ask: ${(error as Error).message}` }], isError: true };
    }
  });
  await mcp.connect(transport);
  const http = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const body: unknown = text === "" ? undefined : JSON.parse(text);
      // The test tells the transport the answer form, as transports/http.ts does from the client's capabilities.
      transport.handle({ request, response, body, authInfo: { token: "", clientId: "c", scopes: [] }, answersAsJson: request.headers["x-test-form"] === "json" });
    });
  });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`, transport, release: () => release(), seenHeaders, http };
}

const rpc = (id: number, method: string, params: Record<string, unknown> = {}) => ({ jsonrpc: "2.0", id, method, params });
const call = (id: number, name: string, args: Record<string, unknown>, meta?: Record<string, unknown>) =>
  rpc(id, "tools/call", { name, arguments: args, ...(meta === undefined ? {} : { _meta: meta }) });

function post(h: Harness, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(h.url, {
    method: "POST",
    headers: { accept: BOTH, "content-type": "application/json", "mcp-protocol-version": PROTOCOL, ...headers },
    body: JSON.stringify(body),
  });
}

/** The JSON-RPC messages of an SSE body, in order. */
function events(text: string): unknown[] {
  return text
    .split("\n\n")
    .filter((block) => block.includes("data: "))
    .map((block) => JSON.parse(block.slice(block.indexOf("data: ") + 6)) as unknown);
}

async function initialize(h: Harness, capabilities: Record<string, unknown> = {}): Promise<void> {
  const init = await post(h, rpc(0, "initialize", { protocolVersion: PROTOCOL, capabilities, clientInfo: { name: "t", version: "1" } }), { "x-test-form": "json" });
  expect(init.status).toBe(200);
  expect(init.headers.get("mcp-session-id")).toBe("session-1");
  expect(((await init.json()) as { result: { protocolVersion: string } }).result.protocolVersion).toBe(PROTOCOL);
  expect((await post(h, { jsonrpc: "2.0", method: "notifications/initialized" })).status).toBe(202);
}

describe("HttpSessionTransport", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await start();
  });
  afterEach(() => {
    h.http.closeAllConnections();
    h.http.close();
  });

  it("answers a JSON request while another request's stream is still open, and streams progress on the open one", async () => {
    await initialize(h);
    const streaming = await post(h, call(1, "wait", { note: "slow" }, { progressToken: "p-1" }));
    expect(streaming.status).toBe(200);
    expect(streaming.headers.get("content-type")).toBe("text/event-stream");
    const quick = await post(h, call(2, "quick", { note: "fast" }), { "x-test-form": "json" });
    expect(quick.headers.get("content-type")).toBe("application/json");
    expect(await quick.json()).toEqual({ jsonrpc: "2.0", id: 2, result: { content: [{ type: "text", text: "quick fast" }] } });
    h.release();
    expect(events(await streaming.text())).toEqual([
      { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "p-1", progress: 1, message: "waiting" } },
      { jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "released slow" }] } },
    ]);
  });

  it("answers a batch in request order in one JSON body", async () => {
    await initialize(h);
    const both = await post(h, [call(3, "quick", { note: "a" }), call(4, "quick", { note: "b" })], { "x-test-form": "json" });
    expect(await both.json()).toEqual([
      { jsonrpc: "2.0", id: 3, result: { content: [{ type: "text", text: "quick a" }] } },
      { jsonrpc: "2.0", id: 4, result: { content: [{ type: "text", text: "quick b" }] } },
    ]);
  });

  it("refuses what the protocol refuses, with the status codes the specification names", async () => {
    const early = await post(h, call(1, "quick", { note: "x" }));
    expect([early.status, ((await early.json()) as { error: { message: string } }).error.message]).toEqual([400, "bad request: the session is not initialized"]);
    await initialize(h);
    const again = await post(h, rpc(9, "initialize", { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: "t", version: "1" } }));
    expect(again.status).toBe(400);
    expect((await post(h, call(1, "quick", { note: "x" }), { "mcp-protocol-version": "1999-01-01" })).status).toBe(400);
    expect((await post(h, call(1, "quick", { note: "x" }), { accept: "application/json" })).status).toBe(406);
    expect((await post(h, call(1, "quick", { note: "x" }), { "content-type": "text/plain" })).status).toBe(415);
    expect((await post(h, { jsonrpc: "2.0", id: 1 })).status).toBe(400);
    expect((await post(h, [])).status).toBe(400);
    // A request id already open in this session cannot be reused until it is answered.
    const open = await post(h, call(5, "wait", { note: "open" }));
    const reused = await post(h, call(5, "quick", { note: "dup" }), { "x-test-form": "json" });
    expect([reused.status, ((await reused.json()) as { error: { message: string } }).error.message]).toEqual([400, "invalid request: a request id is already in use in this session"]);
    h.release();
    await open.text();

    const stream = await fetch(h.url, { headers: { accept: "text/event-stream", "mcp-protocol-version": PROTOCOL } });
    expect(stream.status).toBe(200);
    const second = await fetch(h.url, { headers: { accept: "text/event-stream" } });
    expect(second.status).toBe(409);
    expect((await fetch(h.url, { headers: { accept: "application/json" } })).status).toBe(406);
    expect((await fetch(h.url, { method: "PUT" })).status).toBe(405);
    await stream.body?.cancel();
  });

  it("keeps credentials out of what a tool handler sees of the request", async () => {
    await initialize(h);
    await post(h, call(1, "quick", { note: "x" }), { "x-test-form": "json", authorization: "Bearer FAKE.TOKEN.EXAMPLE", cookie: "session=FAKE" });
    expect(h.seenHeaders[0]?.authorization).toBeUndefined();
    expect(h.seenHeaders[0]?.cookie).toBeUndefined();
    expect(h.seenHeaders[0]?.["mcp-protocol-version"]).toBe(PROTOCOL);
  });

  it("fails a question to the client cleanly when the request is answered as plain JSON, instead of waiting forever", async () => {
    await initialize(h, { elicitation: {} });
    const asked = await post(h, call(1, "ask", {}), { "x-test-form": "json" });
    const answer = (await asked.json()) as { result: { isError: boolean; content: { text: string }[] } };
    expect(answer.result.isError).toBe(true);
    expect(answer.result.content[0]?.text).toContain("nothing can be asked of the client mid-call");
  });

  it("ends requests still open when the session is deleted, and answers the session's later requests with 404", async () => {
    await initialize(h);
    const json = post(h, call(1, "wait", { note: "pending" }), { "x-test-form": "json" });
    const streaming = await post(h, call(2, "quick", { note: "x" }));
    await streaming.text();
    // Let the pending call reach its handler before the session ends.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const deleted = await fetch(h.url, { method: "DELETE", headers: { "mcp-protocol-version": PROTOCOL } });
    expect(deleted.status).toBe(200);
    const ended = await json;
    expect([ended.status, ((await ended.json()) as { error: { code: number } }).error.code]).toEqual([404, -32001]);
    expect((await post(h, call(3, "quick", { note: "late" }))).status).toBe(404);
    h.release();
  });
  it("keeps a dropped request's id taken until its call answers, so a new request never receives the old answer", async () => {
    await initialize(h);
    const dropped = new AbortController();
    const first = fetch(h.url, {
      method: "POST",
      headers: { accept: BOTH, "content-type": "application/json", "mcp-protocol-version": PROTOCOL, "x-test-form": "json" },
      body: JSON.stringify(call(7, "wait", { note: "old" })),
      signal: dropped.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    dropped.abort();
    await expect(first).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Still running (a disconnection is not a cancellation): its id is not free.
    const reused = await post(h, call(7, "quick", { note: "new" }), { "x-test-form": "json" });
    expect(reused.status).toBe(400);
    h.release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Answered (into the void): the id is free again and the new request gets its own answer.
    const fresh = await post(h, call(7, "quick", { note: "new" }), { "x-test-form": "json" });
    expect(await fresh.json()).toEqual({ jsonrpc: "2.0", id: 7, result: { content: [{ type: "text", text: "quick new" }] } });
  });
});
