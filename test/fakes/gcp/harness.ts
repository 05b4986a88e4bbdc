/** Shared plumbing for tests that drive the Google Cloud connector against the wire-level fake. */
import { OAuth2Client } from "google-auth-library";
import type { CollectContext } from "../../../src/connectors/connector.js";
import type { GcpProviderConfigInput } from "../../../src/providers/gcp/config.js";
import type { InventorySnapshot } from "../../../src/model/inventory.js";
import { collectWith as collectAt, instantRetry, type Collected } from "../collect-harness.js";
import { createGcpConnector } from "../../../src/providers/gcp/index.js";
import { Inventory } from "../../../src/model/inventory-index.js";
import { FAKE_ADC_TOKEN, type FakeGcpEstate } from "./estate.js";
import { FakeGcpServer, type FakeGcpFault } from "./server.js";

export { countsByApi, instantRetry, type Collected } from "../collect-harness.js";

/** A real OAuth2 client holding a fake ADC token: the libraries attach it as a bearer token. */
export function fakeAdcCredentials(account = "wiam-operator@example.com") {
  const authClient = new OAuth2Client({ eagerRefreshThresholdMillis: 0 });
  authClient.setCredentials({ access_token: FAKE_ADC_TOKEN, expiry_date: Date.now() + 3_600_000, token_type: "Bearer" });
  return { authClient, account };
}

export function endpointsOf(url: string): NonNullable<GcpProviderConfigInput["endpoints"]> {
  return { resourceManager: url, iam: url, iamCredentials: url, policyAnalyzer: url, logging: url, secretManager: url, kms: url, storage: url, cloudIdentity: url };
}

/** collectWith with the clock as a positional argument, as the Google Cloud tests use it. */
export function collectWith(connector: { collect(context: CollectContext): Promise<InventorySnapshot> }, taskId: string, now?: Date, signal?: AbortSignal): Promise<Collected> {
  return collectAt(connector, taskId, { now, signal });
}

/** A fake serving `estate` (with `faults`), and the inventory the real connector collected from it. */
export async function collectedInventory(estate: FakeGcpEstate, now: Date, faults: FakeGcpFault[] = []): Promise<{ fake: FakeGcpServer; inventory: Inventory }> {
  const fake = await FakeGcpServer.start(estate);
  fake.faults = faults;
  const connector = createGcpConnector({ organization: "111111111111", endpoints: endpointsOf(fake.url) }, { credentials: fakeAdcCredentials(), retry: instantRetry(), now: () => now });
  const { snapshot } = await collectWith(connector, "t", now);
  connector.close();
  return { fake, inventory: new Inventory(snapshot) };
}

/** Activity Analyzer refusing one project: its answers must not turn entitlement paths unknown. */
export function activityDisabledIn(project: string): FakeGcpFault[] {
  return [{ api: "*", pathIncludes: `${project}/locations/global/activityTypes`, kind: "error", status: 403, statusName: "PERMISSION_DENIED", message: "Policy Analyzer API disabled (FAKE)" }];
}
