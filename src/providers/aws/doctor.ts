/**
 * `wiam doctor` for AWS: the identity the server itself uses (no analyst credentials needed: web
 * identity, instance or task role, or any SDK source), an error when there is none, whether
 * it or the read roles are broader than read-only, and whether the trail's log files can be read.
 */
import type { Connector } from "../../connectors/connector.js";
import { loadedConnector } from "../../connectors/lazy.js";
import type { DoctorCheck } from "../provider.js";
import type { AwsConnector } from "./connector.js";

export async function awsDoctorChecks(connector: Connector): Promise<DoctorCheck[]> {
  const aws = await loadedConnector<AwsConnector>(connector);
  const checks: DoctorCheck[] = [];
  try {
    const report = await aws.checkCredentialBreadth();
    if (report.identity !== undefined) checks.push({ level: "ok", check: "aws identity", detail: `the server reaches AWS as ${report.identity}` });
    for (const warning of report.warnings) checks.push({ level: "warning", check: "aws credential breadth", detail: warning });
    for (const error of report.errors) checks.push({ level: "error", check: "aws credential breadth", detail: error });
    if (report.warnings.length + report.errors.length === 0) {
      checks.push({ level: "ok", check: "aws credential breadth", detail: `${report.checks.length} identities allow no sensitive action` });
    }
    checks.push(...trailChecks(await aws.checkTrailLogs()));
  } finally {
    aws.close();
  }
  return checks;
}

/** The trail's log files, read as collection reads them: a KMS-encrypted trail the reader may not decrypt is named as such. */
function trailChecks(result: Awaited<ReturnType<AwsConnector["checkTrailLogs"]>>): DoctorCheck[] {
  if (result === undefined) return [];
  const { location, probe } = result;
  if (probe.readable) return [{ level: "ok", check: "aws trail logs", detail: `log files under ${location} can be read` }];
  if (probe.kmsDenied) {
    return [
      {
        level: "error",
        check: "aws trail logs",
        detail: `the trail's log files under ${location} are encrypted with KMS (SSE-KMS) and the reader may not decrypt them: grant kms:Decrypt on the trail's key through S3 (kms:ViaService s3.<region>.amazonaws.com) in the reader role and the key policy, and set activity.trail.kmsKeyArn (${probe.detail})`,
      },
    ];
  }
  return [{ level: "warning", check: "aws trail logs", detail: `the trail's log files cannot be checked: ${probe.detail}` }];
}
