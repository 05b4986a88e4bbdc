/** Shared plumbing for tests (and the benchmark) that drive the Azure connector against the fake. */
import { Agent } from "node:https";
import { createDefaultHttpClient, type HttpClient } from "@azure/core-rest-pipeline";
import type { CloudOperation, CollectContext } from "../../../src/connectors/connector.js";
import type { InventorySnapshot } from "../../../src/model/inventory.js";
import { testTls } from "./tls.js";

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

/** Retries without waiting; delays are recorded so tests can check the backoff and Retry-After. */
export function instantRetry(delays: number[] = []) {
  return {
    baseDelayMs: 100,
    maxDelayMs: 2000,
    random: () => 0.5,
    sleep: async (ms: number) => {
      delays.push(ms);
    },
  };
}

export interface Collected {
  snapshot: InventorySnapshot;
  operations: CloudOperation[];
  progress: Array<{ done: number; total: number | undefined; message: string }>;
}

export async function collectWith(connector: { collect(context: CollectContext): Promise<InventorySnapshot> }, taskId: string, signal?: AbortSignal): Promise<Collected> {
  const operations: CloudOperation[] = [];
  const progress: Collected["progress"] = [];
  const snapshot = await connector.collect({
    taskId,
    now: new Date(),
    ...(signal ? { signal } : {}),
    recordOperation: (operation) => operations.push(operation),
    progress: (done, total, message) => progress.push({ done, total, message }),
  });
  return { snapshot, operations, progress };
}

/** `{ api: count }` summed over scopes, for compact assertions. */
export function countsByApi(operations: readonly CloudOperation[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const operation of operations) counts[operation.api] = (counts[operation.api] ?? 0) + operation.count;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
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
