/**
 * Turns OpenTelemetry on when asked (off by default): WIAM_TELEMETRY=otlp registers the SDK with
 * OTLP/HTTP exporters for traces and metrics. Where they send is the standard OpenTelemetry
 * environment (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS, ...), read by the exporters.
 * The SDK is imported only then, so a server without telemetry never loads it.
 */
import { metrics, trace } from "@opentelemetry/api";
import { UserFacingError } from "../errors.js";
import { PRODUCT_NAME, PRODUCT_VERSION } from "../version.js";
import { resetTelemetryInstruments } from "./instruments.js";

export interface TelemetryHandle {
  /** Sends what is buffered and stops the exporters. */
  shutdown(): Promise<void>;
}

/** Reads WIAM_TELEMETRY: unset, "" or "off" is off; "otlp" exports over OTLP/HTTP. */
export async function startTelemetryFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<TelemetryHandle | null> {
  const setting = (env.WIAM_TELEMETRY ?? "").trim().toLowerCase();
  if (setting === "" || setting === "off") return null;
  if (setting !== "otlp") throw new UserFacingError("config_invalid", `WIAM_TELEMETRY: "${setting.slice(0, 20)}" is not a telemetry mode (use otlp or off)`);
  const [{ BasicTracerProvider, BatchSpanProcessor }, { MeterProvider, PeriodicExportingMetricReader }, { resourceFromAttributes }, { OTLPTraceExporter }, { OTLPMetricExporter }] =
    await Promise.all([
      import("@opentelemetry/sdk-trace-base"),
      import("@opentelemetry/sdk-metrics"),
      import("@opentelemetry/resources"),
      import("@opentelemetry/exporter-trace-otlp-http"),
      import("@opentelemetry/exporter-metrics-otlp-http"),
    ]);
  const resource = resourceFromAttributes({ "service.name": env.OTEL_SERVICE_NAME ?? PRODUCT_NAME, "service.version": PRODUCT_VERSION });
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
  const meterProvider = new MeterProvider({ resource, readers: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter() })] });
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  resetTelemetryInstruments();
  return {
    shutdown: async () => {
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}
