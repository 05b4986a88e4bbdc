/** IAM conditions (CEL) and deny-policy permissions in the inventory model's shapes. */
import type { Condition } from "../../../model/inventory.js";
import type { WireExpr } from "./wire.js";

/** Attribute names a CEL expression reads: `request.time`, `resource.name`, `assertion.ref`, api.getAttribute('x'). */
export function conditionKeys(expression: string): string[] {
  const keys = new Set<string>();
  for (const match of expression.matchAll(/\bapi\.getAttribute\(\s*['"]([^'"]+)['"]/g)) if (match[1]) keys.add(match[1]);
  const withoutApi = expression.replace(/\bapi\.getAttribute\([^)]*\)/g, "");
  // Drop string literals so text inside quotes is not read as an attribute.
  const code = withoutApi.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  for (const match of code.matchAll(/\b(request|resource|destination|principal|assertion|attribute|google)\.([A-Za-z_]\w*)/g)) {
    keys.add(`${match[1]}.${match[2]}`);
  }
  return [...keys].sort();
}

export function toCondition(expr: WireExpr | null | undefined): Condition[] | undefined {
  if (!expr?.expression) return undefined;
  const keys = conditionKeys(expr.expression);
  return [{ expression: expr.expression, ...(expr.title ? { title: expr.title } : {}), ...(keys.length > 0 ? { keys } : {}) }];
}

/** Services whose permission prefix differs from their host name. */
const PERMISSION_PREFIX: Readonly<Record<string, string>> = { cloudresourcemanager: "resourcemanager" };

/**
 * Deny policies name permissions as `iam.googleapis.com/serviceAccountKeys.create`; roles as
 * `iam.serviceAccountKeys.create`. The model uses the role form so both compare directly.
 */
export function denyPermissionToRoleForm(permission: string): string {
  const match = /^([a-z0-9-]+|\*)\.googleapis\.com\/(.+)$/.exec(permission);
  if (!match?.[1] || !match[2]) return permission;
  return `${PERMISSION_PREFIX[match[1]] ?? match[1]}.${match[2]}`;
}
