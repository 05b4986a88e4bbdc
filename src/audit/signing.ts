/**
 * Ed25519 keys for signed audit checkpoints. The private key lives next to the audit database
 * (owner-only file); checkpoints carry the public key so a copy kept elsewhere can be checked later.
 * A checkpoint proves the chain once had a given head; it is only worth something when stored
 * outside the data directory, out of reach of whoever could rewrite the database.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from "node:crypto";
import { existsSync, linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { platform } from "node:os";
import { canonicalJson } from "./canonical-json.js";
import type { AuditCheckpoint } from "./types.js";

export const SIGNING_KEY_FILE = "audit-signing.key";

/** Domain separation: a signature over a checkpoint can never be mistaken for one over other data. */
const CHECKPOINT_CONTEXT = "workload-iam-mcp audit checkpoint v1";

export interface AuditSigningKey {
  privateKey: KeyObject;
  /** base64 of the SPKI DER encoding. */
  publicKey: string;
}

/** Reads the key at `path`, creating it (mode 0600) on first use. Refuses a key others can read. */
export function loadOrCreateSigningKey(path: string): AuditSigningKey {
  if (!existsSync(path)) publishNewKey(path);
  if (platform() !== "win32" && (statSync(path).mode & 0o077) !== 0) {
    throw new Error(`audit signing key ${path} is readable by other users; run: chmod 600 ${path}`);
  }
  return signingKeyFromPem(readFileSync(path, "utf8"));
}

/**
 * Writes a complete key file under a temporary name, then links it into place: link fails if another
 * process won the race, and no reader ever sees a half-written key.
 */
function publishNewKey(path: string): void {
  const pem = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(temporary, pem, { mode: 0o600, flag: "wx" });
  try {
    linkSync(temporary, path);
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  } finally {
    unlinkSync(temporary);
  }
}

export function signingKeyFromPem(pem: string): AuditSigningKey {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== "ed25519") throw new Error("audit signing key is not an Ed25519 key");
  return { privateKey, publicKey: exportPublicKey(createPublicKey(privateKey)) };
}

export function generateSigningKey(): AuditSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateKey, publicKey: exportPublicKey(publicKey) };
}

export function signCheckpoint(
  key: AuditSigningKey,
  head: { seq: number; headHash: string; createdAt: string },
): AuditCheckpoint {
  const unsigned = { seq: head.seq, headHash: head.headHash, createdAt: head.createdAt, publicKey: key.publicKey };
  const signature = sign(null, checkpointMessage(unsigned), key.privateKey).toString("base64");
  return { ...unsigned, signature };
}

/** True when the signature is a valid Ed25519 signature by the checkpoint's own public key. */
export function checkpointSignatureValid(checkpoint: AuditCheckpoint): boolean {
  try {
    const publicKey = createPublicKey({ key: Buffer.from(checkpoint.publicKey, "base64"), format: "der", type: "spki" });
    if (publicKey.asymmetricKeyType !== "ed25519") return false;
    const { signature, ...unsigned } = checkpoint;
    return verify(null, checkpointMessage(unsigned), publicKey, Buffer.from(signature, "base64"));
  } catch {
    return false;
  }
}

function checkpointMessage(unsigned: Omit<AuditCheckpoint, "signature">): Buffer {
  return Buffer.from(`${CHECKPOINT_CONTEXT}\n${canonicalJson(unsigned)}`, "utf8");
}

function exportPublicKey(publicKey: KeyObject): string {
  return publicKey.export({ type: "spki", format: "der" }).toString("base64");
}

function isAlreadyExists(error: unknown): boolean {
  return error instanceof Error && "code" in error && error.code === "EEXIST";
}
