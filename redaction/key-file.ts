/**
 * The per-installation HMAC key for fingerprints: 32 random bytes in `<dataDir>/redaction.key`.
 *
 * Policy for an existing key file that others could read (group/other permission bits, a symlink,
 * another owner): refuse with a RedactionError rather than silently tightening it, as ssh does for
 * private keys. A key that was readable may already be copied; the operator should look, then run
 * `chmod 600` (or delete the file to get a fresh key, which changes every fingerprint).
 */
import { randomBytes } from "node:crypto";
import { closeSync, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { RedactionError } from "./errors.js";

export const REDACTION_KEY_FILE = "redaction.key";
export const REDACTION_KEY_BYTES = 32;

const checksPermissions = process.platform !== "win32";

export function loadOrCreateRedactionKey(dataDir: string): Buffer {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const keyPath = join(dataDir, REDACTION_KEY_FILE);
  const existing = readExistingKey(keyPath);
  if (existing) return existing;
  try {
    return createKey(keyPath);
  } catch (error) {
    // Another process created it between our check and our exclusive create: use theirs.
    if (isErrorCode(error, "EEXIST")) {
      const raced = readExistingKey(keyPath);
      if (raced) return raced;
    }
    throw new RedactionError(`cannot create the redaction key at ${keyPath}`, { cause: error });
  }
}

function readExistingKey(keyPath: string): Buffer | undefined {
  let stats;
  try {
    stats = lstatSync(keyPath);
  } catch (error) {
    if (isErrorCode(error, "ENOENT")) return undefined;
    throw new RedactionError(`cannot read the redaction key at ${keyPath}`, { cause: error });
  }
  if (!stats.isFile()) {
    throw new RedactionError(`${keyPath} is not a regular file (symlinks are refused); remove it to create a new key`);
  }
  if (checksPermissions) {
    if ((stats.mode & 0o077) !== 0) {
      const mode = (stats.mode & 0o777).toString(8).padStart(3, "0");
      throw new RedactionError(
        `${keyPath} has mode ${mode}; it must be readable by its owner only: run chmod 600 "${keyPath}"`,
      );
    }
    const uid = process.getuid?.();
    if (uid !== undefined && stats.uid !== uid) {
      throw new RedactionError(`${keyPath} is owned by another user (uid ${stats.uid})`);
    }
  }
  const key = readFileSync(keyPath);
  if (key.length !== REDACTION_KEY_BYTES) {
    throw new RedactionError(`${keyPath} must hold exactly ${REDACTION_KEY_BYTES} bytes, found ${key.length}`);
  }
  return key;
}

function createKey(keyPath: string): Buffer {
  const key = randomBytes(REDACTION_KEY_BYTES);
  // "wx": never follow or overwrite an existing file; 0600 from the first byte on disk.
  const fd = openSync(keyPath, "wx", 0o600);
  try {
    writeSync(fd, key);
    // The umask can only remove bits, but a filesystem may not honour the create mode: set it again.
    if (checksPermissions) fchmodSync(fd, 0o600);
    if (fstatSync(fd).size !== REDACTION_KEY_BYTES) throw new RedactionError(`short write to ${keyPath}`);
  } finally {
    closeSync(fd);
  }
  return key;
}

function isErrorCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === code;
}
