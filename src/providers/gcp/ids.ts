/**
 * Google Cloud identifiers: resource names (`organizations/<n>`, `folders/<n>`, `projects/<id>`,
 * full names `//service.googleapis.com/projects/...`) and permissions (`service.resource.verb`).
 */
import type { ProviderIdGrammar } from "../provider.js";

const RESOURCE_NAME = /^(?:\/\/[a-z.]+\/)?(?:projects|folders|organizations)\//;
const PROJECT_OF = /^(?:\/\/[a-z.]+\/)?projects\/([^/]+)/;
/** Bucket names are global: the project segment of a bucket's name is not part of its identity. */
const BUCKET_NAME = /^(?:\/\/[a-z.]+\/)?projects\/[^/]+\/buckets\/([^/]+)/;

/** Deny policies may name permissions as `service.googleapis.com/resource.verb`. */
export function normalizeGcpPermission(permission: string): string {
  const match = /^([a-z0-9-]+)\.googleapis\.com\/(.+)$/.exec(permission);
  return match ? `${match[1]}.${match[2]}` : permission;
}

export const gcpIds: ProviderIdGrammar = {
  owns: (id) => RESOURCE_NAME.test(id),
  ownsAction: (action) => !action.includes("/") && !action.includes(":") && action.includes("."),
  caseInsensitiveIds: false,
  scopeCandidates(resource) {
    const project = PROJECT_OF.exec(resource);
    return project ? [`projects/${project[1]}`] : [];
  },
  listedResourceKey(id) {
    const bucket = BUCKET_NAME.exec(id)?.[1];
    return bucket === undefined ? undefined : `bucket:${bucket}`;
  },
  normalizeAction: normalizeGcpPermission,
  policyVariables: false,
};
