/**
 * `wiam doctor` for Google Cloud: the identity the server itself uses (an error when ADC yields
 * none), and whether Google groups can be read: without that, every binding to a group stays
 * unresolved and the paths through it are answered unknown.
 */
import type { Connector } from "../../connectors/connector.js";
import { loadedConnector } from "../../connectors/lazy.js";
import { errorMessage } from "../../errors.js";
import type { DoctorCheck } from "../provider.js";
import type { GcpConnector } from "./connector.js";

export async function gcpDoctorChecks(connector: Connector): Promise<DoctorCheck[]> {
  const gcp = await loadedConnector<GcpConnector>(connector);
  try {
    let identity: string;
    try {
      identity = await gcp.checkIdentity();
    } catch (error) {
      return [{ level: "error", check: "gcp identity", detail: `no usable Google Cloud credentials: ${errorMessage(error)}` }];
    }
    const checks: DoctorCheck[] = [{ level: "ok", check: "gcp identity", detail: `the server reaches Google Cloud with ${identity}` }];
    const groups = await gcp.checkGroups();
    if (groups?.readable) {
      checks.push({ level: "ok", check: "gcp groups", detail: `Google groups of directory customer ${groups.customer} can be read: bindings to groups resolve to their members` });
    } else if (groups) {
      checks.push({
        level: "warning",
        check: "gcp groups",
        detail:
          `Google groups cannot be read (${groups.reason}): bindings to groups stay unresolved, so reverse answers name those groups as unknown ` +
          "and forward answers mark every path through them unknown. Assign the reader account the Groups Reader admin role " +
          "(its tokens already ask for the cloud-identity.groups.readonly scope), or set collect.groups: false to stop asking.",
      });
    }
    return checks;
  } finally {
    gcp.close();
  }
}
