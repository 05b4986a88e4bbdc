/**
 * CloudTrail as an activity source: records normalized to metadata only (never request
 * parameters or response elements), AWS's ranges telling inside from outside, local files in the
 * trail's key layout read as a source, unreadable files named as partial coverage.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { AddressRanges, ipv4Number, ipv6Groups } from "../src/activity/networks.js";
import { connectorsFor } from "../src/app.js";
import { parseConfig } from "../src/config/load.js";
import { normalizeCloudTrailRecord } from "../src/providers/aws/activity/cloudtrail.js";
import { readCloudTrailFiles } from "../src/providers/aws/activity/read-files.js";
import { loadAwsRanges } from "../src/providers/aws/activity/ranges.js";
import { AWS_RANGES_SNAPSHOT } from "../src/providers/aws/activity/ranges-snapshot.js";
import { FAKE_SECRET, ROLE_SESSION_RECORD } from "./fixtures/cloudtrail.js";
import { connect, textOf } from "./fixtures/mcp.js";

const RANGES = loadAwsRanges(undefined);
const roleSession = ROLE_SESSION_RECORD;

describe("CloudTrail records", () => {
  it("become metadata-only events: the role (not its session), key, action, resource, network, agent, outcome", () => {
    const event = normalizeCloudTrailRecord(roleSession, RANGES);
    expect(event).toEqual({
      id: "5d1b0c2e-9a77-4f7e-8d2b-0c1e2f3a4b5c",
      timeMs: Date.parse("2026-03-10T11:17:00Z"),
      provider: "aws",
      scopeId: "aws:account/222222222222",
      principalId: "arn:aws:iam::222222222222:role/prod-secrets-reader",
      credentialId: "ASIAQ3EXAMPLEKEY0001",
      kind: "api_call",
      action: "secretsmanager:GetSecretValue",
      category: "secret_read",
      resource: "arn:aws:secretsmanager:us-east-1:222222222222:secret:prod/payments/db-credentials-Q7mZ2k",
      via: undefined,
      sourceAddress: "192.0.2.77",
      network: "outside",
      networkKey: "192.0.2.0/24",
      country: undefined,
      userAgent: "aws-cli/2.15.30 Python/3.11.8",
      outcome: "success",
    });
    expect(JSON.stringify(event)).not.toContain(FAKE_SECRET);
    expect(JSON.stringify(event)).not.toContain("prod/payments/db-credentials\"");
  });

  it("tells inside AWS (published ranges, VPC endpoints), a calling service and outside apart, and denials from failures", () => {
    const classify = (overrides: Record<string, unknown>) => {
      const event = normalizeCloudTrailRecord({ ...roleSession, ...overrides }, RANGES);
      return [event?.network, event?.outcome];
    };
    expect(classify({ sourceIPAddress: "3.84.10.10" })).toEqual(["inside", "success"]);
    expect(classify({ sourceIPAddress: "10.0.3.7", vpcEndpointId: "vpce-0a1b2c3d" })).toEqual(["inside", "success"]);
    expect(classify({ sourceIPAddress: "lambda.amazonaws.com" })).toEqual(["service", "success"]);
    expect(classify({ sourceIPAddress: "AWS Internal", errorCode: "AccessDenied" })).toEqual(["service", "denied"]);
    expect(classify({ errorCode: "Client.UnauthorizedOperation" })).toEqual(["outside", "denied"]);
    expect(classify({ errorCode: "ThrottlingException" })).toEqual(["outside", "failure"]);
    const narrow = new AddressRanges(["198.51.100.0/24"]);
    expect(normalizeCloudTrailRecord({ ...roleSession, sourceIPAddress: "3.84.10.10" }, narrow)?.network).toBe("outside");
  });

  it("takes the role asked for from AssumeRole, and skips what is no identity's call", () => {
    const assume = normalizeCloudTrailRecord(
      {
        ...roleSession,
        userIdentity: { type: "IAMUser", arn: "arn:aws:iam::111111111111:user/ci-deployer", accountId: "111111111111", accessKeyId: "AKIAQ3CIDEPLOEXAMPLE" },
        eventSource: "sts.amazonaws.com",
        eventName: "AssumeRole",
        requestParameters: { roleArn: "arn:aws:iam::111111111111:role/ci-runner", roleSessionName: "build-42", policy: "{...}" },
        resources: [],
      },
      RANGES,
    );
    expect([assume?.principalId, assume?.action, assume?.category, assume?.resource]).toEqual([
      "arn:aws:iam::111111111111:user/ci-deployer",
      "sts:AssumeRole",
      "assume_role",
      "arn:aws:iam::111111111111:role/ci-runner",
    ]);
    expect(normalizeCloudTrailRecord({ ...roleSession, userIdentity: { type: "AWSService", invokedBy: "ec2.amazonaws.com" } }, RANGES)).toBeUndefined();
    expect(normalizeCloudTrailRecord({ ...roleSession, eventTime: "not a time" }, RANGES)).toBeUndefined();
    expect(normalizeCloudTrailRecord("not a record", RANGES)).toBeUndefined();
  });
});

function trailFolder(): string {
  const root = mkdtempSync(join(tmpdir(), "wiam-trail-"));
  const folder = join(root, "AWSLogs", "o-a1b2c3d4e5", "222222222222", "CloudTrail", "us-east-1", "2026", "03", "10");
  mkdirSync(folder, { recursive: true });
  const records = [
    roleSession,
    { ...roleSession, eventID: "6e2c1d3f-0b88-4a8f-9e3c-1d2f3a4b5c6d", eventTime: "2026-03-10T11:18:00Z", eventName: "ListSecrets", resources: [] },
    { ...roleSession, userIdentity: { type: "AWSService", invokedBy: "ec2.amazonaws.com" } },
  ];
  writeFileSync(join(folder, "222222222222_CloudTrail_us-east-1_20260310T1120Z_a1b2.json.gz"), gzipSync(JSON.stringify({ Records: records })));
  writeFileSync(join(folder, "222222222222_CloudTrail_us-east-1_20260310T1125Z_c3d4.json.gz"), Buffer.from("not gzip"));
  return root;
}

describe("the shipped AWS ranges snapshot", () => {
  /** Whether the CIDR is written as its own network address, as every ip-ranges.json entry is. */
  const aligned = (cidr: string): boolean => {
    const [address = "", bitsText = ""] = cidr.split("/");
    const bits = Number(bitsText);
    const v4 = ipv4Number(address);
    if (v4 !== undefined) return bits >= 0 && bits <= 32 && v4 % 2 ** (32 - bits) === 0;
    const groups = ipv6Groups(address);
    if (!groups || !(bits >= 0 && bits <= 128)) return false;
    return groups.every((group, i) => {
      const kept = Math.max(0, Math.min(16, bits - i * 16));
      return (group & (0xffff >> kept)) === 0;
    });
  };

  it("holds aligned blocks, none inside another, that are inside up to their edges and not one address past them", () => {
    const prefixes = AWS_RANGES_SNAPSHOT.prefixes;
    expect(prefixes).toHaveLength(29);
    expect(prefixes.filter((cidr) => !aligned(cidr))).toEqual([]);
    const nested = prefixes.flatMap((outer) =>
      prefixes.filter((inner) => inner !== outer && new AddressRanges([outer]).contains(inner.split("/")[0] ?? "")).map((inner) => `${inner} in ${outer}`),
    );
    expect(nested).toEqual([]);
    const inside = [
      "3.64.0.0",
      "3.95.255.255",
      "34.239.255.255",
      "44.192.0.0",
      "44.255.255.255",
      "54.149.255.255",
      "13.239.255.255",
      "2600:1f18::1",
      "2600:1f18:7fff:ffff:ffff:ffff:ffff:ffff",
      "2600:1f14:3fff::1",
      "2a05:d018:1fff::1",
      "2406:da1c::1",
    ];
    expect(inside.filter((address) => !RANGES.contains(address))).toEqual([]);
    // A subset of AWS: the neighbours are mostly AWS too (2600:1f18:8000::/36 is a Wavelength Zone), yet outside this list.
    const outside = ["3.63.255.255", "3.96.0.0", "34.240.0.0", "44.191.255.255", "54.150.0.0", "2600:1f18:8000::1", "2600:1f14:4000::1", "2a05:d018:2000::1", "2600:1f00::1"];
    expect(outside.filter((address) => RANGES.contains(address))).toEqual([]);
  });
});

describe("local CloudTrail files", () => {
  it("are read in the trail's key layout; a file that is not a log is named as partial coverage", async () => {
    const root = trailFolder();
    const { events, sources } = await readCloudTrailFiles([root], {});
    expect(events.map((e) => [e.id, e.time, e.action, e.network])).toEqual([
      ["5d1b0c2e-9a77-4f7e-8d2b-0c1e2f3a4b5c", "2026-03-10T11:17:00.000Z", "secretsmanager:GetSecretValue", "outside"],
      ["6e2c1d3f-0b88-4a8f-9e3c-1d2f3a4b5c6d", "2026-03-10T11:18:00.000Z", "secretsmanager:ListSecrets", "outside"],
    ]);
    expect(sources).toEqual([{ provider: "aws", source: `cloudtrail:file ${root}`, complete: false, note: "1 of 2 file(s) could not be read as CloudTrail logs" }]);
  });

  it("serve find_anomalous_activity when configured as activity.files.aws, with the gap in incomplete", async () => {
    const root = trailFolder();
    const session = await connect({ activity: { files: { aws: [root] } }, providers: { demo: { enabled: false } } }, { now: () => new Date("2026-03-10T12:00:00Z") });
    try {
      const result = await session.client.callTool({
        name: "find_anomalous_activity",
        arguments: { intent: "reviewing a synced trail bucket offline", provider: "aws" },
      });
      expect(result.isError, textOf(result)).toBeFalsy();
      const structured = result.structuredContent as { summary: { activeIdentities: number; eventsInWindow: number; insufficientBaseline: number }; incomplete: unknown[] };
      expect(structured.summary).toMatchObject({ activeIdentities: 1, eventsInWindow: 2, insufficientBaseline: 1 });
      expect(structured.incomplete).toContainEqual({ provider: "aws", scopeId: null, source: `cloudtrail:file ${root}`, reason: "1 of 2 file(s) could not be read as CloudTrail logs" });
    } finally {
      await session.close();
    }
  });

  it("refuses a ranges file in another format, naming the setting", () => {
    const path = join(mkdtempSync(join(tmpdir(), "wiam-ranges-")), "ranges.json");
    writeFileSync(path, JSON.stringify({ cidrs: ["3.0.0.0/8"] }));
    expect(() => loadAwsRanges(path)).toThrow("activity.rangesFiles.aws: " + path + " is not in the ip-ranges.json format (prefixes[].ip_prefix)");
    writeFileSync(path, JSON.stringify({ createDate: "2026-12-01-00-00-00", prefixes: [{ ip_prefix: "198.51.100.0/24" }] }));
    expect(loadAwsRanges(path).contains("198.51.100.9")).toBe(true);
  });

  it("refuses a ranges file named for a provider whose readers take none, instead of ignoring it", () => {
    expect(() => connectorsFor(parseConfig({ activity: { rangesFiles: { aws: "/etc/wiam/ip-ranges.json", gcp: "/etc/wiam/cloud.json" } } }, "wiam.yaml"))).toThrow(
      "config activity.rangesFiles.gcp: this provider reads no activity log files, so no ranges file is used for it (its shipped snapshot is); remove the entry",
    );
  });
});
