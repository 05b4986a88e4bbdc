/**
 * Where the shared state lives (`state:`). Absent: the embedded SQLite files in the data
 * directory. `state.postgres`: one PostgreSQL database shared by every replica.
 *
 * The connection URL carries the database password, so the config never holds it literally: it
 * names an environment variable or a file (a mounted secret) to read it from. A literal URL is
 * accepted only without a password (authentication by client certificate, or PGPASSWORD/.pgpass).
 */
import { z } from "zod";

/** A value read at start from an environment variable or a file, never written in the config. */
export const secretReferenceSchema = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name").describe("environment variable holding the value") }),
  z.strictObject({ file: z.string().min(1).describe("file holding the value (trailing newline ignored)") }),
]);
export type SecretReference = z.infer<typeof secretReferenceSchema>;

/** True when a postgres:// URL names a password (user:password@, or password= in the query). */
export function urlHasPassword(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return /password\s*=/i.test(text);
  }
  return url.password !== "" || url.searchParams.has("password");
}

const literalUrlSchema = z
  .string()
  .min(1)
  .refine((text) => /^postgres(ql)?:\/\//.test(text), "must be a postgres:// or postgresql:// URL")
  .refine(
    (text) => !urlHasPassword(text),
    "holds a password: never write it in the config; pass the URL as { env: NAME } (an environment variable) or { file: PATH } (a mounted secret)",
  );

export const postgresTlsSchema = z
  .strictObject({
    mode: z
      .enum(["disable", "require", "verify-full"])
      .optional()
      .describe("disable, require (encrypt, any certificate) or verify-full (encrypt and check the server's name and CA); default verify-full, or disable for a loopback host"),
    caFile: z.string().min(1).optional().describe("PEM file of the CA that signed the server certificate (default: the system's CAs)"),
    certFile: z.string().min(1).optional().describe("client certificate (PEM), for certificate authentication"),
    keyFile: z.string().min(1).optional().describe("client certificate's private key (PEM)"),
  })
  .prefault({});

export const postgresConfigSchema = z.strictObject({
  url: z.union([literalUrlSchema, secretReferenceSchema]).describe("connection URL: { env: NAME } or { file: PATH }; a literal URL only without a password"),
  tls: postgresTlsSchema.describe("TLS to the database server"),
  poolSize: z.number().int().min(1).max(200).default(10).describe("connections per replica"),
  connectTimeoutMs: z.number().int().min(100).max(120_000).default(5_000).describe("a call fails closed after waiting this long for a connection"),
  lockTimeoutMs: z.number().int().min(100).max(120_000).default(5_000).describe("longest wait for a lock another replica holds (the audit head, a caller's budget row)"),
  statementTimeoutMs: z.number().int().min(100).max(600_000).default(30_000).describe("longest one statement may run"),
});
export type PostgresConfig = z.infer<typeof postgresConfigSchema>;

export const stateConfigSchema = z
  .strictObject({
    postgres: postgresConfigSchema.optional().describe("share the audit log, budgets and approvals between replicas in PostgreSQL; absent: SQLite files in the data directory"),
    checkpointKey: secretReferenceSchema
      .optional()
      .describe("Ed25519 private key (PKCS#8 PEM) that signs audit checkpoints, shared by all replicas; default: audit-signing.key in the data directory"),
  })
  .prefault({});
export type StateConfig = z.infer<typeof stateConfigSchema>;
