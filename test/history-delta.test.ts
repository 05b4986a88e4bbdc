/**
 * Deltas and what_changed on the demo estate, changed the way an estate changes between two
 * collections: exact answers for a new identity with a new way into a sensitive secret, a changed
 * expiry date, a removed trust edge, and a delta that survives its stored (compressed) form.
 */
import { describe, expect, it } from "vitest";
import { describeChanges } from "../src/analysis/what-changed.js";
import { DEMO_ANCHORS, buildDemoEstate } from "../src/connectors/demo/index.js";
import { decodeDelta, diffCollections, encodeDelta } from "../src/history/collection-delta.js";
import type { RecordedChange } from "../src/history/inventory-history.js";
import { sensitiveReach, type SensitiveSettings } from "../src/history/sensitive-reach.js";
import { GrantTable } from "../src/model/grant-table.js";
import { Inventory } from "../src/model/inventory-index.js";
import type { InventorySnapshot } from "../src/model/inventory.js";

const NOW = new Date("2026-11-24T00:00:00Z");
const LATER = "2026-11-25T00:00:00.000Z";
const { azure } = DEMO_ANCHORS;
const SECRET = azure.secretExpiringSoon;
const settings: SensitiveSettings = { tags: {}, resources: [SECRET], action: "*", maxResources: 10, maxPathsPerResource: 500 };
const NEW_IDENTITY = "0f1e2d3c-4b5a-4968-8776-655443322110";
const SUBSCRIPTION = "/subscriptions/5d8e2f10-3a4b-4c5d-9e6f-7a8b9c0d1e2f";
const NEW_GRANT = `${azure.rbacVault}/providers/Microsoft.Authorization/roleAssignments/9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d`;

const columns = (snapshot: InventorySnapshot) => ({ snapshot: { ...snapshot, grants: [] }, grants: new GrantTable(snapshot.grants) });

/** The next day's estate: one new managed identity reading the secret, the secret's expiry moved, one trust edge gone. */
function nextDay(): { estate: InventorySnapshot; removedEdge: string } {
  const estate = buildDemoEstate(NOW);
  estate.generatedAt = LATER;
  const evidence = { source: "arm:roleAssignments.list", observedAt: LATER };
  estate.principals.push({ id: NEW_IDENTITY, provider: "azure", kind: "managed_identity", workload: true, name: "mi-payments-batch", scopeId: SUBSCRIPTION, evidence });
  estate.grants.push({ id: NEW_GRANT, provider: "azure", kind: "role_assignment", principalId: NEW_IDENTITY, policyId: azure.keyVaultSecretsUser, resource: azure.rbacVault, evidence });
  const secret = estate.vaultItems.find((item) => item.id === SECRET);
  if (!secret) throw new Error("demo estate has the expiring secret");
  const oldExpiry = secret.expiresAt;
  secret.expiresAt = "2027-11-25T00:00:00.000Z";
  const edge = estate.trustEdges.find((e) => e.provider === "aws");
  if (!edge || !oldExpiry) throw new Error("demo estate has an AWS trust edge and the secret an expiry");
  estate.trustEdges = estate.trustEdges.filter((e) => e !== edge);
  return { estate, removedEdge: edge.id };
}

function recorded(collectionId: string, collectedAt: string, changes: ReturnType<typeof diffCollections>["changes"]): RecordedChange[] {
  return changes.map((change) => ({ ...change, collectionId, collectedAt, source: "demo@test" }));
}

describe("deltas between two collections", () => {
  const before = buildDemoEstate(NOW);
  const { estate: after, removedEdge } = nextDay();
  const beforeInventory = new Inventory(buildDemoEstate(NOW));
  const afterInventory = new Inventory(nextDay().estate);
  const reach = { before: sensitiveReach(beforeInventory, settings), after: sensitiveReach(afterInventory, settings) };

  it("finds the new way into the sensitive secret by reverse reachability", () => {
    const gained = reach.after.filter((r) => !reach.before.some((b) => b.principal === r.principal && b.resource === r.resource));
    expect(gained).toStrictEqual([{ resource: SECRET, principal: NEW_IDENTITY, provider: "azure", via: "direct", hops: 0 }]);
    expect(reach.before.length).toBeGreaterThan(0);
  });

  it("names exactly what changed, and nothing that was only read again", () => {
    const delta = decodeDelta(encodeDelta(diffCollections(columns(before), columns(after), reach)), "2");
    const rows = describeChanges(recorded("2", LATER, delta.changes), afterInventory, {});
    expect(rows.map((r) => [r.change, r.id, r.principal, r.before, r.after])).toStrictEqual([
      ["identity_added", NEW_IDENTITY, NEW_IDENTITY, null, null],
      ["expiry_changed", SECRET, null, before.vaultItems.find((i) => i.id === SECRET)?.expiresAt ?? "", "2027-11-25T00:00:00.000Z"],
      ["grant_added", NEW_GRANT, NEW_IDENTITY, null, azure.keyVaultSecretsUser],
      ["trust_edge_removed", removedEdge, before.trustEdges.find((e) => e.id === removedEdge)?.to ?? "", null, null],
      ["path_added", SECRET, NEW_IDENTITY, null, null],
    ]);
    expect(rows.every((r) => r.collectionId === "2" && r.collectedAt === LATER)).toBe(true);
    expect(rows.find((r) => r.change === "path_added")?.note).toBe("direct (0 hop(s))");
  });

  it("filters by provider, scope, principal and kind", () => {
    const changes = recorded("2", LATER, diffCollections(columns(before), columns(after), reach).changes);
    const ids = (filter: Parameters<typeof describeChanges>[2]) => describeChanges(changes, afterInventory, filter).map((r) => r.change);
    expect(ids({ provider: "aws" })).toStrictEqual(["trust_edge_removed"]);
    expect(ids({ principal: NEW_IDENTITY })).toStrictEqual(["identity_added", "grant_added", "path_added"]);
    expect(ids({ scope: azure.rbacVault })).toStrictEqual(["expiry_changed", "grant_added", "path_added"]);
    expect(ids({ kinds: ["path_added", "path_lost"] })).toStrictEqual(["path_added"]);
  });

  it("records nothing between two collections of the same estate taken at different times", () => {
    const again = buildDemoEstate(NOW);
    again.generatedAt = LATER;
    for (const principal of again.principals) principal.evidence = { ...principal.evidence, observedAt: LATER };
    expect(diffCollections(columns(before), columns(again)).changes).toStrictEqual([]);
  });
});
