/**
 * Replicas on one PostgreSQL database must redact with one key: a replica started with another
 * `redaction.key` is refused before it serves, and starts once it has the shared key.
 */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDACTION_KEY_FILE } from "../redaction/index.js";
import type { HttpConfig } from "../src/config/http-schema.js";
import { parseConfig } from "../src/config/load.js";
import { runHost, type ServeHost } from "../src/server/host.js";
import { httpTransport } from "../src/transports/http.js";
import { freePort } from "./fixtures/authorization-server.js";
import { tempDataDir } from "./fixtures/mcp.js";
import { startPostgres, type PostgresServer } from "./support/postgres.js";

const DATABASE_ENV = "WIAM_TEST_SHARED_KEY_STATE_URL";

describe("replicas sharing PostgreSQL state share one redaction key", () => {
  let postgres: PostgresServer;
  const root = tempDataDir();
  const hosts: ServeHost[] = [];

  beforeAll(async () => {
    postgres = await startPostgres();
    process.env[DATABASE_ENV] = await postgres.createDatabase();
  }, 120_000);

  afterAll(async () => {
    for (const host of hosts) await host.shutdown();
    delete process.env[DATABASE_ENV];
    await postgres?.stop();
  });

  async function start(name: string, keyFrom?: string): Promise<ServeHost> {
    const dataDir = join(root, name);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (keyFrom !== undefined) copyFileSync(join(root, keyFrom, REDACTION_KEY_FILE), join(dataDir, REDACTION_KEY_FILE));
    const port = await freePort();
    const config = { state: { postgres: { url: { env: DATABASE_ENV } } }, http: { host: "127.0.0.1", port, auth: { type: "none" } } };
    const configPath = join(dataDir, "wiam.yaml");
    writeFileSync(configPath, JSON.stringify(config), { mode: 0o600 });
    const http = parseConfig(config, "(test)").http as HttpConfig;
    const host = await runHost({ globals: { config: configPath, dataDir, logLevel: "error" }, transport: () => httpTransport(http), exit: () => undefined });
    hosts.push(host);
    return host;
  }

  it("refuses a replica whose redaction.key differs from the first one's, and starts it with the shared key", async () => {
    await start("first");
    await expect(start("stray")).rejects.toThrow(
      "state.postgres: this replica's redaction.key differs from the key the other replicas sharing this database redact with, so its redaction markers would not match theirs; refusing to start",
    );
    const second = await start("second", "first");
    expect(second.app.state?.kind).toBe("postgres");
  }, 60_000);
});
