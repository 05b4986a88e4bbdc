/** The public contract of the redaction layer. Everything that leaves the server passes through it. */

export interface RedactionFinding {
  /** Detector kind, e.g. aws_secret_access_key, jwt, pem_private_key, password_field. */
  kind: string;
  /** JSON path of the value the secret was found in, e.g. $.items[3].tags.db_password ("$" for text). */
  path: string;
  /** Keyed fingerprint (HMAC prefix) that also appears in the replacement marker. */
  fingerprint: string;
}

export interface RedactionResult<T> {
  value: T;
  findings: RedactionFinding[];
}

export interface RedactorOptions {
  /** Per-installation HMAC key for fingerprints (see loadOrCreateRedactionKey). */
  key: Uint8Array;
  /** Extra field names (case-insensitive) whose values are always secret; adds to the built-ins. */
  extraSecretFieldNames?: readonly string[];
  /** Extra regular expressions (source strings) for secrets; adds to the built-ins. */
  extraPatterns?: readonly { kind: string; pattern: string }[];
  /** Exact strings that are identifiers and must survive (cannot override field-name rules). */
  allowIdentifiers?: readonly string[];
  /** Give up (and fail closed) if one redact call takes longer than this. */
  timeoutMs?: number;
}

export interface Redactor {
  readonly rulesetVersion: string;
  /** Redacts any JSON-compatible value; output has the same structure. Throws RedactionError on failure. */
  redact<T>(value: T): RedactionResult<T>;
  /** Redacts free text (logs, error messages, CLI output). */
  redactText(text: string): RedactionResult<string>;
}
