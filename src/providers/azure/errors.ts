/** Short, stable descriptions of Azure SDK failures for gaps (the pipeline redacts output). */
import { RestError } from "@azure/core-rest-pipeline";

export function describeAzureError(error: unknown): string {
  if (error instanceof RestError) {
    const status = error.statusCode !== undefined ? ` (HTTP ${error.statusCode})` : "";
    const code = error.code && error.code !== "RestError" ? `/${error.code}` : "";
    const message = error.message.split("\n")[0]?.slice(0, 300) ?? "";
    return `RestError${code}${status}: ${message}`;
  }
  if (error instanceof Error) return `${error.name}: ${error.message.split("\n")[0]?.slice(0, 300) ?? ""}`;
  return String(error);
}

/** True when a later attempt (another collection) may succeed: throttling, 5xx, timeouts, network. */
export function isTransient(error: unknown): boolean {
  if (error instanceof RestError) return error.statusCode === undefined || error.statusCode === 429 || error.statusCode >= 500;
  return error instanceof Error && error.name !== "ReadRefusedError";
}
