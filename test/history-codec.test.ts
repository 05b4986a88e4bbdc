import { describe, expect, it } from "vitest";
import { buildDemoEstate } from "../src/connectors/demo/index.js";
import {
  ENTITY_FIELDS,
  GRANT_FIELDS,
  SNAPSHOT_HEADER_FIELDS,
  SNAPSHOT_COLUMN_FIELDS,
  SNAPSHOT_JSON_FIELDS,
  StoredInventoryUnreadable,
  decodeInventory,
  encodeInventory,
} from "../src/history/columnar-codec.js";
import { GrantTable } from "../src/model/grant-table.js";
import { Inventory } from "../src/model/inventory-index.js";
import {
  collectionGapSchema,
  credentialSchema,
  grantSchema,
  inventorySnapshotSchema,
  policySchema,
  principalSchema,
  scopeSchema,
  trustEdgeSchema,
  vaultItemSchema,
  type InventorySnapshot,
} from "../src/model/inventory.js";

const NOW = new Date("2026-11-24T00:00:00Z");

/** The snapshot as plain JSON, the way an export writes it: what must survive storage unchanged. */
const plain = (snapshot: InventorySnapshot): unknown => JSON.parse(JSON.stringify(snapshot)) as unknown;

function roundTrip(snapshot: InventorySnapshot): Inventory {
  const decoded = decodeInventory(encodeInventory(snapshot));
  return new Inventory(decoded.snapshot, { grants: decoded.grants });
}

describe("columnar stored inventory", () => {
  it("gives back the demo estate exactly: every list, every field, every grant id", () => {
    const estate = buildDemoEstate(NOW);
    const expected = plain(new Inventory(buildDemoEstate(NOW)).snapshot);
    const restored = roundTrip(estate);
    expect(plain(restored.snapshot)).toStrictEqual(expected);
    expect(inventorySnapshotSchema.safeParse(plain(restored.snapshot)).success).toBe(true);
  });

  it("answers the index's questions from the loaded columns as from the collected estate", () => {
    const collected = new Inventory(buildDemoEstate(NOW));
    const restored = roundTrip(buildDemoEstate(NOW));
    for (const principal of collected.snapshot.principals) {
      expect(restored.grantsOf(principal.id).map((g) => g.id)).toStrictEqual(collected.grantsOf(principal.id).map((g) => g.id));
      expect(restored.credentialsOf(principal.id)).toStrictEqual(collected.credentialsOf(principal.id));
    }
  });

  it("spells grants' own id texts (Azure role assignment GUIDs) exactly, read on first use, in one table and in tables joined", () => {
    const estate = buildDemoEstate(NOW);
    const ownIds = estate.grants.filter((grant) => grant.kind === "role_assignment").map((grant) => grant.id);
    expect(ownIds.length).toBeGreaterThan(0);
    const decoded = decodeInventory(encodeInventory(estate));
    // Rows of a principal first (texts still unread), then every row in order, then joined after another table.
    const [firstId] = ownIds;
    const firstGrant = estate.grants.find((grant) => grant.id === firstId);
    expect(decoded.grants.grantsOf(firstGrant?.principalId ?? "").map((grant) => grant.id)).toContain(firstId);
    expect(decoded.grants.toArray().map((grant) => grant.id)).toStrictEqual(estate.grants.map((grant) => grant.id));
    const again = decodeInventory(encodeInventory(estate));
    const joined = GrantTable.concat([new GrantTable(estate.grants.slice(0, 3)), again.grants]);
    expect(joined.toArray().map((grant) => grant.id)).toStrictEqual([...estate.grants.slice(0, 3), ...estate.grants].map((grant) => grant.id));
  });

  it("carries every field of the inventory model (a new field fails here until the codec stores it)", () => {
    const keys = (schema: { shape: object }) => Object.keys(schema.shape).sort();
    expect(Object.keys(ENTITY_FIELDS.scopes).sort()).toStrictEqual(keys(scopeSchema));
    expect(Object.keys(ENTITY_FIELDS.principals).sort()).toStrictEqual(keys(principalSchema));
    expect(Object.keys(ENTITY_FIELDS.credentials).sort()).toStrictEqual(keys(credentialSchema));
    expect(Object.keys(ENTITY_FIELDS.vaultItems).sort()).toStrictEqual(keys(vaultItemSchema));
    expect(Object.keys(ENTITY_FIELDS.policies).sort()).toStrictEqual(keys(policySchema));
    expect(Object.keys(ENTITY_FIELDS.trustEdges).sort()).toStrictEqual(keys(trustEdgeSchema));
    expect(Object.keys(ENTITY_FIELDS.gaps).sort()).toStrictEqual(keys(collectionGapSchema));
    expect([...GRANT_FIELDS].sort()).toStrictEqual(keys(grantSchema));
    expect([...Object.keys(ENTITY_FIELDS), "grants", ...SNAPSHOT_HEADER_FIELDS, ...SNAPSHOT_JSON_FIELDS, ...SNAPSHOT_COLUMN_FIELDS].sort()).toStrictEqual(keys(inventorySnapshotSchema));
  });

  it("refuses to store an entity with a field it does not carry, naming the list and the field", () => {
    const estate = buildDemoEstate(NOW);
    (estate.principals[0] as unknown as Record<string, unknown>).riskScore = 7;
    expect(() => encodeInventory(estate)).toThrow('inventory principals field "riskScore" is not carried by the stored inventory');
  });

  it("detects any changed byte (checksum) and never decodes it", () => {
    const bytes = encodeInventory(buildDemoEstate(NOW));
    for (const at of [0, 12, Math.floor(bytes.length / 2), bytes.length - 40, bytes.length - 1]) {
      const damaged = Buffer.from(bytes);
      damaged[at] = (damaged[at] as number) ^ 0x01;
      expect(() => decodeInventory(damaged)).toThrow(StoredInventoryUnreadable);
    }
    expect(() => decodeInventory(bytes.subarray(0, bytes.length - 1))).toThrow("stored inventory unreadable: checksum mismatch");
    expect(() => decodeInventory(Buffer.from("not an inventory at all, just some text that is long enough to have a header"))).toThrow("stored inventory unreadable: not a columnar inventory");
  });

  it("keys the checksum: a copy written without the server's key (or with another) is refused like a damaged one", () => {
    const key = Buffer.alloc(32, 7);
    const keyed = encodeInventory(buildDemoEstate(NOW), undefined, key);
    expect(decodeInventory(keyed, key).snapshot.principals.length).toBeGreaterThan(0);
    expect(() => decodeInventory(keyed, Buffer.alloc(32, 8))).toThrow("stored inventory unreadable: checksum mismatch");
    // A well-formed copy with a plain SHA-256, as anyone able to write the store could make.
    expect(() => decodeInventory(encodeInventory(buildDemoEstate(NOW)), key)).toThrow("stored inventory unreadable: checksum mismatch");
  });

  it("joins per-source grant tables in columns: the same grants, ids and lookups as one table", () => {
    const estate = buildDemoEstate(NOW);
    const whole = new GrantTable(estate.grants);
    const providers = ["aws", "gcp", "azure"] as const;
    const joined = GrantTable.concat(providers.map((provider) => new GrantTable(estate.grants.filter((g) => g.provider === provider))));
    const byProvider = providers.flatMap((provider) => whole.toArray().filter((g) => g.provider === provider));
    expect(JSON.parse(JSON.stringify(joined.toArray()))).toStrictEqual(JSON.parse(JSON.stringify(byProvider)));
    for (const grant of estate.grants) {
      expect(joined.grantsOf(grant.principalId).map((g) => g.id).sort()).toStrictEqual(whole.grantsOf(grant.principalId).map((g) => g.id).sort());
    }
  });

  it("keeps absent optional values absent and lone surrogates intact", () => {
    const estate = buildDemoEstate(NOW);
    const odd = "odd-\uD800-name";
    const principal = estate.principals[0];
    if (!principal) throw new Error("demo estate has principals");
    principal.name = odd;
    delete principal.description;
    const restored = roundTrip(estate).principals.get(principal.id);
    expect(restored?.name).toBe(odd);
    expect(restored !== undefined && "description" in restored).toBe(false);
  });
});
