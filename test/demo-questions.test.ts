/**
 * The three core questions asked the way an assistant asks them, over a real MCP client, against
 * the demo estate, with the answers the estate was built to give.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_ANCHORS } from "../src/connectors/demo/index.js";
import { connect, textOf, type Connected } from "./fixtures/mcp.js";

const intent = "Investigating machine identity risk in the demo estate";
let session: Connected;

beforeAll(async () => {
  session = await connect({ limits: { maxPageSize: 500 } });
});
afterAll(async () => session.close());

interface Path {
  outcome: string;
  via: string[];
  blockedBy?: { id: string };
  privilegeEscalation: boolean;
}

async function call(name: string, args: Record<string, unknown>) {
  const result = await session.client.callTool({ name, arguments: { intent, ...args } });
  expect(result.isError, textOf(result)).toBeFalsy();
  return { structured: result.structuredContent as Record<string, unknown>, text: textOf(result) };
}

describe("explain_entitlement_paths on the demo estate", () => {
  for (const question of DEMO_ANCHORS.paths) {
    it(`${question.principal} → ${question.action}: ${question.expected}`, async () => {
      const { structured } = await call("explain_entitlement_paths", {
        principal: question.principal,
        action: question.action,
        resource: question.resource,
        limit: 500,
      });
      const paths = structured.paths as Path[];
      const best = paths[0];
      expect(best?.outcome).toBe(question.expected);
      if ("via" in question) expect(best?.via).toEqual([question.principal, ...question.via]);
      if ("blockedBy" in question) {
        expect(paths.some((p) => p.outcome === "allowed")).toBe(false);
        // blockedBy names the policy, or the statement inside it as <policy id>#<statement id>.
        const blockers = paths.filter((p) => p.outcome === "denied").map((p) => p.blockedBy?.id ?? "");
        expect(blockers.some((id) => id === question.blockedBy || id.startsWith(`${question.blockedBy}#`)), blockers.join(", ")).toBe(true);
      }
    });
  }

  it("answers the reverse question: who can read the production payments secret", async () => {
    const { structured } = await call("explain_entitlement_paths", {
      action: "secretsmanager:GetSecretValue",
      resource: DEMO_ANCHORS.aws.prodPaymentsSecret,
      limit: 500,
    });
    const allowed = (structured.paths as (Path & { principalId: string })[]).filter((p) => p.outcome === "allowed").map((p) => p.principalId);
    expect(allowed).toContain(DEMO_ANCHORS.aws.ciUser);
    expect(allowed).toContain(DEMO_ANCHORS.aws.prodSecretsReaderRole);
    expect(allowed).not.toContain(DEMO_ANCHORS.aws.identityDenyRole);
  });
});

describe("find_stale_service_accounts on the demo estate", () => {
  it("separates never used, inactive and not seen in the window, with their evidence", async () => {
    const { structured } = await call("find_stale_service_accounts", { provider: "aws", limit: 500 });
    const byId = new Map((structured.findings as { principal: { id: string }; reasons: { code: string }[]; activity: { source: string | null } }[]).map((f) => [f.principal.id, f]));
    expect(byId.get(DEMO_ANCHORS.aws.neverUsedKeyUser)?.reasons.map((r) => r.code)).toContain("credential_never_used");
    expect(byId.get(DEMO_ANCHORS.aws.roleNotSeenInWindow)?.reasons.map((r) => r.code)).toEqual(["not_seen_in_window"]);
    expect(byId.get(DEMO_ANCHORS.aws.roleUsed200DaysAgo)?.reasons.map((r) => r.code)).toContain("inactive");
    expect(byId.get(DEMO_ANCHORS.aws.unrotatedKeyUser)?.reasons.map((r) => r.code)).toEqual(["credential_not_rotated"]);
    expect(byId.has(DEMO_ANCHORS.aws.ciRunnerRole)).toBe(false);
  });
});

describe("find_expiring_credentials on the demo estate", () => {
  it("finds the expiring and the expired server certificates", async () => {
    const { structured } = await call("find_expiring_credentials", { provider: "aws", limit: 500 });
    const status = new Map((structured.findings as { id: string; status: string }[]).map((f) => [f.id, f.status]));
    expect(status.get(DEMO_ANCHORS.aws.serverCertificateExpiringSoon)).toBe("expiring");
    expect(status.get(DEMO_ANCHORS.aws.serverCertificateExpired)).toBe("expired");
  });
});

describe("untrusted cloud text on the demo estate", () => {
  it("never lets a planted secret out, in structured content or text", async () => {
    for (const planted of DEMO_ANCHORS.plantedSecrets) {
      const { structured, text } = await call("describe_identity", { principal: planted.entityId });
      const secret = planted.value.split("=").pop() as string;
      expect(JSON.stringify(structured)).not.toContain(secret);
      expect(text).not.toContain(secret);
      expect(JSON.stringify(structured)).toMatch(/\[REDACTED:[a-z0-9_]+:[0-9a-f]{8}\]/);
    }
  });

  it("keeps a prompt-injection description in a labelled data field, out of the text", async () => {
    const { structured, text } = await call("describe_identity", { principal: DEMO_ANCHORS.promptInjection.entityId });
    expect((structured.identity as { description: string }).description).toContain(DEMO_ANCHORS.promptInjection.marker);
    expect(text).not.toContain(DEMO_ANCHORS.promptInjection.marker);
  });
});
