/**
 * The detection rules on hand-built histories, with exact findings; and the false-positive check
 * of #18 item 6: a benign estate (regular workers rotating addresses inside the provider's
 * ranges, cron jobs in local time across a daylight-saving change, roaming CI runners, new
 * deployments) gives no finding of high severity.
 */
import { describe, expect, it } from "vitest";
import { detectAnomalies } from "../src/activity/detect.js";
import { DEFAULT_ACTIVITY_SETTINGS, type ActivitySettings } from "../src/activity/detections/types.js";
import { ActivityLogBuilder, type ActivityEventInput } from "../src/activity/log.js";
import { distantNetworks, networkKeyOf, AddressRanges } from "../src/activity/networks.js";
import { applyFieldVisibility } from "../src/governance/visibility.js";

const NOW = new Date("2026-03-10T12:00:00Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ROLE = "arn:aws:iam::111111111111:role/worker";
let sequence = 0;

function event(hoursAgo: number, overrides: Partial<ActivityEventInput> = {}): ActivityEventInput {
  return {
    id: `event-${++sequence}`,
    timeMs: NOW.getTime() - hoursAgo * HOUR,
    provider: "aws",
    scopeId: "aws:account/111111111111",
    principalId: ROLE,
    kind: "api_call",
    action: "sqs:ReceiveMessage",
    network: "inside",
    sourceAddress: "3.84.10.10",
    outcome: "success",
    ...overrides,
  };
}

/** Every `everyHours` over the 30-day baseline (and the detection window up to `untilHoursAgo`). */
function regular(everyHours: number, overrides: Partial<ActivityEventInput> = {}, untilHoursAgo = 25): ActivityEventInput[] {
  const events: ActivityEventInput[] = [];
  for (let hoursAgo = 30 * 24 + 20; hoursAgo >= untilHoursAgo; hoursAgo -= everyHours) events.push(event(hoursAgo, overrides));
  return events;
}

function detect(
  events: readonly ActivityEventInput[],
  settings: ActivitySettings = DEFAULT_ACTIVITY_SETTINGS,
  known?: Parameters<typeof detectAnomalies>[1]["known"],
  since?: Date,
) {
  const builder = new ActivityLogBuilder();
  for (const e of events) builder.add(e);
  const log = builder.build();
  const result = detectAnomalies(log, { settings, now: NOW, known, since });
  return {
    result,
    findings: result.findings.map((f) => ({ code: f.code, severity: f.severity, principal: f.principalId, evidence: f.evidenceRows.map((row) => log.eventId(row)) })),
  };
}

describe("the columnar activity log", () => {
  it("keeps an event in 32 bytes of columns, sorted by identity and time, without exact duplicates", () => {
    const builder = new ActivityLogBuilder();
    builder.add(event(2, { id: "b", principalId: "arn:aws:iam::111111111111:role/b" }));
    builder.add(event(3, { id: "a1" }));
    builder.add(event(1, { id: "a2", action: "sqs:DeleteMessage" }));
    builder.add(event(3, { id: "a1-copy-from-another-region" }));
    const log = builder.build();
    expect(log.length).toBe(3);
    expect(log.ranges.map((r) => [r.id, r.start, r.end])).toEqual([
      ["arn:aws:iam::111111111111:role/b", 0, 1],
      [ROLE, 1, 3],
    ]);
    expect([0, 1, 2].map((row) => log.eventId(row))).toEqual(["b", "a1", "a2"]);
    const bytes =
      log.time.BYTES_PER_ELEMENT +
      log.principal.BYTES_PER_ELEMENT +
      log.action.BYTES_PER_ELEMENT +
      log.resource.BYTES_PER_ELEMENT +
      log.network.BYTES_PER_ELEMENT +
      log.credential.BYTES_PER_ELEMENT +
      log.via.BYTES_PER_ELEMENT +
      log.agent.BYTES_PER_ELEMENT +
      log.flags.BYTES_PER_ELEMENT +
      log.country.BYTES_PER_ELEMENT;
    expect(bytes).toBe(32);
  });

  it("counts addresses by network: the provider's own as one, outside ones by /24 or /48, services by name", () => {
    expect(networkKeyOf("aws", "inside", "3.84.10.10")).toBe("aws network");
    expect(networkKeyOf("aws", "outside", "198.51.100.77")).toBe("198.51.100.0/24");
    expect(networkKeyOf("aws", "outside", "2001:db8:85a3::8a2e:370:7334")).toBe("2001:db8:85a3::/48");
    expect(networkKeyOf("aws", "service", "lambda.amazonaws.com")).toBe("lambda.amazonaws.com");
    expect(networkKeyOf("aws", "unknown", undefined)).toBe("unknown network");
    expect(distantNetworks("198.51.100.0/24", "outside", "198.51.7.0/24", "outside")).toBe(false);
    expect(distantNetworks("198.51.100.0/24", "outside", "192.0.2.0/24", "outside")).toBe(true);
    expect(distantNetworks("aws network", "inside", "192.0.2.0/24", "outside")).toBe(true);
    const ranges = new AddressRanges(["3.80.0.0/12", "2600:1f18::/33"]);
    expect([ranges.contains("3.95.255.255"), ranges.contains("3.96.0.0"), ranges.contains("2600:1f18:7fff::1"), ranges.contains("2600:1f18:8000::1")]).toEqual([true, false, true, false]);
  });
});

describe("detection rules", () => {
  it("says 'insufficient baseline' rather than flagging a new identity", () => {
    const { findings, result } = detect([event(30, { sourceAddress: "192.0.2.1", network: "outside" }), event(2, { action: "iam:CreateAccessKey", category: "credential_creation" })]);
    expect(findings).toEqual([]);
    expect(result.insufficientBaseline).toEqual([ROLE]);
  });

  it("flags workload credentials used outside the provider's network, and one key from two distant networks within minutes", () => {
    const key = "ASIAQ3WORKERSEXAMPLE";
    const { findings } = detect([
      ...regular(3, { credentialId: key }),
      event(2, { id: "inside", credentialId: key }),
      event(1.9, { id: "outside", credentialId: key, network: "outside", sourceAddress: "192.0.2.9" }),
    ]);
    expect(findings).toEqual([
      { code: "workload_credentials_used_outside", severity: "high", principal: ROLE, evidence: ["outside"] },
      { code: "credential_used_from_distant_networks", severity: "high", principal: ROLE, evidence: ["inside", "outside"] },
    ]);
  });

  it("does not flag a key whose two uses are further apart than the overlap, or within one /16", () => {
    const user = "arn:aws:iam::111111111111:user/build";
    const base = { principalId: user, credentialId: "AKIAQ3BUILDERSEXAMPL", network: "outside" as const, sourceAddress: "198.51.100.5" };
    const far = detect([...regular(3, base), event(5, { ...base, id: "x" }), event(4.5, { ...base, id: "y", sourceAddress: "192.0.2.9" })]);
    expect(far.findings.filter((f) => f.code === "credential_used_from_distant_networks")).toEqual([]);
    const near = detect([...regular(3, base), event(5, { ...base, id: "x" }), event(4.95, { ...base, id: "y", sourceAddress: "198.51.7.9" })]);
    expect(near.findings.filter((f) => f.code === "credential_used_from_distant_networks")).toEqual([]);
  });

  it("flags the first use of a sensitive action by severity of its category, not a repeated or a denied one", () => {
    const { findings } = detect([
      ...regular(3),
      event(100, { action: "secretsmanager:GetSecretValue", category: "secret_read" }),
      event(3, { id: "again", action: "secretsmanager:GetSecretValue", category: "secret_read" }),
      event(2, { id: "new-key", action: "iam:CreateAccessKey", category: "credential_creation" }),
      event(1.5, { id: "pass", action: "iam:PassRole", category: "pass_role" }),
      event(1, { id: "denied", action: "iam:AttachRolePolicy", category: "iam_change", outcome: "denied" }),
    ]);
    expect(findings).toEqual([
      { code: "first_sensitive_action", severity: "high", principal: ROLE, evidence: ["new-key"] },
      { code: "first_sensitive_action", severity: "medium", principal: ROLE, evidence: ["pass"] },
    ]);
  });

  it("flags a burst of access-denied errors only at both thresholds (count and services)", () => {
    const burst = (services: string[], count: number) =>
      Array.from({ length: count }, (_, i) => event(3 - i / 60, { id: `d${i}`, action: `${services[i % services.length] ?? "s3"}:List`, outcome: "denied" }));
    const few = detect([...regular(3), ...burst(["iam", "s3", "ec2", "kms", "rds"], 9)]);
    expect(few.findings).toEqual([]);
    const narrow = detect([...regular(3), ...burst(["iam", "s3", "ec2"], 12)]);
    expect(narrow.findings).toEqual([]);
    const wide = detect([...regular(3), ...burst(["iam", "s3", "ec2", "kms"], 10)]);
    expect(wide.findings).toEqual([{ code: "access_denied_burst", severity: "high", principal: ROLE, evidence: ["d0", "d1", "d2", "d3", "d4"] }]);
  });

  it("flags a dormant identity from the log or from its last-used date, and a new assume-role target", () => {
    const old = "arn:aws:iam::111111111111:role/old";
    const fromLog = detect([event(40 * 24, { principalId: old }), event(2, { id: "back", principalId: old })]);
    expect(fromLog.findings).toEqual([{ code: "dormant_identity_active", severity: "medium", principal: old, evidence: ["back"] }]);
    const fromInventory = detect([event(2, { id: "back", principalId: old })], DEFAULT_ACTIVITY_SETTINGS, () => ({ lastUsedAtMs: NOW.getTime() - 90 * DAY }));
    expect(fromInventory.findings.map((f) => f.code)).toEqual(["dormant_identity_active"]);
    const chain = detect([
      ...regular(3, { action: "sts:AssumeRole", category: "assume_role", resource: "arn:aws:iam::222222222222:role/deploy" }),
      event(2, { id: "new-target", action: "sts:AssumeRole", category: "assume_role", resource: "arn:aws:iam::222222222222:role/admin" }),
    ]);
    expect(chain.findings).toEqual([{ code: "new_assume_or_impersonation_chain", severity: "medium", principal: ROLE, evidence: ["new-target"] }]);
  });

  it("flags service principal sign-in failure spikes and new sign-in networks", () => {
    const sp = "3f2a9c1e-7b4d-4e8a-9c21-5d6e7f8a9b01";
    const signIn = { principalId: sp, provider: "azure" as const, scopeId: "/tenants/x", kind: "sign_in" as const, action: "servicePrincipalSignIn", network: "unknown" as const, sourceAddress: "20.50.2.10", country: "NL" };
    const failures = Array.from({ length: 12 }, (_, i) => event(2 - i / 60, { ...signIn, id: `f${i}`, outcome: "failure" }));
    const { findings } = detect([...regular(3, signIn), ...failures, event(1, { ...signIn, id: "new", sourceAddress: "192.0.2.140", country: "BR" })]);
    expect(findings).toEqual([
      { code: "service_principal_sign_in_anomaly", severity: "medium", principal: sp, evidence: ["new"] },
      { code: "service_principal_sign_in_anomaly", severity: "medium", principal: sp, evidence: ["f0", "f1", "f2", "f3", "f4"] },
    ]);
  });

  it("flags a call from a country never seen in the baseline, and names the baseline's countries in a field of their own", () => {
    const fromUs = { network: "outside" as const, sourceAddress: "198.51.100.20", country: "US" };
    const fromDe = { network: "outside" as const, sourceAddress: "203.0.113.30", country: "DE" };
    const { result } = detect([...regular(6, fromUs), ...regular(12, fromDe), event(2, { network: "outside", sourceAddress: "192.0.2.140", country: "BR" })]);
    const newCountry = result.findings.find((finding) => finding.code === "new_source_network" && finding.severity === "medium");
    expect(newCountry?.reason).toBe("Called from a country it never called from in its baseline.");
    // The countries are not in the words: they are hidden with the source network, the words are not.
    expect(newCountry?.normal).not.toContain("DE");
    expect(newCountry?.normalCountries).toEqual(["DE", "US"]);
    // Hiding the source network hides the countries derived from it, as it does each event's country.
    const finding = { scopeId: "aws:account/111111111111", normal: newCountry?.normal, normalCountries: newCountry?.normalCountries, evidence: [{ sourceNetwork: "192.0.2.0/24", country: "BR" }] };
    const shown = applyFieldVisibility({ findings: [finding] }, ["find_anomalous_activity"], [{ tools: ["find_anomalous_activity"], scopes: ["*"], hide: ["sourceNetwork"] }], () => [], undefined);
    expect(shown).toEqual({
      value: { findings: [{ ...finding, normalCountries: [], evidence: [{ sourceNetwork: "[hidden by admin policy]", country: "[hidden by admin policy]" }] }] },
      hidden: ["country", "normalCountries", "sourceNetwork"],
    });
  });

  it("thresholds are configurable", () => {
    // Regular every third hour; 4 hours ago is one hour after a regular run.
    const events = [...regular(3), event(4, { id: "odd-hour" })];
    expect(detect(events).findings).toEqual([]);
    expect(detect(events, { ...DEFAULT_ACTIVITY_SETTINGS, hourTolerance: 0 }).findings).toEqual([
      { code: "activity_at_unusual_hours", severity: "low", principal: ROLE, evidence: ["odd-hour"] },
    ]);
  });
});

/** The UTC hour at which a job scheduled for 02:30 New York time runs on a given day (none on the spring-forward day). */
function newYorkHourUtc(day: Date): number | undefined {
  const format = new Intl.DateTimeFormat("en-US", { timeZone: "America/New_York", hour: "numeric", hourCycle: "h23" });
  for (const hour of [6, 7]) {
    const candidate = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hour, 30));
    if (format.format(candidate) === "2" || format.format(candidate) === "02") return hour;
  }
  return undefined;
}

describe("false positives under control", () => {
  it("a benign estate of many regular identities gives no high-severity finding", () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const octet = () => Math.floor(random() * 256);
    const events: ActivityEventInput[] = [];
    const add = (overrides: Partial<ActivityEventInput>, timeMs: number) =>
      events.push({ ...event(0, overrides), timeMs });
    // 2026-03-08 is the US daylight-saving change: the detection window and the last days are after it.
    const start = NOW.getTime() - 31 * DAY;
    for (let w = 0; w < 150; w++) {
      const principalId = `arn:aws:iam::111111111111:role/svc-worker-${w}`;
      for (let t = start + w * 60_000; t < NOW.getTime(); t += 2 * HOUR) {
        const day = Math.floor(t / DAY);
        // Autoscaled: a new session key every day, a new address inside EC2's ranges every call.
        add({ principalId, credentialId: `ASIAQ3W${w}D${day}`, sourceAddress: `3.${80 + Math.floor(random() * 16)}.${octet()}.${octet()}`, network: "inside" }, t);
      }
    }
    for (let c = 0; c < 50; c++) {
      const principalId = `arn:aws:iam::111111111111:role/report-${c}`;
      for (let d = 31; d >= 0; d--) {
        const day = new Date(NOW.getTime() - d * DAY);
        const hour = newYorkHourUtc(day);
        if (hour === undefined) continue;
        const timeMs = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hour, 30) + c * 1000;
        if (timeMs >= NOW.getTime()) continue;
        for (const action of ["athena:StartQueryExecution", "athena:GetQueryResults", "s3:PutObject"]) add({ principalId, action, sourceAddress: `54.${80 + (c % 8)}.${octet()}.${octet()}` }, timeMs);
      }
    }
    const runnerBlocks = ["20.42", "20.57", "40.76", "52.234"];
    for (let r = 0; r < 30; r++) {
      const principalId = `arn:aws:iam::111111111111:role/ci-${r}`;
      for (let t = start + r * 600_000; t < NOW.getTime(); t += 5 * HOUR) {
        const block = runnerBlocks[Math.floor(random() * runnerBlocks.length)] ?? "20.42";
        add({ principalId, credentialId: `ASIAQ3CI${r}T${Math.floor(t / HOUR)}`, action: "sts:AssumeRole", category: "assume_role", resource: "arn:aws:iam::222222222222:role/deploy", network: "outside", sourceAddress: `${block}.${octet()}.${octet()}` }, t);
      }
    }
    // New deployments: identities created today read their secrets and pass their roles.
    for (let n = 0; n < 20; n++) {
      const principalId = `arn:aws:iam::111111111111:role/new-service-${n}`;
      for (let t = NOW.getTime() - 6 * HOUR; t < NOW.getTime(); t += HOUR) {
        add({ principalId, action: "secretsmanager:GetSecretValue", category: "secret_read", sourceAddress: `3.84.${octet()}.${octet()}` }, t);
        add({ principalId, action: "iam:PassRole", category: "pass_role", sourceAddress: `3.84.${octet()}.${octet()}` }, t + 60_000);
      }
    }
    // The window starts after the last run before the change (2026-03-08, 02:00 New York): every run in it is an hour earlier in UTC.
    const since = new Date("2026-03-09T00:00:00Z");
    const { result } = detect(events, DEFAULT_ACTIVITY_SETTINGS, undefined, since);
    expect(result.activeIdentities).toBe(250);
    expect(result.insufficientBaseline).toHaveLength(20);
    expect(result.findings.filter((f) => f.severity === "high")).toEqual([]);
    expect(result.findings.map((f) => `${f.severity} ${f.code}`)).toEqual([]);
    // The daylight-saving shift is really in the stream: without the hour tolerance each report's run looks unusual.
    const strict = detect(events, { ...DEFAULT_ACTIVITY_SETTINGS, hourTolerance: 0 }, undefined, since).result.findings;
    expect(strict.map((f) => f.code)).toEqual(new Array(50).fill("activity_at_unusual_hours"));
    expect(strict.every((f) => f.principalId.includes(":role/report-") && f.severity === "low")).toBe(true);
  });
});
