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
