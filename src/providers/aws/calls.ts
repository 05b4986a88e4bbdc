/**
 * Every AWS call goes through one runner: per-call timeout, cancellation, retries with backoff,
 * and a tally per (api, scope) with the request ids, so the audit record can be joined with
 * CloudTrail. Like an SDK middleware, this is the one place for that cross-cutting work.
 */
import type { CloudOperation } from "../../connectors/connector.js";
import type { ReadOperation } from "./reads.js";
import { attemptWithTimeout } from "../../connectors/common/retry.js";
import { OperationTally } from "../../connectors/common/tally.js";
import { backoffDelayMs, errorFacts, isRetryable, type RetryTiming } from "./errors.js";

export interface CallRunnerOptions {
  maxAttempts: number;
  callTimeoutMs: number;
  timing: RetryTiming;
  /** Cancels the whole collection (the task was cancelled). Never retried. */
  signal?: AbortSignal | undefined;
}

function requestIdOf(output: unknown): string | undefined {
  if (typeof output !== "object" || output === null || !("$metadata" in output)) return undefined;
  const metadata = (output as { $metadata?: { requestId?: unknown } }).$metadata;
  return typeof metadata?.requestId === "string" ? metadata.requestId : undefined;
}

export class AwsCallRunner {
  private readonly tallies = new OperationTally("aws", true);

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
        this.tallies.add(operation.api, scopeId, requestIdOf(output));
        return output;
      } catch (error) {
        this.tallies.add(operation.api, scopeId, errorFacts(error).requestId);
        signal?.throwIfAborted();
        if (attempt >= maxAttempts || !isRetryable(error)) throw error;
        await timing.sleep(backoffDelayMs(attempt, timing), signal);
      }
    }
  }

  /** One try, abandoned (and the HTTP request aborted) after callTimeoutMs. */
  private attempt<Client, Input, Output>(operation: ReadOperation<Client, Input, Output>, client: Client, input: Input): Promise<Output> {
    return attemptWithTimeout(operation.api, this.options.callTimeoutMs, this.options.signal, (signal) => operation.send(client, input, signal));
  }

  /** Calls made so far, one entry per (api, scope), and resets the tally. */
  drainOperations(): CloudOperation[] {
    return this.tallies.drain();
  }
}
