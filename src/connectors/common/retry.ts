/**
 * Retry timing shared by every cloud connector: exponential backoff with full jitter (delay drawn
 * uniformly from [0, min(cap, base * 2^attempt)]). Each connector decides which of its provider's
 * errors are retryable; the clock and the dice are injectable so tests run instantly.
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

/** A call abandoned by the connector's own per-call timeout (retryable). */
export class CallTimeoutError extends Error {
  constructor(api: string, timeoutMs: number) {
    super(`${api} did not answer within ${timeoutMs} ms`);
    this.name = "CallTimeoutError";
  }
}

/**
 * One try of a call, abandoned after `timeoutMs`: the signal given to `send` aborts on the timeout
 * or when `outer` (the task) is cancelled, and the race guards against clients that ignore it.
 */
export async function attemptWithTimeout<T>(api: string, timeoutMs: number, outer: AbortSignal | undefined, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const forwardAbort = (): void => controller.abort(outer?.reason);
  outer?.addEventListener("abort", forwardAbort, { once: true });
  if (outer?.aborted) controller.abort(outer.reason);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new CallTimeoutError(api, timeoutMs);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([send(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener("abort", forwardAbort);
  }
}
