/**
 * find_anomalous_activity over a real MCP client on the demo estate: exactly the planted
 * anomalies, with evidence and baselines; filters, paging, field visibility, the production
 * approval rule and honest gaps.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_ANCHORS } from "../src/connectors/demo/index.js";
import { connect, demoAsRealEstate, textOf, type Connected } from "./fixtures/mcp.js";

const NOW = new Date("2026-03-10T12:00:00.000Z");
const intent = "Looking for machine identities behaving unusually";
const A = DEMO_ANCHORS.aws;
const G = DEMO_ANCHORS.gcp;
const Z = DEMO_ANCHORS.azure;

interface Evidence {
  eventId: string | null;
  time: string;
  action: string;
  outcome: string;
  networkClass: string;
  sourceNetwork: string;
  userAgent: string;
  clientKind: string;
  country: string | null;
}
interface Finding {
  code: string;
  severity: string;
  provider: string;
  scopeId: string;
  principal: { id: string; name: string | null };
  reason: string;
  normal: string;
  evidence: Evidence[];
}

let session: Connected;
beforeAll(async () => {
  session = await connect({ limits: { maxPageSize: 100 } }, { now: () => NOW });
});
afterAll(async () => session.close());

async function call(args: Record<string, unknown>, on: Connected = session) {
  const result = await on.client.callTool({ name: "find_anomalous_activity", arguments: { intent, ...args } });
  return { result, structured: result.structuredContent as Record<string, unknown>, text: textOf(result) };
}

const summaryOf = (findings: Finding[]) => findings.map((f) => `${f.severity} ${f.code} ${f.principal.id}`);

describe("find_anomalous_activity on the demo estate", () => {
  it("finds exactly the planted anomalies, most severe first", async () => {
    const { result, structured } = await call({ limit: 100 });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(summaryOf(structured.findings as Finding[])).toEqual([
      `high credential_used_from_distant_networks ${A.ciUser}`,
      `high workload_credentials_used_outside ${A.prodSecretsReaderRole}`,
      `high credential_used_from_distant_networks ${A.prodSecretsReaderRole}`,
      `high workload_credentials_used_outside ${G.prodDeployerServiceAccount}`,
      `high first_sensitive_action ${A.createAccessKeyUser}`,
      `high first_sensitive_action ${Z.githubDeployServicePrincipal}`,
      `high access_denied_burst ${A.passRoleUser}`,
      `high service_principal_sign_in_anomaly ${Z.legacyCrmServicePrincipal}`,
      `medium service_principal_sign_in_anomaly ${Z.paymentsGatewayServicePrincipal}`,
      `medium first_sensitive_action ${G.prodDeployerServiceAccount}`,
      `medium new_assume_or_impersonation_chain ${G.prodDeployerServiceAccount}`,
      `medium new_assume_or_impersonation_chain ${G.ciServiceAccount}`,
      `medium new_assume_or_impersonation_chain ${A.ciRunnerRole}`,
      `medium dormant_identity_active ${A.roleUsed200DaysAgo}`,
      `medium service_principal_sign_in_anomaly ${Z.legacyCrmServicePrincipal}`,
      `low new_source_network ${A.ciUser}`,
      `low activity_at_unusual_hours ${A.scpBlockedSecretsRotationRole}`,
    ]);
    expect(structured.summary).toEqual({ activeIdentities: 19, eventsInWindow: expect.any(Number), insufficientBaseline: 1, high: 8, medium: 7, low: 2 });
    expect(structured.window).toEqual({ from: "2026-03-09T12:00:00.000Z", to: "2026-03-10T12:00:00.000Z", baselineFrom: "2026-02-07T12:00:00.000Z" });
  });

  it("gives the evidence events (ids, times, networks; no bodies) and what normal looked like", async () => {
    const { structured } = await call({ principal: A.prodSecretsReaderRole, min_severity: "high" });
    const [outside, distant] = structured.findings as Finding[];
    expect(outside?.code).toBe("workload_credentials_used_outside");
    expect(outside?.evidence.map((e) => [e.time, e.action, e.networkClass, e.sourceNetwork, e.clientKind])).toEqual([
      ["2026-03-10T11:17:00.000Z", "secretsmanager:GetSecretValue", "outside", "192.0.2.0/24", "command line"],
      ["2026-03-10T11:18:00.000Z", "s3:ListBuckets", "outside", "192.0.2.0/24", "command line"],
    ]);
    for (const event of outside?.evidence ?? []) expect(event.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(outside?.normal).toBe("116 events in the 30-day baseline (116 inside the provider's network), at 00, 03, 06, 09, 12, 15, 18, 21 UTC");
    expect(distant?.evidence.map((e) => [e.time, e.networkClass])).toEqual([
      ["2026-03-10T11:13:00.000Z", "inside"],
      ["2026-03-10T11:17:00.000Z", "outside"],
    ]);
    expect(distant?.reason).toBe(
      "The same credential was used from two distant networks 4 minute(s) apart (overlap threshold 10 minutes): two parties hold it.",
    );
  });

  it("filters by provider, scope, principal name and minimum severity, and pages", async () => {
    const gcp = await call({ provider: "gcp" });
    expect(summaryOf(gcp.structured.findings as Finding[])).toEqual([
      `high workload_credentials_used_outside ${G.prodDeployerServiceAccount}`,
      `medium first_sensitive_action ${G.prodDeployerServiceAccount}`,
      `medium new_assume_or_impersonation_chain ${G.prodDeployerServiceAccount}`,
      `medium new_assume_or_impersonation_chain ${G.ciServiceAccount}`,
    ]);
    const dev = await call({ scope: A.developmentAccount, min_severity: "medium" });
    expect(summaryOf(dev.structured.findings as Finding[])).toEqual([
      `high access_denied_burst ${A.passRoleUser}`,
      `medium dormant_identity_active ${A.roleUsed200DaysAgo}`,
    ]);
    expect(dev.structured.summary).toMatchObject({ insufficientBaseline: 1, high: 1, medium: 1, low: 0 });
    const byName = await call({ principal: "qa-load-testing" });
    expect(summaryOf(byName.structured.findings as Finding[])).toEqual([`medium dormant_identity_active ${A.roleUsed200DaysAgo}`]);
    expect((byName.structured.findings as Finding[])[0]?.reason).toBe("Active again after 199 days without any activity (dormancy threshold 21 days).");

    const first = await call({ limit: 5 });
    const page = first.structured.page as { returned: number; total: number; nextCursor: string };
    expect(page).toMatchObject({ returned: 5, total: 17 });
    const second = await call({ limit: 5, cursor: page.nextCursor });
    expect(summaryOf((second.structured.findings as Finding[]).slice(0, 1))).toEqual([`high first_sensitive_action ${Z.githubDeployServicePrincipal}`]);
  });

  it("names the log sources it could not read fully, and says when nothing is anomalous", async () => {
    const { structured, text } = await call({ scope: G.ciProject, min_severity: "high" });
    expect(structured.findings).toEqual([]);
    expect(structured.incomplete).toContainEqual({
      provider: "gcp",
      scopeId: G.ciProject,
      source: "logging:entries.list cloudaudit.googleapis.com/activity",
      reason: "Data Access audit logs are not enabled in this project: reads (secret accesses) are not logged",
    });
    expect(text).toContain("No anomalous activity between 2026-03-09T12:00:00.000Z and 2026-03-10T12:00:00.000Z");
  });

  it("refuses a detection window that starts in the future, naming the field", async () => {
    const { result, text } = await call({ since: "2026-03-11T00:00:00Z" });
    expect(result.isError).toBe(true);
    expect(text).toContain("since: must be before now");
  });
});

describe("describe_identity's recent activity", () => {
  it("sums up the identity's last day of activity and names its anomalies", async () => {
    const result = await session.client.callTool({ name: "describe_identity", arguments: { intent, principal: A.passRoleUser } });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect((result.structuredContent as { recentActivity: unknown }).recentActivity).toEqual({
      windowHours: 24,
      events: 24,
      denied: 16,
      actions: 9,
      lastEventAt: "2026-03-10T09:39:00.000Z",
      findings: [{ code: "access_denied_burst", severity: "high" }],
    });
    expect(textOf(result)).toContain("Recent activity (24 h): 24 events, 9 distinct actions, 16 denied; anomalies: high access_denied_burst");
    const quiet = await session.client.callTool({ name: "describe_identity", arguments: { intent, principal: A.boundedRole } });
    // The logs never name it: zeros, not none, so a withheld summary tells nothing about activity.
    expect((quiet.structuredContent as { recentActivity: unknown }).recentActivity).toEqual({ windowHours: 24, events: 0, denied: 0, actions: 0, lastEventAt: null, findings: [] });
  });
});

describe("activity telemetry is governed", () => {
  it("hides source networks and user agents where field visibility says so", async () => {
    const hidden = await connect(
      { governance: { fieldVisibility: [{ tools: ["find_anomalous_activity"], scopes: [A.productionAccount], hide: ["sourceNetwork", "userAgent"] }] } },
      { now: () => NOW },
    );
    try {
      const { structured } = await call({ principal: A.prodSecretsReaderRole, min_severity: "high" }, hidden);
      const evidence = (structured.findings as Finding[])[0]?.evidence[0];
      expect(evidence?.sourceNetwork).toBe("[hidden by admin policy]");
      expect(evidence?.userAgent).toBe("[hidden by admin policy]");
      const elsewhere = await call({ principal: A.ciUser, min_severity: "high" }, hidden);
      expect((elsewhere.structured.findings as Finding[])[0]?.evidence[0]?.sourceNetwork).toBe("198.51.100.0/24");
    } finally {
      await hidden.close();
    }
  });

  it("hides the kind of client with the user agent and the country with the source network, in data and text", async () => {
    const hidden = await connect(
      { governance: { fieldVisibility: [{ tools: ["find_anomalous_activity"], scopes: [A.productionAccount, Z.tenant], hide: ["sourceNetwork", "userAgent"] }] } },
      { now: () => NOW },
    );
    try {
      const production = await call({ principal: A.prodSecretsReaderRole, min_severity: "high" }, hidden);
      const evidence = (production.structured.findings as Finding[]).flatMap((finding) => finding.evidence);
      expect(evidence.length).toBeGreaterThan(0);
      expect(new Set(evidence.map((e) => [e.sourceNetwork, e.userAgent, e.clientKind].join(" | ")))).toEqual(
        new Set(["[hidden by admin policy] | [hidden by admin policy] | [hidden by admin policy]"]),
      );
      expect(production.text).not.toContain("Clients in the evidence");
      expect(production.text).toContain("(Fields hidden by the admin's visibility rules: clientKind, sourceNetwork, userAgent.)");

      // Every country the log gave is hidden; where it gave none there is nothing to hide.
      const countriesOf = async (on: Connected) =>
        ((await call({ principal: Z.legacyCrmServicePrincipal }, on)).structured.findings as Finding[]).flatMap((finding) => finding.evidence.map((e) => e.country));
      const shown = await countriesOf(session);
      expect(shown.filter((country) => country !== null && /^[A-Z]{2}$/.test(country)).length).toBeGreaterThan(0);
      expect(await countriesOf(hidden)).toEqual(shown.map((country) => (country === null ? null : "[hidden by admin policy]")));
      expect((await call({ principal: A.prodSecretsReaderRole, min_severity: "high" })).text).toContain("Clients in the evidence: SDK, command line.");
    } finally {
      await hidden.close();
    }
  });

  it("asks a person before showing production activity of a real estate, not for a development account", async () => {
    const real = await connect({}, { now: () => NOW, connectors: [demoAsRealEstate()], elicitation: "decline" });
    try {
      const production = await call({ scope: A.productionAccount }, real);
      expect(production.result.isError).toBe(true);
      expect(production.text).toContain("activity telemetry of production identities needs a person's approval");
      const development = await call({ scope: A.developmentAccount }, real);
      expect(development.result.isError, development.text).toBeFalsy();
    } finally {
      await real.close();
    }
  });

  it("withholds describe_identity's activity summary of a production identity, with the reason, unless a person approves", async () => {
    const describe = (on: Connected, principal: string) => on.client.callTool({ name: "describe_identity", arguments: { intent, principal } });
    const declined = await connect({}, { now: () => NOW, connectors: [demoAsRealEstate()], elicitation: "decline" });
    try {
      const production = await describe(declined, A.prodSecretsReaderRole);
      expect(production.isError, textOf(production)).toBeFalsy();
      const structured = production.structuredContent as { recentActivity: unknown; withheld: { part: string; items: number; scopes: string[]; reason: string; policyIds: string[] }[] };
      expect(structured.recentActivity).toBeNull();
      const withheld = structured.withheld.find((part) => part.part === "recentActivity");
      expect(withheld).toEqual({
        part: "recentActivity",
        items: 1,
        scopes: [A.productionAccount],
        reason: expect.stringContaining("activity telemetry of production identities needs a person's approval") as string,
        policyIds: ["approve-production-activity", "approve-production-reach-in-answers"],
      });
      expect(withheld?.reason).toMatch(/approval declined$/);
      expect(textOf(production)).toContain(`- recentActivity: 1 item touching ${A.productionAccount} (`);
      expect(textOf(production)).not.toContain("Recent activity (24 h)");
      // A production identity the logs never name is withheld the same way: the note does not tell it was quiet.
      const quiet = await describe(declined, A.prodDeployRole);
      expect((quiet.structuredContent as { recentActivity: unknown }).recentActivity).toBeNull();
      expect((quiet.structuredContent as { withheld: { part: string }[] }).withheld.map((part) => part.part)).toContain("recentActivity");

      // Outside production the summary needs no approval.
      const development = await describe(declined, A.passRoleUser);
      expect((development.structuredContent as { recentActivity: { events: number } | null }).recentActivity?.events).toBe(24);
      expect((development.structuredContent as { withheld?: unknown }).withheld).toBeUndefined();
    } finally {
      await declined.close();
    }
    const approved = await connect({}, { now: () => NOW, connectors: [demoAsRealEstate()], elicitation: "approve" });
    try {
      const production = await describe(approved, A.prodSecretsReaderRole);
      const recent = (production.structuredContent as { recentActivity: { findings: { code: string }[] } | null }).recentActivity;
      expect(recent?.findings.map((finding) => finding.code).sort()).toEqual(["credential_used_from_distant_networks", "workload_credentials_used_outside"]);
    } finally {
      await approved.close();
    }
  });
});
