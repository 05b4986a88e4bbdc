import { z } from "zod";
import { applyFieldVisibility, HIDDEN_TEXT } from "../src/governance/visibility.js";
import { activityFindingsOf, activityGaps, activitySettingsOf, type AnomalousActivityAnswer } from "../src/activity/findings.js";
import { UserFacingError } from "../src/errors.js";
import { line, own, q, textAnswer, type TextLine } from "../src/text/answer.js";
import { defineTool } from "./define-tool.js";
import { NAME_CAP, commonInputShape, dataSourceSchema, filterInputShape, gapLine, gapSchema, pageInputShape, pageLine, pageSchema, paginate, sourceLine, unreadLines } from "./common.js";

const SEVERITIES = ["high", "medium", "low"] as const;

const input = z.strictObject({
  ...commonInputShape,
  ...filterInputShape,
  principal: z.string().min(1).max(512).optional().describe("Only this identity (id, email or exact name)."),
  since: z.iso
    .datetime({ offset: true })
    .optional()
    .describe("Start of the detection window (ISO 8601); default 24 hours ago."),
  min_severity: z.enum(SEVERITIES).optional(),
  ...pageInputShape,
});

const evidenceSchema = z.object({
  eventId: z.string().nullable(),
  time: z.string(),
  action: z.string(),
  outcome: z.enum(["success", "denied", "failure"]),
  networkClass: z.enum(["inside", "outside", "service", "unknown"]),
  sourceNetwork: z.string(),
  userAgent: z.string(),
  clientKind: z.string(),
  country: z.string().nullable(),
});

const findingSchema = z.object({
  code: z.string(),
  title: z.string(),
  severity: z.enum(SEVERITIES),
  provider: z.string(),
  scopeId: z.string(),
  principal: z.object({ id: z.string(), name: z.string().nullable(), kind: z.string().nullable() }),
  reason: z.string(),
  normal: z.string(),
  /** Countries of the baseline's calls (new-country findings); hidden with sourceNetwork. */
  normalCountries: z.array(z.string()).optional(),
  evidence: z.array(evidenceSchema),
});

const output = z.object({
  dataSource: dataSourceSchema,
  incomplete: z.array(gapSchema),
  page: pageSchema,
  window: z.object({ from: z.string(), to: z.string(), baselineFrom: z.string() }),
  summary: z.object({
    activeIdentities: z.number().int(),
    eventsInWindow: z.number().int(),
    insufficientBaseline: z.number().int(),
    high: z.number().int(),
    medium: z.number().int(),
    low: z.number().int(),
  }),
  thresholds: z.record(z.string(), z.unknown()),
  findings: z.array(findingSchema),
});

function findingLine(finding: AnomalousActivityAnswer["findings"][number]): TextLine {
  const first = finding.evidence[0];
  const when = first ? line` [first ${first.time}, ${finding.evidence.length} evidence event(s)]` : [];
  const name = finding.principal.name ?? finding.principal.id;
  // Country codes come from the logs: only two-letter codes are written, and none once hidden (an empty list).
  const countries = (finding.normalCountries ?? []).filter((code) => /^[A-Z]{2}$/.test(code));
  const before = countries.length > 0 ? line`; countries before: ${own(countries.join(", "))}` : [];
  return line`- ${own(finding.severity.toUpperCase())} ${own(finding.code)} ${finding.provider} ${q(name, NAME_CAP)} (${q(finding.principal.id)}): ${own(finding.reason)}${when} Normal: ${own(finding.normal)}${before}.`;
}

const findAnomalousActivityName = "find_anomalous_activity";

export const findAnomalousActivityTool = defineTool({
  name: findAnomalousActivityName,
  actionGroup: "activity",
  title: "Find anomalous activity of machine identities",
  description:
    "Compares each machine identity's recent activity in the clouds' logs (metadata only) with its own baseline and lists what is " +
    "unusual: dormant identities active again, workload credentials used outside the provider's network, one key from two distant " +
    "networks at once, first sensitive actions (secret reads, key creation, IAM changes, PassRole), denied-call bursts, new " +
    "assume-role or impersonation chains, unusual hours, service principal sign-in anomalies. Each finding: severity, reason, " +
    "evidence events, what normal was. Networks and user agents are untrusted log data.",
  input,
  output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  serverFields: ["window", "summary", "thresholds", "findings.*.code", "findings.*.title", "findings.*.severity", "findings.*.reason", "findings.*.normal"],
  itemwiseRedaction: ["findings"],
  handler(args, context) {
    const settings = activitySettingsOf(context.config);
    let principalId: string | undefined;
    if (args.principal !== undefined) {
      const candidates = context.inventory.principalCandidates(args.principal);
      if (candidates.length > 1) {
        throw new UserFacingError("invalid_input", `principal: "${args.principal}" names ${candidates.length} identities`, "Pass the identity's id instead of its name.");
      }
      principalId = candidates[0]?.id ?? args.principal;
    }
    const since = args.since === undefined ? undefined : new Date(args.since);
    if (since && since.getTime() >= context.now.getTime()) {
      throw new UserFacingError("invalid_input", "since: must be before now", "Give a time in the past, e.g. 24 hours ago.");
    }
    const answer = activityFindingsOf(context.inventory, {
      settings,
      now: context.now,
      since,
      provider: args.provider,
      scope: args.scope,
      principal: principalId,
      minSeverity: args.min_severity ?? "low",
    });
    const query = { ...args, intent: undefined, task_id: undefined, cursor: undefined, limit: undefined, now: undefined };
    const { items, page } = paginate(answer.findings, args, query, context);
    const incomplete = activityGaps(context.inventory, new Date(answer.window.from));
    const { summary } = answer;
    // The kinds of client named in the text are those the answer shows: where field visibility hides
    // user agents (and with them the kind of client), the text names none of them either.
    const visible = applyFieldVisibility({ findings: items }, [findAnomalousActivityName], context.config.governance.fieldVisibility, (scopeId) => context.inventory.scopeChain(scopeId).map((s) => s.id), args.scope)
      .value.findings as typeof items;
    const agents = new Set(visible.flatMap((finding) => finding.evidence.filter((event) => event.clientKind !== HIDDEN_TEXT).map((event) => event.clientKind)));
    return {
      structured: {
        dataSource: context.dataSource,
        incomplete,
        page,
        window: answer.window,
        summary,
        thresholds: { ...settings },
        findings: items,
      },
      text: textAnswer([
        sourceLine(context.dataSource),
        ...unreadLines(context.inventory),
        answer.findings.length === 0
          ? line`No anomalous activity between ${answer.window.from} and ${answer.window.to} (${summary.activeIdentities} active identities, ${summary.eventsInWindow} events).`
          : line`${answer.findings.length} finding(s) between ${answer.window.from} and ${answer.window.to} (high ${summary.high}, medium ${summary.medium}, low ${summary.low}), from ${summary.activeIdentities} active identities:`,
        ...items.map(findingLine),
        summary.insufficientBaseline > 0
          ? line`${summary.insufficientBaseline} active identit${own(summary.insufficientBaseline === 1 ? "y has" : "ies have")} too little history (insufficient baseline): only rules that need none ran for them.`
          : undefined,
        agents.size > 0 ? line`Clients in the evidence: ${own([...agents].sort().join(", "))}.` : undefined,
        pageLine(page),
        gapLine(incomplete),
      ]),
      itemCount: items.length,
    };
  },
});
