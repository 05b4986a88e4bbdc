/** Entitlement-path analysis: who can reach what, how, and with which outcome. */
export { explainEntitlementListing, explainEntitlementPaths, type EntitlementListing, type ExplainOptions } from "./engine.js";
export type { PathListing } from "./collected-paths.js";
export { DEFAULT_LIMITS, type QueryLimits } from "./context.js";
export { compareEntitlementPaths } from "./paths.js";
export { hasWildcard, patternCovers, patternsIntersect, wildcardMatch } from "./matching.js";
export {
  blockedByKindSchema,
  blockedBySchema,
  DEFAULT_PIVOT_DEPTH,
  entitlementAnswerSchema,
  entitlementOutcomeSchema,
  entitlementPathSchema,
  entitlementQuerySchema,
  hopSchema,
  hopTypeSchema,
  MAX_PATHS,
  MAX_PIVOT_DEPTH,
  openConditionSchema,
  principalSummarySchema,
  resolvedEntitlementQuerySchema,
} from "./types.js";
export type {
  BlockedBy,
  BlockedByKind,
  EntitlementAnswer,
  EntitlementOutcome,
  EntitlementPath,
  EntitlementQuery,
  Hop,
  HopType,
  OpenCondition,
  PrincipalSummary,
  ResolvedEntitlementQuery,
} from "./types.js";
