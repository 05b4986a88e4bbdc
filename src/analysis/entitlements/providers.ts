/** Assembles one evaluator per provider for a query. */
import type { Provider } from "../../model/inventory.js";
import { AwsAccess, resolveAwsTarget } from "./aws.js";
import { AwsPivots } from "./aws-pivots.js";
import { AzureAccess, resolveAzureTarget } from "./azure.js";
import { AzurePivots } from "./azure-pivots.js";
import type { QueryContext } from "./context.js";
import { GcpAccess, resolveGcpTarget } from "./gcp.js";
import { GcpPivots } from "./gcp-pivots.js";
import type { ProviderEvaluator, Subject } from "./internal.js";

function uniqueSubjects(...lists: Subject[][]): Subject[] {
  const byId = new Map<string, Subject>();
  for (const list of lists) for (const subject of list) if (!byId.has(subject.id)) byId.set(subject.id, subject);
  return [...byId.values()];
}

export function createEvaluators(ctx: QueryContext): Record<Provider, ProviderEvaluator> {
  const awsAccess = new AwsAccess(ctx);
  const awsPivots = new AwsPivots(ctx, awsAccess);
  const gcpAccess = new GcpAccess(ctx);
  const gcpPivots = new GcpPivots(ctx, gcpAccess);
  const azureAccess = new AzureAccess(ctx);
  const azurePivots = new AzurePivots(ctx, azureAccess);
  return {
    aws: {
      resolveTarget: (resource) => resolveAwsTarget(ctx, resource),
      findAccess: (subject, request) => awsAccess.findAccess(subject, request),
      selfEscalations: (subject, request) => awsPivots.selfEscalations(subject, request),
      edgesFrom: (subject) => awsPivots.edgesFrom(subject),
      edgesTo: (target) => awsPivots.edgesTo(target),
      holders: (request) =>
        uniqueSubjects(
          awsAccess.holdersOf(request).map((p) => ctx.subjectFor(p)),
          awsPivots.selfEscalationHolders().map((p) => ctx.subjectFor(p)),
        ),
    },
    gcp: {
      resolveTarget: (resource) => resolveGcpTarget(ctx, resource),
      findAccess: (subject, request) => gcpAccess.findAccess(subject, request),
      selfEscalations: (subject, request) => gcpPivots.selfEscalations(subject, request),
      edgesFrom: (subject) => gcpPivots.edgesFrom(subject),
      edgesTo: (target) => gcpPivots.edgesTo(target),
      holders: (request) => uniqueSubjects(gcpAccess.holdersOf(request), gcpPivots.selfEscalationHolders(request)),
    },
    azure: {
      resolveTarget: (resource) => resolveAzureTarget(ctx, resource),
      findAccess: (subject, request) => azureAccess.findAccess(subject, request),
      selfEscalations: (subject, request) => azurePivots.selfEscalations(subject, request),
      edgesFrom: (subject) => azurePivots.edgesFrom(subject),
      edgesTo: (target) => azurePivots.edgesTo(target),
      holders: (request) => uniqueSubjects(azureAccess.holdersOf(request), azurePivots.selfEscalationHolders(request)),
    },
  };
}
