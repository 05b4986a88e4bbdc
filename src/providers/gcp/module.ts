/** Google Cloud IAM and Resource Manager as a provider module (see ../provider.ts). */
import { lazyConnector } from "../../connectors/lazy.js";
import { evaluatorOf } from "../../analysis/entitlements/internal.js";
import type { ProviderModule } from "../provider.js";
import { GcpAccess, resolveGcpTarget } from "./access/evaluator.js";
import { GCP_ESCALATION_RULES, GCP_SERVICE_ACCOUNT_TECHNIQUES, GcpPivots } from "./access/pivots.js";
import { gcpProviderConfigSchema, type GcpProviderConfig } from "./config.js";
import { addGcpEstate, addGcpGroupScenario } from "./demo/estate.js";
import { addGcpActivity } from "./demo/activity.js";
import { gcpDoctorChecks } from "./doctor.js";
import { gcpIds } from "./ids.js";

export const gcpProvider: ProviderModule<"gcp", GcpProviderConfig> = {
  id: "gcp",
  title: "Google Cloud",
  configSchema: gcpProviderConfigSchema,
  configDescription: "Google Cloud organization, folders and projects read live",
  connectorDescription: "Google Cloud Resource Manager, IAM and Policy Analyzer",
  ids: gcpIds,
  resourceIdHint: "a GCP resource name",
  createConnector(config, deps) {
    return lazyConnector("gcp", this.connectorDescription, async () => (await import("./index.js")).createGcpConnector(config, { caller: deps.caller }));
  },
  escalationRules: [...GCP_SERVICE_ACCOUNT_TECHNIQUES, ...GCP_ESCALATION_RULES],
  createEvaluator(ctx) {
    const access = new GcpAccess(ctx);
    return evaluatorOf((resource) => resolveGcpTarget(ctx, resource), access, new GcpPivots(ctx, access));
  },
  doctorChecks: gcpDoctorChecks,
  addDemoEstate(estate) {
    addGcpEstate(estate);
    addGcpActivity(estate);
    addGcpGroupScenario(estate);
  },
};
