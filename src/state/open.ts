/**
 * Opens the state store the configuration names: PostgreSQL when `state.postgres` is set, else
 * the embedded SQLite files in the data directory.
 */
import { join } from "node:path";
import type { Redactor } from "../../redaction/types.js";
import { recordRedaction } from "../audit/record-redaction.js";
import { AUDIT_DB_FILE, AuditStore } from "../audit/store.js";
import type { WiamConfig } from "../config/schema.js";
import { PostgresStateStore } from "./postgres/store.js";
import { SqliteStateStore } from "./sqlite/store.js";
import type { StateStore } from "./state-store.js";

export interface OpenStateStoreOptions {
  config: WiamConfig;
  dataDir: string;
  redactor: Redactor;
  now?: (() => Date) | undefined;
  /** SQLite: milliseconds to wait for another process's lock on the audit database. */
  auditBusyTimeoutMs?: number | undefined;
  warn?: ((message: string) => void) | undefined;
  env?: NodeJS.ProcessEnv | undefined;
}

/** The audit options both stores share: what a response keeps, retention, and the redaction guards. */
function auditOptionsOf(options: OpenStateStoreOptions) {
  return {
    responseBody: options.config.audit.responseBody,
    retentionDays: options.config.audit.retentionDays,
    redactText: (text: string) => options.redactor.redactText(text).value,
    redactRecord: recordRedaction(options.redactor),
    ...(options.now === undefined ? {} : { now: options.now }),
  };
}

/** The embedded store, synchronously (createApp's default when no shared store is configured). */
export function openSqliteStateStore(options: OpenStateStoreOptions): SqliteStateStore {
  const store = AuditStore.open(join(options.dataDir, AUDIT_DB_FILE), {
    ...auditOptionsOf(options),
    ...(options.auditBusyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.auditBusyTimeoutMs }),
  });
  return new SqliteStateStore(store, options.dataDir);
}

export async function openStateStore(options: OpenStateStoreOptions): Promise<StateStore> {
  const postgres = options.config.state.postgres;
  if (postgres === undefined) return openSqliteStateStore(options);
  return PostgresStateStore.open({
    config: postgres,
    audit: auditOptionsOf(options),
    ...(options.warn === undefined ? {} : { warn: options.warn }),
    ...(options.env === undefined ? {} : { env: options.env }),
  });
}
