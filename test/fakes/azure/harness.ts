/** Shared plumbing for tests (and the benchmark) that drive the Azure connector against the fake. */
import { Agent } from "node:https";
import { createDefaultHttpClient, type HttpClient } from "@azure/core-rest-pipeline";
import { testTls } from "./tls.js";

export { collectWith, countsByApi, instantRetry, type Collected } from "../collect-harness.js";

/**
 * The transport every client uses in tests: the SDK's default Node HTTP client, with an agent
 * that trusts the test CA (NODE_EXTRA_CA_CERTS is only read at process start).
 */
export function trustingHttpClient(ca: string = testTls().ca): HttpClient {
  const agent = new Agent({ ca, keepAlive: true, maxSockets: 64 });
  const inner = createDefaultHttpClient();
  return {
    sendRequest(request) {
      request.agent = agent;
      return inner.sendRequest(request);
    },
  };
}

/** Connector config pointing every endpoint at the fake, authenticating with a real ClientSecretCredential. */
export function fakeConfig(
  urls: { loginUrl: string; armUrl: string; graphUrl: string; vaultUrl(name: string): string },
  tenant: { id: string; subscriptions: string[] },
  vaults: string[],
  clientId: string,
) {
  return {
    tenants: [{ id: tenant.id, subscriptions: tenant.subscriptions }],
    vaults: vaults.map((name) => ({ url: urls.vaultUrl(name) })),
    credential: { type: "clientSecret" as const, clientId, clientSecretEnv: "WIAM_TEST_AZURE_CLIENT_SECRET" },
    authorityHost: urls.loginUrl,
    disableInstanceDiscovery: true,
    endpoints: { resourceManager: urls.armUrl, graph: urls.graphUrl },
  };
}
