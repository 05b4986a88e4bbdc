export { azureProviderConfigSchema } from "./config.js";
export type { AzureProviderConfig, AzureProviderConfigInput } from "./config.js";
export { createAzureConnector, type AzureConnector, type AzureConnectorDeps } from "./connector.js";
