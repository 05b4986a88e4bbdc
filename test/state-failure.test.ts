/**
 * When the shared PostgreSQL state store fails, calls fail closed: stopped, read-only, or a lock
 * held too long by another replica each refuse the call with a clear tool error (never a raw
 * JSON-RPC -32603, never a call that runs unaudited), `/readyz` says not ready, the server keeps
 * serving, and everything works again once the database is back (the refusals then on record).
 * A real PostgreSQL server is stopped and started again.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../src/app.js";
import { parseConfig } from "../src/config/load.js";
import type { HttpConfig } from "../src/config/http-schema.js";
import { postgresConfigSchema } from "../src/config/state-schema.js";
import { appSessions, type ServeHost } from "../src/server/host.js";
import { PostgresStateStore } from "../src/state/postgres/store.js";
import { httpTransport } from "../src/transports/http.js";
import type { ToolCallRequest } from "../src/pipeline/call-pipeline.js";
import { freePort } from "./fixtures/authorization-server.js";
import { tempDataDir } from "./fixtures/mcp.js";
import { startPostgres, type PostgresServer } from "./support/postgres.js";

let server: PostgresServer;
let url: string;
let store: PostgresStateStore;
let app: App;
let readyz: () => Promise<{ status: number; body: unknown }>;
let stopHttp: () => Promise<void>;

const request = (intent: string): ToolCallRequest => ({
  tool: "inventory_summary",
  arguments: { intent },
  caller: { sessionId: "s-1", clientName: "test", clientVersion: "1", caller: "analyst", transport: "in-memory" },
});

/** Polls until `check` holds; the limit is generous (the probe runs every 100 ms here). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting until ${what}`);
}

beforeAll(async () => {
  server = await startPostgres();
  url = await server.createDatabase();
  const config = parseConfig({}, "(test)");
  const dataDir = tempDataDir();
  const postgres = postgresConfigSchema.parse({ url, poolSize: 4, connectTimeoutMs: 1_000, lockTimeoutMs: 500, statementTimeoutMs: 10_000 });
  store = await PostgresStateStore.open({ config: postgres, audit: { responseBody: "summary" }, probeMs: 100 });
  app = createApp({ config, dataDir, logLevel: "error", logWrite: () => undefined, state: store });
  const port = await freePort();
  const transport = httpTransport(parseConfig({ http: { port, auth: { type: "none" } } }, "(test)").http as HttpConfig);
  const host: ServeHost = { app, configPath: null, ...appSessions(app), shutdown: () => transport.stop() };
  await transport.start(host);
  stopHttp = () => transport.stop();
  readyz = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: response.status, body: (await response.json()) as unknown };
  };
});

afterAll(async () => {
  await stopHttp();
  app.close();
  await server.stop();
});

describe("the shared state store away", () => {
  it("answers while the database is up", async () => {
    const response = await app.pipeline.execute(request("baseline before the outage"));
    expect(response.isError, response.text).toBe(false);
    expect(await readyz()).toEqual({ status: 200, body: { ready: true, checks: { config: "ok", policy: "ok", audit: "ok", providers: "ok" } } });
  });

  it("refuses calls with a clear tool error while it is stopped, says not ready, and recovers when it is back", async () => {
    server.stopServer();
    const refused = await app.pipeline.execute(request("asked while the database is down"));
    expect(refused.isError).toBe(true);
    expect(refused.auditId).toBeNull();
    expect(refused.text).toMatch(
      /^the (audit log could not record the call|budget ledger could not count the call): (the PostgreSQL server is unreachable \(ECONNREFUSED\)|the PostgreSQL server is shutting down or starting up|the connection to the PostgreSQL server failed \(08\d\d\d\)|the PostgreSQL server did not answer in time); the call was refused before it ran \(nothing runs unaudited\)\. Try again shortly$/,
    );
    const notReady = await readyz();
    expect(notReady.status).toBe(503);
    expect(notReady.body).toMatchObject({ ready: false, checks: { audit: "failed" } });

    server.startServer();
    await eventually(async () => (await readyz()).status === 200, "/readyz is ready again");
    const answered = await app.pipeline.execute(request("asked once the database is back"));
    expect(answered.isError, answered.text).toBe(false);

    // The refused call is on record too, and the chain is one and intact.
    await eventually(async () => (await store.audit.search({ intentContains: "asked while the database is down" })).length === 1, "the refusal is written");
    const [refusal] = await store.audit.search({ intentContains: "asked while the database is down" });
    expect(refusal).toMatchObject({ decision: "deny", status: "error", tool: "inventory_summary" });
    expect(refusal?.decisionRule).toMatch(/^(shared state unavailable: refused before running|policy: evaluation failed)$/);
    expect((await store.audit.verify()).ok).toBe(true);
  });

  it("refuses calls while the database is read-only, and serves again once it is writable", async () => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query("ALTER SYSTEM SET default_transaction_read_only = on");
      await admin.query("SELECT pg_reload_conf()");
      await eventually(async () => !(await store.health()).ok, "the store sees the database read-only");
      expect(store.healthNow()).toEqual({ ok: false, detail: "the PostgreSQL database is read-only (a standby, or default_transaction_read_only is on)" });
      const refused = await app.pipeline.execute(request("asked while the database is read-only"));
      expect(refused.isError).toBe(true);
      expect(refused.text).toMatch(/the PostgreSQL database is read-only \(a standby, or default_transaction_read_only is on\); the call was refused before it ran \(nothing runs unaudited\)\. Try again shortly$/);
      expect((await readyz()).status).toBe(503);
    } finally {
      await admin.query("ALTER SYSTEM RESET default_transaction_read_only");
      await admin.query("SELECT pg_reload_conf()");
      await admin.end();
    }
    await eventually(async () => (await readyz()).status === 200, "/readyz is ready again");
    const answered = await app.pipeline.execute(request("asked once writable again"));
    expect(answered.isError, answered.text).toBe(false);
    expect((await store.audit.verify()).ok).toBe(true);
  });

  it("refuses a call with a clear error when another replica holds the chain's head too long", async () => {
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    await other.query("BEGIN");
    await other.query("SELECT seq FROM wiam_audit_head WHERE id = 1 FOR UPDATE");
    try {
      const refused = await app.pipeline.execute(request("asked while another replica holds the head"));
      expect(refused.isError).toBe(true);
      expect(refused.text).toBe(
        "the audit log could not record the call: a lock on the shared state was held too long by another replica (lock_timeout); the call was refused before it ran (nothing runs unaudited). Try again shortly",
      );
    } finally {
      await other.query("ROLLBACK");
      await other.end();
    }
    const answered = await app.pipeline.execute(request("asked once the lock is released"));
    expect(answered.isError, answered.text).toBe(false);
    expect((await store.audit.search({ intentContains: "asked while another replica holds the head" }))[0]).toMatchObject({ decision: "deny", status: "error" });
    expect((await store.audit.verify()).ok).toBe(true);
  });
});

/**
 * A TCP proxy to PostgreSQL that, once armed, forwards the next COMMIT and then cuts the client's
 * connection before the server's answer reaches it: the transaction committed, the client cannot
 * know (an ambiguous commit, as when a network path fails at the wrong moment).
 */
async function commitCuttingProxy(target: number): Promise<{ port: number; arm(): void; close(): Promise<void> }> {
  let armed = false;
  const sockets = new Set<Socket>();
  const proxy: Server = createServer((client) => {
    const upstream = connect(target, "127.0.0.1");
    sockets.add(client).add(upstream);
    let cut = false;
    client.on("data", (chunk: Buffer) => {
      upstream.write(chunk);
      if (armed && chunk.includes("COMMIT")) {
        armed = false;
        cut = true;
        // Long enough for the server to commit, and the answer is never passed on.
        setTimeout(() => {
          client.destroy();
          upstream.destroy();
        }, 300);
      }
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!cut) client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", () => resolve()));
  const address = proxy.address();
  if (address === null || typeof address === "string") throw new Error("the proxy has no port");
  return {
    port: address.port,
    arm: () => {
      armed = true;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}

describe("an acceptance whose COMMIT answer is lost", () => {
  it("is refused, and its completion still lands once the database answers: the owed events do not block the log", async () => {
    const proxy = await commitCuttingProxy(server.port);
    const database = await server.createDatabase("ambiguous_commit");
    const viaProxy = database.replace(`:${server.port}/`, `:${proxy.port}/`);
    const postgres = postgresConfigSchema.parse({ url: viaProxy, poolSize: 2, connectTimeoutMs: 1_000, lockTimeoutMs: 500, statementTimeoutMs: 10_000 });
    const ambiguous = await PostgresStateStore.open({ config: postgres, audit: { responseBody: "none" }, probeMs: 100 });
    try {
      proxy.arm();
      await expect(ambiguous.audit.accept({ ...acceptanceFor("committed, but the answer was lost") })).rejects.toThrow(/^the audit log could not record the call: /);
      const next = await ambiguous.audit.accept(acceptanceFor("the next call after the lost answer"));
      await ambiguous.audit.complete(next, completionFor());
      expect(ambiguous.audit.pendingEvents).toBe(0);
      const [lost] = await ambiguous.audit.search({ intentContains: "committed, but the answer was lost" });
      // On record once (the commit happened), completed as refused: it never ran.
      expect(lost).toMatchObject({ status: "error", completion: { status: "error", error: expect.stringMatching(/^the audit log could not record the call: /) as string } });
      expect(await ambiguous.audit.search({ intentContains: "committed, but the answer was lost" })).toHaveLength(1);
      expect((await ambiguous.audit.get(next))?.status).toBe("ok");
      expect((await ambiguous.audit.verify()).ok).toBe(true);
    } finally {
      await ambiguous.close();
      await proxy.close();
    }
  });
});

function acceptanceFor(intent: string) {
  return {
    sessionId: "s-ambiguous",
    clientName: "test",
    clientVersion: "1",
    caller: "analyst",
    transport: "in-memory" as const,
    tool: "inventory_summary",
    intent,
    taskId: null,
    arguments: { intent },
    decision: "allow" as const,
    decisionRule: "policy: default-allow",
    approver: null,
    redactionRulesetVersion: "test",
  };
}

function completionFor() {
  return { status: "ok" as const, error: null, credentialScope: null, cloudOperations: [], result: null, redactionFindings: {}, responseBody: null, durationMs: 1 };
}
