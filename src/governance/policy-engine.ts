/**
 * Request-time authorization with Cedar. Every call becomes (principal = Caller, action = tool,
 * resource = Scope asked about, context = intent, task, time, filters, size, usage) and gets one of
 * three decisions: allow, deny, or approval (only forbids annotated @approval("required") or
 * @approval("second-person") stand in the way; a person may lift them). Evaluation errors deny:
 * a policy that cannot be evaluated must not turn a forbid into an allow.
 */
import * as cedar from "./cedar.js";
import { CEDAR_NAMESPACE } from "./cedar-schema.js";
import type { CompiledPolicySet } from "./policy-set.js";


/** Whose approval `context.approved` stands for, so a policy can insist on a second person. */
export type ApprovalKind = "none" | "self-confirmation" | "second-person" | "reused";
export interface CallerEntity {
  name: string;
  client: string;
  transport: string;
  /** Issuer and OAuth client of the caller's access token; "" for OS users. */
  issuer: string;
  clientId: string;
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
  /** Minutes since the served data was collected; -1 before any collection. */
  dataAgeMinutes: number;
  task: Usage;
  caller: Usage;
  budgetExceeded: boolean;
  approved: boolean;
  /** The verified second person who approved; "" before approval and for a self-confirmation (a typed name proves nothing). */
  approver: string;
  approvalKind: ApprovalKind;
  /** Set only when an answer is reviewed before release: what one part of it reveals. */
  result?: { part: string; scopes: readonly string[]; environments: readonly string[]; containsProduction: boolean } | undefined;
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

/** Keeps the entries of `values` whose names the policies mention. */
function pick(values: Record<string, cedar.CedarValueJson>, words: ReadonlySet<string>): Record<string, cedar.CedarValueJson> {
  const out: Record<string, cedar.CedarValueJson> = {};
  for (const [key, value] of Object.entries(values)) if (words.has(key)) out[key] = value;
  return out;
}

function usageJson(usage: Usage): cedar.CedarValueJson {
  return { calls: usage.calls, callsLastMinute: usage.callsLastMinute, itemsReturned: usage.itemsReturned, distinctScopes: usage.distinctScopes };
}

/** The action and its groups as entities, so `action in Wiam::Action::"read"` holds without a schema. */
const actionEntityCache = new Map<string, cedar.EntityJson[]>();
function actionEntities(tool: string, group: string): cedar.EntityJson[] {
  const key = `${group}\u0000${tool}`;
  const cached = actionEntityCache.get(key);
  if (cached) return cached;
  const action = (id: string, parent?: string): cedar.EntityJson => ({
    uid: { type: type("Action"), id },
    attrs: {},
    parents: parent ? [{ type: type("Action"), id: parent }] : [],
  });
  const entities = [action(tool, group), action(group, "read"), action("read")];
  actionEntityCache.set(key, entities);
  return entities;
}

/**
 * The Cedar request, carrying only what the policy set reads (see PolicyInputs): converting
 * values into the engine costs more than evaluating the policies.
 */
export function toCedarCall(request: PolicyRequest, policySet: Pick<CompiledPolicySet, "preparsedId" | "inputs" | "actionGroups">): cedar.StatefulAuthorizationCall {
  const { caller, resource, context } = request;
  const { words, tags } = policySet.inputs;
  const scopeUid = (id: string) => ({ type: type("Scope"), id });
  const ancestors = resource.ancestors;
  const entities: cedar.EntityJson[] = [
    {
      uid: scopeUid(resource.id),
      attrs: pick(
        {
          provider: resource.provider,
          kind: resource.kind,
          environment: resource.environment,
          estateWide: resource.estateWide,
          containsProduction: resource.containsProduction,
        },
        words,
      ),
      parents: ancestors.length > 0 ? [scopeUid(ancestors[0]?.id ?? "")] : [],
      ...(tags ? { tags: { ...resource.tags } } : {}),
    },
    // Ancestors only serve `resource in Wiam::Scope::"..."`: their ids and links are enough.
    ...ancestors.map((scope, index) => ({ uid: scopeUid(scope.id), attrs: {}, parents: index + 1 < ancestors.length ? [scopeUid(ancestors[index + 1]?.id ?? "")] : [] })),
    {
      uid: { type: type("Caller"), id: caller.name },
      attrs: pick({ name: caller.name, client: caller.client, transport: caller.transport, issuer: caller.issuer, clientId: caller.clientId }, words),
      parents: caller.groups.map((group) => ({ type: type("CallerGroup"), id: group })),
    },
    // A tool the policy set was not compiled for is in the "other" group.
    ...actionEntities(request.tool, policySet.actionGroups.get(request.tool) ?? "other"),
  ];
  return {
    principal: { type: type("Caller"), id: caller.name },
    action: { type: type("Action"), id: request.tool },
    resource: scopeUid(resource.id),
    context: pick(
      {
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
        dataAgeMinutes: context.dataAgeMinutes,
        task: usageJson(context.task),
        caller: usageJson(context.caller),
        budgetExceeded: context.budgetExceeded,
        approved: context.approved,
        approver: context.approver,
        approvalKind: context.approvalKind,
        ...(context.result
          ? {
              resultPart: context.result.part,
              resultScopes: [...context.result.scopes],
              resultEnvironments: [...context.result.environments],
              resultContainsProduction: context.result.containsProduction,
            }
          : {}),
      },
      words,
    ),
    preparsedPolicySetId: policySet.preparsedId,
    entities,
  };
}

/** Decisions are a pure function of the (pruned) request and the policy set, so repeats are served from memory. */
const DECISION_CACHE_SIZE = 2_000;
const decisionCaches = new WeakMap<CompiledPolicySet, Map<string, GovernanceDecision>>();

export function decide(policySet: CompiledPolicySet, request: PolicyRequest): GovernanceDecision {
  let call: cedar.StatefulAuthorizationCall;
  try {
    call = toCedarCall(request, policySet);
  } catch (error) {
    return { kind: "deny", policyIds: [], reasons: [`policy request could not be built: ${error instanceof Error ? error.message : String(error)}`] };
  }
  let cache = decisionCaches.get(policySet);
  if (!cache) decisionCaches.set(policySet, (cache = new Map()));
  const key = JSON.stringify(call);
  const known = cache.get(key);
  if (known) return { ...known, policyIds: [...known.policyIds], reasons: [...known.reasons] };
  const decision = evaluate(policySet, call);
  if (cache.size >= DECISION_CACHE_SIZE) cache.clear();
  cache.set(key, decision);
  return decision;
}

/** One evaluation by the engine, bypassing the cache (benchmarks measure the engine with it). */
export function decideUncached(policySet: CompiledPolicySet, request: PolicyRequest): GovernanceDecision {
  return evaluate(policySet, toCedarCall(request, policySet));
}

function evaluate(policySet: CompiledPolicySet, call: cedar.StatefulAuthorizationCall): GovernanceDecision {
  let answer: cedar.AuthorizationAnswer;
  try {
    answer = cedar.statefulIsAuthorized(call);
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
