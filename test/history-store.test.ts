/**
 * The InventorySnapshotStore contract, run the same on SQLite and on a real PostgreSQL server:
 * a collection and its full copy are stored together, the latest copy comes back byte for byte
 * (in chunks larger than one), a write computed against another collection than the latest is
 * refused, and retention drops old deltas but never a source's latest ones.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresSnapshotStore } from "../src/history/postgres-snapshot-store.js";
import { BLOB_CHUNK_BYTES, CollectionConflict, type InventorySnapshotStore, type NewCollection } from "../src/history/snapshot-store.js";
import { SqliteSnapshotStore, copiesDirOf } from "../src/history/sqlite-snapshot-store.js";
import { migratePostgres } from "../src/state/migrations.js";
import { startPostgres, type PostgresServer } from "./support/postgres.js";

function collection(source: string, day: number, baseId: string | null, blob = Buffer.from(`copy of ${source} on day ${day}`)): NewCollection {
  const at = `2026-06-${String(day).padStart(2, "0")}T00:00:00.000Z`;
  return {
    source,
    collectedAt: at,
    storedAt: at,
    counts: { principals: day },
    blob,
    reach: Buffer.from("[]"),
    delta: baseId === null ? null : Buffer.from(`changes of day ${day}`),
    baseId,
  };
}

function contract(name: string, open: () => Promise<InventorySnapshotStore>): void {
  describe(`${name} inventory store`, () => {
    it("stores a collection with its full copy, and gives back the latest copy byte for byte", async () => {
      const store = await open();
      try {
        expect(await store.latest("aws@a")).toBeNull();
        const first = await store.put(collection("aws@a", 1, null));
        expect(first).toStrictEqual({ id: first.id, source: "aws@a", collectedAt: "2026-06-01T00:00:00.000Z", storedAt: "2026-06-01T00:00:00.000Z", baseId: null, counts: { principals: 1 } });
        // Larger than one chunk, with every byte value.
        const big = Buffer.alloc(BLOB_CHUNK_BYTES + 1234);
        for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
        const second = await store.put(collection("aws@a", 2, first.id, big));
        await store.put(collection("gcp@b", 2, null));
        const latest = await store.latest("aws@a");
        expect(latest?.collection).toStrictEqual(second);
        expect(latest?.blob.equals(big)).toBe(true);
        expect((await store.latest("gcp@b"))?.blob.toString()).toBe("copy of gcp@b on day 2");
        expect((await store.collections({ source: "aws@a" })).map((c) => c.id)).toStrictEqual([first.id, second.id]);
        expect((await store.collections({ collectedAfter: "2026-06-01T12:00:00.000Z" })).map((c) => c.source)).toStrictEqual(["aws@a", "gcp@b"]);
        expect((await store.collections({ afterId: second.id })).map((c) => c.source)).toStrictEqual(["gcp@b"]);
        expect(await store.collection(second.id)).toStrictEqual(second);
        expect(await store.collection("not-a-number")).toBeNull();
        const deltas = await store.deltas([first.id, second.id]);
        expect([...deltas.keys()]).toStrictEqual([second.id]);
        expect(deltas.get(second.id)?.toString()).toBe("changes of day 2");
      } finally {
        await store.close();
      }
    });

    it("refuses a collection computed against another than the latest, and stores nothing of it", async () => {
      const store = await open();
      try {
        const first = await store.put(collection("aws@c", 1, null));
        await store.put(collection("aws@c", 2, first.id));
        const late = store.put(collection("aws@c", 3, first.id));
        await expect(late).rejects.toBeInstanceOf(CollectionConflict);
        await expect(store.put(collection("aws@c", 3, null))).rejects.toThrow(/^collection of aws@c: computed against nothing, but the latest stored is \d+$/);
        expect((await store.collections({ source: "aws@c" })).length).toBe(2);
        expect((await store.latest("aws@c"))?.blob.toString()).toBe("copy of aws@c on day 2");
      } finally {
        await store.close();
      }
    });

    it("forgets a dropped copy, and retention keeps each source's latest collections", async () => {
      const store = await open();
      try {
        let base: string | null = null;
        const ids: string[] = [];
        for (let day = 1; day <= 5; day++) {
          const stored = await store.put(collection("azure@d", day, base));
          ids.push(stored.id);
          base = stored.id;
        }
        // Older than day 4, but the latest two of the source stay.
        expect(await store.prune({ collectedBefore: "2026-06-04T00:00:00.000Z", keepPerSource: 2 })).toBe(3);
        expect((await store.collections({ source: "azure@d" })).map((c) => c.id)).toStrictEqual(ids.slice(3));
        // Nothing is older than everything kept: a second prune drops nothing.
        expect(await store.prune({ collectedBefore: "2027-01-01T00:00:00.000Z", keepPerSource: 2 })).toBe(0);
        await store.dropLatest("azure@d");
        expect(await store.latest("azure@d")).toBeNull();
      } finally {
        await store.close();
      }
    });

    it("lists each source's latest copy with the id of the key it was written under (null before key ids)", async () => {
      const store = await open();
      try {
        const first = await store.put({ ...collection("aws@k", 1, null), keyId: "0123456789abcdef" });
        const second = await store.put({ ...collection("aws@k", 2, first.id), keyId: "fedcba9876543210" });
        const other = await store.put(collection("gcp@k", 1, null));
        const copies = (await store.copies()).filter((copy) => copy.collection.source.endsWith("@k"));
        expect(copies.map((copy) => [copy.collection, copy.keyId])).toStrictEqual([
          [second, "fedcba9876543210"],
          [other, null],
        ]);
        expect(copies.every((copy) => (store.kind === "sqlite" ? copy.file !== null && existsSync(copy.file) : copy.file === null))).toBe(true);
      } finally {
        await store.close();
      }
    });
  });
}

let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), "wiam-history-store-"));
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});
let sqliteCount = 0;
contract("SQLite", async () => SqliteSnapshotStore.open({ path: join(dataDir, `inventory-${++sqliteCount}.db`) }));

describe("SQLite full copies", () => {
  it("are files beside the database, mode 0600: one per source, the replaced one removed, none after a drop", async () => {
    const path = join(mkdtempSync(join(dataDir, "files-")), "inventory.db");
    const store = SqliteSnapshotStore.open({ path });
    try {
      const copies = () => (existsSync(copiesDirOf(path)) ? readdirSync(copiesDirOf(path)) : []);
      const first = await store.put(collection("aws@f", 1, null));
      await store.put(collection("aws@f", 2, first.id));
      expect(copies()).toHaveLength(1);
      expect(statSync(join(copiesDirOf(path), copies()[0] ?? "")).mode & 0o777).toBe(0o600);
      expect((await store.latest("aws@f"))?.blob.toString()).toBe("copy of aws@f on day 2");
      // A refused write leaves no file behind.
      await expect(store.put(collection("aws@f", 3, first.id))).rejects.toBeInstanceOf(CollectionConflict);
      expect(copies()).toHaveLength(1);
      await store.dropLatest("aws@f");
      expect(copies()).toStrictEqual([]);
    } finally {
      await store.close();
    }
  });
});

let server: PostgresServer | undefined;
const pools: pg.Pool[] = [];
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => {
  for (const pool of pools) await pool.end();
  await server?.stop();
});
contract("PostgreSQL", async () => {
  const pool = new pg.Pool({ connectionString: await (server as PostgresServer).createDatabase() });
  pools.push(pool);
  return PostgresSnapshotStore.open(pool, async (component, migrations) => void (await migratePostgres(pool, component, migrations)));
});
