/**
 * Errors a user (or the model) is meant to see. Anything else that escapes a tool is a bug: the
 * pipeline logs it (redacted) and returns a generic message instead of internal details.
 */
export type UserErrorCode =
  | "invalid_input"
  | "tool_disabled"
  | "not_found"
  | "denied"
  | "approval_required"
  | "budget_exceeded"
  | "provider_unavailable"
  | "redaction_failed"
  | "config_invalid";

export class UserFacingError extends Error {
  readonly code: UserErrorCode;
  /** What the caller can do about it; shown after the message. */
  readonly hint: string | undefined;

  constructor(code: UserErrorCode, message: string, hint?: string) {
    super(message);
    this.name = "UserFacingError";
    this.code = code;
    this.hint = hint;
  }
}

export function isUserFacingError(error: unknown): error is UserFacingError {
  return error instanceof UserFacingError;
}

/** An error's message for a one-line report: its first line, at most 300 characters. */
export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split(/\r?\n/, 1)[0] ?? "";
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}
