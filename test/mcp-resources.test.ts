/**
 * MCP resources and prompts through a real client: every resource read passes the same allowlist,
 * Cedar policy, answer review, redaction and audit as a tool call, and prompts name the tools to call.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { McpError, type ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";
import { DEMO_ANCHORS } from "../src/connectors/demo/index.js";
import { cedarSchemaText } from "../src/governance/cedar-schema.js";
import { defaultPolicyText } from "../src/governance/policy-set.js";
import { inventoryJsonSchema } from "../src/model/inventory-json-schema.js";
import { AUDIT_ID_META_KEY } from "../src/server/create-server.js";
import { PIPELINE_TOOLS } from "../tools/index.js";
import { connect, demoAsRealEstate, type Connected, type ConnectOptions } from "./fixtures/mcp.js";

const A = DEMO_ANCHORS.aws;
const NOW = new Date("2026-11-24T12:00:00Z");

let session: Connected | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
});

async function open(config: unknown = {}, options: ConnectOptions = {}): Promise<Connected> {
  session = await connect(config, { now: () => NOW, ...options });
  return session;
}

function onlyText(result: ReadResourceResult): string {
  const first = result.contents[0];
  if (!first || !("text" in first)) throw new Error("no text content");
  return first.text;
}

async function readError(s: Connected, uri: string): Promise<McpError> {
  const error = await s.client.readResource({ uri }).then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof McpError)) throw new Error(`expected an MCP error reading ${uri}`);
  return error;
}

function auditOf(s: Connected, result: { _meta?: Record<string, unknown> | undefined }) {
  const id = result._meta?.[AUDIT_ID_META_KEY];
  if (typeof id !== "string") throw new Error("no audit id");
  const record = s.app.audit?.get(id);
  if (!record) throw new Error("no audit record");
  return record;
}

describe("MCP resources", () => {
  it("lists the documents, the calendar and the two templates, and no resource's tool among the tools", async () => {
    const s = await open();
    expect((await s.client.listResources()).resources.map((r) => [r.uri, r.mimeType])).toEqual([
      ["wiam://schemas/inventory.schema.json", "application/schema+json"],
      ["wiam://policy/schema.cedarschema", "text/plain"],
      ["wiam://tools/allowlist.json", "application/json"],
      ["wiam://calendar/expiry.json", "application/json"],
    ]);
    expect((await s.client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)).toEqual(["wiam://identity/{principal}", "wiam://scope/{scope}"]);
    expect((await s.client.listTools()).tools.map((t) => t.name).filter((name) => name.startsWith("resource_"))).toEqual([]);
  });

  it("reads the inventory JSON Schema, the Cedar schema and the active policy as documents, each audited", async () => {
    const s = await open({ tools: { allow: ["*", "resource_active_policy"] } });
    const schema = await s.client.readResource({ uri: "wiam://schemas/inventory.schema.json" });
    expect(schema.contents[0]?.mimeType).toBe("application/schema+json");
    expect(JSON.parse(onlyText(schema))).toEqual(inventoryJsonSchema());
    expect(auditOf(s, schema)).toMatchObject({
      tool: "resource_inventory_schema",
      intent: "MCP resource read: wiam://schemas/inventory.schema.json",
      status: "ok",
      decision: "allow",
      policyIds: ["allow-read-only-tools"],
    });

    expect(onlyText(await s.client.readResource({ uri: "wiam://policy/schema.cedarschema" }))).toBe(cedarSchemaText(PIPELINE_TOOLS));
    expect(onlyText(await s.client.readResource({ uri: "wiam://policy/active.cedar" }))).toBe(defaultPolicyText());
  });

  it("reports the effective allowlist, hides what it disables, and refuses to read a disabled resource", async () => {
    const s = await open({ tools: { allow: ["*"], deny: ["find_*", "resource_expiry_calendar"] } });
    const allowlist = JSON.parse(onlyText(await s.client.readResource({ uri: "wiam://tools/allowlist.json" }))) as {
      deny: string[];
      tools: { name: string; surface: string; enabled: boolean; reason: string }[];
    };
    expect(allowlist.deny).toEqual(["find_*", "resource_expiry_calendar"]);
    expect(allowlist.tools.find((t) => t.name === "find_expiring_credentials")).toEqual({ name: "find_expiring_credentials", surface: "mcp", enabled: false, reason: "tools.deny: find_*" });
    expect(allowlist.tools.find((t) => t.name === "export_inventory")).toEqual({ name: "export_inventory", surface: "cli", enabled: true, reason: "tools.allow: *" });
    expect(allowlist.tools.find((t) => t.name === "resource_expiry_calendar")).toMatchObject({ surface: "resource", enabled: false });

    expect((await s.client.listResources()).resources.map((r) => r.name)).not.toContain("expiry-calendar");
    const error = await readError(s, "wiam://calendar/expiry.json");
    expect(error.message).toContain('tool "resource_expiry_calendar" is not available (tools.deny: resource_expiry_calendar)');
  });

  it("asks the Cedar policy about each read: an admin's forbid on a resource's action refuses it, and the audit says which", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wiam-resource-policy-"));
    const policyFile = join(dir, "wiam.cedar");
    writeFileSync(policyFile, `${defaultPolicyText()}\n@id("no-policy-reading")\nforbid (principal, action == Wiam::Action::"resource_active_policy", resource);\n`);
    const s = await open({ governance: { policyFile }, tools: { allow: ["*", "resource_active_policy"] } });
    const error = await readError(s, "wiam://policy/active.cedar");
    expect(error.message).toContain("refused by policy");
    const auditId = (error.data as Record<string, unknown> | undefined)?.[AUDIT_ID_META_KEY];
    expect(typeof auditId).toBe("string");
    expect(s.app.audit?.get(String(auditId))).toMatchObject({ tool: "resource_active_policy", status: "denied", decision: "deny", policyIds: ["no-policy-reading"] });
    expect(onlyText(await s.client.readResource({ uri: "wiam://policy/schema.cedarschema" }))).toContain('action "resource_active_policy" in ["inventory"]');
  });

  it("builds the expiry calendar from the inventory: the same items find_expiring_credentials gives for 90 days, by day", async () => {
    const s = await open();
    const calendar = JSON.parse(onlyText(await s.client.readResource({ uri: "wiam://calendar/expiry.json" }))) as {
      withinDays: number;
      dataSource: { demo: boolean };
      days: { date: string; items: { id: string; status: string; daysUntilExpiry: number }[] }[];
    };
    const listed = await s.client.callTool({
      name: "find_expiring_credentials",
      arguments: { intent: "compare with the expiry calendar", within_days: 90, statuses: ["expired", "expiring"], limit: 500 },
    });
    const findings = (listed.structuredContent as { findings: { id: string; expiresAt: string }[] }).findings;
    expect(calendar.withinDays).toBe(90);
    expect(calendar.dataSource.demo).toBe(true);
    const items = calendar.days.flatMap((day) => day.items.map((item) => ({ id: item.id, date: day.date })));
    expect(items.map((i) => i.id).sort()).toEqual(findings.map((f) => f.id).sort());
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) expect(item.date).toBe(findings.find((f) => f.id === item.id)?.expiresAt.slice(0, 10));
    const dates = calendar.days.map((d) => d.date);
    expect(dates).toEqual([...dates].sort());
    expect(new Set(dates).size).toBe(dates.length);
  });

  it("reads one identity through the template with answer review: withheld on a real estate without approval, whole on the demo", async () => {
    const uri = `wiam://identity/${encodeURIComponent(A.prodDeployRole)}`;
    const real = await open({}, { elicitation: "none", connectors: [demoAsRealEstate()] });
    const withheld = JSON.parse(onlyText(await real.client.readResource({ uri }))) as { identity: { id: string; grants: unknown[] }; withheld: { part: string }[] };
    expect(withheld.identity.id).toBe(A.prodDeployRole);
    expect(withheld.identity.grants).toEqual([]);
    expect(withheld.withheld.map((w) => w.part)).toEqual(["identity.grants", "identity.canAssume", "identity.canBeAssumedBy", "recentActivity"]);
    await real.close();
    session = undefined;

    const demo = await open({}, { elicitation: "none" });
    const whole = JSON.parse(onlyText(await demo.client.readResource({ uri }))) as { identity: { grants: unknown[] }; withheld?: unknown };
    expect(whole.identity.grants.length).toBe(1);
    expect(whole.withheld).toBeUndefined();
  });

  it("redacts what a resource shows, as in a tool answer", async () => {
    const s = await open();
    const [planted] = DEMO_ANCHORS.plantedSecrets;
    if (!planted) throw new Error("no planted secret");
    const result = await s.client.readResource({ uri: `wiam://identity/${encodeURIComponent(planted.entityId)}` });
    const text = onlyText(result);
    expect(text).toContain(planted.entityId);
    expect(text).not.toContain("FAKE-Winter2024-EXAMPLE");
    expect(text).toMatch(/\[REDACTED:[a-z_]+:[0-9a-f]{8}\]/);
    expect(auditOf(s, result).completion?.redactionFindings).toEqual({ password_assignment: 1 });
  });

  it("reads a scope through its template, as inventory_summary counts it", async () => {
    const s = await open();
    const scope = JSON.parse(onlyText(await s.client.readResource({ uri: `wiam://scope/${encodeURIComponent(A.productionAccount)}` }))) as Record<string, unknown>;
    const summary = await s.client.callTool({ name: "inventory_summary", arguments: { intent: "compare with the scope resource", scope: A.productionAccount } });
    expect(scope).toEqual(summary.structuredContent);
  });

  it("answers an unknown URI with resource-not-found and a bad identity with the tool's clear error; resource tools are not callable", async () => {
    const s = await open();
    const missing = await readError(s, "wiam://nothing/here");
    expect(missing.code).toBe(-32002);
    const unknownIdentity = await readError(s, `wiam://identity/${encodeURIComponent("arn:aws:iam::999999999999:role/none")}`);
    expect(unknownIdentity.message).toContain("arn:aws:iam::999999999999:role/none");
    const called = await s.client.callTool({ name: "resource_identity", arguments: { intent: "call a resource as a tool", principal: A.prodDeployRole } });
    expect(called.isError).toBe(true);
    expect(called.content).toEqual([{ type: "text", text: 'tool "resource_identity" is not available (not a tool (read it as an MCP resource))' }]);
  });
});

describe("MCP resources answer as the tool they stand for (security review)", () => {
  const uri = `wiam://identity/${encodeURIComponent(A.prodDeployRole)}`;

  it("tools.deny on describe_identity hides the identity template and refuses its read, naming the deny", async () => {
    const s = await open({ tools: { deny: ["describe_identity"] } });
    expect((await s.client.listTools()).tools.map((t) => t.name)).not.toContain("describe_identity");
    expect((await s.client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)).toEqual(["wiam://scope/{scope}"]);
    const error = await readError(s, uri);
    expect(error.message).toContain('tool "resource_identity" is not available (tools.deny: describe_identity (resource_identity answers as describe_identity))');
    const allowlist = JSON.parse(onlyText(await s.client.readResource({ uri: "wiam://tools/allowlist.json" }))) as { tools: { name: string; enabled: boolean; reason: string }[] };
    expect(allowlist.tools.find((t) => t.name === "resource_identity")).toEqual({
      name: "resource_identity",
      surface: "resource",
      enabled: false,
      reason: "tools.deny: describe_identity (resource_identity answers as describe_identity)",
    });
  });

  it("tools.deny on inventory_summary or find_expiring_credentials turns off the scope template or the expiry calendar", async () => {
    const s = await open({ tools: { deny: ["inventory_summary", "find_expiring_credentials"] } });
    expect((await s.client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)).toEqual(["wiam://identity/{principal}"]);
    expect((await s.client.listResources()).resources.map((r) => r.uri)).not.toContain("wiam://calendar/expiry.json");
    expect((await readError(s, `wiam://scope/${encodeURIComponent(A.productionAccount)}`)).message).toContain("tools.deny: inventory_summary");
    expect((await readError(s, "wiam://calendar/expiry.json")).message).toContain("tools.deny: find_expiring_credentials");
  });

  it("a visibility rule for describe_identity hides the field in the identity resource too", async () => {
    const s = await open({ governance: { fieldVisibility: [{ tools: ["describe_identity"], hide: ["description"] }] } });
    const identity = JSON.parse(onlyText(await s.client.readResource({ uri }))) as { identity: { id: string; description: string } };
    expect(identity.identity.id).toBe(A.prodDeployRole);
    expect(identity.identity.description).toBe("[hidden by admin policy]");
    const called = await s.client.callTool({ name: "describe_identity", arguments: { intent: "compare with the resource", principal: A.prodDeployRole } });
    expect((called.structuredContent as { identity: { description: string } }).identity.description).toBe("[hidden by admin policy]");
  });

  it("a visibility rule for the resource's own name still applies, and one for another tool does not", async () => {
    const s = await open({ governance: { fieldVisibility: [{ tools: ["resource_identity"], hide: ["tags"] }, { tools: ["list_identities"], hide: ["description"] }] } });
    const identity = JSON.parse(onlyText(await s.client.readResource({ uri }))) as { identity: { description: string; tags: Record<string, string> } };
    expect(identity.identity.tags).toEqual({});
    expect(identity.identity.description).toBe("Deploys production services from CI");
  });

  it("a Cedar forbid on describe_identity refuses the identity resource, and the audit names the policy", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wiam-resource-stands-for-"));
    const policyFile = join(dir, "wiam.cedar");
    writeFileSync(policyFile, `${defaultPolicyText()}\n@id("no-describe")\nforbid (principal, action == Wiam::Action::"describe_identity", resource);\n`);
    const s = await open({ governance: { policyFile } });
    const error = await readError(s, uri);
    expect(error.message).toContain("refused by policy");
    const auditId = (error.data as Record<string, unknown> | undefined)?.[AUDIT_ID_META_KEY];
    expect(s.app.audit?.get(String(auditId))).toMatchObject({ tool: "resource_identity", status: "denied", decision: "deny", policyIds: ["no-describe"] });
    // The scope resource stands for inventory_summary, which the forbid does not name.
    const scope = await s.client.readResource({ uri: `wiam://scope/${encodeURIComponent(A.productionAccount)}` });
    expect(auditOf(s, scope)).toMatchObject({ tool: "resource_scope", status: "ok", decision: "allow" });
  });

  it("the active policy is off by default (it names who is exempt from approval) and on when tools.allow names it", async () => {
    const off = await open();
    expect((await off.client.listResources()).resources.map((r) => r.uri)).not.toContain("wiam://policy/active.cedar");
    expect((await readError(off, "wiam://policy/active.cedar")).message).toContain(
      'tool "resource_active_policy" is not available (off by default: add resource_active_policy to tools.allow to enable it)',
    );
    await off.close();
    session = undefined;

    const on = await open({ tools: { allow: ["*", "resource_active_policy"] } });
    expect((await on.client.listResources()).resources.map((r) => r.uri)).toContain("wiam://policy/active.cedar");
    expect(onlyText(await on.client.readResource({ uri: "wiam://policy/active.cedar" }))).toBe(defaultPolicyText());
  });
});

describe("MCP prompts", () => {
  it("lists the investigations with their arguments", async () => {
    const s = await open();
    const { prompts } = await s.client.listPrompts();
    expect(prompts.map((p) => [p.name, (p.arguments ?? []).map((a) => `${a.name}${a.required ? "*" : ""}`)])).toEqual([
      ["stale-review", ["scope*", "inactive_days"]],
      ["expiry-review", ["within_days", "scope"]],
      ["secret-reach", ["resource*", "action"]],
      ["credential-blast-radius", ["principal*"]],
      ["weekly-changes", ["scope"]],
    ]);
  });

  it("tells the model which tools to call with which intent", async () => {
    const s = await open();
    const prompt = await s.client.getPrompt({ name: "secret-reach", arguments: { resource: A.prodPaymentsSecret, action: "secretsmanager:GetSecretValue" } });
    const message = prompt.messages[0];
    expect(message?.role).toBe("user");
    const text = message?.content.type === "text" ? message.content.text : "";
    expect(text.split("\n")[1]).toBe(
      `1. Call explain_entitlement_paths in reverse mode: resource "${A.prodPaymentsSecret}", action "secretsmanager:GetSecretValue", no principal, intent "who can reach ${A.prodPaymentsSecret} and how". If approval is asked, the person at the client decides.`,
    );
  });

  it("names the field and the problem when an argument is missing or malformed", async () => {
    const s = await open();
    await expect(s.client.getPrompt({ name: "credential-blast-radius", arguments: {} })).rejects.toThrow("invalid arguments for prompt credential-blast-radius: principal:");
    await expect(s.client.getPrompt({ name: "expiry-review", arguments: { within_days: "soon" } })).rejects.toThrow(
      "invalid arguments for prompt expiry-review: within_days: a whole number of days",
    );
    await expect(s.client.getPrompt({ name: "nope" })).rejects.toThrow("no prompt named that");
  });
});
