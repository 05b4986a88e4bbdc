/**
 * Legacy Key Vault access policies, translated to the RBAC data actions they amount to, so the
 * entitlement engine evaluates both permission models with one vocabulary. The raw permission
 * names stay in the policy description. An access policy applies to the whole vault.
 */
import type { Grant, Policy, Statement } from "../../../model/inventory.js";
import { compactGrant } from "../../../model/compact-grant.js";

const KV = "Microsoft.KeyVault/vaults";

const SECRET_ACTIONS: Record<string, string[]> = {
  get: [`${KV}/secrets/getSecret/action`],
  list: [`${KV}/secrets/readMetadata/action`],
  set: [`${KV}/secrets/setSecret/action`],
  delete: [`${KV}/secrets/delete`],
  recover: [`${KV}/secrets/recover/action`],
  backup: [`${KV}/secrets/backup/action`],
  restore: [`${KV}/secrets/restore/action`],
  purge: [`${KV}/secrets/purge/action`],
};

const KEY_ACTIONS: Record<string, string[]> = {
  get: [`${KV}/keys/read`],
  list: [`${KV}/keys/read`],
  update: [`${KV}/keys/update/action`],
  create: [`${KV}/keys/create/action`],
  import: [`${KV}/keys/import/action`],
  delete: [`${KV}/keys/delete`],
  recover: [`${KV}/keys/recover/action`],
  backup: [`${KV}/keys/backup/action`],
  restore: [`${KV}/keys/restore/action`],
  purge: [`${KV}/keys/purge/action`],
  decrypt: [`${KV}/keys/decrypt/action`],
  encrypt: [`${KV}/keys/encrypt/action`],
  unwrapkey: [`${KV}/keys/unwrap/action`],
  wrapkey: [`${KV}/keys/wrap/action`],
  verify: [`${KV}/keys/verify/action`],
  sign: [`${KV}/keys/sign/action`],
  release: [`${KV}/keys/release/action`],
  rotate: [`${KV}/keys/rotate/action`],
  getrotationpolicy: [`${KV}/keyrotationpolicies/read`],
  setrotationpolicy: [`${KV}/keyrotationpolicies/write`],
};

const CERTIFICATE_ACTIONS: Record<string, string[]> = {
  get: [`${KV}/certificates/read`],
  list: [`${KV}/certificates/read`],
  update: [`${KV}/certificates/update/action`],
  create: [`${KV}/certificates/create/action`],
  import: [`${KV}/certificates/import/action`],
  delete: [`${KV}/certificates/delete`],
  recover: [`${KV}/certificates/recover/action`],
  backup: [`${KV}/certificates/backup/action`],
  restore: [`${KV}/certificates/restore/action`],
  purge: [`${KV}/certificates/purge/action`],
  managecontacts: [`${KV}/certificatecontacts/write`],
  getissuers: [`${KV}/certificatecas/read`],
  listissuers: [`${KV}/certificatecas/read`],
  manageissuers: [`${KV}/certificatecas/read`, `${KV}/certificatecas/write`, `${KV}/certificatecas/delete`],
  setissuers: [`${KV}/certificatecas/write`],
  deleteissuers: [`${KV}/certificatecas/delete`],
};

const FAMILIES = { secrets: SECRET_ACTIONS, keys: KEY_ACTIONS, certificates: CERTIFICATE_ACTIONS } as const;

export interface AccessPolicyEntryInput {
  objectId: string;
  applicationId?: string | undefined;
  permissions: Partial<Record<"secrets" | "keys" | "certificates" | "storage", readonly string[] | undefined>>;
}

/** The policy and grant of one access policy entry on a vault. */
export function mapAccessPolicy(vaultId: string, entry: AccessPolicyEntryInput, evidence: { source: string; observedAt: string }): { policy: Policy; grant: Grant } {
  // A compound entry (objectId + applicationId) only applies when that app acts for that principal.
  const id = `${vaultId}/accessPolicies/${entry.objectId}${entry.applicationId ? `/${entry.applicationId}` : ""}`;
  const statements: Statement[] = [];
  const raw: string[] = [];
  for (const family of ["secrets", "keys", "certificates", "storage"] as const) {
    const names = entry.permissions[family] ?? [];
    if (names.length === 0) continue;
    // "secret permissions get, list": no `name: value` shape, which reads as an assignment to redactors.
    raw.push(`${family.replace(/s$/, "")} permissions ${names.join(", ")}`);
    if (family === "storage") continue;
    const lowered = names.map((name) => name.toLowerCase());
    const mapping: Record<string, string[]> = FAMILIES[family];
    const actions = lowered.includes("all") ? [`${KV}/${family}/*`] : [...new Set(lowered.flatMap((name) => mapping[name] ?? []))];
    if (actions.length > 0) statements.push({ id: family, effect: "Allow", actions });
  }
  const policy: Policy = {
    id,
    provider: "azure",
    kind: "access_policy",
    name: `access policy for ${entry.objectId}`,
    scopeId: vaultId,
    description: raw.join("; ") + (entry.applicationId ? `; compound identity with application ${entry.applicationId}` : ""),
    statements,
    evidence,
  };
  const grant = compactGrant({
    id: `${id}#grant`,
    provider: "azure",
    kind: "access_policy",
    principalId: entry.objectId,
    policyId: id,
    resource: vaultId,
    ...(entry.applicationId ? { conditions: [{ expression: `only when application ${entry.applicationId} acts on behalf of the principal (compound identity)`, keys: ["appid"] }] } : {}),
    evidence,
  });
  return { policy, grant };
}
