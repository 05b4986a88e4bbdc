/** Governance settings as the governor and the task registry take them, read from the config. */
import type { WiamConfig } from "../config/schema.js";
import type { GovernanceSettings } from "./governor.js";
import type { CompiledPolicySet } from "./policy-set.js";
import type { TaskSettings } from "./tasks.js";

export function taskSettingsOf(config: WiamConfig): TaskSettings {
  const { tasks, budgets } = config.governance;
  return { idleMs: tasks.idleMinutes * 60_000, maxLifetimeMs: tasks.maxLifetimeMinutes * 60_000, perTask: budgets.perTask, perCaller: budgets.perCaller };
}

export function governanceSettingsOf(config: WiamConfig, policySet: CompiledPolicySet): GovernanceSettings {
  const { governance } = config;
  return {
    policySet,
    approvalTimeoutMs: governance.approvalTimeoutSeconds * 1_000,
    onBudgetExceeded: governance.budgets.onExceed,
    scopes: governance.scopes,
    callerGroups: governance.callerGroups,
  };
}
