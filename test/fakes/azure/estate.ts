/**
 * The data a fake Azure serves, in the shapes the real REST APIs return (ARM resources with
 * `properties`, Graph objects, Key Vault attribute bundles with epoch-second dates). Secret values
 * do not exist here: the fake has nothing to give a value read but a failure marker.
 */

export interface FakeVaultItemAttributes {
  enabled: boolean;
  /** Epoch seconds, as Key Vault sends them. */
  created: number;
  updated: number;
  nbf?: number;
  exp?: number;
  recoveryLevel?: string;
}

export interface FakeSecret {
  name: string;
  version: string;
  attributes: FakeVaultItemAttributes;
  contentType?: string;
  managed?: boolean;
  tags?: Record<string, string>;
}

export interface FakeLifetimeAction {
  action: "AutoRenew" | "EmailContacts";
  lifetimePercentage?: number;
  daysBeforeExpiry?: number;
}

export interface FakeCertificate {
  name: string;
  version: string;
  attributes: FakeVaultItemAttributes;
  tags?: Record<string, string>;
  policy: { issuer: string; validityMonths: number; lifetimeActions: FakeLifetimeAction[] };
}

export interface FakeKey {
  name: string;
  version: string;
  attributes: FakeVaultItemAttributes;
  managed?: boolean;
  tags?: Record<string, string>;
}

export interface FakeVault {
  /** The vault's name; its data plane gets its own port, and the ARM record's vaultUri points there. */
  name: string;
  tenantId: string;
  secrets: FakeSecret[];
  certificates: FakeCertificate[];
  keys: FakeKey[];
  /** The resource its 401 challenge names; default https://vault.azure.net (a hostile host names ARM). */
  challengeResource?: string;
}

export type ArmResource = { id: string; name: string; type: string; location?: string; tags?: Record<string, string>; properties: Record<string, unknown> };

export interface FakeSubscription {
  id: string;
  tenantId: string;
  displayName: string;
  roleAssignments: ArmResource[];
  roleDefinitions: ArmResource[];
  denyAssignments: ArmResource[];
  /** PIM eligibility schedule instances (optional: most fixtures have none). */
  roleEligibilities?: ArmResource[];
  /** Key Vault resources; `properties.vaultUri` is filled in with the fake's URL of the vault of the same name. */
  vaults: ArmResource[];
  identities: ArmResource[];
  /** Activity Log records (activity, #18), as ARM returns them. */
  activityLog?: Array<Record<string, unknown>>;
}

export interface FakeManagementGroup {
  name: string;
  displayName: string;
  /** Child management group names and subscription ids. */
  children: Array<{ kind: "managementGroup" | "subscription"; id: string; displayName: string }>;
}

export type GraphObject = Record<string, unknown> & { id: string };

export interface FakeTenant {
  id: string;
  displayName: string;
  applications: GraphObject[];
  servicePrincipals: GraphObject[];
  /** Graph report rows, or "forbidden" for a tenant without the licence or permission. */
  signIns: GraphObject[] | "forbidden";
  users: GraphObject[];
  groups: Array<GraphObject & { members: string[] }>;
  managementGroups: FakeManagementGroup[] | "forbidden";
  /** roleManagement/directory rows; "forbidden" answers 403 (no licence or permission). */
  directoryRoleDefinitions?: GraphObject[] | "forbidden";
  directoryRoleAssignments?: GraphObject[] | "forbidden";
  directoryRoleEligibilities?: GraphObject[] | "forbidden";
  /** App role assignments; `resourceId` is the service principal of the API (Microsoft Graph's). */
  appRoleAssignedTo?: GraphObject[];
  /**
   * Sign-in logs (beta auditLogs/signIns, #18): rows of every event type; "unlicensed" (no P1/P2)
   * and "forbidden" (no AuditLog.Read.All) answer 403 as Graph does.
   */
  signInLogs?: GraphObject[] | "unlicensed" | "forbidden";
}

/** A client the fake token endpoint accepts: the secret must be obviously fake. */
export interface FakeClient {
  clientId: string;
  secret: string;
  objectId: string;
}

export interface FakeAzureEstate {
  tenants: FakeTenant[];
  subscriptions: FakeSubscription[];
  vaults: FakeVault[];
  clients: FakeClient[];
}

export const epochSeconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);
