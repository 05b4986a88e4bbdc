/**
 * The one call pipeline every tool call goes through, whatever the transport or the CLI:
 *
 *   allowlist → validate → govern (budgets, Cedar policy, a person's approval) → audit (accepted)
 *             → collect inventory → run → check output → review what the answer reveals (policy
 *             again; withhold) → field visibility → untrusted-text cleaning → redact (fails closed)
 *             → audit (completed) → respond
 *
 * Each step is small and lives here, so no tool can skip the allowlist, redaction or audit.
 */
import { createHash } from "node:crypto";
import { askedArgumentsOf, policyScopeOf, subjectArgumentsOf, type AnyToolDefinition } from "../../tools/define-tool.js";
import type { CloudOperation } from "../connectors/connector.js";
import type { WiamConfig } from "../config/schema.js";
import { isUserFacingError, UserFacingError } from "../errors.js";
import type { AuditAcceptance, AuditCompletion, ResponseBodyMode } from "../audit/types.js";
import type { Redactor, RedactionFinding } from "../../redaction/types.js";
import { describeIssues } from "../util/zod-issues.js";
import type { Logger } from "../util/logger.js";
import { toolAvailabilityOf } from "./allowlist.js";
import { argumentsHashOf, callerKeyOf, type ApprovalAnswer, type Approver, type Authorization, type GovernedCall, type Governor } from "../governance/governor.js";
import { reviewAnswer, withheldLines } from "../governance/answer-review.js";
import { applyFieldVisibility } from "../governance/visibility.js";
import { sanitizeUntrusted } from "../text/untrusted.js";
import type { InventoryRequest, InventoryService, LoadedInventory, RefreshOutcome } from "./inventory-service.js";
import { redactExcept, redactTextAnswer } from "./redact-response.js";
import type { TextAnswer } from "../text/answer.js";
import { CallTelemetry } from "../telemetry/instruments.js";

/**
 * Where the audit rows go: the state store's audit log (SQLite or PostgreSQL, async), or a
 * synchronous sink (benchmarks). `accept` must have committed when it returns or resolves: the
 * call runs only after that, and a sink that cannot commit throws, so the call is refused.
 */
export interface AuditSink {
  accept(acceptance: AuditAcceptance): string | Promise<string>;
  complete(id: string, completion: AuditCompletion): void | Promise<void>;
}

/** Who is calling, from the transport and the MCP initialize handshake. */
export interface CallerInfo {
  sessionId: string | null;
  clientName: string | null;
  clientVersion: string | null;
  /** The OS user (stdio, CLI) or `<issuer>|<subject>` of a verified token (HTTP). */
  caller: string;
  transport: AuditAcceptance["transport"];
  /** The HTTP peer's address (the client's, through a trusted proxy), for the audit record. */
  sourceAddress?: string | undefined;
  /** Set when a verified access token names the caller; absent for OS users. */
  authenticated?: AuthenticatedCaller | undefined;
}

/** What a verified access token says about its holder (never the token itself). */
export interface AuthenticatedCaller {
  issuer: string;
  subject: string;
  /** The OAuth client the token was issued to (`azp` or `client_id`), "" when the token names none. */
  clientId: string;
  /** Groups or roles from the configured claim: Cedar `Wiam::CallerGroup` parents. */
  groups: readonly string[];
  scopes: readonly string[];
}

export interface ToolCallRequest {
  tool: string;
  arguments: unknown;
  caller: CallerInfo;
  signal?: AbortSignal | undefined;
  progress?(done: number, total: number | undefined, message: string): void;
  /** Asks the person at the client to approve a call (MCP elicitation, a terminal prompt). */
  approve?: Approver | undefined;
  /** "resources/read" when an MCP resource read asks: only then may a resource's tool run. */
  entry?: "tools/call" | "resources/read" | undefined;
}

export interface ToolCallResponse {
  isError: boolean;
  text: string;
  structured?: Record<string, unknown>;
  auditId: string | null;
  /** Values the redactor replaced in this answer (arguments included), as the audit record counts them. */
  redactions?: number;
  /** How the audit record ends ("ok", "error", "denied") and the redactions by kind, for telemetry. */
  status?: "ok" | "error" | "denied";
  redactionsByKind?: Readonly<Record<string, number>>;
}

export interface PipelineDependencies {
  tools: readonly AnyToolDefinition[];
  /** Read on every call, so a reloaded config takes effect at once. */
  config: () => WiamConfig;
  inventory: InventoryService;
  redactor: Redactor;
  audit: AuditSink;
  logger: Logger;
  governor: Governor;
  now?: () => Date;
}

/** The arguments every tool takes that the pipeline reads, from validated input. */
interface CommonArguments {
  intent: string;
  task_id?: string;
  scope?: string;
  limit?: number;
}

/** Who called, as every audit acceptance records it. */
export function callerFieldsOf(caller: CallerInfo): Pick<AuditAcceptance, "sessionId" | "clientName" | "clientVersion" | "caller" | "transport" | "sourceAddress"> {
  return {
    sessionId: caller.sessionId,
    clientName: caller.clientName,
    clientVersion: caller.clientVersion,
    caller: caller.caller,
    transport: caller.transport,
    sourceAddress: caller.sourceAddress ?? null,
  };
}

/**
 * A person's answer as the audit keeps it: who answered goes in the acceptance's approver; the
 * role they answered in, the queue request and any reused approval only when there are some, so
 * a self-confirmation or an older-style record hashes as before.
 */
function auditApprovalOf(answer: ApprovalAnswer): NonNullable<AuditAcceptance["approval"]> {
  return {
    outcome: answer.outcome,
    note: answer.note,
    ...(answer.kind === undefined ? {} : { kind: answer.kind }),
    ...(answer.requestId ? { requestId: answer.requestId } : {}),
    ...(answer.reusedFrom ? { reusedFrom: answer.reusedFrom } : {}),
    ...(answer.decidedAt ? { decidedAt: answer.decidedAt } : {}),
  };
}

/** Intent and task id read from raw arguments, so even a call that fails validation is audited with them. */
function intentOf(args: unknown): { intent: string | null; taskId: string | null } {
  if (typeof args !== "object" || args === null) return { intent: null, taskId: null };
  const record = args as Record<string, unknown>;
  return {
    intent: typeof record.intent === "string" ? record.intent.slice(0, 500) : null,
    taskId: typeof record.task_id === "string" ? record.task_id.slice(0, 64) : null,
  };
}

/** Milliseconds since `started`, to 0.01 ms: finer digits are noise in an audit record. */
function elapsedMs(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}

function countFindings(findings: readonly RedactionFinding[], into: Record<string, number>): void {
  for (const f of findings) into[f.kind] = (into[f.kind] ?? 0) + 1;
}

/** Why a tool cannot run from where it was asked, or null when it can. */
function wrongEntry(tool: AnyToolDefinition, request: ToolCallRequest): string | null {
  const surface = tool.surface ?? "mcp";
  if (request.entry === "resources/read") return surface === "resource" ? null : "not an MCP resource";
  if (surface === "resource") return "not a tool (read it as an MCP resource)";
  if (surface === "cli" && request.caller.transport !== "cli") return "not an MCP tool (a CLI command)";
  return null;
}

export class CallPipeline {
  private readonly now: () => Date;

  constructor(private readonly deps: PipelineDependencies) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Tools the current configuration exposes to MCP clients (or, with "cli", to the CLI too; with
   * "resource", the tools behind MCP resources), in registry order.
   */
  enabledTools(surface: "mcp" | "cli" | "resource" = "mcp"): AnyToolDefinition[] {
    const config = this.deps.config();
    const offered = (tool: AnyToolDefinition) => {
      const own = tool.surface ?? "mcp";
      return surface === "resource" ? own === "resource" : own === "mcp" || (surface === "cli" && own === "cli");
    };
    return this.deps.tools.filter((tool) => offered(tool) && toolAvailabilityOf(tool, config.tools).enabled);
  }

  /** The inventory the call runs on: served as stored or cached, or collected afresh for the collector's tool. */
  private async collect(
    request: InventoryRequest,
    refresh: { connectors?: readonly string[] | undefined } | undefined,
  ): Promise<LoadedInventory & { refreshed?: RefreshOutcome[] }> {
    if (!refresh) return this.deps.inventory.get(request);
    const refreshed = await this.deps.inventory.refresh(request, refresh.connectors);
    return { ...(await this.deps.inventory.get(request)), refreshed };
  }

  /** Calls that have started and not yet finished (their audit record written or refused). */
  private readonly running = new Set<Promise<unknown>>();

  execute(request: ToolCallRequest): Promise<ToolCallResponse> {
    const call = this.perform(request);
    const settled = call.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(settled);
    void settled.then(() => this.running.delete(settled));
    return call;
  }

  /**
   * Resolves once no call is running, or after `timeoutMs`: a shutdown waits here so a call that
   * has already run is audited before the store closes. False when calls were still running.
   */
  async whenIdle(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
    });
    try {
      while (this.running.size > 0) {
        const idle = await Promise.race([Promise.all([...this.running]).then(() => true as const), timedOut]);
        if (!idle) return false;
      }
      return true;
    } finally {
      clearTimeout(timer);
    }
  }

  /** One call, start to audited end; `execute` counts it as running meanwhile. */
  protected async perform(request: ToolCallRequest): Promise<ToolCallResponse> {
    const telemetry = new CallTelemetry(request.tool, request.entry ?? "tools/call", request.caller.transport);
    let response: ToolCallResponse | undefined;
    try {
      response = await this.run(request, telemetry);
      return response;
    } finally {
      telemetry.redacted(response?.redactionsByKind ?? {});
      telemetry.end(response?.status ?? "error");
    }
  }

  private async run(request: ToolCallRequest, telemetry: CallTelemetry): Promise<ToolCallResponse> {
    const started = performance.now();
    const config = this.deps.config();
    const findingsByKind: Record<string, number> = {};
    const operations: CloudOperation[] = [];
    const tool = this.deps.tools.find((t) => t.name === request.tool);
    const { taskId: rawTaskId } = intentOf(request.arguments);
    const redactedArgs = this.redactValue(request.arguments, findingsByKind);
    // The intent is the caller's words: data, stored as redacted with the arguments it is part of.
    const intent = redactedArgs.ok ? intentOf(redactedArgs.value).intent : "[withheld: redaction failed]";

    const acceptance = (
      decision: AuditAcceptance["decision"],
      rule: string,
      taskId: string | null,
      authorization?: Authorization,
    ): AuditAcceptance => ({
      ...callerFieldsOf(request.caller),
      tool: request.tool,
      intent,
      taskId,
      arguments: redactedArgs.ok ? redactedArgs.value : "[withheld: redaction failed]",
      decision,
      decisionRule: rule,
      approver: authorization?.approval?.approver ?? null,
      policyIds: authorization?.policyIds ?? [],
      approval: authorization?.approval ? auditApprovalOf(authorization.approval) : null,
      redactionRulesetVersion: this.deps.redactor.rulesetVersion,
    });

    // 1. Allowlist: an unknown or disabled tool is refused before anything else happens.
    // A CLI command's tool (wiam export) is never callable over MCP, whatever the allowlist says.
    // A resource's tool runs only for a resource read, and a resource read runs only a resource's tool.
    const surfaceRefusal = !tool ? "unknown tool" : wrongEntry(tool, request);
    const availability = !tool || surfaceRefusal ? { enabled: false, reason: surfaceRefusal ?? "unknown tool" } : toolAvailabilityOf(tool, config.tools);
    if (!tool || !availability.enabled) {
      const error = new UserFacingError("tool_disabled", `tool "${request.tool}" is not available (${availability.reason})`);
      const auditId = await this.deps.audit.accept(acceptance("deny", availability.reason, rawTaskId));
      return this.fail(auditId, error, "denied", started, findingsByKind, operations, null);
    }

    // 2. Validate: an error names the field and the problem.
    const parsed = tool.input.safeParse(request.arguments ?? {});
    if (!parsed.success) {
      const error = new UserFacingError("invalid_input", `invalid arguments for ${tool.name}: ${describeIssues(parsed.error.issues)}`);
      // Invalid arguments never reach the policy: recorded as refused, with why.
      const auditId = await this.deps.audit.accept(acceptance("deny", "not evaluated: invalid arguments", rawTaskId));
      return this.fail(auditId, error, "error", started, findingsByKind, operations, null);
    }
    const args = parsed.data as unknown as CommonArguments;
    const taskId = args.task_id ?? request.caller.sessionId ?? "default";
    // Over HTTP many callers share one server: a task id a caller picks names that caller's own task
    // (its budget, and its cloud sessions whose AWS SourceIdentity is the caller), never another's.
    const taskKey = request.caller.authenticated && args.task_id !== undefined ? `${request.caller.caller}#${args.task_id}` : taskId;
    const inventoryRequest = {
      taskId: taskKey,
      recordOperation: (op: CloudOperation) => operations.push(op),
      signal: request.signal,
      progress: request.progress,
    };

    // 3. Govern: budgets, policy and approval decide before any cloud is called. Scope attributes
    //    come from the cached (or local) inventory; a local source that cannot be read ends here.
    let authorization: Authorization;
    let stage = "inventory unavailable for the policy decision";
    const governedCall: GovernedCall = {
      tool: tool.name,
      standsFor: tool.standsFor,
      // The intent as recorded: an approver's prompt (client or terminal) shows it, so it is redacted data.
      intent: intent ?? args.intent,
      taskId,
      taskKey,
      caller: {
        name: request.caller.caller,
        client: request.caller.clientName,
        transport: request.caller.transport,
        issuer: request.caller.authenticated?.issuer ?? "",
        clientId: request.caller.authenticated?.clientId ?? "",
        groups: request.caller.authenticated?.groups ?? [],
      },
      query: policyScopeOf(tool, parsed.data),
      arguments: subjectArgumentsOf(parsed.data),
      askedArguments: askedArgumentsOf(parsed.data),
      argumentsHash: argumentsHashOf(parsed.data),
      limit: Math.min(args.limit ?? config.limits.defaultPageSize, config.limits.maxPageSize),
      now: this.now(),
      signal: request.signal,
    };
    try {
      const known = await this.deps.inventory.peekForPolicy(inventoryRequest);
      stage = "policy: evaluation failed";
      authorization = await telemetry.step("govern", () => this.deps.governor.authorize(governedCall, known, request.approve));
      telemetry.decided(authorization.decision);
    } catch (error) {
      const auditId = await this.deps.audit.accept(acceptance("deny", stage, taskId));
      return this.fail(auditId, error, "error", started, findingsByKind, operations, taskKey);
    }
    const decided = acceptance(authorization.decision, authorization.rule, taskId, authorization);
    if (!authorization.allowed) {
      const code = authorization.decision === "approval_required" ? "approval_required" : authorization.rule === "budget" ? "budget_exceeded" : "denied";
      const auditId = await this.deps.audit.accept(decided);
      return this.fail(auditId, new UserFacingError(code, authorization.message ?? "refused by policy"), "denied", started, findingsByKind, operations, null);
    }

    // An approval can take a while: the surface the admin has set by now is the one that counts.
    const current = this.deps.config();
    const stillAvailable = toolAvailabilityOf(tool, current.tools);
    if (!stillAvailable.enabled) {
      const auditId = await this.deps.audit.accept({ ...decided, decision: "deny", decisionRule: stillAvailable.reason });
      const error = new UserFacingError("tool_disabled", `tool "${tool.name}" was disabled while the call waited (${stillAvailable.reason})`);
      return this.fail(auditId, error, "denied", started, findingsByKind, operations, null);
    }

    // 4. Audit the acceptance before any connector runs, so a crash still leaves a trace.
    const auditId = await this.deps.audit.accept(decided);

    try {
      // 5. Collect (cached) and run.
      const refresh = tool.refreshesInventory?.(parsed.data);
      const { inventory, dataSource, refreshed } = await telemetry.step("collect", (stepContext) =>
        this.collect(inventoryRequest, refresh).finally(() => telemetry.cloudOperations(operations, stepContext)),
      );
      const outcome = await telemetry.step("run", () =>
        tool.handler(parsed.data, {
          inventory,
          dataSource,
          config: current,
          now: this.now(),
          activePolicy: this.deps.governor.activePolicy(),
          ...(this.deps.inventory.history ? { history: this.deps.inventory.history } : {}),
          ...(refreshed ? { refreshed } : {}),
        }),
      );

      // 6. Our own output must match the schema we advertise; a mismatch is a bug, not the caller's fault.
      const checked = tool.output.safeParse(outcome.structured);
      if (!checked.success) throw new Error(`output of ${tool.name} does not match its schema: ${describeIssues(checked.error.issues)}`);

      // 7. What the answer reveals, asked of the policy again: refused parts are withheld and named.
      const review = await telemetry.step("review", () => reviewAnswer({
        tool,
        structured: checked.data as Record<string, unknown>,
        inventory,
        governor: this.deps.governor,
        call: governedCall,
        authorization,
        approver: request.approve,
      }));
      if (review.withheld.length > 0) {
        this.deps.logger.info(`answer ${auditId}: withheld ${review.withheld.map((w) => `${w.items} of ${w.part}`).join(", ")} after review`);
      }

      // 8. Admin field visibility, then untrusted cloud text cleaned and capped.
      const visible = applyFieldVisibility(
        review.structured,
        tool.standsFor === undefined ? [tool.name] : [tool.name, tool.standsFor],
        current.governance.fieldVisibility,
        (scopeId) => inventory.scopeChain(scopeId).map((s) => s.id),
        args.scope,
      );
      // A reviewed answer's text shows what was released, after the admin's hiding too.
      const toolText = review.withheld.length > 0 ? { lines: withheldLines({ withheld: review.withheld, structured: visible.value }) } : outcome.text;
      const shown = sanitizeUntrusted(visible.value) as Record<string, unknown>;
      const hiddenNote = visible.hidden.length > 0 ? [[{ own: `(Fields hidden by the admin's visibility rules: ${visible.hidden.join(", ")}.)` }]] : [];
      const shownText = { lines: [...toolText.lines, ...hiddenNote] };

      // 9. Redact the data in both renderings (never the server's own words); failure withholds the whole response.
      const { structured, text } = await telemetry.step("redact", () => this.redactResponse(shown, shownText, ["page", ...(tool.serverFields ?? [])], tool.itemwiseRedaction));
      countFindings(structured.findings, findingsByKind);
      countFindings(text.findings, findingsByKind);

      const body = JSON.stringify(structured.value);
      await this.deps.audit.complete(auditId, {
        status: "ok",
        error: null,
        credentialScope: this.deps.inventory.credentialScope(taskKey),
        cloudOperations: operations,
        result: {
          itemCount: outcome.itemCount,
          byteSize: Buffer.byteLength(body) + Buffer.byteLength(text.value),
          sha256: createHash("sha256").update(body).update("\n").update(text.value).digest("hex"),
          truncated: false,
        },
        redactionFindings: findingsByKind,
        responseBody: tool.auditResponseBody === false ? null : this.responseBody(current.audit.responseBody, structured.value, text.value),
        durationMs: elapsedMs(started),
        reviewApproval: review.approval ? { outcome: review.approval.outcome, approver: review.approval.approver, note: review.approval.note } : null,
      });
      await this.recordUsage(taskKey, request.caller.caller, authorization.scope.id, outcome.itemCount);
      const redactions = Object.values(findingsByKind).reduce((sum, count) => sum + count, 0);
      return { isError: false, text: text.value, structured: structured.value, auditId, redactions, status: "ok", redactionsByKind: findingsByKind };
    } catch (error) {
      return this.fail(auditId, error, "error", started, findingsByKind, operations, taskKey);
    }
  }

  /**
   * Counts what the call returned against its budgets. The call ran and is audited: a ledger that
   * cannot be written now (shared database away) costs the count, not the answer; it is logged.
   */
  private async recordUsage(taskKey: string, caller: string, scopeId: string, items: number): Promise<void> {
    try {
      await this.deps.governor.recordResult(taskKey, callerKeyOf({ name: caller }), scopeId, items, this.now());
    } catch (error) {
      this.deps.logger.warning(`budget usage of task ${taskKey} not recorded: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private redactResponse(structured: Record<string, unknown>, text: TextAnswer, serverFields: readonly string[], itemwise: readonly string[] = []) {
    try {
      return { structured: redactExcept(this.deps.redactor, structured, serverFields, itemwise), text: redactTextAnswer(this.deps.redactor, text) };
    } catch (error) {
      this.deps.logger.error(`redaction failed; response withheld: ${error instanceof Error ? error.message : String(error)}`);
      throw new UserFacingError("redaction_failed", "response withheld: redaction failed or timed out, and nothing is ever sent unredacted", "Narrow the query (smaller limit or a scope) and try again.");
    }
  }

  private responseBody(mode: ResponseBodyMode, structured: unknown, text: string): unknown {
    if (mode === "none") return null;
    if (mode === "summary") return text;
    return { structured, text };
  }

  private redactValue(value: unknown, into: Record<string, number>): { ok: true; value: unknown } | { ok: false } {
    try {
      const result = this.deps.redactor.redact(value);
      countFindings(result.findings, into);
      return { ok: true, value: result.value };
    } catch {
      return { ok: false };
    }
  }

  /** Turns any failure into a public, redacted message and completes the audit record. */
  private async fail(
    auditId: string,
    error: unknown,
    status: "error" | "denied",
    started: number,
    findingsByKind: Record<string, number>,
    operations: CloudOperation[],
    /** Set once the call ran: a failed collection may already have opened cloud sessions. */
    taskId: string | null,
  ): Promise<ToolCallResponse> {
    let message: string;
    if (isUserFacingError(error)) {
      message = error.hint ? `${error.message}. ${error.hint}` : error.message;
    } else {
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      this.deps.logger.error(`internal error in tool call (audit ${auditId}): ${detail}`);
      message = `internal error while answering; the details are in the server log under audit id ${auditId}`;
    }
    let publicText: string;
    try {
      const redacted = this.deps.redactor.redactText(message);
      countFindings(redacted.findings, findingsByKind);
      publicText = redacted.value;
    } catch {
      publicText = `error withheld: redaction failed (audit id ${auditId})`;
    }
    await this.deps.audit.complete(auditId, {
      status,
      error: publicText,
      credentialScope: taskId === null ? null : this.deps.inventory.credentialScope(taskId),
      cloudOperations: operations,
      result: null,
      redactionFindings: findingsByKind,
      responseBody: null,
      durationMs: elapsedMs(started),
    });
    return { isError: true, text: publicText, auditId, status, redactionsByKind: findingsByKind };
  }
}
