/**
 * IAM policies on the resources of one project that hold secrets and keys: Secret Manager secrets
 * (global, and regional ones in the configured locations, each read at its location's endpoint),
 * Cloud KMS key rings and crypto keys, Cloud Storage buckets and their managed folders. Names are
 * kept in the project-id form the inventory uses (`projects/<id>/secrets/<s>`,
 * `projects/<id>/locations/<l>/secrets/<s>`, `projects/<id>/locations/<l>/keyRings/<r>`,
 * `projects/<id>/buckets/<b>`, `projects/<id>/buckets/<b>/managedFolders/<path>/`), so bindings on
 * them inherit from the project like any other. Every listed bucket is kept, bound or not, with
 * whether uniform bucket-level access is on. A listing that fails is a gap naming what is unknown;
 * a resource gone between list and read is skipped. Which locations' regional secrets were listed
 * is returned too: a failed location must not pass for one that was read and held nothing.
 */
import { type GapRecorder, isNotFound } from "./gaps.js";
import type { RawResourcePolicy } from "./raw.js";
import { GCP_READ_APIS, type ResourcePolicyReads } from "../reads.js";
import type { WireIamPolicy } from "./wire.js";

/** `projects/<number>/...` (as Secret Manager names them) → `projects/<id>/...`. */
function withProjectId(name: string, projectId: string, projectNumber: string | undefined): string {
  return projectNumber && name.startsWith(`projects/${projectNumber}/`) ? `projects/${projectId}/${name.slice(`projects/${projectNumber}/`.length)}` : name;
}

async function policyOf(gaps: GapRecorder, source: string, scopeId: string, what: string, read: () => Promise<WireIamPolicy>): Promise<WireIamPolicy | undefined | "gone"> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return "gone";
    return gaps.attempt(source, scopeId, what, () => Promise.reject(error));
  }
}

export interface ResourcePolicies {
  policies: RawResourcePolicy[];
  /** Configured locations whose regional secrets were listed, and those whose listing failed. */
  secretLocations: { listed: string[]; notListed: string[] };
}

export async function collectResourcePolicies(
  projectId: string,
  projectNumber: string | undefined,
  secretLocations: readonly string[],
  reads: ResourcePolicyReads,
  gaps: GapRecorder,
): Promise<ResourcePolicies> {
  const scopeId = `projects/${projectId}`;
  const found: RawResourcePolicy[] = [];
  const listedLocations = new Set<string>();
  const unlistedLocations = new Set<string>();
  const keep = (kind: RawResourcePolicy["kind"], resource: string, policy: WireIamPolicy | undefined | "gone", uniformBucketLevelAccess?: boolean) => {
    if (policy !== "gone") found.push({ kind, resource, policy, ...(uniformBucketLevelAccess !== undefined ? { uniformBucketLevelAccess } : {}) });
  };

  const secrets = async () => {
    const listed = await gaps.attempt(GCP_READ_APIS.listSecrets.api, scopeId, "secrets not listed; bindings on single secrets are unknown", () => reads.listSecrets(projectId));
    await Promise.all(
      (listed ?? []).map(async (secret) => {
        const resource = withProjectId(secret.name, projectId, projectNumber);
        const policy = await policyOf(gaps, GCP_READ_APIS.getSecretIamPolicy.api, scopeId, `IAM policy of ${resource} not read; who may access it through a binding on it is unknown`, () =>
          reads.getSecretIamPolicy(projectId, secret.name),
        );
        keep("secret", resource, policy);
      }),
    );
  };

  const regionalSecrets = async (location: string) => {
    const listed = await gaps.attempt(GCP_READ_APIS.listSecrets.api, scopeId, `regional secrets in ${location} not listed; bindings on them are unknown`, () =>
      reads.listRegionalSecrets(projectId, location),
    );
    (listed ? listedLocations : unlistedLocations).add(location);
    await Promise.all(
      (listed ?? []).map(async (secret) => {
        const resource = withProjectId(secret.name, projectId, projectNumber);
        const policy = await policyOf(gaps, GCP_READ_APIS.getSecretIamPolicy.api, scopeId, `IAM policy of ${resource} not read; who may access it through a binding on it is unknown`, () =>
          reads.getRegionalSecretIamPolicy(projectId, location, secret.name),
        );
        keep("secret", resource, policy);
      }),
    );
  };

  const keys = async () => {
    const locations = await gaps.attempt(GCP_READ_APIS.listKmsLocations.api, scopeId, "Cloud KMS locations not listed; bindings on key rings and keys are unknown", () => reads.listKmsLocations(projectId));
    await Promise.all(
      (locations ?? []).map(async (location) => {
        const rings = await gaps.attempt(GCP_READ_APIS.listKeyRings.api, scopeId, `key rings in ${location} not listed; bindings on them and their keys are unknown`, () => reads.listKeyRings(projectId, location));
        await Promise.all(
          (rings ?? []).map(async (ring) => {
            const ringResource = withProjectId(ring.name, projectId, projectNumber);
            const [ringPolicy, cryptoKeys] = await Promise.all([
              policyOf(gaps, GCP_READ_APIS.getKeyRingIamPolicy.api, scopeId, `IAM policy of ${ringResource} not read; bindings on it are unknown`, () => reads.getKmsIamPolicy(projectId, ring.name)),
              gaps.attempt(GCP_READ_APIS.listCryptoKeys.api, scopeId, `keys of ${ringResource} not listed; bindings on them are unknown`, () => reads.listCryptoKeys(projectId, ring.name)),
            ]);
            keep("key_ring", ringResource, ringPolicy);
            await Promise.all(
              (cryptoKeys ?? []).map(async (key) => {
                const resource = withProjectId(key.name, projectId, projectNumber);
                const policy = await policyOf(gaps, GCP_READ_APIS.getCryptoKeyIamPolicy.api, scopeId, `IAM policy of ${resource} not read; bindings on it are unknown`, () =>
                  reads.getKmsIamPolicy(projectId, key.name),
                );
                keep("crypto_key", resource, policy);
              }),
            );
          }),
        );
      }),
    );
  };

  const buckets = async () => {
    const listed = await gaps.attempt(GCP_READ_APIS.listBuckets.api, scopeId, "buckets not listed; bindings on single buckets are unknown", () => reads.listBuckets(projectId));
    await Promise.all(
      (listed ?? []).map(async (bucket) => {
        const resource = `projects/${projectId}/buckets/${bucket.name}`;
        const uniform = bucket.iamConfiguration?.uniformBucketLevelAccess?.enabled ?? undefined;
        const [policy] = await Promise.all([
          policyOf(gaps, GCP_READ_APIS.getBucketIamPolicy.api, scopeId, `IAM policy of bucket ${bucket.name} not read; bindings on it are unknown`, () =>
            reads.getBucketIamPolicy(projectId, bucket.name),
          ),
          // Managed folders exist only where uniform bucket-level access is on.
          uniform === true ? managedFolders(bucket.name) : Promise.resolve(),
        ]);
        keep("bucket", resource, policy, uniform);
      }),
    );
  };

  const managedFolders = async (bucket: string) => {
    const bucketResource = `projects/${projectId}/buckets/${bucket}`;
    const listed = await gaps.attempt(GCP_READ_APIS.listManagedFolders.api, scopeId, `managed folders of bucket ${bucket} not listed; bindings on them are unknown`, () =>
      reads.listManagedFolders(projectId, bucket),
    );
    await Promise.all(
      (listed ?? []).map(async (folder) => {
        const resource = `${bucketResource}/managedFolders/${folder.name}`;
        const policy = await policyOf(gaps, GCP_READ_APIS.getManagedFolderIamPolicy.api, scopeId, `IAM policy of ${resource} not read; bindings on it are unknown`, () =>
          reads.getManagedFolderIamPolicy(projectId, bucket, folder.name),
        );
        keep("managed_folder", resource, policy);
      }),
    );
  };

  await Promise.all([secrets(), ...secretLocations.map(regionalSecrets), keys(), buckets()]);
  return {
    policies: found.sort((a, b) => a.resource.localeCompare(b.resource)),
    // In the configured order, whatever order the listings finished in.
    secretLocations: { listed: secretLocations.filter((l) => listedLocations.has(l)), notListed: secretLocations.filter((l) => unlistedLocations.has(l)) },
  };
}
