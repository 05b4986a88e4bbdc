export { gcpProviderConfigSchema } from "./config.js";
export type { GcpProviderConfig, GcpProviderConfigInput } from "./config.js";
export { createGcpConnector } from "./gcp-connector.js";
