/**
 * Replacement markers. The fingerprint is a keyed HMAC so that equal secrets can be correlated
 * across responses without making low-entropy values (passwords) guessable from the marker.
 */
import { createHmac } from "node:crypto";

export const MARKER_PREFIX = "[REDACTED:";

const MARKER_PATTERN = /^\[REDACTED:[a-z0-9_]+:[0-9a-f]{8}\]$/;

/** Every marker inside a text (global: reset lastIndex before use). */
export const MARKERS_IN_TEXT = /\[REDACTED:[a-z0-9_]+:[0-9a-f]{8}\]/g;

export function isRedactionMarker(text: string): boolean {
  return text.startsWith(MARKER_PREFIX) && MARKER_PATTERN.test(text);
}

export class Fingerprinter {
  readonly #key: Uint8Array;

  constructor(key: Uint8Array) {
    this.#key = key;
  }

  fingerprint(secret: string): string {
    return createHmac("sha256", this.#key).update(secret, "utf8").digest("hex").slice(0, 8);
  }
}

export function formatMarker(kind: string, fingerprint: string): string {
  return `${MARKER_PREFIX}${kind}:${fingerprint}]`;
}

/** Kinds end up inside markers and reports: keep them to a safe alphabet. */
export function sanitizeKind(kind: string): string {
  const cleaned = kind.toLowerCase().replace(/[^a-z0-9_]+/g, "_").replace(/^_+|_+$/g, "");
  return cleaned.length > 0 ? cleaned.slice(0, 64) : "custom";
}
