import type { Connector } from "../connector.js";
import { emptySnapshot } from "../../model/inventory.js";
import type { GcpProviderConfig } from "./config.js";

export interface GcpConnectorDeps {
  caller?: string;
}

export function createGcpConnector(_config: GcpProviderConfig, _deps: GcpConnectorDeps = {}): Connector {
  return { id: "gcp", description: "Gcp (not implemented yet)", collect: async (context) => emptySnapshot(context.now.toISOString()) };
}
