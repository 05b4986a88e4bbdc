/**
 * Read-only by construction, three ways: (1) over the code: the SDK clients are constructed in
 * clients.ts and their methods called only in reads.ts, every method called there is an allowlisted
 * metadata read, and no source under src/providers/azure names getSecret, setSecret, begin*,
 * delete*, purge*, update* or create* client methods; (2) at the wire: the call policy refuses any
 * request that is not an allowlisted GET, including the getSecret call; (3) at the fake: a value read
 * would be answered with a failure marker and recorded (checked in every collection test).
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { SecretClient } from "@azure/keyvault-secrets";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AzureCallRunner, ReadRefusedError } from "../src/providers/azure/calls.js";
import { ALLOWED_APIS } from "../src/providers/azure/read-guard.js";
import { AzureSessionManager } from "../src/providers/azure/sessions.js";
import { instantRetry, trustingHttpClient } from "./fakes/azure/harness.js";
import { FakeAzureServer, VALUE_READ_MARKER } from "./fakes/azure/server.js";
import { READER_CLIENT_ID, READER_SECRET, TENANT, smallEstate } from "./fakes/azure/small-estate.js";

const ROOT = join(import.meta.dirname, "..");
const AZURE_SOURCES = join(ROOT, "src/providers/azure");

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs)$/.test(name) ? [path] : [];
  });
}

/** Code without comments, so documentation may name what the code must never do. */
function code(file: string): string {
  return readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
}

const SDK_PACKAGES = /["'](@azure\/(?:keyvault-[a-z]+|arm-[a-z]+|microsoft-graph-client)|@microsoft\/microsoft-graph-client)["']/;

/** The client methods reads.ts may call, and nothing else. */
const ALLOWED_METHODS = [
  "listPropertiesOfSecrets",
  "listPropertiesOfCertificates",
  "listPropertiesOfKeys",
  "getCertificatePolicy",
  "listForScope",
  "list",
  "listBySubscription",
  "byPage",
];

const FORBIDDEN_CALL = /\.(getSecret|setSecret|getSecretValue|begin\w*|delete\w*|purge\w*|update\w*|create\w*|import\w*|backup\w*|restore\w*|recover\w*|set\w*|getCertificate|getKey|getDeleted\w*|release\w*|sign|decrypt|unwrapKey)\s*\(/g;

describe("read-only by construction, over the code", () => {
  test("only clients.ts and reads.ts import value-capable SDK packages, and reads.ts imports types only", () => {
    const importers = sourceFiles(AZURE_SOURCES)
      .filter((file) => [...code(file).matchAll(/^import[^;]*from\s*(["'][^"']+["'])/gm)].some((match) => SDK_PACKAGES.test(match[1] ?? "")))
      .map((file) => relative(ROOT, file))
      .sort();
    expect(importers).toEqual(["src/providers/azure/clients.ts", "src/providers/azure/collect/subscription.ts", "src/providers/azure/collect/vault-items.ts", "src/providers/azure/reads.ts"]);
    for (const file of ["reads.ts", "collect/subscription.ts", "collect/vault-items.ts"]) {
      const sdkImports = [...code(join(AZURE_SOURCES, file)).matchAll(/^import([^;]*)from\s*(["'][^"']+["'])/gm)].filter((match) => SDK_PACKAGES.test(match[2] ?? ""));
      expect(sdkImports.every((match) => /^\s*type\s/.test(match[1] ?? "")), `${file} imports SDK values`).toBe(true);
    }
    // No dynamic import or require can smuggle a client in (module.ts lazily imports the provider's own index.ts).
    for (const file of sourceFiles(AZURE_SOURCES)) expect(code(file)).not.toMatch(/\bimport\s*\(\s*["'][^.]|\brequire\s*\(/);
  });

  test("every client method reads.ts calls is an allowlisted metadata read", () => {
    const text = code(join(AZURE_SOURCES, "reads.ts"));
    const called = [...new Set([...text.matchAll(/\.(\w+)\s*\(/g)].map((match) => match[1] as string))].sort();
    // String.replace strips a scope's leading slash; everything else is a client method.
    const clientMethods = called.filter((method) => method !== "replace");
    expect(clientMethods).toEqual(["byPage", "getCertificatePolicy", "list", "listBySubscription", "listForScope", "listPropertiesOfCertificates", "listPropertiesOfKeys", "listPropertiesOfSecrets"]);
    expect(clientMethods.every((method) => ALLOWED_METHODS.includes(method))).toBe(true);
  });

  test("no source under src/providers/azure calls a value, write, delete, purge or long-running method", () => {
    const offenders = sourceFiles(AZURE_SOURCES).flatMap((file) => [...code(file).matchAll(FORBIDDEN_CALL)].map((match) => `${relative(ROOT, file)}: ${match[0]}`));
    // Token cache bookkeeping uses Map/Set methods named set; they are not SDK calls. The provider
    // module building the connector itself is not a call on any client either.
    const sdkOffenders = offenders.filter((entry) => !/: \.set\s*\($/.test(entry) && entry !== "src/providers/azure/module.ts: .createAzureConnector(");
    expect(sdkOffenders).toEqual([]);
    // As identifiers, not as the RBAC data-action names (".../secrets/getSecret/action") the analysis needs.
    for (const file of sourceFiles(AZURE_SOURCES)) expect(code(file)).not.toMatch(/(?<![/\w])(getSecret|setSecret)(?![/\w])/);
  });

  test("the wire allowlist has no route that returns an item value", () => {
    expect(ALLOWED_APIS).toEqual([
      "keyvault:listPropertiesOfSecrets",
      "keyvault:listPropertiesOfCertificates",
      "keyvault:getCertificatePolicy",
      "keyvault:listPropertiesOfKeys",
      "authorization:roleAssignments.listForScope",
      "authorization:roleEligibilityScheduleInstances.listForScope",
      "authorization:roleDefinitions.list",
      "authorization:denyAssignments.listForScope",
      "keyvault:vaults.listBySubscription",
      "msi:userAssignedIdentities.listBySubscription",
      "insights:activityLogs.list",
      "management:managementGroups.list",
      "management:managementGroups.get",
      "graph:organization",
      "graph:applications",
      "graph:servicePrincipals",
      "graph:servicePrincipalSignInActivities",
      "graph:auditLogs.signIns",
      "graph:groups.transitiveMembers",
      "graph:groups",
      "graph:users",
      "graph:roleManagement.directory.roleDefinitions",
      "graph:roleManagement.directory.roleAssignments",
      "graph:roleManagement.directory.roleEligibilityScheduleInstances",
      "graph:servicePrincipals.appRoleAssignedTo",
    ]);
  });
});

describe("read-only at the wire", () => {
  let fake: FakeAzureServer;
  beforeAll(async () => {
    fake = await FakeAzureServer.start(smallEstate());
  });
  afterAll(async () => fake.close());

  function clientThroughCallPolicy(): SecretClient {
    const vaultUrl = fake.vaultUrl("kv-payments");
    const runner = new AzureCallRunner({
      origins: { resourceManager: fake.armUrl, graph: fake.graphUrl, vaults: new Set([vaultUrl]) },
      maxAttempts: 1,
      callTimeoutMs: 5000,
      maxConcurrency: 4,
      timing: { ...instantRetry(), sleep: async () => undefined },
    });
    const credentials = new AzureSessionManager(
      { credential: { type: "clientSecret", clientId: READER_CLIENT_ID, clientSecretEnv: "SECRET" }, authorityHost: fake.loginUrl, disableInstanceDiscovery: true, httpClient: trustingHttpClient(), environment: { SECRET: READER_SECRET } },
      () => new Date(),
    );
    return new SecretClient(vaultUrl, credentials.credentialFor("wire", TENANT), {
      httpClient: trustingHttpClient(),
      disableChallengeResourceVerification: true,
      retryOptions: { maxRetries: 0 },
      additionalPolicies: [{ policy: runner.policy(vaultUrl), position: "perCall" }],
    });
  }

  test("the call policy refuses a getSecret before it leaves the process", async () => {
    fake.resetLog();
    const client = clientThroughCallPolicy();
    // eslint-style escape hatch for the test only: this is the call the connector must never make.
    const valueRead = (client as unknown as Record<string, (name: string) => Promise<unknown>>)["get" + "Secret"];
    await expect(valueRead?.call(client, "stripe-api-key")).rejects.toBeInstanceOf(ReadRefusedError);
    expect(fake.requests).toEqual([]);
    await expect(client.setSecret("stripe-api-key", "FAKE-value")).rejects.toBeInstanceOf(ReadRefusedError);
    await expect(client.beginDeleteSecret("stripe-api-key")).rejects.toBeInstanceOf(ReadRefusedError);
    expect(fake.requests).toEqual([]);
  });

  test("without the policy, the fake answers a value read with the failure marker and records it", async () => {
    fake.resetLog();
    const client = new SecretClient(fake.vaultUrl("kv-payments"), new AzureSessionManager(
      { credential: { type: "clientSecret", clientId: READER_CLIENT_ID, clientSecretEnv: "SECRET" }, authorityHost: fake.loginUrl, disableInstanceDiscovery: true, httpClient: trustingHttpClient(), environment: { SECRET: READER_SECRET } },
      () => new Date(),
    ).credentialFor("marker", TENANT), { httpClient: trustingHttpClient(), disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } });
    const valueRead = (client as unknown as Record<string, (name: string) => Promise<unknown>>)["get" + "Secret"];
    await expect(valueRead?.call(client, "stripe-api-key")).rejects.toThrow(VALUE_READ_MARKER);
    expect(fake.violations).toEqual(["secret value read: GET /secrets/stripe-api-key"]);
  });
});
