/** Gaps in activity and credential data must not turn entitlement answers unknown; gaps in policy data must. */
import { describe, expect, it } from "vitest";
import { gapAffectsEntitlements } from "../src/analysis/entitlements/context.js";
import { SIGN_IN_SOURCE } from "../src/providers/azure/collect/tenant.js";

describe("which collection gaps affect entitlement paths", () => {
  it("ignores activity and credential reads of every connector", () => {
    for (const source of [
      SIGN_IN_SOURCE,
      "policyanalyzer:serviceAccountLastAuthenticationActivities",
      "iam.serviceAccounts.keys.list",
      "iam:GetCredentialReport",
      "iam:GetAccessKeyLastUsed",
      "graph:organization",
      "cloudresourcemanager:organizations.get (display name)",
      "keyvault:listPropertiesOfSecrets",
      "keyvault:getCertificatePolicy",
    ]) {
      expect(gapAffectsEntitlements(source), source).toBe(false);
    }
  });

  it("keeps policy, binding and assignment reads", () => {
    for (const source of [
      "iam:GetAccountAuthorizationDetails",
      "resourcemanager.projects.getIamPolicy",
      "authorization:roleAssignments.listForScope",
      "authorization:denyAssignments.listForScope",
      "keyvault:vaults.listBySubscription",
      "iam.v2.policies.list",
    ]) {
      expect(gapAffectsEntitlements(source), source).toBe(true);
    }
  });
});
