/** Governance settings as the governor and the task registry take them, read from the config. */
import type { WiamConfig } from "../config/schema.js";
import { PROVIDERS } from "../providers/registry.js";
import type { GovernanceSettings } from "./governor.js";
import type { CompiledPolicySet } from "./policy-set.js";
import type { ScopeOverride } from "./scope-resolver.js";
import type { TaskSettings } from "./tasks.js";

export function taskSettingsOf(config: WiamConfig): TaskSettings {
  const { tasks, budgets } = config.governance;
  return { idleMs: tasks.idleMinutes * 60_000, maxLifetimeMs: tasks.maxLifetimeMinutes * 60_000, perTask: budgets.perTask, perCaller: budgets.perCaller, maxTasksPerCaller: budgets.maxTasksPerCaller };
}

const scopeAttributes = new WeakMap<WiamConfig, Readonly<Record<string, ScopeOverride>>>();

/**
 * Scope attributes known from the config, before anything is collected (an AWS account's
 * `environment`, from its provider module), overridden by `governance.scopes`. One object per config, so the policy's scope
 * tree is built once per inventory and config.
 */
function scopeAttributesOf(config: WiamConfig): Readonly<Record<string, ScopeOverride>> {
  let known = scopeAttributes.get(config);
  if (!known) {
    const configured: Record<string, ScopeOverride> = {};
    for (const module of PROVIDERS) {
      const providerConfig = config.providers[module.id];
      if (providerConfig === undefined || !module.configuredEnvironments) continue;
      for (const [scopeId, environment] of module.configuredEnvironments(providerConfig)) configured[scopeId] = { environment };
    }
    known = { ...configured, ...config.governance.scopes };
    scopeAttributes.set(config, known);
  }
  return known;
}

export function governanceSettingsOf(config: WiamConfig, policySet: CompiledPolicySet): GovernanceSettings {
  const { governance } = config;
  return {
    policySet,
    approvalTimeoutMs: governance.approvalTimeoutSeconds * 1_000,
    onBudgetExceeded: governance.budgets.onExceed,
    scopes: scopeAttributesOf(config),
    callerGroups: governance.callerGroups,
  };
}
