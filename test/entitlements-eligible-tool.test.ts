/**
 * The eligible outcome over a real MCP client: counted in the answer's counts and headline, and
 * each eligible path names the assignment to activate.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connector } from "../src/connectors/connector.js";
import { connect, textOf, type Connected } from "./fixtures/mcp.js";
import { allow, evidence, grant, policy, principal, scope, vaultSecret } from "./fixtures/iam-estate.js";

const TENANT = "tenant-1";
const SUB = "/subscriptions/00000000-0000-0000-0000-0000000000aa";
const RG = `${SUB}/resourceGroups/rg1`;
const KV = `${RG}/providers/Microsoft.KeyVault/vaults/kv-pay`;
const GET_SECRET = "Microsoft.KeyVault/vaults/secrets/getSecret/action";
const ONCALL = "bbbbbbbb-0000-4000-8000-000000000009";
const secret = vaultSecret(KV, "kv-pay", "db");
const secretsUser = policy("/providers/Microsoft.Authorization/roleDefinitions/kv-secrets-user", "azure", "role", [allow("dataActions", [GET_SECRET])]);

function pimEstate(): Connector {
  return {
    id: "snapshot",
    local: true,
    description: "a small Azure estate with one PIM eligibility",
    async collect(context) {
      return {
        schemaVersion: 1,
        generatedAt: context.now.toISOString(),
        scopes: [
          scope(TENANT, "tenant", "azure"),
          scope(SUB, "subscription", "azure", TENANT),
          scope(RG, "resource_group", "azure", SUB),
          scope(KV, "vault", "azure", RG, { enableRbacAuthorization: true }),
        ],
        principals: [principal(ONCALL, "azure", "user", TENANT, { name: "oz.call" })],
        credentials: [],
        vaultItems: [secret],
        policies: [secretsUser],
        grants: [{ ...grant("pim-1", "azure", "eligible_role_assignment", ONCALL, secretsUser.id, KV), evidence }],
        trustEdges: [],
        gaps: [],
      };
    },
  };
}

let session: Connected;
beforeAll(async () => {
  session = await connect({}, { connectors: [pimEstate()] });
});
afterAll(async () => session.close());

describe("explain_entitlement_paths with a PIM-eligible assignment", () => {
  it("counts and renders the eligible path with the assignment to activate", async () => {
    const result = await session.client.callTool({
      name: "explain_entitlement_paths",
      arguments: { intent: "who could read the payments secret after activation", action: GET_SECRET, resource: secret.id },
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    const structured = result.structuredContent as { counts: Record<string, number>; paths: Array<{ outcome: string; eligibility?: string[] }> };
    expect(structured.counts).toEqual({ allowed: 0, conditional: 0, eligible: 1, unknown: 0, denied: 0 });
    expect(structured.paths.map((p) => [p.outcome, p.eligibility])).toEqual([["eligible", ["pim-1"]]]);
    const text = textOf(result);
    expect(text).toContain("0 allowed, 0 conditional, 1 eligible, 0 unknown, 0 denied path(s).");
    expect(text.split("\n")).toContain(
      `- ELIGIBLE: "${GET_SECRET}" on "${secret.id}" via user "oz.call" → "kv-secrets-user" eligible (PIM) at ${KV} → role "kv-secrets-user" → ${secret.id} (after activating: pim-1)`,
    );
  });
});
