/**
 * Shapes of what the chain stores, checked when rows are read back: a row may have been edited by
 * hand, so nothing read from the database is trusted to have the right shape.
 */
import { z } from "zod";
import { PROVIDER_IDS } from "../providers/ids.js";

export const ACCEPT_BODY_VERSION = 1;

const cloudOperationSchema = z.object({
  provider: z.enum([...PROVIDER_IDS, "local"]),
  api: z.string(),
  scopeId: z.string().optional(),
  count: z.number(),
  requestIds: z.array(z.string()).optional(),
});

export const acceptBodySchema = z.object({
  v: z.literal(1),
  sessionId: z.string().nullable(),
  clientName: z.string().nullable(),
  clientVersion: z.string().nullable(),
  caller: z.string(),
  transport: z.enum(["stdio", "http", "cli", "in-memory"]),
  sourceAddress: z.string().nullable(),
  tool: z.string(),
  intent: z.string().nullable(),
  taskId: z.string().nullable(),
  arguments: z.unknown(),
  decision: z.enum(["allow", "deny", "approval_required"]),
  decisionRule: z.string(),
  approver: z.string().nullable(),
  // Added with request-time policy; rows written before have neither.
  policyIds: z.array(z.string()).optional(),
  approval: z
    .object({
      outcome: z.string(),
      note: z.string().nullable(),
      // Added with second-person approvals; absent in older rows.
      kind: z.enum(["second-person", "self-confirmation"]).optional(),
      requestId: z.string().nullable().optional(),
      reusedFrom: z.string().nullable().optional(),
      decidedAt: z.string().nullable().optional(),
    })
    .nullable()
    .optional(),
  redactionRulesetVersion: z.string(),
});
export type AcceptBody = z.infer<typeof acceptBodySchema>;

export const storedResponseBodySchema = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("none") }),
  z.object({ mode: z.literal("summary"), preview: z.string(), truncated: z.boolean() }),
  z.object({ mode: z.literal("full"), body: z.unknown() }),
]);

export const completeBodySchema = z.object({
  v: z.literal(1),
  status: z.enum(["ok", "error", "denied"]),
  error: z.string().nullable(),
  credentialScope: z.string().nullable(),
  cloudOperations: z.array(cloudOperationSchema),
  result: z
    .object({ itemCount: z.number(), byteSize: z.number(), sha256: z.string(), truncated: z.boolean() })
    .nullable(),
  redactionFindings: z.record(z.string(), z.number()),
  responseBody: storedResponseBodySchema,
  durationMs: z.number(),
  // Absent in records written before answer-review approvals were recorded.
  reviewApproval: z.object({ outcome: z.string(), approver: z.string().nullable(), note: z.string().nullable() }).nullable().optional(),
});
export type CompleteBody = z.infer<typeof completeBodySchema>;

export const pruneBodySchema = z.object({
  v: z.literal(1),
  cutoff: z.string(),
  prunedBefore: z.number().int(),
  anchorPrevHash: z.string(),
  removedCalls: z.number().int(),
  removedEvents: z.number().int(),
});
export type PruneBody = z.infer<typeof pruneBodySchema>;

export const checkpointSchema = z.strictObject({
  seq: z.number().int().min(0),
  headHash: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.iso.datetime({ offset: true }),
  publicKey: z.string().min(1),
  signature: z.string().min(1),
});

/** A checkpoints file: one checkpoint, an array of them, or one per line (JSONL). */
export const checkpointListSchema = z.union([checkpointSchema.transform((c) => [c]), z.array(checkpointSchema)]);
