/**
 * The admin's configuration file (YAML), validated strictly so a typo in a key is an error rather
 * than a silently ignored setting. Every field has a default: an empty file is a valid config that
 * serves the built-in demo estate.
 */
import { z } from "zod";
import { PROVIDERS, type PROVIDER_MODULES } from "../providers/registry.js";
import { PROVIDER_IDS, type ProviderId } from "../providers/ids.js";
import { httpConfigSchema } from "./http-schema.js";
import { stateConfigSchema } from "./state-schema.js";
import { historyConfigSchema } from "./history-schema.js";

const toolPattern = z
  .string()
  .min(1)
  .regex(/^[a-z0-9_*]+$/, "tool names are lower_snake_case; * is a wildcard");

/** Fields an admin may hide. Only free-text or decorative fields: ids and verdicts always stay. */
// sourceNetwork and userAgent: activity telemetry (find_anomalous_activity), sensitive per scope.
export const HIDEABLE_FIELDS = ["description", "tags", "displayName", "contentType", "detail", "sourceNetwork", "userAgent"] as const;
export type HideableField = (typeof HIDEABLE_FIELDS)[number];

export const toolsConfigSchema = z
  .strictObject({
    allow: z.array(toolPattern).default(["*"]).describe("tools that may be listed and called (names or globs)"),
    deny: z.array(toolPattern).default([]).describe("tools that are never exposed; deny wins over allow"),
  })
  .prefault({});

export const thresholdsSchema = z
  .strictObject({
    staleDays: z.number().int().min(1).max(3650).default(90),
    rotationDays: z.number().int().min(1).max(3650).default(90),
    neverUsedGraceDays: z.number().int().min(0).max(365).default(7),
    expiringWithinDays: z.number().int().min(1).max(3650).default(30),
  })
  .prefault({});

/** Anomalous activity (find_anomalous_activity): windows and every rule's threshold (docs/activity.md). */
export const activityConfigSchema = z
  .strictObject({
    baselineDays: z.number().int().min(1).max(365).default(30).describe("days of history that define normal, before the detection window"),
    detectionHours: z.number().int().min(1).max(24 * 30).default(24).describe("hours looked at for anomalies, ending now"),
    minBaselineEvents: z.number().int().min(1).max(1_000_000).default(20).describe("fewer baseline events: insufficient baseline, no comparison"),
    minBaselineDays: z.number().int().min(0).max(365).default(7).describe("shorter baseline history: insufficient baseline"),
    dormantDays: z.number().int().min(1).max(3650).default(21),
    overlapMinutes: z.number().int().min(1).max(1_440).default(10).describe("one credential from two distant networks within this many minutes"),
    roamingNetworks: z.number().int().min(2).max(1_000).default(3).describe("outside /16 networks in a baseline that make an identity a roaming one"),
    deniedBurst: z
      .strictObject({
        windowMinutes: z.number().int().min(1).max(1_440).default(60),
        minDenied: z.number().int().min(2).max(100_000).default(10),
        minServices: z.number().int().min(1).max(1_000).default(4),
      })
      .prefault({}),
    hourTolerance: z.number().int().min(0).max(6).default(1).describe("neighbouring UTC hours that count as used (daylight saving)"),
    signInFailures: z
      .strictObject({ minFailures: z.number().int().min(1).max(100_000).default(10), ratio: z.number().min(1).max(1_000).default(5) })
      .prefault({}),
    files: z
      .partialRecord(z.enum(PROVIDER_IDS), z.array(z.string().min(1)).min(1))
      .default({})
      .describe("per provider, activity log files or folders to read as a source (aws: CloudTrail *.json.gz in the trail's key layout)"),
    ingestion: z
      .strictObject({
        workers: z
          .number()
          .int()
          .min(1)
          .max(64)
          .optional()
          .describe("threads that parse activity log files; 1 parses on the main thread; default: one per core (os.availableParallelism())"),
        keepIdsHours: z
          .number()
          .int()
          .min(1)
          .max(24 * 400)
          .default(48)
          .describe(
            "CloudTrail files and trail-bucket objects: event and credential ids are kept for events of this many hours before collection (at least detectionHours and the overlapMinutes before them); older events are compared without them, as findings cite recent events",
          ),
      })
      .prefault({})
      .describe("how activity log files are read"),
    rangesFiles: z
      .partialRecord(z.enum(PROVIDER_IDS), z.string().min(1))
      .default({})
      .describe("per provider that reads activity files, a published address ranges file that replaces the shipped snapshot (AWS: ip-ranges.json)"),
  })
  .prefault({});

export const limitsSchema = z
  .strictObject({
    defaultPageSize: z.number().int().min(1).max(500).default(25),
    maxPageSize: z.number().int().min(1).max(500).default(100),
    /** Responses larger than this are cut to fewer items, with a cursor to continue. */
    maxResponseBytes: z.number().int().min(4_096).max(10_000_000).default(200_000),
  })
  .prefault({});

export const redactionConfigSchema = z
  .strictObject({
    extraSecretFieldNames: z.array(z.string().min(1)).default([]),
    extraPatterns: z
      .array(
        z.strictObject({
          kind: z.string().regex(/^[a-z0-9_]+$/, "kind is lower_snake_case"),
          pattern: z.string().min(1),
        }),
      )
      .default([]),
    allowIdentifiers: z.array(z.string().min(1)).default([]),
    timeoutMs: z.number().int().min(10).max(60_000).default(2_000),
  })
  .prefault({});

export const auditConfigSchema = z
  .strictObject({
    responseBody: z.enum(["none", "summary", "full"]).default("summary"),
    retentionDays: z.number().int().min(1).max(36_500).default(365),
  })
  .prefault({});

const budgetSchema = z.strictObject({
  callsPerMinute: z.number().int().min(1).max(100_000).optional().describe("calls in any sliding minute"),
  itemsReturned: z.number().int().min(1).max(10_000_000).optional().describe("items returned in total (per task) or per hour (per caller)"),
  distinctScopes: z.number().int().min(1).max(100_000).optional().describe("different scopes asked about (estate-wide counts as one)"),
});

export const fieldVisibilityRuleSchema = z.strictObject({
  tools: z.array(toolPattern).min(1).default(["*"]).describe("tools the rule applies to (names or globs)"),
  scopes: z.array(z.string().min(1)).min(1).default(["*"]).describe("scope ids (globs) whose items are affected"),
  hide: z.array(z.enum(HIDEABLE_FIELDS)).min(1).describe("fields removed from results"),
});

/** A webhook URL: https, or http to a loopback address (a local bridge). */
const webhookUrl = z.url().refine((text) => {
  const url = new URL(text);
  return url.protocol === "https:" || (url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname));
}, "must be https (http only to 127.0.0.1, localhost or [::1])");

export const approvalsConfigSchema = z
  .strictObject({
    webhook: z
      .strictObject({
        url: webhookUrl,
        timeoutSeconds: z.number().int().min(1).max(60).default(5),
      })
      .optional()
      .describe("POST JSON (request id, caller, tool, intent, scope, why, approver groups, expiry) when a request waits; failures are logged, never block"),
    pollIntervalMs: z.number().int().min(50).max(60_000).default(1_000).describe("how often a waiting call reads the queue for a decision made by another process or replica"),
    reuseWithinTask: z.boolean().default(true).describe("an identical call in the same task reuses an approval instead of asking again"),
    approverScopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, "a scope is one word of printable ASCII without quotes or backslashes"))
      .min(1)
      .default(["wiam.approve"])
      .describe("scopes an access token needs at the admin endpoint (/admin/approvals), besides http.auth.requiredScopes: an agent's /mcp token cannot approve"),
    approverClientIds: z
      .array(z.string().min(1))
      .default([])
      .describe("when set, only tokens issued to these OAuth clients (azp or client_id) may use the admin endpoint; empty: any client"),
    maxPendingPerCaller: z.number().int().min(1).max(1_000).default(20).describe("how many requests one caller may have waiting at once; more are refused, and an identical call waits on the request already queued"),
  })
  .prefault({});

export const governanceConfigSchema = z
  .strictObject({
    /** Cedar policy file; relative paths are relative to the config file. Unset: the built-in default policy. */
    policyFile: z.string().min(1).optional(),
    /** How long the person at the client has to answer an approval request. */
    // Below the 60 s that MCP clients commonly wait for a tool call, so a timeout is reported as one.
    approvalTimeoutSeconds: z.number().int().min(1).max(3_600).default(50),
    tasks: z
      .strictObject({
        idleMinutes: z.number().int().min(1).max(1_440).default(30),
        maxLifetimeMinutes: z.number().int().min(1).max(10_080).default(480),
      })
      .prefault({}),
    budgets: z
      .strictObject({
        perTask: budgetSchema.default({ callsPerMinute: 30, itemsReturned: 5_000, distinctScopes: 25 }),
        perCaller: budgetSchema.default({ callsPerMinute: 60, itemsReturned: 20_000, distinctScopes: 200 }),
        /** Open tasks one caller may hold at once: fresh task ids must not buy fresh budgets without end. */
        maxTasksPerCaller: z.number().int().min(1).max(10_000).default(20),
        /** What happens to a call over budget: refused, or sent to the person at the client for approval. */
        onExceed: z.enum(["deny", "approval"]).default("approval"),
      })
      .prefault({}),
    fieldVisibility: z.array(fieldVisibilityRuleSchema).default([]),
    /** Second-person approvals (@approval("second-person")): how waiting calls poll, reuse within a task, the webhook. */
    approvals: approvalsConfigSchema,
    /** Named sets of callers (OS users or authenticated subjects) for policies: `principal in Wiam::CallerGroup::"x"`. */
    callerGroups: z.record(z.string().regex(/^[\w.-]{1,64}$/, "group names use letters, digits, . _ -"), z.array(z.string().min(1))).default({}),
    /** Attributes of scopes for policy decisions before the scope has been collected (e.g. environment). */
    scopes: z
      .record(z.string().min(1), z.strictObject({ environment: z.string().min(1).optional(), tags: z.record(z.string(), z.string()).optional() }))
      .default({}),
  })
  .prefault({});

/** `providers.<id>` for every registered provider, each optional and described by its module. */
function providerConfigShape(): { [Id in ProviderId]: z.ZodOptional<(typeof PROVIDER_MODULES)[Id]["configSchema"]> } {
  return Object.fromEntries(PROVIDERS.map((module) => [module.id, module.configSchema.optional().describe(module.configDescription)])) as {
    [Id in ProviderId]: z.ZodOptional<(typeof PROVIDER_MODULES)[Id]["configSchema"]>;
  };
}

export const providersConfigSchema = z
  .strictObject({
    demo: z
      .strictObject({ enabled: z.boolean().default(true) })
      .optional()
      .describe("the built-in demo estate; used when no other provider is configured"),
    snapshot: z
      .strictObject({ paths: z.array(z.string().min(1)).min(1) })
      .optional()
      .describe("inventory snapshot files (schemas/inventory.schema.json) to analyse offline"),
    ...providerConfigShape(),
  })
  .prefault({});

export const configSchema = z
  .strictObject({
    providers: providersConfigSchema,
    tools: toolsConfigSchema,
    thresholds: thresholdsSchema,
    activity: activityConfigSchema,
    limits: limitsSchema,
    redaction: redactionConfigSchema,
    audit: auditConfigSchema,
    governance: governanceConfigSchema,
    history: historyConfigSchema.describe("the stored inventory: background refresh, history and what_changed (docs/history.md)"),
    state: stateConfigSchema.describe("where the audit log, budgets and approvals live: SQLite in the data directory (default) or PostgreSQL shared by replicas"),
    http: httpConfigSchema.optional().describe("wiam serve --http: listener, allowed hosts and origins, and caller authentication"),
    /** Minutes an inventory collected from live providers is reused before collecting again. */
    cacheTtlMinutes: z.number().int().min(0).max(1_440).default(15),
  })
  .superRefine((config, ctx) => {
    if (config.limits.defaultPageSize > config.limits.maxPageSize) {
      ctx.addIssue({
        code: "custom",
        path: ["limits", "defaultPageSize"],
        message: `must not exceed limits.maxPageSize (${config.limits.maxPageSize})`,
      });
    }
  });

export type WiamConfig = z.infer<typeof configSchema>;
