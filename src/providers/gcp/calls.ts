/**
 * Every Google API call goes through one runner: a bound on calls in flight across the whole
 * collection, a per-call timeout, cancellation, retries with jittered backoff, and a tally per
 * (api, scope) for the audit record. Like an SDK middleware, this is the one place for that work.
 */
import type { CloudOperation } from "../../connectors/connector.js";
import { InFlightLimit } from "../../connectors/common/pool.js";
import { attemptWithTimeout, backoffDelayMs, type RetryTiming } from "../../connectors/common/retry.js";
import { OperationTally } from "../../connectors/common/tally.js";
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
  private readonly tallies = new OperationTally("gcp", false);
  private readonly slots: InFlightLimit;

  constructor(private readonly options: GcpCallRunnerOptions) {
    this.slots = new InFlightLimit(options.maxConcurrency);
  }

  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  async call<T>(api: string, scopeId: string | undefined, send: (attempt: AttemptOptions) => Promise<T>): Promise<T> {
    const { maxAttempts, timing, signal } = this.options;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      try {
        const result = await this.slots.run(() => this.attempt(api, send));
        this.tallies.add(api, scopeId);
        return result;
      } catch (error) {
        this.tallies.add(api, scopeId);
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
    return (await this.paginateUpTo(api, scopeId, Number.POSITIVE_INFINITY, page)).items;
  }

  /** The pages until `maxItems` are in; `complete` is false when more pages were left unread. */
  async paginateUpTo<Item>(
    api: string,
    scopeId: string | undefined,
    maxItems: number,
    page: (pageToken: string | undefined, attempt: AttemptOptions) => Promise<{ items: Item[]; nextPageToken: string | undefined }>,
  ): Promise<{ items: Item[]; complete: boolean }> {
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
      if (token !== undefined && items.length >= maxItems) return { items, complete: false };
    } while (token !== undefined);
    return { items, complete: true };
  }

  /** One try, abandoned (and its HTTP request aborted) after callTimeoutMs; gax calls take no signal, hence the race inside. */
  private attempt<T>(api: string, send: (attempt: AttemptOptions) => Promise<T>): Promise<T> {
    const timeoutMs = this.options.callTimeoutMs;
    return attemptWithTimeout(api, timeoutMs, this.options.signal, (signal) => send({ signal, timeoutMs }));
  }

  /** Calls made so far, one entry per (api, scope), and resets the tally. */
  drainOperations(): CloudOperation[] {
    return this.tallies.drain();
  }
}
