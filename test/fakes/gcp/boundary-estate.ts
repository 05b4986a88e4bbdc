/**
 * The small estate plus what exercises principal access boundaries end to end: a production
 * account granted access outside its boundary, and a second boundary (by project number, with a
 * `principal.type` binding condition) that keeps the CI project's accounts inside that project.
 */
import type { FakeGcpEstate } from "./estate.js";
import { CI, DEPLOYER, ORG, smallEstate } from "./small-estate.js";

export const CI_NUMBER = "500000000002";
export const CI_ONLY = `${ORG}/locations/global/principalAccessBoundaryPolicies/ci-only`;
export const PROD_ONLY = `${ORG}/locations/global/principalAccessBoundaryPolicies/prod-only`;
/** Statement ids as the connector maps them: `<binding name>#rule-<n>`. */
export const PROD_ONLY_RULE = `${PROD_ONLY}#${ORG}/locations/global/policyBindings/prod-workloads#rule-1`;
export const CI_ONLY_RULE = `${CI_ONLY}#${CI}/locations/global/policyBindings/ci-accounts#rule-1`;

export function boundaryEstate(now: Date): FakeGcpEstate {
  const estate = smallEstate(now);
  const organization = estate.organization;
  if (organization) {
    organization.boundaryPolicies = [
      ...(organization.boundaryPolicies ?? []),
      { id: "ci-only", displayName: "CI project only", resources: [`//cloudresourcemanager.googleapis.com/projects/${CI_NUMBER}`] },
    ];
  }
  const ci = estate.projects.find((project) => `projects/${project.projectId}` === CI);
  if (ci) {
    ci.bindings = [...(ci.bindings ?? []), { role: "roles/secretmanager.secretAccessor", members: [`serviceAccount:${DEPLOYER}`] }];
    ci.boundaryBindings = [
      {
        id: "ci-accounts",
        principalSet: `//cloudresourcemanager.googleapis.com/projects/${CI_NUMBER}`,
        policy: CI_ONLY,
        condition: { title: "service accounts only", expression: "principal.type == 'iam.googleapis.com/ServiceAccount'" },
      },
    ];
  }
  return estate;
}
