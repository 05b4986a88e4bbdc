/**
 * Policies attached to organizations, folders and projects (IAM allow policy, IAM v2 deny
 * policies, IAM v3 principal access boundary bindings), the organization's principal access
 * boundary policies, and the roles the bindings name.
 */
import type { GcpProviderConfig } from "../config.js";
import { type GapRecorder } from "./gaps.js";
import type { RawScopePolicies } from "./raw.js";
import { GCP_READ_APIS, type IamReads, type PolicyReads, type ResourceManagerReads } from "../reads.js";
import type { WireBoundaryPolicy, WireRole } from "./wire.js";

export async function collectScopePolicies(
  scopeId: string,
  config: GcpProviderConfig,
  reads: { resourceManager: ResourceManagerReads; policies: PolicyReads },
  gaps: GapRecorder,
): Promise<RawScopePolicies> {
  const kind = scopeId.split("/")[0];
  const iamApi =
    kind === "organizations" ? GCP_READ_APIS.getOrganizationIamPolicy.api : kind === "folders" ? GCP_READ_APIS.getFolderIamPolicy.api : GCP_READ_APIS.getProjectIamPolicy.api;
  const [iamPolicy, denyPolicies, boundaryBindings] = await Promise.all([
    gaps.attempt(iamApi, scopeId, "IAM policy not read; bindings here and inherited below are unknown", () => reads.resourceManager.getIamPolicy(scopeId)),
    config.collect.denyPolicies
      ? gaps.attempt(GCP_READ_APIS.listDenyPolicies.api, scopeId, "deny policies not read", () => reads.policies.denyPoliciesOf(scopeId))
      : Promise.resolve([]),
    config.collect.principalAccessBoundaries
      ? gaps.attempt(GCP_READ_APIS.listPolicyBindings.api, scopeId, "principal access boundary bindings not read", () => reads.policies.listBoundaryBindings(scopeId))
      : Promise.resolve([]),
  ]);
  return { scopeId, iamPolicy, denyPolicies: denyPolicies ?? [], boundaryBindings: boundaryBindings ?? [] };
}

export async function collectBoundaryPolicies(organization: string, reads: PolicyReads, gaps: GapRecorder): Promise<WireBoundaryPolicy[]> {
  return (
    (await gaps.attempt(GCP_READ_APIS.listPrincipalAccessBoundaryPolicies.api, organization, "principal access boundary policies not read", () =>
      reads.listPrincipalAccessBoundaryPolicies(organization),
    )) ?? []
  );
}

/** Reads each role once; `known` holds roles still fresh in the connector's cache. */
export async function collectRoles(roleIds: Iterable<string>, known: ReadonlyMap<string, WireRole>, iam: IamReads, gaps: GapRecorder): Promise<WireRole[]> {
  const roles = await Promise.all(
    [...new Set(roleIds)].sort().map(async (roleId) => {
      const cached = known.get(roleId);
      if (cached) return cached;
      const scopeId = /^(organizations|projects)\/[^/]+/.exec(roleId)?.[0];
      return gaps.attempt(GCP_READ_APIS.getRole.api, scopeId, `role ${roleId} not read; what its bindings grant is unknown`, () => iam.getRole(roleId));
    }),
  );
  return roles.filter((role): role is WireRole => role !== undefined);
}
