/** AWS IAM, STS and Organizations as a provider module (see ../provider.ts). */
import type { Principal } from "../../model/inventory.js";
import { lazyConnector } from "../../connectors/lazy.js";
import { uniqueSubjects } from "../../analysis/entitlements/internal.js";
import type { ProviderModule } from "../provider.js";
import { AwsAccess, resolveAwsTarget } from "./access/evaluator.js";
import { AwsHolders } from "./access/holders.js";
import { AwsPivots } from "./access/pivots.js";
import { awsProviderConfigSchema, type AwsProviderConfig } from "./config.js";
import { addAwsEstate } from "./demo/estate.js";
import { readCloudTrailFiles } from "./activity/read-files.js";
import { awsDoctorChecks } from "./doctor.js";
import { AWS_ESCALATION_RULES, AwsEscalations } from "./escalation.js";
import { awsAccountOf, awsAccountScopeId, awsIds } from "./ids.js";

export const awsProvider: ProviderModule<"aws", AwsProviderConfig> = {
  id: "aws",
  title: "AWS",
  configSchema: awsProviderConfigSchema,
  configDescription: "AWS accounts read live through IAM, STS and Organizations",
  connectorDescription: "AWS IAM, STS and Organizations",
  ids: awsIds,
  resourceIdHint: "an ARN",
  createConnector(config, deps) {
    return lazyConnector("aws", this.connectorDescription, async () => (await import("./index.js")).createAwsConnector(config, { caller: deps.caller }));
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
      holders: (request) => {
        // Identity allows reach another account's resource only with that resource's own policy,
        // which the inventory does not hold: list the resource's own account (trust chains from
        // other accounts still arrive through the pivot search).
        const account = request.target && !request.target.isScope ? awsAccountOf(request.target.id) : undefined;
        const named = request.target && !request.target.isScope && request.action !== undefined ? access.resourcePolicies.namedPrincipals(request.action, request.target.id) : [];
        if (account && named.length === 0) {
          ctx.note(
            `principals of accounts other than ${account} are listed only through role chains: their direct access would also need the resource's own policy, which is not in the inventory`,
          );
        }
        // Whoever the resource's own policy names: principals, accounts (their identity holders), outsiders and `*`.
        const namedSubjects = named.flatMap(({ principal }) => {
          const known = ctx.inventory.principals.get(principal);
          if (known) return [ctx.subjectFor(known)];
          const rootAccount = principal.endsWith(":root") ? awsAccountOf(principal) : undefined;
          if (rootAccount && ctx.inventory.scopes.has(awsAccountScopeId(rootAccount))) {
            return holders.holdersOf(request, { account: rootAccount }).map((p) => ctx.subjectFor(p));
          }
          const outside = access.outsideOrganization(principal === "*" ? undefined : awsAccountOf(principal));
          const label = principal === "*" ? "anyone (*)" : `${principal}${outside ? " (outside the organization)" : ""}`;
          const outsider = ctx.subjectForId(principal, "aws", label);
          // `*` also admits the inventory's principals of every account whose own policies allow it.
          return principal === "*" ? [...holders.holdersOf(request).map((p) => ctx.subjectFor(p)), outsider] : [outsider];
        });
        const sameAccount = (p: Principal) => account === undefined || awsAccountOf(p.scopeId) === account;
        return uniqueSubjects(
          holders.holdersOf(request, account ? { account } : {}).map((p) => ctx.subjectFor(p)),
          namedSubjects,
          escalations.escalationHolders(request).filter((subject) => !subject.principal || sameAccount(subject.principal)),
        );
      },
    };
  },
  configuredEnvironments: (config) =>
    config.accounts.flatMap((account) => (account.environment === undefined ? [] : [[awsAccountScopeId(account.id), account.environment] as [string, string]])),
  doctorChecks: awsDoctorChecks,
  addDemoEstate: addAwsEstate,
  readActivityFiles: readCloudTrailFiles,
};
