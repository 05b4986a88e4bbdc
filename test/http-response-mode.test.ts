/**
 * The per-session answer mode: a request that may need a mid-call message never shares the SDK
 * transport with plain JSON answers in flight, and does not starve behind new ones.
 */
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { describe, expect, it } from "vitest";
import { asksForProgress, ResponseModeSwitch } from "../src/http/response-mode.js";

describe("ResponseModeSwitch", () => {
  it("answers JSON-able requests in JSON, and makes a streaming request wait until the JSON ones are done", async () => {
    const modes = new ResponseModeSwitch(new StreamableHTTPServerTransport({ sessionIdGenerator: () => "s-1" }));
    expect(await modes.begin(true)).toBe("json");
    expect(await modes.begin(true)).toBe("json");
    const order: string[] = [];
    const streaming = modes.begin(false).then((mode) => order.push(`stream:${mode}`));
    // A JSON-able request arriving now queues behind the waiting one instead of overtaking it.
    const later = modes.begin(true).then((mode) => order.push(`later:${mode}`));
    await Promise.resolve();
    expect(order).toEqual([]);
    modes.done();
    await Promise.resolve();
    expect(order).toEqual([]);
    modes.done();
    await Promise.all([streaming, later]);
    expect(order).toEqual(["stream:sse", "later:sse"]);
    modes.done();
    modes.done();
    expect(await modes.begin(true)).toBe("json");
  });

  it("finds a progress token in a single request or a batch", () => {
    expect(asksForProgress({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "x" } })).toBe(false);
    expect(asksForProgress({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "x", _meta: { progressToken: 0 } } })).toBe(true);
    expect(asksForProgress([{ jsonrpc: "2.0", method: "notifications/initialized" }, { jsonrpc: "2.0", id: 2, method: "tools/call", params: { _meta: { progressToken: "t" } } }])).toBe(true);
  });
});
