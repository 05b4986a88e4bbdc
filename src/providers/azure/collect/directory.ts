/**
 * Who controls a service principal through the directory, read from Microsoft Graph: owners of
 * applications and service principals, directory role assignments and PIM eligibilities
 * (roleManagement/directory), and the application permissions granted on Microsoft Graph's own
 * service principal (appRoleAssignedTo). All reads; each failure is a gap of its own, so the rest
 * of the tenant still loads.
 */
import type { CollectionGap, DirectoryRoleAssignment } from "../../../model/inventory.js";
import { describeAzureError } from "../errors.js";
import {
  graphAppRoleAssignmentSchema,
  graphDirectoryRoleAssignmentSchema,
  graphDirectoryRoleDefinitionSchema,
  graphOwnedObjectSchema,
  type GraphDirectoryRoleAssignment,
  type GraphServicePrincipal,
} from "./graph-schemas.js";
import { readAllPages } from "./graph-pages.js";
import type { TenantReadInput } from "./tenant.js";

/** Microsoft Graph's application id, the same in every tenant. */
export const MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

/**
 * Microsoft Graph application permissions (app role ids) that lead to other identities; others are
 * not kept. Ids from the Microsoft Graph permissions reference.
 */
export const ESCALATING_GRAPH_APP_ROLES: ReadonlyMap<string, string> = new Map([
  ["1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", "Application.ReadWrite.All"],
  ["06b708a9-e830-4db3-a914-8e69da51d44f", "AppRoleAssignment.ReadWrite.All"],
  ["9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8", "RoleManagement.ReadWrite.Directory"],
]);

/** With $expand Graph pages are small; 100 is accepted everywhere. */
const EXPAND_PAGE_SIZE = 100;
const PAGE_SIZE = 999;

export interface DirectoryControl {
  /** Service principal id → owners of it and of its application. */
  ownersOf: Map<string, string[]>;
  /** Principal id → directory roles (active and eligible). */
  rolesOf: Map<string, DirectoryRoleAssignment[]>;
  /** Service principal id → escalating Graph application permissions. */
  graphPermissionsOf: Map<string, string[]>;
  gaps: CollectionGap[];
}

function add<T>(map: Map<string, T[]>, key: string, value: T, same: (a: T, b: T) => boolean = (a, b) => a === b): void {
  const list = map.get(key.toLowerCase());
  if (!list) map.set(key.toLowerCase(), [value]);
  else if (!list.some((existing) => same(existing, value))) list.push(value);
}

export async function readDirectoryControl(input: TenantReadInput, servicePrincipals: readonly GraphServicePrincipal[]): Promise<DirectoryControl> {
  const { graph, tenantScopeId, signal } = input;
  const control: DirectoryControl = { ownersOf: new Map(), rolesOf: new Map(), graphPermissionsOf: new Map(), gaps: [] };
  const gap = (source: string, what: string, error: unknown) => {
    signal?.throwIfAborted();
    control.gaps.push({ provider: "azure", scopeId: tenantScopeId, source, reason: `${what} not read: ${describeAzureError(error)}` });
  };
  const servicePrincipalOfApp = new Map(servicePrincipals.flatMap((sp) => (sp.appId ? [[sp.appId.toLowerCase(), sp.id] as const] : [])));
  const graphServicePrincipal = servicePrincipals.find((sp) => sp.appId?.toLowerCase() === MICROSOFT_GRAPH_APP_ID);

  const [appOwners, spOwners, definitions, assignments, eligibilities, graphGrants] = await Promise.all([
    readAllPages(graph, `/v1.0/applications?$select=id,appId&$expand=owners($select=id)&$top=${EXPAND_PAGE_SIZE}`, graphOwnedObjectSchema, signal).catch((error: unknown) => {
      gap("graph:applications.owners", "application owners", error);
      return [];
    }),
    readAllPages(graph, `/v1.0/servicePrincipals?$select=id,appId&$expand=owners($select=id)&$top=${EXPAND_PAGE_SIZE}`, graphOwnedObjectSchema, signal).catch((error: unknown) => {
      gap("graph:servicePrincipals.owners", "service principal owners", error);
      return [];
    }),
    readAllPages(graph, `/v1.0/roleManagement/directory/roleDefinitions?$select=id,displayName,templateId`, graphDirectoryRoleDefinitionSchema, signal).catch((error: unknown) => {
      gap("graph:roleManagement.directory.roleDefinitions", "directory role names", error);
      return [];
    }),
    readAllPages(graph, `/v1.0/roleManagement/directory/roleAssignments?$select=id,principalId,roleDefinitionId,directoryScopeId&$top=${PAGE_SIZE}`, graphDirectoryRoleAssignmentSchema, signal).catch(
      (error: unknown) => {
        gap("graph:roleManagement.directory.roleAssignments", "directory role assignments", error);
        return [];
      },
    ),
    readAllPages(
      graph,
      `/v1.0/roleManagement/directory/roleEligibilityScheduleInstances?$select=id,principalId,roleDefinitionId,directoryScopeId&$top=${PAGE_SIZE}`,
      graphDirectoryRoleAssignmentSchema,
      signal,
    ).catch((error: unknown) => {
      gap("graph:roleManagement.directory.roleEligibilityScheduleInstances", "PIM-eligible directory roles (needs Entra ID P2 and RoleEligibilitySchedule.Read.Directory)", error);
      return [];
    }),
    graphServicePrincipal
      ? readAllPages(graph, `/v1.0/servicePrincipals/${graphServicePrincipal.id}/appRoleAssignedTo?$select=principalId,appRoleId&$top=${PAGE_SIZE}`, graphAppRoleAssignmentSchema, signal).catch(
          (error: unknown) => {
            gap("graph:servicePrincipals.appRoleAssignedTo", "Microsoft Graph application permissions", error);
            return [];
          },
        )
      : Promise.resolve([]),
  ]);

  // An application's owners can add credentials to it, and so act as its service principal.
  for (const application of appOwners) {
    const servicePrincipalId = application.appId ? servicePrincipalOfApp.get(application.appId.toLowerCase()) : undefined;
    if (!servicePrincipalId) continue;
    for (const owner of application.owners ?? []) add(control.ownersOf, servicePrincipalId, owner.id);
  }
  for (const servicePrincipal of spOwners) {
    for (const owner of servicePrincipal.owners ?? []) add(control.ownersOf, servicePrincipal.id, owner.id);
  }

  const roleName = new Map<string, { roleId: string; name: string }>();
  for (const definition of definitions) {
    const roleId = definition.templateId ?? definition.id;
    roleName.set(definition.id.toLowerCase(), { roleId, name: definition.displayName ?? roleId });
  }
  const addRoles = (rows: readonly GraphDirectoryRoleAssignment[], assignment: DirectoryRoleAssignment["assignment"]) => {
    for (const row of rows) {
      const role = roleName.get(row.roleDefinitionId.toLowerCase()) ?? { roleId: row.roleDefinitionId, name: row.roleDefinitionId };
      const entry: DirectoryRoleAssignment = { roleId: role.roleId, name: role.name, directoryScopeId: row.directoryScopeId ?? "/", assignment };
      add(control.rolesOf, row.principalId, entry, (a, b) => a.roleId === b.roleId && a.directoryScopeId === b.directoryScopeId && a.assignment === b.assignment);
    }
  };
  addRoles(assignments, "active");
  addRoles(eligibilities, "eligible");

  for (const grant of graphGrants) {
    const permission = ESCALATING_GRAPH_APP_ROLES.get(grant.appRoleId.toLowerCase());
    if (permission) add(control.graphPermissionsOf, grant.principalId, permission);
  }
  return control;
}
