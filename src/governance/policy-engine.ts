/**
 * Request-time authorization with Cedar. Every call becomes (principal = Caller, action = tool,
 * resource = Scope asked about, context = intent, task, time, filters, size, usage) and gets one of
 * three decisions: allow, deny, or approval (only forbids annotated @approval("required") stand in
 * the way; a person may lift them). Evaluation errors deny: a policy that cannot be evaluated must
 * not turn a forbid into an allow.
 */
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { CEDAR_NAMESPACE } from "./cedar-schema.js";
import type { CompiledPolicySet } from "./policy-set.js";

export interface CallerEntity {
  name: string;
  client: string;
  transport: string;
  groups: readonly string[];
}

/** A scope as policies see it. */
export interface ScopeEntity {
  id: string;
  provider: string;
  kind: string;
  environment: string;
  estateWide: boolean;
  containsProduction: boolean;
  tags: Readonly<Record<string, string>>;
  /** Ancestors, nearest first (become the entity's parents). */
  ancestors: readonly Omit<ScopeEntity, "ancestors">[];
}

export interface Usage {
  calls: number;
  callsLastMinute: number;
  itemsReturned: number;
  distinctScopes: number;
}

export interface CallContextValues {
  intent: string;
  taskId: string;
  now: Date;
  provider: string;
  scope: string;
  principal: string;
  target: string;
  limit: number;
  demo: boolean;
  task: Usage;
  caller: Usage;
  budgetExceeded: boolean;
  approved: boolean;
  approver: string;
}

export interface PolicyRequest {
  caller: CallerEntity;
  tool: string;
  resource: ScopeEntity;
  context: CallContextValues;
}

export type DecisionKind = "allow" | "deny" | "approval";

export interface GovernanceDecision {
  kind: DecisionKind;
  /** The policies that determined the decision (permits for allow, forbids for deny/approval). */
  policyIds: string[];
  /** Human-readable why: policy reasons, or the evaluation problem. */
  reasons: string[];
}

const type = (name: string) => `${CEDAR_NAMESPACE}::${name}`;

function scopeJson(scope: Omit<ScopeEntity, "ancestors">, parent: Omit<ScopeEntity, "ancestors"> | undefined): cedar.EntityJson {
  return {
    uid: { type: type("Scope"), id: scope.id },
    attrs: {
      provider: scope.provider,
      kind: scope.kind,
      environment: scope.environment,
      estateWide: scope.estateWide,
      containsProduction: scope.containsProduction,
    },
    parents: parent ? [{ type: type("Scope"), id: parent.id }] : [],
    tags: { ...scope.tags },
  };
}

function usageJson(usage: Usage): cedar.CedarValueJson {
  return { calls: usage.calls, callsLastMinute: usage.callsLastMinute, itemsReturned: usage.itemsReturned, distinctScopes: usage.distinctScopes };
}

export function toCedarCall(request: PolicyRequest, preparsedPolicySetId: string): cedar.StatefulAuthorizationCall {
  const { caller, resource, context } = request;
  const chain = [resource, ...resource.ancestors];
  const entities: cedar.EntityJson[] = chain.map((scope, index) => scopeJson(scope, chain[index + 1]));
  entities.push({
    uid: { type: type("Caller"), id: caller.name },
    attrs: { name: caller.name, client: caller.client, transport: caller.transport },
    parents: caller.groups.map((group) => ({ type: type("CallerGroup"), id: group })),
  });
  for (const group of caller.groups) entities.push({ uid: { type: type("CallerGroup"), id: group }, attrs: {}, parents: [] });
  return {
    principal: { type: type("Caller"), id: caller.name },
    action: { type: type("Action"), id: request.tool },
    resource: { type: type("Scope"), id: resource.id },
    context: {
      intent: context.intent,
      taskId: context.taskId,
      hourUtc: context.now.getUTCHours(),
      weekdayUtc: context.now.getUTCDay(),
      provider: context.provider,
      scope: context.scope,
      principal: context.principal,
      target: context.target,
      limit: context.limit,
      demo: context.demo,
      task: usageJson(context.task),
      caller: usageJson(context.caller),
      budgetExceeded: context.budgetExceeded,
      approved: context.approved,
      approver: context.approver,
    },
    preparsedPolicySetId,
    preparsedSchemaName: preparsedPolicySetId,
    validateRequest: true,
    entities,
  };
}

export function decide(policySet: CompiledPolicySet, request: PolicyRequest): GovernanceDecision {
  let answer: cedar.AuthorizationAnswer;
  try {
    answer = cedar.statefulIsAuthorized(toCedarCall(request, policySet.preparsedId));
  } catch (error) {
    return { kind: "deny", policyIds: [], reasons: [`policy evaluation failed: ${error instanceof Error ? error.message : String(error)}`] };
  }
  if (answer.type === "failure") {
    return { kind: "deny", policyIds: [], reasons: [`policy evaluation failed: ${answer.errors.map((e) => e.message).join("; ")}`] };
  }
  const { decision, diagnostics } = answer.response;
  if (diagnostics.errors.length > 0) {
    // Cedar skips a policy that errors; for a forbid that would fail open, so any error denies.
    return {
      kind: "deny",
      policyIds: diagnostics.errors.map((e) => e.policyId),
      reasons: diagnostics.errors.map((e) => `policy ${e.policyId} could not be evaluated: ${e.error.message}`),
    };
  }
  const policyIds = [...diagnostics.reason].sort();
  if (decision === "allow") return { kind: "allow", policyIds, reasons: [] };
  if (policyIds.length === 0) return { kind: "deny", policyIds: [], reasons: ["no policy permits this call"] };
  const infos = policyIds.map((id) => policySet.policies.get(id));
  const reasons = infos.map((info, i) => info?.reason ?? `forbidden by policy ${policyIds[i] ?? "?"}`);
  const approvable = infos.every((info) => info?.approval === true);
  return { kind: approvable ? "approval" : "deny", policyIds, reasons };
}
