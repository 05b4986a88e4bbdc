/**
 * Which Google API failures a later attempt can fix, and a short description for gaps. The
 * clients' own retries are switched off so the shared backoff (../common/retry.ts) is the single
 * place that decides. Errors arrive in three shapes: GaxiosError from the REST clients (HTTP
 * `status`), GoogleError from gax (`code` is a gRPC code, or the HTTP status in REST fallback),
 * and Node network errors (`code` such as ECONNRESET).
 */
import { CallTimeoutError } from "../../connectors/common/retry.js";

/** gRPC codes worth retrying: DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNAVAILABLE. */
const RETRYABLE_GRPC_CODES = new Set([4, 8, 10, 13, 14]);
const RETRYABLE_STATUS_NAMES = new Set(["RESOURCE_EXHAUSTED", "UNAVAILABLE", "DEADLINE_EXCEEDED", "ABORTED", "INTERNAL"]);
const TRANSIENT_NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_SOCKET"]);
/** Per-minute quotas sometimes answer 403 with one of these reasons instead of 429. */
const RATE_LIMIT_REASONS = /rateLimitExceeded|userRateLimitExceeded|RATE_LIMIT_EXCEEDED/;

export interface GcpErrorFacts {
  httpStatus: number | undefined;
  grpcCode: number | undefined;
  /** google.rpc status name, e.g. RESOURCE_EXHAUSTED, PERMISSION_DENIED. */
  status: string | undefined;
  networkCode: string | undefined;
  message: string;
}

interface ErrorBody {
  error?: { code?: unknown; status?: unknown; message?: unknown };
}

function parseBody(text: string): ErrorBody | undefined {
  if (!text.trimStart().startsWith("{")) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null ? (parsed as ErrorBody) : undefined;
  } catch {
    return undefined;
  }
}

export function gcpErrorFacts(error: unknown): GcpErrorFacts {
  if (!(error instanceof Error)) return { httpStatus: undefined, grpcCode: undefined, status: undefined, networkCode: undefined, message: String(error) };
  const record = error as Error & { code?: unknown; status?: unknown; response?: { status?: unknown; data?: unknown } };
  let httpStatus = typeof record.status === "number" ? record.status : typeof record.response?.status === "number" ? record.response.status : undefined;
  let grpcCode: number | undefined;
  if (typeof record.code === "number") {
    if (record.code >= 100) httpStatus ??= record.code;
    else grpcCode = record.code;
  }
  const networkCode = typeof record.code === "string" && !/^\d+$/.test(record.code) ? record.code : undefined;
  if (httpStatus === undefined && typeof record.code === "string" && /^\d{3}$/.test(record.code)) httpStatus = Number(record.code);
  const data = record.response?.data;
  const body = typeof data === "object" && data !== null ? (data as ErrorBody) : parseBody(typeof data === "string" ? data : error.message);
  const status = typeof body?.error?.status === "string" ? body.error.status : undefined;
  const message = typeof body?.error?.message === "string" ? body.error.message : error.message;
  return { httpStatus, grpcCode, status, networkCode, message };
}

/** True for failures a later attempt may not see: quota, 5xx, timeouts, dropped connections. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof CallTimeoutError) return true;
  const facts = gcpErrorFacts(error);
  if (facts.status !== undefined && RETRYABLE_STATUS_NAMES.has(facts.status)) return true;
  if (facts.httpStatus !== undefined) {
    if (facts.httpStatus === 429 || facts.httpStatus >= 500) return true;
    return facts.httpStatus === 403 && RATE_LIMIT_REASONS.test(facts.message);
  }
  if (facts.grpcCode !== undefined) return RETRYABLE_GRPC_CODES.has(facts.grpcCode);
  if (facts.networkCode !== undefined && TRANSIENT_NETWORK_CODES.has(facts.networkCode)) return true;
  return /socket hang up|premature close|other side closed|unexpected end of json|fetch failed/i.test(facts.message);
}

/** A short, stable description for gaps (messages may name projects; the pipeline redacts output). */
export function describeError(error: unknown): string {
  if (error instanceof CallTimeoutError) return error.message;
  const facts = gcpErrorFacts(error);
  const label = [facts.httpStatus !== undefined ? `HTTP ${facts.httpStatus}` : undefined, facts.status ?? facts.networkCode].filter(Boolean).join(" ");
  const message = facts.message.length > 300 ? `${facts.message.slice(0, 300)}…` : facts.message;
  return label ? `${label}: ${message}` : message;
}
