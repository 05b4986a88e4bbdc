/**
 * Retry policy for AWS calls: exponential backoff with full jitter (delay drawn uniformly from
 * [0, min(cap, base * 2^attempt)]), applied only to failures that a later attempt can fix.
 * The SDK's own retries are switched off (maxAttempts 1) so this is the single place that decides,
 * and so tests can inject the clock and the dice.
 */

export interface RetryTiming {
  baseDelayMs: number;
  maxDelayMs: number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Uniform in [0, 1). */
  random(): number;
}

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    function onAbort(): void {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export const DEFAULT_RETRY_TIMING: RetryTiming = {
  baseDelayMs: 200,
  maxDelayMs: 20_000,
  sleep: defaultSleep,
  random: Math.random,
};

/** Delay before retry number `attempt` (1 = first retry). */
export function backoffDelayMs(attempt: number, timing: Pick<RetryTiming, "baseDelayMs" | "maxDelayMs" | "random">): number {
  const ceiling = Math.min(timing.maxDelayMs, timing.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(timing.random() * ceiling);
}

const THROTTLING_CODES = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
  "PriorRequestNotComplete",
]);

const TRANSIENT_NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN"]);

export interface ErrorFacts {
  name: string;
  code: string | undefined;
  httpStatus: number | undefined;
  requestId: string | undefined;
  message: string;
}

/** Reads the fields SDK v3 errors carry without trusting their shape. */
export function errorFacts(error: unknown): ErrorFacts {
  if (!(error instanceof Error)) return { name: "Error", code: undefined, httpStatus: undefined, requestId: undefined, message: String(error) };
  const record = error as Error & {
    Code?: unknown;
    code?: unknown;
    $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
  };
  const code = typeof record.Code === "string" ? record.Code : typeof record.code === "string" ? record.code : undefined;
  const httpStatus = typeof record.$metadata?.httpStatusCode === "number" ? record.$metadata.httpStatusCode : undefined;
  const requestId = typeof record.$metadata?.requestId === "string" ? record.$metadata.requestId : undefined;
  return { name: error.name, code, httpStatus, requestId, message: error.message };
}

export class CallTimeoutError extends Error {
  constructor(api: string, timeoutMs: number) {
    super(`${api} did not answer within ${timeoutMs} ms`);
    this.name = "CallTimeoutError";
  }
}

/** True for failures a later attempt may not see: throttling, 5xx, timeouts, dropped connections. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof CallTimeoutError) return true;
  const facts = errorFacts(error);
  if (THROTTLING_CODES.has(facts.name) || (facts.code !== undefined && THROTTLING_CODES.has(facts.code))) return true;
  if (facts.httpStatus !== undefined) return facts.httpStatus >= 500 || facts.httpStatus === 429;
  if (facts.code !== undefined && TRANSIENT_NETWORK_CODES.has(facts.code)) return true;
  // A response cut short fails while parsing or with a premature close: the request itself was fine.
  return /socket hang up|premature close|aborted|unexpected end|deserializ|parse/i.test(facts.message);
}

export function isThrottling(error: unknown): boolean {
  const facts = errorFacts(error);
  return THROTTLING_CODES.has(facts.name) || (facts.code !== undefined && THROTTLING_CODES.has(facts.code));
}

/** A short, stable description for gaps (messages may carry ARNs; the pipeline redacts output). */
export function describeError(error: unknown): string {
  const facts = errorFacts(error);
  const status = facts.httpStatus !== undefined ? ` (HTTP ${facts.httpStatus})` : "";
  const label = facts.code && facts.code !== facts.name ? `${facts.name}/${facts.code}` : facts.name;
  return `${label}${status}: ${facts.message}`;
}
