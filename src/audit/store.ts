/**
 * The audit store: every tool call is recorded in a tamper-evident, append-only SQLite log.
 *
 * Design
 * - One table, `audit_events`, holds an append-only hash chain. A call writes two events: `accept`
 *   (committed before any connector runs, so a crash still leaves what was asked) and `complete`
 *   (outcome, cloud operations, result summary, redaction counts, response body per setting).
 *   Retention pruning appends a `prune` event. Each event has a global `seq` (1, 2, 3, ... with no
 *   gaps), the previous event's hash and its own hash (see chain.ts for the exact hash input).
 * - The event content is stored as canonical JSON text (`body`), exactly the bytes that were hashed.
 *   Columns used for filtering (tool, caller, task id, session id, status) are generated from the body,
 *   so no unhashed copy of the data exists that could be edited without `verify` noticing.
 * - Indexes are few on purpose: each one is another page written on every commit, and writes happen
 *   on every call while searches are rare. Seq (primary key), call id and acceptance time are indexed;
 *   tool, caller and task filters scan the time range (or the whole log).
 * - The `audit_calls` view joins each accept event with its complete event: one row per call; a call
 *   without a completion has status "accepted" (still running, or the process died).
 * - Appending reads the head (seq, hash) and inserts inside one `BEGIN IMMEDIATE` transaction, so
 *   several processes (one stdio server per MCP client) share the file without forking the chain;
 *   others wait on the busy timeout. The head is never cached: another process may have moved it.
 * - Retention deletes a prefix of whole calls, records the new start in `audit_anchor` and appends a
 *   `prune` event naming that anchor, so the remaining chain still verifies from the anchor.
 * - Tamper evidence stops at whoever can rewrite the file: signed checkpoints (signing.ts) exported
 *   elsewhere detect a rewritten or truncated chain.
 *
 * Durability: WAL with `synchronous=NORMAL` by default. A commit then reaches the WAL file (the OS page
 * cache) but is not fsynced: a killed or crashed process loses nothing, since the OS still writes
 * the pages; only a power loss or kernel crash can drop the last commits, and the database stays
 * consistent (WAL frames are checksummed). `synchronous=FULL` fsyncs the WAL on each commit, two per
 * call, which costs a disk flush per event (see bench/audit.ts) and is offered as `durability: "full"`
 * for hosts where power-loss durability of the last milliseconds matters more than latency.
 *
 * The store never redacts: the pipeline hands it redacted data. As a guard against a caller that
 * forgot, `redactText` (when given) runs over each data field of an event (intent, arguments,
 * names, error, response) before it is written, never over the fields the server computes.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import { platform } from "node:os";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { UserFacingError } from "../errors.js";
import { AuditLogBusyError, isDatabaseBusy } from "./busy.js";
import { acceptBodyOf, completeBodyOf, refusalEventsOf, serializeEvent } from "./event-bodies.js";
import { openDatabaseReadOnly, removePrivateCopy } from "./read-only.js";
import { eventHash, GENESIS_HASH, walkChain, type ChainAnchor, type EventKind } from "./chain.js";
import { newRecordId } from "./record-id.js";
import { isoTime, summarize, toChainEvent, toRecord, type CallRow, type EventRow, type StatsRow } from "./records.js";
import type { AcceptBody, CompleteBody, PruneBody } from "./schema.js";
import { signCheckpoint, type AuditSigningKey } from "./signing.js";
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
} from "./types.js";

export const AUDIT_DB_FILE = "audit.db";
export { RESPONSE_PREVIEW_CHARS } from "./event-bodies.js";
export { durationStats } from "./records.js";
const SCHEMA_VERSION = 1;
const DEFAULT_SEARCH_LIMIT = 100;
const DEFAULT_BUSY_TIMEOUT_MS = 10_000;
/** Events kept in memory while the database is locked; beyond this, refusals are not queued. */
const MAX_BACKLOG_EVENTS = 10_000;

export type AuditDurability = "normal" | "full";

export interface AuditStoreOptions {
  responseBody: ResponseBodyMode;
  retentionDays?: number;
  now?: () => Date;
  /**
   * Applied to every record read back (get, tail, search, iterate): review output redacts the data
   * fields of stored records (see record-redaction.ts) instead of rescanning the printed text.
   */
  redactRecord?: (record: AuditRecord) => AuditRecord;
  /** Defensive second redaction over each data field (JSON fields as their JSON text, which must stay valid JSON). */
  redactText?: (text: string) => string;
  /** "normal" (default) or "full": SQLite `synchronous` in WAL mode; see the comment at the top. */
  durability?: AuditDurability;
  /** Milliseconds to wait for another process's write lock. */
  busyTimeoutMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_events (
  seq INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  call_id TEXT NOT NULL,
  at TEXT NOT NULL,
  body TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  tool TEXT GENERATED ALWAYS AS (CASE WHEN kind = 'accept' THEN json_extract(body, '$.tool') END) VIRTUAL,
  caller TEXT GENERATED ALWAYS AS (CASE WHEN kind = 'accept' THEN json_extract(body, '$.caller') END) VIRTUAL,
  task_id TEXT GENERATED ALWAYS AS (CASE WHEN kind = 'accept' THEN json_extract(body, '$.taskId') END) VIRTUAL,
  session_id TEXT GENERATED ALWAYS AS (CASE WHEN kind = 'accept' THEN json_extract(body, '$.sessionId') END) VIRTUAL,
  status TEXT GENERATED ALWAYS AS (CASE WHEN kind = 'complete' THEN json_extract(body, '$.status') END) VIRTUAL
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS audit_events_call ON audit_events (call_id, kind);
CREATE INDEX IF NOT EXISTS audit_events_accepted_at ON audit_events (at) WHERE kind = 'accept';
CREATE TABLE IF NOT EXISTS audit_anchor (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL,
  prev_hash TEXT NOT NULL
) STRICT;
CREATE VIEW IF NOT EXISTS audit_calls AS
SELECT a.call_id AS id, a.seq AS seq, a.at AS accepted_at, a.body AS accept_body,
       a.prev_hash AS prev_hash, a.hash AS hash,
       a.tool AS tool, a.caller AS caller, a.task_id AS task_id, a.session_id AS session_id,
       c.seq AS completion_seq, c.at AS completed_at, c.body AS completion_body, c.hash AS completion_hash,
       coalesce(c.status, 'accepted') AS status
FROM audit_events a
LEFT JOIN audit_events c ON c.call_id = a.call_id AND c.kind = 'complete'
WHERE a.kind = 'accept';
`;

/** One call's event in a group commit (`appendBatch`). */
export type AuditAppend = { kind: "accept"; acceptance: AuditAcceptance } | { kind: "complete"; id: string; completion: AuditCompletion };
/** The record id written, or why this entry was not. */
export type AuditAppendOutcome = { id: string } | { error: Error };

interface PreparedAppend {
  kind: EventKind;
  callId: string;
  at: string;
  body: string;
  acceptedAt?: Date;
  acceptBody?: AcceptBody;
}

/** An event that could not be written because the database was locked; written on the next append. */
interface PendingEvent {
  kind: EventKind;
  callId: string;
  at: string;
  body: string;
}

interface HeadRow {
  seq: number;
  hash: string;
}

export class AuditStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly options: AuditStoreOptions;
  private readonly now: () => Date;
  private readonly statements: {
    head: Database.Statement<[], HeadRow>;
    anchor: Database.Statement<[], { seq: number; prev_hash: string }>;
    insert: Database.Statement<[number, string, string, string, string, string, string]>;
    eventKinds: Database.Statement<[string], { kind: string }>;
    callById: Database.Statement<[string], CallRow>;
  };
  private readonly appendInTransaction: (kind: EventKind, callId: string, at: string, body: string) => HeadRow;
  private readonly backlog: PendingEvent[] = [];
  /** Removed on close: the private copy a read-only open made (see read-only.ts). */
  private readonly privateCopy: string | null;

  private constructor(path: string, db: Database.Database, options: AuditStoreOptions, privateCopy: string | null = null) {
    this.path = path;
    this.db = db;
    this.options = options;
    this.privateCopy = privateCopy;
    this.now = options.now ?? (() => new Date());
    this.statements = {
      head: db.prepare("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"),
      anchor: db.prepare("SELECT seq, prev_hash FROM audit_anchor WHERE id = 1"),
      insert: db.prepare(
        "INSERT INTO audit_events (seq, kind, call_id, at, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ),
      eventKinds: db.prepare("SELECT kind FROM audit_events WHERE call_id = ?"),
      callById: db.prepare("SELECT * FROM audit_calls WHERE id = ?"),
    };
    const append = db.transaction((kind: EventKind, callId: string, at: string, body: string): HeadRow => this.insertEvent(kind, callId, at, body));
    this.appendInTransaction = (kind, callId, at, body) => append.immediate(kind, callId, at, body);
  }

  /** Opens (creating if needed, mode 0600 in a 0700 directory) the audit database at `path`. */
  static open(path: string, options: AuditStoreOptions): AuditStore {
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    let db: Database.Database;
    try {
      prepareDatabaseFile(path);
      db = new Database(path, { timeout: busyTimeoutMs });
    } catch (error) {
      throw notWritable(path, error) ?? error;
    }
    try {
      db.pragma("journal_mode = WAL");
      db.pragma(`synchronous = ${options.durability === "full" ? "FULL" : "NORMAL"}`);
      db.transaction(() => migrate(db)).immediate();
    } catch (error) {
      db.close();
      if (isDatabaseBusy(error)) {
        throw new UserFacingError("provider_unavailable", `audit log ${path}: locked by another process for more than ${Math.round(busyTimeoutMs / 1000)} s`, "Try again shortly.");
      }
      throw notWritable(path, error) ?? error;
    }
    return new AuditStore(path, db, options);
  }

  /**
   * Opens an existing audit database for review only: nothing is created, migrated or chmod-ed,
   * and a database that cannot be read in place (read-only directory) is read from a private copy.
   * Appending to a store opened this way fails.
   */
  static openReadOnly(path: string, options: AuditStoreOptions): AuditStore {
    const { db, copyDirectory } = openDatabaseReadOnly(path, options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
    try {
      const version = db.pragma("user_version", { simple: true });
      if (typeof version === "number" && version > SCHEMA_VERSION) {
        throw new UserFacingError("config_invalid", `audit log ${path}: written by a newer version (schema ${version}); upgrade workload-iam-mcp`);
      }
      const hasEvents = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'audit_events'").get();
      if (hasEvents?.n !== 1) throw new UserFacingError("not_found", `audit log ${path}: holds no audit events table (not an audit log, or never written)`);
      return new AuditStore(path, db, options, copyDirectory);
    } catch (error) {
      db.close();
      removePrivateCopy(copyDirectory);
      throw error;
    }
  }

  /** Opens `<dataDir>/audit.db`. */
  static openInDataDir(dataDir: string, options: AuditStoreOptions): AuditStore {
    return AuditStore.open(join(dataDir, AUDIT_DB_FILE), options);
  }

  /** Records that a call was accepted; returns its record id. Committed before returning. */
  accept(acceptance: AuditAcceptance): string {
    const at = this.now();
    const id = newRecordId(at);
    const body = acceptBodyOf(acceptance);
    try {
      this.append("accept", id, at.toISOString(), this.serialize(body));
    } catch (error) {
      if (!(error instanceof AuditLogBusyError)) throw error;
      this.queueRefusal(id, at, body, error);
      throw error;
    }
    return id;
  }

  /** Records how call `id` ended. Throws if the call is unknown or already completed. */
  complete(id: string, completion: AuditCompletion): void {
    const body = completeBodyOf(completion, this.options.responseBody);
    const at = this.now().toISOString();
    const text = this.serialize(body);
    try {
      this.append("complete", id, at, text);
    } catch (error) {
      // The call has run and its answer is on its way: its outcome is written once the log is free.
      if (!(error instanceof AuditLogBusyError) || this.backlog.length >= MAX_BACKLOG_EVENTS) throw error;
      this.backlog.push({ kind: "complete", callId: id, at, body: text });
    }
  }

  /**
   * Group commit: several calls' events in one IMMEDIATE transaction, so a burst pays one WAL
   * commit instead of one per event. Each entry succeeds or fails on its own (a completion for an
   * unknown call fails alone). A lock held past the busy timeout fails the batch the way `accept`
   * and `complete` do one by one: acceptances are refused (and queued as refusals), completions are
   * kept for the next append. Durability is unchanged: each entry is committed when this returns.
   */
  appendBatch(entries: readonly AuditAppend[]): AuditAppendOutcome[] {
    const prepared = entries.map((entry): PreparedAppend | { error: Error } => {
      try {
        if (entry.kind === "accept") {
          const at = this.now();
          const body = acceptBodyOf(entry.acceptance);
          return { kind: "accept", callId: newRecordId(at), at: at.toISOString(), acceptedAt: at, acceptBody: body, body: this.serialize(body) };
        }
        const body = this.serialize(completeBodyOf(entry.completion, this.options.responseBody));
        return { kind: "complete", callId: entry.id, at: this.now().toISOString(), body };
      } catch (error) {
        return { error: error instanceof Error ? error : new Error(String(error)) };
      }
    });
    const owed = [...this.backlog];
    const write = this.db.transaction((): AuditAppendOutcome[] => {
      for (const pending of owed) {
        try {
          this.insertEvent(pending.kind, pending.callId, pending.at, pending.body);
        } catch (error) {
          // Only a lock keeps an event waiting; one that cannot be written at all must not block the log.
          if (isDatabaseBusy(error)) throw error;
        }
      }
      return prepared.map((entry): AuditAppendOutcome => {
        if ("error" in entry) return entry;
        try {
          this.insertEvent(entry.kind, entry.callId, entry.at, entry.body);
          return { id: entry.callId };
        } catch (error) {
          if (isDatabaseBusy(error)) throw error;
          return { error: error instanceof Error ? error : new Error(String(error)) };
        }
      });
    });
    try {
      const outcomes = write.immediate();
      this.backlog.splice(0, owed.length);
      return outcomes;
    } catch (error) {
      if (!isDatabaseBusy(error)) throw error;
      const busy = new AuditLogBusyError(this.options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
      return prepared.map((entry): AuditAppendOutcome => {
        if ("error" in entry) return entry;
        if (entry.kind === "accept") {
          if (entry.acceptBody !== undefined && entry.acceptedAt !== undefined) this.queueRefusal(entry.callId, entry.acceptedAt, entry.acceptBody, busy);
          return { error: busy };
        }
        if (this.backlog.length >= MAX_BACKLOG_EVENTS) return { error: busy };
        this.backlog.push({ kind: entry.kind, callId: entry.callId, at: entry.at, body: entry.body });
        return { id: entry.callId };
      });
    }
  }

  /** Events waiting for a locked database (refusals and completions); written before the next append. */
  get pendingEvents(): number {
    return this.backlog.length;
  }

  /** Appends events held back by a locked database, then this one; a lock still held throws AuditLogBusyError. */
  private append(kind: EventKind, callId: string, at: string, body: string): void {
    try {
      while (this.backlog.length > 0) {
        const pending = this.backlog[0];
        if (pending === undefined) break;
        try {
          this.appendInTransaction(pending.kind, pending.callId, pending.at, pending.body);
        } catch (error) {
          // Only a lock keeps an event waiting; one that cannot be written at all must not block the log.
          if (isDatabaseBusy(error)) throw error;
        }
        this.backlog.shift();
      }
      this.appendInTransaction(kind, callId, at, body);
    } catch (error) {
      if (isDatabaseBusy(error)) throw new AuditLogBusyError(this.options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
      throw error;
    }
  }

  /** A call refused because the log was locked is still a call: recorded as refused, at the time it came. */
  private queueRefusal(id: string, at: Date, body: AcceptBody, error: AuditLogBusyError): void {
    if (this.backlog.length + 2 > MAX_BACKLOG_EVENTS) return;
    const { refused, completion } = refusalEventsOf(body, "audit log locked: refused before running", error.message, error.busyTimeoutMs);
    const time = at.toISOString();
    this.backlog.push({ kind: "accept", callId: id, at: time, body: this.serialize(refused) });
    this.backlog.push({ kind: "complete", callId: id, at: time, body: this.serialize(completion) });
  }

  get(id: string): AuditRecord | null {
    const row = this.statements.callById.get(id);
    return row === undefined ? null : this.readRecord(row);
  }

  /** The last `n` calls, oldest first. */
  tail(n: number): AuditRecord[] {
    return this.search({ limit: n, order: "desc" }).reverse();
  }

  /** Calls matching `filter`, newest first unless `order: "asc"`; at most `limit` (default 100). */
  search(filter: AuditFilter = {}): AuditRecord[] {
    const { where, params } = whereClause(filter);
    const order = filter.order === "asc" ? "ASC" : "DESC";
    const limit = filter.limit ?? DEFAULT_SEARCH_LIMIT;
    const rows = this.db
      .prepare<unknown[], CallRow>(`SELECT * FROM audit_calls ${where} ORDER BY seq ${order} LIMIT ?`)
      .all(...params, limit);
    return rows.map((row) => this.readRecord(row));
  }

  /** Streams matching calls oldest first, without a default limit (for export). */
  *iterate(filter: AuditFilter = {}): Generator<AuditRecord> {
    const { where, params } = whereClause(filter);
    const order = filter.order === "desc" ? "DESC" : "ASC";
    const limit = filter.limit === undefined ? "" : " LIMIT ?";
    if (filter.limit !== undefined) params.push(filter.limit);
    const statement = this.db.prepare<unknown[], CallRow>(`SELECT * FROM audit_calls ${where} ORDER BY seq ${order}${limit}`);
    for (const row of statement.iterate(...params)) yield this.readRecord(row);
  }

  stats(filter: AuditFilter = {}): AuditStats {
    const { where, params } = whereClause(filter);
    const rows = this.db
      .prepare<unknown[], StatsRow>(
        `SELECT tool, status, json_extract(accept_body, '$.decision') AS decision,
                json_extract(completion_body, '$.durationMs') AS duration_ms,
                json_extract(completion_body, '$.redactionFindings') AS findings,
                (SELECT sum(json_extract(value, '$.count')) FROM json_each(completion_body, '$.cloudOperations')) AS cloud_operations,
                accepted_at
         FROM audit_calls ${where} ORDER BY seq ASC`,
      )
      .all(...params);
    return summarize(rows);
  }

  /** Walks the whole chain (from the retention anchor) and checks each checkpoint given. */
  verify(options: VerifyOptions = {}): VerifyResult {
    const run = this.db.transaction((): VerifyResult => {
      const anchor = this.readAnchor();
      const events = this.db
        .prepare<[], EventRow>("SELECT seq, kind, call_id, at, body, prev_hash, hash FROM audit_events ORDER BY seq ASC")
        .iterate();
      const findSeq = this.db.prepare<[string], { seq: number }>("SELECT seq FROM audit_events WHERE hash = ? LIMIT 1");
      return walkChain({
        events: mapIterable(events, toChainEvent),
        anchor,
        checkpoints: options.checkpoints ?? [],
        trustedPublicKeys: options.trustedPublicKeys,
        findSeqByHash: (hash) => findSeq.get(hash)?.seq ?? null,
      });
    });
    // A deferred transaction gives the walk one consistent snapshot while others keep appending.
    return run();
  }

  /** Signs the current head. Keep the returned JSON somewhere the audit database's owner cannot write. */
  createCheckpoint(signingKey: AuditSigningKey): AuditCheckpoint {
    const head = this.db.transaction(() => this.readHead())();
    return signCheckpoint(signingKey, { seq: head.seq, headHash: head.hash, createdAt: this.now().toISOString() });
  }

  /**
   * Deletes whole calls older than the retention cutoff. Only a prefix of the chain can go (the rest
   * must still link), so a call that started before the cutoff but shares the prefix boundary with a
   * newer one waits for the next prune.
   */
  prune(now: Date = this.now(), retentionDays: number | undefined = this.options.retentionDays): PruneResult {
    const run = this.db.transaction((): PruneResult => {
      const start = this.readAnchor() ?? { seq: 1, prevHash: GENESIS_HASH };
      const cutoff = retentionDays === undefined ? null : new Date(now.getTime() - retentionDays * 86_400_000);
      if (cutoff === null) return { cutoff: null, removedCalls: 0, removedEvents: 0, anchorSeq: start.seq };
      const boundary = this.pruneBoundary(cutoff.toISOString());
      if (boundary <= start.seq) {
        return { cutoff: cutoff.toISOString(), removedCalls: 0, removedEvents: 0, anchorSeq: start.seq };
      }
      const removedCalls = this.db
        .prepare<[number], { n: number }>("SELECT count(*) AS n FROM audit_events WHERE seq < ? AND kind = 'accept'")
        .get(boundary)?.n ?? 0;
      const anchorPrevHash =
        this.db.prepare<[number], { hash: string }>("SELECT hash FROM audit_events WHERE seq = ?").get(boundary - 1)?.hash ??
        start.prevHash;
      const removedEvents = this.db.prepare("DELETE FROM audit_events WHERE seq < ?").run(boundary).changes;
      this.db
        .prepare("INSERT INTO audit_anchor (id, seq, prev_hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, prev_hash = excluded.prev_hash")
        .run(boundary, anchorPrevHash);
      const body: PruneBody = { v: 1, cutoff: cutoff.toISOString(), prunedBefore: boundary, anchorPrevHash, removedCalls, removedEvents };
      const head = this.readHead();
      const seq = head.seq + 1;
      const at = now.toISOString();
      const callId = newRecordId(now);
      const text = this.serialize(body);
      this.statements.insert.run(seq, "prune", callId, at, text, head.hash, eventHash({ seq, kind: "prune", callId, at, body: text, prevHash: head.hash }));
      return { cutoff: cutoff.toISOString(), removedCalls, removedEvents, anchorSeq: boundary };
    });
    try {
      return run.immediate();
    } catch (error) {
      if (isDatabaseBusy(error)) throw new AuditLogBusyError(this.options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS, "nothing was pruned");
      throw error;
    }
  }

  close(): void {
    // One last try for events held back by a lock; a lock still held leaves them unwritten.
    if (this.backlog.length > 0 && !this.db.readonly) {
      try {
        const last = this.backlog.pop();
        if (last) this.append(last.kind, last.callId, last.at, last.body);
      } catch {
        // Nothing more can be done without the lock; the accept events already written show the calls.
      }
    }
    this.db.close();
    removePrivateCopy(this.privateCopy);
  }

  /** First seq to keep: before the first event newer than the cutoff, and never inside a call. */
  private pruneBoundary(cutoff: string): number {
    const firstNew = this.db.prepare<[string], { seq: number | null }>("SELECT min(seq) AS seq FROM audit_events WHERE at >= ?").get(cutoff)?.seq;
    let boundary = firstNew ?? this.readHead().seq + 1;
    const straddling = this.db.prepare<[number, number], { seq: number | null }>(
      "SELECT min(seq) AS seq FROM audit_events WHERE seq < ? AND call_id IN (SELECT call_id FROM audit_events WHERE seq >= ?)",
    );
    for (;;) {
      const earlier = straddling.get(boundary, boundary)?.seq ?? null;
      if (earlier === null) return boundary;
      boundary = earlier;
    }
  }

  /** Links one event to the head and inserts it; the caller holds the write transaction. */
  private insertEvent(kind: EventKind, callId: string, at: string, body: string): HeadRow {
    if (kind === "complete") this.assertCompletable(callId);
    const head = this.readHead();
    const seq = head.seq + 1;
    const hash = eventHash({ seq, kind, callId, at, body, prevHash: head.hash });
    this.statements.insert.run(seq, kind, callId, at, body, head.hash, hash);
    return { seq, hash };
  }

  private readHead(): HeadRow {
    const head = this.statements.head.get();
    if (head !== undefined) return head;
    const anchor = this.readAnchor();
    return anchor === null ? { seq: 0, hash: GENESIS_HASH } : { seq: anchor.seq - 1, hash: anchor.prevHash };
  }

  private readAnchor(): ChainAnchor | null {
    const row = this.statements.anchor.get();
    return row === undefined ? null : { seq: row.seq, prevHash: row.prev_hash };
  }

  private assertCompletable(id: string): void {
    const kinds = this.statements.eventKinds.all(id).map((row) => row.kind);
    if (!kinds.includes("accept")) throw new Error(`no accepted audit record with id ${id}`);
    if (kinds.includes("complete")) throw new Error(`audit record ${id} is already completed`);
  }

  private readRecord(row: CallRow): AuditRecord {
    const record = toRecord(row);
    return this.options.redactRecord ? this.options.redactRecord(record) : record;
  }

  private serialize(body: AcceptBody | CompleteBody | PruneBody): string {
    return serializeEvent(body, this.options.redactText);
  }
}

/**
 * A log this user cannot write (a read-only copy, read-only media, another owner) stops the calls
 * and commands that must append to it, with the reason, instead of "unexpected error: EACCES".
 */
function notWritable(path: string, error: unknown): UserFacingError | null {
  const code = typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : "";
  if (!["EACCES", "EPERM", "EROFS"].includes(code) && !code.startsWith("SQLITE_READONLY") && !code.startsWith("SQLITE_CANTOPEN")) return null;
  return new UserFacingError(
    "config_invalid",
    `audit log ${path}: cannot be opened for writing (${code}); calls are refused while nothing can be audited`,
    "Review commands (wiam audit tail/search/show/stats/export/verify) read it as it is; to serve or call, point --data-dir or WIAM_DATA_DIR at a directory this user can write.",
  );
}

export function prepareDatabaseFile(path: string): void {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Create the file ourselves so its mode is 0600 from the start; SQLite gives -wal/-shm the same mode.
  closeSync(openSync(path, "a", 0o600));
  // An existing file readable by others loses those bits only: the owner's bits stay as the admin set them.
  const mode = statSync(path).mode;
  if (platform() !== "win32" && (mode & 0o077) !== 0) chmodSync(path, mode & 0o700);
}

function migrate(db: Database.Database): void {
  const version = db.pragma("user_version", { simple: true });
  if (typeof version === "number" && version > SCHEMA_VERSION) {
    throw new Error(`the audit database was written by a newer version (schema ${version}); upgrade workload-iam-mcp`);
  }
  db.exec(SCHEMA);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}

function whereClause(filter: AuditFilter): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (condition: string, value: unknown): void => {
    conditions.push(condition);
    params.push(value);
  };
  if (filter.since !== undefined) add("accepted_at >= ?", isoTime(filter.since, "since"));
  if (filter.until !== undefined) add("accepted_at < ?", isoTime(filter.until, "until"));
  if (filter.tool !== undefined) add("tool = ?", filter.tool);
  if (filter.status !== undefined) add("status = ?", filter.status);
  if (filter.taskId !== undefined) add("task_id = ?", filter.taskId);
  if (filter.caller !== undefined) add("caller = ?", filter.caller);
  if (filter.sessionId !== undefined) add("session_id = ?", filter.sessionId);
  if (filter.intentContains !== undefined) {
    add("instr(lower(coalesce(json_extract(accept_body, '$.intent'), '')), lower(?)) > 0", filter.intentContains);
  }
  return { where: conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`, params };
}

function* mapIterable<T, U>(source: IterableIterator<T>, map: (item: T) => U): Generator<U> {
  try {
    for (const item of source) yield map(item);
  } finally {
    source.return?.();
  }
}
