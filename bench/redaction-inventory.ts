/**
 * A synthetic inventory document for redaction throughput: shaped like the normalized inventory
 * (principals, credentials, vault items, policies, grants, trust edges) and, like real ones,
 * made of ARNs, resource names, GUIDs, hex key ids, dates and descriptions that use words such
 * as "secret", "token" and "key". It contains no secrets: redacting it must change nothing.
 */

/** mulberry32: deterministic, so every run measures the same document. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  "billing", "payments", "ingest", "reporting", "ledger", "search", "checkout", "identity", "audit", "backup",
  "secret", "token", "key", "rotation", "sync", "broker", "gateway", "worker", "scheduler", "exporter",
];
const DESCRIPTIONS = [
  "Service role for the {w} pipeline; reads secrets from the {w} vault.",
  "Rotates the access key and the token for {w} every 90 days.",
  "Workload identity used by the {w} deployment in production.",
  "Legacy {w} integration, owner: platform team. Key rotation overdue.",
  "Reads the {w} signing key; see runbook KB-{n}.",
  "Allows the {w} job to decrypt with the KMS key and fetch the secret.",
];
const ACTIONS = [
  "s3:GetObject", "s3:PutObject", "secretsmanager:GetSecretValue", "kms:Decrypt", "sts:AssumeRole",
  "iam:PassRole", "sts:GetSessionToken", "dynamodb:Query", "logs:PutLogEvents", "ssm:GetParameter",
];

export function generateRedactionInventory(targetBytes: number, seed = 42): { document: unknown; bytes: number } {
  const random = generator(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const hex = (length: number): string => {
    let result = "";
    for (let index = 0; index < length; index++) result += "0123456789abcdef".charAt(Math.floor(random() * 16));
    return result;
  };
  const upperAlnum = (length: number): string => {
    let result = "";
    for (let index = 0; index < length; index++) result += "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".charAt(Math.floor(random() * 32));
    return result;
  };
  const guid = (): string => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  const date = (): string => new Date(Date.UTC(2020, 0, 1) + Math.floor(random() * 5 * 365 * 86_400_000)).toISOString();
  const describe = (): string => pick(DESCRIPTIONS).replace(/\{w\}/g, () => pick(WORDS)).replace("{n}", String(1000 + Math.floor(random() * 9000)));
  const evidence = (source: string) => ({ source, observedAt: date() });

  const principals: unknown[] = [];
  const credentials: unknown[] = [];
  const vaultItems: unknown[] = [];
  const policies: unknown[] = [];
  const grants: unknown[] = [];
  const trustEdges: unknown[] = [];
  let bytes = 0;
  let index = 0;
  while (bytes < targetBytes) {
    const account = String(100000000000 + Math.floor(random() * 899999999999));
    const name = `${pick(WORDS)}-${pick(WORDS)}-${index}`;
    const provider = index % 3;
    let batch: unknown[];
    if (provider === 0) {
      const roleArn = `arn:aws:iam::${account}:role/service-role/${name}`;
      const policyArn = `arn:aws:iam::${account}:policy/${name}-access`;
      const keyId = `AKIA${upperAlnum(16)}`;
      const principal = {
        id: roleArn, provider: "aws", kind: "role", workload: true, name, scopeId: `aws:account/${account}`,
        uniqueId: `AROA${upperAlnum(17)}`, description: describe(), createdAt: date(),
        tags: { team: pick(WORDS), environment: "production", "secret-owner": pick(WORDS) },
        trustPolicyId: `${roleArn}#trust`,
        lastActivity: { lastUsedAt: date(), coverage: "window", windowDays: 400, source: "iam:GetAccountAuthorizationDetails", observedAt: date() },
        evidence: evidence("iam:GetAccountAuthorizationDetails"),
      };
      const credential = { id: keyId, provider: "aws", kind: "access_key", principalId: roleArn, scopeId: `aws:account/${account}`, status: "active", createdAt: date(), lastRotatedAt: date(), evidence: evidence("iam:ListAccessKeys") };
      const policy = {
        id: policyArn, provider: "aws", kind: "managed", name: `${name}-access`, description: describe(),
        statements: [
          { id: "ReadSecrets", effect: "Allow", actions: [pick(ACTIONS), pick(ACTIONS), pick(ACTIONS)], resources: [`arn:aws:secretsmanager:eu-west-1:${account}:secret:${name}-${upperAlnum(6)}`, `arn:aws:kms:eu-west-1:${account}:key/${guid()}`] },
          { id: "Deny", effect: "Deny", actions: ["iam:CreateAccessKey"], resources: ["*"], conditions: [{ expression: "aws:SourceIp NotIpAddress 10.0.0.0/8", keys: ["aws:SourceIp"] }] },
        ],
        evidence: evidence("iam:GetAccountAuthorizationDetails"),
      };
      const grant = { id: `${roleArn}->${policyArn}`, provider: "aws", kind: "attachment", principalId: roleArn, policyId: policyArn, evidence: evidence("iam:GetAccountAuthorizationDetails") };
      const trust = { id: `${roleArn}#trust/0`, provider: "aws", kind: "assume_role", from: `arn:aws:iam::${account}:root`, to: roleArn, policyId: `${roleArn}#trust`, statementId: "0", evidence: evidence("iam:GetAccountAuthorizationDetails") };
      principals.push(principal);
      credentials.push(credential);
      policies.push(policy);
      grants.push(grant);
      trustEdges.push(trust);
      batch = [principal, credential, policy, grant, trust];
    } else if (provider === 1) {
      const project = `${pick(WORDS)}-prod-${index}`;
      const email = `${name}@${project}.iam.gserviceaccount.com`;
      const saId = `serviceAccount:${email}`;
      const keyHex = hex(40);
      const principal = { id: saId, provider: "gcp", kind: "service_account", workload: true, name, scopeId: `projects/${project}`, email, uniqueId: String(100000000000000000000 + Math.floor(random() * 1e15)), description: describe(), evidence: evidence("iam.serviceAccounts.list") };
      const credential = { id: `projects/${project}/serviceAccounts/${email}/keys/${keyHex}`, provider: "gcp", kind: "service_account_key", principalId: saId, scopeId: `projects/${project}`, status: "active", managedBy: "user", algorithm: "KEY_ALG_RSA_2048", createdAt: date(), expiresAt: "9999-12-31T23:59:59Z", evidence: evidence("iam.serviceAccounts.keys.list") };
      const grant = { id: `projects/${project}#roles/secretmanager.secretAccessor#${saId}`, provider: "gcp", kind: "binding", principalId: saId, policyId: "roles/secretmanager.secretAccessor", resource: `projects/${project}`, conditions: [{ expression: `request.time < timestamp('${date()}')`, title: "temporary" }], evidence: evidence("projects.getIamPolicy") };
      const trust = { id: `${saId}#impersonation/${index}`, provider: "gcp", kind: "impersonation", from: `principalSet://iam.googleapis.com/projects/${Math.floor(random() * 1e12)}/locations/global/workloadIdentityPools/github/attribute.repository/example/${name}`, to: saId, evidence: evidence("iam.serviceAccounts.getIamPolicy") };
      principals.push(principal);
      credentials.push(credential);
      grants.push(grant);
      trustEdges.push(trust);
      batch = [principal, credential, grant, trust];
    } else {
      const subscription = guid();
      const vault = `/subscriptions/${subscription}/resourceGroups/rg-${pick(WORDS)}/providers/Microsoft.KeyVault/vaults/kv-${name}`;
      const objectId = guid();
      const version = hex(32);
      const principal = { id: objectId, provider: "azure", kind: "service_principal", workload: true, name, scopeId: `azure:tenant/${guid()}`, uniqueId: guid(), description: describe(), createdAt: date(), evidence: evidence("graph:servicePrincipals") };
      const credential = { id: guid(), provider: "azure", kind: "client_secret", principalId: objectId, scopeId: `azure:tenant/${guid()}`, name: `${pick(WORDS)} secret`, status: "active", createdAt: date(), expiresAt: date(), evidence: evidence("graph:applications") };
      const certificate = { id: guid(), provider: "azure", kind: "certificate", principalId: objectId, scopeId: `azure:tenant/${guid()}`, name: `CN=${name}`, status: "active", algorithm: hex(40).toUpperCase(), expiresAt: date(), evidence: evidence("graph:applications") };
      const item = { id: `https://kv-${name}.vault.azure.net/secrets/${pick(WORDS)}-password/${version}`, provider: "azure", kind: "secret", name: `${pick(WORDS)}-password`, scopeId: vault, version, enabled: true, createdAt: date(), updatedAt: date(), expiresAt: date(), contentType: "text/plain", recoveryLevel: "Recoverable+Purgeable", tags: { owner: pick(WORDS), rotation: "90d" }, evidence: evidence("keyvault:getSecrets") };
      const grant = { id: `${vault}/providers/Microsoft.Authorization/roleAssignments/${guid()}`, provider: "azure", kind: "role_assignment", principalId: objectId, policyId: `/subscriptions/${subscription}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6`, resource: vault, evidence: evidence("arm:roleAssignments") };
      principals.push(principal);
      credentials.push(credential, certificate);
      vaultItems.push(item);
      grants.push(grant);
      batch = [principal, credential, certificate, item, grant];
    }
    for (const entry of batch) bytes += JSON.stringify(entry).length + 1;
    index++;
  }
  const document = { schemaVersion: 1, generatedAt: "2026-11-24T00:00:00Z", scopes: [], principals, credentials, vaultItems, policies, grants, trustEdges, gaps: [] };
  return { document, bytes: Buffer.byteLength(JSON.stringify(document)) };
}
