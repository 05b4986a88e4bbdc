/**
 * Resilience against the wire-level fake: throttling retried with jittered backoff, persistent
 * 5xx and timeouts turned into gaps, truncated responses retried, bounded concurrency across
 * accounts, cancellation, and the credential breadth check.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createAwsConnector, type AwsConnector, type AwsConnectorDeps } from "../src/providers/aws/index.js";
import { FAKE_BASE_CREDENTIALS, collectWith, countsByApi, instantRetry } from "./fakes/aws/harness.js";
import { FakeAwsServer } from "./fakes/aws/server.js";
import { BASE, BASE_IDENTITY_ARN, DEV, PROD, READ_ROLE, smallEstate } from "./fakes/aws/small-estate.js";

let fake: FakeAwsServer;
const connectors: AwsConnector[] = [];

beforeAll(async () => {
  fake = await FakeAwsServer.start(smallEstate());
  process.env.AWS_ENDPOINT_URL = fake.url;
  process.env.AWS_REGION = "us-east-1";
});
afterAll(async () => fake.close());
beforeEach(() => {
  fake.resetLog();
  fake.clearFaults();
});
afterEach(() => {
  for (const connector of connectors.splice(0)) connector.close();
});

function connector(config: Parameters<typeof createAwsConnector>[0], deps: AwsConnectorDeps = {}): AwsConnector {
  const created = createAwsConnector(config, { credentials: FAKE_BASE_CREDENTIALS, caller: "analyst@example.com", retry: instantRetry(), ...deps });
  connectors.push(created);
  return created;
}

const PROD_ONLY = { accounts: [{ id: PROD, roleArn: READ_ROLE(PROD) }], cacheTtlSeconds: 0 };

describe("retries", () => {
  test("throttling (400 Throttling) is retried with full-jitter exponential backoff and every attempt is recorded", async () => {
    fake.addFault({ action: "GetAccountAuthorizationDetails", kind: "error", status: 400, code: "Throttling", times: 2 });
    const delays: number[] = [];
    const aws = connector(PROD_ONLY, { retry: instantRetry(delays) });
    const { snapshot, operations } = await collectWith(aws, "throttled");
    expect(snapshot.gaps).toEqual([]);
    expect(snapshot.principals).toHaveLength(8);
    const gaad = operations.find((operation) => operation.api === "iam:GetAccountAuthorizationDetails");
    expect(gaad?.count).toBe(3);
    expect(gaad?.requestIds).toHaveLength(3);
    // random() = 0.5 with a 100 ms base: half of 100, then half of 200.
    expect(delays.filter((delay) => delay === 50 || delay === 100)).toEqual([50, 100]);
  });

  test("Organizations TooManyRequestsException is retried", async () => {
    fake.addFault({ action: "ListRoots", kind: "error", status: 400, code: "TooManyRequestsException", times: 1 });
    const aws = connector({ organizations: { enabled: true } });
    const { snapshot, operations } = await collectWith(aws, "org-throttled");
    expect(snapshot.gaps).toEqual([]);
    expect(countsByApi(operations)["organizations:ListRoots"]).toBe(2);
  });

  test("a response cut off mid-body is retried", async () => {
    fake.addFault({ action: "GetAccountAuthorizationDetails", kind: "truncate", times: 1 });
    const aws = connector(PROD_ONLY);
    const { snapshot, operations } = await collectWith(aws, "truncated");
    expect(snapshot.gaps).toEqual([]);
    expect(countsByApi(operations)["iam:GetAccountAuthorizationDetails"]).toBe(2);
    expect(snapshot.principals).toHaveLength(8);
  });
});

describe("partial results", () => {
  test("a persistent 500 becomes a gap after the attempt budget; everything else is kept, and nothing is cached", async () => {
    fake.addFault({ action: "ListServerCertificates", kind: "error", status: 500, code: "ServiceFailure" });
    const aws = connector({ ...PROD_ONLY, maxAttempts: 3, cacheTtlSeconds: 300 });
    const { snapshot, operations } = await collectWith(aws, "failing");
    expect(snapshot.gaps).toEqual([
      { provider: "aws", scopeId: `aws:account/${PROD}`, source: "iam:ListServerCertificates", reason: "ServiceFailureException/ServiceFailure (HTTP 500): injected fault" },
    ]);
    expect(countsByApi(operations)["iam:ListServerCertificates"]).toBe(3);
    expect(snapshot.principals).toHaveLength(8);
    expect(snapshot.credentials.some((credential) => credential.id.includes(":server-certificate/"))).toBe(false);
    fake.clearFaults();
    const again = await collectWith(aws, "failing");
    expect(again.snapshot.gaps).toEqual([]);
    expect(again.snapshot.credentials.some((credential) => credential.id.includes(":server-certificate/"))).toBe(true);
  });

  test("a call that does not answer in time is abandoned and becomes a gap", async () => {
    // Generous margins, no wall-clock assertion: other calls answer well within 1 s under load; the
    // stalled one would hold the collection 2 x 6 s if it were not abandoned.
    fake.addFault({ action: "ListSAMLProviders", kind: "delay", delayMs: 6000 });
    const aws = connector({ ...PROD_ONLY, callTimeoutMs: 1000, maxAttempts: 2 });
    const { snapshot, operations } = await collectWith(aws, "slow");
    expect(snapshot.gaps).toEqual([
      { provider: "aws", scopeId: `aws:account/${PROD}`, source: "iam:ListSAMLProviders", reason: "CallTimeoutError: iam:ListSAMLProviders did not answer within 1000 ms" },
    ]);
    expect(countsByApi(operations)["iam:ListSAMLProviders"]).toBe(2);
    expect(snapshot.principals.some((principal) => principal.kind === "role")).toBe(true);
  });

  test("an access-denied API is not retried and is reported as a gap", async () => {
    fake.addFault({ action: "ListOpenIDConnectProviders", kind: "error", status: 403, code: "AccessDenied" });
    const aws = connector(PROD_ONLY);
    const { snapshot, operations } = await collectWith(aws, "denied");
    expect(snapshot.gaps).toEqual([
      { provider: "aws", scopeId: `aws:account/${PROD}`, source: "iam:ListOpenIDConnectProviders", reason: "AccessDenied (HTTP 403): injected fault" },
    ]);
    expect(countsByApi(operations)["iam:ListOpenIDConnectProviders"]).toBe(1);
  });

  test("a failed authorization-details read leaves the account's principals out and says so", async () => {
    fake.addFault({ action: "GetAccountAuthorizationDetails", kind: "error", status: 503, code: "ServiceUnavailable" });
    const aws = connector({ ...PROD_ONLY, maxAttempts: 2 });
    const { snapshot } = await collectWith(aws, "no-gaad");
    expect(snapshot.gaps).toEqual([
      { provider: "aws", scopeId: `aws:account/${PROD}`, source: "iam:GetAccountAuthorizationDetails", reason: "ServiceUnavailable (HTTP 503): injected fault" },
    ]);
    expect(snapshot.principals.map((principal) => principal.kind).sort()).toEqual(["external", "external"]);
  });
});

describe("concurrency and cancellation", () => {
  test("with maxConcurrency 1 accounts are read one after the other", async () => {
    fake.latencyMs = 5;
    try {
      const aws = connector({ accounts: [{ id: PROD, roleArn: READ_ROLE(PROD) }, { id: DEV, roleArn: READ_ROLE(DEV), externalId: "dev-EXAMPLE" }, { id: BASE }], maxConcurrency: 1, cacheTtlSeconds: 0 });
      await collectWith(aws, "serial");
      const order = fake.requests.filter((request) => request.service === "iam").map((request) => request.accountId);
      const blocks = order.filter((account, index) => index === 0 || order[index - 1] !== account);
      expect(blocks).toEqual([PROD, DEV, BASE]);
    } finally {
      fake.latencyMs = 0;
    }
  });

  test("with maxConcurrency 3 accounts overlap", async () => {
    fake.latencyMs = 5;
    try {
      const aws = connector({ accounts: [{ id: PROD, roleArn: READ_ROLE(PROD) }, { id: DEV, roleArn: READ_ROLE(DEV), externalId: "dev-EXAMPLE" }, { id: BASE }], maxConcurrency: 3, cacheTtlSeconds: 0 });
      await collectWith(aws, "parallel");
      const order = fake.requests.filter((request) => request.service === "iam").map((request) => request.accountId);
      const blocks = order.filter((account, index) => index === 0 || order[index - 1] !== account);
      expect(blocks.length).toBeGreaterThan(3);
    } finally {
      fake.latencyMs = 0;
    }
  });

  test("cancelling the task aborts the collection instead of returning a partial snapshot", async () => {
    fake.addFault({ action: "GetAccountAuthorizationDetails", kind: "delay", delayMs: 2000 });
    const aws = connector(PROD_ONLY);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("task cancelled")), 50);
    await expect(collectWith(aws, "cancelled", { signal: controller.signal })).rejects.toThrow("task cancelled");
  });
});

describe("credential breadth", () => {
  const ACCOUNTS = { accounts: [{ id: PROD, roleArn: READ_ROLE(PROD) }, { id: DEV, roleArn: READ_ROLE(DEV), externalId: "dev-EXAMPLE" }] };
  const ROLE_NOTE = "; wiam narrows each session with a read-only session policy, but anyone else who can assume the role gets all of it";

  test("over-broad base credentials and roles are warnings", async () => {
    const aws = connector(ACCOUNTS);
    const report = await aws.checkCredentialBreadth();
    expect(report).toEqual({
      identity: BASE_IDENTITY_ARN,
      checks: [
        { principalArn: BASE_IDENTITY_ARN, role: "base credentials", allowedActions: ["iam:PassRole", "s3:PutObject"] },
        { principalArn: READ_ROLE(PROD), role: `read role of account ${PROD}`, allowedActions: ["s3:GetObject"] },
        { principalArn: READ_ROLE(DEV), role: `read role of account ${DEV}`, allowedActions: [] },
      ],
      warnings: [
        `base credentials (${BASE_IDENTITY_ARN}) is allowed iam:PassRole, s3:PutObject: broader than the read-only access wiam needs (see policies/aws-readonly.json)`,
        `read role of account ${PROD} (${READ_ROLE(PROD)}) is allowed s3:GetObject: broader than the read-only access wiam needs (see policies/aws-readonly.json)${ROLE_NOTE}`,
      ],
      errors: [],
    });
    const simulated = fake.callsOf("SimulatePrincipalPolicy");
    expect(simulated.map((request) => [request.accountId, request.params.PolicySourceArn])).toEqual([
      [BASE, BASE_IDENTITY_ARN],
      [PROD, READ_ROLE(PROD)],
      [DEV, READ_ROLE(DEV)],
    ]);
    expect(simulated[0]?.params["ActionNames.member.1"]).toBe("iam:CreateAccessKey");
  });

  test("strict: true makes them errors", async () => {
    const aws = connector({ ...ACCOUNTS, strict: true });
    const report = await aws.checkCredentialBreadth();
    expect(report.warnings).toEqual([]);
    expect(report.errors).toHaveLength(2);
  });

  test("a role that cannot be assumed is an error; simulation failures are reported, not thrown", async () => {
    fake.addFault({ action: "SimulatePrincipalPolicy", kind: "error", status: 403, code: "AccessDenied", accountId: BASE });
    const aws = connector({ accounts: [{ id: DEV, roleArn: READ_ROLE(DEV), externalId: "wrong-EXAMPLE" }] });
    const report = await aws.checkCredentialBreadth();
    expect(report).toEqual({
      identity: BASE_IDENTITY_ARN,
      checks: [],
      warnings: [
        `base credentials (${BASE_IDENTITY_ARN}): breadth could not be checked (AccessDenied (HTTP 403): injected fault); grant iam:SimulatePrincipalPolicy or review it by hand`,
      ],
      errors: [`read role of account ${DEV}: cannot assume ${READ_ROLE(DEV)}: AccessDenied (HTTP 403): external id does not match`],
    });
  });
});
