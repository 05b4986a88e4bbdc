/**
 * `state.postgres` as an admin writes it: the URL comes from an environment variable or a file and
 * never holds a literal password in the config; errors name the field; TLS parameters in the URL
 * do not override the `tls` setting.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.js";
import { postgresConfigSchema } from "../src/config/state-schema.js";
import { isLoopbackHost, resolvePostgresUrl } from "../src/state/postgres/connection.js";

const refusal = (url: unknown) => {
  try {
    parseConfig({ state: { postgres: { url } } }, "wiam.yaml");
    return "accepted";
  } catch (error) {
    return (error as Error).message;
  }
};

describe("state.postgres.url", () => {
  it("refuses a literal URL holding a password, saying how to pass it instead", () => {
    const advice = "holds a password: never write it in the config; pass the URL as { env: NAME } (an environment variable) or { file: PATH } (a mounted secret)";
    expect(refusal("postgres://wiam:FAKE-password-EXAMPLE@db.internal:5432/wiam")).toBe(`config wiam.yaml: state.postgres.url: ${advice}`);
    expect(refusal("postgresql://wiam@db.internal/wiam?password=FAKE-EXAMPLE")).toBe(`config wiam.yaml: state.postgres.url: ${advice}`);
  });

  it("accepts a literal URL without a password, and names a wrong scheme or reference", () => {
    expect(refusal("postgres://wiam@db.internal:5432/wiam")).toBe("accepted");
    expect(refusal("mysql://wiam@db.internal/wiam")).toBe("config wiam.yaml: state.postgres.url: must be a postgres:// or postgresql:// URL");
    expect(refusal({ env: "WIAM STATE" })).toMatch(/^config wiam\.yaml: state\.postgres\.url/);
  });

  it("reads the URL from an environment variable or a file, dropping TLS parameters the tls setting owns", () => {
    const fromEnv = postgresConfigSchema.parse({ url: { env: "WIAM_STATE_URL" } });
    expect(resolvePostgresUrl(fromEnv, { WIAM_STATE_URL: "postgres://wiam:FAKE-EXAMPLE@db.internal:5432/wiam?sslmode=disable&application_name=x" })).toBe(
      "postgres://wiam:FAKE-EXAMPLE@db.internal:5432/wiam?application_name=x",
    );
    expect(() => resolvePostgresUrl(fromEnv, {})).toThrow("state.postgres.url: environment variable WIAM_STATE_URL is not set or empty");
    const dir = mkdtempSync(join(tmpdir(), "wiam-state-url-"));
    const file = join(dir, "url");
    writeFileSync(file, "postgres://wiam:FAKE-EXAMPLE@db.internal/wiam\n", { mode: 0o600 });
    expect(resolvePostgresUrl(postgresConfigSchema.parse({ url: { file } }), {})).toBe("postgres://wiam:FAKE-EXAMPLE@db.internal/wiam");
    expect(() => resolvePostgresUrl(postgresConfigSchema.parse({ url: { file: join(dir, "absent") } }), {})).toThrow(`state.postgres.url: cannot read ${join(dir, "absent")} (ENOENT)`);
    writeFileSync(file, "https://db.internal/\n");
    expect(() => resolvePostgresUrl(postgresConfigSchema.parse({ url: { file } }), {})).toThrow("state.postgres.url: the value read is a https URL, not postgres://");
  });
});

describe("state.postgres.tls default", () => {
  it("treats only loopback addresses and unix sockets as loopback (TLS off by default there), never a name that starts with 127.", () => {
    expect(isLoopbackHost("postgres://wiam@127.0.0.1:5432/wiam")).toBe(true);
    expect(isLoopbackHost("postgres://wiam@127.10.0.2/wiam")).toBe(true);
    expect(isLoopbackHost("postgres://wiam@[::1]:5432/wiam")).toBe(true);
    expect(isLoopbackHost("postgres://wiam@localhost/wiam")).toBe(true);
    expect(isLoopbackHost("postgres://wiam@localhost/wiam?host=/var/run/postgresql")).toBe(true);
    expect(isLoopbackHost("postgres://wiam@127.db.example.com/wiam")).toBe(false);
    expect(isLoopbackHost("postgres://wiam@db.internal/wiam")).toBe(false);
    expect(isLoopbackHost("postgres://wiam@10.0.0.7/wiam")).toBe(false);
  });
});
