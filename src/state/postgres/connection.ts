/**
 * The PostgreSQL connection pool from `state.postgres`: the URL read from where the config points
 * (an environment variable or a file; a literal only without a password), TLS as configured, and
 * the timeouts that make a call fail closed instead of hanging when the database is away.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type pg from "pg";
import type { PostgresConfig, SecretReference } from "../../config/state-schema.js";
import { urlHasPassword } from "../../config/state-schema.js";
import { UserFacingError } from "../../errors.js";

/** URL parameters that would override the `tls` setting: the config decides TLS, in one place. */
const TLS_URL_PARAMETERS = ["sslmode", "ssl", "sslcert", "sslkey", "sslrootcert", "sslcrl", "sslpassword", "sslnegotiation"];

/** Reads a secret reference; errors name the config field, never the value. */
export function readSecretReference(reference: SecretReference, field: string, env: NodeJS.ProcessEnv = process.env): string {
  if ("env" in reference) {
    const value = env[reference.env];
    if (value === undefined || value.trim() === "") {
      throw new UserFacingError("config_invalid", `${field}: environment variable ${reference.env} is not set or empty`);
    }
    return value.trim();
  }
  let text: string;
  try {
    text = readFileSync(reference.file, "utf8");
  } catch (error) {
    const code = typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : "unreadable";
    throw new UserFacingError("config_invalid", `${field}: cannot read ${reference.file} (${code})`);
  }
  if (text.trim() === "") throw new UserFacingError("config_invalid", `${field}: ${reference.file} is empty`);
  return text.trim();
}

/** The connection URL, from the literal or the reference, without TLS parameters. */
export function resolvePostgresUrl(config: PostgresConfig, env: NodeJS.ProcessEnv = process.env): string {
  const text = typeof config.url === "string" ? config.url : readSecretReference(config.url, "state.postgres.url", env);
  if (typeof config.url === "string" && urlHasPassword(text)) {
    // The schema refuses this already; kept here so a config built in code cannot slip one in.
    throw new UserFacingError("config_invalid", "state.postgres.url: holds a password; pass the URL as { env: NAME } or { file: PATH }");
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserFacingError("config_invalid", "state.postgres.url: the value read is not a URL (expected postgres://user@host:port/database)");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new UserFacingError("config_invalid", `state.postgres.url: the value read is a ${url.protocol.replace(/:$/, "")} URL, not postgres://`);
  }
  for (const parameter of TLS_URL_PARAMETERS) url.searchParams.delete(parameter);
  return url.toString();
}

/** A loopback address (an IP literal, never a name that merely starts with "127."), localhost, or a unix socket. */
export function isLoopbackHost(url: string): boolean {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  // A unix socket (`?host=/path`) is local too; the URL still needs a host name (localhost) to parse.
  if (host === "localhost" || parsed.searchParams.get("host")?.startsWith("/") === true) return true;
  const version = isIP(host);
  return (version === 4 && host.startsWith("127.")) || (version === 6 && host === "::1");
}

function tlsOptionsOf(config: PostgresConfig, url: string): pg.ClientConfig["ssl"] {
  const mode = config.tls.mode ?? (isLoopbackHost(url) ? "disable" : "verify-full");
  if (mode === "disable") return false;
  const read = (path: string | undefined, field: string): string | undefined => (path === undefined ? undefined : readSecretReference({ file: path }, `state.postgres.tls.${field}`));
  const files = {
    ...(config.tls.caFile === undefined ? {} : { ca: read(config.tls.caFile, "caFile") }),
    ...(config.tls.certFile === undefined ? {} : { cert: read(config.tls.certFile, "certFile") }),
    ...(config.tls.keyFile === undefined ? {} : { key: read(config.tls.keyFile, "keyFile") }),
  };
  return { rejectUnauthorized: mode === "verify-full", ...files };
}

/**
 * BIGINT columns (audit sequence numbers, counters) read as numbers rather than strings: exact up
 * to 2^53, far beyond any count kept here. Only this pool's clients parse so.
 */
function integerTypes(driver: typeof pg): pg.CustomTypesConfig {
  const types = new driver.TypeOverrides();
  types.setTypeParser(driver.types.builtins.INT8, (text: string) => Number(text));
  return types;
}

/**
 * The pool every part of the PostgreSQL store shares. `onIdleError` hears about dropped idle connections.
 * The driver is loaded here, on first use, so a server on the embedded SQLite store never holds it.
 */
export async function createPostgresPool(config: PostgresConfig, onIdleError: (error: Error) => void, env: NodeJS.ProcessEnv = process.env): Promise<pg.Pool> {
  const connectionString = resolvePostgresUrl(config, env);
  const { default: driver } = await import("pg");
  const pool = new driver.Pool({
    connectionString,
    ssl: tlsOptionsOf(config, connectionString),
    max: config.poolSize,
    connectionTimeoutMillis: config.connectTimeoutMs,
    lock_timeout: config.lockTimeoutMs,
    statement_timeout: config.statementTimeoutMs,
    // A replica that dies inside a transaction must not hold the audit head for longer than this.
    idle_in_transaction_session_timeout: Math.max(config.statementTimeoutMs, config.lockTimeoutMs) * 2,
    application_name: "workload-iam-mcp",
    types: integerTypes(driver),
  });
  // Without a listener an idle connection the server drops (restart, failover) crashes the process.
  pool.on("error", onIdleError);
  return pool;
}

/** A client taken from the pool for a transaction, and how to give it back. */
export interface CheckedOutClient {
  client: pg.PoolClient;
  /** Returns it; a client whose connection failed is destroyed rather than reused. */
  release(failed?: boolean): void;
}

/**
 * Takes a client for several statements. A connection that drops while the client is checked out
 * makes it emit "error"; the pool listens only to idle clients, so without a listener here that
 * event would crash the process. The statement in flight fails with it anyway, and the client is
 * then destroyed on release.
 */
export async function checkOut(pool: pg.Pool): Promise<CheckedOutClient> {
  const client = await pool.connect();
  let dropped = false;
  const onError = (): void => {
    dropped = true;
  };
  client.on("error", onError);
  return {
    client,
    release(failed = false): void {
      client.off("error", onError);
      client.release(failed || dropped ? true : undefined);
    },
  };
}
