/**
 * Principal access boundaries end to end: the real connector collects IAM v3 boundary policies and
 * their bindings from the wire-level fake, and the entitlement engine limits each bound account to
 * the resources its boundaries list (a folder covers the projects below it; a project can be named
 * by number; a binding condition on principal.type is decided).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { explainEntitlementPaths, type EntitlementQuery } from "../src/analysis/entitlements/index.js";
import { type Inventory } from "../src/model/inventory-index.js";
import { boundaryEstate, CI_ONLY, CI_ONLY_RULE, PROD_ONLY, PROD_ONLY_RULE } from "./fakes/gcp/boundary-estate.js";
import { activityDisabledIn, collectedInventory } from "./fakes/gcp/harness.js";
import type { FakeGcpServer } from "./fakes/gcp/server.js";
import { CI, CI_BUILDER, DEPLOYER, ETL, GH_DEPLOYER, GITHUB_REPO, PROD } from "./fakes/gcp/small-estate.js";

const NOW = new Date();
const ACCESS = "secretmanager.versions.access";
let fake: FakeGcpServer;
let inventory: Inventory;

beforeAll(async () => {
  // Activity that cannot be read must not make entitlement answers unknown.
  ({ fake, inventory } = await collectedInventory(boundaryEstate(NOW), NOW, activityDisabledIn("ci-tools-01")));
});
afterAll(async () => fake.close());

function paths(query: EntitlementQuery) {
  const answer = explainEntitlementPaths(inventory, query);
  return {
    paths: answer.paths.map((path) => ({
      via: path.via,
      resource: path.resource,
      outcome: path.outcome,
      ...(path.blockedBy ? { blockedBy: path.blockedBy } : {}),
    })),
    notes: answer.notes,
  };
}

describe("principal access boundaries on collected data", () => {
  test("the activity gap is collected but is not an entitlement gap", () => {
    expect(inventory.gaps.map((gap) => [gap.scopeId, gap.source])).toEqual([
      [CI, "policyanalyzer:serviceAccountLastAuthentication"],
      [CI, "policyanalyzer:serviceAccountKeyLastAuthentication"],
    ]);
  });

  test("a production account is denied a grant outside its boundary and keeps the one inside", () => {
    expect(paths({ principal: `serviceAccount:${DEPLOYER}`, action: ACCESS, resource: CI })).toEqual({
      paths: [
        {
          via: [`serviceAccount:${DEPLOYER}`],
          resource: CI,
          outcome: "denied",
          blockedBy: {
            kind: "principal_access_boundary",
            id: PROD_ONLY_RULE,
            description: `${CI} is outside the principal access boundary Production resources only (${PROD_ONLY}) bound to serviceAccount:${DEPLOYER}`,
          },
        },
      ],
      notes: [],
    });
    expect(paths({ principal: `serviceAccount:${DEPLOYER}`, action: ACCESS, resource: PROD })).toEqual({
      paths: [{ via: [`serviceAccount:${DEPLOYER}`], resource: PROD, outcome: "allowed" }],
      notes: [],
    });
  });

  test("the CI account can no longer impersonate the production deployer: its boundary keeps it in its project", () => {
    expect(paths({ principal: `serviceAccount:${CI_BUILDER}`, action: ACCESS, resource: PROD })).toEqual({
      paths: [],
      notes: ["1 pivot(s) were not followed because they are denied (missing caller permission or an explicit deny)"],
    });
    const deployerResource = `${PROD}/serviceAccounts/${DEPLOYER}`;
    const blockedBy = {
      kind: "principal_access_boundary",
      id: CI_ONLY_RULE,
      description: `${deployerResource} is outside the principal access boundary CI project only (${CI_ONLY}) bound to serviceAccount:${CI_BUILDER}`,
    };
    // The binding on the deployer, and the impersonation trust it makes, are both outside.
    expect(paths({ principal: `serviceAccount:${CI_BUILDER}`, action: "iam.serviceAccounts.getAccessToken", resource: deployerResource }).paths).toEqual([
      { via: [`serviceAccount:${CI_BUILDER}`], resource: deployerResource, outcome: "denied", blockedBy },
      { via: [`serviceAccount:${CI_BUILDER}`, `serviceAccount:${DEPLOYER}`], resource: deployerResource, outcome: "denied", blockedBy },
    ]);
    // Inside its own project it keeps what it had.
    expect(paths({ principal: `serviceAccount:${CI_BUILDER}`, action: "iam.serviceAccountKeys.create", resource: `serviceAccount:${GH_DEPLOYER}` }).paths).toEqual([
      { via: [`serviceAccount:${CI_BUILDER}`], resource: `serviceAccount:${GH_DEPLOYER}`, outcome: "allowed" },
    ]);
  });

  test("a deny policy still wins inside the boundary; the federated pool is not a service account, so the condition leaves it unbound", () => {
    expect(paths({ principal: `serviceAccount:${ETL}`, action: ACCESS, resource: PROD }).paths.map((p) => [p.outcome, p.blockedBy?.kind])).toEqual([["denied", "deny_policy"]]);
    expect(paths({ action: "iam.serviceAccounts.getAccessToken", resource: `serviceAccount:${GH_DEPLOYER}` }).paths.map((p) => [p.via, p.outcome])).toEqual([
      // Conditional: the pool's provider attribute condition bounds every path of the federated identity.
      [[GITHUB_REPO], "conditional"],
      [[GITHUB_REPO, `serviceAccount:${GH_DEPLOYER}`], "conditional"],
    ]);
  });
});
