/** Assembles one evaluator per provider for a query. */
import type { Principal, Provider } from "../../model/inventory.js";
import { AwsAccess, awsAccountOf, resolveAwsTarget } from "../../providers/aws/access/evaluator.js";
import { AwsEscalations } from "../../providers/aws/escalation.js";
import { AwsHolders } from "../../providers/aws/access/holders.js";
import { AwsPivots } from "../../providers/aws/access/pivots.js";
import { AzureAccess, resolveAzureTarget } from "../../providers/azure/access/evaluator.js";
import { AzurePivots } from "../../providers/azure/access/pivots.js";
import type { QueryContext } from "./context.js";
import { GcpAccess, resolveGcpTarget } from "../../providers/gcp/access/evaluator.js";
import { GcpPivots } from "../../providers/gcp/access/pivots.js";
import type { ProviderEvaluator, Subject } from "./internal.js";

function uniqueSubjects(...lists: Subject[][]): Subject[] {
  const byId = new Map<string, Subject>();
  for (const list of lists) for (const subject of list) if (!byId.has(subject.id)) byId.set(subject.id, subject);
  return [...byId.values()];
}

export function createEvaluators(ctx: QueryContext): Record<Provider, ProviderEvaluator> {
  const awsAccess = new AwsAccess(ctx);
  const awsHolders = new AwsHolders(ctx);
  const awsEscalations = new AwsEscalations(ctx, awsAccess, awsHolders);
  const awsPivots = new AwsPivots(ctx, awsAccess, awsHolders, awsEscalations);
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
      edgesTo: (target, skip) => awsPivots.edgesTo(target, skip),
      holders: (request) => {
        // Identity allows reach another account's resource only with that resource's own policy,
        // which the inventory does not hold: list the resource's own account (trust chains from
        // other accounts still arrive through the pivot search).
        const account = request.target && !request.target.isScope ? awsAccountOf(request.target.id) : undefined;
        if (account) {
          ctx.note(
            `principals of accounts other than ${account} are listed only through role chains: their direct access would also need the resource's own policy, which is not collected`,
          );
        }
        const sameAccount = (p: Principal) => account === undefined || awsAccountOf(p.scopeId) === account;
        return uniqueSubjects(
          awsHolders.holdersOf(request, account ? { account } : {}).map((p) => ctx.subjectFor(p)),
          awsEscalations.selfEscalationHolders().filter(sameAccount).map((p) => ctx.subjectFor(p)),
        );
      },
    },
    gcp: {
      resolveTarget: (resource) => resolveGcpTarget(ctx, resource),
      findAccess: (subject, request) => gcpAccess.findAccess(subject, request),
      selfEscalations: (subject, request) => gcpPivots.selfEscalations(subject, request),
      edgesFrom: (subject) => gcpPivots.edgesFrom(subject),
      edgesTo: (target, skip) => gcpPivots.edgesTo(target, skip),
      holders: (request) => uniqueSubjects(gcpAccess.holdersOf(request), gcpPivots.selfEscalationHolders(request)),
    },
    azure: {
      resolveTarget: (resource) => resolveAzureTarget(ctx, resource),
      findAccess: (subject, request) => azureAccess.findAccess(subject, request),
      selfEscalations: (subject, request) => azurePivots.selfEscalations(subject, request),
      edgesFrom: (subject) => azurePivots.edgesFrom(subject),
      edgesTo: (target, skip) => azurePivots.edgesTo(target, skip),
      holders: (request) => uniqueSubjects(azureAccess.holdersOf(request), azurePivots.selfEscalationHolders(request)),
    },
  };
}
