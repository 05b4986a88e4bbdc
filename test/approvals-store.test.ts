/**
 * The approval queue's store and its rules, run the same against the embedded SQLite file and a
 * real PostgreSQL server: a request binds to one exact call, is decided once, expires, is never
 * decided by its caller (by name, by subject, or through a group the caller is in), and an
 * identical call in the same task reuses the approval and names it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresApprovalStore } from "../src/approvals/postgres-store.js";
import { ApprovalQueue, ApprovalRefusal, type ApprovalAuditEvent } from "../src/approvals/queue.js";
import { SqliteApprovalStore } from "../src/approvals/sqlite-store.js";
import type { Decider } from "../src/approvals/identity.js";
import type { ApprovalStore } from "../src/approvals/store.js";
import type { SecondPersonRequest } from "../src/governance/governor.js";
import type { ApprovalRequestRecord, NewApprovalRequest } from "../src/approvals/types.js";
import { migratePostgres } from "../src/state/migrations.js";
import { startPostgres, type PostgresServer } from "./support/postgres.js";

const ISSUER = "https://idp.example.com";
const T0 = new Date("2026-03-02T10:00:00.000Z");

function request(overrides: Partial<SecondPersonRequest> = {}): SecondPersonRequest {
  return {
    tool: "describe_identity",
    intent: "Review the deploy role before the release",
    taskId: "release-42",
    scope: { id: "111122223333", kind: "account", provider: "aws", environment: "production", estateWide: false, containsProduction: true, tags: {} } as unknown as SecondPersonRequest["scope"],
    arguments: { principal: "arn:aws:iam::111122223333:role/deploy" },
    reasons: ["production needs a second person"],
    policyIds: ["prod-second-person"],
    timeoutMs: 60_000,
    binding: { tool: "describe_identity", argumentsHash: "a".repeat(64), caller: `${ISSUER}|alice`, taskKey: `${ISSUER}|alice#release-42`, policyVersion: "wiam-policy-v1" },
    callerSubject: "alice",
    callerClientId: "",
    callerTransport: "http",
    requirements: [{ policyId: "prod-second-person", groups: ["token:secops"] }],
    askedArguments: { principal: "arn:aws:iam::111122223333:role/deploy", include_paths: true, note_filter: "key AKIAIOSFODNN7EXAMPLE leaked?" },
    ...overrides,
  };
}

const sam: Decider = { name: `${ISSUER}|sam`, subjects: ["sam"], tokenGroups: ["secops"], via: "http" };
const carol: Decider = { name: `${ISSUER}|carol`, subjects: ["carol"], tokenGroups: ["analysts"], via: "http" };
/** Alice again, with a second token from another client: same subject, and in secops too. */
const aliceAgain: Decider = { name: `${ISSUER}|alice`, subjects: ["alice"], tokenGroups: ["secops", "analysts"], via: "http" };
/** An OS account on the host named like Alice's token subject. */
const aliceOnHost: Decider = { name: "alice", subjects: ["alice"], tokenGroups: [], via: "cli" };
const opsOnHost: Decider = { name: "ops-admin", subjects: ["ops-admin"], tokenGroups: [], via: "cli" };

interface Harness {
  queue: ApprovalQueue;
  store: ApprovalStore;
  clock: { now: Date };
  events: ApprovalAuditEvent[];
  /** Audit actions whose write fails. */
  failing: Set<string>;
}

function harness(store: ApprovalStore, maxPendingPerCaller?: number): Harness {
  const clock = { now: T0 };
  const events: ApprovalAuditEvent[] = [];
  const failing = new Set<string>();
  const queue = new ApprovalQueue({
    store: () => Promise.resolve(store),
    callerGroups: () => ({ secops: ["ops-admin", "alice"] }),
    now: () => clock.now,
    pollIntervalMs: 5,
    reuseWindowMs: () => 8 * 3_600_000,
    ...(maxPendingPerCaller === undefined ? {} : { maxPendingPerCaller: () => maxPendingPerCaller }),
    redactText: (text) => text.replace(/AKIA[0-9A-Z]{16}/g, "[REDACTED:aws_access_key_id]"),
    redactValue: (value) => JSON.parse(JSON.stringify(value).replace(/AKIA[0-9A-Z]{16}/g, "[REDACTED:aws_access_key_id]")) as unknown,
    audit: (event) => {
      if (failing.has(event.action)) throw new Error("disk full");
      events.push(event);
    },
  });
  return { queue, store, clock, events, failing };
}

/** Stores a request directly (as another process would have), expecting a new one. */
async function created(store: ApprovalStore, request: NewApprovalRequest): Promise<ApprovalRequestRecord> {
  const outcome = await store.create(request, { maxPendingPerCaller: 1_000 });
  if (outcome.kind !== "created") throw new Error(`expected a new request, got ${outcome.kind}`);
  return outcome.record;
}

/** Waits until the queue holds a pending request and returns its id. */
async function pendingId(store: ApprovalStore): Promise<string> {
  for (let i = 0; i < 2_000; i++) {
    const [pending] = await store.list({ status: "pending" });
    if (pending) return pending.id;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error("no pending request appeared");
}

function suite(name: string, open: () => Promise<ApprovalStore>): void {
  describe(`approval queue on ${name}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = harness(await open());
    });

    it("holds the call until a second person from the group approves, and records who, when and the note", async () => {
      const answer = h.queue.ask(request());
      const id = await pendingId(h.store);
      h.clock.now = new Date(T0.getTime() + 30_000);
      const decided = await h.queue.decide(sam, id, "approved", "checked with the release owner");
      expect(decided.status).toBe("approved");
      expect(await answer).toEqual({
        outcome: "approved",
        approver: `${ISSUER}|sam`,
        note: "checked with the release owner",
        kind: "second-person",
        requestId: id,
        reusedFrom: null,
        decidedAt: "2026-03-02T10:00:30.000Z",
      });
      const stored = await h.store.get(id);
      expect(stored).toMatchObject({ status: "approved", tool: "describe_identity", caller: `${ISSUER}|alice`, taskId: "release-42", requestedAt: "2026-03-02T10:00:00.000Z", expiresAt: "2026-03-02T10:01:00.000Z" });
      // The approver sees every argument the approval binds to, redacted as the audit log keeps them.
      expect(stored?.arguments).toEqual({ principal: "arn:aws:iam::111122223333:role/deploy", include_paths: true, note_filter: "key [REDACTED:aws_access_key_id] leaked?" });
      expect(h.events.map((e) => [e.action, e.actor])).toEqual([
        ["request", `${ISSUER}|alice`],
        ["approve", `${ISSUER}|sam`],
      ]);
    });

    it("reuses the approval for an identical call in the same task and names it; any difference asks again", async () => {
      const [approved] = await h.store.list({ status: "approved" });
      h.clock.now = new Date(T0.getTime() + 120_000);
      expect(await h.queue.ask(request())).toMatchObject({ outcome: "approved", approver: `${ISSUER}|sam`, requestId: null, reusedFrom: approved?.id });

      for (const binding of [
        { argumentsHash: "b".repeat(64) },
        { taskKey: `${ISSUER}|alice#release-43` },
        { caller: `${ISSUER}|bob` },
        { policyVersion: "wiam-policy-v2" },
        { tool: "find_entitlement_paths" },
      ]) {
        const other = request({ binding: { ...request().binding, ...binding }, timeoutMs: 1_000 });
        const answer = h.queue.ask(other);
        const id = await pendingId(h.store);
        await h.queue.decide(sam, id, "denied", null);
        expect((await answer).outcome, JSON.stringify(binding)).toBe("declined");
      }
    });

    it("never lets the caller decide their own request: not by a second token, not through a group, not as the same-named OS user", async () => {
      const answer = h.queue.ask(request({ binding: { ...request().binding, argumentsHash: "8".repeat(64) } }));
      const id = await pendingId(h.store);
      for (const self of [aliceAgain, aliceOnHost]) {
        const refusal = await h.queue.decide(self, id, "approved", null).catch((error: unknown) => error);
        expect(refusal).toBeInstanceOf(ApprovalRefusal);
        expect((refusal as ApprovalRefusal).status).toBe(403);
        expect((refusal as ApprovalRefusal).message).toBe(`approval request ${id} is your own: a second person must decide it`);
      }
      expect((await h.store.get(id))?.status).toBe("pending");
      const notInGroup = await h.queue.decide(carol, id, "approved", null).catch((error: unknown) => error);
      expect((notInGroup as ApprovalRefusal).status).toBe(404);
      // An OS account in the config group secops does not meet a token:secops requirement.
      const wrongKind = await h.queue.decide(opsOnHost, id, "approved", null).catch((error: unknown) => error);
      expect((wrongKind as ApprovalRefusal).status).toBe(404);
      const refused = h.events.filter((e) => e.action === "refuse");
      expect(refused.map((e) => [e.actor, e.refusal])).toEqual([
        [`${ISSUER}|alice`, `approval request ${id} is your own: a second person must decide it`],
        ["alice", `approval request ${id} is your own: a second person must decide it`],
      ]);
      await h.queue.decide(sam, id, "denied", "not during the freeze");
      expect(await answer).toMatchObject({ outcome: "declined", approver: `${ISSUER}|sam`, note: "not during the freeze" });
    });

    it("refuses a decider whose token comes from the OAuth client the request was asked through", async () => {
      const answer = h.queue.ask(request({ binding: { ...request().binding, argumentsHash: "6".repeat(64) }, callerClientId: "release-agent" }));
      const id = await pendingId(h.store);
      const throughAgent: Decider = { ...sam, clientId: "release-agent" };
      const refusal = await h.queue.decide(throughAgent, id, "approved", null).catch((error: unknown) => error);
      expect((refusal as ApprovalRefusal).status).toBe(403);
      expect((refusal as ApprovalRefusal).message).toBe(`approval request ${id} was asked through the OAuth client "release-agent", the one your token comes from: decide it with a token issued to an approver's own client`);
      expect((await h.store.get(id))?.callerClientId).toBe("release-agent");
      await h.queue.decide({ ...sam, clientId: "secops-console" }, id, "approved", null);
      expect((await answer).outcome).toBe("approved");
    });

    it("takes no decision the audit log cannot record: the request stays pending and the approver is told", async () => {
      const answer = h.queue.ask(request({ binding: { ...request().binding, argumentsHash: "0".repeat(64) } }));
      const id = await pendingId(h.store);
      h.failing.add("approve");
      await expect(h.queue.decide(sam, id, "approved", null)).rejects.toThrow(
        `the audit log could not record your decision on approval request ${id}: the audit write failed; nothing was decided: the request is still pending. Try again shortly`,
      );
      expect((await h.store.get(id))?.status).toBe("pending");
      h.failing.clear();
      await h.queue.decide(sam, id, "approved", null);
      expect(await answer).toMatchObject({ outcome: "approved", requestId: id });
      expect(h.events.filter((e) => e.request.id === id).map((e) => [e.action, e.request.status])).toEqual([
        ["request", "pending"],
        ["approve", "approved"],
      ]);
    });

    it("knows the caller under another case or a compatibility form of the name (NFKC, case-folded)", async () => {
      const answer = h.queue.ask(request({ binding: { ...request().binding, argumentsHash: "ab".repeat(32) } }));
      const id = await pendingId(h.store);
      const lookalikes: Decider[] = [
        { name: `${ISSUER}|ALICE`, subjects: ["ALICE"], tokenGroups: ["secops"], via: "http" },
        { name: "\uff41\uff4c\uff49\uff43\uff45", subjects: ["\uff41\uff4c\uff49\uff43\uff45"], tokenGroups: ["secops"], via: "http" },
      ];
      for (const lookalike of lookalikes) {
        const refusal = await h.queue.decide(lookalike, id, "approved", null).catch((error: unknown) => error);
        expect((refusal as ApprovalRefusal).message).toBe(`approval request ${id} is your own: a second person must decide it`);
      }
      await h.queue.decide(sam, id, "denied", null);
      expect((await answer).outcome).toBe("declined");
    });

    it("puts no terminal escapes or line breaks from stored names into refusal messages", async () => {
      const answer = h.queue.ask(request({ binding: { ...request().binding, argumentsHash: "cd".repeat(32) } }));
      const id = await pendingId(h.store);
      const odd: Decider = { name: `${ISSUER}|sam\u001b]0;pwned\u0007\nrm -rf`, subjects: ["sam-odd"], tokenGroups: ["secops"], via: "http" };
      await h.queue.decide(odd, id, "approved", null);
      await answer;
      const again = (await h.queue.decide(sam, id, "denied", null).catch((error: unknown) => error)) as ApprovalRefusal;
      expect(again.status).toBe(409);
      expect(again.message.startsWith(`approval request ${id} is already approved (by ${ISSUER}|sam`)).toBe(true);
      expect(again.message).not.toMatch(/[\u0000-\u001f\u007f]/);
    });

    it("decides a request once: a second decision is a conflict", async () => {
      const answer = h.queue.ask(request({ binding: { ...request().binding, argumentsHash: "c".repeat(64) } }));
      const id = await pendingId(h.store);
      await h.queue.decide(sam, id, "approved", null);
      await answer;
      const again = await h.queue.decide(sam, id, "denied", null).catch((error: unknown) => error);
      expect((again as ApprovalRefusal).status).toBe(409);
      expect((again as ApprovalRefusal).message).toBe(`approval request ${id} is already approved (by ${ISSUER}|sam)`);
    });

    it("expires a request nobody decided once its time is up, and refuses a late approval", async () => {
      h.clock.now = new Date(T0.getTime() + 3_600_000);
      const answer = h.queue.ask(request({ binding: { ...request().binding, argumentsHash: "d".repeat(64) }, timeoutMs: 5_000 }));
      const id = await pendingId(h.store);
      h.clock.now = new Date(h.clock.now.getTime() + 5_000);
      expect(await answer).toMatchObject({ outcome: "timeout", requestId: id, approver: null });
      expect((await h.store.get(id))?.status).toBe("expired");
      const late = await h.queue.decide(sam, id, "approved", null).catch((error: unknown) => error);
      expect((late as ApprovalRefusal).status).toBe(409);
      expect(h.events.at(-2)?.action).toBe("expire");
    });

    it("withdraws the request when the caller stops waiting", async () => {
      const controller = new AbortController();
      const answer = h.queue.ask(request({ binding: { ...request().binding, argumentsHash: "e".repeat(64) } }), controller.signal);
      const id = await pendingId(h.store);
      controller.abort();
      expect(await answer).toMatchObject({ outcome: "cancelled", requestId: id });
      expect((await h.store.get(id))?.status).toBe("withdrawn");
    });

    it("lets a config-group member on the host decide a request naming that group, and redacts the note", async () => {
      const answer = h.queue.ask(request({ binding: { ...request().binding, argumentsHash: "f".repeat(64) }, requirements: [{ policyId: "p", groups: ["secops"] }] }));
      const id = await pendingId(h.store);
      expect((await h.queue.list(opsOnHost, { status: "pending" })).map((r) => r.id)).toEqual([id]);
      expect(await h.queue.list(carol, { status: "pending" })).toEqual([]);
      await h.queue.decide(opsOnHost, id, "approved", "key AKIAIOSFODNN7EXAMPLE rotated\u200b");
      expect(await answer).toMatchObject({ outcome: "approved", approver: "ops-admin", note: "key [REDACTED:aws_access_key_id] rotated" });
    });

    it("lists a request whose waiter went away as expired once its time is up, and records the expiry", async () => {
      const now = h.clock.now;
      // As a call in a process that died would have left it: pending, nobody polling.
      const orphan = await created(h.store, {
        ...request().binding,
        argumentsHash: "7".repeat(64),
        callerSubject: "alice",
        callerClientId: "",
        taskId: "release-42",
        intent: "left behind",
        arguments: {},
        scope: "the whole estate",
        reasons: ["r"],
        requirements: [{ policyId: "prod-second-person", groups: ["token:secops"] }],
        requestedAt: new Date(now.getTime() - 120_000),
        expiresAt: new Date(now.getTime() - 60_000),
      });
      expect((await h.queue.list(sam, { status: "pending" })).map((r) => r.id)).not.toContain(orphan.id);
      expect((await h.store.get(orphan.id))?.status).toBe("expired");
      expect(h.events.at(-1)).toMatchObject({ action: "expire", actor: "server", request: { id: orphan.id } });
    });

    it("prunes requests that are over and keeps the ones still pending", async () => {
      const answer = h.queue.ask(request({ binding: { ...request().binding, argumentsHash: "9".repeat(64) }, timeoutMs: 3_600_000 }));
      const id = await pendingId(h.store);
      const removed = await h.queue.prune(new Date(h.clock.now.getTime() + 1));
      expect(removed).toBeGreaterThan(0);
      expect((await h.store.list()).map((r) => r.id)).toEqual([id]);
      await h.queue.decide(sam, id, "denied", null);
      await answer;
    });

    it("merges an identical call into the request already waiting: one request, one decision, both answered", async () => {
      const same = request({ binding: { ...request().binding, argumentsHash: "1".repeat(64) } });
      const first = h.queue.ask(same);
      const id = await pendingId(h.store);
      const second = h.queue.ask(same);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect((await h.store.list({ status: "pending" })).map((r) => r.id)).toEqual([id]);
      await h.queue.decide(sam, id, "approved", null);
      expect([(await first).requestId, (await second).requestId]).toEqual([id, id]);
      expect([(await first).outcome, (await second).outcome]).toEqual(["approved", "approved"]);
    });

    it("merges an identical call only into a request asked of the approvers it needs: another group's request is not joined", async () => {
      const binding = { ...request().binding, argumentsHash: "2".repeat(64) };
      const forSecops = h.queue.ask(request({ binding }));
      const secopsId = await pendingId(h.store);
      // The same call, held this time by an answer policy only data owners may lift.
      const forDataOwners = h.queue.ask(request({ binding, policyIds: ["answer-needs-data-owners"], requirements: [{ policyId: "answer-needs-data-owners", groups: ["token:data-owners"] }] }));
      let pending: ApprovalRequestRecord[] = [];
      for (let i = 0; i < 500 && pending.length < 2; i++) {
        pending = await h.store.list({ status: "pending" });
        if (pending.length < 2) await new Promise((resolve) => setTimeout(resolve, 2));
      }
      expect(pending.map((r) => r.requirements.map((q) => q.policyId))).toEqual([["answer-needs-data-owners"], ["prod-second-person"]]);
      await h.queue.decide(sam, secopsId, "approved", null);
      expect(await forSecops).toMatchObject({ outcome: "approved", requestId: secopsId });
      // Sam's secops approval released only the secops request; the data owners' still waits.
      const dataOwnersId = pending.find((r) => r.id !== secopsId)?.id ?? "";
      expect((await h.store.get(dataOwnersId))?.status).toBe("pending");
      await h.store.close(dataOwnersId, "withdrawn", T0);
      expect((await forDataOwners).requestId).toBe(dataOwnersId);
    });

    it("refuses a caller's request beyond the pending cap with a clear message, and queues nothing for it", async () => {
      const capped = harness(h.store, 2);
      const controller = new AbortController();
      const ask = (hash: string) => capped.queue.ask(request({ binding: { ...request().binding, caller: `${ISSUER}|mallory`, argumentsHash: hash.repeat(64) }, callerSubject: "mallory" }), controller.signal);
      const waiting = [ask("2"), ask("3")];
      for (let i = 0; i < 500 && (await h.store.list({ status: "pending" })).length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 2));
      expect(await ask("4")).toEqual({
        outcome: "failed",
        approver: null,
        note: null,
        kind: "second-person",
        requestId: null,
        refusal:
          "refused: you already have 2 approval requests waiting for a second person, the most allowed (governance.approvals.maxPendingPerCaller: 2); the call was not run and nothing was queued. Wait for those to be decided, or cancel their calls, then call again",
      });
      expect((await h.store.list({ status: "pending" })).length).toBe(2);
      controller.abort();
      expect((await Promise.all(waiting)).map((a) => a.outcome)).toEqual(["cancelled", "cancelled"]);
    });

    it("lists the decider's requests before the page limit, however many newer requests name other groups", async () => {
      const base = { ...request().binding, callerSubject: "bob", callerClientId: "", taskId: "t", intent: "i", arguments: {}, scope: "s", reasons: ["r"] };
      const at = (seconds: number) => new Date(h.clock.now.getTime() + seconds * 1_000);
      const mine = await created(h.store, { ...base, caller: `${ISSUER}|bob`, argumentsHash: "5".repeat(64), requirements: [{ policyId: "p", groups: ["token:secops"] }], requestedAt: at(1), expiresAt: at(3_600) });
      for (let i = 0; i < 120; i++) {
        await created(h.store, { ...base, caller: `${ISSUER}|flood${i}`, argumentsHash: i.toString(16).padStart(64, "0"), requirements: [{ policyId: "p", groups: ["token:devleads"] }], requestedAt: at(2 + i), expiresAt: at(3_600) });
      }
      expect((await h.queue.list(sam, { status: "pending" })).map((r) => r.id)).toEqual([mine.id]);
      expect((await h.queue.list(sam, { status: "pending", limit: 1 })).map((r) => r.id)).toEqual([mine.id]);
      expect(await h.queue.list(carol, { status: "pending" })).toEqual([]);
    });
  });
}

describe("approval retention", () => {
  it("removes requests over for longer than the retention when the queue is first used", async () => {
    const store = SqliteApprovalStore.open(join(mkdtempSync(join(tmpdir(), "wiam-approvals-retention-")), "approvals.db"));
    const old = await created(store, { ...request().binding, callerSubject: "alice", callerClientId: "", taskId: "t", intent: "i", arguments: {}, scope: "s", reasons: [], requirements: [], requestedAt: new Date("2025-01-01T00:00:00Z"), expiresAt: new Date("2025-01-01T00:01:00Z") });
    await store.decide(old.id, { status: "denied", approver: "sam", note: null, at: new Date("2025-01-01T00:00:30Z") });
    const queue = new ApprovalQueue({ store: () => Promise.resolve(store), callerGroups: () => ({}), now: () => T0, reuseWindowMs: () => 0, retentionMs: () => 30 * 86_400_000, redactText: (text) => text, redactValue: (value) => value });
    expect(await queue.list(sam)).toEqual([]);
    expect(await store.get(old.id)).toBeNull();
    await queue.dispose();
  });
});

const sqliteDir = mkdtempSync(join(tmpdir(), "wiam-approvals-"));
suite("SQLite", () => Promise.resolve(SqliteApprovalStore.open(join(sqliteDir, "approvals.db"))));

let server: PostgresServer | undefined;
let pool: pg.Pool | undefined;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await pool?.end();
  await server?.stop();
  rmSync(sqliteDir, { recursive: true, force: true });
});
suite("PostgreSQL", async () => {
  pool = new pg.Pool({ connectionString: await (server as PostgresServer).createDatabase() });
  // Idle connections break when the server stops (below): the pool reports it, nothing to do here.
  pool.on("error", () => undefined);
  const current = pool;
  return PostgresApprovalStore.open(current, async (component, migrations) => void (await migratePostgres(current, component, migrations)));
});

describe("approval queue on PostgreSQL while the database is away", () => {
  it("refuses with a clear error naming what failed, and works again once the database is back", async () => {
    const store = new PostgresApprovalStore(pool as pg.Pool);
    (server as PostgresServer).stopServer();
    try {
      await expect(store.list()).rejects.toThrow(/^the approval queue could not be reached: .+; nothing was decided or run\. Try again shortly$/);
    } finally {
      (server as PostgresServer).startServer();
    }
    let listed: unknown = null;
    for (let i = 0; i < 50 && !Array.isArray(listed); i++) {
      listed = await store.list().catch(() => null);
      if (!Array.isArray(listed)) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(Array.isArray(listed)).toBe(true);
  }, 60_000);
});
