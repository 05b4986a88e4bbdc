/**
 * The hash chain over audit events and the walk that checks it. Pure: the store feeds it rows in seq
 * order and answers one lookup, so the rules can be read (and tested) apart from SQLite.
 *
 * hash(event) = SHA-256 of "wiam-audit-v1\n<seq>\n<kind>\n<call id>\n<at>\n<prev hash>\n<body>", where
 * body is the canonical JSON of the event content as stored. None of the fields before the body can
 * contain a newline (integers, fixed words, base32 ids, ISO times, hex), so the encoding is unambiguous.
 */
import { createHash } from "node:crypto";
import { checkpointSignatureValid } from "./signing.js";
import { pruneBodySchema, type PruneBody } from "./schema.js";
import type { AuditCheckpoint, ChainBreak, VerifyResult } from "./types.js";

export const GENESIS_HASH = "0".repeat(64);

export type EventKind = "accept" | "complete" | "prune";

export interface ChainEvent {
  seq: number;
  kind: string;
  callId: string;
  at: string;
  body: string;
  prevHash: string;
  hash: string;
}

export function eventHash(event: Omit<ChainEvent, "hash">): string {
  return createHash("sha256")
    .update(`wiam-audit-v1\n${event.seq}\n${event.kind}\n${event.callId}\n${event.at}\n${event.prevHash}\n`)
    .update(event.body)
    .digest("hex");
}

/** Where the remaining chain starts after retention pruning. */
export interface ChainAnchor {
  seq: number;
  prevHash: string;
}

export interface ChainWalkInput {
  events: Iterable<ChainEvent>;
  anchor: ChainAnchor | null;
  checkpoints: readonly AuditCheckpoint[];
  trustedPublicKeys?: readonly string[] | undefined;
  /** Seq of the event whose hash is `hash`, or null; called only after `events` is closed. */
  findSeqByHash(hash: string): number | null;
}

/** Walks a chain whose events are all at hand (or come from a synchronous cursor). */
export function walkChain(input: ChainWalkInput): VerifyResult {
  const walker = new ChainWalker(input.anchor, input.checkpoints, input.trustedPublicKeys);
  for (const event of input.events) if (!walker.push(event)) break;
  // After the loop: the lookup may need the database connection the iteration was holding.
  const dangling = walker.danglingLink;
  return walker.finish(dangling === null ? null : input.findSeqByHash(dangling));
}

/**
 * The chain check, one event at a time, so a store can feed it page by page without holding the
 * whole log in memory: `push` each event in seq order until it returns false, look up the event
 * `danglingLink` names (if any), then `finish`.
 */
export class ChainWalker {
  private readonly start: ChainAnchor;
  private readonly breaks: ChainBreak[] = [];
  private readonly pending = new Map<number, AuditCheckpoint[]>();
  private checkpointsVerified = 0;
  private checkpointsPruned = 0;
  private expectedSeq: number;
  private prevHash: string;
  private checked = 0;
  private latestPrune: PruneBody | null = null;
  private brokenLink: ChainEvent | null = null;
  private stopped = false;

  constructor(
    private readonly anchor: ChainAnchor | null,
    checkpoints: readonly AuditCheckpoint[],
    trustedPublicKeys?: readonly string[],
  ) {
    this.start = anchor ?? { seq: 1, prevHash: GENESIS_HASH };
    this.expectedSeq = this.start.seq;
    this.prevHash = this.start.prevHash;
    for (const checkpoint of checkpoints) {
      const problem = checkpointProblem(checkpoint, trustedPublicKeys);
      if (problem !== null) {
        this.breaks.push({ seq: checkpoint.seq, id: null, reason: "checkpoint_mismatch", detail: problem });
      } else if (checkpoint.seq === this.start.seq - 1) {
        // The event just before the anchor is gone, but the anchor kept its hash.
        if (checkpoint.headHash === this.start.prevHash) this.checkpointsVerified++;
        else this.breaks.push(checkpointHashBreak(checkpoint, null, this.start.prevHash));
      } else if (checkpoint.seq < this.start.seq - 1) {
        this.checkpointsPruned++;
      } else {
        this.pending.set(checkpoint.seq, [...(this.pending.get(checkpoint.seq) ?? []), checkpoint]);
      }
    }
  }

  /** Checks the next event in seq order; false when the chain broke here and later events prove nothing. */
  push(event: ChainEvent): boolean {
    if (this.stopped) return false;
    const stop = (): false => {
      this.stopped = true;
      return false;
    };
    if (event.seq < this.start.seq) {
      this.breaks.push({ seq: event.seq, id: event.callId, reason: "anchor_mismatch", detail: `event ${event.seq} sits before the retention anchor (seq ${this.start.seq})` });
      return stop();
    }
    if (event.seq !== this.expectedSeq) {
      this.breaks.push({
        seq: this.expectedSeq,
        id: null,
        reason: "missing",
        detail: `expected event ${this.expectedSeq}, found ${event.seq}: ${event.seq - this.expectedSeq} event(s) deleted`,
      });
      return stop();
    }
    if (event.prevHash !== this.prevHash) {
      this.brokenLink = event;
      return stop();
    }
    if (eventHash(event) !== event.hash) {
      this.breaks.push({ seq: event.seq, id: event.callId, reason: "hash_mismatch", detail: "the stored hash does not match the event's content: the row was edited" });
      return stop();
    }
    for (const checkpoint of this.pending.get(event.seq) ?? []) {
      if (checkpoint.headHash === event.hash) this.checkpointsVerified++;
      else this.breaks.push(checkpointHashBreak(checkpoint, event.callId, event.hash));
    }
    this.pending.delete(event.seq);
    if (event.kind === "prune") this.latestPrune = parsePrune(event.body);
    this.prevHash = event.hash;
    this.expectedSeq++;
    this.checked++;
    return true;
  }

  /** The hash a broken back link points at: the caller looks up which event has it (moved or forged?). */
  get danglingLink(): string | null {
    return this.brokenLink?.prevHash ?? null;
  }

  /** The verdict; `linkedSeq` is the seq of the event `danglingLink` names, or null. */
  finish(linkedSeq: number | null): VerifyResult {
    const breaks = [...this.breaks];
    if (this.brokenLink !== null) breaks.push(classifyBrokenLink(this.brokenLink, linkedSeq));
    const headSeq = this.expectedSeq - 1;
    const chainIntact = !breaks.some((b) => b.reason !== "checkpoint_mismatch");
    if (chainIntact) {
      for (const [seq, checkpoints] of this.pending) {
        for (const checkpoint of checkpoints) {
          breaks.push({
            seq,
            id: null,
            reason: "checkpoint_mismatch",
            detail: `a checkpoint signed seq ${seq} (created ${checkpoint.createdAt}) but the chain ends at seq ${headSeq}: events were removed from its end`,
          });
        }
      }
      const anchorBreak = checkAnchor(this.anchor, this.latestPrune);
      if (anchorBreak !== null) breaks.push(anchorBreak);
    }
    const firstBroken = breaks.reduce<ChainBreak | undefined>((first, b) => (first === undefined || b.seq < first.seq ? b : first), undefined);
    const result: VerifyResult = {
      ok: firstBroken === undefined,
      checked: this.checked,
      firstSeq: this.start.seq,
      headSeq,
      headHash: this.prevHash,
      checkpointsVerified: this.checkpointsVerified,
      checkpointsPruned: this.checkpointsPruned,
    };
    if (firstBroken !== undefined) result.firstBroken = firstBroken;
    return result;
  }
}

function checkpointProblem(checkpoint: AuditCheckpoint, trusted: readonly string[] | undefined): string | null {
  if (!checkpointSignatureValid(checkpoint)) {
    return `the checkpoint for seq ${checkpoint.seq} has an invalid signature: it was altered after signing`;
  }
  if (trusted !== undefined && !trusted.includes(checkpoint.publicKey)) {
    return `the checkpoint for seq ${checkpoint.seq} is signed by a key that is not trusted`;
  }
  return null;
}

function checkpointHashBreak(checkpoint: AuditCheckpoint, id: string | null, actual: string): ChainBreak {
  return {
    seq: checkpoint.seq,
    id,
    reason: "checkpoint_mismatch",
    detail: `the checkpoint created ${checkpoint.createdAt} signed hash ${checkpoint.headHash.slice(0, 12)}… at seq ${checkpoint.seq}, the chain now has ${actual.slice(0, 12)}…: the chain was rewritten`,
  };
}

/** A wrong back link either points at another event of the chain (moved) or at nothing (forged). */
function classifyBrokenLink(event: ChainEvent, linkedSeq: number | null): ChainBreak {
  if (linkedSeq !== null && linkedSeq !== event.seq - 1) {
    return {
      seq: event.seq,
      id: event.callId,
      reason: "reordered",
      detail: `the event at seq ${event.seq} was written after the event now at seq ${linkedSeq}: events were moved`,
    };
  }
  return {
    seq: event.seq,
    id: event.callId,
    reason: "prev_mismatch",
    detail: `the event at seq ${event.seq} does not link to the event before it: the previous event was replaced or its link edited`,
  };
}

function checkAnchor(anchor: ChainAnchor | null, latestPrune: PruneBody | null): ChainBreak | null {
  if (anchor === null) return null;
  if (latestPrune !== null && latestPrune.prunedBefore === anchor.seq && latestPrune.anchorPrevHash === anchor.prevHash) {
    return null;
  }
  return {
    seq: anchor.seq,
    id: null,
    reason: "anchor_mismatch",
    detail: "the retention anchor does not match the latest prune event recorded in the chain",
  };
}

function parsePrune(body: string): PruneBody | null {
  try {
    const parsed = pruneBodySchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
