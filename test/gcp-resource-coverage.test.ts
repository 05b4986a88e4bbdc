/**
 * The rest of the Google Cloud resources that hold secrets, end to end through the real clients
 * and the wire-level fake: every listed bucket is placed in its project, so a bucket named as
 * Google does (`projects/_/buckets/b`) is reached by project, folder and organization holders even
 * without bindings of its own, and one no project lists is unknown, never "no one"; managed
 * folders' bindings reach the objects below them; a bucket without uniform bucket-level access says
 * that object ACLs may grant more; regional secrets are read at their location's endpoint, and a
 * location that is not read (not configured, or its listing failed) makes the answer say so. A
 * bucket named under another project is answered, and placed for policies, where its listing has
 * it. Only Google's structured not-found makes a resource "gone": names that look like error text
 * and reads the guard refused are read or are gaps. With collect.resourcePolicies off, answers say
 * the resource's own policy was not read.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { explainEntitlementPaths, type EntitlementQuery } from "../src/analysis/entitlements/index.js";
import { mergeSnapshots } from "../src/connectors/merge.js";
import { resolveScope } from "../src/governance/scope-resolver.js";
import { decodeInventory, encodeInventory } from "../src/history/columnar-codec.js";
import { emptySnapshot } from "../src/model/inventory.js";
import { Inventory } from "../src/model/inventory-index.js";
import { createGcpConnector } from "../src/providers/gcp/index.js";
import { collectWith, countsByApi, endpointsOf, fakeAdcCredentials, instantRetry } from "./fakes/gcp/harness.js";
import { FakeGcpServer, type FakeGcpFault } from "./fakes/gcp/server.js";
import {
  ARTIFACTS,
  EU_SECRET,
  LEGACY,
  LEGACY_READER,
  OBJECT_VIEWER,
  ORG_AUDITOR,
  REGIONAL_READER,
  RELEASE_READER,
  RELEASES_FOLDER,
  SCRATCH,
  SECRET_ACCESSOR,
  SIGNED_FOLDER,
  US_SECRET,
  coverageEstate,
} from "./fakes/gcp/coverage-estate.js";
import { CI, CI_BUILDER, GH_DEPLOYER, ORG, PROD, SCANNER } from "./fakes/gcp/small-estate.js";

const NOW = new Date("2026-06-01T00:00:00Z");
const READ_OBJECT = "storage.objects.get";
const ACCESS = "secretmanager.versions.access";
const DEPLOYER_ID = `serviceAccount:${GH_DEPLOYER}`;
const SCANNER_ID = `serviceAccount:${SCANNER}`;
const BUILDER_ID = `serviceAccount:${CI_BUILDER}`;
let fake: FakeGcpServer;
let inventory: Inventory;
let operations: Record<string, number>;

beforeAll(async () => {
  fake = await FakeGcpServer.start(coverageEstate(NOW));
  const connector = createGcpConnector(
    { organization: "111111111111", secretManagerLocations: ["europe-west1"], endpoints: { ...endpointsOf(fake.url), secretManagerRegional: { "europe-west1": fake.url } } },
    { credentials: fakeAdcCredentials(), retry: instantRetry(), now: () => NOW },
  );
  const collected = await collectWith(connector, "t", NOW);
  connector.close();
  inventory = new Inventory(collected.snapshot);
  operations = countsByApi(collected.operations);
});
afterAll(async () => fake.close());

/** Direct paths only (no pivots), as [principal, outcome], sorted: who holds it by a binding. */
function direct(query: EntitlementQuery): string[][] {
  return explainEntitlementPaths(inventory, { ...query, maxDepth: 0 })
    .paths.map((path) => [path.principalId, path.outcome])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

describe("collection", () => {
  test("every listed bucket is a resource of its project, bound or not, with its uniform bucket-level access", () => {
    expect(inventory.snapshot.resources?.map((resource) => [resource.id, resource.kind, resource.scopeId, resource.attributes, resource.evidence.source])).toEqual([
      [ARTIFACTS, "bucket", CI, { uniformBucketLevelAccess: true }, "storage.buckets.list"],
      [LEGACY, "bucket", CI, { uniformBucketLevelAccess: false }, "storage.buckets.list"],
      [SCRATCH, "bucket", CI, { uniformBucketLevelAccess: true }, "storage.buckets.list"],
    ]);
  });

  test("bindings on managed folders and on regional secrets of the configured location are grants on them; the other location is not read", () => {
    const held = inventory.snapshot.grants
      .filter((grant) => /\/(managedFolders|locations\/[^/]+\/secrets)\//.test(grant.resource ?? ""))
      .map((grant) => [grant.resource, grant.policyId, grant.principalId, grant.evidence.source]);
    expect(held).toEqual([
      [RELEASES_FOLDER, OBJECT_VIEWER, SCANNER_ID, "storage.managedFolders.getIamPolicy"],
      [SIGNED_FOLDER, OBJECT_VIEWER, BUILDER_ID, "storage.managedFolders.getIamPolicy"],
      [EU_SECRET, SECRET_ACCESSOR, DEPLOYER_ID, "secretmanager.secrets.getIamPolicy"],
    ]);
    expect(inventory.scopes.get(CI)?.attributes?.["regionalSecretLocations"]).toBe("europe-west1");
    // The location is listed in every collected project; only the CI project has a secret there.
    expect(fake.requests.filter((request) => request.path.includes("/locations/europe-west1/secrets")).map((request) => request.path).sort()).toEqual([
      "/v1/projects/500000000002/locations/europe-west1/secrets/eu-token:getIamPolicy",
      "/v1/projects/ci-tools-01/locations/europe-west1/secrets",
      "/v1/projects/prod-data-01/locations/europe-west1/secrets",
      "/v1/projects/sandbox-01/locations/europe-west1/secrets",
    ]);
    expect(fake.requests.filter((request) => request.path.includes("us-east4"))).toEqual([]);
    // Reading the other services added no gap: the only one is the group outside the directory.
    expect(inventory.gaps).toEqual([
      { provider: "gcp", scopeId: "group:vendor-admins@partner.example", source: "cloudidentity.groups.lookup", reason: "members not read: HTTP 404 NOT_FOUND: Error(2015): Resource not found (FAKE); paths through this group are unknown" },
    ]);
  });

  test("buckets are listed once a project; managed folders only in buckets with uniform bucket-level access (the only ones that can have them); nothing secret is read", () => {
    expect([operations["storage.buckets.list"], operations["storage.buckets.getIamPolicy"], operations["storage.managedFolders.list"], operations["storage.managedFolders.getIamPolicy"]]).toEqual([3, 3, 2, 3]);
    expect(fake.requests.filter((request) => request.path.includes("/managedFolders")).map((request) => decodeURIComponent(request.path)).sort()).toEqual([
      "/storage/v1/b/ci-tools-01-artifacts/managedFolders",
      "/storage/v1/b/ci-tools-01-artifacts/managedFolders/drafts//iam",
      "/storage/v1/b/ci-tools-01-artifacts/managedFolders/releases//iam",
      "/storage/v1/b/ci-tools-01-artifacts/managedFolders/releases/signed//iam",
      "/storage/v1/b/ci-tools-01-scratch/managedFolders",
    ]);
    expect(fake.secretMaterialReads).toEqual([]);
    expect(fake.writeAttempts).toEqual([]);
  });
});

test("a regional listing or a managed-folder listing that fails is a gap naming what is unknown, in its project", async () => {
  const server = await FakeGcpServer.start(coverageEstate(NOW));
  server.faults = [
    { api: "secretmanager.secrets.list", pathIncludes: "ci-tools-01/locations/europe-west1", kind: "error", status: 403, statusName: "PERMISSION_DENIED", message: "Permission denied (FAKE)" },
    { api: "storage.managedFolders.list", pathIncludes: "ci-tools-01-artifacts", kind: "error", status: 403, statusName: "PERMISSION_DENIED", message: "Permission denied (FAKE)" },
  ];
  const connector = createGcpConnector(
    { organization: "111111111111", secretManagerLocations: ["europe-west1"], endpoints: { ...endpointsOf(server.url), secretManagerRegional: { "europe-west1": server.url } } },
    { credentials: fakeAdcCredentials(), retry: instantRetry(), now: () => NOW },
  );
  try {
    const { snapshot } = await collectWith(connector, "t", NOW);
    // Reads run concurrently: the gaps are compared in a fixed order.
    expect(snapshot.gaps?.filter((gap) => gap.scopeId === CI).map((gap) => [gap.source, gap.reason]).sort()).toEqual([
      ["secretmanager.secrets.list", "regional secrets in europe-west1 not listed; bindings on them are unknown: HTTP 403 PERMISSION_DENIED: Permission denied (FAKE)"],
      ["storage.managedFolders.list", "managed folders of bucket ci-tools-01-artifacts not listed; bindings on them are unknown: HTTP 403 PERMISSION_DENIED: Permission denied (FAKE)"],
    ]);
    expect(snapshot.grants.filter((grant) => /managedFolders|locations\/europe-west1\/secrets/.test(grant.resource ?? ""))).toEqual([]);
    // Only a location whose listing succeeded counts as read: the answer about the regional secret says its own bindings are unknown.
    const failed = new Inventory(snapshot);
    expect([failed.scopes.get(CI)?.attributes?.["regionalSecretLocations"], failed.scopes.get(CI)?.attributes?.["regionalSecretLocationsNotListed"]]).toEqual(["", "europe-west1"]);
    expect(failed.scopes.get(PROD)?.attributes?.["regionalSecretLocations"]).toBe("europe-west1");
    const answer = explainEntitlementPaths(failed, { action: ACCESS, resource: EU_SECRET, maxDepth: 0 });
    expect(answer.paths.map((path) => [path.principalId, path.outcome])).toEqual([[REGIONAL_READER, "unknown"]]);
    expect(answer.notes).toEqual([`regional secrets in europe-west1 of ${CI} could not be listed (see the collection gaps): bindings on ${EU_SECRET} itself are unknown`]);
  } finally {
    connector.close();
    await server.close();
  }
});

describe("a bucket named without its project (projects/_/buckets/...)", () => {
  test("the bucket listing survives the stored inventory: a copy read back after a restart places the bucket the same way", () => {
    const { snapshot, grants } = decodeInventory(encodeInventory(inventory.snapshot));
    expect(snapshot.resources).toEqual(inventory.snapshot.resources);
    const restored = new Inventory(snapshot, { grants });
    const ask = (inv: Inventory) => explainEntitlementPaths(inv, { action: READ_OBJECT, resource: "projects/_/buckets/ci-tools-01-scratch", maxDepth: 0 }).paths.map((path) => [path.principalId, path.outcome]);
    expect(ask(restored)).toEqual(ask(inventory));
  });

  test("merged with another source's snapshot, the listing is kept (first source wins per bucket)", () => {
    const [first] = inventory.snapshot.resources ?? [];
    if (!first) throw new Error("the CI project lists buckets");
    const later = { ...emptySnapshot(NOW.toISOString()), resources: [{ ...first, scopeId: "projects/elsewhere" }] };
    expect(mergeSnapshots([emptySnapshot(NOW.toISOString()), inventory.snapshot, later], NOW).resources).toEqual(inventory.snapshot.resources);
    expect(mergeSnapshots([emptySnapshot(NOW.toISOString())], NOW).resources).toBeUndefined();
  });

  test("reverse: a bucket with no bindings of its own is reached by the project's and the organization's holders, as by its project-id name", () => {
    const byGoogleName = direct({ action: READ_OBJECT, resource: "projects/_/buckets/ci-tools-01-scratch" });
    expect(byGoogleName).toEqual([
      [ORG_AUDITOR, "allowed"],
      [RELEASE_READER, "allowed"],
    ]);
    expect(byGoogleName).toEqual(direct({ action: READ_OBJECT, resource: SCRATCH }));
    expect(explainEntitlementPaths(inventory, { action: READ_OBJECT, resource: "projects/_/buckets/ci-tools-01-scratch", maxDepth: 0 }).notes).toEqual([]);
  });

  test("forward: the project's reader reaches it through the project binding", () => {
    const [path] = explainEntitlementPaths(inventory, { principal: RELEASE_READER, action: READ_OBJECT, resource: "projects/_/buckets/ci-tools-01-scratch" }).paths;
    expect([path?.outcome, path?.resource, path?.hops.map((hop) => [hop.type, hop.id])]).toEqual([
      "allowed",
      "projects/_/buckets/ci-tools-01-scratch",
      [
        ["principal", RELEASE_READER],
        ["binding", `${CI}#${OBJECT_VIEWER}#${RELEASE_READER}`],
        ["policy", OBJECT_VIEWER],
        ["resource", "projects/_/buckets/ci-tools-01-scratch"],
      ],
    ]);
  });

  test("a bucket no collected project lists: holders on the organization and every project are unknown, with the reason; bucket-level ones are not guessed", () => {
    const target = "projects/_/buckets/not-listed-anywhere";
    const answer = explainEntitlementPaths(inventory, { action: READ_OBJECT, resource: target, maxDepth: 0 });
    const notPlaced = `${target} is not in a collected project, folder or organization, so deny policies above it are unknown`;
    expect(answer.paths.map((path) => [path.principalId, path.outcome, path.unknownReason])).toEqual([
      [ORG_AUDITOR, "unknown", `${notPlaced}; cannot tell whether the binding on ${ORG} covers ${target}: bucket not-listed-anywhere is in no collected project's bucket listing`],
      [RELEASE_READER, "unknown", `${notPlaced}; cannot tell whether the binding on ${CI} covers ${target}: bucket not-listed-anywhere is in no collected project's bucket listing`],
    ]);
    expect(answer.notes).toEqual([
      "bucket not-listed-anywhere is in no collected project's bucket listing: its own bindings were not read, and bindings on projects, folders and the organization reach it only if it is theirs (unknown)",
      `${target} could not be placed in a collected gcp scope; answers that depend on it are unknown`,
    ]);
    // A binding on another bucket never reaches it: the artifacts bucket's reader has no path.
    expect(explainEntitlementPaths(inventory, { principal: DEPLOYER_ID, action: READ_OBJECT, resource: target, maxDepth: 0 }).paths).toEqual([]);
    const [forward] = explainEntitlementPaths(inventory, { principal: RELEASE_READER, action: READ_OBJECT, resource: target }).paths;
    expect([forward?.outcome, forward?.unknownReason]).toEqual(["unknown", `${notPlaced}; cannot tell whether the binding on ${CI} covers ${target}: bucket not-listed-anywhere is in no collected project's bucket listing`]);
  });
});

describe("a bucket asked for under another project than the one whose listing has it (bucket names are global)", () => {
  const object = "releases/signed/app.bin";
  const correction = `bucket ci-tools-01-artifacts is in the bucket listing of ${CI}, not ${PROD} (bucket names are global): answered for ${ARTIFACTS}/objects/${object}`;

  test("reverse: answered for the listed bucket, as projects/_/ is, with a note saying so", () => {
    const wrong = `${PROD}/buckets/ci-tools-01-artifacts/objects/${object}`;
    expect(direct({ action: READ_OBJECT, resource: wrong })).toEqual(direct({ action: READ_OBJECT, resource: `projects/_/buckets/ci-tools-01-artifacts/objects/${object}` }));
    expect(direct({ action: READ_OBJECT, resource: wrong })).toEqual([
      [BUILDER_ID, "allowed"],
      [DEPLOYER_ID, "allowed"],
      [SCANNER_ID, "allowed"],
      [ORG_AUDITOR, "allowed"],
      [RELEASE_READER, "allowed"],
    ]);
    expect(explainEntitlementPaths(inventory, { action: READ_OBJECT, resource: wrong, maxDepth: 0 }).notes).toEqual([correction]);
    // By project number too; the bucket's own project needs no note.
    expect(explainEntitlementPaths(inventory, { action: READ_OBJECT, resource: `projects/500000000001/buckets/ci-tools-01-artifacts/objects/${object}`, maxDepth: 0 }).notes).toEqual([correction]);
    expect(explainEntitlementPaths(inventory, { action: READ_OBJECT, resource: `${ARTIFACTS}/objects/${object}`, maxDepth: 0 }).notes).toEqual([]);
  });

  test("forward: the CI project's reader reaches it through its project binding, shown under the name asked", () => {
    const wrong = `${PROD}/buckets/ci-tools-01-artifacts/objects/${object}`;
    const answer = explainEntitlementPaths(inventory, { principal: RELEASE_READER, action: READ_OBJECT, resource: wrong, maxDepth: 0 });
    expect(answer.paths.map((path) => [path.outcome, path.resource, path.hops.find((hop) => hop.type === "binding")?.id])).toEqual([["allowed", wrong, `${CI}#${OBJECT_VIEWER}#${RELEASE_READER}`]]);
    expect(answer.notes).toEqual([correction]);
  });

  test("a bucket no listing has, asked under a collected project that lists its buckets: that project's holders and those above it are unknown, others are not named", () => {
    const target = `${PROD}/buckets/not-listed-anywhere/objects/a.txt`;
    const missing = `bucket not-listed-anywhere is not in the bucket listing of ${PROD}, nor of any other collected project`;
    const answer = explainEntitlementPaths(inventory, { action: READ_OBJECT, resource: target, maxDepth: 0 });
    expect(answer.paths.map((path) => [path.principalId, path.outcome, path.unknownReason])).toEqual([
      [ORG_AUDITOR, "unknown", `cannot tell whether the binding on ${ORG} covers ${target}: ${missing}`],
    ]);
    expect(answer.notes).toEqual([
      `${missing}: its own bindings were not read, and bindings on ${PROD}, its folders and the organization reach it only if it is in ${PROD} (unknown); ask about projects/_/buckets/not-listed-anywhere/objects/a.txt to include every project`,
    ]);
    // The CI project's reader is named only when every project is asked about.
    expect(direct({ action: READ_OBJECT, resource: "projects/_/buckets/not-listed-anywhere/objects/a.txt" }).map(([principal]) => principal)).toEqual([ORG_AUDITOR, RELEASE_READER]);
  });

  test("the scope policies see is the one answered for: the listing's project, whatever project the name puts the bucket in", () => {
    for (const name of [`${PROD}/buckets/ci-tools-01-artifacts/objects/${object}`, `projects/_/buckets/ci-tools-01-artifacts/objects/${object}`, `${ARTIFACTS}/objects/${object}`]) {
      expect([name, inventory.scopeOfResource(name)?.id]).toEqual([name, CI]);
    }
    // The request-time policy decision places the question there too.
    expect(resolveScope({ resource: `${PROD}/buckets/ci-tools-01-artifacts/objects/${object}` }, inventory, {}).id).toBe(CI);
    expect(resolveScope({ resource: `${PROD}/buckets/not-listed-anywhere/objects/a.txt` }, inventory, {}).id).toBe(PROD);
    expect(inventory.scopeOfResource(`${PROD}/buckets/not-listed-anywhere/objects/a.txt`)?.id).toBe(PROD);
    expect(inventory.scopeOfResource("projects/_/buckets/not-listed-anywhere")).toBeUndefined();
  });
});

test("a resource of a named project that is not collected: only organization and folder holders may reach it (unknown); another project's never do", () => {
  const target = "projects/not-collected-01/buckets/partner-drop";
  expect(explainEntitlementPaths(inventory, { action: READ_OBJECT, resource: target, maxDepth: 0 }).paths.map((path) => [path.principalId, path.outcome, path.unknownReason])).toEqual([
    [
      ORG_AUDITOR,
      "unknown",
      `${target} is not in a collected project, folder or organization, so deny policies above it are unknown; cannot tell whether the binding on ${ORG} covers ${target}: its project is not in the inventory`,
    ],
  ]);
});

describe("managed folders", () => {
  test("an object below nested managed folders is reached through each folder's bindings, the bucket's, the project's and the organization's", () => {
    const object = "projects/_/buckets/ci-tools-01-artifacts/objects/releases/signed/app-1.4.2.tar.gz";
    expect(direct({ action: READ_OBJECT, resource: object })).toEqual([
      [BUILDER_ID, "allowed"],
      [DEPLOYER_ID, "allowed"],
      [SCANNER_ID, "allowed"],
      [ORG_AUDITOR, "allowed"],
      [RELEASE_READER, "allowed"],
    ]);
    const [viaFolder] = explainEntitlementPaths(inventory, { principal: SCANNER_ID, action: READ_OBJECT, resource: object, maxDepth: 0 }).paths;
    expect(viaFolder?.hops.find((hop) => hop.type === "binding")?.id).toBe(`${RELEASES_FOLDER}#${OBJECT_VIEWER}#${SCANNER_ID}`);
  });

  test("an object outside the folders, or in the outer folder only, is not reached through the inner folder's bindings", () => {
    expect(direct({ action: READ_OBJECT, resource: `${ARTIFACTS}/objects/docs/readme.md` })).toEqual([
      [DEPLOYER_ID, "allowed"],
      [ORG_AUDITOR, "allowed"],
      [RELEASE_READER, "allowed"],
    ]);
    expect(direct({ action: READ_OBJECT, resource: `${ARTIFACTS}/objects/releases/notes.txt` }).map(([principal]) => principal)).toEqual([DEPLOYER_ID, SCANNER_ID, ORG_AUDITOR, RELEASE_READER]);
    // A managed folder asked about: its own bindings, its parent folder's and the rest; named with or without its trailing "/".
    for (const folder of ["releases/signed/", "releases/signed"]) {
      expect(direct({ action: READ_OBJECT, resource: `projects/_/buckets/ci-tools-01-artifacts/managedFolders/${folder}` }).map(([principal]) => principal)).toEqual([
        BUILDER_ID,
        DEPLOYER_ID,
        SCANNER_ID,
        ORG_AUDITOR,
        RELEASE_READER,
      ]);
    }
    // The outer folder does not inherit from the folder inside it.
    expect(direct({ action: READ_OBJECT, resource: RELEASES_FOLDER }).map(([principal]) => principal)).toEqual([DEPLOYER_ID, SCANNER_ID, ORG_AUDITOR, RELEASE_READER]);
  });
});

describe("object ACLs", () => {
  const aclNote = `object ACLs of bucket ${LEGACY} are not read and its uniform bucket-level access is off: ACLs on its objects may grant access beyond the IAM bindings shown`;

  test("an answer about a bucket without uniform bucket-level access, or an object in it, says object ACLs may grant more", () => {
    for (const resource of ["projects/_/buckets/ci-tools-01-legacy", `${LEGACY}/objects/exports/ledger.csv`]) {
      const answer = explainEntitlementPaths(inventory, { action: READ_OBJECT, resource, maxDepth: 0 });
      expect(answer.notes).toEqual([aclNote]);
      expect(answer.paths.map((path) => [path.principalId, path.outcome])).toEqual([
        [LEGACY_READER, "allowed"],
        [ORG_AUDITOR, "allowed"],
        [RELEASE_READER, "allowed"],
      ]);
    }
    expect(explainEntitlementPaths(inventory, { action: READ_OBJECT, resource: SCRATCH, maxDepth: 0 }).notes).toEqual([]);
  });

  test("without a resource, each path on such a bucket carries the note", () => {
    const answer = explainEntitlementPaths(inventory, { principal: LEGACY_READER, action: READ_OBJECT });
    expect(answer.paths.map((path) => [path.resource, path.outcome, path.notes])).toEqual([[LEGACY, "allowed", [aclNote]]]);
  });
});

describe("regional secrets", () => {
  test("reverse: the regional secret's own binding, by project id and by project number, and a project binding whose condition names regional secrets of its location", () => {
    expect(direct({ action: ACCESS, resource: EU_SECRET })).toEqual([
      [DEPLOYER_ID, "allowed"],
      [REGIONAL_READER, "allowed"],
    ]);
    expect(direct({ action: ACCESS, resource: "projects/500000000002/locations/europe-west1/secrets/eu-token" })).toEqual([
      [DEPLOYER_ID, "allowed"],
      [REGIONAL_READER, "allowed"],
    ]);
    // The condition is decided on the name and type: not a global secret, not another location.
    expect(direct({ action: ACCESS, resource: `${CI}/secrets/release-signing` }).map(([principal]) => principal)).not.toContain(REGIONAL_READER);
    expect(direct({ action: ACCESS, resource: US_SECRET })).toEqual([]);
    expect(explainEntitlementPaths(inventory, { action: ACCESS, resource: EU_SECRET }).notes).toEqual([]);
  });

  test("forward: the deployer reads it through the binding on the secret", () => {
    const [path] = explainEntitlementPaths(inventory, { principal: DEPLOYER_ID, action: ACCESS, resource: EU_SECRET, maxDepth: 0 }).paths;
    expect([path?.outcome, path?.hops.find((hop) => hop.type === "binding")?.id]).toEqual(["allowed", `${EU_SECRET}#${SECRET_ACCESSOR}#${DEPLOYER_ID}`]);
  });

  test("a secret in a location that is not read: no one is named through it, and the answer says its bindings are unknown", () => {
    const answer = explainEntitlementPaths(inventory, { action: ACCESS, resource: US_SECRET, maxDepth: 0 });
    expect(answer.paths).toEqual([]);
    expect(answer.notes).toEqual([`regional secrets in us-east4 are not read (providers.gcp.secretManagerLocations): bindings on ${US_SECRET} itself are unknown`]);
  });
});

describe("what a read error means: only Google's structured NOT_FOUND is 'gone', never text in a message", () => {
  const OUTSIDER = "user:outsider@partner.example";
  const SECRET_NAMED_NOT_FOUND = `${CI}/secrets/NOT_FOUND`;

  /** The coverage estate plus managed folders and a secret whose names look like error text, collected with `faults`. */
  async function collectTricky(faults: FakeGcpFault[], withDotDotFolder = false): Promise<{ inventory: Inventory; requests: string[]; url: string }> {
    const estate = coverageEstate(NOW);
    const ci = estate.projects.find((project) => `projects/${project.projectId}` === CI);
    const artifacts = ci?.buckets?.find((bucket) => bucket.name === "ci-tools-01-artifacts");
    if (!ci || !artifacts) throw new Error("the coverage estate has the artifacts bucket in the CI project");
    artifacts.managedFolders = [
      ...(artifacts.managedFolders ?? []),
      { name: ".NOT_FOUND/", bindings: [{ role: OBJECT_VIEWER, members: [OUTSIDER] }] },
      { name: ".cache/", bindings: [{ role: OBJECT_VIEWER, members: [OUTSIDER] }] },
      // Listed by the (fake) service, but a name with a ".." segment: the guard never sends its read (and its refusal quotes "NOT_FOUND").
      ...(withDotDotFolder ? [{ name: "NOT_FOUND/../", bindings: [{ role: OBJECT_VIEWER, members: [OUTSIDER] }] }] : []),
    ];
    ci.secrets = [...(ci.secrets ?? []), { id: "NOT_FOUND", bindings: [{ role: SECRET_ACCESSOR, members: [OUTSIDER] }] }];
    const server = await FakeGcpServer.start(estate);
    server.faults = faults;
    const connector = createGcpConnector(
      { organization: "111111111111", secretManagerLocations: ["europe-west1"], endpoints: { ...endpointsOf(server.url), secretManagerRegional: { "europe-west1": server.url } } },
      { credentials: fakeAdcCredentials(), retry: instantRetry(), now: () => NOW },
    );
    try {
      const { snapshot } = await collectWith(connector, "t", NOW);
      return { inventory: new Inventory(snapshot), requests: server.requests.map((request) => decodeURIComponent(request.path)), url: server.url };
    } finally {
      connector.close();
      await server.close();
    }
  }

  test("managed folders named .NOT_FOUND/ and .cache/ are read, and their grants reach the objects below them", async () => {
    const { inventory: tricky, requests } = await collectTricky([]);
    expect(requests.filter((path) => path.includes("/managedFolders/.")).sort()).toEqual([
      "/storage/v1/b/ci-tools-01-artifacts/managedFolders/.NOT_FOUND//iam",
      "/storage/v1/b/ci-tools-01-artifacts/managedFolders/.cache//iam",
    ]);
    expect(tricky.snapshot.grants.filter((grant) => grant.principalId === OUTSIDER).map((grant) => grant.resource).sort()).toEqual([
      `${ARTIFACTS}/managedFolders/.NOT_FOUND/`,
      `${ARTIFACTS}/managedFolders/.cache/`,
      SECRET_NAMED_NOT_FOUND,
    ]);
    expect(tricky.gaps.filter((gap) => gap.scopeId === CI)).toEqual([]);
    const ask = (object: string) =>
      explainEntitlementPaths(tricky, { action: READ_OBJECT, resource: `projects/_/buckets/ci-tools-01-artifacts/objects/${object}`, maxDepth: 0 })
        .paths.map((path) => [path.principalId, path.outcome])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(ask(".NOT_FOUND/signing-key.pem")).toEqual([[DEPLOYER_ID, "allowed"], [ORG_AUDITOR, "allowed"], [OUTSIDER, "allowed"], [RELEASE_READER, "allowed"]]);
    expect(ask(".cache/build.tar").map(([principal]) => principal)).toContain(OUTSIDER);
    expect(ask("docs/readme.md").map(([principal]) => principal)).not.toContain(OUTSIDER);
  });

  test("a resource gone between list and read (Google's 404 NOT_FOUND, through gax for Secret Manager and googleapis for Cloud Storage) is skipped: no grant, no gap", async () => {
    const { inventory: tricky } = await collectTricky([
      { api: "secretmanager.secrets.getIamPolicy", pathIncludes: "/secrets/NOT_FOUND:", kind: "error", status: 404, statusName: "NOT_FOUND", message: "Secret [projects/500000000002/secrets/NOT_FOUND] not found. (FAKE)" },
      { api: "storage.managedFolders.getIamPolicy", pathIncludes: ".cache", kind: "error", status: 404, statusName: "NOT_FOUND", message: "The specified managed folder does not exist. (FAKE)" },
    ]);
    expect(tricky.gaps.filter((gap) => gap.scopeId === CI)).toEqual([]);
    expect(tricky.snapshot.grants.filter((grant) => grant.principalId === OUTSIDER).map((grant) => grant.resource)).toEqual([`${ARTIFACTS}/managedFolders/.NOT_FOUND/`]);
  });

  test("a listed managed folder with a '..' segment is refused by the guard before it is sent: a gap in its project, not 'gone'", async () => {
    const { inventory: tricky, requests, url } = await collectTricky([], true);
    expect(requests.filter((path) => path.includes(".."))).toEqual([]);
    expect(tricky.gaps.filter((gap) => gap.scopeId === CI).map((gap) => [gap.source, gap.reason])).toEqual([
      [
        "storage.managedFolders.getIamPolicy",
        `IAM policy of ${ARTIFACTS}/managedFolders/NOT_FOUND/../ not read; bindings on it are unknown: refused GET ${url}/storage/v1/b/ci-tools-01-artifacts/managedFolders/NOT_FOUND%2F..%2F/iam: the Google Cloud connector reads no secret or key material`,
      ],
    ]);
    // The gap makes every answer in the project unknown: the outsider's folder grants are not taken as complete.
    const paths = explainEntitlementPaths(tricky, { action: READ_OBJECT, resource: `${ARTIFACTS}/objects/.cache/build.tar`, maxDepth: 0 }).paths;
    expect(paths.map((path) => path.outcome)).toEqual(Array(paths.length).fill("unknown"));
  });

  test("a 403 on the IAM policy of a secret named NOT_FOUND is a gap in its project, so answers there are unknown, not 'no binding'", async () => {
    const denied = `Permission 'secretmanager.secrets.getIamPolicy' denied on resource 'projects/500000000002/secrets/NOT_FOUND' (or it may not exist). (FAKE)`;
    const { inventory: tricky } = await collectTricky([
      { api: "secretmanager.secrets.getIamPolicy", pathIncludes: "/secrets/NOT_FOUND:", kind: "error", status: 403, statusName: "PERMISSION_DENIED", message: denied },
    ]);
    const gaps = tricky.gaps.filter((gap) => gap.scopeId === CI && gap.source === "secretmanager.secrets.getIamPolicy").map((gap) => gap.reason);
    expect(gaps).toEqual([`IAM policy of ${SECRET_NAMED_NOT_FOUND} not read; who may access it through a binding on it is unknown: HTTP 403 PERMISSION_DENIED: ${denied}`]);
    expect(tricky.snapshot.grants.filter((grant) => grant.resource === SECRET_NAMED_NOT_FOUND)).toEqual([]);
    // The gap reaches the answers in that project: the scratch bucket's readers are unknown, citing it.
    const reason = `collection gap for gcp ${CI} (secretmanager.secrets.getIamPolicy): ${gaps[0] ?? ""}`;
    expect(explainEntitlementPaths(tricky, { action: READ_OBJECT, resource: SCRATCH, maxDepth: 0 }).paths.map((path) => [path.principalId, path.outcome, path.unknownReason])).toEqual([
      [ORG_AUDITOR, "unknown", reason],
      [RELEASE_READER, "unknown", reason],
    ]);
  });
});

test("with collect.resourcePolicies off, an answer about a secret, regional secret, key ring, key, bucket, managed folder or object says its own policy was not read", async () => {
  const server = await FakeGcpServer.start(coverageEstate(NOW));
  const connector = createGcpConnector(
    { organization: "111111111111", secretManagerLocations: ["europe-west1"], collect: { resourcePolicies: false }, endpoints: { ...endpointsOf(server.url), secretManagerRegional: { "europe-west1": server.url } } },
    { credentials: fakeAdcCredentials(), retry: instantRetry(), now: () => NOW },
  );
  try {
    const { snapshot } = await collectWith(connector, "t", NOW);
    const off = new Inventory(snapshot);
    expect(off.scopes.get(CI)?.attributes).toEqual({ collected: true, projectNumber: "500000000002", resourcePoliciesRead: false });
    const noteFor = (resource: string) => `IAM policies of secrets, keys and buckets in ${CI} are not read (providers.gcp.collect.resourcePolicies is off): bindings on ${resource} itself, and on anything in it, are unknown`;
    const asked: Array<[string, string, string]> = [
      [ACCESS, `${CI}/secrets/release-signing`, `${CI}/secrets/release-signing`],
      [ACCESS, `${CI}/secrets/release-signing/versions/3`, `${CI}/secrets/release-signing`],
      [ACCESS, EU_SECRET, EU_SECRET],
      [ACCESS, US_SECRET, US_SECRET],
      ["cloudkms.cryptoKeyVersions.useToDecrypt", `${CI}/locations/europe-west1/keyRings/release`, `${CI}/locations/europe-west1/keyRings/release`],
      ["cloudkms.cryptoKeyVersions.useToDecrypt", `${CI}/locations/europe-west1/keyRings/release/cryptoKeys/release-key`, `${CI}/locations/europe-west1/keyRings/release`],
      [READ_OBJECT, SCRATCH, SCRATCH],
      [READ_OBJECT, SIGNED_FOLDER, ARTIFACTS],
      [READ_OBJECT, `${ARTIFACTS}/objects/releases/signed/app.bin`, ARTIFACTS],
      [READ_OBJECT, "projects/500000000002/buckets/ci-tools-01-scratch/objects/x", SCRATCH],
    ];
    expect(asked.map(([action, resource]) => explainEntitlementPaths(off, { action, resource, maxDepth: 0 }).notes)).toEqual(asked.map(([, , holder]) => [noteFor(holder)]));
    // Project holders still answer (the project's own policy was read).
    expect(explainEntitlementPaths(off, { action: READ_OBJECT, resource: SCRATCH, maxDepth: 0 }).paths.map((path) => [path.principalId, path.outcome])).toEqual([
      [ORG_AUDITOR, "allowed"],
      [RELEASE_READER, "allowed"],
    ]);
    // The project itself and its service accounts are not such resources: no note.
    expect(explainEntitlementPaths(off, { action: "resourcemanager.projects.get", resource: CI, maxDepth: 0 }).notes).toEqual([]);
    expect(server.requests.filter((request) => /^(secretmanager|cloudkms|storage)\./.test(request.api))).toEqual([]);
  } finally {
    connector.close();
    await server.close();
  }
});
