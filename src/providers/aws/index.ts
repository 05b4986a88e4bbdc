export { awsProviderConfigSchema, awsAccountConfigSchema } from "./config.js";
export type { AwsProviderConfig, AwsProviderConfigInput, AwsAccountConfig } from "./config.js";
export { createAwsConnector } from "./aws-connector.js";
export type { AwsConnector, AwsConnectorDeps, BreadthCheckOptions } from "./aws-connector.js";
export type { AwsSessionInfo } from "./sessions.js";
export type { CredentialBreadthReport, BreadthCheck } from "./breadth.js";
export { SENSITIVE_ACTIONS } from "./breadth.js";
export { SESSION_READ_ACTIONS } from "./commands.js";
