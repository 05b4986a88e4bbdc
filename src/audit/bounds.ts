/**
 * Size limits on what one audit event stores. Intent, arguments and client details come from the
 * caller: without a bound, a few calls with huge (and invalid) arguments grow the log by megabytes,
 * and every later `verify` and export pays for it. A value over its bound is stored as a short
 * description with its size and SHA-256, so the record still shows that something large was sent.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "./canonical-json.js";

/** Characters of free text kept: the tools accept intents up to 500 characters. */
export const MAX_STORED_INTENT_CHARS = 500;
/** Bytes of an argument object's JSON kept; every valid call of every tool is far below this. */
export const MAX_STORED_ARGUMENT_BYTES = 16_384;
/** Characters kept of a short field the caller names (client name and version, session id, approver). */
export const MAX_STORED_LABEL_CHARS = 256;
/** Characters kept of the caller: an OS user, or a token's `<issuer>|<subject>`. */
export const MAX_STORED_CALLER_CHARS = 1_024;
/** Characters kept of an error message. */
export const MAX_STORED_ERROR_CHARS = 4_096;

export interface WithheldArguments {
  withheld: string;
  bytes: number;
  sha256: string;
}

/** The arguments as stored: themselves when small enough, else their size and hash. */
export function boundedArguments(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  const text = typeof value === "string" ? value : canonicalJson(value);
  const bytes = Buffer.byteLength(text);
  if (bytes <= MAX_STORED_ARGUMENT_BYTES) return value;
  const withheld: WithheldArguments = {
    withheld: `arguments too large to store (${bytes} bytes; the limit is ${MAX_STORED_ARGUMENT_BYTES})`,
    bytes,
    sha256: createHash("sha256").update(text).digest("hex"),
  };
  return withheld;
}

/** Text cut to `max` characters, marked with "…[+N chars]" so a reader sees it was cut. */
export function boundedText(text: string, max: number): string;
export function boundedText(text: string | null, max: number): string | null;
export function boundedText(text: string | null, max: number): string | null {
  if (text === null || text.length <= max) return text;
  return `${text.slice(0, max)}…[+${text.length - max} chars]`;
}
