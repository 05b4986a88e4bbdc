/**
 * Reads one project: its service accounts with their keys and IAM policies, workload identity
 * pools and providers, and the last authentication of accounts and keys. Reads fan out freely;
 * the call runner bounds how many are in flight across the whole collection.
 */
import type { GcpProviderConfig } from "../config.js";
import { type GapRecorder, isNotFound } from "./gaps.js";
import type { RawProject, RawServiceAccount, RawWorkloadIdentityPool } from "./raw.js";
import { GCP_READ_APIS, type ActivityReads, type IamReads, type ResourcePolicyReads } from "../reads.js";
import { collectResourcePolicies } from "./resources.js";

export interface ProjectReads {
  iam: IamReads;
  activity: ActivityReads;
  resources: ResourcePolicyReads;
}

/** Reads that may legitimately be missing for a vanished account (404) are not gaps. */
async function readAccountPart<T>(gaps: GapRecorder, source: string, scopeId: string, what: string, read: () => Promise<T>): Promise<T | undefined | "gone"> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return "gone";
    return gaps.attempt(source, scopeId, what, () => Promise.reject(error));
  }
}

export async function collectProject(
  projectId: string,
  projectNumber: string | undefined,
  config: GcpProviderConfig,
  reads: ProjectReads,
  gaps: GapRecorder,
): Promise<RawProject> {
  const scopeId = `projects/${projectId}`;
  const activityWanted = config.collect.activity;

  const [accounts, accountActivity, keyActivity, pools, resourcePolicies] = await Promise.all([
    gaps.attempt(GCP_READ_APIS.listServiceAccounts.api, scopeId, "service accounts not listed", () => reads.iam.listServiceAccounts(projectId)),
    activityWanted
      ? gaps.attempt(GCP_READ_APIS.queryServiceAccountActivity.api, scopeId, "last authentication of service accounts not read", () =>
          reads.activity.query(projectId, "serviceAccountLastAuthentication"),
        )
      : Promise.resolve(undefined),
    activityWanted
      ? gaps.attempt(GCP_READ_APIS.queryServiceAccountKeyActivity.api, scopeId, "last authentication of service account keys not read", () =>
          reads.activity.query(projectId, "serviceAccountKeyLastAuthentication"),
        )
      : Promise.resolve(undefined),
    config.collect.workloadIdentity ? collectPools(projectId, projectNumber, reads.iam, gaps) : Promise.resolve([]),
    config.collect.resourcePolicies ? collectResourcePolicies(projectId, projectNumber, config.secretManagerLocations, reads.resources, gaps) : Promise.resolve(undefined),
  ]);

  const serviceAccounts = await Promise.all(
    (accounts ?? []).map(async (account): Promise<RawServiceAccount | undefined> => {
      const resource = `projects/${projectId}/serviceAccounts/${account.email}`;
      const [keys, iamPolicy] = await Promise.all([
        readAccountPart(gaps, GCP_READ_APIS.listServiceAccountKeys.api, scopeId, `keys of ${account.email} not read`, () => reads.iam.listServiceAccountKeys(projectId, resource)),
        config.collect.serviceAccountPolicies
          ? readAccountPart(gaps, GCP_READ_APIS.getServiceAccountIamPolicy.api, scopeId, `IAM policy of ${account.email} not read; who may impersonate it is unknown`, () =>
              reads.iam.getServiceAccountIamPolicy(projectId, resource),
            )
          : Promise.resolve(undefined),
      ]);
      if (keys === "gone" || iamPolicy === "gone") return undefined;
      return { projectId, account, keys, iamPolicy };
    }),
  );

  return {
    projectId,
    serviceAccounts: serviceAccounts.filter((account): account is RawServiceAccount => account !== undefined),
    accountActivity,
    keyActivity,
    pools,
    resourcePolicies: resourcePolicies?.policies ?? [],
    resourcePoliciesRead: resourcePolicies !== undefined,
    ...(resourcePolicies ? { secretLocations: resourcePolicies.secretLocations.listed, secretLocationsNotListed: resourcePolicies.secretLocations.notListed } : {}),
  };
}

async function collectPools(projectId: string, projectNumber: string | undefined, iam: IamReads, gaps: GapRecorder): Promise<RawWorkloadIdentityPool[]> {
  const scopeId = `projects/${projectId}`;
  const pools = await gaps.attempt(GCP_READ_APIS.listWorkloadIdentityPools.api, scopeId, "workload identity pools not listed", () => iam.listWorkloadIdentityPools(projectId));
  const result = await Promise.all(
    (pools ?? []).map(async (pool) => {
      const providers = await gaps.attempt(GCP_READ_APIS.listWorkloadIdentityPoolProviders.api, scopeId, `providers of ${pool.name} not listed`, () =>
        iam.listWorkloadIdentityPoolProviders(projectId, pool.name),
      );
      return { projectId, projectNumber, pool, providers: providers ?? [] };
    }),
  );
  return result;
}
