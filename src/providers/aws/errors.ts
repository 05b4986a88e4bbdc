/**
 * Retry policy for AWS calls: which failures a later attempt can fix. The SDK's own retries are
 * switched off (maxAttempts 1) so the shared backoff (../common/retry.ts) is the single place that
 * decides, and so tests can inject the clock and the dice.
 */
import { CallTimeoutError } from "../../connectors/common/retry.js";

export { CallTimeoutError, DEFAULT_RETRY_TIMING, backoffDelayMs, defaultSleep, type RetryTiming } from "../../connectors/common/retry.js";

const THROTTLING_CODES = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
  "PriorRequestNotComplete",
]);

const TRANSIENT_NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN"]);

export interface ErrorFacts {
  name: string;
  code: string | undefined;
  httpStatus: number | undefined;
  requestId: string | undefined;
  message: string;
}

/** Reads the fields SDK v3 errors carry without trusting their shape. */
export function errorFacts(error: unknown): ErrorFacts {
  if (!(error instanceof Error)) return { name: "Error", code: undefined, httpStatus: undefined, requestId: undefined, message: String(error) };
  const record = error as Error & {
    Code?: unknown;
    code?: unknown;
    $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
  };
  const code = typeof record.Code === "string" ? record.Code : typeof record.code === "string" ? record.code : undefined;
  const httpStatus = typeof record.$metadata?.httpStatusCode === "number" ? record.$metadata.httpStatusCode : undefined;
  const requestId = typeof record.$metadata?.requestId === "string" ? record.$metadata.requestId : undefined;
  return { name: error.name, code, httpStatus, requestId, message: error.message };
}

/** True for failures a later attempt may not see: throttling, 5xx, timeouts, dropped connections. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof CallTimeoutError) return true;
  const facts = errorFacts(error);
  if (THROTTLING_CODES.has(facts.name) || (facts.code !== undefined && THROTTLING_CODES.has(facts.code))) return true;
  if (facts.httpStatus !== undefined) return facts.httpStatus >= 500 || facts.httpStatus === 429;
  if (facts.code !== undefined && TRANSIENT_NETWORK_CODES.has(facts.code)) return true;
  // A response cut short fails while parsing or with a premature close: the request itself was fine.
  return /socket hang up|premature close|aborted|unexpected end|deserializ|parse/i.test(facts.message);
}

export function isThrottling(error: unknown): boolean {
  const facts = errorFacts(error);
  return THROTTLING_CODES.has(facts.name) || (facts.code !== undefined && THROTTLING_CODES.has(facts.code));
}

/**
 * GetObject of an SSE-KMS object the caller may not decrypt: S3 answers AccessDenied naming
 * kms:Decrypt, or KMS.AccessDeniedException.
 */
export function isKmsDecryptDenied(error: unknown): boolean {
  const facts = errorFacts(error);
  const code = facts.code ?? facts.name;
  return code === "KMS.AccessDeniedException" || facts.name === "KMS.AccessDeniedException" || (code === "AccessDenied" && /kms:Decrypt/i.test(facts.message));
}

/** A short, stable description for gaps (messages may carry ARNs; the pipeline redacts output). */
export function describeError(error: unknown): string {
  const facts = errorFacts(error);
  const status = facts.httpStatus !== undefined ? ` (HTTP ${facts.httpStatus})` : "";
  const label = facts.code && facts.code !== facts.name ? `${facts.name}/${facts.code}` : facts.name;
  return `${label}${status}: ${facts.message}`;
}
