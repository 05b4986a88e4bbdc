/**
 * `wiam serve --http` as an admin starts it: the settings it refuses (and why), a service that runs
 * with no analyst credentials anywhere in its environment, and a shutdown that lets calls finish.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { parseConfig } from "../src/config/load.js";
import type { HttpConfig } from "../src/config/http-schema.js";
import type { CollectContext, Connector } from "../src/connectors/connector.js";
import { buildDemoEstate } from "../src/connectors/demo/index.js";
import { appSessions, type ServeHost } from "../src/server/host.js";
import { httpTransport } from "../src/transports/http.js";
import { freePort } from "./fixtures/authorization-server.js";
import { tempDataDir, textOf } from "./fixtures/mcp.js";

const CLI = new URL("../dist/src/cli/main.js", import.meta.url).pathname;
const intent = "Check the HTTP service starts as configured";

function configFile(yaml: string): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), "wiam-http-"));
  const path = join(dir, "wiam.yaml");
  writeFileSync(path, yaml, { mode: 0o600 });
  return { dir, path };
}

function serveOnce(yaml: string, extra: string[] = []) {
  const { dir, path } = configFile(yaml);
  return spawnSync(process.execPath, [CLI, "--config", path, "serve", "--http", ...extra], {
    encoding: "utf8",
    timeout: 30_000,
    env: { PATH: process.env.PATH ?? "", WIAM_DATA_DIR: join(dir, "data") },
  });
}

describe("wiam serve --http refuses unsafe settings at start", () => {
  it("refuses auth none on an address other than loopback", () => {
    const run = serveOnce("http:\n  auth:\n    type: none\n", ["--host", "0.0.0.0", "--port", "0"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      "wiam: refusing to serve over HTTP: http.auth.type is none but http.host 0.0.0.0 is not a loopback address: anyone who can reach it would call the tools unauthenticated. Bind to 127.0.0.1 or configure http.auth.type oauth\n",
    );
  });

  it("refuses to guess when no authentication is configured", () => {
    const run = serveOnce("{}\n", ["--port", "0"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      "wiam: refusing to serve over HTTP: http.auth is not set: configure http.auth.type oauth (an authorization server) or, on a loopback address only, http.auth.type none\n",
    );
  });

  it("refuses OAuth without this server's resource URI, and a bad port", () => {
    const run = serveOnce("http:\n  auth:\n    type: oauth\n    issuer: https://login.example.com/\n");
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("http.resource: is required with auth.type oauth: it is the audience tokens must carry");
    const port = serveOnce("http:\n  auth:\n    type: none\n", ["--port", "http"]);
    expect(port.status).toBe(2);
    expect(port.stderr).toBe('wiam: --port: "http" is not a port number (0-65535)\n');
  });
});

describe("wiam serve --http with no analyst credentials", () => {
  it("serves the demo estate with an environment holding nothing but PATH and its own directories", async () => {
    const port = await freePort();
    const { dir, path } = configFile(`http:\n  port: ${port}\n  auth:\n    type: none\n`);
    const home = mkdtempSync(join(tmpdir(), "wiam-empty-home-"));
    // No AWS_*, AZURE_*, GOOGLE_* variables, no ~/.aws, ~/.azure or gcloud config: nothing of an analyst's.
    const child = spawn(process.execPath, [CLI, "--config", path, "serve", "--http"], {
      env: { PATH: process.env.PATH ?? "", HOME: home, WIAM_DATA_DIR: join(dir, "data") },
      stdio: ["ignore", "ignore", "pipe"],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        let log = "";
        child.stderr.on("data", (chunk: Buffer) => ((log += chunk.toString()), log.includes("serving MCP") && resolve()));
        child.once("exit", (code) => reject(new Error(`exited ${code}: ${log}`)));
      });
      const client = new Client({ name: "no-credentials", version: "1" });
      await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
      const result = await client.callTool({ name: "inventory_summary", arguments: { intent } });
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(textOf(result)).toMatch(/^\[DEMO DATA/);
      await client.close();
    } finally {
      child.kill("SIGTERM");
    }
  }, 60_000);
});

describe("graceful shutdown", () => {
  it("lets a call in flight finish and be audited, and refuses new work meanwhile", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started: () => void = () => undefined;
    const collecting = new Promise<void>((resolve) => (started = resolve));
    // A provider that takes its time, standing in for a slow cloud read.
    const slow: Connector = {
      id: "aws",
      description: "slow fake of a live provider",
      async collect(context: CollectContext) {
        started();
        await gate;
        return buildDemoEstate(context.now);
      },
      describeCredentialScope: () => "fake",
      endTask: () => undefined,
    };
    const app = createApp({ config: parseConfig({}, "(test)"), dataDir: tempDataDir(), logLevel: "error", logWrite: () => undefined, connectors: [slow] });
    const port = await freePort();
    const settings = parseConfig({ http: { port, auth: { type: "none" } } }, "(test)").http as HttpConfig;
    const transport = httpTransport(settings);
    const host: ServeHost = {
      app,
      configPath: null,
      ...appSessions(app),
      shutdown: () => transport.stop(),
    };
    await transport.start(host);
    const client = new Client({ name: "drain", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
    const inFlight = client.callTool({ name: "inventory_summary", arguments: { intent } });
    await collecting;
    const stopping = transport.stop();
    const refused = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status).catch(() => "connection refused");
    expect([503, "connection refused"]).toContain(refused);
    release();
    const result = await inFlight;
    expect(result.isError, textOf(result)).toBeFalsy();
    await stopping;
    const auditId = (result._meta as Record<string, string>)["workload-iam-mcp/auditId"] ?? "";
    expect(app.audit?.get(auditId)?.status).toBe("ok");
    app.close();
  }, 60_000);
});

describe("sessions per caller", () => {
  it("bounds how many sessions one caller holds open, and frees a slot when one is ended", async () => {
    const app = createApp({ config: parseConfig({}, "(test)"), dataDir: tempDataDir(), logLevel: "error", logWrite: () => undefined });
    const port = await freePort();
    const settings = parseConfig({ http: { port, auth: { type: "none" } } }, "(test)").http as HttpConfig;
    const transport = httpTransport(settings, { maxSessionsPerCaller: 2 });
    const host: ServeHost = {
      app,
      configPath: null,
      ...appSessions(app),
      shutdown: () => transport.stop(),
    };
    await transport.start(host);
    const url = `http://127.0.0.1:${port}/mcp`;
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    const initialize = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } });
    const open = () => fetch(url, { method: "POST", headers, body: initialize });
    const first = await open();
    const second = await open();
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await open();
    expect(third.status).toBe(429);
    expect(await third.json()).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32000, message: "too many open sessions for this caller (2); end one (HTTP DELETE) or let one idle out" },
    });
    const ended = await fetch(url, { method: "DELETE", headers: { "mcp-session-id": first.headers.get("mcp-session-id") ?? "", "mcp-protocol-version": "2025-06-18" } });
    expect(ended.status).toBe(200);
    expect((await open()).status).toBe(200);
    await transport.stop();
    app.close();
  }, 30_000);
});
