/** The built server over stdio, fed raw lines: oversized and malformed requests get JSON-RPC errors and the session goes on. */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDataDir } from "./fixtures/mcp.js";

const CLI = new URL("../dist/src/cli/main.js", import.meta.url).pathname;

describe("stdio request limits (built server)", () => {
  let child: ChildProcessWithoutNullStreams;
  const replies = new Map<string, (message: Record<string, unknown>) => void>();
  const unsolicited: Record<string, unknown>[] = [];

  const send = (line: string) => child.stdin.write(`${line}\n`);
  const reply = (id: number | string | null) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const early = unsolicited.findIndex((m) => m.id === id);
      if (early >= 0) resolve(unsolicited.splice(early, 1)[0] ?? {});
      else replies.set(JSON.stringify(id), resolve);
    });

  beforeAll(async () => {
    child = spawn(process.execPath, [CLI, "serve"], { env: { PATH: process.env.PATH ?? "", WIAM_DATA_DIR: tempDataDir() } });
    createInterface({ input: child.stdout }).on("line", (line) => {
      const message = JSON.parse(line) as Record<string, unknown>;
      const waiting = replies.get(JSON.stringify(message.id ?? null));
      if (!waiting) {
        unsolicited.push(message);
        return;
      }
      replies.delete(JSON.stringify(message.id ?? null));
      waiting(message);
    });
    const initialized = reply(1);
    send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } }));
    expect((await initialized).result).toBeDefined();
    send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
  });

  afterAll(() => {
    child?.kill("SIGTERM");
  });

  it("answers a request over 10 MiB with an error carrying its id, then keeps serving", async () => {
    // The SDK client writes the id last, after the params: the server finds it in the line's tail.
    const huge = JSON.stringify({ method: "tools/call", params: { name: "inventory_summary", arguments: { intent: "x".repeat(11 * 1024 * 1024) } }, jsonrpc: "2.0", id: 7 });
    const refused = reply(7);
    send(huge);
    expect(await refused).toEqual({ jsonrpc: "2.0", id: 7, error: { code: -32600, message: "request too large: over 10485760 bytes; nothing was run. Send a smaller request" } });

    const pong = reply(8);
    send(JSON.stringify({ jsonrpc: "2.0", id: 8, method: "ping" }));
    expect(await pong).toEqual({ jsonrpc: "2.0", id: 8, result: {} });
  }, 60_000);

  it("answers a line that is not JSON, and one that is not JSON-RPC, with errors", async () => {
    const parse = reply(null);
    send("{not json");
    expect(await parse).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error: the line is not JSON" } });
    const invalid = reply(9);
    send(JSON.stringify({ id: 9, hello: "world" }));
    expect(await invalid).toEqual({ jsonrpc: "2.0", id: 9, error: { code: -32600, message: "invalid request: not a JSON-RPC 2.0 message" } });
    const pong = reply(10);
    send(JSON.stringify({ jsonrpc: "2.0", id: 10, method: "ping" }));
    expect(await pong).toEqual({ jsonrpc: "2.0", id: 10, result: {} });
  }, 30_000);
});
