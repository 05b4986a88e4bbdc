/**
 * Replicas sharing one PostgreSQL state must redact with the same `redaction.key`: a redaction
 * marker's fingerprint is an HMAC under that key, and analysts follow one secret across answers
 * and audit records by it. A replica with another key would write markers that match nothing the
 * others wrote, silently. So the first replica records the marker its key gives a fixed probe, and
 * a replica whose key gives another marker refuses to start. The marker is an HMAC of a public
 * probe: it tells keys apart without revealing them.
 */
import type { Redactor } from "../../redaction/types.js";
import { UserFacingError } from "../errors.js";
import type { StateTables } from "./state-store.js";

const PROBE = { password: "workload-iam-mcp replica key probe" };

const MIGRATIONS = [
  {
    version: 1,
    description: "the redaction marker of a fixed probe under the replicas' shared key",
    sql: "CREATE TABLE wiam_shared_keys (name TEXT PRIMARY KEY, marker TEXT NOT NULL, recorded_at TIMESTAMPTZ NOT NULL DEFAULT now())",
  },
];

/** The marker this replica's key gives the probe. */
export function redactionKeyMarker(redactor: Redactor): string {
  return redactor.redact(PROBE).value.password;
}

/** Records this replica's redaction key marker if none is, and refuses a key that differs from the recorded one. */
export async function checkSharedRedactionKey(tables: StateTables, redactor: Redactor): Promise<void> {
  if (tables.kind !== "postgres") return;
  await tables.migrate("shared-keys", MIGRATIONS);
  const mine = redactionKeyMarker(redactor);
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
