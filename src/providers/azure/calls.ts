/**
 * Every request of every Azure client (Key Vault, ARM, Graph) passes through one pipeline policy,
 * the connector's equivalent of an SDK middleware: it refuses anything that is not an allowlisted
 * read (read-guard.ts), bounds the requests in flight, gives each attempt a timeout, retries 429 (after
 * Retry-After), 5xx, timeouts and dropped connections with jittered backoff, and tallies every
 * attempt per (api, scope) with its request id for the audit record. Each page of a listing is its
 * own request, so a failure on page 300 retries page 300, not the listing.
 *
 * The SDKs' own retry policies are switched off (maxRetries 0) so this is the single place that
 * decides, and tests can inject the clock and the dice.
 */
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from "@azure/core-rest-pipeline";
import type { CloudOperation } from "../../connectors/connector.js";
import { InFlightLimit } from "../../connectors/common/pool.js";
import { CallTimeoutError, attemptWithTimeout, backoffDelayMs, type RetryTiming } from "../../connectors/common/retry.js";
import { OperationTally } from "../../connectors/common/tally.js";
import { routeOf, type ServiceOrigins } from "./read-guard.js";

export const CALL_POLICY_NAME = "wiamReadOnlyCallPolicy";

/** A request the connector would never make: refused before it is sent. */
export class ReadRefusedError extends Error {
  constructor(method: string, url: string) {
    super(`refused ${method} ${new URL(url).origin}${new URL(url).pathname}: not an allowlisted read`);
    this.name = "ReadRefusedError";
  }
}

export interface CallRunnerOptions {
  origins: ServiceOrigins;
  maxAttempts: number;
  callTimeoutMs: number;
  maxConcurrency: number;
  timing: RetryTiming;
  /** Cancels the whole collection. Never retried. */
  signal?: AbortSignal | undefined;
  /** Retry-After above this is not honoured in full (a server asking for minutes would stall the task). */
  maxRetryAfterMs?: number;
}

const TRANSIENT_NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "ENOTFOUND", "REQUEST_SEND_ERROR"]);

function retryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

function isTransientNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === "string" && TRANSIENT_NETWORK_CODES.has(code)) return true;
  return /socket hang up|ECONNRESET|premature close|unexpected end/i.test(error.message);
}

/** Retry-After (seconds or HTTP date) or the millisecond variants Azure services send. */
export function retryAfterMs(response: PipelineResponse, now: number): number | undefined {
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const value = Number(response.headers.get(name));
    if (response.headers.get(name) !== undefined && Number.isFinite(value) && value >= 0) return value;
  }
  const header = response.headers.get("retry-after");
  if (header === undefined) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function requestIdOf(response: PipelineResponse | undefined): string | undefined {
  return response?.headers.get("x-ms-request-id") ?? response?.headers.get("request-id") ?? undefined;
}

export class AzureCallRunner {
  private readonly tallies = new OperationTally("azure", true);
  private readonly slots: InFlightLimit;

  constructor(private readonly options: CallRunnerOptions) {
    this.slots = new InFlightLimit(options.maxConcurrency);
  }

  /** The pipeline policy to add (position perCall) to every client built for this collection. */
  policy(defaultScopeId: string | undefined): PipelinePolicy {
    return {
      name: CALL_POLICY_NAME,
      sendRequest: (request, next) => this.send(request, next, defaultScopeId),
    };
  }

  /** Most requests that were ever in flight at once (for tests of the bound). */
  get peakConcurrency(): number {
    return this.slots.peak;
  }

  private async send(request: PipelineRequest, next: SendRequest, defaultScopeId: string | undefined): Promise<PipelineResponse> {
    const route = routeOf(request.method, request.url, this.options.origins);
    if (!route) throw new ReadRefusedError(request.method, request.url);
    const scopeId = route.scopeOf(new URL(request.url)) ?? defaultScopeId;
    const { maxAttempts, timing, signal } = this.options;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      let response: PipelineResponse | undefined;
      try {
        response = await this.slots.run(() => this.attempt(request, next, route.api));
      } catch (error) {
        this.tallies.add(route.api, scopeId, undefined);
        signal?.throwIfAborted();
        const retryable = error instanceof CallTimeoutError || isTransientNetworkError(error);
        if (!retryable || attempt >= maxAttempts) throw error;
        await timing.sleep(backoffDelayMs(attempt, timing), signal);
        continue;
      }
      this.tallies.add(route.api, scopeId, requestIdOf(response));
      if (!retryableStatus(response.status) || attempt >= maxAttempts) return response;
      const hinted = retryAfterMs(response, Date.now());
      const delay = hinted !== undefined ? Math.min(hinted, this.options.maxRetryAfterMs ?? 60_000) : backoffDelayMs(attempt, timing);
      await timing.sleep(delay, signal);
    }
  }

  /** One try, abandoned (and the socket closed) after callTimeoutMs, the task's cancellation or the caller's. */
  private async attempt(request: PipelineRequest, next: SendRequest, api: string): Promise<PipelineResponse> {
    const original = request.abortSignal;
    const signals = [this.options.signal, original].filter((s): s is AbortSignal => s !== undefined);
    const outer = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    try {
      return await attemptWithTimeout(api, this.options.callTimeoutMs, outer, (signal) => {
        request.abortSignal = signal;
        return next(request);
      });
    } finally {
      request.abortSignal = original;
    }
  }

  /** Calls made so far, one entry per (api, scope), and resets the tally. */
  drainOperations(): CloudOperation[] {
    return this.tallies.drain();
  }
}
