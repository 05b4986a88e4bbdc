/**
 * `wiam doctor` checks the stored inventory: each stored copy opens and verifies with the
 * configured key, a copy changed after it was written and a copy written under another key are
 * told apart, a copy older than two refresh intervals is stale, loose file modes are errors, and
 * history switched off says so. Copies are stored by a real app (createApp, SQLite) and checked
 * in place; the last test runs the real `wiam doctor` command.
 */
import { spawnSync } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp, inventorySourceOf } from "../src/app.js";
import { SIGNING_KEY_FILE, loadOrCreateSigningKey } from "../src/audit/signing.js";
import { parseConfig } from "../src/config/load.js";
import type { WiamConfig } from "../src/config/schema.js";
import type { Connector } from "../src/connectors/connector.js";
import type { Approver } from "../src/governance/governor.js";
import { storedCopyKeyId, storedInventoryKey } from "../src/history/copy-key.js";
import { storedInventoryChecks } from "../src/history/doctor.js";
import { INVENTORY_DB_FILE, copiesDirOf } from "../src/history/sqlite-snapshot-store.js";
import type { InventorySnapshot } from "../src/model/inventory.js";
import { evidence, principal, scope } from "./fixtures/small-estate.js";

const COLLECTED = "2026-06-01T00:00:00.000Z";
const HALF_AN_HOUR_LATER = new Date("2026-06-01T00:30:00.000Z");
const ACCOUNT = "aws:account/111111111111";
const caller = { sessionId: "s", clientName: "wiam-cli", clientVersion: null, caller: "admin", transport: "cli" as const };
const approve: Approver = async () => ({ outcome: "approved", approver: "reviewer", note: null });

function estate(generatedAt: string): InventorySnapshot {
  return {
    schemaVersion: 1,
    generatedAt,
    scopes: [scope(ACCOUNT, "account", "aws")],
    principals: [principal("arn:aws:iam::111111111111:role/deployer"), principal("arn:aws:iam::111111111111:role/reader")],
    credentials: [],
    vaultItems: [],
    policies: [],
    grants: [{ id: "g1", provider: "aws", kind: "attachment", principalId: "arn:aws:iam::111111111111:role/reader", policyId: "p1", evidence }],
    trustEdges: [],
  };
}

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "wiam-doctor-history-"));
  chmodSync(dataDir, 0o700);
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const historyConfig = (history: Record<string, unknown> = {}): WiamConfig =>
  parseConfig({ history: { enabled: true, refreshMinutes: 60, sensitive: { tags: {}, resources: [] }, ...history } }, "(test)");

function connectorFor(collectedAt: string): Connector {
  // Not local: only cloud sources are stored (the demo and snapshot files are read again instead).
  return { id: "aws", description: "a hand-made AWS estate", collect: async () => estate(collectedAt) };
}

/** `wiam collect` once per collection time given, each in a process of its own: every one stores a collection. */
async function storeCollections(config: WiamConfig, ...times: string[]): Promise<void> {
  for (const time of times) {
    const app = createApp({ config, dataDir, logLevel: "error", logWrite: () => undefined, now: () => new Date(time), connectors: [connectorFor(time)] });
    try {
      const answer = await app.pipeline.execute({ tool: "collect_inventory", arguments: { intent: "store the estate for the doctor test" }, caller, approve });
      if (answer.isError) throw new Error(answer.text);
    } finally {
      app.close();
    }
  }
}

function doctor(config: WiamConfig, now = HALF_AN_HOUR_LATER) {
  const sources = new Map([[inventorySourceOf(connectorFor(COLLECTED), config), "aws"]]);
  return storedInventoryChecks({ config, dataDir, sources, now });
}

const database = () => join(dataDir, INVENTORY_DB_FILE);
const copiesDir = () => copiesDirOf(database());
function copyFile(): string {
  const [name, ...others] = readdirSync(copiesDir());
  expect(others).toStrictEqual([]);
  return join(copiesDir(), name as string);
}

const COPY = "stored copy aws (collection 1)";
const healthyStore = () => [
  { level: "ok", check: "stored inventory", detail: `sqlite ${database()}, schema version 3: 1 stored copy` },
  { level: "ok", check: "stored inventory", detail: `database ${database()} mode 600` },
  { level: "ok", check: "stored inventory", detail: `copies directory ${copiesDir()} mode 700` },
];
const NOT_SERVED = "it is not served: the server collects aws afresh at its next load (or run wiam collect now)";
const RETENTION_OK = `1 collection in its history, the oldest collected ${COLLECTED}; none past retention (history.retentionDays: 90, history.keepCollections: 10)`;

describe("wiam doctor checks the stored inventory", () => {
  it("passes a healthy copy: opens, verifies with the configured key, fresh, private, within retention", async () => {
    const config = historyConfig();
    await storeCollections(config, COLLECTED);
    expect(await doctor(config)).toStrictEqual([
      ...healthyStore(),
      { level: "ok", check: COPY, detail: `opens, format known, checksum verified with the configured key: scope ${ACCOUNT}; 2 identities, 1 grant` },
      { level: "ok", check: COPY, detail: `collected ${COLLECTED}, 30 minutes ago; refreshed every 60 minutes` },
      { level: "ok", check: COPY, detail: `file ${copyFile()} mode 600` },
      { level: "ok", check: COPY, detail: RETENTION_OK },
    ]);
  });

  it("fails a copy with one byte changed after it was written, and says it is not served", async () => {
    const config = historyConfig();
    await storeCollections(config, COLLECTED);
    const bytes = readFileSync(copyFile());
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] as number) ^ 0x01;
    writeFileSync(copyFile(), bytes);
    const checks = await doctor(config);
    expect(checks.filter((c) => c.level !== "ok")).toStrictEqual([
      { level: "error", check: COPY, detail: `checksum mismatch with the configured key: the copy was changed or damaged after it was written; ${NOT_SERVED}` },
    ]);
  });

  it("fails a copy written under another key, naming both key ids, apart from a damaged one", async () => {
    const config = historyConfig();
    await storeCollections(config, COLLECTED);
    const writtenUnder = storedCopyKeyId(storedInventoryKey(config, dataDir));
    // The data directory's signing key replaced (deleted and made again): its copies' key changed.
    rmSync(join(dataDir, SIGNING_KEY_FILE));
    loadOrCreateSigningKey(join(dataDir, SIGNING_KEY_FILE));
    const configured = storedCopyKeyId(storedInventoryKey(config, dataDir));
    expect(configured).not.toBe(writtenUnder);
    const checks = await doctor(config);
    expect(checks.filter((c) => c.level !== "ok")).toStrictEqual([
      {
        level: "error",
        check: COPY,
        detail:
          `written under another checksum key (key id ${writtenUnder}; the configured key is ${configured}): state.checkpointKey or the data directory's ` +
          `audit-signing.key changed since, or replicas use different keys; ${NOT_SERVED}, or configure the key that wrote it`,
      },
    ]);
  });

  it("warns about a copy older than two refresh intervals, and about history past retention", async () => {
    await storeCollections(historyConfig(), "2026-05-20T00:00:00.000Z", COLLECTED);
    // Three hours after the last collection, with hourly refresh and a tighter retention than it was stored under.
    const config = historyConfig({ retentionDays: 7, keepCollections: 1 });
    const checks = await doctor(config, new Date("2026-06-01T03:00:00.000Z"));
    const copy = "stored copy aws (collection 2)";
    expect(checks.filter((c) => c.check === copy && c.level !== "ok")).toStrictEqual([
      {
        level: "warning",
        check: copy,
        detail:
          `collected ${COLLECTED}, 3 hours ago: stale, older than 2 refresh intervals (history.refreshMinutes: 60); ` +
          "is a server running with history on? Its log says why a refresh failed; wiam collect refreshes now",
      },
      {
        level: "warning",
        check: copy,
        detail:
          "2 collections in its history, the oldest collected 2026-05-20T00:00:00.000Z; 1 past retention (history.retentionDays: 7, history.keepCollections: 1), " +
          "dropped at the source's next stored collection: is it refreshed?",
      },
    ]);
  });

  it("fails copies and the database that other users can read", async () => {
    const config = historyConfig();
    await storeCollections(config, COLLECTED);
    chmodSync(copyFile(), 0o644);
    chmodSync(database(), 0o640);
    const checks = await doctor(config);
    expect(checks.filter((c) => c.level !== "ok")).toStrictEqual([
      { level: "error", check: "stored inventory", detail: `database ${database()} is open to other users (mode 640); chmod 600 it` },
      { level: "error", check: COPY, detail: `file ${copyFile()} is open to other users (mode 644); chmod 600 it` },
    ]);
  });

  it("says history is off, and that a store left from when it was on is not read", async () => {
    await storeCollections(historyConfig(), COLLECTED);
    expect(await doctor(parseConfig({}, "(test)"))).toStrictEqual([
      {
        level: "ok",
        check: "stored inventory",
        detail: `history is off (history.enabled: false): each process collects afresh and nothing is stored; ${database()} is left from when it was on and is not read`,
      },
    ]);
    rmSync(dataDir, { recursive: true, force: true });
    expect(await doctor(parseConfig({}, "(test)"))).toStrictEqual([
      { level: "ok", check: "stored inventory", detail: "history is off (history.enabled: false): each process collects afresh and nothing is stored" },
    ]);
  });

  it("fails an inventory.db that is not a database, and a PostgreSQL store that cannot be reached, without throwing", async () => {
    writeFileSync(database(), "this is not a SQLite database, it only has its name", { mode: 0o600 });
    const checks = await doctor(historyConfig());
    expect(checks.at(-1)).toStrictEqual({
      level: "error",
      check: "stored inventory",
      detail: `${database()} does not open: file is not a database; move it aside and the server starts a new one`,
    });

    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const pool = new pg.Pool({ connectionString: `postgres://wiam@127.0.0.1:${closed}/wiam`, connectionTimeoutMillis: 5_000 });
    try {
      const config = historyConfig();
      const onPostgres = { ...config, state: { ...config.state, postgres: { url: "postgres://wiam@127.0.0.1/wiam", tls: {}, poolSize: 1, connectTimeoutMs: 5_000, lockTimeoutMs: 5_000, statementTimeoutMs: 5_000 } } };
      expect(await storedInventoryChecks({ config: onPostgres, dataDir, sources: new Map(), now: HALF_AN_HOUR_LATER, postgres: { pool } })).toStrictEqual([
        { level: "error", check: "stored inventory", detail: "PostgreSQL (state.postgres) could not be read: the PostgreSQL server is unreachable (ECONNREFUSED)" },
      ]);
    } finally {
      await pool.end();
    }
  });

  it("prints the stored copy's lines in wiam doctor, and an error line once the copy is damaged", async () => {
    const CLI = new URL("../dist/src/cli/main.js", import.meta.url).pathname;
    const settings = { history: { enabled: true }, providers: { aws: { accounts: [{ id: "111111111111", roleArn: "arn:aws:iam::111111111111:role/wiam-reader" }] } } };
    const configFile = join(dataDir, "wiam.yaml");
    writeFileSync(configFile, JSON.stringify(settings), { mode: 0o600 });
    // The copy stored under the same settings as the command reads, so its source is the configured one.
    await storeCollections(parseConfig(settings, "(test)"), new Date().toISOString());
    const env = { PATH: process.env.PATH ?? "", HOME: dataDir, WIAM_DATA_DIR: dataDir, AWS_EC2_METADATA_DISABLED: "true" };
    const doctorOutput = () => spawnSync(process.execPath, [CLI, "--config", configFile, "doctor"], { encoding: "utf8", input: "", env, timeout: 60_000 }).stdout;
    const healthy = doctorOutput();
    expect(healthy).toContain(`OK      ${COPY}: opens, format known, checksum verified with the configured key: scope ${ACCOUNT}; 2 identities, 1 grant\n`);
    expect(healthy).toMatch(/^OK {6}stored copy aws \(collection 1\): collected .+, \d+ minutes? ago; refreshed every 60 minutes$/m);
    const bytes = readFileSync(copyFile());
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
    writeFileSync(copyFile(), bytes);
    expect(doctorOutput()).toContain(`ERROR   ${COPY}: checksum mismatch with the configured key: the copy was changed or damaged after it was written; ${NOT_SERVED}\n`);
  }, 120_000);
});
