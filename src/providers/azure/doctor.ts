/** `wiam doctor` for Azure: the connector is configured. */
import type { Connector } from "../../connectors/connector.js";
import type { DoctorCheck } from "../provider.js";

export function azureDoctorChecks(connector: Connector): Promise<DoctorCheck[]> {
  return Promise.resolve([{ level: "ok", check: `provider ${connector.id}`, detail: connector.description }]);
}
