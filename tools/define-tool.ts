/**
 * The shape of one MCP tool. The type only admits read-only tools: `readOnlyHint` must be the
 * literal `true` and `destructiveHint` can only be `false`, so a write tool cannot be declared.
 * Tools never see MCP or a cloud SDK: they get the inventory and settings through ToolContext.
 */
import type { z } from "zod";
import type { Inventory } from "../src/model/inventory-index.js";
import type { WiamConfig } from "../src/config/schema.js";
import type { TextAnswer } from "../src/text/answer.js";
import type { ChangeHistory } from "../src/history/inventory-history.js";
import type { RefreshOutcome } from "../src/pipeline/inventory-service.js";

export interface ReadOnlyAnnotations {
  readOnlyHint: true;
  destructiveHint?: false;
  idempotentHint: boolean;
  /** True when answers come from live cloud APIs; the pipeline sets it per deployment. */
  openWorldHint: boolean;
}

export interface DataSourceInfo {
  kind: "demo" | "snapshot" | "live" | "mixed";
  demo: boolean;
  generatedAt: string;
  /** One sentence the client must show, e.g. that the answer comes from demo data. */
  notice: string | null;
  /** When each source (connector: aws, gcp, azure, demo, snapshot) was collected: how old the data is. */
  collectedAt?: Record<string, string>;
}

export interface ToolContext {
  inventory: Inventory;
  dataSource: DataSourceInfo;
  config: WiamConfig;
  now: Date;
  /** The Cedar policy in force (the last good one after a reload), for the active-policy resource. */
  activePolicy?: { builtIn: boolean; text: string };
  /** The stored history of collections (config `history.enabled`), for what_changed. */
  history?: HistoryView;
  /** What the call's refresh did (tools with `refreshesInventory`), per connector. */
  refreshed?: readonly RefreshOutcome[];
}

/** What a tool may read of the stored history: the changes of the sources configured now. */
export interface HistoryView {
  changes(filter: { since?: string | undefined; afterId?: string | undefined }): Promise<ChangeHistory>;
}

/**
 * Where a tool is offered: "mcp" (tools/list and tools/call), "cli" (a `wiam` command), or
 * "resource" (behind an MCP resource: read with resources/read, never listed or called as a tool).
 */
export type ToolSurface = "mcp" | "cli" | "resource";

export interface ToolOutcome<Output> {
  structured: Output;
  /**
   * Concise human-readable rendering: the server's words with cloud values kept apart as data, so
   * the pipeline cleans and redacts the values and never rewrites the words (src/text/answer.ts).
   */
  text: TextAnswer;
  /** Items returned, for the audit record. */
  itemCount: number;
}

/** Kinds of question, so a policy can name one rather than every tool (`action in Wiam::Action::"hygiene"`). */
// "activity": source addresses and user agents of identities are telemetry of their own, gated apart.
export const ACTION_GROUPS = ["entitlements", "identities", "hygiene", "inventory", "activity"] as const;
export type ActionGroup = (typeof ACTION_GROUPS)[number];

export interface ToolDefinition<Input extends z.ZodObject = z.ZodObject, Output extends z.ZodObject = z.ZodObject> {
  name: string;
  /** The Cedar action group the tool's action belongs to (all groups are in "read"). */
  actionGroup: ActionGroup;
  title: string;
  description: string;
  input: Input;
  output: Output;
  annotations: ReadOnlyAnnotations;
  /**
   * What the call is about, for the request-time policy (its Cedar resource). Default: the
   * `scope`, `provider`, `resource` and `principal` arguments, a principal standing for its own scope.
   */
  policyScope?(args: z.output<Input>): PolicyScopeQuery;
  /**
   * Lists in the answer that show reach (grants, who can assume what, entitlement paths). Before
   * release the pipeline asks the policy again about the scopes each item touches, and withholds
   * the items it refuses (src/governance/answer-review.ts).
   */
  reveals?: readonly RevealedPart[];
  /**
   * Called when the review withheld items (by part name), to bring the answer's own summaries
   * (counts per outcome) in line with what is released: counts must not tell of withheld items.
   */
  afterReview?(released: z.output<Output>, withheld: WithheldItems): z.output<Output>;
  /**
   * Top-level fields of the structured result that the server computes (counts, thresholds, mode):
   * never redacted, like the page envelope. Everything else is data and redacted.
   */
  serverFields?: readonly string[];
  /**
   * "cli": an analyst's command (`wiam export`) that runs through the same pipeline as every call
   * but is never listed to or callable by an MCP client. "resource": the reading behind an MCP
   * resource (tools/resources/). Default "mcp".
   */
  surface?: ToolSurface;
  /**
   * The tool this one answers as, under another name (a resource's tool that is describe_identity
   * read through a URI). The allowlist, field visibility and the Cedar policy are asked about both
   * names: a deny on either refuses and a visibility rule for either applies, so a setting made for
   * the tool is never bypassed through the resource.
   */
  standsFor?: string;
  /**
   * Off unless tools.allow names it exactly: a glob ("*") does not enable it. For what most callers
   * should not read by default (the active Cedar policy names who is exempt from approval).
   */
  explicitAllowOnly?: boolean;
  /**
   * Arrays in the structured result (paths as in serverFields) redacted one item at a time, so a
   * whole estate stays within the redactor's time limit per call; any failure still withholds all.
   */
  itemwiseRedaction?: readonly string[];
  /** False: the audit record never keeps this tool's response body, whatever audit.responseBody says. */
  auditResponseBody?: boolean;
  /**
   * The collector's tool (`wiam collect`, the background refresh): the pipeline collects these
   * connectors afresh (all when none named) before the handler runs, instead of serving the
   * stored or cached inventory, so the refresh is governed and audited like any call.
   */
  refreshesInventory?(args: z.output<Input>): { connectors?: readonly string[] | undefined };
  handler(args: z.output<Input>, context: ToolContext): ToolOutcome<z.input<Output>> | Promise<ToolOutcome<z.input<Output>>>;
}

/** One list in a structured answer that shows how identities reach other identities or resources. */
export interface RevealedPart {
  /** How the answer names the part, e.g. "identity.canAssume". */
  name: string;
  /** Where the list sits in the structured output. */
  path: readonly string[];
  /** The identities and resources one item shows reach between; a resource that cannot be placed
   * counts as its provider's whole estate, as at request time. Item and answer have passed the output schema. */
  touches(item: unknown, answer: unknown): { principals: readonly string[]; resources: readonly string[] };
  /** The list is the answer's page: `page.returned` and `page.total` drop what the review withheld from it. */
  paged?: boolean;
  /** The part is one object (or null), not a list: withheld, it becomes null. */
  single?: boolean;
  /**
   * The policy is asked about the part as this tool too, and the stricter answer counts: a summary
   * of activity in another tool's answer is governed by the rules for the activity tool's action
   * group (approve-production-activity), not only by its own tool's.
   */
  asTool?: string;
}

/** The items the review withheld, by part name (RevealedPart.name). */
export type WithheldItems = ReadonlyMap<string, readonly unknown[]>;

/** The scope a call asks about, as the policy sees it (see src/governance/scope-resolver.ts). */
export interface PolicyScopeQuery {
  scope?: string | undefined;
  provider?: string | undefined;
  /** A principal the call is about; stands for its own scope. */
  principal?: string | undefined;
  /** A resource the call is about; placed in its scope, or its provider's whole estate. */
  resource?: string | undefined;
}

export function defineTool<Input extends z.ZodObject, Output extends z.ZodObject>(
  definition: ToolDefinition<Input, Output>,
): ToolDefinition<Input, Output> {
  return definition;
}

/** A tool with its type parameters erased, for the registry and the pipeline. */
export interface AnyToolDefinition {
  name: string;
  actionGroup: ActionGroup;
  title: string;
  description: string;
  input: z.ZodObject;
  output: z.ZodObject;
  annotations: ReadOnlyAnnotations;
  policyScope?(args: unknown): PolicyScopeQuery;
  reveals?: readonly RevealedPart[];
  afterReview?(released: Record<string, unknown>, withheld: WithheldItems): Record<string, unknown>;
  serverFields?: readonly string[];
  surface?: ToolSurface;
  standsFor?: string;
  explicitAllowOnly?: boolean;
  itemwiseRedaction?: readonly string[];
  auditResponseBody?: boolean;
  refreshesInventory?(args: unknown): { connectors?: readonly string[] | undefined };
  handler(args: unknown, context: ToolContext): ToolOutcome<unknown> | Promise<ToolOutcome<unknown>>;
}

export function eraseTool<Input extends z.ZodObject, Output extends z.ZodObject>(tool: ToolDefinition<Input, Output>): AnyToolDefinition {
  return {
    ...tool,
    ...(tool.policyScope ? { policyScope: (args: unknown) => tool.policyScope?.(args as z.output<Input>) ?? {} } : {}),
    ...(tool.afterReview
      ? { afterReview: (released: Record<string, unknown>, withheld: WithheldItems) => tool.afterReview?.(released as z.output<Output>, withheld) ?? released }
      : {}),
    ...(tool.refreshesInventory ? { refreshesInventory: (args: unknown) => tool.refreshesInventory?.(args as z.output<Input>) ?? {} } : {}),
    handler: (args, context) => tool.handler(args as z.output<Input>, context),
  };
}

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** The scope a validated call asks about, as the tool declares it (or from its common arguments). */
export function policyScopeOf(tool: AnyToolDefinition, args: unknown): PolicyScopeQuery {
  if (tool.policyScope) return tool.policyScope(args);
  const record = (typeof args === "object" && args !== null ? args : {}) as Record<string, unknown>;
  return { scope: text(record.scope), provider: text(record.provider), principal: text(record.principal), resource: text(record.resource) };
}

/** The principal, action and resource a validated call names, for the policy context and approvers. */
/** Every validated argument but the intent and task id (which approvers are shown on their own), unset ones left out. */
export function askedArgumentsOf(args: unknown): Record<string, unknown> {
  const record = (typeof args === "object" && args !== null ? args : {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(record).filter(([key, value]) => key !== "intent" && key !== "task_id" && value !== undefined));
}

export function subjectArgumentsOf(args: unknown): { principal?: string | undefined; resource?: string | undefined; action?: string | undefined } {
  const record = (typeof args === "object" && args !== null ? args : {}) as Record<string, unknown>;
  return { principal: text(record.principal), resource: text(record.resource), action: text(record.action) };
}
