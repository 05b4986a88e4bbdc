/**
 * A throwaway certificate authority and a localhost server certificate, generated with openssl at
 * test time (nothing is committed). Key Vault's and every bearer-token client refuse plain HTTP,
 * so the fakes speak HTTPS and the clients are told to trust this CA through an https.Agent.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestTls {
  /** PEM of the test CA the clients must trust. */
  ca: string;
  /** Server certificate (SAN localhost, 127.0.0.1) and its key. */
  cert: string;
  key: string;
}

let generated: TestTls | undefined;

function openssl(directory: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: directory, stdio: "pipe" });
}

/** Generated once per process. */
export function testTls(): TestTls {
  if (generated) return generated;
  const directory = mkdtempSync(join(tmpdir(), "wiam-azure-tls-"));
  try {
    openssl(directory, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=wiam test CA FAKE", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    openssl(directory, ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]);
    writeFileSync(join(directory, "server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
    openssl(directory, ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext"]);
    generated = {
      ca: readFileSync(join(directory, "ca.pem"), "utf8"),
      cert: readFileSync(join(directory, "server.pem"), "utf8"),
      key: readFileSync(join(directory, "server.key"), "utf8"),
    };
    return generated;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
