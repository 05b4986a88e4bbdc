/**
 * Partial results: a read that fails becomes a gap naming the scope and the API, instead of an
 * error that loses everything else or silently missing data. A cancelled task still throws.
 */
import type { CollectionGap } from "../../../model/inventory.js";
import { describeError, isRetryable } from "../errors.js";

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

/** HTTP 404 / NOT_FOUND: the resource went away between list and read. */
export function isNotFound(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const record = error as Error & { code?: unknown; status?: unknown };
  return record.status === 404 || record.code === 404 || record.code === 5 || /NOT_FOUND/.test(error.message);
}
