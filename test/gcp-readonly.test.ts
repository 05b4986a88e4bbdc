/**
 * Read-only by construction: only reads.ts calls Google APIs, every call it makes is a
 * list/get/search/getIamPolicy/query, the one POST besides getIamPolicy is generateAccessToken
 * for our own read-only account, and no file in the connector calls a mutating method.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { GCP_READ_APIS } from "../src/connectors/gcp/reads.js";

const FOLDER = join(import.meta.dirname, "../src/connectors/gcp");
const files = readdirSync(FOLDER).filter((name) => name.endsWith(".ts"));
const source = (name: string) => readFileSync(join(FOLDER, name), "utf8");
const GOOGLE_PACKAGE = /from\s+["'](@google-cloud\/[^"']+|@googleapis\/[^"']+|google-auth-library|google-gax|googleapis-common|googleapis)["']/g;

describe("the Google Cloud connector is read-only by construction", () => {
  test("only clients.ts (construction) and sessions.ts (credentials) import Google packages, and none dynamically", () => {
    const importing = files.filter((name) => [...source(name).matchAll(GOOGLE_PACKAGE)].some((match) => !/^import type/.test(match.input.slice(source(name).lastIndexOf("\n", match.index) + 1))));
    expect(importing.sort()).toEqual(["clients.ts", "sessions.ts"]);
    for (const name of files) expect(source(name)).not.toMatch(/import\s*\(\s*["'](@google|google)|require\s*\(/);
  });

  test("every client method reads.ts calls is on the read allowlist", () => {
    const calls = [...source("reads.ts").matchAll(/this\.clients\.([\w.]+)\(/g)].map((match) => match[1] ?? "");
    const methods = calls.map((call) => call.slice(call.lastIndexOf(".") + 1));
    for (const method of methods) expect(method).toMatch(/^(list\w*|get\w*|search\w*|request)$/);
    expect([...new Set(calls)].sort()).toEqual([
      "authClient.request",
      "denyPolicies.getPolicy",
      "denyPolicies.listPolicies",
      "boundaryPolicies.listPrincipalAccessBoundaryPolicies",
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
    // The raw Policy Analyzer request is a GET.
    expect(source("reads.ts")).toMatch(/authClient\.request\(\{\s*url,\s*method: "GET",/);
  });

  test("no file calls a mutating method on anything", () => {
    const mutating = /\.(set|create|delete|patch|update|undelete|enable|disable|move|upload|sign|testIam|import|insert|remove)(?:[A-Z]\w*)?\s*\(/g;
    const found = files.flatMap((name) =>
      [...source(name).matchAll(mutating)]
        .map((match) => `${name}: ${match[0]}`)
        // Local bookkeeping: Map/Set methods, abort listeners, and giving the token holder its minted token.
        .filter((hit) => !/\.(set|delete)\s*\($/.test(hit) && !hit.endsWith(".setCredentials(") && !hit.endsWith(".removeEventListener(")),
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
    ]);
  });
});
