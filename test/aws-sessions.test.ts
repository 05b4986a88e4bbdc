/**
 * Per-task STS sessions, multi-account collection, the default credential chain and endpoint
 * environment variables, and the per-account cache, all against the wire-level fake.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createAwsConnector, SESSION_READ_ACTIONS, type AwsConnector, type AwsConnectorDeps } from "../src/providers/aws/index.js";
import { FAKE_BASE_ACCESS_KEY_ID, FAKE_BASE_SECRET_ACCESS_KEY } from "./fakes/aws/estate.js";
import { FAKE_BASE_CREDENTIALS, collectWith, countsByApi, instantRetry } from "./fakes/aws/harness.js";
import { FakeAwsServer } from "./fakes/aws/server.js";
import { BASE, DEV, PROD, READ_ROLE, smallEstate } from "./fakes/aws/small-estate.js";

let fake: FakeAwsServer;
const connectors: AwsConnector[] = [];
const savedEnv = { ...process.env };

beforeAll(async () => {
  fake = await FakeAwsServer.start(smallEstate());
});
afterAll(async () => fake.close());
beforeEach(() => {
  fake.resetLog();
  process.env.AWS_ENDPOINT_URL = fake.url;
  process.env.AWS_REGION = "us-east-1";
});
afterEach(() => {
  for (const connector of connectors.splice(0)) connector.close();
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

function connector(config: Parameters<typeof createAwsConnector>[0], deps: AwsConnectorDeps = {}): AwsConnector {
  const created = createAwsConnector(config, { credentials: FAKE_BASE_CREDENTIALS, caller: "analyst@example.com", retry: instantRetry(), ...deps });
  connectors.push(created);
  return created;
}

const TWO_ACCOUNTS = {
  accounts: [
    { id: PROD, name: "prod", roleArn: READ_ROLE(PROD) },
    { id: DEV, name: "dev", roleArn: READ_ROLE(DEV), externalId: "dev-EXAMPLE" },
  ],
  cacheTtlSeconds: 0,
};

describe("AssumeRole per task", () => {
  test("sends a 900 s session named after the task, the caller as source identity, and a read-only session policy", async () => {
    const aws = connector({ accounts: [{ id: PROD, roleArn: READ_ROLE(PROD) }] });
    await collectWith(aws, "task-42");
    expect(fake.assumeRoleCalls).toHaveLength(1);
    const call = fake.assumeRoleCalls[0];
    expect(call).toMatchObject({
      RoleArn: READ_ROLE(PROD),
      RoleSessionName: "wiam-task-42",
      DurationSeconds: 900,
      SourceIdentity: "analyst@example.com",
      ExternalId: undefined,
      callerAccessKeyId: FAKE_BASE_ACCESS_KEY_ID,
    });
    const policy = JSON.parse(call?.Policy ?? "{}") as { Statement: Array<{ Effect: string; Action: string[]; Resource: string }> };
    expect(policy.Statement).toEqual([{ Sid: "WiamReadOnlyCollection", Effect: "Allow", Action: SESSION_READ_ACTIONS, Resource: "*" }]);
    // Every IAM read of the account ran on the session's key, not on the base credentials.
    const reads = fake.requests.filter((request) => request.service === "iam");
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((request) => request.accessKeyId === call?.issuedAccessKeyId && request.accountId === PROD)).toBe(true);
  });

  test("a longer configured duration and the external id are passed through", async () => {
    const aws = connector({ accounts: [{ id: DEV, roleArn: READ_ROLE(DEV), externalId: "dev-EXAMPLE" }], sessionDurationSeconds: 3600 });
    const { snapshot } = await collectWith(aws, "task-dev");
    expect(fake.assumeRoleCalls.map((call) => [call.DurationSeconds, call.ExternalId])).toEqual([[3600, "dev-EXAMPLE"]]);
    expect(snapshot.gaps).toEqual([]);
  });

  test("the session is reused within a task, a new task gets its own, endTask forgets it", async () => {
    const aws = connector({ accounts: [{ id: PROD, roleArn: READ_ROLE(PROD) }], cacheTtlSeconds: 0 });
    await collectWith(aws, "task-a");
    await collectWith(aws, "task-a");
    expect(fake.assumeRoleCalls.map((call) => call.RoleSessionName)).toEqual(["wiam-task-a"]);
    await collectWith(aws, "task-b");
    expect(fake.assumeRoleCalls.map((call) => call.RoleSessionName)).toEqual(["wiam-task-a", "wiam-task-b"]);
    const [first, second] = fake.assumeRoleCalls;
    expect(first?.issuedAccessKeyId).not.toBe(second?.issuedAccessKeyId);
    aws.endTask("task-a");
    expect(aws.sessionFor("task-a", PROD)).toBeUndefined();
    expect(aws.sessionFor("task-b", PROD)?.sessionName).toBe("wiam-task-b");
    await collectWith(aws, "task-a");
    expect(fake.assumeRoleCalls).toHaveLength(3);
  });

  test("a session within 60 s of expiry is replaced", async () => {
    let clock = Date.now();
    const aws = connector({ accounts: [{ id: PROD, roleArn: READ_ROLE(PROD) }], cacheTtlSeconds: 0 }, { now: () => new Date(clock) });
    await collectWith(aws, "long-task");
    clock += 839_000; // 900 s session: 61 s left, still good
    await collectWith(aws, "long-task");
    expect(fake.assumeRoleCalls).toHaveLength(1);
    clock += 2_000; // 59 s left: replace
    await collectWith(aws, "long-task");
    expect(fake.assumeRoleCalls).toHaveLength(2);
  });

  test("sessionFor and describeCredentialScope report the role, session, source identity and expiry for the audit record", async () => {
    const aws = connector({ ...TWO_ACCOUNTS, accounts: [...TWO_ACCOUNTS.accounts, { id: BASE, name: "management" }] });
    await collectWith(aws, "audit-7");
    const prod = aws.sessionFor("audit-7", PROD);
    expect(prod).toMatchObject({ accountId: PROD, roleArn: READ_ROLE(PROD), sessionName: "wiam-audit-7", sourceIdentity: "analyst@example.com", policyActions: SESSION_READ_ACTIONS });
    expect(Date.parse(prod?.expiresAt ?? "") - Date.now()).toBeGreaterThan(800_000);
    expect(aws.sessionFor("audit-7", BASE)).toBeUndefined();
    const dev = aws.sessionFor("audit-7", DEV);
    expect(aws.describeCredentialScope("audit-7")).toBe(
      `aws task audit-7: account ${PROD}: role ${READ_ROLE(PROD)}, session wiam-audit-7, source identity analyst@example.com, expires ${prod?.expiresAt}, session policy allows ${SESSION_READ_ACTIONS.length} read actions; ` +
        `account ${DEV}: role ${READ_ROLE(DEV)}, session wiam-audit-7, source identity analyst@example.com, expires ${dev?.expiresAt}, session policy allows ${SESSION_READ_ACTIONS.length} read actions; ` +
        `account ${BASE}: base credentials`,
    );
    expect(aws.describeCredentialScope("other")).toBe(
      `aws task other: account ${PROD}: role ${READ_ROLE(PROD)}, no session held by this task; account ${DEV}: role ${READ_ROLE(DEV)}, no session held by this task; account ${BASE}: base credentials`,
    );
  });
});

describe("multi-account collection", () => {
  test("each account is read through its own session and lands in its own scope", async () => {
    const aws = connector({ ...TWO_ACCOUNTS, maxConcurrency: 2 });
    const { snapshot, operations } = await collectWith(aws, "multi");
    expect(snapshot.gaps).toEqual([]);
    expect(snapshot.scopes.map((scope) => [scope.id, scope.name])).toEqual([
      [`aws:account/${PROD}`, "prod"],
      [`aws:account/${DEV}`, "dev"],
    ]);
    expect(snapshot.principals.filter((principal) => principal.scopeId === `aws:account/${DEV}`).map((principal) => principal.id)).toEqual([
      `arn:aws:iam::${DEV}:role/wiam-read`,
      `arn:aws:iam::${DEV}:role/batch`,
    ]);
    const sessionKeys = new Map(fake.assumeRoleCalls.map((call) => [call.issuedAccessKeyId, call.RoleArn.split(":")[4]]));
    for (const request of fake.requests.filter((candidate) => candidate.service === "iam")) {
      expect(sessionKeys.get(request.accessKeyId)).toBe(request.accountId);
    }
    expect([...new Set(operations.map((operation) => operation.scopeId))].sort()).toEqual([`aws:account/${PROD}`, `aws:account/${DEV}`]);
  });

  test("an account whose role cannot be assumed becomes a gap; the others are still collected", async () => {
    const aws = connector({ accounts: [{ id: PROD, roleArn: READ_ROLE(PROD) }, { id: DEV, roleArn: READ_ROLE(DEV), externalId: "wrong-EXAMPLE" }] });
    const { snapshot } = await collectWith(aws, "partial");
    expect(snapshot.gaps).toEqual([
      {
        provider: "aws",
        scopeId: `aws:account/${DEV}`,
        source: "sts:AssumeRole",
        reason: "account not collected: AccessDenied (HTTP 403): external id does not match",
      },
    ]);
    expect(snapshot.principals.some((principal) => principal.scopeId === `aws:account/${PROD}`)).toBe(true);
  });

  test("an account without roleArn is read with the base credentials only if they belong to it", async () => {
    const aws = connector({ accounts: [{ id: BASE }, { id: DEV }] });
    const { snapshot } = await collectWith(aws, "base");
    expect(fake.assumeRoleCalls).toEqual([]);
    expect(fake.callsOf("GetCallerIdentity")).toHaveLength(1);
    expect(snapshot.gaps).toEqual([
      {
        provider: "aws",
        scopeId: `aws:account/${DEV}`,
        source: "sts:GetCallerIdentity",
        reason: `account not collected: Error: the base credentials belong to account ${BASE}; configure roleArn for ${DEV}`,
      },
    ]);
    expect(fake.callsOf("GetAccountAuthorizationDetails").map((request) => request.accountId)).toEqual([BASE]);
  });
});

describe("standard AWS settings", () => {
  test("credentials come from the default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) when none are injected", async () => {
    process.env.AWS_ACCESS_KEY_ID = FAKE_BASE_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = FAKE_BASE_SECRET_ACCESS_KEY;
    const aws = createAwsConnector({ accounts: [{ id: PROD, roleArn: READ_ROLE(PROD) }] }, { retry: instantRetry() });
    connectors.push(aws);
    const { snapshot } = await collectWith(aws, "env-chain");
    expect(snapshot.gaps).toEqual([]);
    expect(fake.assumeRoleCalls[0]?.callerAccessKeyId).toBe(FAKE_BASE_ACCESS_KEY_ID);
  });

  test("AWS_ENDPOINT_URL_IAM and AWS_ENDPOINT_URL_STS win over AWS_ENDPOINT_URL", async () => {
    process.env.AWS_ENDPOINT_URL = "http://127.0.0.1:9";
    process.env.AWS_ENDPOINT_URL_IAM = fake.url;
    process.env.AWS_ENDPOINT_URL_STS = fake.url;
    const aws = connector({ accounts: [{ id: PROD, roleArn: READ_ROLE(PROD) }], maxAttempts: 1 });
    const { snapshot } = await collectWith(aws, "service-endpoints");
    expect(snapshot.gaps).toEqual([]);
    expect(fake.assumeRoleCalls).toHaveLength(1);
  });

  test("AWS_ENDPOINT_URL_ORGANIZATIONS routes Organizations calls", async () => {
    process.env.AWS_ENDPOINT_URL = "http://127.0.0.1:9";
    process.env.AWS_ENDPOINT_URL_STS = fake.url;
    process.env.AWS_ENDPOINT_URL_ORGANIZATIONS = fake.url;
    const aws = connector({ organizations: { enabled: true }, maxAttempts: 1 });
    const { snapshot } = await collectWith(aws, "org-endpoint");
    expect(snapshot.gaps).toEqual([]);
    expect(fake.callsOf("ListRoots")).toHaveLength(1);
  });

  test("without AWS_REGION or a profile region, IAM's home region us-east-1 is used", async () => {
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    process.env.AWS_CONFIG_FILE = "/nonexistent/wiam-test-config";
    process.env.AWS_SHARED_CREDENTIALS_FILE = "/nonexistent/wiam-test-credentials";
    const aws = connector({ accounts: [{ id: PROD, roleArn: READ_ROLE(PROD) }] });
    const { snapshot } = await collectWith(aws, "no-region");
    expect(snapshot.gaps).toEqual([]);
  });
});

describe("per-account cache", () => {
  test("a second question within the TTL reuses the data; after the TTL the account is read again", async () => {
    let clock = Date.now();
    const aws = connector({ accounts: [{ id: PROD, roleArn: READ_ROLE(PROD) }], cacheTtlSeconds: 300 }, { now: () => new Date(clock) });
    const first = await collectWith(aws, "q1");
    const second = await collectWith(aws, "q2");
    expect(second.operations).toEqual([]);
    expect(second.snapshot.principals).toEqual(first.snapshot.principals);
    expect(second.progress).toEqual([{ done: 1, total: 1, message: `aws:account/${PROD}: reused data collected at ${new Date(clock).toISOString()}` }]);
    expect(aws.describeCredentialScope("q2")).toContain("no session held by this task (cached data from");
    clock += 301_000;
    const third = await collectWith(aws, "q3");
    expect(countsByApi(third.operations)["iam:GetAccountAuthorizationDetails"]).toBe(1);
    aws.clearCache();
    const fourth = await collectWith(aws, "q3");
    expect(countsByApi(fourth.operations)["iam:GetAccountAuthorizationDetails"]).toBe(1);
    expect(countsByApi(fourth.operations)["sts:AssumeRole"]).toBeUndefined();
  });
});

