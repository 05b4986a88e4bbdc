/**
 * The Google Cloud part of the demo's activity stream (Cloud Audit Logs, normalized): workloads
 * calling from inside Google's network, CI builds from outside that impersonate the Terraform
 * account, and the planted anomalies: a first impersonation of the production deployer, which
 * then reads a production secret through the CI account for the first time.
 */
import { DEMO_ANCHORS } from "../../../connectors/demo/anchors.js";
import { DEMO_ACTIVITY_DAYS, DemoActivity, type DemoEventFields } from "../../../connectors/demo/activity.js";
import type { DemoEstate } from "../../../connectors/demo/estate.js";
import type { NetworkClass } from "../../../model/activity-log.js";
import { gcpMethodCategory } from "../activity/actions.js";

const G = DEMO_ANCHORS.gcp;
const PLANTED = DEMO_ANCHORS.activity.gcp;
const GOOGLE_BLOCKS = ["34.66", "35.188", "35.226"];
const CLIENT = "google-api-go-client/0.5 gl-go/1.22.1 gccl/1.38.0";
const GCLOUD = "google-cloud-sdk gcloud/465.0.0 command/gcloud.secrets.versions.access";
const EVERY_THIRD_HOUR = Array.from({ length: 8 }, (_, i) => i * 3);

const projectOf = (member: string) => `projects/${member.slice(member.indexOf("@") + 1, member.indexOf(".iam.gserviceaccount.com"))}`;
const resourceOf = (member: string) => `${projectOf(member)}/serviceAccounts/${member.slice("serviceAccount:".length)}`;

function call(principalId: string, method: string, options: { network: NetworkClass; address?: string; resource?: string; via?: string; agent?: string }): DemoEventFields {
  const category = gcpMethodCategory(method);
  return {
    provider: "gcp",
    scopeId: projectOf(principalId),
    principalId,
    kind: "api_call",
    action: method,
    network: options.network,
    outcome: "success",
    ...(category ? { category } : {}),
    ...(options.resource ? { resource: options.resource } : {}),
    ...(options.via ? { via: options.via } : {}),
    ...(options.address ? { sourceAddress: options.address } : {}),
    ...(options.agent ? { userAgent: options.agent } : {}),
  };
}

export function addGcpActivity(estate: DemoEstate): void {
  const activity = new DemoActivity(estate, 0x6c9_0002);
  const inside = () => activity.addressIn(GOOGLE_BLOCKS);

  // The payments API runs on GKE: every third hour it reads its own secret, from inside Google.
  activity.recurring({ hours: EVERY_THIRD_HOUR }, () => [
    call(G.resourceConditionServiceAccount, "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion", {
      network: "inside",
      address: inside(),
      resource: `${G.prodSecret}/versions/latest`,
      agent: CLIENT,
    }),
  ]);

  // CI builds from the office build farm impersonate the Terraform account and plan.
  const terraform = "serviceAccount:terraform@acme-ci-builds.iam.gserviceaccount.com";
  activity.recurring({ hours: EVERY_THIRD_HOUR }, () => [
    call(G.ciServiceAccount, "GenerateAccessToken", { network: "outside", address: PLANTED.runnerAddress, resource: resourceOf(terraform), agent: CLIENT }),
    call(terraform, "google.cloud.resourcemanager.v3.Projects.GetIamPolicy", { network: "outside", address: PLANTED.runnerAddress, via: G.ciServiceAccount, agent: CLIENT }),
  ]);
  // The production deployer deploys every third hour from Cloud Build (inside Google).
  activity.recurring({ hours: EVERY_THIRD_HOUR }, () => [
    call(G.prodDeployerServiceAccount, "google.cloud.run.v2.Services.UpdateService", { network: "inside", address: inside(), agent: CLIENT }),
  ]);

  // Planted: CI impersonates the production deployer for the first time, and through it reads a production secret.
  activity.at(55, call(G.ciServiceAccount, "GenerateAccessToken", { network: "outside", address: PLANTED.runnerAddress, resource: G.prodDeployerResource, agent: CLIENT }));
  activity.at(54, call(G.prodDeployerServiceAccount, "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion", {
    network: "outside",
    address: PLANTED.runnerAddress,
    resource: `${G.prodSecret}/versions/latest`,
    via: G.ciServiceAccount,
    agent: GCLOUD,
  }));

  estate.activitySources.push(
    { provider: "gcp", scopeId: G.prodDataProject, source: "logging:entries.list cloudaudit.googleapis.com/activity + data_access", from: estate.clock.daysAgo(DEMO_ACTIVITY_DAYS), to: estate.clock.iso(), complete: true },
    { provider: "gcp", scopeId: G.ciProject, source: "logging:entries.list cloudaudit.googleapis.com/activity", from: estate.clock.daysAgo(DEMO_ACTIVITY_DAYS), to: estate.clock.iso(), complete: false, note: "Data Access audit logs are not enabled in this project: reads (secret accesses) are not logged" },
  );
}
