/**
 * The request-time gate every call passes after validation and before any connector runs:
 * budgets, then the Cedar policy, then (when a policy or an exceeded budget asks for it) a person's
 * approval: a second person from the policy's @approvers group through the approval queue when a
 * policy says @approval("second-person"), otherwise the caller's own confirmation through their
 * client or terminal. The outcome says what the audit record needs: the decision, the policies
 * that made it, and who answered, in which role.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../audit/canonical-json.js";
import type { ApprovalBinding, ApproverRequirement } from "../approvals/types.js";
import type { Inventory } from "../model/inventory-index.js";
import { decide, type ApprovalKind, type CallerEntity, type GovernanceDecision, type PolicyRequest, type ScopeEntity } from "./policy-engine.js";
import { BUILT_IN_POLICY_SOURCE, type CompiledPolicySet } from "./policy-set.js";
import { resolveScope, type ScopeOverride, type ScopeQuery } from "./scope-resolver.js";
import type { BudgetCheck, TaskRegistry } from "./tasks.js";
import type { RevealedScopes } from "./answer-review.js";
import { capText, cleanInline } from "../text/untrusted.js";

export type ApprovalOutcome = "approved" | "declined" | "cancelled" | "unsupported" | "timeout" | "failed";

export interface ApprovalRequest {
  tool: string;
  intent: string;
  taskId: string;
  scope: ScopeEntity;
  /** The principal, action and resource asked about, as given. */
  arguments: GovernedCall["arguments"];
  /** Why approval is needed: policy reasons and exceeded budgets. */
  reasons: string[];
  policyIds: string[];
  timeoutMs: number;
  /** When the call's task started (BudgetCheck.taskStartedAt): an approval is bound to this task, not to a later one under the same id. */
  taskStartedAt?: number | undefined;
}

export interface ApprovalAnswer {
  outcome: ApprovalOutcome;
  /** Who answered, when someone did. */
  approver: string | null;
  note: string | null;
  /**
   * Whose answer it was: "second-person" (an approver from the policy's group, never the caller,
   * through the approval queue) or "self-confirmation" (the person at the caller's own client or
   * terminal). Absent when nobody could be asked.
   */
  kind?: "second-person" | "self-confirmation" | undefined;
  /** The approval request in the queue (second person only). */
  requestId?: string | null | undefined;
  /** The earlier approval of an identical request in the same task that this answer reuses. */
  reusedFrom?: string | null | undefined;
  decidedAt?: string | null | undefined;
  /** Why the request was refused before anyone was asked (e.g. too many waiting), in words for the caller. */
  refusal?: string | undefined;
}

/** Asks the person at the client; transports without a way to ask answer "unsupported". */
export type Approver = (request: ApprovalRequest, signal?: AbortSignal) => Promise<ApprovalAnswer>;

/** A request for a second person: the question, what the approval binds to, and who may give it. */
export interface SecondPersonRequest extends ApprovalRequest {
  binding: ApprovalBinding;
  /** The caller's token subject or OS user, so an approver with the same subject is refused. */
  callerSubject: string;
  /** The OAuth client the caller's token came from ("" when not a token): an approver using it is refused. */
  callerClientId: string;
  callerTransport: string;
  requirements: ApproverRequirement[];
  /**
   * Every validated argument of the call but its intent and task (shown on their own): the
   * approval binds to all of them (binding.argumentsHash), so the approver sees all of them.
   */
  askedArguments: Readonly<Record<string, unknown>>;
}

/** Puts a request in the approval queue and waits for a decision (src/approvals/queue.ts). */
export type SecondPersonApprover = (request: SecondPersonRequest, signal?: AbortSignal) => Promise<ApprovalAnswer>;

export interface GovernanceSettings {
  policySet: CompiledPolicySet;
  approvalTimeoutMs: number;
  onBudgetExceeded: "deny" | "approval";
  scopes: Readonly<Record<string, ScopeOverride>>;
  callerGroups: Readonly<Record<string, readonly string[]>>;
}

export interface GovernedCall {
  tool: string;
  /** The tool this one answers as (ToolDefinition.standsFor): the policy is asked about both actions. */
  standsFor?: string | undefined;
  intent: string;
  taskId: string;
  /** The task registry's key when it differs from the id the caller gave (per-caller task ids over HTTP). */
  taskKey?: string | undefined;
  caller: {
    name: string;
    client: string | null;
    transport: string;
    /** Token issuer and OAuth client of an authenticated caller; absent or "" for OS users. */
    issuer?: string | undefined;
    clientId?: string | undefined;
    /** Groups the caller's token names (Cedar sees them as `token:<name>`), besides the config's governance.callerGroups. */
    groups?: readonly string[] | undefined;
  };
  /** What the call is about (its policy resource). */
  query: ScopeQuery;
  /** The entitlement arguments as given, for the policy context and the approver. */
  arguments: { principal?: string | undefined; resource?: string | undefined; action?: string | undefined };
  /** Every validated argument but intent and task_id, for a second person to see what they approve; `arguments` when absent. */
  askedArguments?: Readonly<Record<string, unknown>> | undefined;
  /**
   * SHA-256 of the canonical JSON of every validated argument but the task id: what a second
   * person's approval binds to. Absent: computed from the intent, subject arguments and limit.
   */
  argumentsHash?: string | undefined;
  limit: number;
  now: Date;
  signal?: AbortSignal | undefined;
}

export interface Authorization {
  allowed: boolean;
  /** For the audit: the policy's decision before any approval. */
  decision: "allow" | "deny" | "approval_required";
  /** e.g. "policy: allow-read-only-tools" or "budget: ...". */
  rule: string;
  policyIds: string[];
  approval: ApprovalAnswer | null;
  /** Why the call was refused, for the caller; null when allowed. */
  message: string | null;
  scope: ScopeEntity;
  budget: BudgetCheck;
  /** The estate was the built-in demo (not a file labelled demo) when the question was decided. */
  demo: boolean;
  /** Minutes since the data the call is answered from was collected; -1 when none was collected yet. */
  dataAgeMinutes?: number;
}

/** What the policy is told about the estate itself: whether it is the demo, and how old the data is. */
interface EstateFacts {
  demo: boolean;
  dataAgeMinutes: number;
}

/**
 * How old the served data is, for `context.dataAgeMinutes`: from the oldest source's collection
 * time. No inventory yet means the call collects now: the data will be fresh, so -1, not a large age.
 */
export function dataAgeMinutesOf(inventory: Inventory | null, now: Date): number {
  if (!inventory) return -1;
  const collected = Date.parse(inventory.snapshot.generatedAt);
  return Number.isNaN(collected) ? -1 : Math.max(0, Math.floor((now.getTime() - collected) / 60_000));
}

/** Budgets follow the caller (the OS user or authenticated subject), not the client name it declares. */
export function callerKeyOf(caller: Pick<GovernedCall["caller"], "name">): string {
  return caller.name;
}

/**
 * What the person who runs the server can change when nobody can be asked: the client capability
 * that lets a person approve, and the exact policy edit (or budget setting) that lifts the rule
 * for named callers. A newcomer meeting this in a client without elicitation learns the way out.
 */
function withoutAskingHint(policyIds: readonly string[]): string {
  const capability = "use an MCP client that supports elicitation (form mode), or `wiam call` in a terminal";
  const policyId = policyIds[0];
  if (policyId === undefined) return `${capability}, or raise the limits under governance.budgets in the config`;
  return (
    `${capability}, or let trusted callers through without a person: in the policy file (governance.policyFile; start from \`wiam policy default\`), ` +
    `change the forbid @id("${policyId}") to end with \`unless { context.approved || principal in Wiam::CallerGroup::"trusted" };\` ` +
    "and list those callers under governance.callerGroups.trusted in the config"
  );
}

/** Who may approve a second-person request, in words. */
function approverGroupsText(requirements: readonly ApproverRequirement[]): string {
  return [...new Set(requirements.map((r) => r.groups.join(" or ")))].join(", and ");
}

/** A name or note from the queue or a client, as it may appear in a message a terminal prints. */
function inline(text: string): string {
  return capText(cleanInline(text), 200);
}

function secondPersonMessage(answer: ApprovalAnswer, why: string, requirements: readonly ApproverRequirement[]): string {
  const request = answer.requestId ? `approval request ${answer.requestId}` : "the approval request";
  const who = `a second person from ${approverGroupsText(requirements)}`;
  if (answer.refusal !== undefined) return answer.refusal;
  switch (answer.outcome) {
    case "approved":
      return `approved by ${inline(answer.approver ?? "a second person")}`;
    case "timeout":
      return `approval required (${why}): ${request} waited for ${who} and expired without a decision; the call was not run. Ask an approver to watch \`wiam approvals list\` (or the admin endpoint), then call again`;
    case "declined":
      return `approval required (${why}): ${request} was denied by ${inline(answer.approver ?? "an approver")}${answer.note ? ` (note: ${JSON.stringify(answer.note)})` : ""}; the call was not run`;
    case "cancelled":
      return `approval required (${why}): ${request} was withdrawn when the call was cancelled; the call was not run`;
    case "unsupported":
      return `approval required (${why}) from ${who}, but this server has no approval queue; the call was not run`;
    case "failed":
      return `approval required (${why}) from ${who}, and the approval queue could not be reached; the call was not run`;
  }
}

function approvalMessage(answer: ApprovalAnswer, reasons: readonly string[], policyIds: readonly string[]): string {
  // Two policies may give the same reason: it is said once.
  const why = [...new Set(reasons)].join("; ");
  switch (answer.outcome) {
    case "unsupported":
      return `approval required (${why}), but this client cannot ask a person (no MCP elicitation support); the call was not run. To proceed: ${withoutAskingHint(policyIds)}`;
    case "timeout":
      return `approval required (${why}), and no answer came in time; the call was not run`;
    case "declined":
    case "cancelled":
      return `approval required (${why}), and it was ${answer.outcome}${answer.approver ? ` by ${inline(answer.approver)}` : ""}; the call was not run`;
    case "failed":
      return `approval required (${why}), and asking for it failed; the call was not run`;
    case "approved":
      return `approved${answer.approver ? ` by ${inline(answer.approver)}` : ""}`;
  }
}

/** The Cedar `Wiam::CallerGroup` id of a group named by the caller's access token (`groupsClaim`). */
export function tokenGroup(name: string): string {
  return `token:${name}`;
}

const STRICTNESS: Record<GovernanceDecision["kind"], number> = { allow: 0, approval: 1, deny: 2 };

/**
 * Two decisions on one call as one: the stricter kind wins, and when both are of that kind the
 * policies and reasons of both count (deduplicated), so the audit names every rule that stood in the way.
 */
export function stricterOf(first: GovernanceDecision, second: GovernanceDecision): GovernanceDecision {
  if (STRICTNESS[first.kind] !== STRICTNESS[second.kind]) return STRICTNESS[first.kind] > STRICTNESS[second.kind] ? first : second;
  // A forbid's reason sits at its policy's index (the answer review pairs them to ask only about
  // policies the question's approval did not cover), so the merge keeps each pair together.
  const paired = (decision: GovernanceDecision) => decision.policyIds.length === decision.reasons.length;
  if (!paired(first) || !paired(second)) {
    return { kind: first.kind, policyIds: [...new Set([...first.policyIds, ...second.policyIds])].sort(), reasons: [...new Set([...first.reasons, ...second.reasons])] };
  }
  const reasonOf = new Map<string, string>();
  for (const decision of [first, second]) {
    decision.policyIds.forEach((id, index) => {
      if (!reasonOf.has(id)) reasonOf.set(id, decision.reasons[index] ?? "");
    });
  }
  const policyIds = [...reasonOf.keys()].sort();
  return { kind: first.kind, policyIds, reasons: policyIds.map((id) => reasonOf.get(id) ?? "") };
}

/**
 * The policy's decision on a call, asked for its own action and, when it stands for another tool,
 * for that tool's action too: a forbid written for describe_identity also holds for the resource
 * that answers as describe_identity.
 */
function decideCall(policySet: CompiledPolicySet, request: PolicyRequest, standsFor: string | undefined): GovernanceDecision {
  const own = decide(policySet, request);
  if (standsFor === undefined || standsFor === request.tool) return own;
  return stricterOf(own, decide(policySet, { ...request, tool: standsFor }));
}

/** The @approvers groups of the second-person policies among `policyIds`; empty when none asks for a second person. */
export function approverRequirementsOf(policySet: CompiledPolicySet, policyIds: readonly string[]): ApproverRequirement[] {
  return policyIds.flatMap((policyId) => {
    const groups = policySet.policies.get(policyId)?.approvers;
    return groups ? [{ policyId, groups: [...groups] }] : [];
  });
}

/**
 * What an approval puts in the Cedar context: the verified approver of a second-person approval
 * only (a self-confirmation's name was typed by the caller), and which kind of approval it was.
 */
export function approvalContextOf(answer: ApprovalAnswer | null): { approved: boolean; approver: string; kind: ApprovalKind } {
  if (answer === null || answer.outcome !== "approved") return { approved: false, approver: "", kind: "none" };
  if (answer.kind !== "second-person") return { approved: true, approver: "", kind: "self-confirmation" };
  return { approved: true, approver: answer.approver ?? "", kind: answer.reusedFrom ? "reused" : "second-person" };
}

const NOT_APPROVED = approvalContextOf(null);

const FAILED: ApprovalAnswer = { outcome: "failed", approver: null, note: null };
const UNSUPPORTED: ApprovalAnswer = { outcome: "unsupported", approver: null, note: null };

export class Governor {
  constructor(
    private readonly settings: () => GovernanceSettings,
    private readonly tasks: TaskRegistry,
    private readonly secondPerson?: SecondPersonApprover,
  ) {}

  /**
   * Asks for approval: the approval queue when a second-person policy stands in the way (the
   * caller's own client is never asked then: its answer would be the caller approving
   * themselves), otherwise the caller's approver, whose answer is a self-confirmation.
   */
  async requestApproval(call: GovernedCall, request: ApprovalRequest, approver: Approver | undefined): Promise<ApprovalAnswer> {
    const settings = this.settings();
    const requirements = approverRequirementsOf(settings.policySet, request.policyIds);
    if (requirements.length > 0) {
      if (this.secondPerson === undefined) return UNSUPPORTED;
      // Without a verified identity (HTTP with auth none) every caller has the same name, so no
      // approver can be told apart from the caller. stdio and CLI callers are the OS user.
      if (call.caller.transport === "http" && !call.caller.issuer) {
        const refusal = `refused: this call needs a second person (policy ${requirements.map((r) => r.policyId).join(", ")}), but callers of this server are not authenticated (HTTP with auth none), so an approver cannot be told apart from the caller; the call was not run and nothing was queued. Serve HTTP with http.auth.type: oauth, or call over stdio as your own OS user`;
        return { outcome: "failed", approver: null, note: null, kind: "second-person", requestId: null, refusal };
      }
      const binding: ApprovalBinding = {
        tool: call.tool,
        argumentsHash: call.argumentsHash ?? argumentsHashOf({ intent: call.intent, ...call.arguments, limit: call.limit }),
        caller: call.caller.name,
        // The task as started then, through the client that asked: the same person's other client is asked again.
        taskKey: `${call.taskKey ?? call.taskId}@${request.taskStartedAt ?? 0}${call.caller.clientId ? `/${call.caller.clientId}` : ""}`,
        policyVersion: approvalPolicyVersion(settings),
      };
      const issuer = call.caller.issuer ?? "";
      const subject = issuer !== "" && call.caller.name.startsWith(`${issuer}|`) ? call.caller.name.slice(issuer.length + 1) : call.caller.name;
      const askedArguments = call.askedArguments ?? call.arguments;
      return this.secondPerson({ ...request, binding, callerSubject: subject, callerClientId: call.caller.clientId ?? "", callerTransport: call.caller.transport, requirements, askedArguments }, call.signal).catch(
        () => FAILED,
      );
    }
    if (approver === undefined) return UNSUPPORTED;
    const answer = await approver(request, call.signal).catch(() => FAILED);
    // Only an answer someone gave is a confirmation; no answer (timeout, unsupported) is not.
    return answer.outcome === "approved" || answer.outcome === "declined" || answer.outcome === "cancelled" ? { ...answer, kind: "self-confirmation" } : answer;
  }

  async authorize(call: GovernedCall, inventory: Inventory | null, approver: Approver | undefined): Promise<Authorization> {
    const settings = this.settings();
    const scope = resolveScope(call.query, inventory, settings.scopes);
    const budget = await this.tasks.admit(call.taskKey ?? call.taskId, callerKeyOf(call.caller), scope.id, call.intent, call.now.getTime());
    const facts: EstateFacts = { demo: inventory?.builtInDemo ?? false, dataAgeMinutes: dataAgeMinutesOf(inventory, call.now) };
    const request = this.request(call, scope, budget, settings, facts, NOT_APPROVED);
    const base = { scope, budget, ...facts };

    if (budget.exceeded.length > 0 && settings.onBudgetExceeded === "deny") {
      const message = `refused: over budget (${budget.exceeded.join("; ")})`;
      return { ...base, allowed: false, decision: "deny", rule: "budget", policyIds: [], approval: null, message };
    }
    const first = decideCall(settings.policySet, request, call.standsFor);
    const rule = (d: GovernanceDecision) => (d.policyIds.length > 0 ? `policy: ${d.policyIds.join(", ")}` : `policy: ${d.reasons.join("; ")}`);
    if (first.kind === "deny") {
      return { ...base, allowed: false, decision: "deny", rule: rule(first), policyIds: first.policyIds, approval: null, message: `refused by policy: ${first.reasons.join("; ")}` };
    }
    // Over budget in approval mode needs a person even when the policy alone would allow.
    const reasons = [...(first.kind === "approval" ? first.reasons : []), ...budget.exceeded.map((b) => `over budget: ${b}`)];
    if (reasons.length === 0) {
      return { ...base, allowed: true, decision: "allow", rule: rule(first), policyIds: first.policyIds, approval: null, message: null };
    }

    const policyIds = first.kind === "approval" ? first.policyIds : [];
    // A second person's queue is for questions, not for spending past a budget: over budget, refused.
    const secondPersonIds = approverRequirementsOf(settings.policySet, policyIds).map((r) => r.policyId);
    if (budget.exceeded.length > 0 && secondPersonIds.length > 0) {
      const message = `refused: over budget (${budget.exceeded.join("; ")}), and this call needs a second person (policy ${secondPersonIds.join(", ")}): an approver is not asked to lift a budget; nothing was queued`;
      return { ...base, allowed: false, decision: "deny", rule: "budget", policyIds, approval: null, message };
    }
    const ruleText = [first.kind === "approval" ? rule(first) : null, budget.exceeded.length > 0 ? "budget" : null].filter((r) => r !== null).join("; ");
    const answer = await this.requestApproval(
      call,
      { tool: call.tool, intent: call.intent, taskId: call.taskId, scope, arguments: call.arguments, reasons, policyIds, timeoutMs: settings.approvalTimeoutMs, taskStartedAt: budget.taskStartedAt },
      approver,
    );
    const pending = { ...base, decision: "approval_required" as const, rule: ruleText, policyIds, approval: answer };
    const requirements = approverRequirementsOf(settings.policySet, policyIds);
    if (answer.outcome !== "approved") {
      const message = requirements.length > 0 ? secondPersonMessage(answer, reasons.join("; "), requirements) : approvalMessage(answer, reasons, policyIds);
      return { ...pending, allowed: false, message };
    }

    // The approval lifts only forbids that say `unless { context.approved }`; anything else still
    // refuses, under the policies in force now (they may have been reloaded while the person decided).
    const now = this.settings();
    // A second person approved under the policies that asked for them; policies changed meanwhile
    // may ask for someone else, whom this approval does not stand for.
    if (answer.kind === "second-person" && now.policySet.preparsedId !== settings.policySet.preparsedId) {
      return { ...pending, allowed: false, message: `refused: the policies changed while approval request ${answer.requestId ?? answer.reusedFrom ?? ""} waited; call again to be decided under the policies in force` };
    }
    const second = decideCall(now.policySet, this.request(call, scope, budget, now, facts, approvalContextOf(answer)), call.standsFor);
    if (second.kind !== "allow") {
      return { ...pending, allowed: false, policyIds: second.policyIds, message: `refused by policy even after approval: ${second.reasons.join("; ")}` };
    }
    return { ...pending, allowed: true, message: null };
  }

  /** Those of `policyIds` that ask for a second person (@approval("second-person")) in the policies in force. */
  secondPersonPolicies(policyIds: readonly string[]): string[] {
    return approverRequirementsOf(this.settings().policySet, policyIds).map((r) => r.policyId);
  }

  /** The policy decision for a hypothetical call, with no budget counted and no one asked (`wiam policy test`). */
  dryRun(call: GovernedCall, inventory: Inventory | null, approved: boolean, demo = inventory?.builtInDemo ?? false): { scope: ScopeEntity; decision: GovernanceDecision } {
    const settings = this.settings();
    const scope = resolveScope(call.query, inventory, settings.scopes);
    const idle = { calls: 0, callsLastMinute: 0, itemsReturned: 0, distinctScopes: 0 };
    const budget: BudgetCheck = { task: idle, caller: idle, exceeded: [], taskIntent: call.intent };
    const approval = approved ? { approved: true, approver: "dry-run approver", kind: "second-person" as const } : NOT_APPROVED;
    const request = this.request(call, scope, budget, settings, { demo, dataAgeMinutes: dataAgeMinutesOf(inventory, call.now) }, approval);
    return { scope, decision: decideCall(settings.policySet, request, call.standsFor) };
  }

  /** Where a principal or resource lives, as a policy resource (for reviewing what an answer reveals). */
  placeInScope(query: ScopeQuery, inventory: Inventory): ScopeEntity {
    return resolveScope(query, inventory, this.settings().scopes);
  }

  /** The policy text in force and whether it is the built-in one (its file path stays private). */
  activePolicy(): { builtIn: boolean; text: string } {
    const policySet = this.settings().policySet;
    return { builtIn: policySet.source === BUILT_IN_POLICY_SOURCE, text: policySet.text };
  }

  approvalTimeoutMs(): number {
    return this.settings().approvalTimeoutMs;
  }

  /**
   * The policy's decision on releasing one part of an allowed call's answer: the same caller,
   * action and resource as the question, with what the part reveals in the context. No budget is
   * counted again and nobody is asked here (src/governance/answer-review.ts asks once per answer).
   */
  reviewRevealed(call: GovernedCall, authorization: Authorization, revealed: RevealedScopes, approval: ApprovalAnswer | null): GovernanceDecision {
    const settings = this.settings();
    const facts = { demo: authorization.demo, dataAgeMinutes: authorization.dataAgeMinutes ?? -1 };
    const request = this.request(call, authorization.scope, authorization.budget, settings, facts, approvalContextOf(approval));
    return decideCall(settings.policySet, { ...request, context: { ...request.context, result: revealed } }, call.standsFor);
  }

  /** Counts what an allowed call returned against its task's and caller's budgets. */
  async recordResult(taskId: string, callerKey: string, scopeId: string, items: number, now: Date): Promise<void> {
    await this.tasks.recordResult(taskId, callerKey, scopeId, items, now.getTime());
  }

  private request(
    call: GovernedCall,
    scope: ScopeEntity,
    budget: BudgetCheck,
    settings: GovernanceSettings,
    facts: EstateFacts,
    approval: { approved: boolean; approver: string; kind: ApprovalKind },
  ): PolicyRequest {
    const caller: CallerEntity = {
      name: call.caller.name,
      client: call.caller.client ?? "",
      transport: call.caller.transport,
      issuer: call.caller.issuer ?? "",
      clientId: call.caller.clientId ?? "",
      groups: [
        ...new Set([
          ...Object.entries(settings.callerGroups)
            .filter(([, members]) => members.includes(call.caller.name))
            .map(([group]) => group),
          // A token's groups are the IdP's words, not the admin's: in their own namespace, so a token
          // group named like a configured group (an IdP group "trusted") never grants that membership.
          ...(call.caller.groups ?? []).map(tokenGroup),
        ]),
      ],
    };
    return {
      caller,
      tool: call.tool,
      resource: scope,
      context: {
        intent: call.intent,
        taskId: call.taskId,
        now: call.now,
        provider: call.query.provider ?? "",
        scope: call.query.scope ?? "",
        principal: call.arguments.principal ?? "",
        target: call.arguments.resource ?? call.arguments.action ?? "",
        limit: call.limit,
        demo: facts.demo,
        dataAgeMinutes: facts.dataAgeMinutes,
        task: budget.task,
        caller: budget.caller,
        budgetExceeded: budget.exceeded.length > 0,
        approved: approval.approved,
        approver: approval.approver,
        approvalKind: approval.kind,
      },
    };
  }
}

/** What a second person's approval binds to among the arguments: all of them but the task id (the task is bound on its own). */
/**
 * What an approval was given under: the policies, and who is in which group and which scope
 * holds what (governance.callerGroups, governance.scopes). An approval is reused only while all
 * of them are unchanged: a caller moved into another group, or a resource moved into another
 * scope, is asked about again.
 */
export function approvalPolicyVersion(settings: Pick<GovernanceSettings, "policySet" | "callerGroups" | "scopes">): string {
  const digest = createHash("sha256").update(canonicalJson({ callerGroups: settings.callerGroups, scopes: settings.scopes })).digest("hex").slice(0, 16);
  return `${settings.policySet.preparsedId}+${digest}`;
}

export function argumentsHashOf(validated: unknown): string {
  const { task_id: _taskId, ...rest } = (typeof validated === "object" && validated !== null ? validated : {}) as Record<string, unknown>;
  return createHash("sha256").update(canonicalJson(rest)).digest("hex");
}
