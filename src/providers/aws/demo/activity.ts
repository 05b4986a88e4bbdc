/**
 * The AWS part of the demo's activity stream (CloudTrail-shaped, already normalized): autoscaled
 * production workers inside AWS's ranges, a Lambda rotation job, CI runners calling from outside,
 * a vendor's monitoring from its own network, a schedule in local time that moves an hour at a
 * daylight-saving change, and one planted anomaly of every kind the detections look for.
 */
import { DEMO_ANCHORS } from "../../../connectors/demo/anchors.js";
import { DEMO_ACTIVITY_DAYS, DemoActivity, type DemoEventFields } from "../../../connectors/demo/activity.js";
import type { DemoEstate } from "../../../connectors/demo/estate.js";
import type { ActivityOutcome, NetworkClass } from "../../../model/activity-log.js";
import { awsActionCategory } from "../activity/actions.js";

const A = DEMO_ANCHORS.aws;
const PLANTED = DEMO_ANCHORS.activity.aws;
/** /16 blocks inside the shipped snapshot of AWS's EC2 ranges (src/providers/aws/activity/ranges-snapshot.ts). */
const EC2_BLOCKS = ["3.84", "3.91", "18.205", "34.200", "54.81", "54.146"];
/** CI runners of a hosted CI service: outside AWS, rotating across its own /16s. */
const RUNNER_BLOCKS = ["20.42", "20.57", "40.76", "52.234"];
const SDK = "aws-sdk-java/2.25.11 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.10";
const CLI = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22";
const BOTO = "Boto3/1.34.60 md/Botocore#1.34.60 ua/2.0 os/linux#5.10 lang/python#3.12.2";
const ALL_HOURS = Array.from({ length: 24 }, (_, hour) => hour);
// Every third hour: with the one-hour tolerance every UTC hour counts as used, so planted events
// never look unusual by their hour alone (whenever the demo is built).
const EVERY_THIRD_HOUR = ALL_HOURS.filter((hour) => hour % 3 === 0);
const WEEKDAYS = [1, 2, 3, 4, 5];

const account = (arn: string) => `aws:account/${arn.slice(13, 25)}`;

function call(
  principalId: string,
  action: string,
  options: { network: NetworkClass; address?: string; key?: string; resource?: string; agent?: string; outcome?: ActivityOutcome },
): DemoEventFields {
  const category = awsActionCategory(action);
  return {
    provider: "aws",
    scopeId: account(principalId),
    principalId,
    kind: "api_call",
    action,
    network: options.network,
    outcome: options.outcome ?? "success",
    ...(category ? { category } : {}),
    ...(options.key ? { credentialId: options.key } : {}),
    ...(options.resource ? { resource: options.resource } : {}),
    ...(options.address ? { sourceAddress: options.address } : {}),
    ...(options.agent ? { userAgent: options.agent } : {}),
  };
}

/** A role session's temporary key id (ASIA...), one per day per workload: sessions rotate. */
function sessionKey(seed: string, day: number): string {
  let hash = day * 7919;
  for (const char of seed) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `ASIAQ3${hash.toString(36).toUpperCase().padStart(7, "0").slice(0, 7)}EXAMPLE`;
}

export function addAwsActivity(estate: DemoEstate): void {
  const activity = new DemoActivity(estate, 0xa75_0001);
  const inside = () => activity.addressIn(EC2_BLOCKS);

  // Autoscaled production workers: every third hour, new session keys daily, addresses rotating in EC2's ranges.
  const workers = estate.principals.filter((p) => p.provider === "aws" && p.kind === "role" && /:role\/svc-/.test(p.id)).slice(0, 2);
  for (const worker of workers) {
    activity.recurring({ hours: EVERY_THIRD_HOUR }, ({ day }) => [
      call(worker.id, "sqs:ReceiveMessage", { network: "inside", address: inside(), key: sessionKey(worker.id, day), agent: SDK }),
    ]);
  }

  // The secrets reader runs in ECS: always inside AWS, reads the payments secret every third hour.
  activity.recurring({ hours: EVERY_THIRD_HOUR }, ({ day }) => [
    call(A.prodSecretsReaderRole, "secretsmanager:GetSecretValue", {
      network: "inside",
      address: inside(),
      key: sessionKey(A.prodSecretsReaderRole, day),
      resource: A.prodPaymentsSecret,
      agent: SDK,
    }),
  ]);
  // Planted: its session key, minutes after an inside call, used from outside AWS (GuardDuty's exfiltration case).
  const stolenKey = sessionKey(A.prodSecretsReaderRole, 0);
  activity.at(47, call(A.prodSecretsReaderRole, "sts:GetCallerIdentity", { network: "inside", address: "54.81.20.14", key: stolenKey, agent: SDK }));
  activity.at(43, call(A.prodSecretsReaderRole, "secretsmanager:GetSecretValue", { network: "outside", address: PLANTED.exfiltrationAddress, key: stolenKey, resource: A.prodPaymentsSecret, agent: CLI }));
  activity.at(42, call(A.prodSecretsReaderRole, "s3:ListBuckets", { network: "outside", address: PLANTED.exfiltrationAddress, key: stolenKey, agent: CLI }));

  // The rotation Lambda: daily at 03:10 UTC, inside AWS.
  activity.recurring({ hours: [3], minute: 10 }, ({ day }) => [
    call(A.scpBlockedSecretsRotationRole, "secretsmanager:DescribeSecret", { network: "inside", address: inside(), key: sessionKey("rotation", day), resource: A.prodPaymentsSecret, agent: BOTO }),
    call(A.scpBlockedSecretsRotationRole, "secretsmanager:PutSecretValue", { network: "inside", address: inside(), key: sessionKey("rotation", day), resource: A.prodPaymentsSecret, agent: BOTO }),
  ]);
  // Planted: the same role acting at an hour it never used.
  activity.at(activity.minutesAgoAtUtc(15, 20), call(A.scpBlockedSecretsRotationRole, "secretsmanager:ListSecrets", { network: "inside", address: inside(), key: sessionKey("rotation", 0), agent: BOTO }));

  // A report scheduled at 02:30 New York time: 07:30 UTC in winter, 06:30 UTC after the change (benign).
  const report = () => ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults"].map((action) => call(A.identityDenyRole, action, { network: "inside", address: inside(), agent: BOTO }));
  activity.recurring({ hours: [7], minute: 30, toDaysAgo: 9 }, report);
  activity.recurring({ hours: [6], minute: 30, fromDaysAgo: 8 }, report);

  // CI runners on weekdays from a hosted CI service's rotating addresses; they assume the production deploy role.
  activity.recurring({ hours: [9, 11, 13, 15, 17], weekdays: WEEKDAYS }, ({ day }) => [
    call(A.ciRunnerRole, "sts:AssumeRole", { network: "outside", address: activity.addressIn(RUNNER_BLOCKS), key: sessionKey("runner", day), resource: A.prodDeployRole, agent: CLI }),
    call(A.ciRunnerRole, "ecr:GetAuthorizationToken", { network: "outside", address: activity.addressIn(RUNNER_BLOCKS), key: sessionKey("runner", day), agent: CLI }),
  ]);
  // Planted: the runner assumes the break-glass role, which it never did.
  activity.at(95, call(A.ciRunnerRole, "sts:AssumeRole", { network: "outside", address: activity.addressIn(RUNNER_BLOCKS), key: sessionKey("runner", 0), resource: A.breakGlassRole, agent: CLI }));

  // The CI deployer user's long-lived key, used every third hour from the build server in the office.
  activity.recurring({ hours: EVERY_THIRD_HOUR }, () => [
    call(A.ciUser, "sts:AssumeRole", { network: "outside", address: PLANTED.officeAddress, key: A.ciUserAccessKey, resource: A.ciRunnerRole, agent: CLI }),
  ]);
  // Planted: the same key from a far network three minutes after the office used it.
  activity.at(33, call(A.ciUser, "sts:GetCallerIdentity", { network: "outside", address: PLANTED.officeAddress, key: A.ciUserAccessKey, agent: CLI }));
  activity.at(30, call(A.ciUser, "iam:ListRoles", { network: "outside", address: PLANTED.distantAddress, key: A.ciUserAccessKey, agent: BOTO }));

  // The ops automation user lists keys every third hour; planted: it creates one for the CI deployer.
  activity.recurring({ hours: EVERY_THIRD_HOUR }, () => [
    call(A.createAccessKeyUser, "iam:ListAccessKeys", { network: "inside", address: inside(), key: "AKIAQ3OPSAUTOEXAMPLE", resource: A.ciUser, agent: BOTO }),
  ]);
  activity.at(70, call(A.createAccessKeyUser, "iam:CreateAccessKey", { network: "inside", address: inside(), key: "AKIAQ3OPSAUTOEXAMPLE", resource: A.ciUser, agent: BOTO }));

  // The dev tools bot deploys Lambda code every third hour; planted: it probes many services and is denied.
  activity.recurring({ hours: EVERY_THIRD_HOUR }, () => [
    call(A.passRoleUser, "lambda:UpdateFunctionCode", { network: "outside", address: PLANTED.officeAddress, key: "AKIAQ3DEVTOOLEXAMPLE", agent: BOTO }),
  ]);
  const probes = ["iam:ListUsers", "iam:ListRoles", "s3:ListBuckets", "ec2:DescribeInstances", "secretsmanager:ListSecrets", "kms:ListKeys", "rds:DescribeDBInstances", "iam:GetAccountAuthorizationDetails"];
  probes.forEach((action, i) => {
    activity.at(160 - i * 2, call(A.passRoleUser, action, { network: "outside", address: PLANTED.officeAddress, key: "AKIAQ3DEVTOOLEXAMPLE", agent: BOTO, outcome: "denied" }));
    activity.at(159 - i * 2, call(A.passRoleUser, action, { network: "outside", address: PLANTED.officeAddress, key: "AKIAQ3DEVTOOLEXAMPLE", agent: BOTO, outcome: "denied" }));
  });

  // Planted: a role last used 200 days ago (RoleLastUsed) acts again.
  activity.at(120, call(A.roleUsed200DaysAgo, "s3:ListBuckets", { network: "inside", address: inside(), key: sessionKey("qa", 0), agent: CLI }));

  // The vendor's monitoring, every third hour from its own network (benign).
  activity.recurring({ hours: EVERY_THIRD_HOUR }, () => [
    call(A.vendorMonitoringRole, "cloudwatch:GetMetricData", { network: "outside", address: PLANTED.vendorAddress, agent: SDK }),
  ]);

  estate.activitySources.push({
    provider: "aws",
    source: "cloudtrail:s3 s3://acme-org-trail/AWSLogs/o-a1b2c3d4e5/",
    from: estate.clock.daysAgo(DEMO_ACTIVITY_DAYS),
    to: estate.clock.iso(),
    complete: true,
  });
}
