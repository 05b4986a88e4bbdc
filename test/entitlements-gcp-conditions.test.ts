/**
 * Google IAM conditions on the resource, decided when the question names one: `resource.name`
 * (id or project-number form, as Secret Manager writes it), `resource.type`, `resource.service`.
 * https://cloud.google.com/iam/docs/conditions-attribute-reference#resource
 */
import { describe, expect, it } from "vitest";
import { entitlementAnswerSchema, explainEntitlementPaths } from "../src/analysis/entitlements/index.js";
import type { EntitlementAnswer } from "../src/analysis/entitlements/index.js";
import type { Inventory } from "../src/model/inventory-index.js";
import { decideResourceExpression, namedResource } from "../src/providers/gcp/access/resource-conditions.js";
import { allow, estate, grant, policy, principal, scope } from "./fixtures/iam-estate.js";

const DEV = "user:dev@example.com";
const ACCESS = "secretmanager.versions.access";
const DB = "projects/p1/secrets/db";
const API = "projects/p1/secrets/api";

function build(condition: string): Inventory {
  return estate({
    scopes: [scope("organizations/1", "organization", "gcp"), scope("projects/p1", "project", "gcp", "organizations/1", { projectNumber: "4242" })],
    principals: [principal(DEV, "gcp", "user", "organizations/1", { email: "dev@example.com" })],
    policies: [policy("roles/secretmanager.secretAccessor", "gcp", "role", [allow("permissions", [ACCESS])])],
    grants: [grant("b1", "gcp", "binding", DEV, "roles/secretmanager.secretAccessor", "projects/p1", [{ title: "db only", expression: condition }])],
  });
}

function ask(inventory: Inventory, query: Parameters<typeof explainEntitlementPaths>[1]): EntitlementAnswer {
  const answer = explainEntitlementPaths(inventory, query);
  expect(entitlementAnswerSchema.parse(answer)).toEqual(answer);
  return answer;
}

describe("GCP conditions on the resource", () => {
  it("resource.name.startsWith with the project number: allowed on the named secret, no path on another", () => {
    const inventory = build("resource.name.startsWith('projects/4242/secrets/db')");
    expect(ask(inventory, { principal: DEV, action: ACCESS, resource: DB }).paths.map((p) => [p.outcome, p.openConditions])).toEqual([["allowed", undefined]]);
    expect(ask(inventory, { principal: DEV, action: ACCESS, resource: API }).paths).toEqual([]);
  });

  it("resource.type and resource.name joined by &&; request-time attributes stay open", () => {
    const typed = build("resource.type == 'secretmanager.googleapis.com/Secret' && resource.name == 'projects/p1/secrets/db'");
    expect(ask(typed, { principal: DEV, action: ACCESS, resource: DB }).paths.map((p) => p.outcome)).toEqual(["allowed"]);
    const timed = build("request.time < timestamp('2027-01-01T00:00:00Z')");
    expect(ask(timed, { principal: DEV, action: ACCESS, resource: DB }).paths.map((p) => [p.outcome, p.openConditions?.map((c) => c.expression)])).toEqual([
      ["conditional", ["request.time < timestamp('2027-01-01T00:00:00Z')"]],
    ]);
  });

  it("without a named resource, or without the project number, a name condition stays open", () => {
    const inventory = build("resource.name.startsWith('projects/4242/secrets/db')");
    expect(ask(inventory, { principal: DEV, action: ACCESS }).paths.map((p) => p.outcome)).toEqual(["conditional"]);
    expect(decideResourceExpression("resource.name.startsWith('projects/4242/secrets/db')", namedResource(API, undefined))).toBe("maybe");
    expect(decideResourceExpression("resource.name.startsWith('projects/4242/secrets/db')", namedResource(API, "4242"))).toBe("no");
    expect(decideResourceExpression("resource.service == 'storage.googleapis.com' || resource.name.endsWith('/db')", namedResource(DB, "4242"))).toBe("yes");
  });
});
