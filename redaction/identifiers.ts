/**
 * Identifier recognition. Identifiers (ARNs, key ids, GUIDs, hashes, resource names, dates, URLs
 * without credentials) are what make an answer useful, and they look random: entropy-based and
 * length-based detectors must consult these rules before redacting anything. Format detectors for
 * prefixed secrets (ghp_, AIza...) do not need them, and secret field names override them.
 */
import { isRedactionMarker } from "./fingerprint.js";

const IDENTIFIER_PATTERNS: readonly RegExp[] = [
  /^arn:[a-z0-9-]+:[a-z0-9-]*:/,
  // AWS access key ids and unique ids: identifiers, never secrets.
  /^(?:AKIA|ASIA|AIDA|AROA|ANPA|ANVA|AGPA|AIPA|APKA|ASCA|ACCA|ABIA|A3T[A-Z0-9])[A-Z0-9]{12,20}$/,
  /^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$/,
  // Hashes, key ids, thumbprints, commit ids, request ids.
  /^(?:0x)?[0-9a-fA-F]{6,128}$/,
  /^(?:[0-9A-Fa-f]{2}[:-]){7,63}[0-9A-Fa-f]{2}$/,
  /^(?:sha1|sha256|sha384|sha512|md5)[:=-][0-9a-fA-F]{32,128}$/i,
  /^SHA(?:1|256|384|512):[A-Za-z0-9+/]{27,86}={0,2}$/, // ssh key fingerprints
  /^MD5:(?:[0-9a-f]{2}:){15}[0-9a-f]{2}$/,
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/,
  /^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/,
  // Resource names and ids: Azure ARM, Google Cloud, SPIFFE, workload identity principals.
  /^\/(?:subscriptions|providers|tenants)\//i,
  /^(?:projects|organizations|folders|billingAccounts|locations)\/[A-Za-z0-9._-]+(?:\/|$)/,
  /^\/\/[a-z0-9.-]+\.googleapis\.com\//,
  /^(?:spiffe|principal|principalSet):\/\//,
  // URLs whose authority carries no user info (query strings are checked by other detectors).
  /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/@\s?#]*(?:[/?#]|$)/,
  /^mrk-[0-9a-f]{32}$/,
  /^(?:alias|role|user|group|policy|service-role|aws-service-role)\//,
  /^[a-z]{1,12}-[0-9a-f]{8,17}$/, // EC2-style resource ids: i-0abc..., vpc-..., sg-...
  // File paths with a plain directory name in them (/tmp/tmp.Xb3k9Q/redaction.key, ~/.config/wiam/x):
  // random-looking segments (temporary directories) do not make a path a secret.
  /^(?:~|\.{1,2})?(?:\/[A-Za-z0-9._@+-]{1,80})*\/\.?[a-z]{3,}(?:\/[A-Za-z0-9._@+-]{1,80})+\/?$/,
  /^\d+$/,
];

/**
 * Names built from words (`AmazonS3ReadOnlyAccess`, `SecretsManagerReadWrite`, `KeyVaultReader2`):
 * every part is a capitalised word of three or more letters with a vowel, a short acronym (with a
 * digit or two), or a number, and there are at least two words. Random tokens split into such parts
 * almost never.
 */
const NAME_PART = /[A-Z][a-z]{2,}|[A-Z]{1,5}[0-9]{0,3}(?![a-z])|[0-9]{1,4}/gy;

function looksLikeWordsName(word: string): boolean {
  if (word.length > 80 || !/^[A-Z]/.test(word)) return false;
  NAME_PART.lastIndex = 0;
  let words = 0;
  let match: RegExpExecArray | null;
  while ((match = NAME_PART.exec(word)) !== null) {
    const part = match[0];
    if (/^[A-Z][a-z]{2,}$/.test(part)) {
      if (!/[aeiouy]/.test(part)) return false;
      words++;
    }
    if (NAME_PART.lastIndex === word.length) return words >= 2;
  }
  return false;
}

/** True when `word` (an unbroken token, not a sentence) is a known kind of identifier. */
export function looksLikeIdentifier(word: string): boolean {
  if (word.length === 0) return false;
  if (isRedactionMarker(word)) return true;
  if (looksLikeWordsName(word)) return true;
  for (const pattern of IDENTIFIER_PATTERNS) {
    if (pattern.test(word)) return true;
  }
  return false;
}

/** Values a secret-named field may hold without being a secret: dates, flags, references, placeholders. */
const SAFE_SECRET_VALUE_PATTERNS: readonly RegExp[] = [
  /^\s*$/,
  /^[*xX•.#-]+$/,
  /^(?:true|false|yes|no|null|nil|none|undefined|n\/a|na|not_supported|no_information|unknown|redacted|hidden|masked|sensitive|\(sensitive(?: value)?\)|\*\*\*\s*redacted\s*\*\*\*)$/i,
  /^(?:read|write|read-?write|none|required|optional|enabled|disabled|string|securestring|securetext|secureobject|object)$/i, // schema and permission words
  /^<[A-Za-z _-]{1,40}>$/,
  /^\[?(?:redacted|hidden|masked|filtered)\]?$/i,
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/,
  // References to where a secret lives, not the secret.
  /^arn:[a-z0-9-]+:(?:secretsmanager|ssm|kms|iam|acm):/,
  /^@Microsoft\.KeyVault\((?:SecretUri|VaultName)=[^)]*\)$/,
  /^https:\/\/[a-z0-9-]+\.vault\.(?:azure\.net|azure\.cn|usgovcloudapi\.net)\/(?:secrets|keys|certificates)\/[A-Za-z0-9-]+(?:\/[0-9a-f]{32})?\/?$/,
  /^projects\/[a-z0-9-]+\/secrets\/[A-Za-z0-9_-]+(?:\/versions\/(?:\d+|latest))?$/,
  /^\$\{[A-Za-z0-9_.:-]+\}$/,
  /^\$\([A-Za-z0-9_.:-]+\)$/,
  /^\{\{[^{}]{1,200}\}\}$/,
  /^\$\{\{[^{}]{1,200}\}\}$/, // GitHub Actions expression
  /^#\{[A-Za-z0-9_.:-]+\}$/,
  /^\$[A-Z_][A-Z0-9_]*$/,
  /^\[(?:parameters|variables|reference|listKeys|concat|format)\(.{0,400}\)\]$/, // ARM template expression
  /^(?:AKIA|ASIA)[A-Z0-9]{16}(?:$|\/|%2F)/, // a key id, alone or as a SigV4 credential scope
];

/** True when a value found under a secret name is clearly not itself a secret. */
export function isSafeSecretFieldValue(value: string): boolean {
  if (value.length > 512) return false;
  if (isRedactionMarker(value)) return true;
  for (const pattern of SAFE_SECRET_VALUE_PATTERNS) {
    if (pattern.test(value)) return true;
  }
  return false;
}

/**
 * Characters that end a "word" when we look for the whole token around a candidate. NUL (a masked
 * marker, see text-scanner.ts) does not: the secret it replaced was part of the word around it, so
 * the word is judged the same way before and after redaction (`https://u/<token>@name: x`).
 */
function isWordBoundary(code: number): boolean {
  // whitespace, quotes, backtick, comma, semicolon, brackets, parens, braces, angle brackets, pipe, =
  return (
    (code <= 32 && code !== 0) || code === 34 || code === 39 || code === 96 || code === 44 || code === 59 || code === 40 ||
    code === 41 || code === 91 || code === 93 || code === 123 || code === 125 || code === 60 || code === 62 ||
    code === 124 || code === 61
  );
}

/**
 * The whitespace/quote-delimited token around [start, end), trailing sentence punctuation removed;
 * it starts no earlier than `floor`.
 */
export function enclosingWord(text: string, start: number, end: number, floor = 0): string {
  let left = start;
  while (left > floor && !isWordBoundary(text.charCodeAt(left - 1))) left--;
  let right = end;
  while (right < text.length && !isWordBoundary(text.charCodeAt(right))) right++;
  let word = text.slice(left, right);
  while (word.length > 0 && ".:!?".includes(word.charAt(word.length - 1))) word = word.slice(0, -1);
  return word;
}
