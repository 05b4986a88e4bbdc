/**
 * Checks every HTTP request passes before anything else reads it: the Host header names this
 * server (DNS rebinding: a hostile page resolving its own name to 127.0.0.1 sends its own Host),
 * a browser's Origin is one the admin allowed, and the body fits the size limit.
 */
import type { IncomingMessage } from "node:http";
import { isLoopbackHost } from "../config/http-schema.js";

/** Splits `name:port` (and `[v6]:port`) and lower-cases the name; null when the header is malformed. */
function hostName(header: string): string | null {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(header.trim());
  return match?.[1]?.toLowerCase() ?? null;
}

export interface HostPolicy {
  /** Names accepted besides loopback names (with any port), as configured. */
  allowedHosts: readonly string[];
  allowedOrigins: readonly string[];
}

/** Why the Host header is refused, or null. Loopback names are always accepted: they cannot be rebound. */
export function hostRefusal(header: string | undefined, policy: HostPolicy): string | null {
  if (header === undefined || header.length === 0) return "missing Host header";
  const name = hostName(header);
  if (name === null) return "malformed Host header";
  if (isLoopbackHost(name)) return null;
  const allowed = policy.allowedHosts.some((entry) => {
    const lower = entry.toLowerCase();
    return lower === header.toLowerCase() || lower === name;
  });
  return allowed ? null : "Host not allowed";
}

/**
 * Why the Origin header is refused, or null. No Origin means no browser sent it (MCP clients do
 * not); a browser page may call only from an origin the admin listed, or a loopback origin when
 * the server itself listens on loopback (a local web client).
 */
export function originRefusal(header: string | undefined, policy: HostPolicy, listeningOnLoopback: boolean): string | null {
  if (header === undefined) return null;
  let origin: URL;
  try {
    origin = new URL(header);
  } catch {
    return "malformed Origin header";
  }
  if (policy.allowedOrigins.some((allowed) => new URL(allowed).origin === origin.origin)) return null;
  if (listeningOnLoopback && isLoopbackHost(origin.hostname)) return null;
  return "Origin not allowed";
}

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body over ${limit} bytes`);
    this.name = "BodyTooLarge";
  }
}

/** Reads the whole body, refusing (early, from Content-Length when given) anything over `limit` bytes. */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers["content-length"] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
