/**
 * Version of the detection rules. Bump it whenever a detector, field-name list or identifier rule
 * changes, so audit records say which rules scrubbed a response.
 */
export const REDACTION_RULESET_VERSION = "2026.12.1";
