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

export function walkChain(input: ChainWalkInput): VerifyResult {
  const start: ChainAnchor = input.anchor ?? { seq: 1, prevHash: GENESIS_HASH };
  const breaks: ChainBreak[] = [];
  const pending = new Map<number, AuditCheckpoint[]>();
  let checkpointsVerified = 0;
  let checkpointsPruned = 0;

  for (const checkpoint of input.checkpoints) {
    const problem = checkpointProblem(checkpoint, input.trustedPublicKeys);
    if (problem !== null) {
      breaks.push({ seq: checkpoint.seq, id: null, reason: "checkpoint_mismatch", detail: problem });
    } else if (checkpoint.seq === start.seq - 1) {
      // The event just before the anchor is gone, but the anchor kept its hash.
      if (checkpoint.headHash === start.prevHash) checkpointsVerified++;
      else breaks.push(checkpointHashBreak(checkpoint, null, start.prevHash));
    } else if (checkpoint.seq < start.seq - 1) {
      checkpointsPruned++;
    } else {
      pending.set(checkpoint.seq, [...(pending.get(checkpoint.seq) ?? []), checkpoint]);
    }
  }

  let expectedSeq = start.seq;
  let prevHash = start.prevHash;
  let checked = 0;
  let latestPrune: PruneBody | null = null;
  let brokenLink: ChainEvent | null = null;

  for (const event of input.events) {
    if (event.seq < start.seq) {
      breaks.push({
        seq: event.seq,
        id: event.callId,
        reason: "anchor_mismatch",
        detail: `event ${event.seq} sits before the retention anchor (seq ${start.seq})`,
      });
      break;
    }
    if (event.seq !== expectedSeq) {
      breaks.push({
        seq: expectedSeq,
        id: null,
        reason: "missing",
        detail: `expected event ${expectedSeq}, found ${event.seq}: ${event.seq - expectedSeq} event(s) deleted`,
      });
      break;
    }
    if (event.prevHash !== prevHash) {
      brokenLink = event;
      break;
    }
    if (eventHash(event) !== event.hash) {
      breaks.push({
        seq: event.seq,
        id: event.callId,
        reason: "hash_mismatch",
        detail: "the stored hash does not match the event's content: the row was edited",
      });
      break;
    }
    for (const checkpoint of pending.get(event.seq) ?? []) {
      if (checkpoint.headHash === event.hash) checkpointsVerified++;
      else breaks.push(checkpointHashBreak(checkpoint, event.callId, event.hash));
    }
    pending.delete(event.seq);
    if (event.kind === "prune") latestPrune = parsePrune(event.body);
    prevHash = event.hash;
    expectedSeq++;
    checked++;
  }

  // Runs after the loop: the lookup may need the database connection the iteration was holding.
  if (brokenLink !== null) breaks.push(classifyBrokenLink(brokenLink, input.findSeqByHash(brokenLink.prevHash)));

  const headSeq = expectedSeq - 1;
  const chainIntact = !breaks.some((b) => b.reason !== "checkpoint_mismatch");
  if (chainIntact) {
    for (const [seq, checkpoints] of pending) {
      for (const checkpoint of checkpoints) {
        breaks.push({
          seq,
          id: null,
          reason: "checkpoint_mismatch",
          detail: `a checkpoint signed seq ${seq} (created ${checkpoint.createdAt}) but the chain ends at seq ${headSeq}: events were removed from its end`,
        });
      }
    }
    const anchorBreak = checkAnchor(input.anchor, latestPrune);
    if (anchorBreak !== null) breaks.push(anchorBreak);
  }

  const firstBroken = breaks.reduce<ChainBreak | undefined>((first, b) => (first === undefined || b.seq < first.seq ? b : first), undefined);
  const result: VerifyResult = {
    ok: firstBroken === undefined,
    checked,
    firstSeq: start.seq,
    headSeq,
    headHash: prevHash,
    checkpointsVerified,
    checkpointsPruned,
  };
  if (firstBroken !== undefined) result.firstBroken = firstBroken;
  return result;
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
