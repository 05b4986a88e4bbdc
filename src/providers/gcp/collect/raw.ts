/** What the collectors read, before it is mapped into the inventory model (map.ts). */
import type { WireMembership, WireActivity, WireBoundaryPolicy, WireDenyPolicy, WireIamPolicy, WirePolicyBinding, WireRole, WireServiceAccount, WireServiceAccountKey, WireWorkloadIdentityPool, WireWorkloadIdentityProvider } from "./wire.js";

export type GcpScopeKind = "organization" | "folder" | "project";

export interface RawScope {
  /** `organizations/<n>`, `folders/<n>` or `projects/<project id>`. */
  id: string;
  kind: GcpScopeKind;
  name: string;
  parentId?: string | undefined;
  projectNumber?: string | undefined;
  labels?: Record<string, string> | undefined;
  /** The API the scope was read with. */
  source: string;
  /** False for ancestors read only so their policies can be inherited. */
  inScope: boolean;
}

/** A read with the time it was made: evidence carries this time, also when the read is reused from the cache. */
export type Observed<T> = T & { observedAt: string };

/** The IAM policy, deny policies and boundary bindings attached to one organization, folder or project. */
export interface RawScopePolicies {
  scopeId: string;
  iamPolicy: WireIamPolicy | undefined;
  denyPolicies: WireDenyPolicy[];
  boundaryBindings: WirePolicyBinding[];
}

export interface RawServiceAccount {
  projectId: string;
  account: WireServiceAccount;
  /** Undefined when the keys could not be read (a gap says so). */
  keys: WireServiceAccountKey[] | undefined;
  iamPolicy: WireIamPolicy | undefined;
}

export interface RawWorkloadIdentityPool {
  projectId: string;
  projectNumber: string | undefined;
  pool: WireWorkloadIdentityPool;
  providers: WireWorkloadIdentityProvider[];
}

/** The IAM policy of one resource that holds secrets or keys; undefined when it could not be read (a gap says so). */
export interface RawResourcePolicy {
  kind: "secret" | "key_ring" | "crypto_key" | "bucket" | "managed_folder";
  /** In the inventory's project-id form, e.g. `projects/<id>/secrets/<s>`. */
  resource: string;
  policy: WireIamPolicy | undefined;
  /** A bucket's uniform bucket-level access (undefined when the listing did not say). */
  uniformBucketLevelAccess?: boolean | undefined;
}

export interface RawProject {
  projectId: string;
  serviceAccounts: RawServiceAccount[];
  /** Undefined when activity was not read for the project (disabled, or a gap). */
  accountActivity: WireActivity[] | undefined;
  keyActivity: WireActivity[] | undefined;
  pools: RawWorkloadIdentityPool[];
  /** Secrets (global and regional), key rings, keys, buckets and managed folders with their IAM policies (empty when not collected). */
  resourcePolicies: RawResourcePolicy[];
  /** False when collect.resourcePolicies is off: no secret, key or bucket policy was read in the project. */
  resourcePoliciesRead: boolean;
  /** Locations whose regional secrets were listed (undefined when resource policies were not collected). */
  secretLocations?: string[] | undefined;
  /** Configured locations whose regional secret listing failed (a gap says why). */
  secretLocationsNotListed?: string[] | undefined;
}

/** A Google group read from Cloud Identity: its direct memberships (users, service accounts, groups). */
export interface RawGroup {
  email: string;
  memberships: WireMembership[];
}

export interface RawEstate {
  scopes: Array<Observed<RawScope>>;
  scopePolicies: Array<Observed<RawScopePolicies>>;
  projects: Array<Observed<RawProject>>;
  roles: Array<{ role: WireRole; observedAt: string }>;
  boundaryPolicies: { policies: WireBoundaryPolicy[]; observedAt: string };
  /** Groups that bindings name and the groups nested in them (empty when not collected). */
  groups?: { groups: RawGroup[]; observedAt: string };
}
