/** Cheap statistics used to tell random secrets from words and identifiers. */

const counts = new Int32Array(65536);
const seen: number[] = [];

/** Shannon entropy in bits per character (a shared count table: this runs on many candidates). */
export function shannonEntropy(text: string): number {
  const length = text.length;
  if (length === 0) return 0;
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index);
    if (counts[code] === 0) seen.push(code);
    counts[code] = (counts[code] ?? 0) + 1;
  }
  let bits = 0;
  for (const code of seen) {
    const probability = (counts[code] ?? 0) / length;
    bits -= probability * Math.log2(probability);
    counts[code] = 0;
  }
  seen.length = 0;
  return bits;
}

/**
 * The entropy a random string of this length over a large alphabet would reach, scaled down to
 * leave room for fake-but-realistic secrets; capped because real alphabets are finite (base64: 6).
 */
export function randomLookingThreshold(length: number): number {
  return Math.min(0.82 * Math.log2(length), 4.4);
}

export interface CharacterMix {
  upper: number;
  lower: number;
  digit: number;
  other: number;
}

export function characterMix(text: string): CharacterMix {
  const mix: CharacterMix = { upper: 0, lower: 0, digit: 0, other: 0 };
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 65 && code <= 90) mix.upper++;
    else if (code >= 97 && code <= 122) mix.lower++;
    else if (code >= 48 && code <= 57) mix.digit++;
    else mix.other++;
  }
  return mix;
}

/** Upper, lower and digits all present: how base64 and alphanumeric secrets look. */
export function hasMixedAlphanumerics(text: string): boolean {
  const mix = characterMix(text);
  return mix.upper > 0 && mix.lower > 0 && mix.digit > 0;
}

export function isHex(text: string): boolean {
  return /^[0-9a-fA-F]+$/.test(text);
}


const UPPER = 1;
const LOWER = 2;
const DIGIT = 4;
const OTHER = 8;

/** Character classes of [A-Za-z0-9] plus the given extra characters; 0 for anything else. */
function classTable(extra: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let code = 65; code <= 90; code++) table[code] = UPPER;
  for (let code = 97; code <= 122; code++) table[code] = LOWER;
  for (let code = 48; code <= 57; code++) table[code] = DIGIT;
  for (const char of extra) table[char.charCodeAt(0)] = OTHER;
  return table;
}

/** [A-Za-z0-9+/]: the base64 alphabet without padding. */
export const BASE64_CLASSES = classTable("+/");
/** Base64, base64url and the punctuation random tokens use (padding is handled by callers). */
export const TOKEN_CLASSES = classTable("+/_-.~");

/** A maximal run of characters from one class table, with the classes it contained. */
export interface CharacterRun {
  start: number;
  end: number;
  /** Bit set: 1 upper, 2 lower, 4 digit, 8 other. */
  classes: number;
}

export const HAS_UPPER = UPPER;
export const HAS_LOWER = LOWER;
export const HAS_DIGIT = DIGIT;
export const HAS_OTHER = OTHER;

/**
 * Calls `visit` for every maximal run of at least `minLength` characters of `table`. One pass,
 * no regex: this gates the random-token detectors on every string that mentions a keyword.
 */
export function forEachRun(text: string, table: Uint8Array, minLength: number, visit: (run: CharacterRun) => void): void {
  let start = -1;
  let classes = 0;
  const length = text.length;
  for (let index = 0; index <= length; index++) {
    const code = index < length ? text.charCodeAt(index) : 0;
    const kind = code < 128 ? (table[code] ?? 0) : 0;
    if (kind !== 0) {
      if (start === -1) {
        start = index;
        classes = 0;
      }
      classes |= kind;
    } else if (start !== -1) {
      if (index - start >= minLength) visit({ start, end: index, classes });
      start = -1;
    }
  }
}
