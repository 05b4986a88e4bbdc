/** `wiam doctor` for Google Cloud: the identity the server itself uses, or an error when ADC yields none. */
import type { Connector } from "../../connectors/connector.js";
import { loadedConnector } from "../../connectors/lazy.js";
import { errorMessage } from "../../errors.js";
import type { DoctorCheck } from "../provider.js";
import type { GcpConnector } from "./connector.js";

export async function gcpDoctorChecks(connector: Connector): Promise<DoctorCheck[]> {
  const gcp = await loadedConnector<GcpConnector>(connector);
  try {
    return [{ level: "ok", check: "gcp identity", detail: `the server reaches Google Cloud with ${await gcp.checkIdentity()}` }];
  } catch (error) {
    return [{ level: "error", check: "gcp identity", detail: `no usable Google Cloud credentials: ${errorMessage(error)}` }];
  } finally {
    gcp.close();
  }
}
