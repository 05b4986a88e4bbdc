/**
 * Record ids in the ULID layout: 48-bit millisecond time then 80 random bits, in Crockford base32
 * (26 characters), so ids sort by creation time as plain strings. Within one millisecond in one
 * process the random part is incremented, keeping ids strictly increasing there too.
 */
import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RANDOM_BYTES = 10;

let lastTime = -1;
let lastRandom = Buffer.alloc(RANDOM_BYTES);

export function newRecordId(now: Date = new Date()): string {
  const time = now.getTime();
  if (time === lastTime) {
    incrementInPlace(lastRandom);
  } else {
    lastTime = time;
    lastRandom = randomBytes(RANDOM_BYTES);
  }
  return encodeTime(time) + encodeRandom(lastRandom);
}

/** The creation time encoded in an id, or null if it is not one of ours. */
export function recordIdTime(id: string): Date | null {
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) return null;
  let time = 0;
  for (const char of id.slice(0, 10)) time = time * 32 + ALPHABET.indexOf(char);
  return new Date(time);
}

function encodeTime(time: number): string {
  let out = "";
  let rest = time;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET.charAt(rest % 32) + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/** 80 bits as 16 base32 digits, most significant first. */
function encodeRandom(bytes: Buffer): string {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  let out = "";
  for (let i = 0; i < 16; i++) {
    out = ALPHABET.charAt(Number(value & 31n)) + out;
    value >>= 5n;
  }
  return out;
}

/** Adds one to a big-endian number; on overflow (2^80 ids in one ms) it wraps, which is harmless. */
function incrementInPlace(bytes: Buffer): void {
  for (let i = bytes.length - 1; i >= 0; i--) {
    const byte = bytes[i] ?? 0;
    if (byte < 255) {
      bytes[i] = byte + 1;
      return;
    }
    bytes[i] = 0;
  }
}
