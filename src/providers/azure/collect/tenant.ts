/**
 * One Entra tenant through Microsoft Graph: application registrations (password and certificate
 * credentials as metadata, federated credentials as trust edges), service principals (managed
 * identities among them), sign-in activity where the tenant's licence exposes it, and the groups
 * and users that role assignments or access policies name, with group membership.
 */
import type { Activity, CollectionGap, Credential, Principal, TrustEdge } from "../../../model/inventory.js";
import type { RestReader } from "../clients.js";
import { describeAzureError } from "../errors.js";
import {
  graphApplicationSchema,
  graphDirectoryObjectSchema,
  graphOrganizationSchema,
  graphServicePrincipalSchema,
  graphSignInActivitySchema,
  type GraphApplication,
  type GraphDirectoryObject,
  type GraphServicePrincipal,
} from "./graph-schemas.js";
import { resourceGroupOf, type PrincipalReference } from "./subscription.js";
import { readAllPages } from "./graph-pages.js";
import { type DirectoryControl, readDirectoryControl } from "./directory.js";

export const SIGN_IN_SOURCE = "graph:servicePrincipalSignInActivities";
const PAGE_SIZE = 999;
/** Graph accepts at most 15 values in an `id in (...)` filter. */
const FILTER_BATCH = 15;

export interface TenantParts {
  tenantScopeId: string;
  tenantName: string | undefined;
  principals: Principal[];
  credentials: Credential[];
  trustEdges: TrustEdge[];
  gaps: CollectionGap[];
}

export interface TenantReadInput {
  graph: RestReader;
  tenantId: string;
  tenantScopeId: string;
  signInActivity: boolean;
  /** Principals named by grants, so first-party service principals that hold access are kept. */
  references: readonly PrincipalReference[];
  observedAt: string;
  signal: AbortSignal | undefined;
}


function isoOrUndefined(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

function credentialsOf(
  owner: { id: string; passwordCredentials?: GraphApplication["passwordCredentials"]; keyCredentials?: GraphApplication["keyCredentials"] },
  scopeId: string,
  evidence: { source: string; observedAt: string },
): Credential[] {
  const map = (kind: Credential["kind"], credential: { keyId: string; displayName?: string | null | undefined; startDateTime?: string | null | undefined; endDateTime?: string | null | undefined; type?: string | null | undefined }): Credential => {
    const createdAt = isoOrUndefined(credential.startDateTime);
    const expiresAt = isoOrUndefined(credential.endDateTime);
    return {
      id: credential.keyId,
      provider: "azure",
      kind,
      principalId: owner.id,
      scopeId,
      ...(credential.displayName ? { name: credential.displayName } : {}),
      // Entra credentials have no enabled flag: an expired one stays on the object, still "active", until removed.
      status: "active",
      ...(credential.type ? { algorithm: credential.type } : {}),
      ...(createdAt ? { createdAt } : {}),
      ...(expiresAt ? { expiresAt } : {}),
      evidence,
    };
  };
  return [
    ...(owner.passwordCredentials ?? []).map((credential) => map("client_secret", credential)),
    ...(owner.keyCredentials ?? []).map((credential) => map("certificate", credential)),
  ];
}

async function readSignIns(input: TenantReadInput, gaps: CollectionGap[]): Promise<Map<string, string | undefined> | undefined> {
  if (!input.signInActivity) return undefined;
  try {
    const rows = await readAllPages(input.graph, "/beta/reports/servicePrincipalSignInActivities", graphSignInActivitySchema, input.signal);
    return new Map(rows.map((row) => [row.appId.toLowerCase(), isoOrUndefined(row.lastSignInActivity?.lastSignInDateTime)]));
  } catch (error) {
    input.signal?.throwIfAborted();
    gaps.push({
      provider: "azure",
      scopeId: input.tenantScopeId,
      source: SIGN_IN_SOURCE,
      reason: `sign-in activity not available (needs Entra ID P1/P2 and AuditLog.Read.All), so staleness cannot be decided: ${describeAzureError(error)}`,
    });
    return undefined;
  }
}

function activityFor(appId: string | null | undefined, signIns: Map<string, string | undefined> | undefined, observedAt: string): Pick<Principal, "lastActivity"> {
  if (!signIns || !appId) return {};
  const lastUsedAt = signIns.get(appId.toLowerCase());
  // The report keeps no documented retention that would make an absent row mean "never used".
  const activity: Activity = { coverage: "window", source: SIGN_IN_SOURCE, observedAt, ...(lastUsedAt ? { lastUsedAt } : {}) };
  return { lastActivity: activity };
}

function managedIdentityResource(servicePrincipal: GraphServicePrincipal): string | undefined {
  return servicePrincipal.alternativeNames?.find((name) => name.startsWith("/subscriptions/"));
}

async function resolveDirectoryObjects(input: TenantReadInput, ids: string[], kind: "groups" | "users", gaps: CollectionGap[]): Promise<GraphDirectoryObject[]> {
  const found: GraphDirectoryObject[] = [];
  const select = kind === "groups" ? "id,displayName" : "id,displayName,userPrincipalName";
  for (let start = 0; start < ids.length; start += FILTER_BATCH) {
    const batch = ids.slice(start, start + FILTER_BATCH);
    const filter = encodeURIComponent(`id in (${batch.map((id) => `'${id}'`).join(",")})`);
    try {
      found.push(...(await readAllPages(input.graph, `/v1.0/${kind}?$filter=${filter}&$select=${select}`, graphDirectoryObjectSchema, input.signal)));
    } catch (error) {
      input.signal?.throwIfAborted();
      gaps.push({ provider: "azure", scopeId: input.tenantScopeId, source: `graph:${kind}`, reason: `${batch.length} ${kind} named by grants not resolved: ${describeAzureError(error)}` });
    }
  }
  return found;
}

export async function readTenant(input: TenantReadInput): Promise<TenantParts> {
  const { graph, tenantScopeId, observedAt, signal } = input;
  const parts: TenantParts = { tenantScopeId, tenantName: undefined, principals: [], credentials: [], trustEdges: [], gaps: [] };
  const gap = (source: string, what: string, error: unknown) => {
    signal?.throwIfAborted();
    parts.gaps.push({ provider: "azure", scopeId: tenantScopeId, source, reason: `${what} not read: ${describeAzureError(error)}` });
  };
  const evidence = (source: string) => ({ source, observedAt });

  const [organization, applications, servicePrincipals, signIns] = await Promise.all([
    readAllPages(graph, "/v1.0/organization?$select=id,displayName", graphOrganizationSchema, signal).catch((error: unknown) => {
      gap("graph:organization", "tenant name", error);
      return [];
    }),
    readAllPages(
      graph,
      `/v1.0/applications?$select=id,appId,displayName,description,createdDateTime,passwordCredentials,keyCredentials&$expand=federatedIdentityCredentials&$top=${PAGE_SIZE}`,
      graphApplicationSchema,
      signal,
    ).catch((error: unknown) => {
      gap("graph:applications", "application registrations and their credentials", error);
      return [];
    }),
    readAllPages(
      graph,
      `/v1.0/servicePrincipals?$select=id,appId,displayName,servicePrincipalType,accountEnabled,alternativeNames,appOwnerOrganizationId,passwordCredentials,keyCredentials&$top=${PAGE_SIZE}`,
      graphServicePrincipalSchema,
      signal,
    ).catch((error: unknown) => {
      gap("graph:servicePrincipals", "service principals and managed identities", error);
      return [];
    }),
    readSignIns(input, parts.gaps),
  ]);
  parts.tenantName = organization[0]?.displayName ?? undefined;

  const control = await readDirectoryControl(input, servicePrincipals);
  parts.gaps.push(...control.gaps);
  // Holders of directory roles, Graph permissions and ownership are kept and resolved like grant holders.
  const directoryReferences: PrincipalReference[] = [
    ...[...control.rolesOf.keys(), ...control.graphPermissionsOf.keys()].map((id) => ({ id, type: undefined })),
    ...[...control.ownersOf.values()].flat().map((id) => ({ id, type: undefined })),
  ];
  const references = [...input.references, ...directoryReferences];
  const referenced = new Set(references.map((reference) => reference.id.toLowerCase()));
  const servicePrincipalOfApp = new Map<string, GraphServicePrincipal>();
  for (const servicePrincipal of servicePrincipals) {
    if (servicePrincipal.appId) servicePrincipalOfApp.set(servicePrincipal.appId.toLowerCase(), servicePrincipal);
  }

  for (const application of applications) {
    parts.principals.push({
      id: application.id,
      provider: "azure",
      kind: "application",
      workload: true,
      name: application.displayName ?? application.appId,
      uniqueId: application.appId,
      scopeId: tenantScopeId,
      ...(application.description ? { description: application.description } : {}),
      ...(isoOrUndefined(application.createdDateTime) ? { createdAt: isoOrUndefined(application.createdDateTime) } : {}),
      // The sign-in report is keyed by appId, so the registration (which holds the credentials) shares it.
      ...activityFor(application.appId, signIns, observedAt),
      evidence: evidence("graph:applications"),
    });
    parts.credentials.push(...credentialsOf(application, tenantScopeId, evidence("graph:applications")));
    const servicePrincipal = servicePrincipalOfApp.get(application.appId.toLowerCase());
    for (const federated of application.federatedIdentityCredentials ?? []) {
      const subject = `${federated.issuer}|${federated.subject ?? ""}`;
      parts.principals.push({
        id: subject,
        provider: "azure",
        kind: "external",
        workload: true,
        name: `${federated.subject ?? "(any subject)"} from ${federated.issuer}`,
        scopeId: tenantScopeId,
        description: `Federated identity credential ${federated.name} on application ${application.displayName ?? application.appId}`,
        evidence: evidence("graph:applications/federatedIdentityCredentials"),
      });
      const audiences = federated.audiences ?? [];
      parts.trustEdges.push({
        id: `${application.id}/federatedIdentityCredentials/${federated.name}`,
        provider: "azure",
        kind: "federation",
        from: subject,
        to: servicePrincipal?.id ?? application.id,
        ...(audiences.length ? { conditions: [{ expression: `audience in [${audiences.join(", ")}]`, keys: ["aud"] }] } : {}),
        evidence: evidence("graph:applications/federatedIdentityCredentials"),
      });
    }
  }

  const ownedApps = new Set(applications.map((application) => application.appId.toLowerCase()));
  for (const servicePrincipal of servicePrincipals) {
    const managed = servicePrincipal.servicePrincipalType === "ManagedIdentity";
    const owned = servicePrincipal.appOwnerOrganizationId?.toLowerCase() === input.tenantId.toLowerCase() || (servicePrincipal.appId ? ownedApps.has(servicePrincipal.appId.toLowerCase()) : false);
    // Microsoft's own first-party principals are thousands of rows: keep them only when they hold access.
    if (!managed && !owned && !referenced.has(servicePrincipal.id.toLowerCase())) continue;
    const resource = managed ? managedIdentityResource(servicePrincipal) : undefined;
    const userAssigned = resource !== undefined && /\/Microsoft\.ManagedIdentity\/userAssignedIdentities\//i.test(resource);
    parts.principals.push({
      id: servicePrincipal.id,
      provider: "azure",
      kind: managed ? "managed_identity" : "service_principal",
      workload: true,
      name: servicePrincipal.displayName ?? servicePrincipal.appId ?? servicePrincipal.id,
      scopeId: managed && resource ? (resourceGroupOf(resource) ?? tenantScopeId) : tenantScopeId,
      ...(servicePrincipal.appId ? { uniqueId: servicePrincipal.appId } : {}),
      ...(resource ? { description: `${userAssigned ? "User-assigned identity" : "System-assigned identity of"} ${resource}` } : {}),
      ...(servicePrincipal.accountEnabled === false ? { disabled: true } : {}),
      ...directoryFacts(control, servicePrincipal.id),
      ...activityFor(servicePrincipal.appId, signIns, observedAt),
      evidence: evidence("graph:servicePrincipals"),
    });
    parts.credentials.push(...credentialsOf(servicePrincipal, tenantScopeId, evidence("graph:servicePrincipals")));
  }

  await resolveMembership({ ...input, references }, parts, new Set(servicePrincipals.map((sp) => sp.id.toLowerCase())));
  // Users and groups holding directory roles were resolved just now.
  for (const principal of parts.principals) {
    if (principal.kind !== "user" && principal.kind !== "group") continue;
    const roles = control.rolesOf.get(principal.id.toLowerCase());
    if (roles) principal.directoryRoles = roles;
  }
  return parts;
}

/** Groups and users named by grants (not already known as service principals), with group members. */
/** What the directory says about a service principal: owners, directory roles, escalating Graph permissions. */
function directoryFacts(control: DirectoryControl, id: string): Pick<Principal, "owners" | "directoryRoles" | "graphAppPermissions"> {
  const key = id.toLowerCase();
  const owners = control.ownersOf.get(key);
  const roles = control.rolesOf.get(key);
  const permissions = control.graphPermissionsOf.get(key);
  return { ...(owners ? { owners } : {}), ...(roles ? { directoryRoles: roles } : {}), ...(permissions ? { graphAppPermissions: permissions } : {}) };
}

async function resolveMembership(input: TenantReadInput, parts: TenantParts, knownServicePrincipals: Set<string>): Promise<void> {
  const { tenantScopeId, observedAt, signal } = input;
  const unresolved = [...new Map(input.references.filter((r) => !knownServicePrincipals.has(r.id.toLowerCase())).map((r) => [r.id.toLowerCase(), r])).values()];
  const maybe = (type: string) => unresolved.filter((r) => r.type === undefined || r.type === type).map((r) => r.id);
  const groups = await resolveDirectoryObjects(input, maybe("Group"), "groups", parts.gaps);
  const groupIds = new Set(groups.map((group) => group.id.toLowerCase()));
  const users = await resolveDirectoryObjects(input, maybe("User").filter((id) => !groupIds.has(id.toLowerCase())), "users", parts.gaps);

  const byId = new Map<string, Principal>(parts.principals.map((principal) => [principal.id.toLowerCase(), principal]));
  const add = (principal: Principal): Principal => {
    const existing = byId.get(principal.id.toLowerCase());
    if (existing) return existing;
    byId.set(principal.id.toLowerCase(), principal);
    parts.principals.push(principal);
    return principal;
  };
  const userPrincipal = (object: GraphDirectoryObject, source: string): Principal => ({
    id: object.id,
    provider: "azure",
    kind: "user",
    workload: false,
    name: object.userPrincipalName ?? object.displayName ?? object.id,
    ...(object.userPrincipalName ? { email: object.userPrincipalName } : {}),
    scopeId: tenantScopeId,
    evidence: { source, observedAt },
  });
  const groupPrincipal = (object: GraphDirectoryObject, source: string): Principal => ({
    id: object.id,
    provider: "azure",
    kind: "group",
    workload: false,
    name: object.displayName ?? object.id,
    scopeId: tenantScopeId,
    evidence: { source, observedAt },
  });
  for (const user of users) add(userPrincipal(user, "graph:users"));
  for (const group of groups) add(groupPrincipal(group, "graph:groups"));

  for (const group of groups) {
    let members: GraphDirectoryObject[];
    try {
      members = await readAllPages(
        input.graph,
        `/v1.0/groups/${group.id}/transitiveMembers?$select=id,displayName,userPrincipalName,appId,servicePrincipalType&$top=${PAGE_SIZE}`,
        graphDirectoryObjectSchema,
        signal,
      );
    } catch (error) {
      signal?.throwIfAborted();
      parts.gaps.push({ provider: "azure", scopeId: tenantScopeId, source: "graph:groups.transitiveMembers", reason: `members of group ${group.id} not read: ${describeAzureError(error)}` });
      continue;
    }
    for (const member of members) {
      const type = member["@odata.type"] ?? "";
      let principal = byId.get(member.id.toLowerCase());
      if (!principal && type.endsWith(".user")) principal = add(userPrincipal(member, "graph:groups.transitiveMembers"));
      if (!principal && type.endsWith(".group")) principal = add(groupPrincipal(member, "graph:groups.transitiveMembers"));
      if (!principal) continue;
      principal.memberOf = [...new Set([...(principal.memberOf ?? []), group.id])];
    }
  }
}
