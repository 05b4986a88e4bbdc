/**
 * A real PostgreSQL server for tests and benches, started from the distribution's binaries
 * (Debian's `postgresql` package: /usr/lib/postgresql/<version>/bin) on a temporary directory and
 * a free loopback port. The server refuses to run as root, so under root it runs as an
 * unprivileged system user the harness creates when missing. Trust authentication on loopback
 * only: nothing secret exists here to leak.
 *
 * Each test file starts its own server (a few seconds) and makes a fresh database per suite with
 * `createDatabase()`, so files never share rows. `stopServer()`/`startServer()` take the server
 * down and bring it back on the same port and data, for the failure tests.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/** The unprivileged account the server runs as when the tests run as root. */
const SERVER_USER = "wiamtest";
/** The database superuser initdb creates (trust auth, loopback only). */
const SUPERUSER = "wiam";

export interface PostgresServer {
  /** URL of the maintenance database `postgres`; use `createDatabase()` for test data. */
  readonly url: string;
  readonly port: number;
  /** Creates an empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server, keeping its data, to test an unreachable database. */
  stopServer(): void;
  /** Starts it again on the same port and data. */
  startServer(): void;
  /** Stops the server and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /**
   * Flush to disk on commit as a production server does. Off by default in tests: they check
   * behaviour, not crash durability, and fsync on a shared CI disk only makes them slow.
   * Benches turn it on so their numbers are a real server's.
   */
  readonly durable?: boolean;
}

/** The bin directory of the highest PostgreSQL version installed, or undefined. */
export function postgresBinDir(): string | undefined {
  const override = process.env.WIAM_POSTGRES_BIN;
  if (override !== undefined && override !== "") return existsSync(join(override, "initdb")) ? override : undefined;
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((entry) => /^\d+(\.\d+)?$/.test(entry) && existsSync(join(root, entry, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  const newest = versions[0];
  return newest === undefined ? undefined : join(root, newest, "bin");
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function runningAsRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

function ensureServerUser(): void {
  if (spawnSync("id", ["-u", SERVER_USER]).status === 0) return;
  const made = spawnSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER], { encoding: "utf8" });
  // Another test worker may have created it between the check and the add.
  if (made.status !== 0 && spawnSync("id", ["-u", SERVER_USER]).status !== 0) {
    throw new Error(`could not create the system user ${SERVER_USER} for PostgreSQL: ${made.stderr.trim()}`);
  }
}

function numericIds(user: string): { uid: number; gid: number } {
  const uid = Number(execFileSync("id", ["-u", user], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", user], { encoding: "utf8" }).trim());
  return { uid, gid };
}

/** Runs a PostgreSQL binary, as the unprivileged user when we are root. */
function runBinary(binDir: string, name: string, args: readonly string[]): void {
  const binary = join(binDir, name);
  const [command, fullArgs] = runningAsRoot() ? ["runuser", ["-u", SERVER_USER, "--", binary, ...args]] : [binary, [...args]];
  const run = spawnSync(command, fullArgs, { encoding: "utf8", timeout: 120_000 });
  if (run.status !== 0) {
    throw new Error(`${name} ${args.join(" ")} failed (exit ${String(run.status)}): ${run.stderr.trim() || run.stdout.trim()}`);
  }
}

/** Starts a fresh PostgreSQL server; call `stop()` in teardown. */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const binDir = postgresBinDir();
  if (binDir === undefined) {
    throw new Error("PostgreSQL is not installed: no /usr/lib/postgresql/<version>/bin/initdb (apt-get install -y postgresql, or set WIAM_POSTGRES_BIN)");
  }
  const root = mkdtempSync(join(tmpdir(), "wiam-pg-"));
  const dataDir = join(root, "data");
  const socketDir = join(root, "socket");
  mkdirSync(socketDir);
  if (runningAsRoot()) {
    ensureServerUser();
    const { uid, gid } = numericIds(SERVER_USER);
    chownSync(root, uid, gid);
    chownSync(socketDir, uid, gid);
  }
  runBinary(binDir, "initdb", ["-D", dataDir, "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"]);
  const port = await freePort();
  const settings = [
    `-p ${port}`,
    `-k ${socketDir}`,
    "-c listen_addresses=127.0.0.1",
    "-c max_connections=200",
    ...(options.durable === true ? [] : ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]),
  ].join(" ");
  const logFile = join(root, "server.log");
  let running = false;
  const startServer = (): void => {
    if (running) return;
    try {
      runBinary(binDir, "pg_ctl", ["-D", dataDir, "-o", settings, "-l", logFile, "-w", "-t", "60", "start"]);
    } catch (error) {
      const log = existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-2000) : "";
      throw new Error(`${(error as Error).message}\n${log}`, { cause: error });
    }
    running = true;
  };
  const stopServer = (): void => {
    if (!running) return;
    runBinary(binDir, "pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "-t", "60", "stop"]);
    running = false;
  };
  // A test run killed before teardown must not leave a server holding the port and directory.
  const stopAtExit = (): void => {
    if (!running) return;
    const binary = join(binDir, "pg_ctl");
    const args = ["-D", dataDir, "-m", "immediate", "stop"];
    if (runningAsRoot()) spawnSync("runuser", ["-u", SERVER_USER, "--", binary, ...args]);
    else spawnSync(binary, args);
    rmSync(root, { recursive: true, force: true });
  };
  process.once("exit", stopAtExit);
  startServer();

  const url = `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`;
  let databases = 0;
  return {
    url,
    port,
    async createDatabase(name?: string): Promise<string> {
      databases++;
      const database = name ?? `wiam_test_${databases}`;
      if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`database name ${database} is not a plain identifier`);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${database}`);
      } finally {
        await client.end();
      }
      return `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`;
    },
    stopServer,
    startServer,
    async stop(): Promise<void> {
      process.removeListener("exit", stopAtExit);
      try {
        stopServer();
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
