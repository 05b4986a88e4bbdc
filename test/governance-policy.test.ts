/** Cedar decisions at request time: allow, deny and approval, errors that deny, and policy files that do not load. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ALL_TOOLS } from "../tools/index.js";
import { buildDemoEstate, DEMO_ANCHORS } from "../src/connectors/demo/index.js";
import { Inventory } from "../src/model/inventory-index.js";
import { cedarSchemaText } from "../src/governance/cedar-schema.js";
import { decide, type PolicyRequest, type ScopeEntity } from "../src/governance/policy-engine.js";
import { compilePolicySet, defaultPolicyText, loadPolicySet } from "../src/governance/policy-set.js";
import { resolveScope } from "../src/governance/scope-resolver.js";
import { UserFacingError } from "../src/errors.js";
import { parseConfig } from "../src/config/load.js";
import { governanceSettingsOf } from "../src/governance/settings.js";

const TOOLS = ALL_TOOLS.map((t) => t.name);
const TOOL_ACTIONS = ALL_TOOLS;
const inventory = new Inventory(buildDemoEstate(new Date("2026-11-24T12:00:00Z")));
const A = DEMO_ANCHORS.aws;
const idle = { calls: 0, callsLastMinute: 0, itemsReturned: 0, distinctScopes: 0 };

function request(tool: string, resource: ScopeEntity, overrides: Partial<PolicyRequest["context"]> = {}, caller: Partial<PolicyRequest["caller"]> = {}): PolicyRequest {
  return {
    caller: { name: "alice", client: "claude-code", transport: "stdio", issuer: "", clientId: "", groups: [], ...caller },
    tool,
    resource,
    context: {
      intent: "review the CI deployer's reach",
      taskId: "T-1",
      now: new Date("2026-11-24T10:00:00Z"),
      provider: "",
      scope: "",
      principal: "",
      target: "",
      limit: 25,
      demo: false,
      dataAgeMinutes: 0,
      task: idle,
      caller: idle,
      budgetExceeded: false,
      approved: false,
      approver: "",
      approvalKind: "none",
      ...overrides,
    },
  };
}

const scopeOf = (query: Parameters<typeof resolveScope>[0], overrides = {}) => resolveScope(query, inventory, overrides);

describe("the default policy", () => {
  const policy = loadPolicySet(undefined, TOOL_ACTIONS);

  it("is the shipped policies/default.cedar and names its policies", () => {
    expect(policy.text).toBe(readFileSync(new URL("../policies/default.cedar", import.meta.url), "utf8"));
    expect(policy.text).toBe(defaultPolicyText());
    expect([...policy.policies.keys()]).toEqual([
      "allow-read-only-tools",
      "approve-production-entitlement-paths",
      "approve-production-activity",
      "approve-production-reach-in-answers",
    ]);
  });

  it("asks for approval to release an answer part that reaches into production, whatever the tool", () => {
    const revealing = (tool: string, containsProduction: boolean, approved = false) =>
      decide(
        policy,
        request(tool, scopeOf({ scope: A.developmentAccount }), {
          approved,
          result: { part: "identity.canAssume", scopes: [A.productionAccount], environments: ["production"], containsProduction },
        }),
      );
    for (const tool of TOOLS) {
      expect(revealing(tool, true), tool).toEqual({
        kind: "approval",
        policyIds: ["approve-production-reach-in-answers"],
        reasons: ["the answer reveals reach into production, which needs a person's approval"],
      });
      expect(revealing(tool, true, true).kind, tool).toBe("allow");
      expect(revealing(tool, false).kind, tool).toBe("allow");
    }
  });

  it("allows every read-only tool with the permit that allowed it", () => {
    // Entitlement paths and activity telemetry into production need a person (the next tests).
    for (const tool of TOOLS.filter((t) => t !== "explain_entitlement_paths" && t !== "find_anomalous_activity")) {
      expect(decide(policy, request(tool, scopeOf({ scope: A.productionAccount }))), tool).toEqual({
        kind: "allow",
        policyIds: ["allow-read-only-tools"],
        reasons: [],
      });
    }
  });

  it("asks for approval for entitlement paths into production, and allows them once approved", () => {
    const production = scopeOf({ resource: A.prodPaymentsSecret });
    expect(production).toMatchObject({ id: A.productionAccount, environment: "production", containsProduction: true, estateWide: false });
    expect(decide(policy, request("explain_entitlement_paths", production))).toEqual({
      kind: "approval",
      policyIds: ["approve-production-entitlement-paths"],
      reasons: ["entitlement paths that can reach production need a person's approval"],
    });
    expect(decide(policy, request("explain_entitlement_paths", production, { approved: true, approver: "Bob" })).kind).toBe("allow");
  });

  it("asks for approval for activity telemetry of production identities, not for a development account", () => {
    expect(decide(policy, request("find_anomalous_activity", scopeOf({ scope: A.productionAccount })))).toEqual({
      kind: "approval",
      policyIds: ["approve-production-activity"],
      reasons: ["activity telemetry of production identities needs a person's approval"],
    });
    expect(decide(policy, request("find_anomalous_activity", scopeOf({})))).toMatchObject({ kind: "approval" });
    expect(decide(policy, request("find_anomalous_activity", scopeOf({ scope: A.productionAccount }), { approved: true, approver: "Bob" })).kind).toBe("allow");
    expect(decide(policy, request("find_anomalous_activity", scopeOf({ scope: A.developmentAccount }))).kind).toBe("allow");
    expect(decide(policy, request("find_anomalous_activity", scopeOf({}), { demo: true })).kind).toBe("allow");
  });

  it("asks nobody about the built-in demo estate, whose production is made up", () => {
    const production = scopeOf({ resource: A.prodPaymentsSecret });
    expect(decide(policy, request("explain_entitlement_paths", production, { demo: true }))).toEqual({ kind: "allow", policyIds: ["allow-read-only-tools"], reasons: [] });
    expect(decide(policy, request("explain_entitlement_paths", scopeOf({}), { demo: true })).kind).toBe("allow");
    const result = { part: "identity.canAssume", scopes: [A.productionAccount], environments: ["production"], containsProduction: true };
    expect(decide(policy, request("describe_identity", scopeOf({ scope: A.developmentAccount }), { demo: true, result })).kind).toBe("allow");
  });

  it("allows entitlement paths to a target outside production without asking", () => {
    for (const resource of [A.developmentAccount, A.boundedRole]) {
      const scope = scopeOf({ resource });
      expect(scope).toMatchObject({ id: A.developmentAccount, environment: "development", containsProduction: false });
      expect(decide(policy, request("explain_entitlement_paths", scope)).kind, resource).toBe("allow");
    }
  });

  it("asks whenever the question can reach production: the whole estate, a pattern, a scope containing it, an unknown one", () => {
    const ask = (scope: ScopeEntity) => decide(policy, request("explain_entitlement_paths", scope)).kind;
    const estate = scopeOf({});
    expect(estate).toMatchObject({ id: "*", kind: "estate", environment: "mixed", estateWide: true, containsProduction: true });
    expect(ask(estate)).toBe("approval");
    const pattern = scopeOf({ resource: "arn:aws:secretsmanager:us-east-1:*:secret:prod/payments/*" });
    expect(pattern).toMatchObject({ id: "aws", kind: "provider", estateWide: true, containsProduction: true });
    expect(ask(pattern)).toBe("approval");
    expect(ask(scopeOf({ scope: DEMO_ANCHORS.gcp.prodFolder }))).toBe("approval");
    expect(ask(resolveScope({ resource: A.developmentAccount }, null, {}))).toBe("approval");
    // S3 buckets carry no account in their ARN: the bucket cannot be placed, so its provider's estate counts.
    expect(ask(scopeOf({ resource: "arn:aws:s3:::acme-data-lake-development/reports/q3.csv" }))).toBe("approval");
  });
});

describe("scopes as policy resources", () => {
  it("inherits the environment from the nearest tagged ancestor and lists the ancestors as parents", () => {
    const vault = scopeOf({ scope: DEMO_ANCHORS.azure.rbacVault });
    expect(vault.environment).toBe("production");
    expect(vault.kind).toBe("vault");
    expect(vault.ancestors.map((a) => [a.kind, a.environment])).toEqual([
      ["resource_group", "production"],
      ["subscription", "production"],
      ["management_group", "unknown"],
      ["management_group", "unknown"],
      ["tenant", "unknown"],
    ]);
    const project = scopeOf({ scope: DEMO_ANCHORS.gcp.prodDataProject });
    expect(project).toMatchObject({ provider: "gcp", kind: "project", environment: "production" });
    expect(project.ancestors.map((a) => a.id)).toContain(DEMO_ANCHORS.gcp.prodFolder);
  });

  it("places Key Vault items however their URL is spelled", () => {
    const vault = DEMO_ANCHORS.azure.rbacVault;
    for (const url of ["https://kv-payments-prod.vault.azure.net/secrets/stripe-api-key", "https://KV-PAYMENTS-PROD.vault.azure.net/secrets/stripe-api-key/", "https://kv-payments-prod.vault.azure.net/"]) {
      expect(scopeOf({ resource: url }).id, url).toBe(vault);
    }
    expect(scopeOf({ resource: "https://kv-unknown.vault.azure.net/secrets/x" })).toMatchObject({ id: "azure", estateWide: true, containsProduction: true });
  });

  it("treats environment tags case-insensitively, with the usual names for production", () => {
    for (const value of ["Production", "PROD", "prd", "live"]) {
      expect(scopeOf({ scope: A.developmentAccount }, { [A.developmentAccount]: { environment: value } }).environment, value).toBe("production");
    }
  });

  it("says a folder contains production when a project below it is production", () => {
    expect(scopeOf({ scope: DEMO_ANCHORS.gcp.prodFolder })).toMatchObject({ containsProduction: true });
    expect(scopeOf({ scope: A.developmentAccount })).toMatchObject({ environment: "development", containsProduction: false });
  });

  it("lets the admin's governance.scopes override the environment and add tags", () => {
    const overridden = scopeOf({ scope: A.developmentAccount }, { [A.developmentAccount]: { environment: "production", tags: { owner: "sre" } } });
    expect(overridden).toMatchObject({ environment: "production", tags: { environment: "development", owner: "sre" } });
  });

  it("takes AWS accounts' environment from the provider config, with governance.scopes winning", () => {
    const config = parseConfig(
      {
        providers: { aws: { accounts: [{ id: "222222222222", environment: "production" }, { id: "333333333333", environment: "development" }] } },
        governance: { scopes: { "aws:account/333333333333": { environment: "staging" } } },
      },
      "(test)",
    );
    const { scopes } = governanceSettingsOf(config, loadPolicySet(undefined, TOOL_ACTIONS));
    expect(resolveScope({ scope: "aws:account/222222222222" }, null, scopes).environment).toBe("production");
    expect(resolveScope({ scope: "aws:account/333333333333" }, null, scopes).environment).toBe("staging");
  });

  it("knows only the config before anything was collected", () => {
    expect(resolveScope({ scope: "aws:account/123456789012" }, null, {})).toMatchObject({ provider: "aws", kind: "unknown", environment: "unknown" });
    expect(resolveScope({ scope: "aws:account/123456789012" }, null, { "aws:account/123456789012": { environment: "production" } })).toMatchObject({
      environment: "production",
      containsProduction: true,
    });
    expect(resolveScope({ provider: "gcp" }, null, {})).toMatchObject({ id: "gcp", kind: "provider", estateWide: true, environment: "unknown" });
  });
});

describe("admin policies", () => {
  const compile = (text: string) => compilePolicySet(text, "admin.cedar", TOOL_ACTIONS);

  it("denies by a forbid, naming it, and never asks for approval then", () => {
    const policy = compile(`
      @id("read") permit (principal, action in Wiam::Action::"read", resource);
      @id("contractors-no-entitlements") @reason("contractors do not query entitlements")
      forbid (principal in Wiam::CallerGroup::"contractors", action in Wiam::Action::"entitlements", resource);
    `);
    const dev = scopeOf({ scope: A.developmentAccount });
    expect(decide(policy, request("explain_entitlement_paths", dev, {}, { groups: ["contractors"] }))).toEqual({
      kind: "deny",
      policyIds: ["contractors-no-entitlements"],
      reasons: ["contractors do not query entitlements"],
    });
    expect(decide(policy, request("explain_entitlement_paths", dev, {}, { groups: ["analysts"] })).kind).toBe("allow");
    expect(decide(policy, request("inventory_summary", dev, {}, { groups: ["contractors"] })).kind).toBe("allow");
  });

  it("can require fresher data: context.dataAgeMinutes is how old the served collection is", () => {
    const policy = compile(`
      @id("read") permit (principal, action in Wiam::Action::"read", resource);
      @id("fresh-data-for-entitlements") @reason("entitlement answers need data collected within the last day")
      forbid (principal, action in Wiam::Action::"entitlements", resource) when { context.dataAgeMinutes > 1440 };
    `);
    const dev = scopeOf({ scope: A.developmentAccount });
    expect(decide(policy, request("explain_entitlement_paths", dev, { dataAgeMinutes: 1441 }))).toEqual({
      kind: "deny",
      policyIds: ["fresh-data-for-entitlements"],
      reasons: ["entitlement answers need data collected within the last day"],
    });
    expect(decide(policy, request("explain_entitlement_paths", dev, { dataAgeMinutes: 1440 })).kind).toBe("allow");
    // Nothing collected yet: the call collects now, so its data is fresh.
    expect(decide(policy, request("explain_entitlement_paths", dev, { dataAgeMinutes: -1 })).kind).toBe("allow");
    expect(decide(policy, request("inventory_summary", dev, { dataAgeMinutes: 100_000 })).kind).toBe("allow");
  });

  it("decides on the context: time of day, client, requested size, scope tags", () => {
    const policy = compile(`
      @id("office-hours") permit (principal, action in Wiam::Action::"read", resource)
      when { context.hourUtc >= 7 && context.hourUtc < 19 && principal.client == "claude-code" && context.limit <= 100 };
      @id("no-confidential") forbid (principal, action, resource)
      when { resource.hasTag("data-classification") && resource.getTag("data-classification") == "confidential" };
    `);
    const dev = scopeOf({ scope: A.developmentAccount });
    expect(decide(policy, request("list_identities", dev)).kind).toBe("allow");
    expect(decide(policy, request("list_identities", dev, { now: new Date("2026-11-24T22:00:00Z") }))).toEqual({
      kind: "deny",
      policyIds: [],
      reasons: ["no policy permits this call"],
    });
    expect(decide(policy, request("list_identities", dev, { limit: 500 })).kind).toBe("deny");
    expect(decide(policy, request("list_identities", dev, {}, { client: "other" })).kind).toBe("deny");
    expect(decide(policy, request("list_identities", scopeOf({ scope: A.productionAccount })))).toEqual({
      kind: "deny",
      policyIds: ["no-confidential"],
      reasons: ["forbidden by policy no-confidential"],
    });
  });

  it("does not let an approval lift a forbid that is not written to be lifted", () => {
    const policy = compile(`
      @id("read") permit (principal, action in Wiam::Action::"read", resource);
      @id("ask") @approval("required") forbid (principal, action, resource) when { resource.environment == "production" } unless { context.approved };
      @id("never-vendor") forbid (principal, action, resource) when { context.approved && principal.name == "vendor" };
    `);
    const prod = scopeOf({ scope: A.productionAccount });
    expect(decide(policy, request("list_identities", prod, {}, { name: "vendor" })).kind).toBe("approval");
    expect(decide(policy, request("list_identities", prod, { approved: true }, { name: "vendor" }))).toMatchObject({ kind: "deny", policyIds: ["never-vendor"] });
  });

  it("finds what policies read however they are spelled, so no rule silently stops applying", () => {
    const policy = compile(`
      @id("read") permit (principal, action in Wiam::Action::"read", resource);
      @id("spaced") forbid (principal in Wiam::CallerGroup :: "contractors", action, resource);
      @id("escaped") forbid (principal, action, resource) when { resource has "environ\u{6d}ent" && resource["environ\u{6d}ent"] == "production" };
      @id("nested-folder") forbid (principal, action, resource in Wiam::Scope
        :: "${DEMO_ANCHORS.gcp.prodFolder}");
    `);
    const dev = scopeOf({ scope: A.developmentAccount });
    expect(decide(policy, request("list_identities", dev, {}, { groups: ["contractors"] })).policyIds).toEqual(["spaced"]);
    expect(decide(policy, request("list_identities", scopeOf({ scope: A.productionAccount }))).policyIds).toEqual(["escaped"]);
    expect(decide(policy, request("list_identities", scopeOf({ scope: DEMO_ANCHORS.gcp.devProject }))).kind).toBe("allow");
    expect(decide(policy, request("list_identities", scopeOf({ scope: DEMO_ANCHORS.gcp.prodDataProject }))).policyIds).toEqual(["escaped", "nested-folder"]);
  });

  it("decides on entity comparisons, which need every value passed", () => {
    const policy = compile(`
      @id("read") permit (principal, action in Wiam::Action::"read", resource);
      @id("not-bob") forbid (principal, action, resource) when { principal == Wiam::Caller::"bob" && resource == Wiam::Scope::"${A.developmentAccount}" };
    `);
    const dev = scopeOf({ scope: A.developmentAccount });
    expect(decide(policy, request("list_identities", dev, {}, { name: "bob" })).policyIds).toEqual(["not-bob"]);
    expect(decide(policy, request("list_identities", dev, {}, { name: "alice" })).kind).toBe("allow");
  });

  it("denies when a policy cannot be evaluated, rather than skipping it", () => {
    const policy = compile(`
      @id("read") permit (principal, action in Wiam::Action::"read", resource);
      @id("overflowing") forbid (principal, action, resource) when { context.limit * 9223372036854775807 > 0 };
    `);
    const decision = decide(policy, request("list_identities", scopeOf({ scope: A.developmentAccount })));
    expect(decision.kind).toBe("deny");
    expect(decision.policyIds).toEqual(["overflowing"]);
    expect(decision.reasons[0]).toMatch(/^policy overflowing could not be evaluated: .*overflow/);
  });
});

describe("policy files that do not load", () => {
  const problem = (text: string): string => {
    try {
      compilePolicySet(text, "admin.cedar", TOOL_ACTIONS);
    } catch (error) {
      expect(error).toBeInstanceOf(UserFacingError);
      return (error as Error).message;
    }
    throw new Error("expected the policy to be rejected");
  };

  it("names the file, the line and the problem", () => {
    expect(problem('permit (principal, action, resource);\n\nforbid (principal, action == , resource);')).toMatch(/^policy admin\.cedar: line 3:\d+: /);
  });

  it("type-checks against the schema: an unknown attribute or action is an error naming the policy", () => {
    expect(problem('@id("typo") permit (principal, action, resource) when { resource.envirnoment == "production" };')).toMatch(
      /^policy admin\.cedar: policy typo: .*envirnoment/,
    );
    expect(problem('@id("no-such-tool") permit (principal, action == Wiam::Action::"delete_everything", resource);')).toMatch(/delete_everything/);
  });

  it("rejects duplicate ids, approval on a permit, and a set that permits nothing", () => {
    expect(problem('@id("a") permit (principal, action, resource);\n@id("a") permit (principal, action, resource);')).toBe(
      'policy admin.cedar: two policies have @id("a")',
    );
    expect(problem('@id("p") @approval("required") permit (principal, action, resource);')).toBe(
      "policy admin.cedar: policy p: @approval only applies to forbid policies",
    );
    expect(problem('@id("f") forbid (principal, action, resource);')).toBe("policy admin.cedar: no permit policy: every call would be refused");
  });

  it("publishes a schema with one action per tool", () => {
    const schema = cedarSchemaText(TOOL_ACTIONS);
    for (const tool of TOOLS) expect(schema).toContain(`action "${tool}" in [`);
    // Each tool declares its group next to its definition; the schema and the engine read it there.
    expect(Object.fromEntries(ALL_TOOLS.map((tool) => [tool.name, tool.actionGroup]))).toEqual({
      describe_identity: "identities",
      explain_entitlement_paths: "entitlements",
      find_anomalous_activity: "activity",
      find_expiring_credentials: "hygiene",
      find_stale_service_accounts: "hygiene",
      inventory_summary: "inventory",
      list_identities: "identities",
      what_changed: "inventory",
    });
    expect(schema).toContain('action "explain_entitlement_paths" in ["entitlements"]');
  });
});
