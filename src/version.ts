/** Product identity reported in the MCP handshake, audit exports and `wiam --version`. */
export const PRODUCT_NAME = "workload-iam-mcp";
export const PRODUCT_VERSION = "0.1.0";
