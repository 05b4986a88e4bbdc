import { describe, expect, it } from "vitest";
import { findExpiringCredentials } from "../src/analysis/expiring.js";
import { credential, daysAgo, daysAhead, inventoryOf, NOW, principal, vaultItem } from "./fixtures/small-estate.js";

const options = { now: NOW, withinDays: 30 };

describe("findExpiringCredentials", () => {
  const app = "11111111-2222-3333-4444-555555555555";
  const inventory = inventoryOf({
    principals: [principal(app, { provider: "azure", kind: "service_principal", scopeId: "/subscriptions/00000000-0000-0000-0000-000000000001" })],
    credentials: [
      credential("cs-expiring", app, { provider: "azure", kind: "client_secret", scopeId: "/subscriptions/00000000-0000-0000-0000-000000000001", expiresAt: daysAhead(10) }),
      credential("cs-expired", app, { provider: "azure", kind: "client_secret", scopeId: "/subscriptions/00000000-0000-0000-0000-000000000001", expiresAt: daysAgo(3) }),
      credential("cs-later", app, { provider: "azure", kind: "client_secret", scopeId: "/subscriptions/00000000-0000-0000-0000-000000000001", expiresAt: daysAhead(200) }),
      credential("cs-forever", app, { provider: "azure", kind: "client_secret", scopeId: "/subscriptions/00000000-0000-0000-0000-000000000001" }),
      credential("gcp-key-9999", "serviceAccount:x@p.iam.gserviceaccount.com", { provider: "gcp", kind: "service_account_key", managedBy: "user", expiresAt: "9999-12-31T23:59:59Z" }),
      credential("gcp-system-key", "serviceAccount:x@p.iam.gserviceaccount.com", { provider: "gcp", kind: "service_account_key", managedBy: "provider", expiresAt: daysAhead(5) }),
      credential("AKIAIOSFODNN7EXAMPLE", "arn:aws:iam::111111111111:user/u"),
    ],
    vaultItems: [
      vaultItem("db-password", { expiresAt: daysAhead(29) }),
      vaultItem("api-key-no-expiry"),
      vaultItem("old-disabled", { enabled: false, expiresAt: daysAgo(100) }),
      vaultItem("tls-cert", { kind: "certificate", expiresAt: daysAhead(12), certificatePolicy: { autoRenew: true } }),
      vaultItem("tls-cert-backing", { managed: true, expiresAt: daysAhead(12) }),
    ],
  });

  it("finds expired, expiring, no-expiry and disabled items in order of urgency (ties by id)", () => {
    const found = findExpiringCredentials(inventory, options).map((f) => [f.name, f.status, f.daysUntilExpiry]);
    expect(found).toEqual([
      ["cs-expired", "expired", -3],
      ["cs-expiring", "expiring", 10],
      ["tls-cert", "expiring", 12],
      ["db-password", "expiring", 29],
      ["cs-forever", "no_expiry", null],
      ["gcp-key-9999", "no_expiry", null],
      ["api-key-no-expiry", "no_expiry", null],
      ["old-disabled", "disabled", -100],
    ]);
  });

  it("leaves access keys, provider-managed keys and certificate-backing secrets out", () => {
    const ids = findExpiringCredentials(inventory, options).map((f) => f.id);
    expect(ids).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(ids).not.toContain("gcp-system-key");
    expect(ids.some((id) => id.includes("tls-cert-backing"))).toBe(false);
  });

  it("honours the window and the status filter", () => {
    expect(findExpiringCredentials(inventory, { ...options, withinDays: 11, statuses: ["expiring"] }).map((f) => f.name)).toEqual(["cs-expiring"]);
    expect(findExpiringCredentials(inventory, { ...options, withinDays: 365, statuses: ["expiring"] }).map((f) => f.name)).toEqual([
      "cs-expiring",
      "tls-cert",
      "db-password",
      "cs-later",
    ]);
  });

  it("notes auto-renewal on an expiring certificate", () => {
    const cert = findExpiringCredentials(inventory, options).find((f) => f.name === "tls-cert");
    expect(cert?.autoRenew).toBe(true);
    expect(cert?.recommendedAction).toContain("Auto-renew is on");
  });

  it("filters by provider and scope", () => {
    expect(findExpiringCredentials(inventory, { ...options, provider: "gcp" }).map((f) => f.name)).toEqual(["gcp-key-9999"]);
    const vault = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-test";
    expect(findExpiringCredentials(inventory, { ...options, scope: vault })).toHaveLength(4);
  });
});
