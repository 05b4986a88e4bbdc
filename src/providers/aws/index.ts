export { awsProviderConfigSchema, awsAccountConfigSchema } from "./config.js";
export type { AwsProviderConfig, AwsProviderConfigInput, AwsAccountConfig } from "./config.js";
export { createAwsConnector } from "./connector.js";
export type { AwsConnector, AwsConnectorDeps, BreadthCheckOptions } from "./connector.js";
export type { AwsSessionInfo } from "./sessions.js";
export type { CredentialBreadthReport, BreadthCheck } from "./collect/breadth.js";
export { SENSITIVE_ACTIONS } from "./collect/breadth.js";
export { SESSION_READ_ACTIONS } from "./reads.js";
