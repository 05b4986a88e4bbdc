/**
 * Cloud Audit Logs of service accounts (#18) through Logging entries.list against the wire-level
 * fake with the real auth client: Admin Activity and Data Access filtered to service-account
 * callers and the window, paged newest first, paced under the read quota, metadata only (the
 * impersonation chain's first hop, caller network, status), and partial coverage named when the
 * page budget runs out. The read guard lets entries.list (a POST) through and nothing else new.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createGcpConnector } from "../src/providers/gcp/index.js";
import { resolveEndpoints } from "../src/providers/gcp/clients.js";
import { writeRefusal } from "../src/providers/gcp/read-guard.js";
import { inventorySnapshotSchema } from "../src/model/inventory.js";
import { FakeGcpServer } from "./fakes/gcp/server.js";
import { collectWith, endpointsOf, fakeAdcCredentials } from "./fakes/gcp/harness.js";
import { CI, DEPLOYER, smallEstate } from "./fakes/gcp/small-estate.js";

const NOW = new Date("2026-03-10T12:00:00.000Z");
const CI_BUILDER = "builder@ci-tools-01.iam.gserviceaccount.com";
const FAKE_PAYLOAD_SECRET = "FAKE-db-password-EXAMPLE";

function entry(insertId: string, minutesAgo: number, email: string, method: string, extra: Record<string, unknown> = {}) {
  return {
    insertId,
    timestamp: new Date(NOW.getTime() - minutesAgo * 60_000).toISOString(),
    logName: "projects/prod-data-01/logs/cloudaudit.googleapis.com%2Factivity",
    resource: { type: "audited_resource", labels: { project_id: "prod-data-01" } },
    protoPayload: {
      "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
      methodName: method,
      resourceName: "projects/prod-data-01/secrets/payments-db-password/versions/latest",
      authenticationInfo: { principalEmail: email },
      requestMetadata: { callerIp: "35.188.10.20", callerSuppliedUserAgent: "google-api-go-client/0.5" },
      status: {},
      response: { payload: { data: FAKE_PAYLOAD_SECRET } },
      ...extra,
    },
  };
}

let fake: FakeGcpServer;
beforeAll(async () => {
  const estate = smallEstate(NOW);
  const prod = estate.projects.find((project) => `projects/${project.projectId}` === "projects/prod-data-01");
  if (!prod) throw new Error("small estate changed: prod-data-01 expected");
  prod.auditLog = [
    { log: "activity", entry: entry("a-1", 50, DEPLOYER, "google.cloud.run.v2.Services.UpdateService", { requestMetadata: { callerIp: "private" } }) },
    {
      log: "data_access",
      entry: entry("a-2", 40, DEPLOYER, "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion", {
        authenticationInfo: { principalEmail: DEPLOYER, serviceAccountDelegationInfo: [{ firstPartyPrincipal: { principalEmail: CI_BUILDER } }] },
        requestMetadata: { callerIp: "198.51.100.40", callerSuppliedUserAgent: "google-cloud-sdk gcloud/465.0.0" },
      }),
    },
    { log: "activity", entry: entry("a-3", 30, DEPLOYER, "google.iam.admin.v1.CreateServiceAccountKey", { status: { code: 7, message: "Permission denied" } }) },
    { log: "activity", entry: entry("u-1", 20, "alice@example.com", "google.cloud.run.v2.Services.UpdateService") },
    { log: "activity", entry: entry("a-old", 60 * 24 * 3, DEPLOYER, "google.cloud.run.v2.Services.UpdateService") },
  ];
  fake = await FakeGcpServer.start(estate, { now: () => NOW });
});
afterAll(async () => fake.close());

function connector(auditLogs: Record<string, unknown>, sleeps: number[] = []) {
  return createGcpConnector(
    { projects: [CI.slice("projects/".length), "prod-data-01"], endpoints: endpointsOf(fake.url), auditLogs },
    { credentials: fakeAdcCredentials(), now: () => NOW, retry: { baseDelayMs: 100, maxDelayMs: 2000, random: () => 0.5, sleep: async (ms: number) => void sleeps.push(ms) } },
  );
}

describe("Cloud Audit Logs", () => {
  test("service-account entries of the window, newest first across pages, paced, metadata only", async () => {
    const sleeps: number[] = [];
    const { snapshot } = await collectWith(connector({ hours: 24 }, sleeps), "audit", NOW);
    expect(() => inventorySnapshotSchema.parse(snapshot)).not.toThrow();
    const log = snapshot.activityLog;
    expect(log?.events.map((e) => [e.id, e.principalId, e.action, e.category ?? null, e.network, e.via ?? null, e.outcome])).toEqual([
      ["a-3", `serviceAccount:${DEPLOYER}`, "google.iam.admin.v1.CreateServiceAccountKey", "credential_creation", "inside", null, "denied"],
      ["a-2", `serviceAccount:${DEPLOYER}`, "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion", "secret_read", "outside", `serviceAccount:${CI_BUILDER}`, "success"],
      ["a-1", `serviceAccount:${DEPLOYER}`, "google.cloud.run.v2.Services.UpdateService", null, "inside", null, "success"],
    ]);
    expect(JSON.stringify(log)).not.toContain(FAKE_PAYLOAD_SECRET);
    expect(log?.sources.map((s) => [s.scopeId, s.complete])).toEqual([
      [CI, true],
      ["projects/prod-data-01", true],
    ]);
    // Three requests (one empty project, two pages of prod): paced at 50 a minute after the first.
    expect(sleeps).toEqual([1200, 1200]);
    expect(fake.requests.filter((r) => r.api === "logging.entries.list").map((r) => r.method)).toEqual(["POST", "POST", "POST"]);
  });

  test("Admin Activity only when Data Access is not asked for; a page budget used up is partial coverage", async () => {
    const adminOnly = await collectWith(connector({ hours: 24, dataAccess: false }), "admin-only", NOW);
    expect(adminOnly.snapshot.activityLog?.events.map((e) => e.id)).toEqual(["a-3", "a-1"]);
    expect(adminOnly.snapshot.activityLog?.sources[1]).toMatchObject({ source: "logging:entries.list cloudaudit.googleapis.com/activity", complete: true });
    const { snapshot } = await collectWith(connector({ hours: 24, maxPages: 1 }), "budget", NOW);
    expect(snapshot.activityLog?.events.map((e) => e.id)).toEqual(["a-3", "a-2"]);
    expect(snapshot.activityLog?.sources[1]).toMatchObject({
      scopeId: "projects/prod-data-01",
      source: "logging:entries.list cloudaudit.googleapis.com/activity + data_access",
      complete: false,
      note: "read 1 page(s) of up to 1000 entries: older entries of the window were not read (auditLogs.maxPages)",
    });
  });

  test("the read guard lets Logging's entries.list through, and no other Logging POST", () => {
    const rules = { endpoints: resolveEndpoints({ logging: "https://logging.example.test" }), reader: undefined };
    expect(writeRefusal("POST", new URL("https://logging.example.test/v2/entries:list"), rules)).toBeUndefined();
    expect(writeRefusal("POST", new URL("https://logging.example.test/v2/entries:write"), rules)).toBe(
      "refused POST https://logging.example.test/v2/entries:write: the Google Cloud connector is read-only",
    );
  });
});
