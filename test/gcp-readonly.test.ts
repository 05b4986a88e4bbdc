/**
 * Read-only by construction: only reads.ts calls Google APIs, every call it makes is a
 * list/get/search/getIamPolicy/query, the one POST besides getIamPolicy is generateAccessToken
 * for our own read-only account, and no file in the connector calls a mutating method. On the
 * wire, a guard on every auth client refuses anything else before it is sent.
 */
import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Impersonated, JWT, OAuth2Client } from "google-auth-library";
import { afterEach, describe, expect, test } from "vitest";
import { GcpCallRunner } from "../src/providers/gcp/calls.js";
import { createGcpClients, resolveEndpoints, resolveRegionalSecretEndpoints } from "../src/providers/gcp/clients.js";
import { GCP_READ_APIS } from "../src/providers/gcp/reads.js";
import { applicationDefaultCredentials, GcpSessionManager, IAM_SCOPE, sourceScope, type GcpSession } from "../src/providers/gcp/sessions.js";
import { guardReadOnly, writeRefusal } from "../src/providers/gcp/read-guard.js";
import { endpointsOf, fakeAdcCredentials, instantRetry } from "./fakes/gcp/harness.js";
import { FakeGcpServer } from "./fakes/gcp/server.js";
import { smallEstate } from "./fakes/gcp/small-estate.js";

const FOLDER = join(import.meta.dirname, "../src/providers/gcp");
const files = (readdirSync(FOLDER, { recursive: true }) as string[]).filter((name) => name.endsWith(".ts"));
const source = (name: string) => readFileSync(join(FOLDER, name), "utf8");
const GOOGLE_PACKAGE = /from\s+["'](@google-cloud\/[^"']+|@googleapis\/[^"']+|google-auth-library|google-gax|googleapis-common|googleapis)["']/g;

describe("the Google Cloud connector is read-only by construction", () => {
  test("only clients.ts (construction) and sessions.ts (credentials) import Google packages, and none dynamically", () => {
    const importing = files.filter((name) => [...source(name).matchAll(GOOGLE_PACKAGE)].some((match) => !/^import type/.test(match.input.slice(source(name).lastIndexOf("\n", match.index) + 1))));
    expect(importing.sort()).toEqual(["clients.ts", "sessions.ts"]);
    // The wire guard needs only the auth client's type.
    expect(source("read-guard.ts")).toMatch(/^import type \{ AuthClient \} from "google-auth-library";$/m);
    for (const name of files) expect(source(name)).not.toMatch(/import\s*\(\s*["'](@google|google)|require\s*\(/);
  });

  test("every client method reads.ts calls is on the read allowlist", () => {
    // A regional client is picked by location first (`secretManagerAt(location).listSecrets`): the call is the method after it.
    const calls = [...source("reads.ts").matchAll(/this\.clients\.([\w.]+)\((?:location\)\.(\w+)\()?/g)].map((match) => (match[2] ? `${match[1] ?? ""}().${match[2]}` : (match[1] ?? "")));
    const methods = calls.map((call) => call.slice(call.lastIndexOf(".") + 1));
    for (const method of methods) expect(method).toMatch(/^(list\w*|get\w*|search\w*|lookup|request)$/);
    expect([...new Set(calls)].sort()).toEqual([
      "authClient.request",
      "denyPolicies.getPolicy",
      "denyPolicies.listPolicies",
      "boundaryPolicies.listPrincipalAccessBoundaryPolicies",
      "cloudIdentity.groups.list",
      "cloudIdentity.groups.lookup",
      "cloudIdentity.groups.memberships.list",
      "kms.listCryptoKeys",
      "kms.listKeyRings",
      "secretManager.getIamPolicy",
      "secretManager.listSecrets",
      "secretManagerAt().getIamPolicy",
      "secretManagerAt().listSecrets",
      "storage.buckets.getIamPolicy",
      "storage.buckets.list",
      "storage.managedFolders.getIamPolicy",
      "storage.managedFolders.list",
      "folders.getFolder",
      "folders.getIamPolicy",
      "folders.listFolders",
      "iamV1.organizations.roles.get",
      "iamV1.projects.locations.workloadIdentityPools.list",
      "iamV1.projects.locations.workloadIdentityPools.providers.list",
      "iamV1.projects.roles.get",
      "iamV1.projects.serviceAccounts.getIamPolicy",
      "iamV1.projects.serviceAccounts.keys.list",
      "iamV1.projects.serviceAccounts.list",
      "iamV1.roles.get",
      "organizations.getIamPolicy",
      "organizations.getOrganization",
      "policyBindings.listPolicyBindings",
      "projects.getIamPolicy",
      "projects.getProject",
      "projects.listProjects",
    ].sort());
    // The raw requests (Policy Analyzer, KMS locations and IAM policies) are GETs; only Logging's listing is a POST.
    const rawMethods = [...source("reads.ts").matchAll(/authClient\.request\(\{\s*url[^,]*,\s*method: "(\w+)"/g)].map((match) => match[1]);
    expect(rawMethods.sort()).toEqual(["GET", "GET", "GET", "POST"]);
  });

  test("no file calls a mutating method on anything", () => {
    const mutating = /\.(set|create|delete|patch|update|undelete|enable|disable|move|upload|sign|testIam|import|insert|remove)(?:[A-Z]\w*)?\s*\(/g;
    const found = files.flatMap((name) =>
      [...source(name).matchAll(mutating)]
        .map((match) => `${name}: ${match[0]}`)
        // Local bookkeeping: Map/Set methods, abort listeners, giving the token holder its minted token,
        // and the provider module building the connector itself.
        .filter(
          (hit) =>
            !/\.(set|delete)\s*\($/.test(hit) &&
            !hit.endsWith(".setCredentials(") &&
            !hit.endsWith(".removeEventListener(") &&
            hit !== "module.ts: .createGcpConnector(",
        ),
    );
    expect(found).toEqual([]);
  });

  test("impersonation only mints an access token for the configured account", () => {
    const sessions = source("sessions.ts");
    const mintingCalls = [...sessions.matchAll(/minting\.(\w+)/g)].map((match) => match[1]);
    expect([...new Set(mintingCalls)].sort()).toEqual(["credentials", "getAccessToken"]);
    expect(sessions).not.toMatch(/\.(sign|signBlob|signJwt|generateIdToken|fetchIdToken)\s*\(/);
  });

  test("the permissions the connector needs are reads only", () => {
    const permissions = Object.values(GCP_READ_APIS).map((entry) => entry.permission).sort();
    for (const permission of permissions) expect(permission).toMatch(/\.(get|list|getIamPolicy|query|getAccessToken)$/);
    expect(permissions).toEqual([
      "iam.denypolicies.get",
      "iam.denypolicies.list",
      "iam.policybindings.list",
      "iam.principalaccessboundarypolicies.list",
      "iam.roles.get",
      "iam.serviceAccountKeys.list",
      "iam.serviceAccounts.getAccessToken",
      "iam.serviceAccounts.getIamPolicy",
      "iam.serviceAccounts.list",
      "iam.workloadIdentityPoolProviders.list",
      "iam.workloadIdentityPools.list",
      "cloudkms.cryptoKeys.getIamPolicy",
      "cloudkms.cryptoKeys.list",
      "cloudkms.keyRings.getIamPolicy",
      "cloudkms.keyRings.list",
      "cloudkms.locations.list",
      "logging.logEntries.list",
      "logging.privateLogEntries.list",
      "policyanalyzer.serviceAccountKeyLastAuthenticationActivities.query",
      "policyanalyzer.serviceAccountLastAuthenticationActivities.query",
      "resourcemanager.folders.get",
      "resourcemanager.folders.getIamPolicy",
      "resourcemanager.folders.list",
      "resourcemanager.organizations.get",
      "resourcemanager.organizations.getIamPolicy",
      "resourcemanager.projects.get",
      "resourcemanager.projects.getIamPolicy",
      "resourcemanager.projects.list",
      "secretmanager.secrets.getIamPolicy",
      "secretmanager.secrets.list",
      "storage.buckets.getIamPolicy",
      "storage.buckets.list",
      "storage.managedFolders.getIamPolicy",
      "storage.managedFolders.list",
    ].sort());
    // No permission that reads a secret's value, uses a key or reads an object.
    for (const permission of permissions) expect(permission).not.toMatch(/versions\.access|useTo|decrypt|objects\.get/i);
  });
});

const READER = "wiam-reader@ops-tools-01.iam.gserviceaccount.com";
const POLICY = { bindings: [{ role: "roles/owner", members: ["user:attacker@example.com"] }] };
const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const item of open.splice(0)) await item.close();
});

async function sessionAgainstFake(impersonate: string | undefined, secretLocations: string[] = []): Promise<{ fake: FakeGcpServer; session: GcpSession; base: ReturnType<typeof fakeAdcCredentials> }> {
  const fake = await FakeGcpServer.start(smallEstate(new Date()));
  const base = fakeAdcCredentials();
  const regionalSecretManager = resolveRegionalSecretEndpoints(secretLocations, { secretManagerRegional: Object.fromEntries(secretLocations.map((location) => [location, fake.url])) });
  const manager = new GcpSessionManager({ endpoints: resolveEndpoints(endpointsOf(fake.url)), regionalSecretManager, impersonate, lifetimeSeconds: 600, now: () => new Date(), base });
  open.push(fake, { close: () => manager.endAll() });
  const runner = new GcpCallRunner({ maxAttempts: 1, callTimeoutMs: 5_000, maxConcurrency: 4, timing: instantRetry() });
  return { fake, session: await manager.session("t", runner), base };
}

describe("the wire guard refuses writes before they are sent", () => {
  for (const impersonate of [undefined, READER]) {
    test(`through the connector's own clients (${impersonate ? "impersonated token" : "application default credentials"})`, async () => {
      const { fake, session } = await sessionAgainstFake(impersonate);
      const { clients } = session;
      const refused = /refused POST .*: the Google Cloud connector is read-only/;
      await expect(clients.projects.setIamPolicy({ resource: "projects/ci-tools-01", policy: POLICY })).rejects.toThrow(refused);
      await expect(clients.organizations.setIamPolicy({ resource: "organizations/111111111111", policy: POLICY })).rejects.toThrow(refused);
      await expect(
        clients.iamV1.projects.serviceAccounts.keys.create({ name: "projects/ci-tools-01/serviceAccounts/ci-builder@ci-tools-01.iam.gserviceaccount.com", requestBody: {} }),
      ).rejects.toThrow(refused);
      await expect(clients.iamV1.projects.serviceAccounts.delete({ name: "projects/ci-tools-01/serviceAccounts/ci-builder@ci-tools-01.iam.gserviceaccount.com" })).rejects.toThrow(
        /refused DELETE .*read-only/,
      );
      await expect(clients.authClient.request({ url: `${fake.url}/v3/projects/ci-tools-01`, method: "PATCH", data: { displayName: "x" } })).rejects.toThrow(/refused PATCH/);
      expect(fake.writeAttempts).toEqual([]);
      expect(fake.requests.filter((r) => r.method !== "GET" && r.api !== "iamcredentials.generateAccessToken")).toEqual([]);

      // Reads, including the getIamPolicy POSTs, still go through the same clients.
      const [policy] = await clients.projects.getIamPolicy({ resource: "projects/ci-tools-01" });
      expect(policy.bindings?.length).toBeGreaterThan(0);
      const accountPolicy = await clients.iamV1.projects.serviceAccounts.getIamPolicy({ resource: "projects/ci-tools-01/serviceAccounts/ci-builder@ci-tools-01.iam.gserviceaccount.com" });
      expect(accountPolicy.status).toBe(200);
    });
  }

  test("secret values, key use and object data are refused before they are sent, through the real clients", async () => {
    const { fake, session } = await sessionAgainstFake(READER);
    const { clients } = session;
    await expect(clients.secretManager.accessSecretVersion({ name: "projects/prod-data-01/secrets/payments-db/versions/latest" })).rejects.toThrow(
      /refused GET .*\/v1\/projects\/prod-data-01\/secrets\/payments-db\/versions\/latest:access: the Google Cloud connector reads no secret or key material/,
    );
    await expect(
      clients.kms.decrypt({ name: "projects/prod-data-01/locations/europe-west1/keyRings/payments/cryptoKeys/ledger", ciphertext: Buffer.from("FAKE-CIPHERTEXT-EXAMPLE") }),
    ).rejects.toThrow(/refused POST .*cryptoKeys\/ledger:decrypt: the Google Cloud connector is read-only/);
    await expect(clients.storage.objects.get({ bucket: "prod-data-01-exports", object: "ledger.csv", alt: "media" })).rejects.toThrow(/refused GET .*reads no secret or key material/);
    await expect(clients.secretManager.addSecretVersion({ parent: "projects/prod-data-01/secrets/payments-db", payload: { data: Buffer.from("FAKE") } })).rejects.toThrow(/refused POST/);
    expect(fake.secretMaterialReads).toEqual([]);
    expect(fake.writeAttempts).toEqual([]);
  });

  test("the rules on the secret, key, storage and groups endpoints: their listings and IAM policies pass, nothing else they serve", () => {
    const endpoints = resolveEndpoints({ secretManager: "https://sm.example.test", kms: "https://kms.example.test", storage: "https://gcs.example.test", cloudIdentity: "https://ci.example.test" });
    const verdict = (method: string, url: string) => (writeRefusal(method, new URL(url), { endpoints, reader: READER }) === undefined ? "pass" : "refused");
    const ring = "https://kms.example.test/v1/projects/p/locations/europe-west1/keyRings/r";
    expect(
      [
        verdict("GET", "https://sm.example.test/v1/projects/p/secrets?pageSize=1000"),
        verdict("GET", "https://sm.example.test/v1/projects/123/secrets/db:getIamPolicy?options.requestedPolicyVersion=3"),
        verdict("GET", "https://kms.example.test/v1/projects/p/locations"),
        verdict("GET", "https://kms.example.test/v1/projects/p/locations/europe-west1/keyRings"),
        verdict("GET", `${ring}:getIamPolicy`),
        verdict("GET", `${ring}/cryptoKeys`),
        verdict("GET", `${ring}/cryptoKeys/k:getIamPolicy`),
        verdict("GET", "https://gcs.example.test/storage/v1/b?project=p"),
        verdict("GET", "https://gcs.example.test/storage/v1/b/exports/iam?optionsRequestedPolicyVersion=3"),
        verdict("GET", "https://ci.example.test/v1/groups:lookup?groupKey.id=ops%40example.com"),
        verdict("GET", "https://ci.example.test/v1/groups/abc/memberships?view=FULL"),
      ],
    ).toEqual(Array(11).fill("pass"));
    expect(
      [
        verdict("GET", "https://sm.example.test/v1/projects/p/secrets/db/versions/latest:access"),
        verdict("GET", "https://sm.example.test/v1/projects/p/secrets/db/versions/3:access"),
        verdict("GET", "https://sm.example.test/v1/projects/p/secrets/db/versions"),
        verdict("GET", "https://sm.example.test/v1/projects/p/secrets/db"),
        verdict("POST", `${ring}/cryptoKeys/k:decrypt`),
        verdict("POST", `${ring}/cryptoKeys/k/cryptoKeyVersions/1:asymmetricDecrypt`),
        verdict("GET", `${ring}/cryptoKeys/k/cryptoKeyVersions/1/publicKey`),
        verdict("GET", "https://gcs.example.test/storage/v1/b/exports/o/ledger.csv?alt=media"),
        verdict("GET", "https://gcs.example.test/storage/v1/b/exports/o"),
        verdict("GET", "https://gcs.example.test/download/storage/v1/b/exports/o/ledger.csv"),
        verdict("GET", "https://ci.example.test/v1/devices"),
        // Secret material is refused on any host, even one that serves other reads.
        verdict("GET", "https://iam.googleapis.com/v1/projects/p/secrets/db/versions/latest:access"),
      ],
    ).toEqual(Array(12).fill("refused"));
  });

  test("regional Secret Manager: each configured location's own endpoint passes its listing and IAM policies only; no version payload, no other location, no unconfigured region", () => {
    const endpoints = resolveEndpoints({});
    const regionalSecretManager = resolveRegionalSecretEndpoints(["europe-west1", "us"], {});
    expect([...regionalSecretManager]).toEqual([
      ["europe-west1", "https://secretmanager.europe-west1.rep.googleapis.com"],
      ["us", "https://secretmanager.us.rep.googleapis.com"],
    ]);
    const verdict = (url: string) => (writeRefusal("GET", new URL(url), { endpoints, regionalSecretManager, reader: READER }) === undefined ? "pass" : "refused");
    const eu = "https://secretmanager.europe-west1.rep.googleapis.com/v1/projects";
    expect(
      [
        verdict(`${eu}/ci-tools-01/locations/europe-west1/secrets?pageSize=1000`),
        verdict(`${eu}/500000000002/locations/europe-west1/secrets/eu-token:getIamPolicy?options.requestedPolicyVersion=3`),
        verdict("https://secretmanager.us.rep.googleapis.com/v1/projects/p/locations/us/secrets"),
      ],
    ).toEqual(["pass", "pass", "pass"]);
    expect(
      [
        verdict(`${eu}/p/locations/europe-west1/secrets/eu-token/versions/latest:access`),
        verdict(`${eu}/p/locations/europe-west1/secrets/eu-token/versions/1%3Aaccess`),
        verdict(`${eu}/p/locations/europe-west1/secrets/eu-token/versions`),
        verdict(`${eu}/p/locations/europe-west1/secrets/eu-token`),
        // Another location's secrets on this location's endpoint, and a region nobody configured.
        verdict(`${eu}/p/locations/us-east4/secrets`),
        verdict("https://secretmanager.us-east4.rep.googleapis.com/v1/projects/p/locations/us-east4/secrets"),
        verdict("https://secretmanager.us-east4.rep.googleapis.com/v1/projects/p/locations/us-east4/secrets/t/versions/latest:access"),
      ],
    ).toEqual(Array(7).fill("refused"));
  });

  test("managed folders: the bucket's listing and each folder's IAM policy pass, a segment starting with '.' too; the folder itself, objects and '.'/'..' segments do not", () => {
    const endpoints = resolveEndpoints({ storage: "https://gcs.example.test" });
    const verdict = (url: string) => (writeRefusal("GET", new URL(url), { endpoints, reader: READER }) === undefined ? "pass" : "refused");
    const bucket = "https://gcs.example.test/storage/v1/b/ci-tools-01-artifacts";
    const folderPolicy = (encodedName: string) => verdict(`${bucket}/managedFolders/${encodedName}/iam`);
    const passing = {
      listing: verdict(`${bucket}/managedFolders?pageSize=1000`),
      "releases/": folderPolicy("releases%2F"),
      "releases/signed/ (v3)": verdict(`${bucket}/managedFolders/releases%2Fsigned%2F/iam?optionsRequestedPolicyVersion=3`),
      ".cache/": folderPolicy(".cache%2F"),
      "a/.b/": folderPolicy("a%2F.b%2F"),
      ".well-known/": folderPolicy(".well-known%2F"),
      ".NOT_FOUND/": folderPolicy(".NOT_FOUND%2F"),
      ".../": folderPolicy("...%2F"),
      "..a/": folderPolicy("..a%2F"),
      ".cache (no trailing /)": folderPolicy(".cache"),
    };
    expect(passing).toEqual(Object.fromEntries(Object.keys(passing).map((name) => [name, "pass"])));
    const refused = {
      "the folder itself": verdict(`${bucket}/managedFolders/releases%2F`),
      "../o/ledger.csv": folderPolicy("..%2Fo%2Fledger.csv"),
      "releases/../../o": folderPolicy("releases%2F..%2F..%2Fo"),
      "../": folderPolicy("..%2F"),
      "./": folderPolicy(".%2F"),
      "a/../": folderPolicy("a%2F..%2F"),
      "a/./": folderPolicy("a%2F.%2F"),
      "a/..": folderPolicy("a%2F.."),
      "%2E%2E%2F": folderPolicy("%2E%2E%2F"),
      "%2e%2E%2f": folderPolicy("%2e%2E%2f"),
      ".%2E/": folderPolicy(".%2E%2F"),
      "a%2F%2E%2F": folderPolicy("a%2F%2E%2F"),
      "object data": verdict(`${bucket}/o/releases%2Fapp.tar`),
    };
    expect(refused).toEqual(Object.fromEntries(Object.keys(refused).map((name) => [name, "refused"])));
  });

  test("a regional secret's payload is refused before it is sent, through the real client at Google's regional host and against the fake", async () => {
    const client = new OAuth2Client();
    client.setCredentials({ access_token: "FAKE-TOKEN-EXAMPLE", expiry_date: Date.now() + 3_600_000 });
    const regional = resolveRegionalSecretEndpoints(["europe-west1"], {});
    guardReadOnly(client, { endpoints: resolveEndpoints({}), regionalSecretManager: regional, reader: undefined });
    const clients = createGcpClients(client, resolveEndpoints({}), regional);
    open.push({ close: () => clients.close() });
    await expect(clients.secretManagerAt("europe-west1").accessSecretVersion({ name: "projects/ci-tools-01/locations/europe-west1/secrets/eu-token/versions/latest" })).rejects.toThrow(
      "refused GET https://secretmanager.europe-west1.rep.googleapis.com/v1/projects/ci-tools-01/locations/europe-west1/secrets/eu-token/versions/latest:access: the Google Cloud connector reads no secret or key material",
    );
    expect(() => clients.secretManagerAt("us-east4")).toThrow("Secret Manager location us-east4 is not configured (secretManagerLocations)");

    const { fake, session } = await sessionAgainstFake(READER, ["europe-west1"]);
    await expect(session.clients.secretManagerAt("europe-west1").accessSecretVersion({ name: "projects/ci-tools-01/locations/europe-west1/secrets/eu-token/versions/3" })).rejects.toThrow(
      /refused GET .*\/locations\/europe-west1\/secrets\/eu-token\/versions\/3:access: the Google Cloud connector reads no secret or key material/,
    );
    await expect(session.clients.secretManagerAt("europe-west1").getSecret({ name: "projects/ci-tools-01/locations/europe-west1/secrets/eu-token" })).rejects.toThrow(/refused GET/);
    expect(fake.secretMaterialReads).toEqual([]);
    // Only the task's token was minted; nothing reached a Secret Manager path.
    expect(fake.requests.map((request) => request.api)).toEqual(["iamcredentials.generateAccessToken"]);
  });

  test("GETs go only to the configured endpoints on Google's hosts, and on an endpoint shared by every API a guarded service's paths pass only its allowlist", () => {
    const defaults = resolveEndpoints({});
    const verdict = (endpoints: ReturnType<typeof resolveEndpoints>, url: string) => (writeRefusal("GET", new URL(url), { endpoints, reader: READER }) === undefined ? "pass" : "refused");
    expect(
      [
        // A bucket's own host, the browser download host, API key strings, a service no one configured.
        verdict(defaults, "https://prod-data-01-exports.storage.googleapis.com/ledger.csv"),
        verdict(defaults, "https://storage.cloud.google.com/prod-data-01-exports/ledger.csv"),
        verdict(defaults, "https://apikeys.googleapis.com/v2/projects/p/locations/global/keys/k/keyString"),
        verdict(defaults, "https://bigquery.googleapis.com/bigquery/v2/projects/p/datasets"),
      ],
    ).toEqual(Array(4).fill("refused"));
    // A fully qualified name (trailing dot) is the same host; a public IP literal may be any Google front end.
    const unknownHosts = {
      "storage.googleapis.com. (XML API object)": verdict(defaults, "https://storage.googleapis.com./prod-data-01-exports/ledger.csv"),
      "storage.googleapis.com.. (XML API object)": verdict(defaults, "https://storage.googleapis.com../prod-data-01-exports/ledger.csv"),
      "a bucket's host, fully qualified": verdict(defaults, "https://prod-data-01-exports.storage.googleapis.com./ledger.csv"),
      "IPv4 literal": verdict(defaults, "https://142.250.74.91/prod-data-01-exports/ledger.csv"),
      "IPv4 literal, integer form": verdict(defaults, "https://2398767707/prod-data-01-exports/ledger.csv"),
      "IPv6 literal": verdict(defaults, "https://[2a00:1450:4001:80b::201b]/prod-data-01-exports/ledger.csv"),
      "IPv4-mapped IPv6 literal": verdict(defaults, "https://[::ffff:142.250.74.91]/prod-data-01-exports/ledger.csv"),
      "configured storage endpoint, fully qualified, object data": verdict(defaults, "https://storage.googleapis.com./storage/v1/b/prod-data-01-exports/o/ledger.csv"),
      "configured storage endpoint, fully qualified, the bucket": verdict(defaults, "https://storage.googleapis.com./storage/v1/b/prod-data-01-exports"),
    };
    expect(unknownHosts).toEqual(Object.fromEntries(Object.keys(unknownHosts).map((name) => [name, "refused"])));
    // The configured endpoint's reads pass under its fully qualified name too; so does a configured IP endpoint.
    expect([
      verdict(defaults, "https://storage.googleapis.com./storage/v1/b/prod-data-01-exports/iam"),
      verdict(resolveEndpoints({ storage: "https://142.250.74.91" }), "https://142.250.74.91/storage/v1/b/prod-data-01-exports/iam"),
      verdict(resolveEndpoints({ storage: "https://142.250.74.91" }), "https://142.250.74.91/prod-data-01-exports/ledger.csv"),
    ]).toEqual(["pass", "pass", "refused"]);
    // Credential sources are not Google API hosts: a metadata server, a workload identity provider's URL (private, loopback, link-local).
    const credentialSources = {
      "GCE metadata server": verdict(defaults, "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token"),
      "GCE metadata server, fully qualified": verdict(defaults, "http://metadata.google.internal./computeMetadata/v1/instance/service-accounts/default/token"),
      "instance metadata (IPv4 link-local)": verdict(defaults, "http://169.254.169.254/latest/meta-data/iam/security-credentials/"),
      "ECS task credentials": verdict(defaults, "http://169.254.170.2/v2/credentials/FAKE-EXAMPLE"),
      "instance metadata (IPv6)": verdict(defaults, "http://[fd00:ec2::254]/latest/meta-data/iam/security-credentials/"),
      "a local token server": verdict(defaults, "http://127.0.0.1:8089/token"),
      "a private token server": verdict(defaults, "https://10.20.30.40/oidc/token"),
    };
    expect(credentialSources).toEqual(Object.fromEntries(Object.keys(credentialSources).map((name) => [name, "pass"])));
    const proxy = "https://gateway.example.test";
    const shared = resolveEndpoints(Object.fromEntries(Object.keys(defaults).map((service) => [service, proxy])));
    expect(
      [
        verdict(shared, `${proxy}/v3/projects/ci-tools-01:getIamPolicy`),
        verdict(shared, `${proxy}/v1/projects/p/serviceAccounts`),
        verdict(shared, `${proxy}/v1/projects/p/secrets`),
        verdict(shared, `${proxy}/storage/v1/b/exports/iam`),
      ],
    ).toEqual(Array(4).fill("pass"));
    expect(
      [
        verdict(shared, `${proxy}/v1/projects/p/secrets/db`),
        verdict(shared, `${proxy}/v1/projects/p/secrets/db/versions`),
        verdict(shared, `${proxy}/v1/projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1/publicKey`),
        verdict(shared, `${proxy}/storage/v1/b/exports`),
        verdict(shared, `${proxy}/v1/devices`),
      ],
    ).toEqual(Array(5).fill("refused"));
  });

  test("through a guarded auth client, a fully qualified Google host and a public IP literal are refused before anything is sent", async () => {
    const client = new OAuth2Client();
    client.setCredentials({ access_token: "FAKE-TOKEN-EXAMPLE", expiry_date: Date.now() + 3_600_000 });
    guardReadOnly(client, { endpoints: resolveEndpoints({}), reader: undefined });
    await expect(client.request({ url: "https://storage.googleapis.com./prod-data-01-exports/ledger.csv" })).rejects.toThrow(
      "refused GET https://storage.googleapis.com/prod-data-01-exports/ledger.csv: the Google Cloud connector reads no secret or key material",
    );
    await expect(client.request({ url: "https://142.250.74.91/prod-data-01-exports/ledger.csv" })).rejects.toThrow(
      "refused GET https://142.250.74.91/prod-data-01-exports/ledger.csv: not an endpoint the Google Cloud connector reads",
    );
  });

  test("a redirect from a read that passes is not followed: the guard checked the first URL only", async () => {
    let redirectedTo = 0;
    const server = createServer((request, response) => {
      if (request.url?.startsWith("/storage/v1/b?")) {
        response.writeHead(302, { location: "/storage/v1/b/exports/o/ledger.csv?alt=media" }).end();
        return;
      }
      redirectedTo++;
      response.writeHead(200, { "content-type": "text/csv" }).end("FAKE,EXAMPLE\n");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const client = new OAuth2Client();
      client.setCredentials({ access_token: "FAKE-TOKEN-EXAMPLE", expiry_date: Date.now() + 3_600_000 });
      guardReadOnly(client, { endpoints: resolveEndpoints({ storage: base }), reader: undefined });
      await expect(client.request({ url: `${base}/storage/v1/b?project=p` })).rejects.toThrow();
      expect(redirectedTo).toBe(0);
    } finally {
      server.close();
    }
  });

  test("generateAccessToken is refused for any account but the configured reader", async () => {
    const { fake, base } = await sessionAgainstFake(READER);
    const other = new Impersonated({ sourceClient: base.authClient, targetPrincipal: "prod-deployer@prod-data-01.iam.gserviceaccount.com", targetScopes: [IAM_SCOPE], delegates: [], lifetime: 600, endpoint: fake.url });
    await expect(other.getAccessToken()).rejects.toThrow(/refused POST .*prod-deployer@prod-data-01\.iam\.gserviceaccount\.com:generateAccessToken/);
    expect(fake.tokenCalls.map((call) => call.serviceAccount)).toEqual([READER]);
  });

  test("the rules: GETs, getIamPolicy, the reader's token and OAuth token exchanges pass; nothing else", () => {
    const api = "https://iam.example.test";
    const rules = { endpoints: resolveEndpoints({ resourceManager: "https://crm.example.test", iam: api, iamCredentials: "https://creds.example.test", policyAnalyzer: "https://pa.example.test" }), reader: READER };
    const verdict = (method: string, url: string) => (writeRefusal(method, new URL(url), rules) === undefined ? "pass" : "refused");
    expect(
      [
        verdict("GET", "https://pa.example.test/v1/projects/p/locations/global/activityTypes/serviceAccountLastAuthentication/activities:query"),
        verdict("POST", "https://crm.example.test/v3/folders/123:getIamPolicy"),
        verdict("POST", `${api}/v1/projects/p/serviceAccounts/a@p.iam.gserviceaccount.com:getIamPolicy`),
        verdict("POST", `https://creds.example.test/v1/projects/-/serviceAccounts/${encodeURIComponent(READER)}:generateAccessToken`),
        verdict("POST", "https://oauth2.googleapis.com/token"),
        verdict("POST", "https://sts.googleapis.com/v1/token"),
      ],
    ).toEqual(["pass", "pass", "pass", "pass", "pass", "pass"]);
    expect(
      [
        verdict("POST", "https://crm.example.test/v3/projects/p:setIamPolicy"),
        verdict("POST", `${api}/v1/projects/p/serviceAccounts/a@p.iam.gserviceaccount.com:getIamPolicy/x`),
        verdict("POST", `https://creds.example.test/v1/projects/-/serviceAccounts/${READER}:signBlob`),
        verdict("POST", "https://creds.example.test/v1/projects/-/serviceAccounts/other@p.iam.gserviceaccount.com:generateAccessToken"),
        verdict("POST", "https://pa.example.test/v1/projects/p/locations/global/activityTypes/x/activities:query"),
        verdict("POST", "https://cloudresourcemanager.googleapis.com/v3/projects/p:setIamPolicy"),
        verdict("PUT", "https://oauth2.googleapis.com/token"),
        verdict("PATCH", "https://crm.example.test/v3/projects/p"),
        verdict("DELETE", `${api}/v1/projects/p/serviceAccounts/a@p.iam.gserviceaccount.com`),
      ],
    ).toEqual(Array(9).fill("refused"));
  });
});

describe("the source credentials of impersonation ask only for the IAM scope; direct ones only for the read-only scopes", () => {
  test("application default credentials from a key file carry the iam scope when impersonating, read-only otherwise", async () => {
    const folder = mkdtempSync(join(tmpdir(), "wiam-gcp-adc-"));
    const keyFile = join(folder, "FAKE-key.json");
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(
      keyFile,
      JSON.stringify({
        type: "service_account",
        project_id: "fake-project-example",
        private_key_id: "fa4e000000000000000000000000000000000001",
        private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        client_email: "wiam-operator@fake-project-example.iam.gserviceaccount.com",
        client_id: "100000000000000000001",
      }),
    );
    const previous = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.GOOGLE_APPLICATION_CREDENTIALS = keyFile;
    try {
      expect(sourceScope(true)).toEqual(["https://www.googleapis.com/auth/iam"]);
      const impersonating = await applicationDefaultCredentials(sourceScope(true));
      expect(impersonating.account).toBe("wiam-operator@fake-project-example.iam.gserviceaccount.com");
      expect(impersonating.authClient).toBeInstanceOf(JWT);
      expect((impersonating.authClient as JWT).scopes).toEqual(["https://www.googleapis.com/auth/iam"]);
      const direct = await applicationDefaultCredentials(sourceScope(false));
      expect((direct.authClient as JWT).scopes).toEqual(["https://www.googleapis.com/auth/cloud-platform.read-only", "https://www.googleapis.com/auth/cloud-identity.groups.readonly"]);
    } finally {
      if (previous === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      else process.env.GOOGLE_APPLICATION_CREDENTIALS = previous;
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
