/** Shared plumbing for tests that drive the Google Cloud connector against the wire-level fake. */
import { OAuth2Client } from "google-auth-library";
import type { CloudOperation, CollectContext } from "../../../src/connectors/connector.js";
import type { GcpProviderConfigInput } from "../../../src/connectors/gcp/config.js";
import type { InventorySnapshot } from "../../../src/model/inventory.js";
import { FAKE_ADC_TOKEN } from "./estate.js";

/** A real OAuth2 client holding a fake ADC token: the libraries attach it as a bearer token. */
export function fakeAdcCredentials(account = "wiam-operator@example.com") {
  const authClient = new OAuth2Client({ eagerRefreshThresholdMillis: 0 });
  authClient.setCredentials({ access_token: FAKE_ADC_TOKEN, expiry_date: Date.now() + 3_600_000, token_type: "Bearer" });
  return { authClient, account };
}

export function endpointsOf(url: string): NonNullable<GcpProviderConfigInput["endpoints"]> {
  return { resourceManager: url, iam: url, iamCredentials: url, policyAnalyzer: url };
}

/** Retries without waiting; delays are recorded so tests can check the backoff. */
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
  progress: string[];
}

export async function collectWith(connector: { collect(context: CollectContext): Promise<InventorySnapshot> }, taskId: string, now = new Date(), signal?: AbortSignal): Promise<Collected> {
  const operations: CloudOperation[] = [];
  const progress: string[] = [];
  const snapshot = await connector.collect({
    taskId,
    now,
    ...(signal ? { signal } : {}),
    recordOperation: (operation) => operations.push(operation),
    progress: (_done, _total, message) => progress.push(message),
  });
  return { snapshot, operations, progress };
}

export function countsByApi(operations: readonly CloudOperation[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const operation of operations) counts[operation.api] = (counts[operation.api] ?? 0) + operation.count;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}
