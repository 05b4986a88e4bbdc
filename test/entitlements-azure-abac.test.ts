/**
 * Azure ABAC conditions on role assignments decided where the question decides them: the asked
 * action (ActionMatches) and the names the asked resource id spells (container name, blob path,
 * secret name); request-time attributes stay open on the path.
 * https://learn.microsoft.com/azure/role-based-access-control/conditions-format
 */
import { describe, expect, it } from "vitest";
import { entitlementAnswerSchema, explainEntitlementPaths } from "../src/analysis/entitlements/index.js";
import type { EntitlementAnswer } from "../src/analysis/entitlements/index.js";
import type { Condition } from "../src/model/inventory.js";
import { decideAbacCondition } from "../src/providers/azure/access/abac.js";
import { allow, estate, grant, policy, principal, scope } from "./fixtures/iam-estate.js";

const TENANT = "tenant-1";
const SUB = "/subscriptions/00000000-0000-0000-0000-0000000000aa";
const RG = `${SUB}/resourceGroups/rg1`;
const SA = `${RG}/providers/Microsoft.Storage/storageAccounts/sa1`;
const container = (name: string) => `${SA}/blobServices/default/containers/${name}`;
const blob = (containerName: string, path: string) => `${container(containerName)}/blobs/${path}`;
const APP = "11111111-1111-1111-1111-111111111111";
const READ_BLOB = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read";
const WRITE_BLOB = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write";
const ONLY_REPORTS = `((!(ActionMatches{'${READ_BLOB}'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'reports'))`;
const abac = (expression: string): Condition => ({ expression, title: "ABAC condition (version 2.0)" });

const blobReader = policy("/providers/Microsoft.Authorization/roleDefinitions/blob-reader", "azure", "role", [allow("dataActions", [READ_BLOB, WRITE_BLOB])]);

function build(condition: string) {
  return estate({
    scopes: [scope(TENANT, "tenant", "azure"), scope(SUB, "subscription", "azure", TENANT), scope(RG, "resource_group", "azure", SUB)],
    principals: [principal(APP, "azure", "service_principal", TENANT, { name: "reports-app" })],
    policies: [blobReader],
    grants: [grant("ra-abac", "azure", "role_assignment", APP, blobReader.id, SA, [abac(condition)])],
  });
}

function ask(condition: string, query: Parameters<typeof explainEntitlementPaths>[1]): EntitlementAnswer {
  const answer = explainEntitlementPaths(build(condition), query);
  expect(entitlementAnswerSchema.parse(answer)).toEqual(answer);
  return answer;
}

const rows = (answer: EntitlementAnswer) => answer.paths.map((p) => [p.action, p.resource, p.outcome, p.openConditions?.map((c) => c.expression) ?? []]);

describe("Azure ABAC conditions on the target's names", () => {
  it("a read in the named container holds (the condition is decided away); in another container the assignment grants nothing, and the answer says why", () => {
    expect(rows(ask(ONLY_REPORTS, { principal: APP, action: READ_BLOB, resource: blob("reports", "2026/q1.csv") }))).toEqual([[READ_BLOB, blob("reports", "2026/q1.csv"), "allowed", []]]);
    const other = ask(ONLY_REPORTS, { principal: APP, action: READ_BLOB, resource: blob("private", "keys.csv") });
    expect(other.paths).toEqual([]);
    expect(other.notes).toContain(`ra-abac: its ABAC condition excludes ${READ_BLOB} on ${blob("private", "keys.csv")}`);
    // The condition only restricts reads: a write anywhere passes its first branch.
    expect(rows(ask(ONLY_REPORTS, { principal: APP, action: WRITE_BLOB, resource: blob("private", "keys.csv") }))).toEqual([[WRITE_BLOB, blob("private", "keys.csv"), "allowed", []]]);
  });

  it("reverse: who can read a blob lists the app for the named container only", () => {
    expect(rows(ask(ONLY_REPORTS, { action: READ_BLOB, resource: blob("reports", "a.csv") })).map((r) => r[2])).toEqual(["allowed"]);
    expect(ask(ONLY_REPORTS, { action: READ_BLOB, resource: blob("private", "a.csv") }).paths).toEqual([]);
  });

  it("what the question does not decide stays open: the account as a whole, and request attributes", () => {
    expect(rows(ask(ONLY_REPORTS, { principal: APP, action: READ_BLOB, resource: SA }))).toEqual([[READ_BLOB, SA, "conditional", [ONLY_REPORTS]]]);
    const requestTime = `@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'reports' AND @Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:versionId] Exists`;
    expect(rows(ask(requestTime, { principal: APP, action: READ_BLOB, resource: blob("reports", "a.csv") }))).toEqual([[READ_BLOB, blob("reports", "a.csv"), "conditional", [requestTime]]]);
    expect(ask(requestTime, { principal: APP, action: READ_BLOB, resource: blob("private", "a.csv") }).paths).toEqual([]);
  });
});

describe("Azure Storage data actions", () => {
  it("are granted by a role's dataActions only: Owner's `*` reads no blob directly, only by assigning itself a data role", () => {
    const owner = policy("/providers/Microsoft.Authorization/roleDefinitions/owner", "azure", "role", [allow("actions", ["*"])]);
    const inventory = estate({
      scopes: [scope(TENANT, "tenant", "azure"), scope(SUB, "subscription", "azure", TENANT), scope(RG, "resource_group", "azure", SUB)],
      principals: [principal(APP, "azure", "service_principal", TENANT, { name: "reports-app" })],
      policies: [owner],
      grants: [grant("ra-owner", "azure", "role_assignment", APP, owner.id, SA)],
    });
    expect(explainEntitlementPaths(inventory, { principal: APP, action: READ_BLOB, resource: blob("reports", "a.csv") }).paths.map((p) => [p.outcome, p.privilegeEscalation])).toEqual([["allowed", true]]);
    expect(explainEntitlementPaths(inventory, { principal: APP, action: "Microsoft.Storage/storageAccounts/blobServices/containers/read", resource: container("reports") }).paths.map((p) => [p.outcome, p.privilegeEscalation])).toEqual([
      ["allowed", false],
      ["allowed", true],
    ]);
  });
});

describe("deciding an ABAC expression", () => {
  const facts = (action: string | undefined, resource: string | undefined) => ({ action, resource });
  it("blob paths, sets, NOT, && and ||, ignoring case of keywords", () => {
    const prefix = `@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path] StringStartsWith 'exports/'`;
    expect(decideAbacCondition(prefix, facts(READ_BLOB, blob("c", "exports/2026/a.csv")))).toBe("true");
    expect(decideAbacCondition(prefix, facts(READ_BLOB, blob("c", "imports/a.csv")))).toBe("false");
    expect(decideAbacCondition(prefix, facts(READ_BLOB, container("c")))).toBe("open");
    const set = `@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] ForAnyOfAnyValues:StringEquals {'a', 'b'}`;
    expect([decideAbacCondition(set, facts(undefined, blob("b", "x"))), decideAbacCondition(set, facts(undefined, blob("c", "x")))]).toEqual(["true", "false"]);
    const secret = `!(@Resource[Microsoft.KeyVault/vaults/secrets:name] StringLike 'prod-*') && (ActionMatches{'Microsoft.KeyVault/vaults/secrets/getSecret/action'})`;
    expect(decideAbacCondition(secret, facts("Microsoft.KeyVault/vaults/secrets/getSecret/action", "https://kv.vault.azure.net/secrets/dev-db"))).toBe("true");
    expect(decideAbacCondition(secret, facts("Microsoft.KeyVault/vaults/secrets/getSecret/action", "https://kv.vault.azure.net/secrets/prod-db"))).toBe("false");
    expect(decideAbacCondition(secret.replace("&&", "or"), facts(undefined, "https://kv.vault.azure.net/secrets/dev-db"))).toBe("true");
  });

  it("an expression it cannot read stays open rather than guessed", () => {
    expect(decideAbacCondition("(@Resource[x:name] StringEquals", facts(READ_BLOB, blob("c", "x")))).toBe("open");
    expect(decideAbacCondition("", facts(READ_BLOB, blob("c", "x")))).toBe("open");
  });
});
