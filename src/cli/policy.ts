/**
 * `wiam policy`: helps admins write Cedar policies. `validate` parses and type-checks a policy
 * file; `test` dry-runs a hypothetical call (no budget counted, nobody asked, nothing audited) and
 * prints the decision and why; `default` and `schema` print the starting points.
 */
import type { Command } from "commander";
import { connectorsFor } from "../app.js";
import { PIPELINE_TOOLS } from "../../tools/index.js";
import { policyScopeOf, subjectArgumentsOf } from "../../tools/define-tool.js";
import { describeIssues } from "../util/zod-issues.js";
import { UserFacingError } from "../errors.js";
import { cedarSchemaText } from "../governance/cedar-schema.js";
import { Governor } from "../governance/governor.js";
import { defaultPolicyText, loadPolicySet, type CompiledPolicySet } from "../governance/policy-set.js";
import { governanceSettingsOf, taskSettingsOf } from "../governance/settings.js";
import { TaskRegistry } from "../governance/tasks.js";
import { InventoryService } from "../pipeline/inventory-service.js";
import { osUserName } from "../util/os-user.js";
import { parseArgsFlag } from "./call.js";
import { resolveCliContext, type CliContext, type GlobalOptions } from "./context.js";

const TOOL_NAMES = PIPELINE_TOOLS.map((t) => t.name);

function policyFor(context: CliContext, file: string | undefined): CompiledPolicySet {
  return loadPolicySet(file ?? context.config.governance.policyFile, PIPELINE_TOOLS);
}

export function runPolicyValidate(globals: GlobalOptions, file: string | undefined): number {
  const context = resolveCliContext(globals);
  const set = policyFor(context, file);
  const lines = [...set.policies.values()].map(
    (p) => `  ${p.effect} ${p.id}${p.approvers ? ` (asks a second person from ${p.approvers.join(" or ")})` : p.approval ? " (asks for approval)" : ""}${p.reason ? `: ${p.reason}` : ""}`,
  );
  process.stdout.write(`policy ${set.source}: valid, ${set.policies.size} policies\n${lines.join("\n")}\n`);
  return 0;
}

export interface PolicyTestOptions {
  intent: string;
  args: string;
  caller?: string;
  client?: string;
  transport: string;
  taskId?: string;
  approved?: boolean;
  /** false with --no-demo: decide as for a real estate even when the configured one is the demo. */
  demo?: boolean;
  file?: string;
  json?: boolean;
}

export async function runPolicyTest(globals: GlobalOptions, tool: string, options: PolicyTestOptions): Promise<number> {
  const definition = PIPELINE_TOOLS.find((t) => t.name === tool);
  if (!definition) throw new UserFacingError("invalid_input", `tool: no tool named "${tool}" (tools: ${TOOL_NAMES.join(", ")})`);
  const context = resolveCliContext(globals);
  const policySet = policyFor(context, options.file);
  // Validated as the real call would be, so the dry run sees exactly what the policy would.
  const parsed = definition.input.safeParse({ ...parseArgsFlag(options.args), intent: options.intent });
  if (!parsed.success) throw new UserFacingError("invalid_input", `--args: invalid arguments for ${tool}: ${describeIssues(parsed.error.issues)}`);
  const args = parsed.data as { limit?: number };
  const governor = new Governor(() => governanceSettingsOf(context.config, policySet), new TaskRegistry(() => taskSettingsOf(context.config), () => undefined));
  // Scope attributes come from local data (demo, snapshots) when that is all there is; live clouds are not called.
  const inventory = await new InventoryService(connectorsFor(context.config), 60_000).peekForPolicy({ taskId: "policy-test", recordOperation: () => undefined });
  const limit = Math.min(args.limit ?? context.config.limits.defaultPageSize, context.config.limits.maxPageSize);
  const demo = options.demo !== false && inventory?.builtInDemo === true;
  const { scope, decision } = governor.dryRun(
    {
      tool,
      standsFor: definition.standsFor,
      intent: options.intent,
      taskId: options.taskId ?? "policy-test",
      caller: { name: options.caller ?? osUserName(), client: options.client ?? null, transport: options.transport },
      query: policyScopeOf(definition, parsed.data),
      arguments: subjectArgumentsOf(parsed.data),
      limit,
      now: new Date(),
    },
    inventory,
    options.approved === true,
    demo,
  );
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ policy: policySet.source, decision: decision.kind, policyIds: decision.policyIds, reasons: decision.reasons, resource: scope, demo }, null, 2)}\n`);
  } else {
    const { ancestors, ...resource } = scope;
    process.stdout.write(
      [
        `decision: ${decision.kind}${decision.kind === "approval" ? " (a person must approve; re-test with --approved)" : ""}`,
        `policies: ${decision.policyIds.join(", ") || "-"}`,
        ...decision.reasons.map((r) => `why: ${r}`),
        `resource: ${JSON.stringify(resource)}`,
        `ancestors: ${ancestors.map((a) => a.id).join(" > ") || "-"}`,
        `policy file: ${policySet.source}`,
        ...(demo ? ["estate: the built-in demo (context.demo is true; re-test with --no-demo to decide as for a real estate)"] : []),
      ].join("\n") + "\n",
    );
  }
  return decision.kind === "deny" ? 1 : 0;
}

type Guarded = (action: () => Promise<number> | number) => Promise<void>;

export function registerPolicyCommands(program: Command, globals: () => GlobalOptions, guarded: Guarded): void {
  const policy = program.command("policy").description("write and check the Cedar policies that authorize each call");
  policy
    .command("validate [file]")
    .description("parse and type-check a policy file (default: governance.policyFile, or the built-in policy)")
    .action((file: string | undefined) => guarded(() => runPolicyValidate(globals(), file)));
  policy
    .command("test <tool>")
    .description("dry-run a hypothetical call and print the decision and why (nothing runs, nothing is audited)")
    .requiredOption("-i, --intent <text>", "the intent the call states")
    .option("-a, --args <json>", "tool arguments as a JSON object (scope, provider, principal, resource, limit)", "{}")
    .option("--caller <name>", "the caller (default: you)")
    .option("--client <name>", "the MCP client name")
    .option("--transport <name>", "stdio, http, cli or in-memory", "stdio")
    .option("-t, --task-id <id>", "task id")
    .option("--approved", "evaluate as if a person had approved")
    .option("--no-demo", "decide as for a real estate even when the configured one is the built-in demo")
    .option("-f, --file <file>", "policy file to test instead of the configured one")
    .option("--json", "print JSON")
    .action((tool: string, options: PolicyTestOptions) => guarded(() => runPolicyTest(globals(), tool, options)));
  policy
    .command("default")
    .description("print the built-in default policy, a starting point for your own")
    .action(() => guarded(() => (process.stdout.write(defaultPolicyText()), 0)));
  policy
    .command("schema")
    .description("print the Cedar schema policies are checked against (entities, actions, context)")
    .action(() => guarded(() => (process.stdout.write(cedarSchemaText(PIPELINE_TOOLS)), 0)));
}
