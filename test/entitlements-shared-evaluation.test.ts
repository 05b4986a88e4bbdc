/**
 * Reverse (and forward) AWS answers evaluated with the work shared between principals (limits
 * once per class of principals, holders paged without listing them, self-grant permissions per
 * inventory) are exactly the answers of the reference evaluation, which decides every principal
 * on its own. Generated estates mix what the sharing must keep apart: same and cross account,
 * an organization-wide `*` narrowed by aws:PrincipalOrgID, an outside account, boundaries, SCPs
 * and RCPs with conditions on the caller's tags, identity and resource-policy denies, NotAction,
 * NotResource, policy variables, a secret encrypted with a customer managed key, self-grants and
 * role chains.
 */
import { describe, expect, it } from "vitest";
import { explainEntitlementListing, explainEntitlementPaths, type EntitlementQuery, type QueryLimits } from "../src/analysis/entitlements/index.js";
import type { Condition, Grant, Policy, Principal, Scope, Statement, TrustEdge, VaultItem } from "../src/model/inventory.js";
import { Inventory } from "../src/model/inventory-index.js";
import { buildDemoEstate } from "../src/connectors/demo/index.js";
import { SeededRandom } from "../src/connectors/demo/random.js";
import { allow, deny, estate, grant, policy, principal, scope, trust, vaultSecret } from "./fixtures/iam-estate.js";

const ORG = "o-shared01";
const A = "111111111111";
const B = "222222222222";
const C = "333333333333";
const OUTSIDE = "444444444444";
const GET = "secretsmanager:GetSecretValue";
const when = (key: string, operator: string, values: string[]): Condition => ({ expression: `${key} ${operator} ${values.join(", ")}`, keys: [key], operator, values });
const secret = (account: string, name: string) => `arn:aws:secretsmanager:us-east-1:${account}:secret:${name}-AbCdEf`;
const KEY = `arn:aws:kms:us-east-1:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const BUCKET = "arn:aws:s3:::shared-reports";

interface Generated {
  parts: { scopes: Scope[]; principals: Principal[]; policies: Policy[]; grants: Grant[]; trustEdges: TrustEdge[] };
  queries: EntitlementQuery[];
}

function generate(seed: number): Generated {
  const random = new SeededRandom(seed);
  const scopes = [
    scope(`aws:organization/${ORG}`, "organization", "aws"),
    scope("aws:ou/ou-prod", "folder", "aws", `aws:organization/${ORG}`),
    scope(`aws:account/${A}`, "account", "aws", "aws:ou/ou-prod"),
    scope(`aws:account/${B}`, "account", "aws", `aws:organization/${ORG}`),
    // Collected, but in no organization the inventory holds.
    scope(`aws:account/${C}`, "account", "aws"),
  ];
  const managed = (name: string, statements: Statement[]) => policy(`arn:aws:iam::aws:policy/${name}`, "aws", "managed", statements);
  const customer = (account: string, name: string, statements: Statement[]) => policy(`arn:aws:iam::${account}:policy/${name}`, "aws", "managed", statements);
  const secrets = [secret(A, "db"), secret(A, "payments/api"), secret(B, "db"), secret(C, "db"), secret(A, "encrypted")];
  const identityPolicies: Policy[] = [
    managed("Admin", [allow("All", ["*"], ["*"])]),
    managed("SecretsRead", [allow("Read", ["secretsmanager:Get*", "secretsmanager:Describe*"], ["*"])]),
    managed("AllButIam", [allow("NotIam", [], ["*"], { actions: undefined, notActions: ["iam:*"] })]),
    managed("NotPayments", [allow("NotPay", ["secretsmanager:*"], undefined, { notResources: [`arn:aws:secretsmanager:*:*:secret:payments/*`] })]),
    managed("OwnPrefix", [allow("Own", ["s3:GetObject"], ["arn:aws:s3:::shared-reports/${aws:username}/*"])]),
    managed("FromOffice", [allow("Office", [GET, "kms:Decrypt"], ["*"], { conditions: [when("aws:SourceIp", "IpAddress", ["10.0.0.0/8"])] })]),
    managed("SelfGrant", [allow("Attach", ["iam:AttachRolePolicy", "iam:AttachUserPolicy"], ["*"])]),
    managed("KeyMaker", [allow("Keys", ["iam:CreateAccessKey"], ["arn:aws:iam::*:user/*"])]),
    managed("Assume", [allow("Assume", ["sts:AssumeRole"], ["*"])]),
    managed("NoDbDelete", [deny("NoDelete", ["secretsmanager:DeleteSecret"], ["*"]), allow("Describe", ["secretsmanager:DescribeSecret"], ["*"])]),
    managed("NoPayments", [deny("NoPay", [GET], [`arn:aws:secretsmanager:*:*:secret:payments/*`])]),
    managed("NoWhenBlocked", [deny("Blocked", ["secretsmanager:*"], ["*"], { conditions: [when("aws:PrincipalTag/blocked", "StringEquals", ["yes"])] })]),
    customer(A, "db-readers", [allow("Db", [GET], [`arn:aws:secretsmanager:us-east-1:${A}:secret:db-*`])]),
    customer(B, "b-readers", [allow("Any", [GET, "kms:Decrypt"], [`arn:aws:secretsmanager:*:*:secret:*`, KEY])]),
  ];
  const boundaries = [
    policy(`arn:aws:iam::${A}:policy/boundary-secrets`, "aws", "boundary", [allow("Secrets", ["secretsmanager:*", "kms:Decrypt", "sts:AssumeRole"], ["*"])]),
    policy(`arn:aws:iam::${A}:policy/boundary-s3`, "aws", "boundary", [allow("S3", ["s3:*"], ["*"]), deny("NoSecrets", ["secretsmanager:GetSecretValue"], [secret(A, "db")])]),
  ];
  const organizationPolicies = [
    policy("arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess", "aws", "scp", [allow("Full", ["*"], ["*"])], {
      attachedTo: [`aws:organization/${ORG}`, "aws:ou/ou-prod", `aws:account/${A}`, `aws:account/${B}`],
    }),
    policy(`arn:aws:organizations::${A}:policy/${ORG}/service_control_policy/p-guard`, "aws", "scp", [
      deny("NoTeamless", ["secretsmanager:*"], ["*"], { conditions: [when("aws:PrincipalTag/team", "Null", ["true"])] }),
    ], { attachedTo: ["aws:ou/ou-prod"] }),
    policy(`arn:aws:organizations::${A}:policy/${ORG}/resource_control_policy/p-rcpfull`, "aws", "rcp", [allow("Full", ["*"], ["*"], { principals: ["*"] })], {
      attachedTo: [`aws:organization/${ORG}`, `aws:account/${A}`, `aws:account/${B}`],
    }),
    policy(`arn:aws:organizations::${A}:policy/${ORG}/resource_control_policy/p-org-only`, "aws", "rcp", [
      deny("OrgOnly", ["secretsmanager:*"], ["*"], { principals: ["*"], conditions: [when("aws:PrincipalOrgID", "StringNotEqualsIfExists", [ORG])] }),
    ], { attachedTo: [`aws:account/${A}`] }),
  ];
  const principals: Principal[] = [];
  const grants: Grant[] = [];
  const trustEdges: TrustEdge[] = [];
  const accounts = [A, A, A, B, B, C];
  for (let i = 0; i < 48; i++) {
    const account = random.pick(accounts);
    const user = random.chance(0.3);
    const id = `arn:aws:iam::${account}:${user ? "user" : "role"}/p${i}`;
    const tags: Record<string, string> = {};
    if (random.chance(0.8)) tags.team = random.pick(["red", "blue"]);
    if (random.chance(0.15)) tags.blocked = "yes";
    const extra: Partial<Principal> = { tags };
    if (account === A && random.chance(0.25)) extra.permissionsBoundary = random.pick(boundaries).id;
    principals.push(principal(id, "aws", user ? "user" : "role", `aws:account/${account}`, extra));
    const own = identityPolicies.filter((p) => !p.id.includes(":policy/") || p.id.includes(`::${account}:`) || p.id.includes("::aws:"));
    const count = random.int(1, 4);
    for (let g = 0; g < count; g++) {
      const chosen = random.pick(own);
      if (!grants.some((x) => x.principalId === id && x.policyId === chosen.id)) grants.push(grant(`${id}->${chosen.id}`, "aws", "attachment", id, chosen.id));
    }
    if (!user && i > 0 && random.chance(0.35)) {
      const from = random.pick(principals.slice(0, -1)).id;
      trustEdges.push(trust(`${id}#trust/${from}`, "aws", "assume_role", from, id));
    }
    if (!user && random.chance(0.15)) trustEdges.push(trust(`${id}#trust/root`, "aws", "assume_role", `arn:aws:iam::${account}:root`, id));
  }
  const named = principals.filter((p) => p.id.includes(`::${A}:`)).map((p) => p.id);
  const resourcePolicies = [
    policy(`${secrets[0]}#policy`, "aws", "resource", [
      allow("Named", [GET], ["*"], { principals: named.slice(0, 2) }),
      allow("PartnerB", [GET], ["*"], { principals: [`arn:aws:iam::${B}:root`] }),
      allow("Org", [GET], ["*"], { principals: ["*"], conditions: [when("aws:PrincipalOrgID", "StringEquals", [ORG])] }),
      deny("BlueOut", [GET], ["*"], { principals: ["*"], conditions: [when("aws:PrincipalTag/team", "StringEquals", ["blue"])] }),
    ], { attachedTo: [secrets[0] ?? ""], scopeId: `aws:account/${A}` }),
    policy(`${secrets[2]}#policy`, "aws", "resource", [
      allow("Outside", [GET], ["*"], { principals: [`arn:aws:iam::${OUTSIDE}:root`, `arn:aws:iam::${C}:root`] }),
      allow("AccountA", [GET, "secretsmanager:DescribeSecret"], ["*"], { principals: [`arn:aws:iam::${A}:root`] }),
    ], { attachedTo: [secrets[2] ?? ""], scopeId: `aws:account/${B}` }),
    policy(`${secrets[4]}#policy`, "aws", "resource", [allow("Org", [GET], ["*"], { principals: ["*"], conditions: [when("aws:PrincipalOrgID", "StringEquals", [ORG])] })], {
      attachedTo: [secrets[4] ?? ""],
      scopeId: `aws:account/${A}`,
      encryptionKey: KEY,
    }),
    policy(`${KEY}#policy`, "aws", "resource", [
      allow("Root", ["kms:*"], ["*"], { principals: [`arn:aws:iam::${A}:root`] }),
      allow("PartnerDecrypt", ["kms:Decrypt"], ["*"], { principals: [`arn:aws:iam::${B}:root`] }),
    ], { attachedTo: [KEY], scopeId: `aws:account/${A}` }),
    policy(`${BUCKET}#policy`, "aws", "resource", [allow("Public", ["s3:GetObject"], [`${BUCKET}/public/*`], { principals: ["*"] })], {
      attachedTo: [BUCKET],
      scopeId: `aws:account/${A}`,
    }),
  ];
  const queries: EntitlementQuery[] = [];
  for (const resource of secrets) for (const action of [GET, "secretsmanager:DescribeSecret", "secretsmanager:DeleteSecret", "secretsmanager:*"]) queries.push({ action, resource });
  queries.push({ action: "s3:GetObject", resource: `${BUCKET}/public/report.csv` }, { action: "s3:GetObject", resource: `${BUCKET}/p3/notes.txt` });
  queries.push({ action: "kms:Decrypt", resource: KEY }, { action: GET, resource: `aws:account/${A}` });
  for (const target of principals.filter((_, i) => i % 7 === 0)) {
    queries.push({ action: target.kind === "user" ? "iam:CreateAccessKey" : "sts:AssumeRole", resource: target.id });
    queries.push({ principal: target.id, action: GET }, { principal: target.id, maxDepth: 2 });
  }
  return {
    parts: { scopes, principals, policies: [...identityPolicies, ...boundaries, ...organizationPolicies, ...resourcePolicies], grants, trustEdges },
    queries,
  };
}

function answers(inventory: Inventory, queries: readonly EntitlementQuery[], shareEvaluations: boolean, limits?: Partial<QueryLimits>) {
  return queries.map((query) => explainEntitlementPaths(inventory, query, { shareEvaluations, ...(limits ? { limits } : {}) }));
}

describe("AWS evaluations shared between principals", () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`give the reference answers on generated estate ${seed}`, () => {
      const { parts, queries } = generate(seed);
      // Each mode reads its own inventory, so nothing one keeps per inventory reaches the other.
      const shared = answers(estate(parts), queries, true);
      const reference = answers(estate(parts), queries, false);
      expect(shared).toEqual(reference);
      // The estate is worth comparing: every outcome and several blocks occur.
      const outcomes = new Set(reference.flatMap((a) => a.paths.map((p) => p.outcome)));
      expect([...outcomes].sort()).toEqual(["allowed", "conditional", "denied", "unknown"]);
      const blocks = new Set(reference.flatMap((a) => a.paths.flatMap((p) => (p.blockedBy ? [p.blockedBy.kind] : []))));
      expect(blocks.size).toBeGreaterThanOrEqual(4);
    });
  }

  it("page the candidates the way the reference lists them, counts included", () => {
    const { parts, queries } = generate(5);
    const reverse = queries.filter((q) => q.principal === undefined);
    const limits = { maxCandidates: 3 };
    const shared = answers(estate(parts), reverse, true, limits);
    expect(shared).toEqual(answers(estate(parts), reverse, false, limits));
    expect(shared.some((a) => a.notes.some((n) => /^only the first 3 of \d+ candidate principals were evaluated$/.test(n)))).toBe(true);
  });
});

const TENANT = "tenant-paged";
const SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-0000000000bb";
const VAULT = `${SUBSCRIPTION}/resourceGroups/rg-paged/providers/Microsoft.KeyVault/vaults/kv-paged`;
const GET_SECRET = "Microsoft.KeyVault/vaults/secrets/getSecret/action";

/** An Azure part beside the AWS one: users reading a vault secret now, or after a PIM activation (eligible). */
function azurePart(seed: number): { parts: Generated["parts"] & { vaultItems: VaultItem[] }; queries: EntitlementQuery[] } {
  const random = new SeededRandom(seed);
  const item = vaultSecret(VAULT, "kv-paged", "db");
  const reader = policy("/providers/Microsoft.Authorization/roleDefinitions/kv-secrets-user", "azure", "role", [allow("dataActions", [GET_SECRET])]);
  const principals: Principal[] = [];
  const grants: Grant[] = [];
  for (let i = 0; i < 12; i++) {
    const id = `aaaaaaaa-0000-4000-8000-${String(i).padStart(12, "0")}`;
    principals.push(principal(id, "azure", "user", TENANT, { name: `user${i}` }));
    grants.push(grant(`assign-${i}`, "azure", random.chance(0.5) ? "eligible_role_assignment" : "role_assignment", id, reader.id, VAULT));
  }
  return {
    parts: {
      scopes: [
        scope(TENANT, "tenant", "azure"),
        scope(SUBSCRIPTION, "subscription", "azure", TENANT),
        scope(`${SUBSCRIPTION}/resourceGroups/rg-paged`, "resource_group", "azure", SUBSCRIPTION),
        scope(VAULT, "vault", "azure", `${SUBSCRIPTION}/resourceGroups/rg-paged`, { enableRbacAuthorization: true }),
      ],
      principals,
      policies: [reader],
      grants,
      trustEdges: [],
      vaultItems: [item],
    },
    queries: [{ action: GET_SECRET, resource: item.id }, { principal: principals[0]?.id ?? "" }],
  };
}

/** Pages of `size`: the first, one in the middle, the last, and one past the end. */
function pageStarts(length: number, size: number): number[] {
  const last = Math.max(0, Math.floor((length - 1) / size) * size);
  return [...new Set([0, Math.floor(length / size / 2) * size, last, last + size])];
}

describe("answers whose paths are built when a page shows them", () => {
  for (const seed of [1, 2, 3]) {
    it(`page for page equal the answer that builds every path, on generated estate ${seed}`, () => {
      const aws = generate(seed);
      const azure = azurePart(seed);
      const parts = {
        scopes: [...aws.parts.scopes, ...azure.parts.scopes],
        principals: [...aws.parts.principals, ...azure.parts.principals],
        policies: [...aws.parts.policies, ...azure.parts.policies],
        grants: [...aws.parts.grants, ...azure.parts.grants],
        trustEdges: aws.parts.trustEdges,
        vaultItems: azure.parts.vaultItems,
      };
      const queries = [...aws.queries, ...azure.queries];
      // Each mode reads its own inventory, so nothing one builds per inventory reaches the other.
      const listed = estate(parts);
      const built = estate(parts);
      const outcomes = new Set<string>();
      for (const [index, query] of queries.entries()) {
        // Small maxPaths on some questions: truncated answers leave out the last path in order.
        const options = index % 5 === 0 && index < aws.queries.length ? { maxPaths: 4 } : {};
        const reference = explainEntitlementPaths(built, query, { ...options, buildEveryPath: true });
        const listing = explainEntitlementListing(listed, query, options);
        const { paths, ...rest } = listing;
        expect(rest).toEqual({ ...reference, paths: undefined, pathCount: reference.paths.length });
        expect(paths.length).toBe(reference.paths.length);
        const counts = { allowed: 0, conditional: 0, eligible: 0, unknown: 0, denied: 0 };
        for (const path of reference.paths) counts[path.outcome]++;
        expect(paths.counts).toEqual(counts);
        // Pages asked out of order: the last first, then the first, the middle and past the end.
        for (const size of [3, 10]) {
          for (const from of pageStarts(paths.length, size).reverse()) expect(paths.slice(from, from + size)).toEqual(reference.paths.slice(from, from + size));
        }
        expect(paths.slice(0, paths.length)).toEqual(reference.paths);
        for (const path of reference.paths) outcomes.add(path.outcome);
      }
      expect([...outcomes].sort()).toEqual(["allowed", "conditional", "denied", "eligible", "unknown"]);
    });
  }

  it("keep the built answer's order on the demo estate, forward and reverse", () => {
    const now = new Date("2026-06-01T00:00:00Z");
    const demo = buildDemoEstate(now);
    const queries: EntitlementQuery[] = [
      ...demo.principals.filter((_, i) => i % 3 === 1).slice(0, 4).map((p) => ({ principal: p.id })),
      ...(["aws", "gcp", "azure"] as const).flatMap((provider) => demo.vaultItems.filter((item) => item.provider === provider).slice(0, 1).map((item) => ({ action: "*", resource: item.id }))),
    ];
    const listed = new Inventory(demo);
    const built = new Inventory(buildDemoEstate(now));
    let compared = 0;
    for (const query of queries) {
      const reference = explainEntitlementPaths(built, query, { buildEveryPath: true });
      expect(explainEntitlementListing(listed, query).paths.slice(0, reference.paths.length)).toEqual(reference.paths);
      // Pages of long runs of one outcome are selected, not sorted; later pages widen what is known.
      for (const order of ["ascending", "descending"]) {
        const { paths } = explainEntitlementListing(listed, query);
        const starts = pageStarts(paths.length, 7);
        for (const from of order === "ascending" ? starts : starts.reverse()) expect(paths.slice(from, from + 7)).toEqual(reference.paths.slice(from, from + 7));
      }
      compared += reference.paths.length;
    }
    expect(compared).toBeGreaterThan(100);
  });
});
