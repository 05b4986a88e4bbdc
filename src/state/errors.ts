/**
 * The shared state store cannot be reached, is read-only, or kept a lock too long. A call cannot
 * run without its acceptance on record, so the pipeline refuses it with this message as a tool
 * error (never a raw JSON-RPC -32603), and `/readyz` reports not ready until the store answers.
 * The message names what failed and what the caller can do; never the URL or a credential.
 */
import { UserFacingError } from "../errors.js";

export class StateUnavailableError extends UserFacingError {
  constructor(
    /** What could not be done, e.g. "the audit log could not record the call". */
    readonly what: string,
    /** Why, in words a reader can act on (connection refused, read-only, lock wait too long). */
    readonly why: string,
    outcome = "the call was refused before it ran (nothing runs unaudited)",
  ) {
    super("provider_unavailable", `${what}: ${why}; ${outcome}. Try again shortly`);
    this.name = "StateUnavailableError";
  }
}

/** The part of a PostgreSQL error worth showing: its class in words, never connection details. */
export function describePostgresFailure(error: unknown): string {
  const code = typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : "";
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EHOSTUNREACH" || code === "ETIMEDOUT" || code === "ECONNRESET" || code === "EPIPE") {
    return `the PostgreSQL server is unreachable (${code})`;
  }
  if (code === "25006") return "the PostgreSQL database is read-only (a standby, or default_transaction_read_only is on)";
  if (code === "55P03") return "a lock on the shared state was held too long by another replica (lock_timeout)";
  if (code === "57014") return "a statement on the shared state ran too long and was cancelled (statement_timeout)";
  if (code === "57P01" || code === "57P02" || code === "57P03") return "the PostgreSQL server is shutting down or starting up";
  if (code.startsWith("08")) return `the connection to the PostgreSQL server failed (${code})`;
  if (code === "53300") return "the PostgreSQL server has no connection slots left";
  const message = error instanceof Error ? error.message : String(error);
  if (/timeout exceeded when trying to connect|Connection terminated/i.test(message)) return "the PostgreSQL server did not answer in time";
  return `the PostgreSQL server refused the operation${code === "" ? "" : ` (SQLSTATE ${code})`}`;
}

/** True when the failure is the database being away or refusing writes, not a bug in our SQL. */
export function isPostgresUnavailable(error: unknown): boolean {
  const code = typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : "";
  if (["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ETIMEDOUT", "ECONNRESET", "EPIPE", "25006", "55P03", "57014", "53300"].includes(code)) return true;
  if (code.startsWith("08") || code.startsWith("57P")) return true;
  const message = error instanceof Error ? error.message : String(error);
  return /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error|connection is closed/i.test(message);
}
