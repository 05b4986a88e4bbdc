import { describe, expect, it } from "vitest";
import { findStaleServiceAccounts } from "../src/analysis/stale.js";
import { credential, daysAgo, inventoryOf, neverUsed, notSeenIn400Days, NOW, principal, used } from "./fixtures/small-estate.js";

const options = { now: NOW, inactiveDays: 90, rotationDays: 90, neverUsedGraceDays: 7 };
const ACCOUNT = "arn:aws:iam::111111111111";

function reasonsById(findings: ReturnType<typeof findStaleServiceAccounts>): Record<string, string[]> {
  return Object.fromEntries(findings.map((f) => [f.principal.id, f.reasons.map((r) => r.code)]));
}

describe("findStaleServiceAccounts", () => {
  it("tells inactive, never used, not seen in the window and unknown apart", () => {
    const inventory = inventoryOf({
      principals: [
        principal(`${ACCOUNT}:role/active`, { lastActivity: used(3) }),
        principal(`${ACCOUNT}:role/inactive`, { lastActivity: used(120) }),
        principal(`${ACCOUNT}:role/never`, { lastActivity: neverUsed }),
        principal(`${ACCOUNT}:role/window`, { lastActivity: notSeenIn400Days }),
        principal(`${ACCOUNT}:role/no-evidence`),
        principal(`${ACCOUNT}:user/human`, { kind: "user", workload: false, lastActivity: used(500) }),
      ],
    });
    expect(reasonsById(findStaleServiceAccounts(inventory, options))).toEqual({
      [`${ACCOUNT}:role/inactive`]: ["inactive"],
      [`${ACCOUNT}:role/never`]: ["never_used"],
      [`${ACCOUNT}:role/window`]: ["not_seen_in_window"],
      [`${ACCOUNT}:role/no-evidence`]: ["no_activity_evidence"],
    });
  });

  it("reports the evidence source and window, never turning 'not seen in 400 days' into 'never used'", () => {
    const inventory = inventoryOf({ principals: [principal(`${ACCOUNT}:role/window`, { lastActivity: notSeenIn400Days })] });
    const [finding] = findStaleServiceAccounts(inventory, options);
    expect(finding?.activity).toEqual({
      status: "not_seen_in_window",
      lastUsedAt: null,
      daysSinceLastUse: null,
      source: "iam:GetAccountAuthorizationDetails RoleLastUsed",
      windowDays: 400,
      observedAt: "2026-06-01T00:00:00Z",
    });
    expect(finding?.reasons[0]?.detail).toBe(
      "not seen in the last 400 days covered by its activity source; earlier use cannot be ruled out",
    );
  });

  it("flags an active credential that was never used, even when the user itself looks active", () => {
    const user = `${ACCOUNT}:user/ci-deployer`;
    const inventory = inventoryOf({
      principals: [principal(user, { kind: "user", lastActivity: used(1) })],
      credentials: [
        credential("AKIAIOSFODNN7EXAMPLE", user, { createdAt: daysAgo(40), lastActivity: neverUsed }),
        credential("AKIAI44QH8DHBEXAMPLE", user, { createdAt: daysAgo(40), lastActivity: used(1) }),
      ],
      grants: [{ id: "g1", provider: "aws", kind: "attachment", principalId: user, policyId: "p", evidence: { source: "t", observedAt: NOW.toISOString() } }],
    });
    const [finding] = findStaleServiceAccounts(inventory, options);
    expect(finding?.reasons.map((r) => r.code)).toEqual(["credential_never_used"]);
    expect(finding?.severity).toBe("high");
    expect(finding?.credentials.map((c) => [c.id, c.issues])).toEqual([["AKIAIOSFODNN7EXAMPLE", ["credential_never_used"]]]);
  });

  it("does not flag a never-used credential inside the grace period, nor an inactive one", () => {
    const user = `${ACCOUNT}:user/new`;
    const inventory = inventoryOf({
      principals: [principal(user, { kind: "user", lastActivity: used(1) })],
      credentials: [
        credential("AKIAFRESHKEY7EXAMPLE", user, { createdAt: daysAgo(2), lastActivity: neverUsed }),
        credential("AKIAOLDINACTIVEEXAMP", user, { status: "inactive", createdAt: daysAgo(400), lastActivity: neverUsed }),
      ],
    });
    expect(findStaleServiceAccounts(inventory, options)).toEqual([]);
  });

  it("flags keys overdue for rotation and unused keys with the thresholds given", () => {
    const sa = "serviceAccount:etl@acme-prod.iam.gserviceaccount.com";
    const inventory = inventoryOf({
      principals: [principal(sa, { provider: "gcp", kind: "service_account", lastActivity: used(2) })],
      credentials: [
        credential("a".repeat(40), sa, { provider: "gcp", kind: "service_account_key", managedBy: "user", createdAt: daysAgo(200), lastActivity: used(2) }),
        credential("b".repeat(40), sa, { provider: "gcp", kind: "service_account_key", managedBy: "user", createdAt: daysAgo(50), lastActivity: used(95) }),
        credential("c".repeat(40), sa, { provider: "gcp", kind: "service_account_key", managedBy: "provider", createdAt: daysAgo(900) }),
      ],
    });
    const [finding] = findStaleServiceAccounts(inventory, options);
    expect(finding?.credentials.map((c) => [c.id.slice(0, 1), c.issues])).toEqual([
      ["a", ["credential_not_rotated"]],
      ["b", ["credential_inactive"]],
    ]);
    expect(findStaleServiceAccounts(inventory, { ...options, rotationDays: 365, inactiveDays: 100 })).toEqual([]);
  });

  it("uses the freshest activity across the identity and its credentials", () => {
    const user = `${ACCOUNT}:user/batch`;
    const inventory = inventoryOf({
      principals: [principal(user, { kind: "user" })],
      credentials: [credential("AKIABATCHKEY7EXAMPLE", user, { createdAt: daysAgo(60), lastActivity: used(10) })],
    });
    expect(findStaleServiceAccounts(inventory, options)).toEqual([]);
  });

  it("flags a disabled identity that still holds active keys or grants", () => {
    const sa = "serviceAccount:old@acme-dev.iam.gserviceaccount.com";
    const inventory = inventoryOf({
      principals: [principal(sa, { provider: "gcp", kind: "service_account", disabled: true, lastActivity: used(5) })],
      credentials: [credential("d".repeat(40), sa, { provider: "gcp", kind: "service_account_key", createdAt: daysAgo(10), lastActivity: used(5) })],
    });
    const [finding] = findStaleServiceAccounts(inventory, options);
    expect(finding?.reasons).toEqual([{ code: "disabled_with_access", detail: "disabled but still holds 1 active credential(s) and 0 grant(s)" }]);
  });

  it("orders by severity, then by days since last use", () => {
    const inventory = inventoryOf({
      principals: [
        principal(`${ACCOUNT}:role/b-older`, { lastActivity: used(300) }),
        principal(`${ACCOUNT}:role/a-newer`, { lastActivity: used(100) }),
        principal(`${ACCOUNT}:role/c-unknown`),
      ],
    });
    expect(findStaleServiceAccounts(inventory, options).map((f) => f.principal.name)).toEqual(["b-older", "a-newer", "c-unknown"]);
    expect(findStaleServiceAccounts(inventory, { ...options, includeUnknown: false }).map((f) => f.principal.name)).toEqual(["b-older", "a-newer"]);
  });

  it("filters by provider and by scope, rejecting an unknown scope by name", () => {
    const inventory = inventoryOf({ principals: [principal(`${ACCOUNT}:role/inactive`, { lastActivity: used(120) })] });
    expect(findStaleServiceAccounts(inventory, { ...options, provider: "gcp" })).toEqual([]);
    expect(findStaleServiceAccounts(inventory, { ...options, scope: "aws:account/111111111111" })).toHaveLength(1);
    expect(() => findStaleServiceAccounts(inventory, { ...options, scope: "aws:account/999" })).toThrow(
      'scope: no scope with id "aws:account/999" in the inventory',
    );
  });
});

describe("an identity whose whole life lies inside its activity source's window", () => {
  const options = { now: NOW, inactiveDays: 90, rotationDays: 90, neverUsedGraceDays: 7 };

  it("is never used, not 'not seen in the window', once past the never-used grace period", () => {
    const inventory = inventoryOf({
      principals: [
        principal(`${ACCOUNT}:role/young`, { createdAt: daysAgo(30), lastActivity: notSeenIn400Days }),
        principal(`${ACCOUNT}:role/brand-new`, { createdAt: daysAgo(3), lastActivity: notSeenIn400Days }),
        principal(`${ACCOUNT}:role/older-than-window`, { createdAt: daysAgo(500), lastActivity: notSeenIn400Days }),
      ],
    });
    const findings = findStaleServiceAccounts(inventory, options);
    expect(reasonsById(findings)).toEqual({
      [`${ACCOUNT}:role/young`]: ["never_used"],
      [`${ACCOUNT}:role/older-than-window`]: ["not_seen_in_window"],
    });
    const young = findings.find((f) => f.principal.id === `${ACCOUNT}:role/young`);
    expect(young?.activity.status).toBe("never_used");
    expect(young?.activity.windowDays).toBe(400);
    expect(young?.reasons[0]?.detail).toBe("no recorded use since creation 30 days ago");
  });

  it("applies the same to credentials: a key created inside the window and never seen is never used", () => {
    const user = `${ACCOUNT}:user/ci`;
    const inventory = inventoryOf({
      principals: [principal(user, { kind: "user", lastActivity: used(1) })],
      credentials: [credential("AKIAIOSFODNN7EXAMPLE", user, { createdAt: daysAgo(20), lastActivity: notSeenIn400Days })],
    });
    const [finding] = findStaleServiceAccounts(inventory, options);
    expect(finding?.reasons.map((r) => r.code)).toEqual(["credential_never_used"]);
    expect(finding?.credentials[0]?.activity.status).toBe("never_used");
  });
});

describe("stale rules as data", () => {
  it("one rule per reason code: the output schema's codes are the rules' codes, each with a recommendation and a bit", async () => {
    const { STALE_RULES, bitOf } = await import("../src/analysis/stale-rules.js");
    const { staleReasonCodeSchema } = await import("../src/analysis/stale.js");
    expect(staleReasonCodeSchema.options).toEqual(STALE_RULES.map((rule) => rule.code));
    expect(new Set(STALE_RULES.map((rule) => rule.code)).size).toBe(STALE_RULES.length);
    expect(new Set(STALE_RULES.map((rule) => rule.recommendationRank)).size).toBe(STALE_RULES.length - 1); // inactive and never used share one
    // Reason sets are 32-bit: room for 32 rules.
    expect(bitOf(STALE_RULES.length - 1)).toBeLessThan(2 ** 31);
  });
});
