/** `wiam doctor` for Azure: the identity the server itself uses per tenant, or an error when there is none. */
import type { Connector } from "../../connectors/connector.js";
import { loadedConnector } from "../../connectors/lazy.js";
import { errorMessage } from "../../errors.js";
import type { DoctorCheck } from "../provider.js";
import type { AzureConnector } from "./connector.js";

export async function azureDoctorChecks(connector: Connector): Promise<DoctorCheck[]> {
  const azure = await loadedConnector<AzureConnector>(connector);
  try {
    const lines = await azure.checkIdentity();
    return lines.map((line) => ({ level: "ok" as const, check: "azure identity", detail: `the server reaches Azure as ${line}` }));
  } catch (error) {
    return [{ level: "error", check: "azure identity", detail: `no usable Azure credentials: ${errorMessage(error)}` }];
  } finally {
    azure.close();
  }
}
