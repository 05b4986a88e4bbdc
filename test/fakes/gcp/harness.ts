/** Shared plumbing for tests that drive the Google Cloud connector against the wire-level fake. */
import { OAuth2Client } from "google-auth-library";
import type { CollectContext } from "../../../src/connectors/connector.js";
import type { GcpProviderConfigInput } from "../../../src/connectors/gcp/config.js";
import type { InventorySnapshot } from "../../../src/model/inventory.js";
import { collectWith as collectAt, type Collected } from "../collect-harness.js";
import { FAKE_ADC_TOKEN } from "./estate.js";

export { countsByApi, instantRetry, type Collected } from "../collect-harness.js";

/** A real OAuth2 client holding a fake ADC token: the libraries attach it as a bearer token. */
export function fakeAdcCredentials(account = "wiam-operator@example.com") {
  const authClient = new OAuth2Client({ eagerRefreshThresholdMillis: 0 });
  authClient.setCredentials({ access_token: FAKE_ADC_TOKEN, expiry_date: Date.now() + 3_600_000, token_type: "Bearer" });
  return { authClient, account };
}

export function endpointsOf(url: string): NonNullable<GcpProviderConfigInput["endpoints"]> {
  return { resourceManager: url, iam: url, iamCredentials: url, policyAnalyzer: url };
}

/** collectWith with the clock as a positional argument, as the Google Cloud tests use it. */
export function collectWith(connector: { collect(context: CollectContext): Promise<InventorySnapshot> }, taskId: string, now?: Date, signal?: AbortSignal): Promise<Collected> {
  return collectAt(connector, taskId, { now, signal });
}
