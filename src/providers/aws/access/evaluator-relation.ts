/** How one AWS statement relates to a (possibly wildcarded) request: none, part of it, or all of it. */
import type { CompiledStatement } from "../../../analysis/entitlements/context.js";
import { combineRelations, relateToSet, type Relation } from "../../../analysis/entitlements/matching.js";

export function awsStatementRelation(stmt: CompiledStatement, action: string, resource: string): Relation {
  const actionRelation = relateToSet(action, stmt.actions, stmt.notActions, true, "none").relation;
  if (actionRelation === "none") return "none";
  const resourceRelation = relateToSet(resource, stmt.resources, stmt.notResources, false, "all").relation;
  return combineRelations(actionRelation, resourceRelation);
}
