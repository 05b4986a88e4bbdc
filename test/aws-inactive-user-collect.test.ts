/**
 * An IAM user whose access keys were all deactivated and that has no console password, collected
 * from the wire-level fake with the real SDK clients (from the credential report, and per user
 * when the report is denied), cannot act: every path it starts is denied with the reason.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html
 */
import { afterEach, describe, expect, test } from "vitest";
import { explainEntitlementPaths } from "../src/analysis/entitlements/index.js";
import { Inventory } from "../src/model/inventory-index.js";
import { createAwsConnector, type AwsConnector } from "../src/providers/aws/index.js";
import { FAKE_BASE_CREDENTIALS, collectWith, instantRetry } from "./fakes/aws/harness.js";
import { FakeAwsServer } from "./fakes/aws/server.js";
import { PROD, READ_ROLE, smallEstate } from "./fakes/aws/small-estate.js";

const NOW = "2026-06-01T12:00:00.000Z";
const DEPLOYER = `arn:aws:iam::${PROD}:user/automation/ci-deployer`;
const connectors: AwsConnector[] = [];
const servers: FakeAwsServer[] = [];

afterEach(async () => {
  for (const connector of connectors.splice(0)) connector.close();
  for (const server of servers.splice(0)) await server.close();
});

async function collectDeactivated(reportDenied: boolean): Promise<Inventory> {
  const estate = smallEstate();
  const account = estate.accounts[PROD];
  const deployer = account?.users.find((user) => user.name === "ci-deployer");
  if (!account || !deployer?.accessKeys) throw new Error("fixture");
  deployer.accessKeys = deployer.accessKeys.map((key) => ({ ...key, status: "Inactive" }));
  account.credentialReport = { generatedAt: "2026-06-01T11:00:00Z", ...(reportDenied ? { denied: true } : {}) };
  const server = await FakeAwsServer.start(estate);
  servers.push(server);
  process.env.AWS_ENDPOINT_URL = server.url;
  process.env.AWS_REGION = "us-east-1";
  const aws = createAwsConnector(
    { accounts: [{ id: PROD, roleArn: READ_ROLE(PROD) }], cacheTtlSeconds: 0 },
    { credentials: FAKE_BASE_CREDENTIALS, now: () => new Date(NOW), caller: "analyst@example.com", retry: instantRetry() },
  );
  connectors.push(aws);
  const { snapshot } = await collectWith(aws, "inactive");
  return new Inventory(snapshot);
}

describe("AWS: a collected user with every access key inactive and no password", () => {
  for (const reportDenied of [false, true]) {
    test(`cannot act (${reportDenied ? "per-user reads" : "credential report"})`, async () => {
      const inventory = await collectDeactivated(reportDenied);
      const keys = inventory.credentialsOf(DEPLOYER).filter((c) => c.kind === "access_key");
      expect(keys.map((k) => k.status)).toEqual(["inactive", "inactive"]);
      const answer = explainEntitlementPaths(inventory, { principal: DEPLOYER });
      expect(answer.paths.length).toBeGreaterThan(0);
      expect(new Set(answer.paths.map((p) => JSON.stringify([p.outcome, p.blockedBy])))).toEqual(
        new Set([
          JSON.stringify([
            "denied",
            {
              kind: "disabled_principal",
              id: DEPLOYER,
              description: `${DEPLOYER} has no active access key and no console password, so it cannot call AWS today (its 2 access keys are inactive)`,
            },
          ]),
        ]),
      );
    });
  }
});
