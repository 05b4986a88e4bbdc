/**
 * Replicas sharing one PostgreSQL state must redact with the same `redaction.key`: a redaction
 * marker's fingerprint is an HMAC under that key, and analysts follow one secret across answers
 * and audit records by it. A replica with another key would write markers that match nothing the
 * others wrote, silently. So the first process records an HMAC of a fixed probe under its key, and
 * one whose key gives another refuses to start. The probe depends on the key alone (not on the
 * redaction settings), and an HMAC of public text tells keys apart without revealing them.
 * After rotating the key on every replica, delete the row (`DELETE FROM wiam_shared_keys WHERE
 * name = 'redaction'`); the next process to start records the new key's.
 */
import { createHmac } from "node:crypto";
import { UserFacingError } from "../errors.js";
import type { StateTables } from "./state-store.js";

const PROBE = "workload-iam-mcp replica redaction key probe v1";

const MIGRATIONS = [
  {
    version: 1,
    description: "an HMAC of a fixed probe under the replicas' shared redaction key",
    sql: "CREATE TABLE wiam_shared_keys (name TEXT PRIMARY KEY, marker TEXT NOT NULL, recorded_at TIMESTAMPTZ NOT NULL DEFAULT now())",
  },
];

/** What this process's key gives the probe (16 hex digits). */
export function redactionKeyMarker(key: Uint8Array): string {
  return createHmac("sha256", key).update(PROBE, "utf8").digest("hex").slice(0, 16);
}

/** Records this key's marker if none is, and refuses a key that differs from the recorded one. */
export async function checkSharedRedactionKey(tables: StateTables, key: Uint8Array): Promise<void> {
  if (tables.kind !== "postgres") return;
  await tables.migrate("shared-keys", MIGRATIONS);
  const mine = redactionKeyMarker(key);
  await tables.pool.query("INSERT INTO wiam_shared_keys (name, marker) VALUES ('redaction', $1) ON CONFLICT (name) DO NOTHING", [mine]);
  const recorded = (await tables.pool.query<{ marker: string }>("SELECT marker FROM wiam_shared_keys WHERE name = 'redaction'")).rows[0]?.marker;
  if (recorded !== undefined && recorded !== mine) {
    throw new UserFacingError(
      "config_invalid",
      "state.postgres: this replica's redaction.key differs from the key the other replicas sharing this database redact with, so its redaction markers would not match theirs; refusing to start",
      "Copy redaction.key from a running replica's data directory into this one's (mode 0600), then start again.",
    );
  }
}
