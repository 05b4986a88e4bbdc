import type { Connector } from "../connector.js";
import { emptySnapshot } from "../../model/inventory.js";
import type { AzureProviderConfig } from "./config.js";

export interface AzureConnectorDeps {
  caller?: string;
}

export function createAzureConnector(_config: AzureProviderConfig, _deps: AzureConnectorDeps = {}): Connector {
  return { id: "azure", description: "Azure (not implemented yet)", collect: async (context) => emptySnapshot(context.now.toISOString()) };
}
