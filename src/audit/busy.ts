/**
 * A database locked by another process for longer than the busy timeout. A call cannot run
 * without its acceptance on record, so it is refused with this error (a clear tool error, not a
 * raw "database is locked"), and the refusal itself is written as soon as the log is free again.
 */

export class AuditLogBusyError extends Error {
  /** `outcome`: what happened instead, when this is not a refused call (e.g. "nothing was pruned"). */
  constructor(
    readonly busyTimeoutMs: number,
    outcome = "the call was refused before it ran (nothing runs unaudited) and the refusal will be recorded once the log is free",
  ) {
    super(`the audit log is locked by another process and stayed locked for ${Math.round(busyTimeoutMs / 1000)} s; ${outcome}. Try again shortly`);
    this.name = "AuditLogBusyError";
  }
}

/** SQLite's "busy" and "locked" result codes, including extended ones (SQLITE_BUSY_SNAPSHOT, ...). */
export function isDatabaseBusy(error: unknown): boolean {
  if (typeof error !== "object" || error === null || !("code" in error)) return false;
  const code = (error as { code: unknown }).code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}
