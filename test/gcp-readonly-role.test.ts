/** The GCP custom role shipped for admins grants exactly what the connector calls, and only reads. */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { GCP_READ_APIS } from "../src/providers/gcp/reads.js";

describe("policies/gcp-readonly-role.yaml", () => {
  const role = parse(readFileSync(new URL("../policies/gcp-readonly-role.yaml", import.meta.url), "utf8")) as { includedPermissions: string[]; stage: string };

  it("lists exactly the permissions of the APIs the connector calls (the token minting is granted separately)", () => {
    const needed = [...new Set(Object.values(GCP_READ_APIS).map((entry) => entry.permission))].filter((p) => p !== "iam.serviceAccounts.getAccessToken").sort();
    expect([...role.includedPermissions].sort()).toEqual(needed);
    expect(role.stage).toBe("GA");
  });

  it("grants no write and no secret or key material", () => {
    for (const permission of role.includedPermissions) {
      expect(permission).toMatch(/\.(get|list|getIamPolicy|query)$/);
      expect(permission).not.toMatch(/secretmanager\.versions\.access|serviceAccountKeys\.(create|get)$/);
    }
  });
});
