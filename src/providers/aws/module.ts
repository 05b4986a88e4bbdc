/** AWS IAM, STS and Organizations as a provider module (see ../provider.ts). */
import { lazyConnector } from "../../connectors/lazy.js";
import { candidatePage, candidatesOf } from "../../analysis/entitlements/internal.js";
import type { ProviderModule } from "../provider.js";
import { AwsAccess, resolveAwsTarget } from "./access/evaluator.js";
import { AwsHolders } from "./access/holders.js";
import { inactiveUserBlock } from "./access/inactive-users.js";
import { AwsPivots } from "./access/pivots.js";
import { awsReverseCandidates } from "./access/reverse-candidates.js";
import { awsProviderConfigSchema, type AwsProviderConfig } from "./config.js";
import { addAwsEstate } from "./demo/estate.js";
import { readCloudTrailFiles } from "./activity/read-files.js";
import { awsDoctorChecks } from "./doctor.js";
import { AWS_ESCALATION_RULES, AwsEscalations } from "./escalation.js";
import { awsAccountScopeId, awsIds } from "./ids.js";

export const awsProvider: ProviderModule<"aws", AwsProviderConfig> = {
  id: "aws",
  title: "AWS",
  configSchema: awsProviderConfigSchema,
  configDescription: "AWS accounts read live through IAM, STS and Organizations",
  connectorDescription: "AWS IAM, STS and Organizations",
  ids: awsIds,
  resourceIdHint: "an ARN",
  createConnector(config, deps) {
    return lazyConnector("aws", this.connectorDescription, async () => (await import("./index.js")).createAwsConnector(config, { caller: deps.caller, activityIngestion: deps.activityIngestion }));
  },
  escalationRules: AWS_ESCALATION_RULES,
  createEvaluator(ctx) {
    const access = new AwsAccess(ctx);
    const holders = new AwsHolders(ctx);
    const escalations = new AwsEscalations(ctx, access, holders);
    const pivots = new AwsPivots(ctx, access, holders, escalations);
    return {
      resolveTarget: (resource) => resolveAwsTarget(ctx, resource),
      findAccess: (subject, request) => access.findAccess(subject, request),
      selfEscalations: (subject, request) => pivots.selfEscalations(subject, request),
      edgesFrom: (subject) => pivots.edgesFrom(subject),
      edgesTo: (target, skip) => pivots.edgesTo(target, skip),
      cannotAct: (subject) => (subject.principal ? inactiveUserBlock(ctx.inventory, subject.principal) : undefined),
      holders: (request) => candidatesOf(awsReverseCandidates(ctx, access, holders, escalations, request), (p) => ctx.subjectFor(p)),
      holdersPage: (request, limit) => candidatePage(awsReverseCandidates(ctx, access, holders, escalations, request), limit, (p) => ctx.subjectFor(p)),
    };
  },
  configuredEnvironments: (config) =>
    config.accounts.flatMap((account) => (account.environment === undefined ? [] : [[awsAccountScopeId(account.id), account.environment] as [string, string]])),
  doctorChecks: awsDoctorChecks,
  addDemoEstate: addAwsEstate,
  readActivityFiles: readCloudTrailFiles,
};
