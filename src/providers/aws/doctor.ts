/**
 * `wiam doctor` for AWS: the identity the server itself uses (no analyst credentials needed: web
 * identity, instance or task role, or any SDK source), an error when there is none, and whether
 * it or the read roles are broader than read-only.
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
  } finally {
    aws.close();
  }
  return checks;
}
