/**
 * OpenTelemetry, exported to memory: a span per call with the pipeline's steps as children and
 * cloud reads as client spans, metrics for calls, decisions, latency, redactions and cloud errors,
 * and no attribute that carries an argument, an intent or anything read from a cloud.
 */
import { metrics, SpanKind, trace } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { MeterProvider, MetricReader, type MetricData } from "@opentelemetry/sdk-metrics";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CollectContext, Connector } from "../src/connectors/connector.js";
import { buildDemoEstate, DEMO_ANCHORS } from "../src/connectors/demo/index.js";
import { resetTelemetryInstruments } from "../src/telemetry/instruments.js";
import { startTelemetryFromEnv } from "../src/telemetry/setup.js";
import { connect, type Connected } from "./fixtures/mcp.js";

class MemoryReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

const spans = new InMemorySpanExporter();
let reader: MemoryReader;
let session: Connected | undefined;

beforeAll(() => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
});
afterAll(() => {
  trace.disable();
  metrics.disable();
});
beforeEach(() => {
  spans.reset();
  reader = new MemoryReader();
  metrics.disable();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  resetTelemetryInstruments();
});
afterEach(async () => {
  await session?.close();
  session = undefined;
});

async function collected(): Promise<Map<string, MetricData>> {
  const { resourceMetrics } = await reader.collect();
  return new Map(resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).map((metric) => [metric.descriptor.name, metric]));
}

function points(metric: MetricData | undefined): { attributes: Record<string, unknown>; value: unknown }[] {
  return (metric?.dataPoints ?? []).map((point) => ({ attributes: { ...point.attributes }, value: point.value }));
}

/** A live provider's stand-in: records the cloud reads a real connector would, or fails. */
function liveConnector(fail: boolean): Connector {
  return {
    id: "aws",
    description: "a live provider's stand-in",
    async collect(context: CollectContext) {
      context.recordOperation({ provider: "aws", api: "iam:ListRoles", count: 3 });
      if (fail) throw new Error("AccessDenied for arn:aws:iam::222222222222:role/wiam-reader");
      return { ...buildDemoEstate(context.now), demo: false };
    },
  };
}

const SECRET_INTENT = "check expiry before the incident review INTENT-MARKER";

describe("OpenTelemetry", () => {
  it("traces a call as one span with the pipeline steps and cloud reads beneath it", async () => {
    session = await connect({}, { connectors: [liveConnector(false)] });
    const result = await session.client.callTool({ name: "find_expiring_credentials", arguments: { intent: SECRET_INTENT, scope: "aws:account/222222222222", limit: 2 } });
    expect(result.isError).toBeFalsy();

    const finished = spans.getFinishedSpans();
    const root = finished.find((s) => s.name === "wiam.call find_expiring_credentials");
    if (!root) throw new Error("no call span");
    expect(root.kind).toBe(SpanKind.SERVER);
    expect(root.attributes).toEqual({
      "wiam.tool": "find_expiring_credentials",
      "wiam.entry": "tools/call",
      "wiam.transport": "in-memory",
      "wiam.decision": "allow",
      "wiam.status": "ok",
    });
    const children = finished.filter((s) => s.parentSpanContext?.spanId === root.spanContext().spanId);
    expect(children.map((s) => s.name)).toEqual(["wiam.govern", "wiam.collect", "wiam.run", "wiam.review", "wiam.redact"]);
    const collect = children.find((s) => s.name === "wiam.collect");
    const cloud = finished.find((s) => s.kind === SpanKind.CLIENT);
    expect(cloud?.name).toBe("aws iam:ListRoles");
    expect(cloud?.parentSpanContext?.spanId).toBe(collect?.spanContext().spanId);
    expect(cloud?.attributes).toEqual({ "rpc.system": "aws", "rpc.method": "iam:ListRoles", "wiam.operation.count": 3 });

    // Attributes are the server's words only: no intent, no argument, no id read from a cloud.
    const values = JSON.stringify(finished.map((s) => s.attributes));
    for (const leak of ["INTENT-MARKER", "222222222222", "incident"]) expect(values).not.toContain(leak);

    const measured = await collected();
    expect(points(measured.get("wiam.calls"))).toEqual([{ attributes: { "wiam.tool": "find_expiring_credentials", status: "ok" }, value: 1 }]);
    expect(points(measured.get("wiam.decisions"))).toEqual([{ attributes: { "wiam.tool": "find_expiring_credentials", decision: "allow" }, value: 1 }]);
    expect(points(measured.get("wiam.cloud.operations"))).toEqual([{ attributes: { provider: "aws", operation: "iam:ListRoles" }, value: 3 }]);
    expect(points(measured.get("wiam.call.duration"))[0]?.attributes).toEqual({ "wiam.tool": "find_expiring_credentials", status: "ok" });
  });

  it("counts redactions by kind, denials by decision, and calls that failed reading a cloud", async () => {
    session = await connect({ tools: { deny: ["list_identities"] } });
    const [planted] = DEMO_ANCHORS.plantedSecrets;
    if (!planted) throw new Error("no planted secret");
    await session.client.callTool({ name: "describe_identity", arguments: { intent: "look at the legacy exporter", principal: planted.entityId } });
    const denied = await session.client.callTool({ name: "list_identities", arguments: { intent: "list everything for the review" } });
    expect(denied.isError).toBe(true);
    await session.close();
    session = await connect({}, { connectors: [liveConnector(true)] });
    const failed = await session.client.callTool({ name: "inventory_summary", arguments: { intent: "summary while the cloud refuses" } });
    expect(failed.isError).toBe(true);

    const measured = await collected();
    expect(points(measured.get("wiam.redactions"))).toEqual([{ attributes: { "wiam.tool": "describe_identity", kind: "password_assignment" }, value: 1 }]);
    expect(points(measured.get("wiam.calls"))).toEqual([
      { attributes: { "wiam.tool": "describe_identity", status: "ok" }, value: 1 },
      { attributes: { "wiam.tool": "list_identities", status: "denied" }, value: 1 },
      { attributes: { "wiam.tool": "inventory_summary", status: "error" }, value: 1 },
    ]);
    expect(points(measured.get("wiam.cloud.errors"))).toEqual([{ attributes: { "wiam.tool": "inventory_summary" }, value: 1 }]);
    const values = JSON.stringify(spans.getFinishedSpans().map((s) => s.attributes));
    expect(values).not.toContain("AccessDenied");
    expect(values).not.toContain(planted.entityId);
  });

  it("is off unless WIAM_TELEMETRY asks, and names a wrong mode", async () => {
    await expect(startTelemetryFromEnv({})).resolves.toBeNull();
    await expect(startTelemetryFromEnv({ WIAM_TELEMETRY: "off" })).resolves.toBeNull();
    await expect(startTelemetryFromEnv({ WIAM_TELEMETRY: "zipkin" })).rejects.toThrow('WIAM_TELEMETRY: "zipkin" is not a telemetry mode (use otlp or off)');
  });
});
