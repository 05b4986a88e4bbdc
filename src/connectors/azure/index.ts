export { azureProviderConfigSchema } from "./config.js";
export type { AzureProviderConfig, AzureProviderConfigInput } from "./config.js";
export { createAzureConnector } from "./azure-connector.js";
