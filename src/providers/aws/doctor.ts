/** `wiam doctor` for AWS: the identity the server uses, and whether it is broader than read-only. */
import type { Connector } from "../../connectors/connector.js";
import type { LazyConnector } from "../../connectors/lazy.js";
import type { DoctorCheck } from "../provider.js";
import type { AwsConnector } from "./connector.js";

export async function awsDoctorChecks(connector: Connector): Promise<DoctorCheck[]> {
  const aws = await (connector as LazyConnector<AwsConnector>).load();
  const checks: DoctorCheck[] = [];
  try {
    const report = await aws.checkCredentialBreadth();
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
