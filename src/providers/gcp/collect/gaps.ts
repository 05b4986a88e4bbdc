/**
 * Partial results: a read that fails becomes a gap naming the scope and the API, instead of an
 * error that loses everything else or silently missing data. A cancelled task still throws.
 */
import type { CollectionGap } from "../../../model/inventory.js";
import { describeError, gcpErrorFacts, isRetryable } from "../errors.js";
import { GcpWriteRefusedError } from "../read-guard.js";

export class GapRecorder {
  readonly gaps: CollectionGap[] = [];
  /** True when a failure might not recur: the result must not be cached. */
  transientFailure = false;

  constructor(private readonly signal: AbortSignal | undefined) {}

  /** Runs a read; on failure records a gap (`what` says what is missing) and returns undefined. */
  async attempt<T>(source: string, scopeId: string | undefined, what: string, read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (error) {
      this.signal?.throwIfAborted();
      this.record(source, scopeId, `${what}: ${describeError(error)}`, isRetryable(error));
      return undefined;
    }
  }

  record(source: string, scopeId: string | undefined, reason: string, transient = false): void {
    this.gaps.push({ provider: "gcp", ...(scopeId ? { scopeId } : {}), source, reason });
    if (transient) this.transientFailure = true;
  }

  absorb(other: GapRecorder): void {
    this.gaps.push(...other.gaps);
    if (other.transientFailure) this.transientFailure = true;
  }
}

/**
 * HTTP 404, gRPC NOT_FOUND or a google.rpc status NOT_FOUND: the resource went away between list
 * and read. Decided from the error's structured facts only: messages quote cloud-chosen names (a
 * secret or managed folder may be called NOT_FOUND), so text in them proves nothing, and a request
 * the read guard refused was never answered at all.
 */
export function isNotFound(error: unknown): boolean {
  if (error instanceof GcpWriteRefusedError) return false;
  const facts = gcpErrorFacts(error);
  return facts.httpStatus === 404 || facts.grpcCode === 5 || facts.status === "NOT_FOUND";
}
