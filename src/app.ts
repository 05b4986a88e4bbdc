/**
 * Assembles the server's parts from a parsed configuration: redactor, audit store, connectors,
 * inventory cache and the call pipeline. No side effects at import; the CLI and tests call it.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { PIPELINE_TOOLS } from "../tools/index.js";
import type { AnyToolDefinition } from "../tools/define-tool.js";
import { createRedactor, loadOrCreateRedactionKey } from "../redaction/index.js";
import type { Redactor } from "../redaction/types.js";
import { recordRedaction } from "./audit/record-redaction.js";
import { AuditStore } from "./audit/store.js";
import type { WiamConfig } from "./config/schema.js";
import { ensureDataDir } from "./config/data-dir.js";
import type { Connector } from "./connectors/connector.js";
import { PROVIDERS } from "./providers/registry.js";
import { createDemoConnector } from "./connectors/demo/index.js";
import { createSnapshotConnector } from "./connectors/snapshot.js";
import { createActivityFilesConnector } from "./connectors/activity-files.js";
import { UserFacingError } from "./errors.js";
import type { CallPipeline, AuditSink } from "./pipeline/call-pipeline.js";
import { AuditGuardedPipeline } from "./pipeline/audit-guarded-pipeline.js";
import { InventoryService } from "./pipeline/inventory-service.js";
import { InventoryHistory, type HistorySettings } from "./history/inventory-history.js";
import { INVENTORY_DB_FILE, INVENTORY_SQLITE_MIGRATIONS, SqliteSnapshotStore, copiesDirOf } from "./history/sqlite-snapshot-store.js";
import { PostgresSnapshotStore } from "./history/postgres-snapshot-store.js";
import { OpeningSnapshotStore, type InventorySnapshotStore } from "./history/snapshot-store.js";
import { storedInventoryKey } from "./history/copy-key.js";
import { osUserName } from "./util/os-user.js";
import { Governor } from "./governance/governor.js";
import { ApprovalQueue } from "./approvals/queue.js";
import { SqliteApprovalStore } from "./approvals/sqlite-store.js";
import { writeApprovalAuditEvent } from "./approvals/audit-events.js";
import { approvalWebhook } from "./approvals/webhook.js";
import { loadPolicySet, type CompiledPolicySet } from "./governance/policy-set.js";
import { governanceSettingsOf, taskSettingsOf } from "./governance/settings.js";
import { TaskRegistry } from "./governance/tasks.js";
import { openApprovalStore } from "./approvals/open.js";
import { openSqliteStateStore } from "./state/open.js";
import { SqliteStateStore } from "./state/sqlite/store.js";
import type { StateStore, StateTables } from "./state/state-store.js";
import { createLogger, type Logger, type LogLevel } from "./util/logger.js";

/** After a shutdown's wait runs out, how long cancelled calls get to write their audited end. */
const DRAIN_AFTER_CANCEL_MS = 2_000;

export interface AppOptions {
  config: WiamConfig;
  dataDir: string;
  logLevel?: LogLevel;
  now?: () => Date;
  /** Replaces the SQLite audit store (benchmarks compare against a no-op sink). */
  auditSink?: AuditSink;
  /**
   * The state store, already open (`wiam serve` opens PostgreSQL, which is async, before the app).
   * Absent: the embedded SQLite store in the data directory. The app closes it.
   */
  state?: StateStore;
  tools?: readonly AnyToolDefinition[];
  /** Replaces the connectors the config names (tests and benchmarks serve prepared estates). */
  connectors?: readonly Connector[];
  logWrite?: (line: string) => void;
  /** Milliseconds a call waits for another process's lock on the audit database (default 10 s). */
  auditBusyTimeoutMs?: number;
}

export interface App {
  pipeline: CallPipeline;
  inventory: InventoryService;
  redactor: Redactor;
  logger: Logger;
  /** The embedded SQLite audit log, for in-process review; null on PostgreSQL or with an injected sink. */
  audit: AuditStore | null;
  /** Where the audit chain, budgets and approvals live (null only with an injected audit sink). */
  state: StateStore | null;
  config: () => WiamConfig;
  /** The Cedar policy set in force (reloaded with the config). */
  policySet: () => CompiledPolicySet;
  tasks: TaskRegistry;
  /** Second-person approval requests: the calls waiting on them, and the approvers' decisions. */
  approvals: ApprovalQueue;
  dataDir: string;
  /**
   * Applies a new configuration at once: tools, thresholds, limits and providers. Redaction and
   * audit settings need a restart (the key material and the open database stay as they are).
   */
  reload(next: WiamConfig): ReloadResult;
  /** Called after a reload that changed which tools are exposed (the server sends list_changed). */
  onToolsChanged(listener: () => void): void;
  /**
   * Waits up to `timeoutMs` for running calls to finish and be audited; then ends every task (their
   * calls see cancellation) and waits a little more. False when some were still running. Call
   * before `close`.
   */
  drain(timeoutMs: number): Promise<boolean>;
  close(): void;
}

export interface ReloadResult {
  toolsChanged: boolean;
  restartNeededFor: string[];
}

export function connectorsFor(config: WiamConfig): Connector[] {
  const connectors: Connector[] = [];
  for (const path of config.providers.snapshot?.paths ?? []) connectors.push(createSnapshotConnector(path));
  const caller = osUserName();
  // Ids are kept at least over the detection window, which findings cite, and the overlap before
  // it, where one credential's earlier use from another network is looked for.
  const { detectionHours, overlapMinutes } = config.activity;
  const activityIngestion = {
    workers: config.activity.ingestion.workers,
    keepIdsHours: Math.max(config.activity.ingestion.keepIdsHours, detectionHours + Math.ceil(overlapMinutes / 60)),
  };
  for (const module of PROVIDERS) {
    const providerConfig = config.providers[module.id];
    if (providerConfig) connectors.push(module.createConnector(providerConfig, { caller, activityIngestion }));
  }
  for (const module of PROVIDERS) {
    // A ranges file for a provider that reads no activity files would be ignored without a word.
    if (config.activity.rangesFiles[module.id] !== undefined && module.readActivityFiles === undefined) {
      throw new UserFacingError(
        "config_invalid",
        `config activity.rangesFiles.${module.id}: this provider reads no activity log files, so no ranges file is used for it (its shipped snapshot is); remove the entry`,
      );
    }
    const files = config.activity.files[module.id];
    if (files) connectors.push(createActivityFilesConnector(module, files, config.activity.rangesFiles[module.id], activityIngestion));
  }
  const demoSetting = config.providers.demo?.enabled;
  // The demo estate is the default when nothing else is configured, and can be added explicitly.
  if (demoSetting === true || (demoSetting === undefined && connectors.length === 0)) connectors.push(createDemoConnector());
  if (connectors.length === 0) {
    throw new UserFacingError("config_invalid", "config providers: no provider is configured and the demo estate is disabled");
  }
  return connectors;
}

export function createRedactorFor(config: WiamConfig, dataDir: string): Redactor {
  return createRedactor({
    key: loadOrCreateRedactionKey(dataDir),
    extraSecretFieldNames: config.redaction.extraSecretFieldNames,
    extraPatterns: config.redaction.extraPatterns,
    allowIdentifiers: config.redaction.allowIdentifiers,
    timeoutMs: config.redaction.timeoutMs,
  });
}

export function openAuditStore(config: WiamConfig, dataDir: string, redactor: Redactor, busyTimeoutMs?: number): AuditStore {
  return AuditStore.open(join(dataDir, "audit.db"), {
    responseBody: config.audit.responseBody,
    retentionDays: config.audit.retentionDays,
    redactText: (text: string) => redactor.redactText(text).value,
    redactRecord: recordRedaction(redactor),
    ...(busyTimeoutMs === undefined ? {} : { busyTimeoutMs }),
  });
}

/**
 * The history of stored inventories (config `history`), where the state lives: `inventory.db` in
 * the data directory, or the shared PostgreSQL database so replicas serve one stored estate.
 * Settings are read at each use, so a reload applies to the next refresh.
 */
export function openInventoryHistory(dataDir: string, config: () => WiamConfig, now?: () => Date, tables?: StateTables): InventoryHistory {
  const settings = (): HistorySettings => {
    const { retentionDays, keepCollections, sensitive } = config().history;
    return { retentionDays, keepCollections, sensitive };
  };
  let store: InventorySnapshotStore;
  if (tables?.kind === "postgres") store = new OpeningSnapshotStore("postgres", PostgresSnapshotStore.open(tables.pool, tables.migrate));
  else if (tables?.kind === "sqlite") {
    const db = tables.openDatabase(INVENTORY_DB_FILE, "inventory", INVENTORY_SQLITE_MIGRATIONS);
    store = new SqliteSnapshotStore(db, copiesDirOf(join(tables.dataDir, INVENTORY_DB_FILE)));
  }
  else store = SqliteSnapshotStore.open({ dataDir });
  return new InventoryHistory(store, settings, now, storedInventoryKey(config(), dataDir));
}

/**
 * A connector's history key: its id and a digest of its configuration, so a config that reads
 * other accounts or projects starts a history of its own rather than diffing two different estates.
 */
export function inventorySourceOf(connector: Connector, config: WiamConfig): string {
  const settings = (config.providers as Record<string, unknown>)[connector.id] ?? null;
  return `${connector.id}@${createHash("sha256").update(JSON.stringify(settings)).digest("hex").slice(0, 12)}`;
}

/** How often idle and expired tasks are ended (and their cloud sessions dropped) between calls. */
const TASK_SWEEP_INTERVAL_MS = 30_000;

export function createApp(options: AppOptions): App {
  let current = options.config;
  const tools = options.tools ?? PIPELINE_TOOLS;
  let policySet = loadPolicySet(current.governance.policyFile, tools);
  const dataDir = ensureDataDir(options.dataDir);
  const redactor = createRedactorFor(current, dataDir);
  const logger = createLogger({ redactor, level: options.logLevel ?? "info", ...(options.logWrite ? { write: options.logWrite } : {}) });
  const state = options.auditSink ? null : (options.state ?? openSqliteStateStore({ config: current, dataDir, redactor, auditBusyTimeoutMs: options.auditBusyTimeoutMs }));
  const audit = state instanceof SqliteStateStore ? state.auditStore : null;
  const history = current.history.enabled ? openInventoryHistory(dataDir, () => current, options.now, state?.tables) : undefined;
  const inventory = new InventoryService(
    options.connectors ?? connectorsFor(current),
    current.cacheTtlMinutes * 60_000,
    options.now,
    history ? { history, sourceOf: (connector) => inventorySourceOf(connector, current), warn: (message) => logger.warning(message) } : undefined,
  );
  const now = options.now ?? (() => new Date());
  const tasks = new TaskRegistry(
    () => taskSettingsOf(current),
    (taskId, reason) => {
      inventory.endTask(taskId);
      logger.debug(`task ${taskId} ended (${reason}); its cloud sessions were dropped`);
    },
    // Budgets count where the state lives: shared by replicas on PostgreSQL.
    state?.usage,
  );
  const sweeper = setInterval(() => tasks.sweep(now().getTime()), TASK_SWEEP_INTERVAL_MS);
  sweeper.unref();
  const auditSink = options.auditSink ?? state?.audit;
  const approvals = new ApprovalQueue({
    store: () => (state ? openApprovalStore(state.tables) : Promise.resolve(SqliteApprovalStore.openInDataDir(dataDir))),
    callerGroups: () => current.governance.callerGroups,
    now,
    pollIntervalMs: current.governance.approvals.pollIntervalMs,
    maxPendingPerCaller: () => current.governance.approvals.maxPendingPerCaller,
    // An approval is good for identical calls of its task while a task can live.
    reuseWindowMs: () => (current.governance.approvals.reuseWithinTask ? current.governance.tasks.maxLifetimeMinutes * 60_000 : 0),
    // Requests that are over go with the audit records that tell their story.
    retentionMs: () => current.audit.retentionDays * 86_400_000,
    redactText: (text) => redactor.redactText(text).value,
    redactValue: (value) => redactor.redact(value).value,
    notify: (request) => {
      const webhook = current.governance.approvals.webhook;
      if (webhook) approvalWebhook(webhook, logger)(request);
    },
    audit: auditSink ? (event) => writeApprovalAuditEvent(auditSink, redactor.rulesetVersion, event) : undefined,
    logger,
  });
  const governor = new Governor(() => governanceSettingsOf(current, policySet), tasks, (request, signal) => approvals.ask(request, signal));
  const pipeline: CallPipeline = new AuditGuardedPipeline({
    tools,
    governor,
    config: () => current,
    inventory,
    redactor,
    audit: options.auditSink ?? (state as StateStore).audit,
    logger,
    ...(options.now ? { now: options.now } : {}),
  });
  const toolListeners: (() => void)[] = [];
  // Resources are read by tools too: a change in either list tells clients to list again.
  const enabledNames = () => [...pipeline.enabledTools(), ...pipeline.enabledTools("resource")].map((t) => t.name).join(",");
  const reload = (next: WiamConfig): ReloadResult => {
    // Both throw before anything changes, so an invalid file keeps the last good config in force.
    const connectors = options.connectors ?? connectorsFor(next);
    const nextPolicySet = loadPolicySet(next.governance.policyFile, tools);
    const before = enabledNames();
    // The HTTP listener and its token settings are fixed while it listens.
    const restartNeededFor = (["redaction", "audit", "http"] as const).filter((key) => JSON.stringify(current[key]) !== JSON.stringify(next[key]));
    if (JSON.stringify(current.providers) !== JSON.stringify(next.providers)) inventory.replaceConnectors(connectors);
    current = next;
    policySet = nextPolicySet;
    const toolsChanged = enabledNames() !== before;
    if (toolsChanged) for (const listener of toolListeners) listener();
    return { toolsChanged, restartNeededFor: [...restartNeededFor] };
  };
  return {
    pipeline,
    inventory,
    redactor,
    logger,
    audit,
    state,
    config: () => current,
    policySet: () => policySet,
    tasks,
    approvals,
    dataDir,
    reload,
    onToolsChanged: (listener) => void toolListeners.push(listener),
    drain: async (timeoutMs) => {
      if (await pipeline.whenIdle(timeoutMs)) return true;
      // Still running (a long collection): ending the tasks cancels their calls, which then
      // finish with an audited error soon after.
      for (const taskId of tasks.activeTaskIds) tasks.end(taskId);
      return pipeline.whenIdle(DRAIN_AFTER_CANCEL_MS);
    },
    close: () => {
      clearInterval(sweeper);
      for (const taskId of tasks.activeTaskIds) tasks.end(taskId);
      void approvals.dispose();
      void state?.close().catch((error: unknown) => logger.error(`closing the state store failed: ${error instanceof Error ? error.message : String(error)}`));
      void history?.store.close();
    },
  };
}
