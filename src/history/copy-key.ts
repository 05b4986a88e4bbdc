/**
 * The key that checksums stored inventory copies (HMAC-SHA256 in the columnar form), and its
 * public id. The key is derived (HKDF, a key of its own) from the audit checkpoint key, which
 * replicas sharing PostgreSQL share (`state.checkpointKey`); else from the data directory's own
 * `audit-signing.key`. So a copy written by anyone without that key is refused like a damaged one.
 */
import { createHmac, hkdfSync } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { SIGNING_KEY_FILE, loadOrCreateSigningKey, signingKeyFromPem, type AuditSigningKey } from "../audit/signing.js";
import type { WiamConfig } from "../config/schema.js";
import { readSecretReference } from "../state/postgres/connection.js";

function derive(signing: AuditSigningKey): Buffer {
  const material = signing.privateKey.export({ format: "der", type: "pkcs8" });
  return Buffer.from(hkdfSync("sha256", material, Buffer.alloc(0), "wiam stored inventory v1", 32));
}

/** The key the server checksums its stored copies with (creating the data directory's signing key on first use). */
export function storedInventoryKey(config: WiamConfig, dataDir: string): Buffer {
  const reference = config.state.checkpointKey;
  return derive(reference === undefined ? loadOrCreateSigningKey(join(dataDir, SIGNING_KEY_FILE)) : signingKeyFromPem(readSecretReference(reference, "state.checkpointKey")));
}

/**
 * The same key for a check that must not create anything (`wiam doctor`): null when it would be
 * made now, i.e. the data directory has no signing key yet and none is configured.
 */
export function existingStoredInventoryKey(config: WiamConfig, dataDir: string): Buffer | null {
  if (config.state.checkpointKey === undefined && !existsSync(join(dataDir, SIGNING_KEY_FILE))) return null;
  return storedInventoryKey(config, dataDir);
}

/**
 * A short public name of a checksum key, stored beside each copy: two copies with the same id
 * were written under the same key. An HMAC of a fixed label, so it tells nothing about the key.
 */
export function storedCopyKeyId(key: Buffer): string {
  return createHmac("sha256", key).update("wiam stored inventory key id").digest("hex").slice(0, 16);
}
