/**
 * The redaction layer: a standalone library (no imports from src/). Everything the server sends
 * out (tool results, errors, logs, audit records) passes through a Redactor.
 */
export { createRedactor } from "./redactor.js";
export { RedactionError } from "./errors.js";
export { REDACTION_RULESET_VERSION } from "./version.js";
export { loadOrCreateRedactionKey, REDACTION_KEY_FILE, REDACTION_KEY_BYTES } from "./key-file.js";
export { runRedactCommand, type RedactCommandOptions, type RedactCommandOutput } from "./cli.js";
export { isRedactionMarker } from "./fingerprint.js";
export type { RedactionFinding, RedactionResult, Redactor, RedactorOptions } from "./types.js";
