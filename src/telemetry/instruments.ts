/**
 * OpenTelemetry through its API only: with no SDK registered (the default) every call here is a
 * no-op. A span per tool call, pipeline steps as child spans, cloud operations as client spans,
 * and metrics for calls, decisions, latency, redactions and cloud errors. Attributes carry only
 * what the server decides (tool, status, decision, provider, operation names, counts): never an
 * argument value, an intent, an identity or anything read from a cloud.
 */
import { context, metrics, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from "@opentelemetry/api";
import { PRODUCT_NAME, PRODUCT_VERSION } from "../version.js";

const tracer = () => trace.getTracer(PRODUCT_NAME, PRODUCT_VERSION);

// Instruments are created on first use, so a provider registered at start-up (or in a test) is
// the one they report to.
let instruments: ReturnType<typeof createInstruments> | undefined;
function createInstruments() {
  const meter = metrics.getMeter(PRODUCT_NAME, PRODUCT_VERSION);
  return {
    calls: meter.createCounter("wiam.calls", { description: "tool calls and resource reads, by tool, status and decision" }),
    duration: meter.createHistogram("wiam.call.duration", { description: "time from request to answer", unit: "ms" }),
    decisions: meter.createCounter("wiam.decisions", { description: "policy decisions, by decision" }),
    redactions: meter.createCounter("wiam.redactions", { description: "values redacted, by kind" }),
    cloudOperations: meter.createCounter("wiam.cloud.operations", { description: "cloud read operations, by provider and operation" }),
    cloudErrors: meter.createCounter("wiam.cloud.errors", { description: "calls that failed while reading a cloud, by tool" }),
  };
}
const meters = () => (instruments ??= createInstruments());

/** Forgets the instruments, so the next use binds to the meter provider registered now (tests). */
export function resetTelemetryInstruments(): void {
  instruments = undefined;
}

/** One call's telemetry: its span, its steps, and what is counted when it ends. */
export class CallTelemetry {
  private readonly span: Span;
  private readonly parent: Context;
  private readonly started = performance.now();
  /** The first step that threw: "collect" means reading a cloud (or a snapshot) failed. */
  private failedStep: string | undefined;

  constructor(
    private readonly tool: string,
    entry: string,
    transport: string,
  ) {
    this.span = tracer().startSpan(`wiam.call ${tool}`, { kind: SpanKind.SERVER, attributes: { "wiam.tool": tool, "wiam.entry": entry, "wiam.transport": transport } });
    this.parent = trace.setSpan(context.active(), this.span);
  }

  /** Runs one pipeline step in a child span; a throw marks the step failed and is passed on. */
  async step<T>(name: string, run: (stepContext: Context) => T | Promise<T>): Promise<T> {
    const span = tracer().startSpan(`wiam.${name}`, { attributes: { "wiam.step": name } }, this.parent);
    try {
      return await run(trace.setSpan(this.parent, span));
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: `${name} failed` });
      this.failedStep ??= name;
      throw error;
    } finally {
      span.end();
    }
  }

  /** Cloud reads a collection made (as the call runners count them), as client spans under `parent`. */
  cloudOperations(operations: readonly { provider: string; api: string; count: number }[], parent: Context = this.parent): void {
    for (const op of operations) {
      if (op.provider === "local") continue;
      const attributes: Attributes = { "rpc.system": op.provider, "rpc.method": op.api, "wiam.operation.count": op.count };
      tracer().startSpan(`${op.provider} ${op.api}`, { kind: SpanKind.CLIENT, attributes }, parent).end();
      meters().cloudOperations.add(op.count, { provider: op.provider, operation: op.api });
    }
  }

  decided(decision: string): void {
    this.span.setAttribute("wiam.decision", decision);
    meters().decisions.add(1, { "wiam.tool": this.tool, decision });
  }

  redacted(byKind: Readonly<Record<string, number>>): void {
    for (const [kind, count] of Object.entries(byKind)) if (count > 0) meters().redactions.add(count, { "wiam.tool": this.tool, kind });
  }

  /** Ends the call with the audit record's status ("ok", "error" or "denied"). */
  end(status: string): void {
    const cloudFailed = this.failedStep === "collect";
    const attributes: Attributes = { "wiam.tool": this.tool, status };
    this.span.setAttribute("wiam.status", status);
    if (status === "error") this.span.setStatus({ code: SpanStatusCode.ERROR, message: "the call failed" });
    meters().calls.add(1, attributes);
    meters().duration.record(performance.now() - this.started, { "wiam.tool": this.tool, status });
    if (cloudFailed) meters().cloudErrors.add(1, { "wiam.tool": this.tool });
    this.span.end();
  }
}
