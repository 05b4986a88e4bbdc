/** Counts the cloud calls of a collection per (api, scope), with request ids, for the audit record. */
import type { CloudOperation } from "../connector.js";

interface Tally {
  api: string;
  scopeId: string | undefined;
  count: number;
  requestIds: string[];
}

export class OperationTally {
  private readonly tallies = new Map<string, Tally>();

  constructor(
    private readonly provider: CloudOperation["provider"],
    /** Whether the provider returns request ids (AWS, Azure): then every entry lists them. */
    private readonly withRequestIds: boolean,
  ) {}

  add(api: string, scopeId: string | undefined, requestId?: string | undefined): void {
    const key = `${api}\u0000${scopeId ?? ""}`;
    let tally = this.tallies.get(key);
    if (!tally) {
      tally = { api, scopeId, count: 0, requestIds: [] };
      this.tallies.set(key, tally);
    }
    tally.count += 1;
    if (requestId) tally.requestIds.push(requestId);
  }

  /** Calls counted so far, one entry per (api, scope); resets the tally. */
  drain(): CloudOperation[] {
    const operations = [...this.tallies.values()].map(
      (tally): CloudOperation => ({
        provider: this.provider,
        api: tally.api,
        ...(tally.scopeId ? { scopeId: tally.scopeId } : {}),
        count: tally.count,
        ...(this.withRequestIds ? { requestIds: tally.requestIds } : {}),
      }),
    );
    this.tallies.clear();
    return operations;
  }
}
