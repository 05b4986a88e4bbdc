/**
 * Entra service principal and managed identity sign-ins (#18). They are only in Microsoft Graph's
 * beta `auditLogs/signIns` (v1.0 holds interactive user sign-ins), filtered by sign-in event type,
 * and reading them needs `AuditLog.Read.All` and an Entra ID P1/P2 tenant: a refusal says which
 * is missing instead of looking like "no sign-ins". Metadata only: who, when, from which address
 * and country, with which credential, to which resource, and whether it failed.
 */
import { RestError } from "@azure/core-rest-pipeline";
import { z } from "zod";
import type { ActivityEventInput } from "../../../activity/log.js";
import { isPrivateAddress } from "../../../activity/networks.js";
import type { ActivitySource } from "../../../model/activity-log.js";
import type { RestReader } from "../clients.js";
import { readAllPages } from "../collect/graph-pages.js";
import { describeAzureError } from "../errors.js";

export const SIGN_IN_LOG_SOURCE = "graph:beta/auditLogs/signIns (service principal, managed identity)";
/** Sign-in logs are kept 30 days (P1/P2): asking for more returns no more. */
export const SIGN_IN_RETENTION_HOURS = 30 * 24;

const signInSchema = z.object({
  id: z.string().min(1),
  createdDateTime: z.string(),
  servicePrincipalId: z.string().nullish(),
  appId: z.string().nullish(),
  ipAddress: z.string().nullish(),
  location: z.object({ countryOrRegion: z.string().nullish() }).nullish(),
  status: z.object({ errorCode: z.number().nullish() }).nullish(),
  signInEventTypes: z.array(z.string()).nullish(),
  resourceId: z.string().nullish(),
  servicePrincipalCredentialKeyId: z.string().nullish(),
  userAgent: z.string().nullish(),
});
type SignIn = z.infer<typeof signInSchema>;

/** The event of one sign-in, or undefined when it names no service principal. */
export function normalizeSignIn(signIn: SignIn, tenantScopeId: string): ActivityEventInput | undefined {
  const principalId = signIn.servicePrincipalId ?? undefined;
  const timeMs = Date.parse(signIn.createdDateTime);
  if (!principalId || Number.isNaN(timeMs)) return undefined;
  const address = signIn.ipAddress ?? undefined;
  const country = signIn.location?.countryOrRegion ?? undefined;
  const managed = signIn.signInEventTypes?.includes("managedIdentity") === true;
  return {
    id: signIn.id,
    timeMs,
    provider: "azure",
    scopeId: tenantScopeId,
    principalId,
    credentialId: signIn.servicePrincipalCredentialKeyId ?? undefined,
    kind: "sign_in",
    action: managed ? "managedIdentitySignIn" : "servicePrincipalSignIn",
    resource: signIn.resourceId ?? undefined,
    sourceAddress: address,
    // Azure's published ranges are not shipped: only a private address is known to be inside.
    network: address !== undefined && isPrivateAddress(address) ? "inside" : "unknown",
    country: country !== undefined && /^[A-Z]{2}$/.test(country) ? country : undefined,
    userAgent: signIn.userAgent ?? undefined,
    outcome: (signIn.status?.errorCode ?? 0) === 0 ? "success" : "failure",
  };
}

/** Why a refused read was refused, in words an administrator can act on. */
function refusal(error: unknown): string {
  if (error instanceof RestError && error.statusCode === 403) {
    return /premium|B2C|license/i.test(error.message)
      ? "the tenant has no Entra ID P1/P2 license: service principal sign-in logs are not available"
      : "the server's identity lacks AuditLog.Read.All (application permission) to read sign-in logs";
  }
  return describeAzureError(error);
}

export async function readServicePrincipalSignIns(input: {
  graph: RestReader;
  tenantScopeId: string;
  now: Date;
  hours: number;
  signal?: AbortSignal | undefined;
}): Promise<{ events: ActivityEventInput[]; source: ActivitySource }> {
  const hours = Math.min(input.hours, SIGN_IN_RETENTION_HOURS);
  const from = new Date(input.now.getTime() - hours * 3_600_000).toISOString();
  const window = { from, to: input.now.toISOString() };
  const filter = `createdDateTime ge ${from} and signInEventTypes/any(t: t eq 'servicePrincipal' or t eq 'managedIdentity')`;
  const path = `/beta/auditLogs/signIns?$filter=${encodeURIComponent(filter)}&$top=999`;
  try {
    const rows = await readAllPages(input.graph, path, signInSchema, input.signal);
    const events: ActivityEventInput[] = [];
    for (const row of rows) {
      const event = normalizeSignIn(row, input.tenantScopeId);
      if (event) events.push(event);
    }
    const source: ActivitySource = { provider: "azure", scopeId: input.tenantScopeId, source: SIGN_IN_LOG_SOURCE, ...window, complete: true };
    if (input.hours > SIGN_IN_RETENTION_HOURS) source.note = `sign-in logs are kept ${SIGN_IN_RETENTION_HOURS / 24} days: earlier activity is not available`;
    return { events, source };
  } catch (error) {
    input.signal?.throwIfAborted();
    return { events: [], source: { provider: "azure", scopeId: input.tenantScopeId, source: SIGN_IN_LOG_SOURCE, ...window, complete: false, note: refusal(error) } };
  }
}
