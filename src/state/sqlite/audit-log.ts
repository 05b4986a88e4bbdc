/**
 * The embedded audit log behind the seam: today's SQLite AuditStore (its bounds, busy handling,
 * backlog and durability options unchanged), with group commit. Appends that arrive in the same
 * turn of the event loop (a burst of calls) are written by one transaction; each caller's promise
 * resolves only after that transaction committed, so a call still runs only once its acceptance is
 * on record and durability is what `AuditStore` gives one event.
 */
import type { AuditSigningKey } from "../../audit/signing.js";
import type { AuditAppend, AuditAppendOutcome, AuditStore } from "../../audit/store.js";
import type {
  AuditAcceptance,
  AuditCheckpoint,
  AuditCompletion,
  AuditFilter,
  AuditRecord,
  AuditStats,
  PruneResult,
  VerifyOptions,
  VerifyResult,
} from "../../audit/types.js";
import type { AuditLog } from "../state-store.js";

interface Waiting {
  entry: AuditAppend;
  settle(outcome: AuditAppendOutcome): void;
  fail(error: unknown): void;
}

export class SqliteAuditLog implements AuditLog {
  private waiting: Waiting[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  private closed = false;

  constructor(readonly store: AuditStore) {}

  get pendingEvents(): number {
    return this.store.pendingEvents;
  }

  async accept(acceptance: AuditAcceptance): Promise<string> {
    return this.append({ kind: "accept", acceptance });
  }

  async complete(id: string, completion: AuditCompletion): Promise<void> {
    await this.append({ kind: "complete", id, completion });
  }

  async get(id: string): Promise<AuditRecord | null> {
    return this.store.get(id);
  }

  async tail(n: number): Promise<AuditRecord[]> {
    return this.store.tail(n);
  }

  async search(filter?: AuditFilter): Promise<AuditRecord[]> {
    return this.store.search(filter);
  }

  async *iterate(filter?: AuditFilter): AsyncGenerator<AuditRecord> {
    yield* this.store.iterate(filter);
  }

  async stats(filter?: AuditFilter): Promise<AuditStats> {
    return this.store.stats(filter);
  }

  async verify(options?: VerifyOptions): Promise<VerifyResult> {
    return this.store.verify(options);
  }

  async createCheckpoint(signingKey: AuditSigningKey): Promise<AuditCheckpoint> {
    return this.store.createCheckpoint(signingKey);
  }

  async prune(now?: Date, retentionDays?: number): Promise<PruneResult> {
    return this.store.prune(now, retentionDays);
  }

  /** Writes what is waiting, then closes the database. */
  async close(): Promise<void> {
    this.flush();
    this.closed = true;
    this.store.close();
  }

  private append(entry: AuditAppend): Promise<string> {
    if (this.closed) return Promise.reject(new Error("the audit log is closed (the server is shutting down): this record was not written"));
    return new Promise<string>((resolve, reject) => {
      this.waiting.push({
        entry,
        settle: (outcome) => ("id" in outcome ? resolve(outcome.id) : reject(outcome.error)),
        fail: reject,
      });
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    if (this.scheduled !== null) clearImmediate(this.scheduled);
    this.scheduled = null;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    let outcomes: AuditAppendOutcome[];
    try {
      outcomes = this.store.appendBatch(batch.map((waiting) => waiting.entry));
    } catch (error) {
      for (const waiting of batch) waiting.fail(error);
      return;
    }
    batch.forEach((waiting, index) => waiting.settle(outcomes[index] ?? { error: new Error("the audit log returned no outcome for an append") }));
  }
}
