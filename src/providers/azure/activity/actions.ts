/**
 * Which Azure operations are sensitive, by the Activity Log's `operationName` (control plane):
 * the categories the neutral detections compare. Entra sign-ins are events of their own kind.
 */
import type { ActivityCategory } from "../../../model/activity-log.js";

const BY_OPERATION: readonly (readonly [RegExp, ActivityCategory])[] = [
  [/^microsoft\.authorization\/(roleassignments|roledefinitions|denyassignments|policyassignments)\/write$/i, "iam_change"],
  [/^microsoft\.keyvault\/vaults\/accesspolicies\/write$/i, "iam_change"],
  [/\/listkeys\/action$|^microsoft\.web\/sites\/config\/list\/action$|^microsoft\.web\/sites\/publishxml\/action$|\/listcredentials?\/action$/i, "secret_read"],
  [/\/regeneratekey\/action$|\/(keys|secrets)\/write$/i, "credential_creation"],
  [/^microsoft\.managedidentity\/userassignedidentities\/federatedidentitycredentials\/write$/i, "federation_change"],
];

export function azureOperationCategory(operation: string): ActivityCategory | undefined {
  for (const [pattern, category] of BY_OPERATION) if (pattern.test(operation)) return category;
  return undefined;
}
