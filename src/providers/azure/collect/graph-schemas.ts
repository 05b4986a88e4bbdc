/**
 * Zod schemas for the Microsoft Graph responses the connector reads. Object schemas strip unknown
 * keys, so a password credential's `secretText` or `hint` (the first characters of the secret) and
 * a key credential's `key` never get past parsing, whatever Graph sends.
 */
import { z } from "zod";

const nullableString = z.string().nullish();

export const graphPasswordCredentialSchema = z.object({
  keyId: z.string(),
  displayName: nullableString,
  startDateTime: nullableString,
  endDateTime: nullableString,
});

export const graphKeyCredentialSchema = z.object({
  keyId: z.string(),
  displayName: nullableString,
  startDateTime: nullableString,
  endDateTime: nullableString,
  type: nullableString,
  usage: nullableString,
});

export const graphFederatedCredentialSchema = z.object({
  id: z.string(),
  name: z.string(),
  issuer: z.string(),
  subject: nullableString,
  audiences: z.array(z.string()).nullish(),
});

export const graphApplicationSchema = z.object({
  id: z.string(),
  appId: z.string(),
  displayName: nullableString,
  description: nullableString,
  createdDateTime: nullableString,
  passwordCredentials: z.array(graphPasswordCredentialSchema).nullish(),
  keyCredentials: z.array(graphKeyCredentialSchema).nullish(),
  federatedIdentityCredentials: z.array(graphFederatedCredentialSchema).nullish(),
});
export type GraphApplication = z.infer<typeof graphApplicationSchema>;

export const graphServicePrincipalSchema = z.object({
  id: z.string(),
  appId: nullableString,
  displayName: nullableString,
  servicePrincipalType: nullableString,
  accountEnabled: z.boolean().nullish(),
  alternativeNames: z.array(z.string()).nullish(),
  appOwnerOrganizationId: nullableString,
  passwordCredentials: z.array(graphPasswordCredentialSchema).nullish(),
  keyCredentials: z.array(graphKeyCredentialSchema).nullish(),
});
export type GraphServicePrincipal = z.infer<typeof graphServicePrincipalSchema>;

export const graphSignInActivitySchema = z.object({
  appId: z.string(),
  lastSignInActivity: z.object({ lastSignInDateTime: nullableString }).nullish(),
});

export const graphDirectoryObjectSchema = z.object({
  "@odata.type": z.string().optional(),
  id: z.string(),
  displayName: nullableString,
  userPrincipalName: nullableString,
  appId: nullableString,
  servicePrincipalType: nullableString,
});
export type GraphDirectoryObject = z.infer<typeof graphDirectoryObjectSchema>;

/** A directory role assignment or PIM eligibility (roleManagement/directory). */
export const graphDirectoryRoleAssignmentSchema = z.object({
  id: z.string(),
  principalId: z.string(),
  roleDefinitionId: z.string(),
  directoryScopeId: nullableString,
});
export type GraphDirectoryRoleAssignment = z.infer<typeof graphDirectoryRoleAssignmentSchema>;

export const graphDirectoryRoleDefinitionSchema = z.object({
  id: z.string(),
  displayName: nullableString,
  templateId: nullableString,
});

/** An application or service principal with its owners expanded (ids only). */
export const graphOwnedObjectSchema = z.object({
  id: z.string(),
  appId: nullableString,
  owners: z.array(z.object({ id: z.string() })).nullish(),
});

/** An app role assignment on Microsoft Graph's service principal: an application permission granted to a principal. */
export const graphAppRoleAssignmentSchema = z.object({
  principalId: z.string(),
  appRoleId: z.string(),
});

export const graphOrganizationSchema = z.object({
  id: z.string(),
  displayName: nullableString,
});

export function graphPageSchema<Item extends z.ZodType>(item: Item) {
  return z.object({ value: z.array(item), "@odata.nextLink": z.string().optional() });
}

export function armPageSchema<Item extends z.ZodType>(item: Item) {
  return z.object({ value: z.array(item), nextLink: z.string().nullish() });
}

export const managementGroupSchema = z.object({
  id: z.string(),
  name: z.string(),
  properties: z
    .object({
      displayName: nullableString,
      children: z.array(z.object({ id: z.string(), type: z.string(), name: z.string(), displayName: nullableString })).nullish(),
    })
    .nullish(),
});
export type ManagementGroup = z.infer<typeof managementGroupSchema>;
