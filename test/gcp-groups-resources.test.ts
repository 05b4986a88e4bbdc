/**
 * Google groups and the IAM policies of resources that hold secrets and keys, end to end: the real
 * connector reads Cloud Identity memberships (nested, with a cycle, paged) and the policies of
 * secrets, key rings, keys and buckets from the wire-level fake, and the entitlement engine answers
 * forward and reverse questions through them. A group whose members cannot be read is answered
 * unknown, by name, never dropped and never assumed.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { explainEntitlementPaths, type EntitlementQuery } from "../src/analysis/entitlements/index.js";
import { Inventory } from "../src/model/inventory-index.js";
import { createGcpConnector } from "../src/providers/gcp/index.js";
import { gcpDoctorChecks } from "../src/providers/gcp/doctor.js";
import { buildDemoEstate, DEMO_ANCHORS } from "../src/connectors/demo/index.js";
import { collectedInventory, collectWith, countsByApi, endpointsOf, fakeAdcCredentials, instantRetry } from "./fakes/gcp/harness.js";
import { FakeGcpServer, type FakeGcpFault } from "./fakes/gcp/server.js";
import {
  BUCKET,
  BUILD_TEAM,
  DECRYPT,
  ONCALL_USER,
  OTHER_KEY,
  PARTNER_SYNC,
  RELEASE_BOTS,
  RELEASE_KEY,
  RELEASE_ONCALL,
  RELEASE_SECRET,
  RING,
  VENDOR_ADMINS,
  VENDOR_SECRET,
  resourceEstate,
} from "./fakes/gcp/resource-estate.js";
import { CI, CI_BUILDER, GH_DEPLOYER, SCANNER } from "./fakes/gcp/small-estate.js";

const NOW = new Date("2026-06-01T00:00:00Z");
const ACCESS = "secretmanager.versions.access";
const BUILDER = `serviceAccount:${CI_BUILDER}`;
const SCANNER_ID = `serviceAccount:${SCANNER}`;
const PARTNER = `serviceAccount:${PARTNER_SYNC}`;
const VENDOR_GAP = "members not read: HTTP 404 NOT_FOUND: Error(2015): Resource not found (FAKE); paths through this group are unknown";
let fake: FakeGcpServer;
let inventory: Inventory;

beforeAll(async () => {
  ({ fake, inventory } = await collectedInventory(resourceEstate(NOW), NOW));
});
afterAll(async () => fake.close());

function paths(query: EntitlementQuery) {
  return explainEntitlementPaths(inventory, query).paths.map((path) => [path.principalId, path.via.slice(1), path.outcome]);
}

async function collect(
  options: { maxPageSize?: number; estate?: ReturnType<typeof resourceEstate>; groupLimits?: { maxDepth: number; maxGroups: number; maxMembersPerGroup?: number }; faults?: FakeGcpFault[] } = {},
) {
  const server = await FakeGcpServer.start(options.estate ?? resourceEstate(NOW), options.maxPageSize ? { maxPageSize: options.maxPageSize } : {});
  server.faults = options.faults ?? [];
  const connector = createGcpConnector(
    { organization: "111111111111", endpoints: endpointsOf(server.url), ...(options.groupLimits ? { groupLimits: options.groupLimits } : {}) },
    { credentials: fakeAdcCredentials(), retry: instantRetry(), now: () => NOW },
  );
  try {
    const collected = await collectWith(connector, "t", NOW);
    return { ...collected, requests: server.requests };
  } finally {
    connector.close();
    await server.close();
  }
}

describe("collection", () => {
  test("group members become memberOf of users, collected accounts, outside accounts and nested groups (a cycle is read once)", () => {
    const membership = inventory.snapshot.principals
      .filter((p) => p.memberOf)
      .map((p) => [p.id, p.kind, p.memberOf])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(membership).toEqual([
      [`group:${BUILD_TEAM}`, "group", [`group:${RELEASE_BOTS}`]],
      [`group:${RELEASE_BOTS}`, "group", [`group:${RELEASE_ONCALL}`]],
      [`group:${RELEASE_ONCALL}`, "group", [`group:${RELEASE_BOTS}`]],
      [BUILDER, "service_account", [`group:${RELEASE_BOTS}`]],
      [PARTNER, "external", [`group:${RELEASE_BOTS}`]],
      [SCANNER_ID, "service_account", ["group:auditors@example.com", `group:${BUILD_TEAM}`]],
      [`user:${ONCALL_USER}`, "user", [`group:${RELEASE_ONCALL}`]],
    ]);
    expect(inventory.principals.get(PARTNER)?.scopeId).toBe("projects/vendor-proj-01");
  });

  test("the group outside the directory is a gap scoped to it, nothing else is", () => {
    expect(inventory.gaps).toEqual([{ provider: "gcp", scopeId: `group:${VENDOR_ADMINS}`, source: "cloudidentity.groups.lookup", reason: VENDOR_GAP }]);
  });

  test("bindings on secrets, key rings, keys and buckets are grants on them, secret names in project-id form", () => {
    const held = inventory.snapshot.grants
      .filter((grant) => /\/(secrets|keyRings|buckets)\//.test(grant.resource ?? ""))
      .map((grant) => [grant.resource, grant.policyId, grant.principalId, grant.evidence.source, grant.conditions?.map((c) => c.expression)]);
    expect(held).toEqual([
      [BUCKET, "roles/storage.objectViewer", `serviceAccount:${GH_DEPLOYER}`, "storage.buckets.getIamPolicy", undefined],
      [RING, "roles/cloudkms.cryptoKeyDecrypter", SCANNER_ID, "cloudkms.keyRings.getIamPolicy", ['resource.name.endsWith("/cryptoKeys/release-key")']],
      [RELEASE_KEY, "roles/cloudkms.cryptoKeyDecrypter", `group:${RELEASE_BOTS}`, "cloudkms.cryptoKeys.getIamPolicy", undefined],
      [RELEASE_SECRET, "roles/secretmanager.secretAccessor", `group:${RELEASE_ONCALL}`, "secretmanager.secrets.getIamPolicy", undefined],
      [VENDOR_SECRET, "roles/secretmanager.secretAccessor", `group:${VENDOR_ADMINS}`, "secretmanager.secrets.getIamPolicy", undefined],
    ]);
  });

  test("memberships are paged: one-item pages give the same members with more calls; no secret, key or object was read", async () => {
    const whole = await collect();
    const paged = await collect({ maxPageSize: 1 });
    const members = (snapshot: typeof whole.snapshot) => snapshot.principals.map((p) => [p.id, p.memberOf]);
    expect(members(paged.snapshot)).toEqual(members(whole.snapshot));
    expect([countsByApi(whole.operations)["cloudidentity.groups.memberships.list"], countsByApi(paged.operations)["cloudidentity.groups.memberships.list"]]).toEqual([4, 1 + 2 + 4 + 1]);
    expect(countsByApi(whole.operations)["cloudidentity.groups.lookup"]).toBe(5);
    expect(whole.requests.filter((r) => /:access$|\/o(\/|$)/.test(r.path))).toEqual([]);
  });

  test("past the depth bound a nested group is a gap, and answers name it as unknown instead of its members", async () => {
    // Without the key's binding, the bots group is reached only through the on-call group: the build team is two levels down.
    const estate = resourceEstate(NOW);
    for (const ring of estate.projects.flatMap((project) => project.keyRings ?? [])) for (const key of ring.keys) delete key.bindings;
    const { snapshot } = await collect({ estate, groupLimits: { maxDepth: 1, maxGroups: 100 } });
    expect(snapshot.gaps?.filter((gap) => gap.scopeId?.startsWith("group:")).map((gap) => [gap.scopeId, gap.reason])).toEqual([
      [`group:${VENDOR_ADMINS}`, VENDOR_GAP],
      [`group:${BUILD_TEAM}`, "members not read: nested more than 1 levels below a bound group (groupLimits.maxDepth); paths through this group are unknown"],
    ]);
    const bounded = new Inventory(snapshot);
    expect(explainEntitlementPaths(bounded, { action: ACCESS, resource: RELEASE_SECRET }).paths.map((path) => [path.principalId, path.outcome])).toEqual([
      [`user:${ONCALL_USER}`, "allowed"],
      [BUILDER, "allowed"],
      [PARTNER, "allowed"],
      [`group:${BUILD_TEAM}`, "unknown"],
    ]);
  });

  test("past the size bound the groups left unread are gaps, however they were reached", async () => {
    const { snapshot } = await collect({ groupLimits: { maxDepth: 10, maxGroups: 2 } });
    expect(snapshot.gaps?.map((gap) => [gap.scopeId, gap.source, gap.reason])).toEqual([
      [`group:${RELEASE_ONCALL}`, "cloudidentity.groups.memberships.list", "members not read: more than 2 groups (groupLimits.maxGroups); paths through this group are unknown"],
      [`group:${VENDOR_ADMINS}`, "cloudidentity.groups.memberships.list", "members not read: more than 2 groups (groupLimits.maxGroups); paths through this group are unknown"],
      [`group:${BUILD_TEAM}`, "cloudidentity.groups.memberships.list", "members not read: more than 2 groups (groupLimits.maxGroups); paths through this group are unknown"],
    ]);
  });

  test("past the member bound a group's unread members make it a gap; members of kinds no binding can name are named, without making its paths unknown", async () => {
    const estate = resourceEstate(NOW);
    estate.groups?.find((group) => group.email === RELEASE_ONCALL)?.members.push({ id: "chrome-browser-7f3a", type: "OTHER" });
    // Pages of one member; the bots group has 4 members, the on-call group 3.
    const { snapshot } = await collect({ estate, maxPageSize: 1, groupLimits: { maxDepth: 10, maxGroups: 100, maxMembersPerGroup: 3 } });
    expect(snapshot.gaps?.map((gap) => [gap.scopeId ?? null, gap.reason])).toEqual([
      ["group:vendor-admins@partner.example", "members not read: HTTP 404 NOT_FOUND: Error(2015): Resource not found (FAKE); paths through this group are unknown"],
      [`group:${RELEASE_BOTS}`, "members beyond the first 3 not read (groupLimits.maxMembersPerGroup); paths through this group are unknown"],
      [null, `group ${RELEASE_ONCALL}: 1 members of kinds the inventory has no principal for (OTHER) were left out; what they reach through the group is not answered`],
    ]);
  });

  test("a reader without the Groups Reader role is refused once; every bound group is a gap", async () => {
    const estate = resourceEstate(NOW);
    delete estate.groups;
    const { snapshot, operations } = await collect({ estate });
    expect(countsByApi(operations)["cloudidentity.groups.lookup"]).toBe(1);
    expect(countsByApi(operations)["cloudidentity.groups.memberships.list"]).toBeUndefined();
    expect(snapshot.gaps?.map((gap) => gap.scopeId)).toEqual(["group:auditors@example.com", `group:${RELEASE_BOTS}`, `group:${RELEASE_ONCALL}`, `group:${VENDOR_ADMINS}`]);
    expect(snapshot.principals.filter((p) => p.memberOf)).toEqual([]);
  });

  test("a group that is not found, with PERMISSION_DENIED in its message, is a gap of its own: the directory did not refuse the reader", async () => {
    const message = "Group PERMISSION_DENIED-auditors@example.com not found (FAKE)";
    const { snapshot, operations } = await collect({ faults: [{ api: "cloudidentity.groups.lookup", times: 1, kind: "error", status: 404, statusName: "NOT_FOUND", message }] });
    expect(countsByApi(operations)["cloudidentity.groups.lookup"]).toBe(5);
    expect(snapshot.gaps?.map((gap) => [gap.scopeId, gap.reason])).toEqual([
      ["group:auditors@example.com", `members not read: HTTP 404 NOT_FOUND: ${message}; paths through this group are unknown`],
      [`group:${VENDOR_ADMINS}`, VENDOR_GAP],
    ]);
  });
});

describe("forward and reverse paths through groups and resource policies", () => {
  test("reverse: who can read the release secret — every member of the nested groups, through the secret's own binding", () => {
    expect(paths({ action: ACCESS, resource: RELEASE_SECRET })).toEqual([
      [`user:${ONCALL_USER}`, [], "allowed"],
      [BUILDER, [], "allowed"],
      [PARTNER, [], "allowed"],
      [SCANNER_ID, [], "allowed"],
    ]);
  });

  test("forward: the CI builder reads it as a member of the bots group inside the on-call group", () => {
    const [direct] = explainEntitlementPaths(inventory, { principal: BUILDER, action: ACCESS, resource: RELEASE_SECRET }).paths;
    expect(direct?.hops.map((hop) => [hop.type, hop.id])).toEqual([
      ["principal", BUILDER],
      ["member_of", `group:${RELEASE_BOTS}`],
      ["member_of", `group:${RELEASE_ONCALL}`],
      ["binding", `${RELEASE_SECRET}#roles/secretmanager.secretAccessor#group:${RELEASE_ONCALL}`],
      ["policy", "roles/secretmanager.secretAccessor"],
      ["resource", RELEASE_SECRET],
    ]);
    expect(direct?.outcome).toBe("allowed");
  });

  test("a secret bound to a group whose members cannot be read: the reverse answer names the group as unknown", () => {
    const answer = explainEntitlementPaths(inventory, { action: ACCESS, resource: VENDOR_SECRET });
    expect(answer.paths.map((path) => [path.principalId, path.outcome, path.unknownReason])).toEqual([
      [`group:${VENDOR_ADMINS}`, "unknown", `which identities group:${VENDOR_ADMINS} stands for is unknown (${VENDOR_GAP})`],
    ]);
  });

  test("forward: an account that may be in that group gets an unknown path through it, not silence and not access", () => {
    const [direct] = explainEntitlementPaths(inventory, { principal: BUILDER, action: ACCESS, resource: VENDOR_SECRET }).paths.filter((path) => path.via.length === 1);
    expect([direct?.outcome, direct?.unknownReason, direct?.hops[1]]).toEqual([
      "unknown",
      `whether ${BUILDER} is a member of group:${VENDOR_ADMINS} is unknown (${VENDOR_GAP})`,
      { type: "member_of", id: `group:${VENDOR_ADMINS}`, label: `group:${VENDOR_ADMINS} (members not read)` },
    ]);
    // Without an action the answer says so in a note rather than listing every permission.
    expect(explainEntitlementPaths(inventory, { principal: `user:${ONCALL_USER}` }).notes).toContain(
      `user:${ONCALL_USER} may also hold what group:${VENDOR_ADMINS} is granted: whether user:${ONCALL_USER} is a member of group:${VENDOR_ADMINS} is unknown (${VENDOR_GAP})`,
    );
  });

  test("what can the scanner decrypt: the key its key-ring binding's condition names, and the key bound to its group; not the other key", () => {
    expect(paths({ principal: SCANNER_ID, action: DECRYPT, resource: RELEASE_KEY })).toEqual([
      [SCANNER_ID, [], "allowed"],
      [SCANNER_ID, [], "allowed"],
    ]);
    const routes = explainEntitlementPaths(inventory, { principal: SCANNER_ID, action: DECRYPT, resource: RELEASE_KEY }).paths.map((path) => path.hops.filter((hop) => hop.type !== "principal").map((hop) => hop.id)[0]);
    expect(routes.sort()).toEqual([`group:${BUILD_TEAM}`, `${RING}#roles/cloudkms.cryptoKeyDecrypter#${SCANNER_ID}#release key only#d3bbd1989b73dc0d`].sort());
    expect(paths({ principal: SCANNER_ID, action: DECRYPT, resource: OTHER_KEY })).toEqual([]);
  });

  test("reverse: who can decrypt with the release key, and nobody with the other key", () => {
    expect(paths({ action: DECRYPT, resource: RELEASE_KEY }).map(([principal, , outcome]) => `${String(principal)} ${String(outcome)}`).sort()).toEqual(
      [`${BUILDER} allowed`, `${PARTNER} allowed`, `${SCANNER_ID} allowed`, `${SCANNER_ID} allowed`, `user:${ONCALL_USER} allowed`].sort(),
    );
    expect(paths({ action: DECRYPT, resource: OTHER_KEY })).toEqual([]);
  });

  test("a bucket asked by Google's own name (projects/_/buckets/...) is the collected bucket in its project", () => {
    const byGoogleName = paths({ action: "storage.objects.get", resource: "projects/_/buckets/ci-tools-01-artifacts" });
    expect(byGoogleName).toEqual(paths({ action: "storage.objects.get", resource: BUCKET }));
    expect(byGoogleName.filter(([, via]) => (via as string[]).length === 0)).toEqual([[`serviceAccount:${GH_DEPLOYER}`, [], "allowed"]]);
    expect(paths({ action: ACCESS, resource: `projects/500000000002/secrets/release-signing` })).toEqual(paths({ action: ACCESS, resource: RELEASE_SECRET }));
    expect(CI).toBe("projects/ci-tools-01");
  });
});

describe("wiam doctor", () => {
  async function doctor(estate: ReturnType<typeof resourceEstate>) {
    const server = await FakeGcpServer.start(estate);
    try {
      const connector = createGcpConnector({ organization: "111111111111", endpoints: endpointsOf(server.url) }, { credentials: fakeAdcCredentials(), retry: instantRetry(), now: () => NOW });
      return (await gcpDoctorChecks(connector)).filter((check) => check.check === "gcp groups");
    } finally {
      await server.close();
    }
  }

  test("says groups can be read when the directory answers", async () => {
    expect(await doctor(resourceEstate(NOW))).toEqual([
      { level: "ok", check: "gcp groups", detail: "Google groups of directory customer C0fake123 can be read: bindings to groups resolve to their members" },
    ]);
  });

  test("warns, and says which paths become unknown, when the reader lacks the Groups Reader role", async () => {
    const estate = resourceEstate(NOW);
    delete estate.groups;
    expect(await doctor(estate)).toEqual([
      {
        level: "warning",
        check: "gcp groups",
        detail:
          "Google groups cannot be read (HTTP 403 PERMISSION_DENIED: Error(2028): Permission denied for the resource (FAKE)): bindings to groups stay unresolved, so reverse answers name those groups as unknown " +
          "and forward answers mark every path through them unknown. Assign the reader account the Groups Reader admin role " +
          "(its tokens already ask for the cloud-identity.groups.readonly scope), or set collect.groups: false to stop asking.",
      },
    ]);
  });
});

describe("the demo estate's group-bound account", () => {
  const demo = new Inventory(buildDemoEstate(NOW));
  const G = DEMO_ANCHORS.gcp;

  test("reaches the settlement secret only as a member of the group bound on the secret itself", () => {
    const [path, ...rest] = explainEntitlementPaths(demo, { principal: G.groupBoundServiceAccount, action: ACCESS, resource: G.groupBoundSecret }).paths;
    expect(rest).toEqual([]);
    expect([path?.outcome, path?.hops.map((hop) => [hop.type, hop.id])]).toEqual([
      "allowed",
      [
        ["principal", G.groupBoundServiceAccount],
        ["member_of", G.settlementGroup],
        ["binding", `${G.groupBoundSecret}#roles/secretmanager.secretAccessor#${G.settlementGroup}`],
        ["policy", "roles/secretmanager.secretAccessor"],
        ["resource", G.groupBoundSecret],
      ],
    ]);
  });

  test("reverse: the secret and the key name the group's member, not the group", () => {
    const holders = (action: string, resource: string) =>
      explainEntitlementPaths(demo, { action, resource }).paths.filter((path) => path.via.length === 1).map((path) => [path.principalId, path.outcome]);
    expect(holders(ACCESS, G.groupBoundSecret)).toContainEqual([G.groupBoundServiceAccount, "allowed"]);
    // And the organization admin, who can grant herself anything (an escalation path of its own).
    expect(holders(DECRYPT, G.groupBoundKey)).toEqual([
      [G.groupBoundServiceAccount, "allowed"],
      ["user:alice.nguyen@acme.example.com", "allowed"],
    ]);
  });
});
