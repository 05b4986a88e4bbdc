/**
 * The management group hierarchy of a tenant (no installed SDK covers it, so two plain ARM GETs:
 * list the groups, then each group with its children). Without it, assignments made at management
 * groups could not be inherited down to subscriptions, so a failure is a gap on the tenant scope,
 * which turns answers that depend on it into "unknown" rather than "no access".
 */
import type { CollectionGap, Scope } from "../../../model/inventory.js";
import type { RestReader } from "../clients.js";
import { describeAzureError } from "../errors.js";
import { armPageSchema, managementGroupSchema, type ManagementGroup } from "./graph-schemas.js";
import { mapWithConcurrency } from "../../../connectors/common/pool.js";
import { followNextLinks } from "./paging.js";

const API_VERSION = "2020-05-01";
const MANAGEMENT_GROUP_PREFIX = "/providers/Microsoft.Management/managementGroups/";

export interface ManagementGroupParts {
  scopes: Scope[];
  /** Subscription id (lower case) → parent management group scope id. */
  subscriptionParents: Map<string, string>;
  subscriptionNames: Map<string, string>;
  gaps: CollectionGap[];
}

export async function readManagementGroups(input: {
  arm: RestReader;
  tenantId: string;
  tenantScopeId: string;
  concurrency: number;
  observedAt: string;
  signal: AbortSignal | undefined;
}): Promise<ManagementGroupParts> {
  const parts: ManagementGroupParts = { scopes: [], subscriptionParents: new Map(), subscriptionNames: new Map(), gaps: [] };
  const source = "management:managementGroups.get";
  let listed: ManagementGroup[];
  try {
    const schema = armPageSchema(managementGroupSchema);
    listed = await followNextLinks(
      `/providers/Microsoft.Management/managementGroups?api-version=${API_VERSION}`,
      async (link) => {
        const page = schema.parse(await input.arm.get(link));
        return { items: page.value, next: page.nextLink };
      },
      input.signal,
    );
  } catch (error) {
    input.signal?.throwIfAborted();
    parts.gaps.push({
      provider: "azure",
      scopeId: input.tenantScopeId,
      source: "management:managementGroups.list",
      reason: `management group hierarchy not read, so assignments inherited from management groups are unknown: ${describeAzureError(error)}`,
    });
    return parts;
  }
  const parents = new Map<string, string>();
  const failures: string[] = [];
  listed = await mapWithConcurrency(listed, input.concurrency, async (group) => {
    try {
      return managementGroupSchema.parse(await input.arm.get(`${MANAGEMENT_GROUP_PREFIX}${encodeURIComponent(group.name)}?api-version=${API_VERSION}&$expand=children`));
    } catch (error) {
      input.signal?.throwIfAborted();
      failures.push(`${group.name}: ${describeAzureError(error)}`);
      return group;
    }
  });
  if (failures.length > 0) {
    parts.gaps.push({ provider: "azure", scopeId: input.tenantScopeId, source, reason: `children of ${failures.length} management groups not read; first: ${failures.sort()[0]}` });
  }
  for (const group of listed) {
    for (const child of group.properties?.children ?? []) {
      if (/\/subscriptions$/i.test(child.type) || child.id.startsWith("/subscriptions/")) {
        const subscriptionId = child.id.split("/")[2]?.toLowerCase() ?? child.name.toLowerCase();
        parts.subscriptionParents.set(subscriptionId, group.id);
        if (child.displayName) parts.subscriptionNames.set(subscriptionId, child.displayName);
      } else {
        parents.set(child.id.toLowerCase(), group.id);
      }
    }
  }
  for (const group of listed) {
    const parentId = parents.get(group.id.toLowerCase()) ?? (group.name.toLowerCase() === input.tenantId.toLowerCase() ? input.tenantScopeId : undefined);
    parts.scopes.push({
      id: group.id,
      provider: "azure",
      kind: "management_group",
      name: group.properties?.displayName ?? group.name,
      ...(parentId ? { parentId } : {}),
      evidence: { source, observedAt: input.observedAt },
    });
  }
  return parts;
}
