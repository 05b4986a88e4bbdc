/**
 * MCP prompts for the common investigations. Each tells the model which tools to call, in what
 * order and with which intent, so the audit log reads like the investigation it was. Prompts hold
 * no data and call nothing: the tool calls they suggest go through the pipeline as any call.
 */
import { z } from "zod";
import { describeIssues } from "../util/zod-issues.js";

export interface PromptDefinition {
  name: string;
  title: string;
  description: string;
  /** Each argument's name, description and whether it is required, from the zod shape. */
  arguments: z.ZodObject;
  text(args: Record<string, string | undefined>): string;
}

const id = (what: string) => z.string().trim().min(1, `give ${what}`).max(512);
const optionalText = (what: string) => z.string().trim().min(1).max(512).optional().describe(what);
const days = (what: string) => z.string().trim().regex(/^\d{1,4}$/, "a whole number of days").optional().describe(what);

const TASK_NOTE = "Use one task_id (e.g. a short slug of this investigation) on every call, so the calls are audited together.";

export const PROMPTS: readonly PromptDefinition[] = [
  {
    name: "stale-review",
    title: "Stale identity review of a scope",
    description: "Review unused or unrotated machine identities in one scope and propose clean-up.",
    arguments: z.strictObject({
      scope: id("a scope id, e.g. aws:account/<id> or projects/<id>").describe("The scope to review: aws:account/<id>, projects/<id>, folders/<n>, an Azure subscription id."),
      inactive_days: days("Inactive for at least this many days (default 90)."),
    }),
    text: (a) =>
      [
        `Review stale machine identities in scope ${a.scope}.`,
        `1. Call inventory_summary with scope "${a.scope}" and intent "stale review of ${a.scope}: what is collected and what could not be read".`,
        `2. Call find_stale_service_accounts with scope "${a.scope}"${a.inactive_days ? `, inactive_days ${a.inactive_days}` : ""} and intent "stale review of ${a.scope}: list unused and unrotated identities". Page with nextCursor until done.`,
        `3. For the three most severe findings, call describe_identity with the principal id and intent "stale review of ${a.scope}: check what <id> can still reach before removal".`,
        "Report: a table of identity, why it is stale (the reasons given), what it can reach, and the recommended action. Say which parts of the estate could not be read (incomplete), since absence there proves nothing.",
        TASK_NOTE,
      ].join("\n"),
  },
  {
    name: "expiry-review",
    title: "Credential expiry review",
    description: "What expires soon, what already expired, and what has no expiry at all.",
    arguments: z.strictObject({
      within_days: days("Look this many days ahead (default 30)."),
      scope: optionalText("Only this scope and below."),
    }),
    text: (a) =>
      [
        `Review credential and certificate expiry${a.scope ? ` in scope ${a.scope}` : " across the estate"}.`,
        `1. Call find_expiring_credentials with within_days ${a.within_days ?? "30"}${a.scope ? `, scope "${a.scope}"` : ""} and intent "expiry review: credentials expiring within ${a.within_days ?? "30"} days". Page with nextCursor until done.`,
        "2. Call it again with statuses [\"no_expiry\"] and intent \"expiry review: credentials without an expiry date\".",
        "3. For each expiring item with a principalId, call describe_identity with that principal and intent \"expiry review: who owns <id> and what breaks when it expires\".",
        "Report by date: item, owner identity, days left, auto-renewal, the recommended action. Secret values are never available; do not ask for them.",
        TASK_NOTE,
      ].join("\n"),
  },
  {
    name: "secret-reach",
    title: "Who can reach this secret, and how",
    description: "Every identity that can read one secret or key, and the path each takes (direct, assumed, impersonated, escalated).",
    arguments: z.strictObject({
      resource: id("the secret's id (ARN, projects/<p>/secrets/<s>, Key Vault item URL)").describe("The secret or key: an ARN, projects/<p>/secrets/<s>, or a Key Vault item URL."),
      action: optionalText("The read action, e.g. secretsmanager:GetSecretValue (default: any action)."),
    }),
    text: (a) =>
      [
        `Find who can reach ${a.resource} and how.`,
        `1. Call explain_entitlement_paths in reverse mode: resource "${a.resource}"${a.action ? `, action "${a.action}"` : ""}, no principal, intent "who can reach ${a.resource} and how". If approval is asked, the person at the client decides.`,
        "2. For each distinct starting identity that is a workload, call describe_identity with intent \"secret reach: how <id> gets its credentials\".",
        "Report each path as a chain (identity → hop → secret) with its verdict and conditions; group by starting identity; flag escalation techniques. Say when the search was truncated.",
        TASK_NOTE,
      ].join("\n"),
  },
  {
    name: "credential-blast-radius",
    title: "Blast radius of a credential",
    description: "If this identity's credential leaked, what could an attacker reach, directly and through assumed roles.",
    arguments: z.strictObject({
      principal: id("the identity (ARN, GCP member or email, Entra object id or exact name)").describe("The identity whose credential is at risk: an ARN, GCP member or email, Entra object id or exact name."),
    }),
    text: (a) =>
      [
        `Assess the blast radius of a leaked credential of ${a.principal}.`,
        `1. Call describe_identity with principal "${a.principal}" and intent "blast radius of ${a.principal}: its credentials and direct grants".`,
        `2. Call explain_entitlement_paths in forward mode with principal "${a.principal}", max_depth 4, intent "blast radius of ${a.principal}: what it reaches directly and through assumed roles". Page with nextCursor.`,
        "3. Narrow with action filters for secrets and keys (e.g. secretsmanager:*, secretmanager.versions.access, Microsoft.KeyVault/vaults/secrets/getSecret/action) if the answer is large.",
        "Report what is reachable by environment (production first), the hops, and which credential to rotate first. Never ask for secret values.",
        TASK_NOTE,
      ].join("\n"),
  },
  {
    name: "weekly-changes",
    title: "What changed this week",
    description: "Changes of the last 7 days from the stored history (new keys, rotations, new trust and paths to sensitive resources), with expiry and staleness.",
    arguments: z.strictObject({ scope: optionalText("Only this scope and below.") }),
    text: (a) =>
      [
        `Summarize what changed this week${a.scope ? ` in scope ${a.scope}` : ""}.`,
        `1. Call what_changed with since set to the date 7 days ago${a.scope ? `, scope "${a.scope}"` : ""} and intent "weekly review: what changed in the estate this week". Page with nextCursor until done. If its notes say the server keeps no history, say so and continue with steps 3 and 4 only: "changed" then means what expired or went stale.`,
        `2. For each path_added, and each identity_added that is a workload, call describe_identity with the principal and intent "weekly review: what <id> can reach now".`,
        `3. Call find_expiring_credentials with within_days 7${a.scope ? `, scope "${a.scope}"` : ""} and intent "weekly review: what expired or expires within 7 days".`,
        `4. Call find_stale_service_accounts with inactive_days 7${a.scope ? `, scope "${a.scope}"` : ""} and intent "weekly review: identities not used this week".`,
        "Report: new ways into sensitive resources first (path_added), then new identities and credentials, rotations and removals, trust and grant changes, expiry changes, and what expires or went stale; give each change's collection date. Say which collections were not compared and what could not be read (incomplete).",
        TASK_NOTE,
      ].join("\n"),
  },
];

/** The prompt's arguments as MCP lists them. */
export function promptArguments(prompt: PromptDefinition): { name: string; description?: string; required: boolean }[] {
  return Object.entries(prompt.arguments.shape).map(([name, schema]) => {
    const field = schema as z.ZodType;
    return { name, ...(field.description ? { description: field.description } : {}), required: !field.safeParse(undefined).success };
  });
}

/** Validates a prompt's arguments; an error names the prompt, the field and the problem. */
export function promptText(prompt: PromptDefinition, raw: Record<string, string> | undefined): string {
  const parsed = prompt.arguments.safeParse(raw ?? {});
  if (!parsed.success) throw new Error(`invalid arguments for prompt ${prompt.name}: ${describeIssues(parsed.error.issues)}`);
  return prompt.text(parsed.data as Record<string, string | undefined>);
}
