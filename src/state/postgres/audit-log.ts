/**
 * The audit log in PostgreSQL: the same events, bodies and hashes as the SQLite store (one call
 * hashes the same bytes in either), kept as ONE linear chain however many replicas append.
 *
 * Serialising appends: a head row (`wiam_audit_head`: seq and hash of the last event) is locked
 * with SELECT ... FOR UPDATE in the transaction that inserts the events and moves it, so two
 * replicas never read the same head and `seq`/`prev_hash` never fork. A replica that waits longer
 * than `lockTimeoutMs` for it gets a clear error (the call is refused), not a hang.
 *
 * Group commit: appends arriving while a transaction is in flight wait and go together in the next
 * one (one INSERT of many rows). Each append's promise resolves only after the transaction holding
 * it committed, so an acceptance is as durable as if it had its own transaction (the server's
 * `synchronous_commit` decides what that means: by default, flushed to the WAL on disk), and a call
 * still runs only once its acceptance is on record. Batching only amortises the round trips and the
 * WAL flush over the calls that arrived together.
 *
 * When the database is unreachable or read-only, an acceptance fails (StateUnavailableError: the
 * pipeline refuses the call) and is remembered as a refusal; a completion (its call already ran and
 * answered) is kept. Both are written first once the database answers again (bounded in memory).
 */
import type pg from "pg";
import { eventHash, GENESIS_HASH, ChainWalker, type ChainAnchor, type ChainEvent, type EventKind } from "../../audit/chain.js";
import { acceptBodyOf, completeBodyOf, refusalEventsOf, serializeEvent } from "../../audit/event-bodies.js";
import { newRecordId } from "../../audit/record-id.js";
import { isoTime, summarize, toChainEvent, toRecord, type CallRow, type EventRow, type StatsRow } from "../../audit/records.js";
import type { AcceptBody, CompleteBody, PruneBody } from "../../audit/schema.js";
import { signCheckpoint, type AuditSigningKey } from "../../audit/signing.js";
import type {
  AuditAcceptance,
  AuditCheckpoint,
  AuditCompletion,
  AuditFilter,
  AuditRecord,
  AuditStats,
  PruneResult,
  ResponseBodyMode,
  VerifyOptions,
  VerifyResult,
} from "../../audit/types.js";
import { describePostgresFailure, isPostgresUnavailable, StateUnavailableError } from "../errors.js";
import { migratePostgres } from "../migrations.js";
import { checkOut, type CheckedOutClient } from "./connection.js";
import type { AuditLog, Migration } from "../state-store.js";

const DEFAULT_SEARCH_LIMIT = 100;
/** Events kept in memory while the database is away; beyond this, refusals are not queued. */
const MAX_BACKLOG_EVENTS = 10_000;
/** Rows per INSERT: large enough to absorb a burst, small enough to keep one statement short. */
const DEFAULT_MAX_BATCH = 512;
const PAGE_ROWS = 2_000;

export const AUDIT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "audit events (hash chain), head row, retention anchor, calls view",
    sql: `
CREATE TABLE wiam_audit_events (
  seq BIGINT PRIMARY KEY,
  kind TEXT NOT NULL,
  call_id TEXT NOT NULL,
  at TEXT NOT NULL,
  body TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  tool TEXT GENERATED ALWAYS AS (CASE WHEN kind = 'accept' THEN body::jsonb ->> 'tool' END) STORED,
  caller TEXT GENERATED ALWAYS AS (CASE WHEN kind = 'accept' THEN body::jsonb ->> 'caller' END) STORED,
  task_id TEXT GENERATED ALWAYS AS (CASE WHEN kind = 'accept' THEN body::jsonb ->> 'taskId' END) STORED,
  session_id TEXT GENERATED ALWAYS AS (CASE WHEN kind = 'accept' THEN body::jsonb ->> 'sessionId' END) STORED,
  status TEXT GENERATED ALWAYS AS (CASE WHEN kind = 'complete' THEN body::jsonb ->> 'status' END) STORED
);
CREATE UNIQUE INDEX wiam_audit_events_call ON wiam_audit_events (call_id, kind);
CREATE INDEX wiam_audit_events_accepted_at ON wiam_audit_events (at) WHERE kind = 'accept';
CREATE TABLE wiam_audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq BIGINT NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO wiam_audit_head (id, seq, hash) VALUES (1, 0, '${GENESIS_HASH}');
CREATE TABLE wiam_audit_anchor (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq BIGINT NOT NULL,
  prev_hash TEXT NOT NULL
);
CREATE VIEW wiam_audit_calls AS
SELECT a.call_id AS id, a.seq AS seq, a.at AS accepted_at, a.body AS accept_body,
       a.prev_hash AS prev_hash, a.hash AS hash,
       a.tool AS tool, a.caller AS caller, a.task_id AS task_id, a.session_id AS session_id,
       c.seq AS completion_seq, c.at AS completed_at, c.body AS completion_body, c.hash AS completion_hash,
       coalesce(c.status, 'accepted') AS status
FROM wiam_audit_events a
LEFT JOIN wiam_audit_events c ON c.call_id = a.call_id AND c.kind = 'complete'
WHERE a.kind = 'accept';
`,
  },
];

export interface PostgresAuditLogOptions {
  responseBody: ResponseBodyMode;
  retentionDays?: number | undefined;
  now?: (() => Date) | undefined;
  /** Applied to every record read back (review output redacts stored data fields). */
  redactRecord?: ((record: AuditRecord) => AuditRecord) | undefined;
  /** Defensive second redaction over each data field before it is written. */
  redactText?: ((text: string) => string) | undefined;
  /** Most events written by one transaction. */
  maxBatch?: number | undefined;
}

interface PendingEvent {
  kind: EventKind;
  callId: string;
  at: string;
  body: string;
}

interface QueuedEvent extends PendingEvent {
  resolve(): void;
  reject(error: Error): void;
}

interface Head {
  seq: number;
  hash: string;
}

export class PostgresAuditLog implements AuditLog {
  private readonly now: () => Date;
  private readonly maxBatch: number;
  private readonly queue: QueuedEvent[] = [];
  /** Events owed to the chain from a time the database was away: written before anything new. */
  private readonly backlog: PendingEvent[] = [];
  /** Calls this process accepted and has not completed: their completion needs no lookup. */
  private readonly openCalls = new Set<string>();
  /** Set and cleared synchronously around the drain loop, so an append never waits on a loop that has exited. */
  private draining = false;
  /** Told of each write's outcome: null on success, the error when the database was away. */
  private availability: (error: unknown) => void = () => undefined;
  private drained: Promise<void> = Promise.resolve();

  private constructor(
    private readonly pool: pg.Pool,
    private readonly options: PostgresAuditLogOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
  }

  /** Applies the audit migrations (once across replicas) and returns the log. */
  static async open(pool: pg.Pool, options: PostgresAuditLogOptions): Promise<PostgresAuditLog> {
    await migratePostgres(pool, "audit", AUDIT_MIGRATIONS);
    return new PostgresAuditLog(pool, options);
  }

  /** The store's health follows the writes: see PostgresStateStore. */
  onAvailability(listener: (error: unknown) => void): void {
    this.availability = listener;
  }

  get pendingEvents(): number {
    return this.backlog.length;
  }

  async accept(acceptance: AuditAcceptance): Promise<string> {
    const at = this.now();
    const id = newRecordId(at);
    const body = acceptBodyOf(acceptance);
    try {
      await this.enqueue("accept", id, at.toISOString(), this.serialize(body));
    } catch (error) {
      if (error instanceof StateUnavailableError) this.queueRefusal(id, at, body, error);
      throw error;
    }
    this.openCalls.add(id);
    return id;
  }

  async complete(id: string, completion: AuditCompletion): Promise<void> {
    const text = this.serialize(completeBodyOf(completion, this.options.responseBody));
    const at = this.now().toISOString();
    try {
      await this.enqueue("complete", id, at, text);
    } catch (error) {
      // The call has run and its answer is on its way: its outcome is written once the database answers.
      if (!(error instanceof StateUnavailableError) || this.backlog.length >= MAX_BACKLOG_EVENTS) throw error;
      this.backlog.push({ kind: "complete", callId: id, at, body: text });
    } finally {
      this.openCalls.delete(id);
    }
  }

  async get(id: string): Promise<AuditRecord | null> {
    const result = await this.read<CallRow>("SELECT * FROM wiam_audit_calls WHERE id = $1", [id]);
    const row = result.rows[0];
    return row === undefined ? null : this.readRecord(row);
  }

  async tail(n: number): Promise<AuditRecord[]> {
    return (await this.search({ limit: n, order: "desc" })).reverse();
  }

  async search(filter: AuditFilter = {}): Promise<AuditRecord[]> {
    const { where, params } = whereClause(filter);
    const order = filter.order === "asc" ? "ASC" : "DESC";
    params.push(filter.limit ?? DEFAULT_SEARCH_LIMIT);
    const result = await this.read<CallRow>(`SELECT * FROM wiam_audit_calls ${where} ORDER BY seq ${order} LIMIT $${params.length}`, params);
    return result.rows.map((row) => this.readRecord(row));
  }

  /** Pages through matching calls by seq (keyset), so an export of any size holds one page at a time. */
  async *iterate(filter: AuditFilter = {}): AsyncGenerator<AuditRecord> {
    const descending = filter.order === "desc";
    let remaining = filter.limit ?? Number.POSITIVE_INFINITY;
    let after: number | null = null;
    while (remaining > 0) {
      const { where, params } = whereClause(filter);
      const conditions = where === "" ? [] : [where.slice("WHERE ".length)];
      if (after !== null) {
        params.push(after);
        conditions.push(`seq ${descending ? "<" : ">"} $${params.length}`);
      }
      params.push(Math.min(PAGE_ROWS, remaining));
      const sql = `SELECT * FROM wiam_audit_calls ${conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : ""} ORDER BY seq ${descending ? "DESC" : "ASC"} LIMIT $${params.length}`;
      const rows = (await this.read<CallRow>(sql, params)).rows;
      for (const row of rows) yield this.readRecord(row);
      if (rows.length < PAGE_ROWS) return;
      remaining -= rows.length;
      after = rows.at(-1)?.seq ?? null;
    }
  }

  async stats(filter: AuditFilter = {}): Promise<AuditStats> {
    const { where, params } = whereClause(filter);
    const result = await this.read<StatsRow>(
      `SELECT tool, status, accept_body::jsonb ->> 'decision' AS decision,
              (completion_body::jsonb ->> 'durationMs')::float8 AS duration_ms,
              (completion_body::jsonb -> 'redactionFindings')::text AS findings,
              (SELECT sum((value ->> 'count')::float8) FROM jsonb_array_elements(completion_body::jsonb -> 'cloudOperations')) AS cloud_operations,
              accepted_at
       FROM wiam_audit_calls ${where} ORDER BY seq ASC`,
      params,
    );
    return summarize(result.rows);
  }

  /**
   * Walks the chain in one snapshot (REPEATABLE READ), so replicas appending meanwhile do not
   * show as a break. Also checks the head row: events deleted from the end while the head row
   * still names them show as missing even without a checkpoint.
   */
  async verify(options: VerifyOptions = {}): Promise<VerifyResult> {
    const checkedOut = await this.connect("the audit log could not be read", "nothing was verified");
    const client = checkedOut.client;
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const anchorRow = (await client.query<{ seq: number; prev_hash: string }>("SELECT seq, prev_hash FROM wiam_audit_anchor WHERE id = 1")).rows[0];
      const head = (await client.query<Head>("SELECT seq, hash FROM wiam_audit_head WHERE id = 1")).rows[0];
      const anchor: ChainAnchor | null = anchorRow === undefined ? null : { seq: anchorRow.seq, prevHash: anchorRow.prev_hash };
      // Page by page through the walker, so verifying a long log holds one page, not the log.
      const walker = new ChainWalker(anchor, options.checkpoints ?? [], options.trustedPublicKeys);
      let after = -1;
      for (let going = true; going; ) {
        const page = await client.query<EventRow>(
          "SELECT seq, kind, call_id, at, body, prev_hash, hash FROM wiam_audit_events WHERE seq > $1 ORDER BY seq ASC LIMIT $2",
          [after, PAGE_ROWS * 5],
        );
        for (const row of page.rows) {
          if (!walker.push(toChainEvent(row))) {
            going = false;
            break;
          }
        }
        if (page.rows.length < PAGE_ROWS * 5) break;
        after = page.rows.at(-1)?.seq ?? after;
      }
      // Which event a broken back link names (moved or forged), read in the same snapshot.
      const dangling = walker.danglingLink;
      const linked = dangling === null ? undefined : (await client.query<{ seq: number }>("SELECT seq FROM wiam_audit_events WHERE hash = $1 ORDER BY seq LIMIT 1", [dangling])).rows[0];
      await client.query("COMMIT");
      const result = walker.finish(linked?.seq ?? null);
      if (result.ok && head !== undefined && head.seq > result.headSeq) {
        return {
          ...result,
          ok: false,
          firstBroken: {
            seq: result.headSeq + 1,
            id: null,
            reason: "missing",
            detail: `the chain head records event ${head.seq} but the last event is ${result.headSeq}: ${head.seq - result.headSeq} event(s) deleted from its end`,
          },
        };
      }
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw this.unavailable(error, "the audit log could not be read", "nothing was verified");
    } finally {
      checkedOut.release();
    }
  }

  async createCheckpoint(signingKey: AuditSigningKey): Promise<AuditCheckpoint> {
    const head = (await this.read<Head>("SELECT seq, hash FROM wiam_audit_head WHERE id = 1")).rows[0] ?? { seq: 0, hash: GENESIS_HASH };
    return signCheckpoint(signingKey, { seq: head.seq, headHash: head.hash, createdAt: this.now().toISOString() });
  }

  /** Deletes whole calls older than the cutoff (a prefix of the chain), under the head lock. */
  async prune(now: Date = this.now(), retentionDays: number | undefined = this.options.retentionDays): Promise<PruneResult> {
    const checkedOut = await this.connect("the audit log could not be pruned", "nothing was pruned");
    const client = checkedOut.client;
    try {
      await client.query("BEGIN");
      const head = (await client.query<Head>("SELECT seq, hash FROM wiam_audit_head WHERE id = 1 FOR UPDATE")).rows[0] ?? { seq: 0, hash: GENESIS_HASH };
      const anchorRow = (await client.query<{ seq: number; prev_hash: string }>("SELECT seq, prev_hash FROM wiam_audit_anchor WHERE id = 1")).rows[0];
      const start = anchorRow === undefined ? { seq: 1, prevHash: GENESIS_HASH } : { seq: anchorRow.seq, prevHash: anchorRow.prev_hash };
      const cutoff = retentionDays === undefined ? null : new Date(now.getTime() - retentionDays * 86_400_000);
      const unchanged = (cutoffText: string | null): PruneResult => ({ cutoff: cutoffText, removedCalls: 0, removedEvents: 0, anchorSeq: start.seq });
      if (cutoff === null) {
        await client.query("COMMIT");
        return unchanged(null);
      }
      const boundary = await pruneBoundary(client, cutoff.toISOString(), head.seq);
      if (boundary <= start.seq) {
        await client.query("COMMIT");
        return unchanged(cutoff.toISOString());
      }
      const removedCalls = (await client.query<{ n: number }>("SELECT count(*)::int AS n FROM wiam_audit_events WHERE seq < $1 AND kind = 'accept'", [boundary])).rows[0]?.n ?? 0;
      const anchorPrevHash = (await client.query<{ hash: string }>("SELECT hash FROM wiam_audit_events WHERE seq = $1", [boundary - 1])).rows[0]?.hash ?? start.prevHash;
      const removedEvents = (await client.query("DELETE FROM wiam_audit_events WHERE seq < $1", [boundary])).rowCount ?? 0;
      await client.query(
        "INSERT INTO wiam_audit_anchor (id, seq, prev_hash) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, prev_hash = excluded.prev_hash",
        [boundary, anchorPrevHash],
      );
      const body: PruneBody = { v: 1, cutoff: cutoff.toISOString(), prunedBefore: boundary, anchorPrevHash, removedCalls, removedEvents };
      const event = this.chained(head, { kind: "prune", callId: newRecordId(now), at: now.toISOString(), body: this.serialize(body) });
      await insertEvents(client, [event]);
      await client.query("COMMIT");
      return { cutoff: cutoff.toISOString(), removedCalls, removedEvents, anchorSeq: boundary };
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw this.unavailable(error, "the audit log could not be pruned", "nothing was pruned");
    } finally {
      checkedOut.release();
    }
  }

  /** Waits for appends in flight, then one last try for events owed from an outage. */
  async close(): Promise<void> {
    await this.drained;
    if (this.backlog.length > 0) {
      await this.writeOwed().catch(() => undefined);
    }
  }

  private serialize(body: AcceptBody | CompleteBody | PruneBody): string {
    return serializeEvent(body, this.options.redactText);
  }

  private readRecord(row: CallRow): AuditRecord {
    const record = toRecord(row);
    return this.options.redactRecord ? this.options.redactRecord(record) : record;
  }

  private chained(head: Head, event: PendingEvent): ChainEvent {
    const seq = head.seq + 1;
    const hash = eventHash({ seq, kind: event.kind, callId: event.callId, at: event.at, body: event.body, prevHash: head.hash });
    const chained = { seq, kind: event.kind, callId: event.callId, at: event.at, body: event.body, prevHash: head.hash, hash };
    head.seq = seq;
    head.hash = hash;
    return chained;
  }

  private enqueue(kind: EventKind, callId: string, at: string, body: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ kind, callId, at, body, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        this.drained = this.drain();
      }
    });
  }

  /** Writes queued events in batches until none wait; one transaction at a time per process. */
  /**
   * Writes queued events in batches until none wait; one transaction at a time per process. The
   * flag is cleared in the same step that finds the queue empty (no await between the two), so an
   * append made by a caller this loop has just released starts a new loop rather than waiting.
   */
  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.writeNextBatch();
    } finally {
      this.draining = false;
    }
  }

  private async writeNextBatch(): Promise<void> {
    const batch = this.queue.splice(0, this.maxBatch);
    const owed = this.backlog.splice(0, this.backlog.length);
    try {
      const refused = await this.writeBatch(owed, batch);
      this.availability(null);
      for (const event of batch) {
        const problem = refused.get(event);
        if (problem === undefined) event.resolve();
        else event.reject(problem);
      }
    } catch (error) {
      const failure = this.unavailable(error, "the audit log could not record the call");
      if (failure instanceof StateUnavailableError) {
        this.backlog.unshift(...owed);
        this.availability(failure);
        for (const event of batch) event.reject(failure);
        return;
      }
      // Not the database being away: one event is at fault. Write each alone so only it fails; an
      // owed event that cannot be written at all is dropped rather than blocking the log for good.
      for (const event of owed) {
        try {
          await this.writeBatch([event], []);
        } catch (single) {
          if (isPostgresUnavailable(single)) this.backlog.push(event);
        }
      }
      for (const event of batch) {
        try {
          const refused = await this.writeBatch([], [event]);
          const problem = refused.get(event);
          if (problem === undefined) event.resolve();
          else event.reject(problem);
        } catch (single) {
          event.reject(this.unavailable(single, "the audit log could not record the call"));
        }
      }
    }
  }

  /** Writes the events owed from an outage now (the health probe calls it when the database returns). */
  async writeOwed(): Promise<void> {
    if (this.backlog.length === 0 || this.draining) return;
    const owed = this.backlog.splice(0, this.backlog.length);
    try {
      await this.writeBatch(owed, []);
    } catch (error) {
      this.backlog.unshift(...owed);
      throw error;
    }
  }

  /**
   * One transaction: lock the head, check completions name a call accepted and not yet completed,
   * insert every event with its seq and hash, move the head. Returns the events refused as invalid.
   */
  private async writeBatch(owed: readonly PendingEvent[], batch: readonly QueuedEvent[]): Promise<Map<QueuedEvent, Error>> {
    const refused = new Map<QueuedEvent, Error>();
    const checkedOut = await checkOut(this.pool);
    const client = checkedOut.client;
    let broken = false;
    try {
      const [, headResult] = (await client.query("BEGIN; SELECT seq, hash FROM wiam_audit_head WHERE id = 1 FOR UPDATE")) as unknown as [unknown, pg.QueryResult<Head>];
      const head: Head = { ...(headResult.rows[0] ?? { seq: 0, hash: GENESIS_HASH }) };
      // An event owed from an outage may be on record already: a COMMIT whose answer was lost with
      // the connection did commit. Such an event is skipped, not written twice (the unique index
      // would refuse the whole batch on every retry and the backlog would never drain).
      const recorded = new Set<string>();
      if (owed.length > 0) {
        const rows = await client.query<{ call_id: string; kind: string }>("SELECT call_id, kind FROM wiam_audit_events WHERE call_id = ANY($1::text[])", [
          [...new Set(owed.map((event) => event.callId))],
        ]);
        for (const row of rows.rows) recorded.add(`${row.kind}:${row.call_id}`);
      }
      const owedToWrite = owed.filter((event) => !recorded.has(`${event.kind}:${event.callId}`));
      // A refusal owed from an outage is an accept and its completion in the same batch.
      const acceptedHere = new Set([...owed, ...batch].filter((event) => event.kind === "accept").map((event) => event.callId));
      const known = (callId: string): boolean => this.openCalls.has(callId) || acceptedHere.has(callId) || recorded.has(`accept:${callId}`);
      const unknownCompletions = [...owed, ...batch].filter((event) => event.kind === "complete" && !known(event.callId)).map((event) => event.callId);
      const kindsByCall = new Map<string, Set<string>>();
      if (unknownCompletions.length > 0) {
        const rows = await client.query<{ call_id: string; kind: string }>("SELECT call_id, kind FROM wiam_audit_events WHERE call_id = ANY($1::text[])", [unknownCompletions]);
        for (const row of rows.rows) kindsByCall.set(row.call_id, (kindsByCall.get(row.call_id) ?? new Set()).add(row.kind));
      }
      const writable = (event: PendingEvent): Error | null => {
        if (event.kind !== "complete" || known(event.callId)) return null;
        const kinds = kindsByCall.get(event.callId) ?? new Set<string>();
        if (!kinds.has("accept")) return new Error(`no accepted audit record with id ${event.callId}`);
        if (kinds.has("complete")) return new Error(`audit record ${event.callId} is already completed`);
        return null;
      };
      const events: ChainEvent[] = [];
      for (const event of owedToWrite) {
        if (writable(event) === null) events.push(this.chained(head, event));
      }
      for (const event of batch) {
        const problem = writable(event);
        if (problem === null) events.push(this.chained(head, event));
        else refused.set(event, problem);
      }
      if (events.length > 0) await insertEvents(client, events);
      await client.query("COMMIT");
      return refused;
    } catch (error) {
      broken = isPostgresUnavailable(error);
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      // A connection that failed mid-transaction is dropped rather than reused.
      checkedOut.release(broken);
    }
  }

  /** A call refused because the log could not be written is still a call: recorded once it can be. */
  private queueRefusal(id: string, at: Date, body: AcceptBody, error: StateUnavailableError): void {
    if (this.backlog.length + 2 > MAX_BACKLOG_EVENTS) return;
    const { refused, completion } = refusalEventsOf(body, "shared state unavailable: refused before running", error.message, 0);
    const time = at.toISOString();
    this.backlog.push({ kind: "accept", callId: id, at: time, body: this.serialize(refused) });
    this.backlog.push({ kind: "complete", callId: id, at: time, body: this.serialize(completion) });
  }

  private async connect(what: string, outcome: string): Promise<CheckedOutClient> {
    try {
      return await checkOut(this.pool);
    } catch (error) {
      throw this.unavailable(error, what, outcome);
    }
  }

  private async read<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<T>> {
    try {
      return await this.pool.query<T>(sql, params);
    } catch (error) {
      throw this.unavailable(error, "the audit log could not be read", "nothing was read");
    }
  }

  /** The database away or refusing writes becomes StateUnavailableError; anything else is a bug and stays as it is. */
  private unavailable(error: unknown, what: string, outcome?: string): Error {
    if (error instanceof StateUnavailableError) return error;
    if (isPostgresUnavailable(error)) return new StateUnavailableError(what, describePostgresFailure(error), outcome);
    return error instanceof Error ? error : new Error(String(error));
  }
}

async function insertEvents(client: pg.PoolClient, events: readonly ChainEvent[]): Promise<void> {
  const last = events.at(-1);
  if (last === undefined) return;
  await client.query(
    `WITH inserted AS (
       INSERT INTO wiam_audit_events (seq, kind, call_id, at, body, prev_hash, hash)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
       RETURNING 1
     )
     UPDATE wiam_audit_head SET seq = $8, hash = $9 WHERE id = 1 AND (SELECT count(*) FROM inserted) = $10`,
    [
      events.map((e) => e.seq),
      events.map((e) => e.kind),
      events.map((e) => e.callId),
      events.map((e) => e.at),
      events.map((e) => e.body),
      events.map((e) => e.prevHash),
      events.map((e) => e.hash),
      last.seq,
      last.hash,
      events.length,
    ],
  );
}

/** First seq to keep: before the first event newer than the cutoff, and never inside a call. */
async function pruneBoundary(client: pg.PoolClient, cutoff: string, headSeq: number): Promise<number> {
  const firstNew = (await client.query<{ seq: number | null }>("SELECT min(seq) AS seq FROM wiam_audit_events WHERE at >= $1", [cutoff])).rows[0]?.seq;
  let boundary = firstNew ?? headSeq + 1;
  for (;;) {
    const earlier = (
      await client.query<{ seq: number | null }>(
        "SELECT min(seq) AS seq FROM wiam_audit_events WHERE seq < $1 AND call_id IN (SELECT call_id FROM wiam_audit_events WHERE seq >= $1)",
        [boundary],
      )
    ).rows[0]?.seq ?? null;
    if (earlier === null) return boundary;
    boundary = earlier;
  }
}

function whereClause(filter: AuditFilter): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (condition: (placeholder: string) => string, value: unknown): void => {
    params.push(value);
    conditions.push(condition(`$${params.length}`));
  };
  if (filter.since !== undefined) add((p) => `accepted_at >= ${p}`, isoTime(filter.since, "since"));
  if (filter.until !== undefined) add((p) => `accepted_at < ${p}`, isoTime(filter.until, "until"));
  if (filter.tool !== undefined) add((p) => `tool = ${p}`, filter.tool);
  if (filter.status !== undefined) add((p) => `status = ${p}`, filter.status);
  if (filter.taskId !== undefined) add((p) => `task_id = ${p}`, filter.taskId);
  if (filter.caller !== undefined) add((p) => `caller = ${p}`, filter.caller);
  if (filter.sessionId !== undefined) add((p) => `session_id = ${p}`, filter.sessionId);
  if (filter.intentContains !== undefined) {
    add((p) => `strpos(lower(coalesce(accept_body::jsonb ->> 'intent', '')), lower(${p})) > 0`, filter.intentContains);
  }
  return { where: conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`, params };
}
