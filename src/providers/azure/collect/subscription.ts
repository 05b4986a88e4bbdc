/**
 * One subscription through the management SDKs: role assignments that apply at, above (inherited
 * from management groups) or below it, the role definitions they use, deny assignments, Key Vault
 * resources (permission model, access policies, network settings) and user-assigned managed
 * identities. Each listing fails on its own and leaves a gap; the rest is kept.
 */
import type { DenyAssignment, RoleAssignment, RoleDefinition, RoleEligibilityScheduleInstance } from "@azure/arm-authorization";
import type { Vault } from "@azure/arm-keyvault";
import type { Identity } from "@azure/arm-msi";
import type { CollectionGap, Grant, Policy, Principal, Scope, Statement } from "../../../model/inventory.js";
import { mapAccessPolicy } from "./access-policies.js";
import type { ManagementClients } from "../clients.js";
import { describeAzureError } from "../errors.js";
import { denyAssignmentPages, roleAssignmentPages, roleDefinitionPages, roleEligibilityPages, userAssignedIdentityPages, vaultPages } from "../reads.js";
import { compactGrant } from "../../../model/compact-grant.js";

export interface PrincipalReference {
  id: string;
  /** User, Group, ServicePrincipal, ForeignGroup, Device, as ARM reports it. */
  type: string | undefined;
}

export interface SubscriptionParts {
  subscriptionId: string;
  vaults: Scope[];
  policies: Policy[];
  grants: Grant[];
  identities: Principal[];
  /** Principals named by assignments and access policies, for Graph to resolve. */
  references: PrincipalReference[];
  /** ARM ids seen (vaults, identities, assignment scopes), for resource group scopes. */
  resourceIds: string[];
  gaps: CollectionGap[];
}

const ROLE_DEFINITION_ID = /\/providers\/Microsoft\.Authorization\/roleDefinitions\/([0-9a-fA-F-]{36})$/i;

/** Role definitions have one id per scope they are read at; the GUID is unique, so keep the tenant-level form. */
export function normalizeRoleDefinitionId(id: string): string {
  const guid = ROLE_DEFINITION_ID.exec(id)?.[1];
  return guid ? `/providers/Microsoft.Authorization/roleDefinitions/${guid.toLowerCase()}` : id;
}

async function drain<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const items: T[] = [];
  for await (const page of pages) items.push(...page);
  return items;
}

function mapRoleDefinition(definition: RoleDefinition, observedAt: string): Policy | undefined {
  if (!definition.id) return undefined;
  // Several permission blocks are merged: built-in roles have one; the union of exclusions can only over-restrict.
  const blocks = definition.permissions ?? [];
  const union = (pick: (block: (typeof blocks)[number]) => string[] | undefined) => [...new Set(blocks.flatMap((block) => pick(block) ?? []))];
  const actions = union((b) => b.actions);
  const notActions = union((b) => b.notActions);
  const dataActions = union((b) => b.dataActions);
  const notDataActions = union((b) => b.notDataActions);
  const statements: Statement[] = [];
  if (actions.length > 0) statements.push({ id: "actions", effect: "Allow", actions, ...(notActions.length ? { notActions } : {}) });
  if (dataActions.length > 0) statements.push({ id: "dataActions", effect: "Allow", actions: dataActions, ...(notDataActions.length ? { notActions: notDataActions } : {}) });
  return {
    id: normalizeRoleDefinitionId(definition.id),
    provider: "azure",
    kind: "role",
    name: definition.roleName ?? definition.name ?? definition.id,
    ...(definition.description ? { description: definition.description } : {}),
    statements,
    evidence: { source: "authorization:roleDefinitions.list", observedAt },
  };
}

function mapRoleAssignment(assignment: RoleAssignment, observedAt: string): Grant | undefined {
  if (!assignment.id || !assignment.principalId || !assignment.roleDefinitionId || !assignment.scope) return undefined;
  return compactGrant({
    id: assignment.id,
    provider: "azure",
    kind: "role_assignment",
    principalId: assignment.principalId,
    policyId: normalizeRoleDefinitionId(assignment.roleDefinitionId),
    resource: assignment.scope,
    ...(assignment.condition
      ? { conditions: [{ expression: assignment.condition, title: `ABAC condition${assignment.conditionVersion ? ` (version ${assignment.conditionVersion})` : ""}` }] }
      : {}),
    evidence: { source: "authorization:roleAssignments.listForScope", observedAt },
  });
}

/** A PIM eligibility: the role, once activated, at the same scope; only provisioned ones count. */
function mapRoleEligibility(eligibility: RoleEligibilityScheduleInstance, observedAt: string): Grant | undefined {
  if (!eligibility.id || !eligibility.principalId || !eligibility.roleDefinitionId || !eligibility.scope) return undefined;
  if (eligibility.status && eligibility.status !== "Provisioned") return undefined;
  return compactGrant({
    id: eligibility.id,
    provider: "azure",
    kind: "eligible_role_assignment",
    principalId: eligibility.principalId,
    policyId: normalizeRoleDefinitionId(eligibility.roleDefinitionId),
    resource: eligibility.scope,
    ...(eligibility.condition ? { conditions: [{ expression: eligibility.condition, title: "ABAC condition" }] } : {}),
    evidence: { source: "authorization:roleEligibilityScheduleInstances.listForScope", observedAt },
  });
}

/**
 * A deny assignment's `actions`/`notActions` deny control-plane operations and its
 * `dataActions`/`notDataActions` data-plane operations, so they stay two statements (ids `actions`
 * and `dataActions`, as in role definitions) and the analysis applies each only to its plane: a
 * managed application's `actions: ["*"]` does not block getSecret. `doNotApplyToChildScopes`
 * becomes `resources: [scope]`: the deny applies at its own scope only.
 */
function mapDenyAssignment(deny: DenyAssignment, observedAt: string): Policy | undefined {
  if (!deny.id || !deny.scope) return undefined;
  const permissions = deny.permissions ?? [];
  const all = (pick: (p: (typeof permissions)[number]) => string[] | undefined) => [...new Set(permissions.flatMap((p) => pick(p) ?? []))];
  const principals = (deny.principals ?? []).flatMap((p) => (p.id ? [p.id] : []));
  const exceptPrincipals = (deny.excludePrincipals ?? []).flatMap((p) => (p.id ? [p.id] : []));
  const statement = (id: "actions" | "dataActions", actions: string[], notActions: string[]): Statement[] =>
    actions.length === 0
      ? []
      : [
          {
            id,
            effect: "Deny",
            actions,
            ...(notActions.length ? { notActions } : {}),
            ...(deny.doNotApplyToChildScopes ? { resources: [deny.scope as string] } : {}),
            principals,
            ...(exceptPrincipals.length ? { exceptPrincipals } : {}),
            ...(deny.condition ? { conditions: [{ expression: deny.condition }] } : {}),
          },
        ];
  return {
    id: deny.id,
    provider: "azure",
    kind: "deny",
    name: deny.denyAssignmentName ?? deny.name ?? deny.id,
    scopeId: deny.scope,
    description: [deny.description, deny.doNotApplyToChildScopes ? "does not apply to child scopes" : undefined, deny.isSystemProtected ? "system protected" : undefined]
      .filter(Boolean)
      .join("; "),
    attachedTo: [deny.scope],
    statements: [
      ...statement("actions", all((p) => p.actions), all((p) => p.notActions)),
      ...statement("dataActions", all((p) => p.dataActions), all((p) => p.notDataActions)),
    ],
    evidence: { source: "authorization:denyAssignments.listForScope", observedAt },
  };
}

/** `/subscriptions/<s>/resourceGroups/<rg>` of an ARM id, if it has one. */
export function resourceGroupOf(armId: string): string | undefined {
  return /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+/i.exec(armId)?.[0];
}

function mapVault(vault: Vault, observedAt: string): Scope | undefined {
  if (!vault.id) return undefined;
  const properties = vault.properties;
  const attributes: Record<string, string | number | boolean> = {};
  const set = (key: string, value: string | number | boolean | undefined) => {
    if (value !== undefined) attributes[key] = value;
  };
  set("enableRbacAuthorization", properties.enableRbacAuthorization);
  set("vaultUri", properties.vaultUri);
  set("enableSoftDelete", properties.enableSoftDelete);
  set("softDeleteRetentionInDays", properties.softDeleteRetentionInDays);
  set("enablePurgeProtection", properties.enablePurgeProtection);
  set("publicNetworkAccess", properties.publicNetworkAccess);
  set("networkDefaultAction", properties.networkAcls?.defaultAction);
  set("tenantId", properties.tenantId);
  const parentId = resourceGroupOf(vault.id);
  return {
    id: vault.id,
    provider: "azure",
    kind: "vault",
    name: vault.name ?? vault.id.split("/").pop() ?? vault.id,
    ...(parentId ? { parentId } : {}),
    ...(vault.tags && Object.keys(vault.tags).length ? { tags: { ...vault.tags } } : {}),
    attributes,
    evidence: { source: "keyvault:vaults.listBySubscription", observedAt },
  };
}

function mapIdentity(identity: Identity, tenantScopeId: string, observedAt: string): Principal | undefined {
  if (!identity.id || !identity.principalId) return undefined;
  return {
    id: identity.principalId,
    provider: "azure",
    kind: "managed_identity",
    workload: true,
    name: identity.name ?? identity.id,
    scopeId: resourceGroupOf(identity.id) ?? tenantScopeId,
    ...(identity.clientId ? { uniqueId: identity.clientId } : {}),
    description: `User-assigned identity ${identity.id}`,
    ...(identity.tags && Object.keys(identity.tags).length ? { tags: { ...identity.tags } } : {}),
    evidence: { source: "msi:userAssignedIdentities.listBySubscription", observedAt },
  };
}

export async function readSubscription(input: {
  clients: ManagementClients;
  subscriptionId: string;
  tenantScopeId: string;
  observedAt: string;
  signal: AbortSignal | undefined;
}): Promise<SubscriptionParts> {
  const { clients, subscriptionId, observedAt, signal } = input;
  const scope = `/subscriptions/${subscriptionId}`;
  const parts: SubscriptionParts = { subscriptionId, vaults: [], policies: [], grants: [], identities: [], references: [], resourceIds: [], gaps: [] };
  const attempt = async <T>(source: string, what: string, read: () => Promise<T[]>): Promise<T[]> => {
    try {
      return await read();
    } catch (error) {
      signal?.throwIfAborted();
      parts.gaps.push({ provider: "azure", scopeId: scope, source, reason: `${what} not read: ${describeAzureError(error)}` });
      return [];
    }
  };

  const [assignments, eligibilities, definitions, denies, vaults, identities] = await Promise.all([
    attempt("authorization:roleAssignments.listForScope", "role assignments", () => drain(roleAssignmentPages(clients, scope, signal))),
    attempt("authorization:roleEligibilityScheduleInstances.listForScope", "PIM-eligible role assignments (needs Entra ID P2)", () =>
      drain(roleEligibilityPages(clients, scope, signal)),
    ),
    attempt("authorization:roleDefinitions.list", "role definitions", () => drain(roleDefinitionPages(clients, scope, signal))),
    attempt("authorization:denyAssignments.listForScope", "deny assignments", () => drain(denyAssignmentPages(clients, scope, signal))),
    attempt("keyvault:vaults.listBySubscription", "Key Vault resources (permission model, access policies)", () => drain(vaultPages(clients, signal))),
    attempt("msi:userAssignedIdentities.listBySubscription", "user-assigned managed identities", () => drain(userAssignedIdentityPages(clients, signal))),
  ]);

  for (const definition of definitions) {
    const policy = mapRoleDefinition(definition, observedAt);
    if (policy) parts.policies.push(policy);
  }
  for (const deny of denies) {
    const policy = mapDenyAssignment(deny, observedAt);
    if (policy) parts.policies.push(policy);
  }
  for (const assignment of assignments) {
    const grant = mapRoleAssignment(assignment, observedAt);
    if (!grant) continue;
    parts.grants.push(grant);
    parts.references.push({ id: grant.principalId, type: assignment.principalType });
    parts.resourceIds.push(grant.resource ?? "");
  }
  for (const eligibility of eligibilities) {
    const grant = mapRoleEligibility(eligibility, observedAt);
    if (!grant) continue;
    parts.grants.push(grant);
    parts.references.push({ id: grant.principalId, type: eligibility.principalType });
    parts.resourceIds.push(grant.resource ?? "");
  }
  const accessPolicyEvidence = { source: "keyvault:vaults.listBySubscription (accessPolicies)", observedAt };
  for (const vault of vaults) {
    const scopeOfVault = mapVault(vault, observedAt);
    if (!scopeOfVault) continue;
    parts.vaults.push(scopeOfVault);
    parts.resourceIds.push(scopeOfVault.id);
    for (const entry of vault.properties.accessPolicies ?? []) {
      const { policy, grant } = mapAccessPolicy(scopeOfVault.id, { objectId: entry.objectId, applicationId: entry.applicationId, permissions: entry.permissions }, accessPolicyEvidence);
      parts.policies.push(policy);
      parts.grants.push(grant);
      parts.references.push({ id: entry.objectId, type: undefined });
    }
  }
  for (const identity of identities) {
    const principal = mapIdentity(identity, input.tenantScopeId, observedAt);
    if (!principal) continue;
    parts.identities.push(principal);
    if (identity.id) parts.resourceIds.push(identity.id);
  }
  return parts;
}
