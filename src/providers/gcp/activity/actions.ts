/**
 * Which Cloud Audit Log methods are sensitive, by `protoPayload.methodName`: the categories the
 * neutral detections compare. Matched on the method's last segment where services share a verb
 * (every service has SetIamPolicy).
 */
import type { ActivityCategory } from "../../../model/activity-log.js";

const BY_METHOD: readonly (readonly [RegExp, ActivityCategory])[] = [
  [/\.AccessSecretVersion$/, "secret_read"],
  [/\.(CreateServiceAccountKey|UploadServiceAccountKey|CreateHmacKey)$|^google\.api\.apikeys\.v2\.ApiKeys\.CreateKey$/, "credential_creation"],
  [/(^|\.)SetIamPolicy$|\.(CreateRole|UpdateRole|UndeleteRole)$|^google\.iam\.v2\.Policies\.(CreatePolicy|UpdatePolicy)$/, "iam_change"],
  [/WorkloadIdentityPools?\.(Create|Update|Undelete)WorkloadIdentityPool(Provider)?$/, "federation_change"],
  [/(^|\.)(GenerateAccessToken|GenerateIdToken|SignBlob|SignJwt)$/, "impersonation"],
];

export function gcpMethodCategory(methodName: string): ActivityCategory | undefined {
  for (const [pattern, category] of BY_METHOD) if (pattern.test(methodName)) return category;
  return undefined;
}
