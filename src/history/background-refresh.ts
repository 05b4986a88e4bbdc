/**
 * The server's own collector: every `history.refreshMinutes`, each configured source is collected
 * afresh by calling the collect_inventory tool through the call pipeline as the caller
 * "wiam-collector", one task per source (`collector-<source>`). So a refresh is allowed or refused
 * by the Cedar policy, counts against that task's and that caller's own budgets (never an
 * analyst's), is audited with the cloud operations it made, and is abandoned after
 * `history.refreshTimeoutMinutes`. Nobody is there to approve: a refresh the policy sends for
 * approval is refused, and logged.
 *
 * The interval and timeout are read at every round, so a config reload applies to the next one.
 */
import type { CallerInfo, ToolCallResponse, ToolCallRequest } from "../pipeline/call-pipeline.js";
import type { HistoryConfig } from "../config/history-schema.js";

export const COLLECTOR_CALLER: CallerInfo = {
  sessionId: null,
  clientName: "wiam-collector",
  clientVersion: null,
  caller: "wiam-collector",
  transport: "cli",
};

export interface BackgroundRefreshDeps {
  execute(request: ToolCallRequest): Promise<ToolCallResponse>;
  sources(): readonly string[];
  settings(): HistoryConfig;
  log(level: "info" | "warning", message: string): void;
  /** Timers (tests drive them by hand). */
  setTimer?(run: () => void, ms: number): { cancel(): void };
}

export interface BackgroundRefresh {
  /** One round now (every source, one after another); resolves when it is done. */
  runOnce(): Promise<void>;
  stop(): void;
}

const MINUTE_MS = 60_000;
/** While refresh is off (refreshMinutes 0, history disabled), the setting is looked at again this often. */
const IDLE_CHECK_MS = 5 * MINUTE_MS;

function nodeTimer(run: () => void, ms: number): { cancel(): void } {
  const timer = setTimeout(run, ms);
  timer.unref();
  return { cancel: () => clearTimeout(timer) };
}

export function startBackgroundRefresh(deps: BackgroundRefreshDeps): BackgroundRefresh {
  const setTimer = deps.setTimer ?? nodeTimer;
  let timer: { cancel(): void } | undefined;
  let stopped = false;
  let running: Promise<void> | undefined;

  const refreshSource = async (source: string, timeoutMs: number): Promise<void> => {
    const controller = new AbortController();
    const timeout = setTimer(() => controller.abort(new Error(`refresh of ${source} took longer than ${timeoutMs / MINUTE_MS} minutes`)), timeoutMs);
    try {
      const response = await deps.execute({
        tool: "collect_inventory",
        arguments: { intent: `scheduled background refresh of ${source}`, task_id: `collector-${source}`, source },
        caller: COLLECTOR_CALLER,
        signal: controller.signal,
      });
      const failed = response.isError || ((response.structured?.refreshed ?? []) as { outcome: string }[]).some((r) => r.outcome !== "refreshed");
      deps.log(failed ? "warning" : "info", `background refresh of ${source}: ${response.text.split("\n").slice(1).join(" ") || response.text} (audit ${response.auditId ?? "none"})`);
    } finally {
      timeout.cancel();
    }
  };

  const runOnce = (): Promise<void> => {
    running ??= (async () => {
      try {
        const settings = deps.settings();
        for (const source of deps.sources()) {
          if (stopped) break;
          await refreshSource(source, settings.refreshTimeoutMinutes * MINUTE_MS).catch((error: unknown) =>
            deps.log("warning", `background refresh of ${source} failed: ${error instanceof Error ? error.message : String(error)}`),
          );
        }
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  const schedule = (): void => {
    if (stopped) return;
    const settings = deps.settings();
    const active = settings.enabled && settings.refreshMinutes > 0;
    timer = setTimer(() => {
      if (!active) return schedule();
      void runOnce().finally(schedule);
    }, active ? settings.refreshMinutes * MINUTE_MS : IDLE_CHECK_MS);
  };
  schedule();

  return {
    runOnce,
    stop: () => {
      stopped = true;
      timer?.cancel();
    },
  };
}
