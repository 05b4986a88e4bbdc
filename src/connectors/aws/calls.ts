/**
 * Every AWS call goes through one runner: per-call timeout, cancellation, retries with backoff,
 * and a tally per (api, scope) with the request ids, so the audit record can be joined with
 * CloudTrail. Like an SDK middleware, this is the one place for that cross-cutting work.
 */
import type { CloudOperation } from "../connector.js";
import type { ReadOperation } from "./commands.js";
import { CallTimeoutError, backoffDelayMs, errorFacts, isRetryable, type RetryTiming } from "./retry.js";

export interface CallRunnerOptions {
  maxAttempts: number;
  callTimeoutMs: number;
  timing: RetryTiming;
  /** Cancels the whole collection (the task was cancelled). Never retried. */
  signal?: AbortSignal | undefined;
}

interface Tally {
  api: string;
  scopeId: string | undefined;
  count: number;
  requestIds: string[];
}

function requestIdOf(output: unknown): string | undefined {
  if (typeof output !== "object" || output === null || !("$metadata" in output)) return undefined;
  const metadata = (output as { $metadata?: { requestId?: unknown } }).$metadata;
  return typeof metadata?.requestId === "string" ? metadata.requestId : undefined;
}

export class AwsCallRunner {
  private readonly tallies = new Map<string, Tally>();

  constructor(private readonly options: CallRunnerOptions) {}

  async call<Client, Input, Output>(
    operation: ReadOperation<Client, Input, Output>,
    client: Client,
    input: Input,
    /** The account (or organization) the call reads; undefined when not known yet. */
    scopeId: string | undefined,
  ): Promise<Output> {
    const { maxAttempts, timing, signal } = this.options;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      try {
        const output = await this.attempt(operation, client, input);
        this.tally(operation.api, scopeId, requestIdOf(output));
        return output;
      } catch (error) {
        this.tally(operation.api, scopeId, errorFacts(error).requestId);
        signal?.throwIfAborted();
        if (attempt >= maxAttempts || !isRetryable(error)) throw error;
        await timing.sleep(backoffDelayMs(attempt, timing), signal);
      }
    }
  }

  /** One try, abandoned (and the HTTP request aborted) after callTimeoutMs. */
  private async attempt<Client, Input, Output>(
    operation: ReadOperation<Client, Input, Output>,
    client: Client,
    input: Input,
  ): Promise<Output> {
    const controller = new AbortController();
    const outer = this.options.signal;
    const forwardAbort = (): void => controller.abort(outer?.reason);
    outer?.addEventListener("abort", forwardAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const error = new CallTimeoutError(operation.api, this.options.callTimeoutMs);
        controller.abort(error);
        reject(error);
      }, this.options.callTimeoutMs);
    });
    try {
      // Racing guards against a handler that ignores the abort signal.
      return await Promise.race([operation.send(client, input, controller.signal), timeout]);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener("abort", forwardAbort);
    }
  }

  private tally(api: string, scopeId: string | undefined, requestId: string | undefined): void {
    const key = `${api}\u0000${scopeId ?? ""}`;
    let tally = this.tallies.get(key);
    if (!tally) {
      tally = { api, scopeId, count: 0, requestIds: [] };
      this.tallies.set(key, tally);
    }
    tally.count += 1;
    if (requestId) tally.requestIds.push(requestId);
  }

  /** Calls made so far, one entry per (api, scope), and resets the tally. */
  drainOperations(): CloudOperation[] {
    const operations = [...this.tallies.values()].map(
      (tally): CloudOperation => ({
        provider: "aws",
        api: tally.api,
        ...(tally.scopeId ? { scopeId: tally.scopeId } : {}),
        count: tally.count,
        requestIds: tally.requestIds,
      }),
    );
    this.tallies.clear();
    return operations;
  }
}
