/**
 * The small estate plus what exercises groups and resource IAM policies end to end, in the CI
 * project: a secret reachable only through nested groups (with a membership cycle and a service
 * account of a project that is not collected), a secret bound to a group outside the directory,
 * a key ring whose conditional binding names one of its keys, a key bound to a group, and a bucket.
 */
import type { FakeGcpEstate } from "./estate.js";
import { CI, CI_BUILDER, GH_DEPLOYER, SCANNER, smallEstate } from "./small-estate.js";

export const RELEASE_ONCALL = "release-oncall@example.com";
export const RELEASE_BOTS = "release-bots@example.com";
export const BUILD_TEAM = "build-team@example.com";
export const VENDOR_ADMINS = "vendor-admins@partner.example";
export const ONCALL_USER = "oncall@example.com";
export const PARTNER_SYNC = "partner-sync@vendor-proj-01.iam.gserviceaccount.com";
export const RELEASE_SECRET = `${CI}/secrets/release-signing`;
export const VENDOR_SECRET = `${CI}/secrets/vendor-token`;
export const RING = `${CI}/locations/europe-west1/keyRings/release`;
export const RELEASE_KEY = `${RING}/cryptoKeys/release-key`;
export const OTHER_KEY = `${RING}/cryptoKeys/other-key`;
export const BUCKET = `${CI}/buckets/ci-tools-01-artifacts`;
export const DECRYPT = "cloudkms.cryptoKeyVersions.useToDecrypt";

export function resourceEstate(now: Date): FakeGcpEstate {
  const estate = smallEstate(now);
  estate.groups = [
    ...(estate.groups ?? []),
    { email: RELEASE_ONCALL, id: "0release0oncall1", members: [{ id: ONCALL_USER, type: "USER" }, { id: RELEASE_BOTS, type: "GROUP" }] },
    {
      email: RELEASE_BOTS,
      id: "0release00bots01",
      members: [
        { id: CI_BUILDER, type: "SERVICE_ACCOUNT" },
        { id: PARTNER_SYNC, type: "SERVICE_ACCOUNT" },
        // A cycle: the on-call group is also inside the bots group.
        { id: RELEASE_ONCALL, type: "GROUP" },
        { id: BUILD_TEAM, type: "GROUP" },
      ],
    },
    { email: BUILD_TEAM, id: "0build000team001", members: [{ id: SCANNER, type: "SERVICE_ACCOUNT" }] },
  ];
  const ci = estate.projects.find((project) => `projects/${project.projectId}` === CI);
  if (ci) {
    ci.secrets = [
      { id: "release-signing", bindings: [{ role: "roles/secretmanager.secretAccessor", members: [`group:${RELEASE_ONCALL}`] }] },
      { id: "vendor-token", bindings: [{ role: "roles/secretmanager.secretAccessor", members: [`group:${VENDOR_ADMINS}`] }] },
      { id: "unbound" },
    ];
    ci.keyRings = [
      {
        location: "europe-west1",
        id: "release",
        bindings: [
          {
            role: "roles/cloudkms.cryptoKeyDecrypter",
            members: [`serviceAccount:${SCANNER}`],
            condition: { title: "release key only", expression: 'resource.name.endsWith("/cryptoKeys/release-key")' },
          },
        ],
        keys: [{ id: "release-key", bindings: [{ role: "roles/cloudkms.cryptoKeyDecrypter", members: [`group:${RELEASE_BOTS}`] }] }, { id: "other-key" }],
      },
    ];
    ci.buckets = [{ name: "ci-tools-01-artifacts", bindings: [{ role: "roles/storage.objectViewer", members: [`serviceAccount:${GH_DEPLOYER}`] }] }];
  }
  estate.roles["roles/cloudkms.cryptoKeyDecrypter"] = { title: "Cloud KMS CryptoKey Decrypter", includedPermissions: [DECRYPT, "cloudkms.locations.get"] };
  estate.roles["roles/storage.objectViewer"] = { title: "Storage Object Viewer", includedPermissions: ["storage.objects.get", "storage.objects.list"] };
  return estate;
}
