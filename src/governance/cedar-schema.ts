/**
 * The Cedar vocabulary admins write policies in: who calls (Caller), what they do (one action per
 * tool, grouped), on what (Scope) and with which context. `wiam policy validate` type-checks
 * policies against this schema, so a typo in an attribute is caught before the server loads it.
 */

export const CEDAR_NAMESPACE = "Wiam";

/** A tool as the policy sees it: one action, in its group. */
export interface ToolAction {
  name: string;
  actionGroup: string;
}

/** The schema text for the given tools (every tool is an action in its group, inside "read"). */
export function cedarSchemaText(tools: readonly ToolAction[]): string {
  const groups = [...new Set(tools.map((tool) => tool.actionGroup))].sort();
  const lines = [
    `namespace ${CEDAR_NAMESPACE} {`,
    "  // Named sets of callers, from governance.callerGroups in the config.",
    "  entity CallerGroup;",
    "  // The OS user (stdio, CLI) or the authenticated subject (HTTP), with the MCP client's name.",
    "  entity Caller in [CallerGroup] {",
    "    name: String,",
    '    client: String,      // MCP client name from initialize, "" when unknown',
    '    transport: String,   // "stdio", "http", "cli" or "in-memory"',
    '    issuer: String,      // the access token\'s issuer (HTTP); "" for OS users',
    '    clientId: String,    // the OAuth client the token was issued to (azp/client_id); "" when none',
    "  };",
    "  // What a call asks about: one scope (account, project, subscription, vault, ...) with its",
    '  // ancestors as parents, a provider ("aws", "gcp", "azure") or the whole estate ("*").',
    "  entity Scope in [Scope] {",
    '    provider: String,      // "" for the whole estate',
    '    kind: String,          // account, project, vault, ..., "provider" or "estate"',
    '    environment: String,   // from the environment tag (nearest ancestor) or the config; "unknown" otherwise',
    "    estateWide: Bool,      // the call is not narrowed to one scope",
    "    containsProduction: Bool,",
    "  } tags String;",
    "  type Usage = {",
    "    calls: Long,             // calls of this task (or caller) so far, this one excluded",
    "    callsLastMinute: Long,",
    "    itemsReturned: Long,",
    "    distinctScopes: Long,",
    "  };",
    "  type CallContext = {",
    "    intent: String,",
    "    taskId: String,",
    "    hourUtc: Long,           // 0-23",
    "    weekdayUtc: Long,        // 0 = Sunday",
    '    provider: String,        // provider filter, "" when none',
    '    scope: String,           // scope filter, "" when none',
    '    principal: String,       // principal argument, "" when none',
    '    target: String,          // resource/action argument of entitlement queries, "" when none',
    "    limit: Long,             // items requested for this page (result size asked for)",
    "    demo: Bool,              // the estate is the built-in demo",
    "    dataAgeMinutes: Long,    // minutes since the served data was collected (oldest source); -1 before any collection",
    "    task: Usage,",
    "    caller: Usage,",
    '    budgetExceeded: Bool,',
    "    approved: Bool,          // true only when re-evaluated after a person approved",
    '    approver: String,        // the second person who approved (verified); "" before approval and for the caller\'s own confirmation',
    '    approvalKind: String,    // "none", "self-confirmation" (the caller confirmed), "second-person", or "reused" (an earlier second-person approval in the task)',
    "    // Only when an answer is reviewed before release (test with `context has resultPart`):",
    '    resultPart?: String,                 // the part of the answer, e.g. "identity.canAssume", "paths"',
    "    resultScopes?: Set<String>,          // scopes the part's items touch",
    "    resultEnvironments?: Set<String>,    // their environments",
    "    resultContainsProduction?: Bool,     // one of them is, or contains, production",
    "  };",
    '  action "read";',
    ...groups.map((group) => `  action "${group}" in ["read"];`),
    ...[...tools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(
      (tool) => `  action "${tool.name}" in ["${tool.actionGroup}"] appliesTo { principal: Caller, resource: Scope, context: CallContext };`,
    ),
    "}",
  ];
  return `${lines.join("\n")}\n`;
}
