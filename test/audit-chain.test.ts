import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { eventHash, GENESIS_HASH } from "../src/audit/chain.js";
import { generateSigningKey, loadOrCreateSigningKey, signCheckpoint } from "../src/audit/signing.js";
import { AuditStore } from "../src/audit/store.js";
import { acceptance, completion, tempStore, writeCalls, type TempStore } from "./fixtures/audit-fixtures.js";

let current: TempStore | null = null;
const raws: Database.Database[] = [];
function open(options: Parameters<typeof tempStore>[0] = {}): TempStore {
  current = tempStore(options);
  return current;
}
/** A second, raw connection: what someone with write access to the file could do. */
function raw(path: string): Database.Database {
  const db = new Database(path);
  raws.push(db);
  return db;
}
afterEach(() => {
  for (const db of raws.splice(0)) db.close();
  current?.cleanup();
  current = null;
});

interface Row {
  seq: number;
  kind: string;
  call_id: string;
  at: string;
  body: string;
  prev_hash: string;
  hash: string;
}

describe("verify", () => {
  it("passes on an empty log and on an untouched one", () => {
    const { store } = open();
    expect(store.verify()).toEqual({
      ok: true,
      checked: 0,
      firstSeq: 1,
      headSeq: 0,
      headHash: GENESIS_HASH,
      checkpointsVerified: 0,
      checkpointsPruned: 0,
    });
    writeCalls(store, 5);
    expect(store.verify()).toMatchObject({ ok: true, checked: 10, firstSeq: 1, headSeq: 10 });
  });

  it("fails at the edited row when a row's content is edited", () => {
    const { store, path } = open();
    const ids = writeCalls(store, 5);
    raw(path).prepare("UPDATE audit_events SET body = replace(body, 'alice', 'mallory') WHERE seq = 5").run();
    expect(store.verify().firstBroken).toEqual({
      seq: 5,
      id: ids[2],
      reason: "hash_mismatch",
      detail: "the stored hash does not match the event's content: the row was edited",
    });
    expect(store.verify()).toMatchObject({ ok: false, checked: 4 });
  });

  it("fails at the edited row when the timestamp column is edited", () => {
    const { store, path } = open();
    writeCalls(store, 3);
    raw(path).prepare("UPDATE audit_events SET at = '2020-01-01T00:00:00.000Z' WHERE seq = 3").run();
    expect(store.verify().firstBroken).toMatchObject({ seq: 3, reason: "hash_mismatch" });
  });

  it("fails at the gap when a row is deleted", () => {
    const { store, path } = open();
    writeCalls(store, 5);
    raw(path).prepare("DELETE FROM audit_events WHERE seq = 5").run();
    expect(store.verify().firstBroken).toEqual({
      seq: 5,
      id: null,
      reason: "missing",
      detail: "expected event 5, found 6: 1 event(s) deleted",
    });
  });

  it("fails at the first moved row when two rows swap places", () => {
    const { store, path } = open();
    const ids = writeCalls(store, 5);
    const db = raw(path);
    db.transaction(() => {
      db.prepare("UPDATE audit_events SET seq = -1 WHERE seq = 5").run();
      db.prepare("UPDATE audit_events SET seq = 5 WHERE seq = 6").run();
      db.prepare("UPDATE audit_events SET seq = 6 WHERE seq = -1").run();
    })();
    expect(store.verify().firstBroken).toEqual({
      seq: 5,
      id: ids[2],
      reason: "reordered",
      detail: "the event at seq 5 was written after the event now at seq 6: events were moved",
    });
  });

  it("fails at the row whose back link was edited", () => {
    const { store, path } = open();
    writeCalls(store, 3);
    raw(path).prepare("UPDATE audit_events SET prev_hash = ? WHERE seq = 4").run("f".repeat(64));
    expect(store.verify().firstBroken).toMatchObject({ seq: 4, reason: "prev_mismatch" });
  });

  it("catches an edit whose hash was recomputed at the next row", () => {
    const { store, path } = open();
    const ids = writeCalls(store, 3);
    const db = raw(path);
    const row = db.prepare<[], Row>("SELECT * FROM audit_events WHERE seq = 3").get();
    if (row === undefined) throw new Error("row 3 missing");
    const body = row.body.replace("alice", "mallory");
    const hash = eventHash({ seq: row.seq, kind: row.kind, callId: row.call_id, at: row.at, body, prevHash: row.prev_hash });
    db.prepare("UPDATE audit_events SET body = ?, hash = ? WHERE seq = 3").run(body, hash);
    expect(store.verify().firstBroken).toMatchObject({ seq: 4, id: ids[1], reason: "prev_mismatch" });
  });
});

describe("checkpoints", () => {
  /** Rebuilds the chain from scratch with edited content: consistent hashes, no trace without a checkpoint. */
  function rewriteWholeChain(path: string): void {
    const db = raw(path);
    const rows = db.prepare<[], Row>("SELECT seq, kind, call_id, at, body, prev_hash, hash FROM audit_events ORDER BY seq").all();
    db.transaction(() => {
      db.prepare("DELETE FROM audit_events").run();
      let prevHash = GENESIS_HASH;
      for (const row of rows) {
        const body = row.body.replace("alice", "mallory");
        const hash = eventHash({ seq: row.seq, kind: row.kind, callId: row.call_id, at: row.at, body, prevHash });
        db.prepare("INSERT INTO audit_events (seq, kind, call_id, at, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)").run(
          row.seq, row.kind, row.call_id, row.at, body, prevHash, hash,
        );
        prevHash = hash;
      }
    })();
  }

  it("detects a whole-chain rewrite that the chain alone cannot", () => {
    const { store, path } = open();
    writeCalls(store, 4);
    const key = generateSigningKey();
    const checkpoint = store.createCheckpoint(key);
    expect(checkpoint).toMatchObject({ seq: 8, headHash: store.verify().headHash, publicKey: key.publicKey });
    expect(store.verify({ checkpoints: [checkpoint] })).toMatchObject({ ok: true, checkpointsVerified: 1 });

    rewriteWholeChain(path);
    expect(store.verify().ok).toBe(true);
    const result = store.verify({ checkpoints: [checkpoint] });
    expect(result.ok).toBe(false);
    expect(result.firstBroken).toMatchObject({ seq: 8, reason: "checkpoint_mismatch" });
    expect(result.firstBroken?.detail).toContain("the chain was rewritten");
  });

  it("checks older checkpoints against the rows they signed while the log grows", () => {
    const { store } = open();
    const key = generateSigningKey();
    writeCalls(store, 2);
    const early = store.createCheckpoint(key);
    writeCalls(store, 3);
    const later = store.createCheckpoint(key);
    expect(store.verify({ checkpoints: [early, later] })).toMatchObject({ ok: true, checkpointsVerified: 2, headSeq: 10 });
  });

  it("detects events cut from the end of the chain", () => {
    const { store, path } = open();
    writeCalls(store, 3);
    const checkpoint = store.createCheckpoint(generateSigningKey());
    raw(path).prepare("DELETE FROM audit_events WHERE seq > 4").run();
    expect(store.verify().ok).toBe(true); // a truncated chain is still a valid chain
    expect(store.verify({ checkpoints: [checkpoint] }).firstBroken).toMatchObject({
      seq: 6,
      reason: "checkpoint_mismatch",
      detail: expect.stringContaining("but the chain ends at seq 4"),
    });
  });

  it("rejects a checkpoint whose signed fields were altered", () => {
    const { store } = open();
    writeCalls(store, 3);
    const checkpoint = store.createCheckpoint(generateSigningKey());
    const moved = { ...checkpoint, seq: 4 };
    const result = store.verify({ checkpoints: [moved] });
    expect(result.firstBroken).toEqual({
      seq: 4,
      id: null,
      reason: "checkpoint_mismatch",
      detail: "the checkpoint for seq 4 has an invalid signature: it was altered after signing",
    });
    const forgedSignature = { ...checkpoint, signature: Buffer.alloc(64, 1).toString("base64") };
    expect(store.verify({ checkpoints: [forgedSignature] }).firstBroken?.reason).toBe("checkpoint_mismatch");
  });

  it("rejects checkpoints signed by an untrusted key when trusted keys are given", () => {
    const { store } = open();
    writeCalls(store, 1);
    const ours = generateSigningKey();
    const theirs = generateSigningKey();
    const checkpoint = store.createCheckpoint(theirs);
    expect(store.verify({ checkpoints: [checkpoint] }).ok).toBe(true);
    expect(store.verify({ checkpoints: [checkpoint], trustedPublicKeys: [ours.publicKey] }).firstBroken).toMatchObject({
      seq: 2,
      reason: "checkpoint_mismatch",
      detail: "the checkpoint for seq 2 is signed by a key that is not trusted",
    });
  });

  it("signs with a key kept in an owner-only file and reused on the next load", () => {
    const dir = mkdtempSync(join(tmpdir(), "wiam-audit-key-"));
    try {
      const path = join(dir, "audit-signing.key");
      const first = loadOrCreateSigningKey(path);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(loadOrCreateSigningKey(path).publicKey).toBe(first.publicKey);
      chmodSync(path, 0o644);
      expect(() => loadOrCreateSigningKey(path)).toThrow("is readable by other users");
      writeFileSync(join(dir, "other.key"), "not a key", { mode: 0o600 });
      expect(() => loadOrCreateSigningKey(join(dir, "other.key"))).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("retention", () => {
  const DAY = 86_400_000;

  function clockAt(start: string): { now: () => Date; set(iso: string): void } {
    let time = Date.parse(start);
    return {
      now: () => new Date(time),
      set(iso: string) {
        time = Date.parse(iso);
      },
    };
  }

  it("prunes whole old calls and the rest still verifies from the anchor", () => {
    const clock = clockAt("2025-01-01T00:00:00.000Z");
    const { store } = open({ now: clock.now, retentionDays: 30 });
    const oldIds = writeCalls(store, 3);
    const key = generateSigningKey();
    const beforePrune = store.createCheckpoint(key);
    clock.set("2025-03-01T00:00:00.000Z");
    const newIds = writeCalls(store, 2);

    const result = store.prune(new Date("2025-03-02T00:00:00.000Z"));
    expect(result).toEqual({ cutoff: "2025-01-31T00:00:00.000Z", removedCalls: 3, removedEvents: 6, anchorSeq: 7 });
    expect(store.search({ order: "asc" }).map((r) => r.id)).toEqual(newIds);
    expect(oldIds.map((id) => store.get(id))).toEqual([null, null, null]);
    expect(store.verify({ checkpoints: [beforePrune] })).toMatchObject({
      ok: true,
      firstSeq: 7,
      headSeq: 11, // 4 call events + the prune event
      checked: 5,
      checkpointsVerified: 1, // seq 6 is the anchor's back link, still known
      checkpointsPruned: 0,
    });

    writeCalls(store, 1);
    expect(store.verify()).toMatchObject({ ok: true, headSeq: 13 });
    expect(store.prune(new Date("2025-03-02T00:00:00.000Z"))).toMatchObject({ removedCalls: 0, anchorSeq: 7 });
  });

  it("still detects tampering after a prune", () => {
    const clock = clockAt("2025-01-01T00:00:00.000Z");
    const temp = open({ now: clock.now, retentionDays: 30 });
    writeCalls(temp.store, 2);
    clock.set("2025-03-01T00:00:00.000Z");
    writeCalls(temp.store, 2);
    temp.store.prune(new Date("2025-03-02T00:00:00.000Z"));
    const db = raw(temp.path);

    // Two old calls (events 1-4) went; the chain starts at 5. Event 7 accepts the second new call.
    expect(temp.store.verify()).toMatchObject({ ok: true, firstSeq: 5 });
    db.prepare("UPDATE audit_events SET body = replace(body, 'alice', 'eve') WHERE seq = 7").run();
    expect(temp.store.verify().firstBroken).toMatchObject({ seq: 7, reason: "hash_mismatch" });
  });

  it("detects an anchor moved forward to hide more rows, and rows put back before the anchor", () => {
    const clock = clockAt("2025-01-01T00:00:00.000Z");
    const temp = open({ now: clock.now, retentionDays: 30 });
    writeCalls(temp.store, 2);
    clock.set("2025-03-01T00:00:00.000Z");
    writeCalls(temp.store, 3);
    temp.store.prune(new Date("2025-03-02T00:00:00.000Z"));
    const db = raw(temp.path);
    const hashOf = (seq: number) => db.prepare<[number], { hash: string }>("SELECT hash FROM audit_events WHERE seq = ?").get(seq)?.hash;

    db.prepare("INSERT INTO audit_events (seq, kind, call_id, at, body, prev_hash, hash) VALUES (1, 'accept', 'X', 'x', '{}', 'x', 'x')").run();
    expect(temp.store.verify().firstBroken).toMatchObject({ seq: 1, reason: "anchor_mismatch" });
    db.prepare("DELETE FROM audit_events WHERE seq = 1").run();
    expect(temp.store.verify().ok).toBe(true);

    db.transaction(() => {
      db.prepare("UPDATE audit_anchor SET seq = 7, prev_hash = ?").run(hashOf(6));
      db.prepare("DELETE FROM audit_events WHERE seq < 7").run();
    })();
    expect(temp.store.verify().firstBroken).toMatchObject({ seq: 7, reason: "anchor_mismatch" });
  });

  it("never splits a call: an old call still running at the cutoff holds the boundary back", () => {
    const clock = clockAt("2025-01-01T00:00:00.000Z");
    const { store } = open({ now: clock.now, retentionDays: 30 });
    const longRunning = store.accept(acceptance({ tool: "slow" }));
    const [quick] = writeCalls(store, 1);
    const [olderStill] = [longRunning];
    clock.set("2025-03-01T00:00:00.000Z");
    store.complete(longRunning, completion());

    expect(store.prune(new Date("2025-03-02T00:00:00.000Z"))).toMatchObject({ removedCalls: 0, removedEvents: 0, anchorSeq: 1 });
    expect(store.get(olderStill ?? "")?.status).toBe("ok");
    expect(store.get(quick ?? "")?.status).toBe("ok");
    expect(store.verify().ok).toBe(true);

    clock.set("2025-05-01T00:00:00.000Z");
    expect(store.prune(new Date(Date.parse("2025-05-01T00:00:00.000Z") + DAY))).toMatchObject({ removedCalls: 2, removedEvents: 4, anchorSeq: 5 });
    expect(store.verify()).toMatchObject({ ok: true, firstSeq: 5, headSeq: 5 });
  });

  it("prunes nothing without a retention period", () => {
    const { store } = open();
    writeCalls(store, 2);
    expect(store.prune(new Date("2099-01-01T00:00:00.000Z"))).toEqual({ cutoff: null, removedCalls: 0, removedEvents: 0, anchorSeq: 1 });
  });

  it("keeps checkpoints older than the anchor out of the verdict, counted as not checkable", () => {
    const clock = clockAt("2025-01-01T00:00:00.000Z");
    const { store } = open({ now: clock.now, retentionDays: 30 });
    const key = generateSigningKey();
    writeCalls(store, 1);
    const veryOld = store.createCheckpoint(key);
    writeCalls(store, 2);
    clock.set("2025-03-01T00:00:00.000Z");
    writeCalls(store, 1);
    store.prune(new Date("2025-03-02T00:00:00.000Z"));
    expect(store.verify({ checkpoints: [veryOld] })).toMatchObject({ ok: true, checkpointsPruned: 1, checkpointsVerified: 0 });
  });
});

describe("signCheckpoint", () => {
  it("covers seq, head hash, time and key", () => {
    const key = generateSigningKey();
    const checkpoint = signCheckpoint(key, { seq: 0, headHash: GENESIS_HASH, createdAt: "2025-03-01T12:00:00.000Z" });
    expect(Object.keys(checkpoint)).toEqual(["seq", "headHash", "createdAt", "publicKey", "signature"]);
    expect(Buffer.from(checkpoint.signature, "base64")).toHaveLength(64);
    const dir = mkdtempSync(join(tmpdir(), "wiam-audit-cp-"));
    try {
      const store = AuditStore.open(join(dir, "audit.db"), { responseBody: "none" });
      // Seq 0 is the genesis link of an empty chain: checkable, and it matches.
      expect(store.verify({ checkpoints: [checkpoint] })).toMatchObject({ ok: true, checkpointsVerified: 1, checkpointsPruned: 0 });
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
