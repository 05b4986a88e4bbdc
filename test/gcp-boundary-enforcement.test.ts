/**
 * Principal access boundary enforcement versions: a boundary limits only the permissions its
 * version can block (https://cloud.google.com/iam/docs/pab-blocked-permissions). The same account,
 * the same grants and the same boundary answer differently per version, permission by permission.
 */
import { describe, expect, it } from "vitest";
import { explainEntitlementPaths } from "../src/analysis/entitlements/index.js";
import { boundaryEnforces, firstBlockingVersion } from "../src/providers/gcp/access/boundary-enforcement.js";
import type { Policy } from "../src/model/inventory.js";
import { allow, estate, grant, policy, principal, scope, trust } from "./fixtures/iam-estate.js";

describe("the enforcement version table", () => {
  it("names the first version that blocks each permission, with the rows' exceptions", () => {
    expect(
      Object.fromEntries(
        [
          "storage.objects.get",
          "storage.objects.list",
          "storage.buckets.getIamPolicy",
          "resourcemanager.projects.get",
          "resourcemanager.projects.searchPolicyBindings",
          "iam.serviceAccounts.getAccessToken",
          "iam.serviceAccounts.actAs",
          "iam.serviceAccountKeys.create",
          "iam.serviceAccounts.listTagBindings",
          "cloudkms.cryptoKeyVersions.useToDecrypt",
          "cloudkms.cryptoKeys.get",
          "cloudkms.locations.list",
          "secretmanager.versions.access",
          "secretmanager.secrets.getIamPolicy",
          "pubsub.topics.publish",
          "pubsub.topics.getIamPolicy",
          "accesscontextmanager.gcpUserAccessBindings.get",
          "serviceusage.apiKeys.get",
          "dataflow.jobs.snapshot",
          "iam.workloadIdentityPools.get",
          "compute.instances.create",
        ].map((permission) => [permission, firstBlockingVersion(permission) ?? "none"]),
      ),
    ).toEqual({
      "storage.objects.get": 1,
      "storage.objects.list": 2,
      "storage.buckets.getIamPolicy": 1,
      "resourcemanager.projects.get": 2,
      "resourcemanager.projects.searchPolicyBindings": "none",
      "iam.serviceAccounts.getAccessToken": 3,
      "iam.serviceAccounts.actAs": 3,
      "iam.serviceAccountKeys.create": 3,
      "iam.serviceAccounts.listTagBindings": "none",
      "cloudkms.cryptoKeyVersions.useToDecrypt": 3,
      "cloudkms.cryptoKeys.get": 4,
      "cloudkms.locations.list": "none",
      "secretmanager.versions.access": 4,
      "secretmanager.secrets.getIamPolicy": 4,
      "pubsub.topics.publish": 1,
      "pubsub.topics.getIamPolicy": 3,
      "accesscontextmanager.gcpUserAccessBindings.get": 2,
      "serviceusage.apiKeys.get": 3,
      "dataflow.jobs.snapshot": "none",
      "iam.workloadIdentityPools.get": 4,
      "compute.instances.create": "none",
    });
  });

  it("decides per stated version; latest and unknown versions leave unlisted permissions open", () => {
    const decide = (version: string | undefined, permission: string) => boundaryEnforces(version, permission).blocks;
    expect(["1", "2", "3", "4", "latest", "5", undefined].map((version) => decide(version, "iam.serviceAccounts.getAccessToken"))).toEqual(["no", "no", "yes", "yes", "yes", "yes", "yes"]);
    expect(["1", "2", "3", "4", "latest"].map((version) => decide(version, "compute.instances.create"))).toEqual(["no", "no", "no", "no", "maybe"]);
    expect(decide("2", "storage.*")).toBe("maybe");
    expect(boundaryEnforces("2", "secretmanager.versions.access")).toEqual({
      blocks: "no",
      why: "enforcement version 2 does not block secretmanager.versions.access (it is listed from version 4)",
    });
    expect(boundaryEnforces("latest", "compute.instances.create")).toEqual({
      blocks: "maybe",
      why: "enforcement version latest (Google's default) may block compute.instances.create: no version up to 4 lists it, a newer one may",
    });
  });
});

describe("a boundary limits only what its version blocks", () => {
  const SA = "serviceAccount:app@p2.iam.gserviceaccount.com";
  const OTHER = "serviceAccount:other@p1.iam.gserviceaccount.com";
  const OTHER_RESOURCE = "projects/p1/serviceAccounts/other@p1.iam.gserviceaccount.com";
  const SECRET = "projects/p1/secrets/db";
  const KEY = "projects/p1/locations/global/keyRings/ring/cryptoKeys/key";
  const BUCKET_OBJECTS = "projects/p1";
  const PAB = "organizations/1/locations/global/principalAccessBoundaryPolicies/p2-only";
  const RULE = `${PAB}#projects/p2/locations/global/policyBindings/p2-accounts#rule-1`;

  function inventoryWith(version: string | undefined) {
    const boundary: Policy = policy(
      PAB,
      "gcp",
      "boundary",
      [{ id: "projects/p2/locations/global/policyBindings/p2-accounts#rule-1", effect: "Allow", principals: ["//cloudresourcemanager.googleapis.com/projects/p2"], resources: ["//cloudresourcemanager.googleapis.com/projects/p2"] }],
      { scopeId: "organizations/1", ...(version ? { enforcementVersion: version } : {}) },
    );
    return estate({
      scopes: [scope("organizations/1", "organization", "gcp"), scope("projects/p1", "project", "gcp", "organizations/1"), scope("projects/p2", "project", "gcp", "organizations/1")],
      principals: [
        principal(SA, "gcp", "service_account", "projects/p2", { email: "app@p2.iam.gserviceaccount.com" }),
        principal(OTHER, "gcp", "service_account", "projects/p1", { email: "other@p1.iam.gserviceaccount.com" }),
      ],
      policies: [
        boundary,
        policy("roles/reader", "gcp", "role", [
          allow("permissions", ["secretmanager.versions.access", "storage.objects.get", "storage.objects.list", "cloudkms.cryptoKeys.get", "cloudkms.cryptoKeyVersions.useToDecrypt"]),
        ]),
        policy("roles/iam.serviceAccountTokenCreator", "gcp", "role", [allow("permissions", ["iam.serviceAccounts.getAccessToken"])]),
      ],
      grants: [grant("b1", "gcp", "binding", SA, "roles/reader", "projects/p1"), grant("b2", "gcp", "binding", SA, "roles/iam.serviceAccountTokenCreator", OTHER_RESOURCE)],
    });
  }

  const asked: Array<[string, string]> = [
    ["secretmanager.versions.access", SECRET],
    ["storage.objects.get", BUCKET_OBJECTS],
    ["storage.objects.list", BUCKET_OBJECTS],
    ["cloudkms.cryptoKeyVersions.useToDecrypt", KEY],
    ["cloudkms.cryptoKeys.get", KEY],
    ["iam.serviceAccounts.getAccessToken", OTHER_RESOURCE],
  ];
  function outcomes(version: string | undefined) {
    const inventory = inventoryWith(version);
    return Object.fromEntries(
      asked.map(([action, resource]) => {
        const direct = explainEntitlementPaths(inventory, { principal: SA, action, resource }).paths.filter((path) => path.via.length === 1);
        return [action, direct.map((path) => path.outcome).join(",")];
      }),
    );
  }

  it("version 1 blocks only storage.objects.get of these", () => {
    expect(outcomes("1")).toEqual({
      "secretmanager.versions.access": "allowed",
      "storage.objects.get": "denied",
      "storage.objects.list": "allowed",
      "cloudkms.cryptoKeyVersions.useToDecrypt": "allowed",
      "cloudkms.cryptoKeys.get": "allowed",
      "iam.serviceAccounts.getAccessToken": "allowed",
    });
  });

  it("version 2 adds every storage permission", () => {
    expect(outcomes("2")).toEqual({
      "secretmanager.versions.access": "allowed",
      "storage.objects.get": "denied",
      "storage.objects.list": "denied",
      "cloudkms.cryptoKeyVersions.useToDecrypt": "allowed",
      "cloudkms.cryptoKeys.get": "allowed",
      "iam.serviceAccounts.getAccessToken": "allowed",
    });
  });

  it("version 3 adds key versions and service account impersonation", () => {
    expect(outcomes("3")).toEqual({
      "secretmanager.versions.access": "allowed",
      "storage.objects.get": "denied",
      "storage.objects.list": "denied",
      "cloudkms.cryptoKeyVersions.useToDecrypt": "denied",
      "cloudkms.cryptoKeys.get": "allowed",
      "iam.serviceAccounts.getAccessToken": "denied",
    });
  });

  it("version 4, latest and a policy without a recorded version block them all", () => {
    const all = Object.fromEntries(asked.map(([action]) => [action, "denied"]));
    expect(outcomes("4")).toEqual(all);
    expect(outcomes("latest")).toEqual(all);
    expect(outcomes(undefined)).toEqual(all);
  });

  it("the denied path names the boundary and the version that blocks; an unblocked one carries no boundary note", () => {
    const inventory = inventoryWith("3");
    const [denied] = explainEntitlementPaths(inventory, { principal: SA, action: "cloudkms.cryptoKeyVersions.useToDecrypt", resource: KEY }).paths;
    expect(denied?.blockedBy).toEqual({
      kind: "principal_access_boundary",
      id: RULE,
      description: `${KEY} is outside the principal access boundary p2-only (${PAB}) bound to ${SA}`,
    });
    expect(denied?.notes).toEqual(["enforcement version 3 blocks cloudkms.cryptoKeyVersions.useToDecrypt (listed from version 3)"]);
    const [allowed] = explainEntitlementPaths(inventory, { principal: SA, action: "secretmanager.versions.access", resource: SECRET }).paths;
    expect([allowed?.outcome, allowed?.blockedBy, allowed?.notes]).toEqual(["allowed", undefined, undefined]);
  });

  it("impersonation outside the boundary is stopped from version 3 on, not before", () => {
    const pivotTo = (version: string) => {
      const base = inventoryWith(version).snapshot;
      const inventory = estate({
        ...base,
        grants: [...base.grants, grant("b3", "gcp", "binding", OTHER, "roles/reader", "projects/p1")],
        trustEdges: [trust("t1", "gcp", "impersonation", SA, OTHER)],
      });
      return explainEntitlementPaths(inventory, { principal: SA, action: "storage.objects.list", resource: BUCKET_OBJECTS }).paths.map((path) => [path.via, path.outcome]);
    };
    // Version 1 blocks neither the list nor the token: both paths stand.
    expect(pivotTo("1")).toEqual([
      [[SA], "allowed"],
      [[SA, OTHER], "allowed"],
    ]);
    // Version 2 blocks the list on a project outside the boundary, but not the token: the other account's own grant still reaches it.
    expect(pivotTo("2")).toEqual([
      [[SA, OTHER], "allowed"],
      [[SA], "denied"],
    ]);
    // Version 3 blocks the token too: the pivot is not followed.
    expect(pivotTo("3")).toEqual([[[SA], "denied"]]);
  });
});
