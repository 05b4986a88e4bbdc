/**
 * The analysis tools answer unchanged on live Google Cloud data: stale accounts and keys, expiring
 * and never-expiring keys, and entitlement paths through inheritance, deny policies, conditions,
 * impersonation and federation, on a snapshot the real clients collected from the fake.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { explainEntitlementPaths, type EntitlementQuery } from "../src/analysis/entitlements/index.js";
import { findExpiringCredentials } from "../src/analysis/expiring.js";
import { findStaleServiceAccounts } from "../src/analysis/stale.js";
import { type Inventory } from "../src/model/inventory-index.js";
import { activityDisabledIn, collectedInventory } from "./fakes/gcp/harness.js";
import type { FakeGcpServer } from "./fakes/gcp/server.js";
import { CI_BUILDER, DEPLOYER, ETL, GH_DEPLOYER, GITHUB_REPO, KEY, MIGRATION, OLD_REPORTING, PROD, SANDBOX_BOT, UNUSED, smallEstate } from "./fakes/gcp/small-estate.js";

const NOW = new Date();
let fake: FakeGcpServer;
let inventory: Inventory;

beforeAll(async () => {
  ({ fake, inventory } = await collectedInventory(smallEstate(NOW), NOW, activityDisabledIn("sandbox-01")));
});
afterAll(async () => fake.close());

function paths(query: EntitlementQuery) {
  const answer = explainEntitlementPaths(inventory, query);
  return {
    paths: answer.paths.map((path) => ({
      via: path.via,
      resource: path.resource,
      outcome: path.outcome,
      ...(path.blockedBy ? { blockedBy: path.blockedBy.id } : {}),
      ...(path.openConditions ? { open: path.openConditions.map((c) => c.expression) } : {}),
    })),
    notes: answer.notes,
  };
}

describe("findings on collected data", () => {
  test("stale and never-seen accounts, unrotated keys, disabled accounts still holding keys and roles; unknown where activity was not readable", () => {
    const findings = findStaleServiceAccounts(inventory, { now: NOW, inactiveDays: 90, rotationDays: 90, neverUsedGraceDays: 7 });
    expect(findings.map((f) => ({ id: f.principal.id, severity: f.severity, reasons: f.reasons.map((r) => r.code), keys: f.credentials.map((c) => [c.id.slice(c.id.lastIndexOf("/") + 1), c.issues]) }))).toEqual([
      {
        id: `serviceAccount:${OLD_REPORTING}`,
        severity: "high",
        reasons: ["inactive", "credential_inactive", "credential_not_rotated", "disabled_with_access"],
        keys: [[KEY.oldReporting, ["credential_inactive", "credential_not_rotated"]]],
      },
      { id: `serviceAccount:${DEPLOYER}`, severity: "medium", reasons: ["credential_not_rotated"], keys: [[KEY.deployerOld, ["credential_not_rotated"]]] },
      { id: `serviceAccount:${UNUSED}`, severity: "medium", reasons: ["not_seen_in_window", "credential_not_rotated"], keys: [[KEY.unusedNeverSeen, ["credential_not_rotated"]]] },
      // The sandbox's activity could not be read: unknown, never "unused".
      { id: `serviceAccount:${SANDBOX_BOT}`, severity: "low", reasons: ["no_activity_evidence"], keys: [] },
    ]);
    expect(findings.find((f) => f.principal.id === `serviceAccount:${OLD_REPORTING}`)?.reasons.at(-1)?.detail).toBe("disabled but still holds 1 active credential(s) and 1 grant(s)");
  });

  test("keys that expire soon, keys that never expire, and disabled keys; Google-managed keys are left out", () => {
    const findings = findExpiringCredentials(inventory, { now: NOW, withinDays: 30 });
    expect(findings.map((f) => [f.name, f.status, f.daysUntilExpiry])).toEqual([
      [KEY.migrationExpiring, "expiring", 6],
      [KEY.deployerOld, "no_expiry", null],
      [KEY.oldReporting, "no_expiry", null],
      [KEY.unusedNeverSeen, "no_expiry", null],
      [KEY.ciDisabled, "disabled", null],
    ]);
  });
});

describe("entitlement paths on collected data", () => {
  test("impersonation: CI reaches production secrets through the deployer, which the deny policy excepts", () => {
    expect(paths({ principal: `serviceAccount:${CI_BUILDER}`, action: "secretmanager.versions.access", resource: PROD })).toEqual({
      paths: [{ via: [`serviceAccount:${CI_BUILDER}`, `serviceAccount:${DEPLOYER}`], resource: PROD, outcome: "allowed" }],
      notes: [],
    });
  });

  test("a folder binding inherited into the project is blocked by the project's deny policy", () => {
    expect(paths({ principal: `serviceAccount:${ETL}`, action: "secretmanager.versions.access", resource: PROD })).toEqual({
      paths: [
        {
          via: [`serviceAccount:${ETL}`],
          resource: PROD,
          outcome: "denied",
          blockedBy: "policies/cloudresourcemanager.googleapis.com%2Fprojects%2Fprod-data-01/denypolicies/restrict-secrets#rule-1",
        },
      ],
      notes: [],
    });
  });

  test("an IAM condition makes the path conditional, with the expression left open", () => {
    expect(paths({ principal: `serviceAccount:${MIGRATION}`, action: "cloudsql.instances.update", resource: PROD })).toEqual({
      paths: [{ via: [`serviceAccount:${MIGRATION}`], resource: PROD, outcome: "conditional", open: ['request.time < timestamp("2099-01-01T00:00:00Z")'] }],
      notes: [],
    });
  });

  test("workload identity federation: the GitHub repository can act as the deployer account, gated by the provider condition", () => {
    expect(paths({ action: "iam.serviceAccounts.getAccessToken", resource: `serviceAccount:${GH_DEPLOYER}` })).toEqual({
      paths: [
        // The binding alone would allow it; the pool's token exchange still has to pass its condition.
        { via: [GITHUB_REPO], resource: `serviceAccount:${GH_DEPLOYER}`, outcome: "conditional", open: ["assertion.repository_owner == 'acme'"] },
        {
          via: [GITHUB_REPO, `serviceAccount:${GH_DEPLOYER}`],
          resource: `projects/ci-tools-01/serviceAccounts/${GH_DEPLOYER}`,
          outcome: "conditional",
          open: ["assertion.repository_owner == 'acme'"],
        },
      ],
      notes: [],
    });
  });

  test("a custom role on one project grants key creation there and nowhere else", () => {
    expect(paths({ principal: `serviceAccount:${CI_BUILDER}`, action: "iam.serviceAccountKeys.create", resource: `serviceAccount:${DEPLOYER}` }).paths).toEqual([]);
    expect(paths({ principal: `serviceAccount:${CI_BUILDER}`, action: "iam.serviceAccountKeys.create", resource: `serviceAccount:${GH_DEPLOYER}` }).paths).toEqual([
      { via: [`serviceAccount:${CI_BUILDER}`], resource: `serviceAccount:${GH_DEPLOYER}`, outcome: "allowed" },
    ]);
  });
});
