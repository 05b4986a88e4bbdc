/** Azure Key Vault, RBAC and Entra ID as a provider module (see ../provider.ts). */
import { lazyConnector } from "../../connectors/lazy.js";
import { evaluatorOf } from "../../analysis/entitlements/internal.js";
import type { ProviderModule } from "../provider.js";
import { AzureAccess, resolveAzureTarget } from "./access/evaluator.js";
import { AZURE_ESCALATION_RULES, AzurePivots } from "./access/pivots.js";
import { azureProviderConfigSchema, type AzureProviderConfig } from "./config.js";
import { addAzureEstate } from "./demo/estate.js";
import { addAzureActivity } from "./demo/activity.js";
import { azureDoctorChecks } from "./doctor.js";
import { azureIds } from "./ids.js";

export const azureProvider: ProviderModule<"azure", AzureProviderConfig> = {
  id: "azure",
  title: "Azure",
  configSchema: azureProviderConfigSchema,
  configDescription: "Azure Key Vaults, RBAC and Entra workload identities read live",
  connectorDescription: "Azure Key Vault, RBAC and Entra ID",
  ids: azureIds,
  resourceIdHint: "an Azure resource id or a Key Vault item id",
  createConnector(config, deps) {
    return lazyConnector("azure", this.connectorDescription, async () => (await import("./index.js")).createAzureConnector(config, { caller: deps.caller }));
  },
  escalationRules: AZURE_ESCALATION_RULES,
  createEvaluator(ctx) {
    const access = new AzureAccess(ctx);
    return evaluatorOf((resource) => resolveAzureTarget(ctx, resource), access, new AzurePivots(ctx, access));
  },
  doctorChecks: azureDoctorChecks,
  addDemoEstate(estate) {
    addAzureEstate(estate);
    addAzureActivity(estate);
  },
};
