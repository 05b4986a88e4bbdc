/** The structures that make large estates fast and small must not change any answer. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { answerOrder, idOrderOf } from "../src/analysis/answer-order.js";
import { buildDemoEstate } from "../src/connectors/demo/index.js";
import { lazyConnector } from "../src/connectors/lazy.js";
import { emptySnapshot } from "../src/model/inventory.js";
import { CompactGrant, compactGrant } from "../src/model/compact-grant.js";
import { GrantTable } from "../src/model/grant-table.js";
import { Inventory } from "../src/model/inventory-index.js";
import { grantSchema, type Grant } from "../src/model/inventory.js";
import { shareRepeatedValues } from "../src/model/share-values.js";
import { propertyRuns } from "./support/property-runs.js";

function referenceOrder(group: number[], value: number[], ids: string[]): number[] {
  return group
    .map((_, k) => k)
    .sort((a, b) => (group[a] as number) - (group[b] as number) || (value[a] as number) - (value[b] as number) || ((ids[a] as string) < (ids[b] as string) ? -1 : (ids[a] as string) > (ids[b] as string) ? 1 : 0));
}

describe("answer order", () => {
  const entries = (values: fc.Arbitrary<number>) =>
    fc.uniqueArray(fc.record({ id: fc.string({ maxLength: 6 }), group: fc.integer({ min: 0, max: 3 }), value: values }), { selector: (e) => e.id, maxLength: 60 });

  const check = (list: { id: string; group: number; value: number }[]) => {
    const ids = list.map((e) => e.id);
    const order = answerOrder(
      Uint8Array.from(list.map((e) => e.group)),
      Float64Array.from(list.map((e) => e.value)),
      Int32Array.from(list.map((_, k) => k)),
      ids,
      () => idOrderOf(ids),
    );
    expect([...order]).toEqual(referenceOrder(list.map((e) => e.group), list.map((e) => e.value), ids));
  };

  it("sorts by group, value and id when the keys pack into one number", () => {
    fc.assert(fc.property(entries(fc.integer({ min: -5000, max: 5000 })), check), propertyRuns(100));
  });

  it("gives the same order through the comparator fallback (fractions, huge values)", () => {
    fc.assert(fc.property(entries(fc.oneof(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.constant(2 ** 40))), check), propertyRuns(100));
  });
});

describe("shared repeated values", () => {
  it("leaves the estate deep-equal while making equal evidence one object", () => {
    const estate = buildDemoEstate(new Date("2026-11-24T12:00:00Z"));
    const before = JSON.parse(JSON.stringify(estate));
    const shared = shareRepeatedValues(estate);
    expect(JSON.parse(JSON.stringify(shared))).toEqual(before);
    const evidence = new Set(shared.grants.map((g) => g.evidence));
    expect(evidence.size).toBeLessThan(shared.grants.length / 10);
  });
});

describe("lazy cloud connectors", () => {
  it("loads the connector (and its SDK) only when it first collects", async () => {
    let loads = 0;
    const connector = lazyConnector("aws", "AWS", async () => {
      loads++;
      return { id: "aws", description: "AWS", collect: async () => emptySnapshot("2026-11-24T00:00:00Z"), describeCredentialScope: (t: string) => `session for ${t}` };
    });
    expect(connector.describeCredentialScope?.("T-1")).toBe("aws: no session yet");
    connector.endTask?.("T-1");
    expect(loads).toBe(0);
    await connector.collect({ taskId: "T-1", now: new Date(), recordOperation: () => undefined });
    await connector.collect({ taskId: "T-1", now: new Date(), recordOperation: () => undefined });
    expect(loads).toBe(1);
    expect(connector.describeCredentialScope?.("T-1")).toBe("session for T-1");
  });
});

describe("compact grants", () => {
  const evidence = { source: "iam:GetAccountAuthorizationDetails", observedAt: "2026-11-24T00:00:00.000Z" };
  const role = "arn:aws:iam::111122223333:role/ci-deployer";
  const attachment = (principalId: string, policyId: string): Grant => ({ id: `${principalId}#attachment/${policyId}`, provider: "aws", kind: "attachment", principalId, policyId, evidence });
  const shapeOf = (grant: Grant) => (grant as unknown as { shape: unknown }).shape;

  it("reads back every id exactly, whatever its shape", () => {
    const plain: Grant[] = [
      attachment(role, "arn:aws:iam::aws:policy/ReadOnlyAccess"),
      // an inline policy's id is the grant's id: a field that contains another field
      { id: `${role}#inline/deploy`, provider: "aws", kind: "inline", principalId: role, policyId: `${role}#inline/deploy`, evidence },
      { id: "projects/p1#roles/viewer#serviceAccount:a@p1.iam.gserviceaccount.com#cond:3f2a", provider: "gcp", kind: "binding", principalId: "serviceAccount:a@p1.iam.gserviceaccount.com", policyId: "roles/viewer", resource: "projects/p1", conditions: [{ expression: "request.time < timestamp('2027-01-01T00:00:00Z')" }], evidence },
      { id: "/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/roleAssignments/9b2f0c4e-0000-4000-8000-00000000fa11", provider: "azure", kind: "role_assignment", principalId: "11111111-2222-3333-4444-555555555555", policyId: "/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6", resource: "/subscriptions/00000000-0000-0000-0000-000000000001", evidence },
      // the same value twice, and an id that names none of its fields
      { id: "x#x#y", provider: "gcp", kind: "binding", principalId: "x", policyId: "y", resource: "x", evidence },
      { id: "grant-42", provider: "gcp", kind: "binding", principalId: "user:a@example.com", policyId: "roles/owner", resource: "projects/p2", evidence },
    ];
    for (const grant of plain) {
      const compact = compactGrant({ ...grant });
      expect(compact).toBeInstanceOf(CompactGrant);
      expect(compact.id).toBe(grant.id);
      // Same JSON, key order included, as the plain grant of a parsed snapshot file.
      expect(JSON.stringify(compact)).toBe(JSON.stringify(grant));
      expect(grantSchema.parse(compact)).toEqual(grant);
    }
  });

  it("shares one id template among grants of the same shape, a unique last segment (a GUID) kept on its own", () => {
    const a = compactGrant(attachment(role, "arn:aws:iam::aws:policy/ReadOnlyAccess"));
    const b = compactGrant(attachment("arn:aws:iam::444455556666:user/build", "arn:aws:iam::444455556666:policy/deploy"));
    expect(shapeOf(a)).toBe(shapeOf(b));
    expect(shapeOf(a)).toMatchObject({ provider: "aws", kind: "attachment", evidence });
    const assignment = (scope: string, guid: string) =>
      compactGrant({ id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${guid}`, provider: "azure", kind: "role_assignment", principalId: "p", policyId: "r", resource: scope, evidence });
    const first = assignment("/subscriptions/s1", "9b2f0c4e-0000-4000-8000-00000000fa11");
    const second = assignment("/subscriptions/s2/resourceGroups/rg", "0c4e9b2f-0000-4000-8000-00000000fa12");
    expect(second.id).toBe("/subscriptions/s2/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments/0c4e9b2f-0000-4000-8000-00000000fa12");
    const tailed = (grant: Grant) => shapeOf(grant) as { shape: unknown; text: string };
    expect(tailed(first).shape).toBe(tailed(second).shape);
    expect(tailed(second).text).toBe("0c4e9b2f-0000-4000-8000-00000000fa12");
    // no short shape at all: kept as written
    const opaque = "urn:grant:" + "f".repeat(80);
    expect(shapeOf(compactGrant({ id: `${opaque}/x`, provider: "gcp", kind: "binding", principalId: "user:a@example.com", policyId: "roles/owner", resource: "projects/p", evidence }))).toMatchObject({ text: `${opaque}/x` });
    expect(compactGrant(a)).toBe(a);
  });

  it("keeps every UTF-16 unit of an id's own tail, lone surrogates included", () => {
    const id = "/subscriptions/s1/providers/Microsoft.Authorization/roleAssignments/abc\ud800defghijklmnop";
    expect(compactGrant({ id, provider: "azure", kind: "role_assignment", principalId: "p", policyId: "r", resource: "/subscriptions/s1", evidence }).id).toBe(id);
  });

  it("shares shapes between grants whose evidence is equal but not the same object, across many collections", () => {
    // Each collection has its own read time: fill the shape cache past its bound with them.
    for (let i = 0; i < 17_000; i++) {
      void compactGrant(attachment(`arn:aws:iam::111122223333:role/r${i}`, "arn:aws:iam::aws:policy/ReadOnlyAccess")).id;
      compactGrant({ ...attachment(role, "p"), evidence: { source: "iam:GetAccountAuthorizationDetails", observedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() } });
    }
    const later = { source: "cloudresourcemanager:projects.getIamPolicy", observedAt: "2026-11-25T00:00:00.000Z" };
    const binding = (member: string) =>
      compactGrant({ id: `projects/p#roles/viewer#${member}`, provider: "gcp", kind: "binding", principalId: member, policyId: "roles/viewer", resource: "projects/p", evidence: { ...later } });
    const first = binding("user:a@example.com");
    expect(shapeOf(binding("user:b@example.com"))).toBe(shapeOf(first));
    // With another shape in between, the second finds the first's shape in the (bounded) cache.
    compactGrant(attachment(role, "arn:aws:iam::aws:policy/ReadOnlyAccess"));
    expect(shapeOf(binding("user:c@example.com"))).toBe(shapeOf(first));
    expect(shapeOf(first)).toMatchObject({ evidence: later });
  });

  it("compacts the grants of a parsed snapshot, and the demo estate's connectors build compact grants", () => {
    const estate = buildDemoEstate(new Date("2026-11-24T12:00:00Z"));
    expect(estate.grants.every((g) => g instanceof CompactGrant)).toBe(true);
    const parsed = JSON.parse(JSON.stringify(estate));
    expect(parsed.grants[0]).not.toBeInstanceOf(CompactGrant);
    const shared = shareRepeatedValues(parsed);
    expect(shared.grants.every((g) => g instanceof CompactGrant)).toBe(true);
    expect(shared.grants.map((g) => g.id)).toEqual(estate.grants.map((g) => g.id));
  });
});

describe("grant table", () => {
  const evidence = { source: "cloudresourcemanager:projects.getIamPolicy", observedAt: "2026-11-24T00:00:00.000Z" };
  const plain: Grant[] = [
    { id: "projects/p1#roles/viewer#user:a@example.com", provider: "gcp", kind: "binding", principalId: "user:a@example.com", policyId: "roles/viewer", resource: "projects/p1", evidence },
    { id: "arn:aws:iam::111122223333:role/r#attachment/arn:aws:iam::aws:policy/ReadOnlyAccess", provider: "aws", kind: "attachment", principalId: "arn:aws:iam::111122223333:role/r", policyId: "arn:aws:iam::aws:policy/ReadOnlyAccess", evidence },
    { id: "projects/p1#roles/owner#user:b@example.com#cond:1a2b", provider: "gcp", kind: "binding", principalId: "user:b@example.com", policyId: "roles/owner", resource: "projects/p1", conditions: [{ expression: "request.time < timestamp('2027-01-01T00:00:00Z')" }], evidence },
    { id: "projects/p2#roles/viewer#user:a@example.com", provider: "gcp", kind: "binding", principalId: "user:a@example.com", policyId: "roles/viewer", resource: "projects/p2", evidence },
    // a principal id that is also another grant's resource: one string table, separate indexes
    { id: "g-5", provider: "gcp", kind: "binding", principalId: "projects/p2", policyId: "roles/viewer", resource: "user:a@example.com", evidence },
  ];
  const json = (grants: readonly (Grant | undefined)[]) => JSON.parse(JSON.stringify(grants));

  it("answers each index with the grants of that key, in collection order, as the plain grants read", () => {
    const table = new GrantTable(plain.map((g) => ({ ...g })));
    expect(table.length).toBe(5);
    expect(json(table.grantsOf("user:a@example.com"))).toEqual(json([plain[0], plain[3]]));
    expect(table.grantCountOf("user:a@example.com")).toBe(2);
    expect(json(table.grantsOfPolicy("roles/viewer"))).toEqual(json([plain[0], plain[3], plain[4]]));
    expect(json(table.grantsOn("projects/p1"))).toEqual(json([plain[0], plain[2]]));
    expect(json(table.grantsOn("user:a@example.com"))).toEqual(json([plain[4]]));
    expect(table.grantsOf("roles/viewer")).toEqual([]);
    expect(table.grantsOf("nobody")).toEqual([]);
    expect(table.grantCountOf("nobody")).toBe(0);
    expect(table.grantsOn("arn:aws:iam::111122223333:role/r")).toEqual([]);
    expect(json(table.toArray())).toEqual(json(plain));
    expect(table.at(2).conditions).toEqual(plain[2]?.conditions);
    expect(table.at(1).resource).toBeUndefined();
    expect(() => table.at(5)).toThrow(RangeError);
    expect(Object.fromEntries(table.countByProvider())).toEqual({ gcp: 4, aws: 1 });
    expect(Object.fromEntries(table.countByProvider(new Set(["user:a@example.com"])))).toEqual({ gcp: 2 });
    expect(table.rowsOfProvider("aws")).toEqual([1]);
    expect(table.someGrantOf("user:b@example.com", (shape, policy) => shape.kind === "binding" && policy === "roles/owner")).toBe(true);
    expect(table.someGrantOf("user:a@example.com", (_shape, policy) => policy === "roles/owner")).toBe(false);
  });

  it("an empty resource places a grant nowhere, as an absent one does, and still reads back", () => {
    const table = new GrantTable([{ id: "g", provider: "gcp", kind: "binding", principalId: "user:a@example.com", policyId: "roles/viewer", resource: "", evidence }]);
    expect(table.grantsOn("")).toEqual([]);
    expect(table.at(0).resource).toBe("");
  });

  it("an empty table answers every question with nothing", () => {
    const table = new GrantTable([]);
    expect(table.grantsOf("x")).toEqual([]);
    expect(table.grantsOn("x")).toEqual([]);
    expect(table.toArray()).toEqual([]);
    expect(table.countByProvider().size).toBe(0);
  });

  it("a loaded inventory reads its grants from the table, and its snapshot spells them out unchanged", () => {
    const estate = buildDemoEstate(new Date("2026-11-24T12:00:00Z"));
    const expected = json(estate.grants);
    const inventory = new Inventory(estate);
    expect(json(inventory.snapshot.grants)).toEqual(expected);
    const someone = expected[0].principalId as string;
    expect(json(inventory.grantsOf(someone))).toEqual(expected.filter((g: Grant) => g.principalId === someone));
    expect(JSON.parse(JSON.stringify(inventory.snapshot)).grants).toEqual(expected);
  });
});
