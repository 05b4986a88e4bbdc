/**
 * Which AWS actions are sensitive, by CloudTrail event source and name: the categories the neutral
 * detections compare (first use of a sensitive action, new assume-role chains).
 */
import type { ActivityCategory } from "../../../model/activity-log.js";

const EXACT: Readonly<Record<string, ActivityCategory>> = {
  "secretsmanager:GetSecretValue": "secret_read",
  "secretsmanager:BatchGetSecretValue": "secret_read",
  "ssm:GetParameter": "secret_read",
  "ssm:GetParameters": "secret_read",
  "ssm:GetParametersByPath": "secret_read",
  "kms:Decrypt": "secret_read",
  "iam:CreateAccessKey": "credential_creation",
  "iam:CreateLoginProfile": "credential_creation",
  "iam:UpdateLoginProfile": "credential_creation",
  "iam:CreateServiceSpecificCredential": "credential_creation",
  "iam:UploadSSHPublicKey": "credential_creation",
  "iam:UploadSigningCertificate": "credential_creation",
  "iam:PassRole": "pass_role",
  "iam:CreateOpenIDConnectProvider": "federation_change",
  "iam:UpdateOpenIDConnectProviderThumbprint": "federation_change",
  "iam:AddClientIDToOpenIDConnectProvider": "federation_change",
  "iam:CreateSAMLProvider": "federation_change",
  "iam:UpdateSAMLProvider": "federation_change",
  "sts:AssumeRole": "assume_role",
  "sts:AssumeRoleWithWebIdentity": "assume_role",
  "sts:AssumeRoleWithSAML": "assume_role",
};

/** IAM writes that change who may do what. */
const IAM_CHANGE = /^iam:(Attach|Detach|Put|Delete)(User|Role|Group)Policy$|^iam:(CreatePolicyVersion|SetDefaultPolicyVersion|UpdateAssumeRolePolicy|CreateRole|CreateUser|AddUserToGroup|PutRolePermissionsBoundary|PutUserPermissionsBoundary)$|^organizations:(AttachPolicy|DetachPolicy|UpdatePolicy)$/;

/** The IAM-style action of a CloudTrail event: `iam.amazonaws.com` + `CreateAccessKey` → `iam:CreateAccessKey`. */
export function awsActionOf(eventSource: string, eventName: string): string {
  const service = eventSource.endsWith(".amazonaws.com") ? eventSource.slice(0, -".amazonaws.com".length) : eventSource;
  return `${service}:${eventName}`;
}

export function awsActionCategory(action: string): ActivityCategory | undefined {
  return EXACT[action] ?? (IAM_CHANGE.test(action) ? "iam_change" : undefined);
}
