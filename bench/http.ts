/**
 * The governed HTTP service under load, in one run: the demo estate, audit on (SQLite), bearer
 * tokens verified on every request (RS256, keys from a local JWKS endpoint), answers reviewed.
 *
 *   1. In-process baseline: the call pipeline itself, one caller at a time, then 16 at a time.
 *   2. Over HTTP: one SDK streamable HTTP client at a time (added latency, unloaded), then 16
 *      concurrent clients (audited calls per second, latency under load).
 *
 * Added latency = HTTP percentile − in-process percentile at the same concurrency: what the
 * transport, the token check and the MCP framing cost on top of the pipeline.
 *
 *   3. Answer review: describe_identity on the production deploy role (every reach item reviewed,
 *      withheld: no one can approve) in-process, against the same pipeline with tools that declare
 *      nothing to review, interleaved call by call.
 * The HTTP clients run in a child process, so their work is not the server's, and the server's own
 * CPU time per call (process.cpuUsage of the server process over the phase) is reported next to
 * the wall-clock numbers: on a shared, loaded machine wall-clock rates swing run to run, while CPU
 * per call says what one core could serve (1000 / CPU ms = calls/s per core).
 * Usage: node dist/bench/http.js [seconds per phase, default 8]
 */
import { Agent, createServer, request as httpRequest } from "node:http";
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { createApp } from "../src/app.js";
import type { Connector } from "../src/connectors/connector.js";
import { buildDemoEstate, DEMO_ANCHORS } from "../src/connectors/demo/index.js";
import { ALL_TOOLS } from "../tools/index.js";
import { parseConfig } from "../src/config/load.js";
import type { HttpConfig } from "../src/config/http-schema.js";
import { appSessions, type ServeHost } from "../src/server/host.js";
import { httpTransport } from "../src/transports/http.js";
import type { ToolCallRequest } from "../src/pipeline/call-pipeline.js";

const SECONDS = Number(process.argv[2] ?? 8);
const CLIENTS = 16;
const TARGET_CALLS_PER_SECOND = 1_000;
const TARGET_P50_ADDED_MS = 2;
const TOOL = "list_identities";
const ARGS = { intent: "benchmark the governed HTTP service", limit: 5 };

interface Phase {
  calls: number;
  seconds: number;
  latencies: number[];
  /** CPU milliseconds the server process spent over the phase (user + system), when measured. */
  serverCpuMs?: number;
}

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Runs `workers` loops of `call` for `seconds`, timing each call. */
async function load(workers: number, seconds: number, call: (worker: number) => Promise<void>): Promise<Phase> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await call(worker);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { calls: latencies.length, seconds: (performance.now() - started) / 1000, latencies };
}

const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

async function main(): Promise<void> {
  // Signing key and a JWKS endpoint standing in for the authorization server.
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "bench-key", alg: "RS256", use: "sig" };
  const jwks = createServer((_, response) => response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", () => resolve()));
  const jwksUri = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`;
  const issuer = "http://127.0.0.1/bench-issuer";

  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const resource = `http://127.0.0.1:${port}/mcp`;

  const unlimited = { callsPerMinute: 100_000, itemsReturned: 10_000_000, distinctScopes: 100_000 };
  const config = parseConfig(
    {
      governance: { budgets: { perTask: unlimited, perCaller: unlimited, maxTasksPerCaller: 10_000 } },
      http: { port, resource, auth: { type: "oauth", issuer, jwksUri, requiredScopes: ["wiam.read"], groupsClaim: "groups" } },
    },
    "(bench)",
  );
  // The demo estate without its demo label: the built-in policy lets demo answers through
  // unreviewed, and the bench measures the service as it runs on a real estate.
  const estate: Connector = {
    id: "aws",
    local: true,
    description: "the demo estate standing in for a real one",
    collect: (context) => Promise.resolve({ ...buildDemoEstate(context.now), demo: false }),
  };
  const dataDir = mkdtempSync(join(tmpdir(), "wiam-bench-http-"));
  const unreviewedDataDir = mkdtempSync(join(tmpdir(), "wiam-bench-http-unreviewed-"));
  const app = createApp({ config, dataDir, logLevel: "error", logWrite: () => undefined, connectors: [estate] });
  const transport = httpTransport(config.http as HttpConfig);
  const host: ServeHost = {
    app,
    configPath: null,
    ...appSessions(app),
    shutdown: () => transport.stop(),
  };
  await transport.start(host);

  // Warm the inventory cache and the decision cache once.
  const direct = (worker: number): ToolCallRequest => ({
    tool: TOOL,
    arguments: ARGS,
    caller: { sessionId: `in-process-${worker}`, clientName: "bench", clientVersion: null, caller: `${issuer}|analyst-${worker}`, transport: "in-memory" },
  });
  await app.pipeline.execute(direct(0));

  const inProcess = async (worker: number) => {
    const response = await app.pipeline.execute(direct(worker));
    if (response.isError) throw new Error(`in-process call failed: ${response.text}`);
  };
  const withCpu = async (run: () => Promise<Phase>): Promise<Phase> => {
    const before = process.cpuUsage();
    const phase = await run();
    const used = process.cpuUsage(before);
    return { ...phase, serverCpuMs: (used.user + used.system) / 1000 };
  };
  const inProcessOne = await withCpu(() => load(1, SECONDS / 2, inProcess));
  const inProcessMany = await withCpu(() => load(CLIENTS, SECONDS / 2, inProcess));

  const tokens: string[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    tokens.push(
      await new SignJWT({ sub: `analyst-${i}`, scope: "wiam.read", groups: ["analysts"], azp: "bench-client" })
        .setProtectedHeader({ alg: "RS256", kid: "bench-key" })
        .setIssuer(issuer)
        .setAudience(resource)
        .setIssuedAt()
        .setExpirationTime("1h")
        .sign(privateKey),
    );
  }
  // The clients run on a thread of their own, as they would in other processes: their JSON and SSE
  // work must not be counted as the server's.
  const httpOne = await runClients({ url: resource, tokens: tokens.slice(0, 1), seconds: SECONDS / 2, client: "sdk" });
  const httpMany = await runClients({ url: resource, tokens, seconds: SECONDS, client: "sdk" });
  // The SDK client validates every answer against the tool's output schema and keeps a core busy
  // on its own; with two cores it, not the server, sets the pace. Lean clients (keep-alive HTTP,
  // the same JSON-RPC, the answer parsed and checked) measure what the server can serve.
  const httpLean = await runClients({ url: resource, tokens, seconds: SECONDS, client: "lean" });
  const cpuPerCall = (phase: Phase) => (phase.serverCpuMs ?? Number.NaN) / phase.calls;

  const rate = (phase: Phase) => phase.calls / phase.seconds;
  const row = (name: string, phase: Phase) =>
    `${name.padEnd(34)} ${String(phase.calls).padStart(7)} calls  ${rate(phase).toFixed(0).padStart(6)} calls/s  p50 ${fmt(percentile(phase.latencies, 50))}  p95 ${fmt(percentile(phase.latencies, 95))}`;
  console.log(`HTTP service bench: ${TOOL} on the demo estate, audit on, RS256 bearer tokens, ${CLIENTS} clients`);
  console.log(row("in-process pipeline, 1 caller", inProcessOne));
  console.log(row(`in-process pipeline, ${CLIENTS} callers`, inProcessMany));
  console.log(row("HTTP, 1 client", httpOne));
  console.log(row(`HTTP, ${CLIENTS} clients`, httpMany));
  console.log(row(`HTTP, ${CLIENTS} lean clients`, httpLean));
  const addedP50 = percentile(httpOne.latencies, 50) - percentile(inProcessOne.latencies, 50);
  const addedP95 = percentile(httpOne.latencies, 95) - percentile(inProcessOne.latencies, 95);
  const loadedP50 = percentile(httpMany.latencies, 50) - percentile(inProcessMany.latencies, 50);
  const loadedP95 = percentile(httpMany.latencies, 95) - percentile(inProcessMany.latencies, 95);
  console.log(`added latency over HTTP, unloaded (1 client):   p50 ${fmt(addedP50)}  p95 ${fmt(addedP95)}  (target p50 <= ${TARGET_P50_ADDED_MS} ms)`);
  console.log(`added latency over HTTP, loaded (${CLIENTS} clients):   p50 ${fmt(loadedP50)}  p95 ${fmt(loadedP95)}`);
  console.log(
    `audited calls per second over HTTP: ${rate(httpLean).toFixed(0)} with ${CLIENTS} lean clients, ${rate(httpMany).toFixed(0)} with ${CLIENTS} SDK clients (target >= ${TARGET_CALLS_PER_SECOND})`,
  );
  console.log(
    `server CPU per HTTP call: ${cpuPerCall(httpOne).toFixed(3)} ms (1 client), ${cpuPerCall(httpMany).toFixed(3)} ms (${CLIENTS} SDK clients), ` +
      `${cpuPerCall(httpLean).toFixed(3)} ms (${CLIENTS} lean clients): ${(1000 / cpuPerCall(httpLean)).toFixed(0)} audited calls/s per core of server CPU; ` +
      `the in-process pipeline alone: ${cpuPerCall(inProcessMany).toFixed(3)} ms (${CLIENTS} callers)`,
  );
  // 3. What reviewing an answer adds: the same question with and without the tools' `reveals`.
  const unreviewed = createApp({
    config,
    dataDir: unreviewedDataDir,
    logLevel: "error",
    logWrite: () => undefined,
    tools: ALL_TOOLS.map(({ reveals: _reveals, ...tool }) => tool),
    connectors: [estate],
  });
  const describeDeploy: ToolCallRequest = {
    tool: "describe_identity",
    arguments: { intent: "benchmark the answer review", principal: DEMO_ANCHORS.aws.prodDeployRole },
    caller: { sessionId: "review", clientName: "bench", clientVersion: null, caller: "analyst", transport: "in-memory" },
  };
  await app.pipeline.execute(describeDeploy);
  await unreviewed.pipeline.execute(describeDeploy);
  const reviewed: number[] = [];
  const plain: number[] = [];
  const reviewDeadline = performance.now() + (SECONDS / 2) * 1000;
  while (performance.now() < reviewDeadline) {
    let t = performance.now();
    const withheld = await app.pipeline.execute(describeDeploy);
    reviewed.push(performance.now() - t);
    if (!JSON.stringify(withheld.structured ?? {}).includes('"withheld"')) throw new Error("the review withheld nothing: the bench measures the wrong thing");
    t = performance.now();
    await unreviewed.pipeline.execute(describeDeploy);
    plain.push(performance.now() - t);
  }
  console.log(
    `answer review (describe_identity, production role, ${reviewed.length} calls each): p50 ${fmt(percentile(reviewed, 50))} vs ${fmt(percentile(plain, 50))} unreviewed, ` +
      `added p50 ${fmt(percentile(reviewed, 50) - percentile(plain, 50))}, p95 ${fmt(percentile(reviewed, 95) - percentile(plain, 95))}`,
  );
  unreviewed.close();

  const audited = app.audit?.stats().calls;
  if (audited !== undefined) console.log(`audit rows written: ${audited}`);

  await transport.stop();
  app.close();
  jwks.close();
  // Each run's audit databases would otherwise pile up in the temp directory.
  for (const directory of [dataDir, unreviewedDataDir]) rmSync(directory, { recursive: true, force: true });
}

/**
 * fetch with a signal of its own per request. The SDK's HTTP client passes one session-wide signal
 * to every fetch, and Node's fetch adds an abort listener to it per request that only garbage
 * collection removes: after about 1,500 calls the client process warns of a listener leak
 * (MaxListenersExceededWarning) and carries the garbage. Each request gets its own signal, tied to
 * the session's while it runs. (The server is not involved: the lean clients show no such thing.)
 */
const fetchWithOwnSignal = async (url: string | URL, init?: RequestInit): Promise<Response> => {
  const session = init?.signal ?? undefined;
  if (session === undefined || session === null) return fetch(url, init);
  const own = new AbortController();
  const forward = () => own.abort(session.reason);
  if (session.aborted) own.abort(session.reason);
  else session.addEventListener("abort", forward, { once: true });
  let response: Response | undefined;
  try {
    response = await fetch(url, { ...init, signal: own.signal });
    return response;
  } finally {
    // A stream (SSE) stays tied to the session, which aborts it on close; a whole answer is over.
    if (!response?.headers.get("content-type")?.includes("text/event-stream")) session.removeEventListener("abort", forward);
  }
};

/** What the client thread is told: where, with which tokens (one client each), for how long. */
interface LoadOrder {
  url: string;
  tokens: string[];
  seconds: number;
  /** The SDK's streamable HTTP client, or plain keep-alive HTTP speaking the same JSON-RPC. */
  client: "sdk" | "lean";
}

/** Runs the clients in a child process and measures the server's CPU while they load it. */
function runClients(order: LoadOrder): Promise<Phase> {
  const child = fork(new URL(import.meta.url), ["--clients"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let cpuAtStart: NodeJS.CpuUsage | null = null;
  return new Promise<Phase>((resolve, reject) => {
    child.on("message", (message: "connected" | Phase) => {
      if (message === "connected") {
        cpuAtStart = process.cpuUsage();
        child.send("go");
        return;
      }
      const used = process.cpuUsage(cpuAtStart ?? undefined);
      resolve({ ...message, serverCpuMs: (used.user + used.system) / 1000 });
      child.disconnect();
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`the client process failed (exit ${code})`));
    });
    child.send(order);
  });
}

/** One JSON-RPC exchange over a keep-alive connection; the answer must be JSON without an error. */
function leanPost(url: URL, agent: Agent, headers: Record<string, string>, body: unknown): Promise<{ session: string | undefined; answer: unknown }> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: "POST", agent, headers: { ...headers, accept: "application/json, text/event-stream", "content-type": "application/json", "content-length": Buffer.byteLength(text) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const raw = Buffer.concat(chunks).toString("utf8");
          const session = response.headers["mcp-session-id"];
          if (response.statusCode === 202) return resolve({ session: typeof session === "string" ? session : undefined, answer: null });
          if (response.statusCode !== 200) return reject(new Error(`lean client: HTTP ${response.statusCode}: ${raw.slice(0, 300)}`));
          // initialize is answered on a stream (the client may be asked things mid-call); calls as plain JSON.
          const json = response.headers["content-type"] === "text/event-stream" ? (raw.split("\n").filter((line) => line.startsWith("data: ")).at(-1)?.slice(6) ?? "") : raw;
          const answer = JSON.parse(json) as { error?: unknown; result?: { isError?: boolean } };
          if (answer.error !== undefined || answer.result?.isError === true) return reject(new Error(`lean client: call failed: ${raw.slice(0, 300)}`));
          resolve({ session: typeof session === "string" ? session : undefined, answer });
        });
      },
    );
    request.once("error", reject);
    request.end(text);
  });
}

async function leanClients(order: LoadOrder): Promise<(worker: number) => Promise<void>> {
  const url = new URL(order.url);
  const agent = new Agent({ keepAlive: true, maxSockets: order.tokens.length });
  const sessions: Record<string, string>[] = [];
  for (const token of order.tokens) {
    const auth = { authorization: `Bearer ${token}` };
    const init = await leanPost(url, agent, auth, { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench-lean", version: "1" } } });
    const headers = { ...auth, "mcp-session-id": init.session ?? "", "mcp-protocol-version": "2025-11-25" };
    await leanPost(url, agent, headers, { jsonrpc: "2.0", method: "notifications/initialized" });
    sessions.push(headers);
  }
  let id = 1;
  return async (worker: number) => {
    await leanPost(url, agent, sessions[worker] ?? {}, { jsonrpc: "2.0", id: id++, method: "tools/call", params: { name: TOOL, arguments: ARGS } });
  };
}

async function clientProcess(order: LoadOrder): Promise<void> {
  if (order.client === "lean") {
    const call = await leanClients(order);
    for (let i = 0; i < order.tokens.length; i++) await call(i);
    const go = new Promise<void>((resolve) => process.once("message", () => resolve()));
    process.send?.("connected");
    await go;
    process.send?.(await load(order.tokens.length, order.seconds, call));
    return;
  }
  const clients: Client[] = [];
  for (const [i, token] of order.tokens.entries()) {
    const client = new Client({ name: `bench-${i}`, version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(order.url), { requestInit: { headers: { authorization: `Bearer ${token}` } }, fetch: fetchWithOwnSignal }));
    clients.push(client);
  }
  const overHttp = async (worker: number) => {
    const result = await clients[worker]?.callTool({ name: TOOL, arguments: ARGS });
    if (result?.isError) throw new Error(`HTTP call failed: ${JSON.stringify(result.content)}`);
  };
  for (let i = 0; i < clients.length; i++) await overHttp(i);
  // The server counts its CPU from here: connecting and warming up are not per-call work.
  const go = new Promise<void>((resolve) => process.once("message", () => resolve()));
  process.send?.("connected");
  await go;
  const phase = await load(clients.length, order.seconds, overHttp);
  process.send?.(phase);
  for (const client of clients) await client.close();
}

if (process.argv.includes("--clients")) {
  process.once("message", (order: LoadOrder) =>
    void clientProcess(order).catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    }),
  );
} else await main();
