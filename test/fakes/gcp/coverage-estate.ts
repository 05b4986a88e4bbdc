/**
 * The resource estate plus what exercises the rest of the resources that hold secrets: in the CI
 * project, a bucket with no bindings of its own (reached only through the project and the
 * organization), a bucket without uniform bucket-level access (object ACLs apply), nested managed
 * folders with their own bindings, and regional secrets in a location that is read and one that
 * is not. Storage readers sit on the project and the organization so placement can be seen.
 */
import type { FakeGcpEstate } from "./estate.js";
import { resourceEstate } from "./resource-estate.js";
import { CI, CI_BUILDER, GH_DEPLOYER, SCANNER } from "./small-estate.js";

export const RELEASE_READER = "user:release-reader@example.com";
export const ORG_AUDITOR = "user:org-auditor@example.com";
export const LEGACY_READER = "user:legacy-reader@example.com";
export const REGIONAL_READER = "user:regional-reader@example.com";
export const SCRATCH = `${CI}/buckets/ci-tools-01-scratch`;
export const LEGACY = `${CI}/buckets/ci-tools-01-legacy`;
export const ARTIFACTS = `${CI}/buckets/ci-tools-01-artifacts`;
export const RELEASES_FOLDER = `${ARTIFACTS}/managedFolders/releases/`;
export const SIGNED_FOLDER = `${ARTIFACTS}/managedFolders/releases/signed/`;
export const EU_SECRET = `${CI}/locations/europe-west1/secrets/eu-token`;
export const US_SECRET = `${CI}/locations/us-east4/secrets/us-token`;
export const OBJECT_VIEWER = "roles/storage.objectViewer";
export const SECRET_ACCESSOR = "roles/secretmanager.secretAccessor";

export function coverageEstate(now: Date): FakeGcpEstate {
  const estate = resourceEstate(now);
  const ci = estate.projects.find((project) => `projects/${project.projectId}` === CI);
  if (!ci || !estate.organization) throw new Error("the small estate has a CI project and an organization");
  estate.organization.bindings = [...(estate.organization.bindings ?? []), { role: OBJECT_VIEWER, members: [ORG_AUDITOR] }];
  ci.bindings = [
    ...(ci.bindings ?? []),
    { role: OBJECT_VIEWER, members: [RELEASE_READER] },
    {
      role: SECRET_ACCESSOR,
      members: [REGIONAL_READER],
      condition: {
        title: "europe-west1 secrets only",
        expression: 'resource.type == "secretmanager.googleapis.com/Secret" && resource.name.startsWith("projects/500000000002/locations/europe-west1/")',
      },
    },
  ];
  ci.buckets = [
    {
      name: "ci-tools-01-artifacts",
      bindings: [{ role: OBJECT_VIEWER, members: [`serviceAccount:${GH_DEPLOYER}`] }],
      managedFolders: [
        { name: "releases/", bindings: [{ role: OBJECT_VIEWER, members: [`serviceAccount:${SCANNER}`] }] },
        { name: "releases/signed/", bindings: [{ role: OBJECT_VIEWER, members: [`serviceAccount:${CI_BUILDER}`] }] },
        { name: "drafts/" },
      ],
    },
    { name: "ci-tools-01-scratch" },
    { name: "ci-tools-01-legacy", uniform: false, bindings: [{ role: OBJECT_VIEWER, members: [LEGACY_READER] }] },
  ];
  ci.regionalSecrets = [
    { location: "europe-west1", id: "eu-token", bindings: [{ role: SECRET_ACCESSOR, members: [`serviceAccount:${GH_DEPLOYER}`] }] },
    { location: "us-east4", id: "us-token", bindings: [{ role: SECRET_ACCESSOR, members: [`serviceAccount:${SCANNER}`] }] },
  ];
  return estate;
}
