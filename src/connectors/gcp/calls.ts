/**
 * Every Google API call goes through one runner: a bound on calls in flight across the whole
 * collection, a per-call timeout, cancellation, retries with jittered backoff, and a tally per
 * (api, scope) for the audit record. Like an SDK middleware, this is the one place for that work.
 */
import type { CloudOperation } from "../connector.js";
import { CallTimeoutError, backoffDelayMs, type RetryTiming } from "../common/retry.js";
import { isRetryable } from "./errors.js";

export interface GcpCallRunnerOptions {
  maxAttempts: number;
  callTimeoutMs: number;
  maxConcurrency: number;
  timing: RetryTiming;
  /** Cancels the whole collection (the task was cancelled). Never retried. */
  signal?: AbortSignal | undefined;
}

/** What one attempt receives: abort it on timeout or cancellation, and the timeout to pass on. */
export interface AttemptOptions {
  signal: AbortSignal;
  timeoutMs: number;
}

export class GcpCallRunner {
  private readonly tallies = new Map<string, { api: string; scopeId: string | undefined; count: number }>();
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly options: GcpCallRunnerOptions) {}

  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  async call<T>(api: string, scopeId: string | undefined, send: (attempt: AttemptOptions) => Promise<T>): Promise<T> {
    const { maxAttempts, timing, signal } = this.options;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      try {
        const result = await this.withSlot(() => this.attempt(api, send));
        this.tally(api, scopeId);
        return result;
      } catch (error) {
        this.tally(api, scopeId);
        signal?.throwIfAborted();
        if (attempt >= maxAttempts || !isRetryable(error)) throw error;
        await timing.sleep(backoffDelayMs(attempt, timing), signal);
      }
    }
  }

  /** Pages through a list call: `page(token)` returns the items and the next page token. */
  async paginate<Item>(
    api: string,
    scopeId: string | undefined,
    page: (pageToken: string | undefined, attempt: AttemptOptions) => Promise<{ items: Item[]; nextPageToken: string | undefined }>,
  ): Promise<Item[]> {
    const items: Item[] = [];
    const seen = new Set<string>();
    let token: string | undefined;
    do {
      const current = token;
      const result = await this.call(api, scopeId, (attempt) => page(current, attempt));
      items.push(...result.items);
      token = result.nextPageToken || undefined;
      // A server repeating a token would loop forever; stop and let the caller see what it got.
      if (token !== undefined && seen.has(token)) throw new Error(`${api} returned the page token ${token} twice`);
      if (token !== undefined) seen.add(token);
    } while (token !== undefined);
    return items;
  }

  private async withSlot<T>(work: () => Promise<T>): Promise<T> {
    while (this.inFlight >= this.options.maxConcurrency) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.inFlight++;
    try {
      return await work();
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }

  /** One try, abandoned (and its HTTP request aborted) after callTimeoutMs. */
  private async attempt<T>(api: string, send: (attempt: AttemptOptions) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const outer = this.options.signal;
    const forwardAbort = (): void => controller.abort(outer?.reason);
    outer?.addEventListener("abort", forwardAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const error = new CallTimeoutError(api, this.options.callTimeoutMs);
        controller.abort(error);
        reject(error);
      }, this.options.callTimeoutMs);
    });
    try {
      // Racing guards against a client that ignores the abort signal (gax calls take no signal).
      return await Promise.race([send({ signal: controller.signal, timeoutMs: this.options.callTimeoutMs }), timeout]);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener("abort", forwardAbort);
    }
  }

  private tally(api: string, scopeId: string | undefined): void {
    const key = `${api}\u0000${scopeId ?? ""}`;
    const tally = this.tallies.get(key);
    if (tally) tally.count += 1;
    else this.tallies.set(key, { api, scopeId, count: 1 });
  }

  /** Calls made so far, one entry per (api, scope), and resets the tally. */
  drainOperations(): CloudOperation[] {
    const operations = [...this.tallies.values()].map(
      (tally): CloudOperation => ({ provider: "gcp", api: tally.api, ...(tally.scopeId ? { scopeId: tally.scopeId } : {}), count: tally.count }),
    );
    this.tallies.clear();
    return operations;
  }
}
