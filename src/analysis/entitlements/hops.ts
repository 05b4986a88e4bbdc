/** Small constructors for the hops a path is read by. */
import type { Inventory } from "../../model/inventory-index.js";
import type { Subject } from "./internal.js";
import type { Hop } from "./types.js";
import { capText, stripInvisible } from "../../text/untrusted.js";

/**
 * A cloud-controlled name (principal, group, role, policy) as it appears in a hop label: quoted,
 * cleaned of invisible characters and capped, so a name can never read as an instruction or
 * break the line it is shown on.
 */
export function named(name: string): string {
  return JSON.stringify(capText(stripInvisible(name), 80));
}

/** One principal hop per subject: paths of the same principal share it (hops are never changed). */
const principalHops = new WeakMap<Subject, Hop>();

export function principalHop(subject: Subject): Hop {
  let hop = principalHops.get(subject);
  if (!hop) {
    hop = { type: "principal", id: subject.id, label: subject.label };
    principalHops.set(subject, hop);
  }
  return hop;
}

/** `member_of` hops for a (possibly nested) group chain, nearest group first. */
export function groupHops(inventory: Inventory, chain: readonly string[]): Hop[] {
  return chain.map((groupId) => {
    const group = inventory.principals.get(groupId);
    return { type: "member_of", id: groupId, label: group ? `group ${named(group.name)}` : groupId };
  });
}

export function resourceHop(resource: string, label?: string): Hop {
  return { type: "resource", id: resource, label: label ?? resource };
}

export function policyHop(inventory: Inventory, policyId: string): Hop {
  const policy = inventory.policies.get(policyId);
  if (!policy) return { type: "policy", id: policyId, label: policyId };
  const kind = policy.kind === "role" ? "role" : policy.kind === "access_policy" ? "access policy" : `${policy.kind} policy`;
  return { type: "policy", id: policyId, label: `${kind} ${named(policy.name)}` };
}

/** Joins pattern lists for messages, shortening long ones. */
export function listForMessage(values: readonly string[], max = 5): string {
  if (values.length <= max) return values.join(", ");
  return `${values.slice(0, max).join(", ")} and ${values.length - max} more`;
}
