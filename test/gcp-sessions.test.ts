/** Per-task impersonated tokens: minted with a lifetime of minutes, named in the audit text, dropped at task end. */
import { afterEach, describe, expect, test } from "vitest";
import { GcpCallRunner } from "../src/providers/gcp/calls.js";
import { resolveEndpoints } from "../src/providers/gcp/clients.js";
import { createGcpConnector } from "../src/providers/gcp/index.js";
import { GcpSessionManager } from "../src/providers/gcp/sessions.js";
import { FAKE_ADC_TOKEN } from "./fakes/gcp/estate.js";
import { collectWith, endpointsOf, fakeAdcCredentials, instantRetry } from "./fakes/gcp/harness.js";
import { FakeGcpServer } from "./fakes/gcp/server.js";
import { smallEstate } from "./fakes/gcp/small-estate.js";

const READER = "wiam-reader@ops-tools-01.iam.gserviceaccount.com";
const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const item of open.splice(0)) await item.close();
});

async function setup(config: Record<string, unknown>, clock?: { now: Date }) {
  const fake = await FakeGcpServer.start(smallEstate(new Date()));
  const now = () => clock?.now ?? new Date();
  const connector = createGcpConnector(
    { projects: ["ci-tools-01"], cacheTtlSeconds: 0, endpoints: endpointsOf(fake.url), ...config },
    { credentials: fakeAdcCredentials("operator@example.com"), retry: instantRetry(), now },
  );
  open.push(fake, connector);
  return { fake, connector };
}

describe("per-task impersonation", () => {
  test("each task mints its own token of the read-only account with the configured lifetime and the read-only scope", async () => {
    const { fake, connector } = await setup({ impersonateServiceAccount: READER, tokenLifetimeSeconds: 600 });
    const { operations, snapshot } = await collectWith(connector, "task-a");
    expect(snapshot.gaps).toEqual([]);
    expect(fake.tokenCalls.map(({ serviceAccount, lifetime, scope }) => ({ serviceAccount, lifetime, scope }))).toEqual([
      { serviceAccount: READER, lifetime: "600s", scope: ["https://www.googleapis.com/auth/cloud-platform.read-only", "https://www.googleapis.com/auth/cloud-identity.groups.readonly"] },
    ]);
    const issued = fake.tokenCalls[0]?.issuedToken;
    const reads = fake.requests.filter((r) => r.api !== "iamcredentials.generateAccessToken");
    expect(reads.length).toBeGreaterThan(10);
    expect(new Set(reads.map((r) => r.token))).toEqual(new Set([issued]));
    expect(fake.requests.find((r) => r.api === "iamcredentials.generateAccessToken")?.token).toBe(FAKE_ADC_TOKEN);
    expect(operations.find((o) => o.api === "iamcredentials:generateAccessToken")?.count).toBe(1);

    // The same task reuses its token; another task gets its own.
    await collectWith(connector, "task-a");
    expect(fake.tokenCalls).toHaveLength(1);
    await collectWith(connector, "task-b");
    expect(fake.tokenCalls).toHaveLength(2);
    expect(fake.tokenCalls[1]?.issuedToken).not.toBe(issued);
  });

  test("describeCredentialScope names the impersonated account and never a token; endTask drops it", async () => {
    const { fake, connector } = await setup({ impersonateServiceAccount: READER });
    expect(connector.describeCredentialScope("task-a")).toBe(`gcp task task-a: impersonating ${READER}, no token held by this task`);
    await collectWith(connector, "task-a");
    const described = connector.describeCredentialScope("task-a");
    const info = connector.sessionFor("task-a");
    expect(info?.serviceAccount).toBe(READER);
    expect(described).toBe(`gcp task task-a: impersonating ${READER} from application default credentials as operator@example.com, token lifetime 600 s, expires ${info?.expiresAt}`);
    for (const call of fake.tokenCalls) expect(described).not.toContain(call.issuedToken);
    connector.endTask("task-a");
    expect(connector.sessionFor("task-a")).toBeUndefined();
    expect(connector.describeCredentialScope("task-a")).toBe(`gcp task task-a: impersonating ${READER} from application default credentials as operator@example.com, no token held by this task`);
    await collectWith(connector, "task-a");
    expect(fake.tokenCalls).toHaveLength(2);
  });

  test("a token about to expire is replaced before the task's next collection", async () => {
    const clock = { now: new Date() };
    const { fake, connector } = await setup({ impersonateServiceAccount: READER, tokenLifetimeSeconds: 300 }, clock);
    await collectWith(connector, "task-a");
    clock.now = new Date(clock.now.getTime() + 250_000);
    await collectWith(connector, "task-a");
    expect(fake.tokenCalls).toHaveLength(2);
  });

  test("without impersonation the audit text names the ADC account", async () => {
    const { fake, connector } = await setup({});
    await collectWith(connector, "task-a");
    expect(fake.tokenCalls).toEqual([]);
    expect(connector.describeCredentialScope("task-a")).toBe("gcp task task-a: application default credentials as operator@example.com");
  });

  test("impersonation that is refused leaves an empty snapshot with a gap, not an exception", async () => {
    const { fake, connector } = await setup({ impersonateServiceAccount: READER });
    fake.faults = [{ api: "iamcredentials.generateAccessToken", kind: "error", status: 403, statusName: "PERMISSION_DENIED", message: "Permission 'iam.serviceAccounts.getAccessToken' denied (FAKE)" }];
    const { snapshot } = await collectWith(connector, "task-a");
    expect(snapshot.principals).toEqual([]);
    expect(snapshot.gaps?.map((g) => g.source)).toEqual(["iamcredentials:generateAccessToken"]);
    expect(snapshot.gaps?.[0]?.reason).toContain("nothing collected: no credentials");
  });

  test("a task that ends while its token is being minted keeps no token, and the token is never used", async () => {
    const { fake, connector } = await setup({ impersonateServiceAccount: READER });
    fake.faults = [{ api: "iamcredentials.generateAccessToken", kind: "delay", delayMs: 150, times: 1 }];
    const running = collectWith(connector, "task-a");
    await until(() => fake.requests.some((r) => r.api === "iamcredentials.generateAccessToken"));
    connector.endTask("task-a");
    const { snapshot } = await running;
    const issued = fake.tokenCalls[0]?.issuedToken;
    expect(issued).toBeDefined();
    expect(connector.sessionFor("task-a")).toBeUndefined();
    expect(connector.describeCredentialScope("task-a")).toBe(`gcp task task-a: impersonating ${READER} from application default credentials as operator@example.com, no token held by this task`);
    // The dropped token was cleared before any read could carry it.
    expect(fake.requests.filter((r) => r.token === issued)).toEqual([]);
    expect(snapshot.principals).toEqual([]);
    // The task id can start again and gets a fresh token.
    await collectWith(connector, "task-a");
    expect(fake.tokenCalls).toHaveLength(2);
    expect(connector.sessionFor("task-a")?.serviceAccount).toBe(READER);
  });

  test("a replaced token is cleared and its clients closed; the task holds only the new one", async () => {
    const fake = await FakeGcpServer.start(smallEstate(new Date()));
    open.push(fake);
    const clock = { now: new Date() };
    const manager = new GcpSessionManager({
      endpoints: resolveEndpoints(endpointsOf(fake.url)),
      impersonate: READER,
      lifetimeSeconds: 300,
      now: () => clock.now,
      base: fakeAdcCredentials("operator@example.com"),
    });
    open.push({ close: () => manager.endAll() });
    const runner = new GcpCallRunner({ maxAttempts: 1, callTimeoutMs: 5_000, maxConcurrency: 4, timing: instantRetry() });
    const first = await manager.session("task-a", runner);
    expect(first.clients.authClient.credentials.access_token).toBe(fake.tokenCalls[0]?.issuedToken);
    clock.now = new Date(clock.now.getTime() + 250_000);
    const second = await manager.session("task-a", runner);
    expect(fake.tokenCalls).toHaveLength(2);
    expect(first.clients.authClient.credentials).toEqual({});
    expect(second.clients.authClient.credentials.access_token).toBe(fake.tokenCalls[1]?.issuedToken);
    expect(manager.sessionInfo("task-a")).toEqual(second.info);
    manager.endTask("task-a");
    expect(second.clients.authClient.credentials).toEqual({});
    expect(manager.sessionInfo("task-a")).toBeUndefined();
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}
