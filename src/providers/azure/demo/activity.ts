/**
 * The Azure part of the demo's activity stream: service principal and managed identity sign-ins
 * (Entra, beta signIns) and Activity Log calls. Planted: the payments gateway signing in from an
 * address and country it never used, a spike of failed sign-ins against the legacy CRM app, and
 * the GitHub deploy principal writing a role assignment for the first time.
 */
import { DEMO_ANCHORS } from "../../../connectors/demo/anchors.js";
import { DEMO_ACTIVITY_DAYS, DemoActivity, type DemoEventFields } from "../../../connectors/demo/activity.js";
import type { DemoEstate } from "../../../connectors/demo/estate.js";
import type { ActivityOutcome, NetworkClass } from "../../../model/activity-log.js";
import { azureOperationCategory } from "../activity/actions.js";

const Z = DEMO_ANCHORS.azure;
const PLANTED = DEMO_ANCHORS.activity.azure;
const MSAL = "Microsoft.Identity.Client/4.59.0 (.NET 8.0)";
const SDK = "azsdk-net-ResourceManager/1.10.1 (.NET 8.0.2; Ubuntu 22.04)";
const EVERY_THIRD_HOUR = Array.from({ length: 8 }, (_, i) => i * 3);
const WORK_HOURS = [8, 10, 12, 14, 16];

function signIn(principalId: string, options: { address?: string; country?: string; network: NetworkClass; outcome?: ActivityOutcome; resource: string }): DemoEventFields {
  return {
    provider: "azure",
    scopeId: Z.tenant,
    principalId,
    kind: "sign_in",
    action: "servicePrincipalSignIn",
    resource: options.resource,
    network: options.network,
    outcome: options.outcome ?? "success",
    userAgent: MSAL,
    ...(options.address ? { sourceAddress: options.address } : {}),
    ...(options.country ? { country: options.country } : {}),
  };
}

function operation(principalId: string, name: string, scopeId: string, address: string): DemoEventFields {
  const category = azureOperationCategory(name);
  return { provider: "azure", scopeId, principalId, kind: "api_call", action: name, network: "outside", sourceAddress: address, outcome: "success", userAgent: SDK, ...(category ? { category } : {}) };
}

export function addAzureActivity(estate: DemoEstate): void {
  const activity = new DemoActivity(estate, 0xa2e_0003);
  const graph = "00000003-0000-0000-c000-000000000000";
  const vault = "https://vault.azure.net";

  // The payments gateway signs in every third hour from its app service's outbound addresses in the Netherlands.
  activity.recurring({ hours: EVERY_THIRD_HOUR }, () => [
    signIn(Z.paymentsGatewayServicePrincipal, { address: `20.50.2.${activity.int(10, 40)}`, country: "NL", network: "unknown", resource: vault }),
  ]);
  // Planted: from a new address in another country.
  activity.at(25, signIn(Z.paymentsGatewayServicePrincipal, { address: PLANTED.newSignInAddress, country: "BR", network: "unknown", resource: vault }));

  // The legacy CRM app signs in during work hours; a few failures a week are normal (an expired secret on one host).
  activity.recurring({ hours: WORK_HOURS, weekdays: [1, 2, 3, 4, 5] }, ({ day }) => [
    signIn(Z.legacyCrmServicePrincipal, { address: "20.61.7.12", country: "NL", network: "unknown", resource: graph, outcome: day % 9 === 0 ? "failure" : "success" }),
  ]);
  // Planted: sixty failed sign-ins in two hours (someone trying secrets).
  for (let i = 0; i < 60; i++) activity.at(150 - i * 2, signIn(Z.legacyCrmServicePrincipal, { address: PLANTED.failedSignInAddress, network: "unknown", resource: graph, outcome: "failure" }));

  // The managed identity of the payments API signs in from inside Azure every third hour.
  activity.recurring({ hours: EVERY_THIRD_HOUR }, () => [signIn(Z.paymentsApiManagedIdentity, { network: "inside", resource: vault })]);

  // The GitHub deploy principal deploys the web app; planted: it writes a role assignment.
  activity.recurring({ hours: WORK_HOURS }, () => [operation(Z.githubDeployServicePrincipal, "Microsoft.Web/sites/write", Z.paymentsResourceGroup, "52.234.10.5")]);
  activity.at(80, operation(Z.githubDeployServicePrincipal, "Microsoft.Authorization/roleAssignments/write", Z.paymentsResourceGroup, "52.234.10.5"));

  estate.activitySources.push(
    { provider: "azure", scopeId: Z.tenant, source: "graph:beta/auditLogs/signIns (service principal, managed identity)", from: estate.clock.daysAgo(DEMO_ACTIVITY_DAYS), to: estate.clock.iso(), complete: true },
    { provider: "azure", scopeId: Z.prodSubscription, source: "arm:Microsoft.Insights/eventtypes/management/values", from: estate.clock.daysAgo(DEMO_ACTIVITY_DAYS), to: estate.clock.iso(), complete: true },
  );
}
