/**
 * Public shapes of the entitlement-path analysis: the query it takes and the answer it gives.
 * The zod schemas are the source of truth so the MCP tool can use them as input/output schemas.
 */
import { z } from "zod";
import { conditionSchema, principalKindSchema, providerSchema } from "../../model/inventory.js";

export const DEFAULT_PIVOT_DEPTH = 4;
export const MAX_PIVOT_DEPTH = 8;
/** Paths returned at most; past it the answer says `truncated`. */
export const MAX_PATHS = 5_000;

export const entitlementQuerySchema = z.object({
  principal: z
    .string()
    .min(1)
    .optional()
    .describe("principal id, email, unique id or name; omit for a reverse query (who can ...)"),
  action: z
    .string()
    .min(1)
    .optional()
    .describe("action or permission, wildcards allowed (e.g. secretsmanager:*); required without principal"),
  resource: z
    .string()
    .min(1)
    .optional()
    .describe("scope id, resource id, ARN or vault item id; required without principal"),
  provider: providerSchema.optional().describe("only paths ending in this provider"),
  maxDepth: z
    .number()
    .int()
    .min(0)
    .max(MAX_PIVOT_DEPTH)
    .optional()
    .describe(`pivot hops to follow (assume role, impersonation, escalation); default ${DEFAULT_PIVOT_DEPTH}`),
});
export type EntitlementQuery = z.infer<typeof entitlementQuerySchema>;

/**
 * Outcomes, never two. Sort order of paths follows this order (see `compareEntitlementPaths`):
 * what is definitely reachable first, what is definitely blocked last. `eligible`: reachable once
 * a PIM-eligible assignment is activated, neither allowed nor missing.
 */
export const entitlementOutcomeSchema = z.enum(["allowed", "conditional", "eligible", "unknown", "denied"]);
export type EntitlementOutcome = z.infer<typeof entitlementOutcomeSchema>;

export const hopTypeSchema = z.enum([
  "principal",
  "member_of",
  "assume_role",
  "impersonate",
  "federate",
  "escalate",
  "grant",
  "policy",
  "statement",
  "binding",
  "resource",
]);
export type HopType = z.infer<typeof hopTypeSchema>;

export const hopSchema = z.object({
  type: hopTypeSchema,
  id: z.string(),
  label: z.string(),
  note: z.string().optional(),
});
export type Hop = z.infer<typeof hopSchema>;

export const blockedByKindSchema = z.enum([
  "explicit_deny",
  "deny_policy",
  "permissions_boundary",
  "principal_access_boundary",
  "scp",
  "rcp",
  "missing_trust",
  "missing_caller_permission",
  "disabled_principal",
  "resource_policy",
]);
export type BlockedByKind = z.infer<typeof blockedByKindSchema>;

export const blockedBySchema = z.object({
  kind: blockedByKindSchema,
  id: z.string().describe("statement (policyId#statementId), policy, scope or trust edge id"),
  description: z.string(),
});
export type BlockedBy = z.infer<typeof blockedBySchema>;

/** A condition left open, with the statement, binding or trust edge that carries it. */
export const openConditionSchema = conditionSchema.pick({ expression: true, keys: true, title: true }).extend({
  on: z.string().describe("id of the statement, binding or trust edge the condition sits on"),
});
export type OpenCondition = z.infer<typeof openConditionSchema>;

export const entitlementPathSchema = z.object({
  principalId: z.string(),
  via: z.array(z.string()).describe("principal ids of the pivot chain, start first"),
  action: z.string(),
  resource: z.string(),
  outcome: entitlementOutcomeSchema,
  hops: z.array(hopSchema),
  justification: z.array(z.string()).describe("statement, binding/grant and trust edge ids behind the answer"),
  blockedBy: blockedBySchema.optional(),
  openConditions: z.array(openConditionSchema).optional(),
  eligibility: z.array(z.string()).optional().describe("PIM-eligible assignments the path needs activated (outcome eligible)"),
  privilegeEscalation: z.boolean(),
  unknownReason: z.string().optional(),
  notes: z.array(z.string()).optional().describe("e.g. actions carved out by a partially overlapping deny"),
});
export type EntitlementPath = z.infer<typeof entitlementPathSchema>;

export const principalSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  provider: providerSchema,
  kind: principalKindSchema,
});
export type PrincipalSummary = z.infer<typeof principalSummarySchema>;

export const resolvedEntitlementQuerySchema = entitlementQuerySchema.extend({
  maxDepth: z.number().int().min(0).max(MAX_PIVOT_DEPTH),
});
export type ResolvedEntitlementQuery = z.infer<typeof resolvedEntitlementQuerySchema>;

export const entitlementAnswerSchema = z.object({
  mode: z.enum(["forward", "reverse"]),
  principal: principalSummarySchema.optional(),
  query: resolvedEntitlementQuerySchema,
  paths: z.array(entitlementPathSchema),
  pathCount: z.number().int().min(0).describe("number of paths in `paths`"),
  truncated: z.boolean().describe("true when more paths existed than were returned"),
  notes: z.array(z.string()),
});
export type EntitlementAnswer = z.infer<typeof entitlementAnswerSchema>;
