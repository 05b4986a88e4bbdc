/**
 * The wire-level allowlist: every HTTP request any Azure client of this connector sends must be a
 * GET matching one of these routes, or the call policy refuses it before it leaves the process.
 * Reading a secret value (GET /secrets/{name} or /secrets/{name}/{version}) matches nothing here.
 *
 * Each route names the API for the audit tally and the evidence of the facts it yields.
 */

export interface ReadRoute {
  api: string;
  /** The scope the call reads, for the tally: a vault URL, an ARM scope, or undefined (caller decides). */
  scopeOf(url: URL): string | undefined;
}

interface RouteRule extends ReadRoute {
  service: "keyvault" | "arm" | "graph";
  path: RegExp;
}

const SUBSCRIPTION = "/subscriptions/[0-9a-fA-F-]{36}";
const vaultOrigin = (url: URL): string => url.origin;
const subscriptionOf = (url: URL): string | undefined => /^\/subscriptions\/[0-9a-fA-F-]{36}/.exec(url.pathname)?.[0];
const none = (): undefined => undefined;

const RULES: readonly RouteRule[] = [
  // Key Vault data plane: listings of properties and certificate policies. No item bodies.
  { service: "keyvault", api: "keyvault:listPropertiesOfSecrets", path: /^\/secrets\/?$/, scopeOf: vaultOrigin },
  { service: "keyvault", api: "keyvault:listPropertiesOfCertificates", path: /^\/certificates\/?$/, scopeOf: vaultOrigin },
  { service: "keyvault", api: "keyvault:getCertificatePolicy", path: /^\/certificates\/[0-9A-Za-z-]{1,127}\/policy\/?$/, scopeOf: vaultOrigin },
  { service: "keyvault", api: "keyvault:listPropertiesOfKeys", path: /^\/keys\/?$/, scopeOf: vaultOrigin },
  // Azure Resource Manager.
  { service: "arm", api: "authorization:roleAssignments.listForScope", path: new RegExp(`^${SUBSCRIPTION}/providers/Microsoft\\.Authorization/roleAssignments$`, "i"), scopeOf: subscriptionOf },
  {
    service: "arm",
    api: "authorization:roleEligibilityScheduleInstances.listForScope",
    path: new RegExp(`^${SUBSCRIPTION}/providers/Microsoft\\.Authorization/roleEligibilityScheduleInstances$`, "i"),
    scopeOf: subscriptionOf,
  },
  { service: "arm", api: "authorization:roleDefinitions.list", path: new RegExp(`^${SUBSCRIPTION}/providers/Microsoft\\.Authorization/roleDefinitions$`, "i"), scopeOf: subscriptionOf },
  { service: "arm", api: "authorization:denyAssignments.listForScope", path: new RegExp(`^${SUBSCRIPTION}/providers/Microsoft\\.Authorization/denyAssignments$`, "i"), scopeOf: subscriptionOf },
  { service: "arm", api: "keyvault:vaults.listBySubscription", path: new RegExp(`^${SUBSCRIPTION}/providers/Microsoft\\.KeyVault/vaults$`, "i"), scopeOf: subscriptionOf },
  { service: "arm", api: "msi:userAssignedIdentities.listBySubscription", path: new RegExp(`^${SUBSCRIPTION}/providers/Microsoft\\.ManagedIdentity/userAssignedIdentities$`, "i"), scopeOf: subscriptionOf },
  // Activity Log (activity, #18): control-plane events of the subscription, selected fields only.
  {
    service: "arm",
    api: "insights:activityLogs.list",
    path: new RegExp(`^${SUBSCRIPTION}/providers/Microsoft\\.Insights/eventtypes/management/values$`, "i"),
    scopeOf: subscriptionOf,
  },
  { service: "arm", api: "management:managementGroups.list", path: /^\/providers\/Microsoft\.Management\/managementGroups$/i, scopeOf: none },
  { service: "arm", api: "management:managementGroups.get", path: /^\/providers\/Microsoft\.Management\/managementGroups\/[\w().-]{1,90}$/i, scopeOf: none },
  // Microsoft Graph.
  { service: "graph", api: "graph:organization", path: /^\/v1\.0\/organization$/, scopeOf: none },
  { service: "graph", api: "graph:applications", path: /^\/v1\.0\/applications$/, scopeOf: none },
  { service: "graph", api: "graph:servicePrincipals", path: /^\/v1\.0\/servicePrincipals$/, scopeOf: none },
  { service: "graph", api: "graph:servicePrincipalSignInActivities", path: /^\/beta\/reports\/servicePrincipalSignInActivities$/, scopeOf: none },
  // Sign-in logs (activity, #18): service principal and managed identity sign-ins are only in beta.
  { service: "graph", api: "graph:auditLogs.signIns", path: /^\/beta\/auditLogs\/signIns$/, scopeOf: none },
  { service: "graph", api: "graph:groups.transitiveMembers", path: /^\/v1\.0\/groups\/[0-9a-fA-F-]{36}\/transitiveMembers$/, scopeOf: none },
  { service: "graph", api: "graph:groups", path: /^\/v1\.0\/groups$/, scopeOf: none },
  { service: "graph", api: "graph:users", path: /^\/v1\.0\/users$/, scopeOf: none },
  { service: "graph", api: "graph:roleManagement.directory.roleDefinitions", path: /^\/v1\.0\/roleManagement\/directory\/roleDefinitions$/, scopeOf: none },
  { service: "graph", api: "graph:roleManagement.directory.roleAssignments", path: /^\/v1\.0\/roleManagement\/directory\/roleAssignments$/, scopeOf: none },
  {
    service: "graph",
    api: "graph:roleManagement.directory.roleEligibilityScheduleInstances",
    path: /^\/v1\.0\/roleManagement\/directory\/roleEligibilityScheduleInstances$/,
    scopeOf: none,
  },
  { service: "graph", api: "graph:servicePrincipals.appRoleAssignedTo", path: /^\/v1\.0\/servicePrincipals\/[0-9a-fA-F-]{36}\/appRoleAssignedTo$/, scopeOf: none },
];

export interface ServiceOrigins {
  resourceManager: string;
  graph: string;
  /** Origins of the configured vaults: no other host is spoken to. */
  vaults: ReadonlySet<string>;
}

/** The route a request matches, or undefined when it is not an allowlisted read. */
export function routeOf(method: string, rawUrl: string, origins: ServiceOrigins): ReadRoute | undefined {
  if (method.toUpperCase() !== "GET") return undefined;
  if (!URL.canParse(rawUrl)) return undefined;
  const url = new URL(rawUrl);
  const service =
    url.origin === new URL(origins.resourceManager).origin ? "arm" : url.origin === new URL(origins.graph).origin ? "graph" : origins.vaults.has(url.origin) ? "keyvault" : undefined;
  if (!service) return undefined;
  return RULES.find((rule) => rule.service === service && rule.path.test(url.pathname));
}

/** Every API the connector may call, for documentation and the read-only test. */
export const ALLOWED_APIS: readonly string[] = RULES.map((rule) => rule.api);
