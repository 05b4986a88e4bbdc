export { gcpProviderConfigSchema } from "./config.js";
export type { GcpProviderConfig, GcpProviderConfigInput } from "./config.js";
export { createGcpConnector } from "./connector.js";
export type { GcpConnector, GcpConnectorDeps } from "./connector.js";
export type { GcpBaseCredentials, GcpSessionInfo } from "./sessions.js";
export { GCP_READ_APIS } from "./reads.js";
