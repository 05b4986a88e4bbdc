/**
 * "Are the credentials broader than read-only?" IAM's policy simulator is asked, for each identity
 * the server holds or assumes, whether it could perform actions the server never needs (writes,
 * credential creation, secret and data reads). Any `allowed` answer is a warning, or an error
 * with `strict: true`. Used by `wiam doctor`.
 */
import { parseArn } from "../ids.js";
import type { IAMClient } from "@aws-sdk/client-iam";
import type { STSClient } from "@aws-sdk/client-sts";
import type { AwsCallRunner } from "../calls.js";
import { iamReads, stsReads } from "../reads.js";
import { describeError } from "../errors.js";

/** Actions a read-only inventory server must never be able to perform. */
export const SENSITIVE_ACTIONS: readonly string[] = [
  "iam:CreateAccessKey",
  "iam:CreateLoginProfile",
  "iam:UpdateLoginProfile",
  "iam:CreateUser",
  "iam:PutUserPolicy",
  "iam:PutRolePolicy",
  "iam:AttachUserPolicy",
  "iam:AttachRolePolicy",
  "iam:UpdateAssumeRolePolicy",
  "iam:PassRole",
  "secretsmanager:GetSecretValue",
  "ssm:GetParameter",
  "kms:Decrypt",
  "s3:GetObject",
  "s3:PutObject",
  "ec2:RunInstances",
  "lambda:CreateFunction",
];

export interface BreadthCheck {
  /** The identity simulated. */
  principalArn: string;
  /** "base credentials" or the account whose read role it is. */
  role: string;
  /** Sensitive actions the simulator allowed. */
  allowedActions: string[];
}

export interface CredentialBreadthReport {
  /** The ARN the base credentials act as (sts:GetCallerIdentity), when they work. */
  identity?: string;
  checks: BreadthCheck[];
  warnings: string[];
  errors: string[];
}

/** What the breadth check needs from the connector: clients for the base identity and per-role sessions. */
export interface BreadthEnvironment {
  baseSts: STSClient;
  baseIam: IAMClient;
  runner: AwsCallRunner;
  /** The read roles to check, with an IAM client able to simulate each (a session in its account). */
  roles(): Promise<Array<{ label: string; roleArn: string; iam: IAMClient } | { label: string; roleArn: string; error: unknown }>>;
  strict: boolean;
  actions?: readonly string[];
}

async function simulate(env: BreadthEnvironment, iam: IAMClient, principalArn: string, scopeId: string): Promise<string[]> {
  const allowed: string[] = [];
  let marker: string | undefined;
  do {
    const page = await env.runner.call(
      iamReads.simulatePrincipalPolicy,
      iam,
      { PolicySourceArn: principalArn, ActionNames: [...(env.actions ?? SENSITIVE_ACTIONS)], ...(marker ? { Marker: marker } : {}) },
      scopeId,
    );
    for (const result of page.EvaluationResults ?? []) {
      if (result.EvalDecision === "allowed" && result.EvalActionName) allowed.push(result.EvalActionName);
    }
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return allowed.sort();
}

function accountOf(arn: string): string {
  return parseArn(arn)?.account || "unknown";
}

/** The IAM principal behind a caller ARN (an assumed-role session resolves to its role, path included). */
async function simulatablePrincipal(env: BreadthEnvironment, callerArn: string): Promise<string | { problem: string }> {
  const { partition, service, account, resource } = parseArn(callerArn) ?? { partition: "aws", service: "", account: "", resource: "" };
  if (service === "iam" && resource === "root") {
    return { problem: `the base credentials are the root user of account ${account}: unrestricted; use an IAM role or user with policies/aws-readonly.json` };
  }
  if (service === "iam" && resource.startsWith("user/")) return callerArn;
  const assumed = /^assumed-role\/([^/]+)\//.exec(resource);
  if (service === "sts" && assumed?.[1]) {
    const roleName = assumed[1];
    try {
      const role = await env.runner.call(iamReads.getRole, env.baseIam, { RoleName: roleName }, `aws:account/${account}`);
      return role.Role?.Arn ?? `arn:${partition}:iam::${account}:role/${roleName}`;
    } catch {
      // Without iam:GetRole the path is unknown; a role without a path still simulates correctly.
      return `arn:${partition}:iam::${account}:role/${roleName}`;
    }
  }
  return { problem: `cannot simulate ${callerArn}: only IAM users and roles can be checked` };
}

export async function checkCredentialBreadth(env: BreadthEnvironment): Promise<CredentialBreadthReport> {
  const report: CredentialBreadthReport = { checks: [], warnings: [], errors: [] };
  const findings: string[] = [];

  async function check(label: string, principalArn: string, iam: IAMClient, note: string): Promise<void> {
    try {
      const allowedActions = await simulate(env, iam, principalArn, `aws:account/${accountOf(principalArn)}`);
      report.checks.push({ principalArn, role: label, allowedActions });
      if (allowedActions.length > 0) {
        findings.push(`${label} (${principalArn}) is allowed ${allowedActions.join(", ")}: broader than the read-only access wiam needs (see policies/aws-readonly.json)${note}`);
      }
    } catch (error) {
      findings.push(`${label} (${principalArn}): breadth could not be checked (${describeError(error)}); grant iam:SimulatePrincipalPolicy or review it by hand`);
    }
  }

  try {
    const identity = await env.runner.call(stsReads.getCallerIdentity, env.baseSts, {}, undefined);
    const callerArn = identity.Arn ?? "unknown";
    report.identity = callerArn;
    const principal = await simulatablePrincipal(env, callerArn);
    if (typeof principal === "string") await check("base credentials", principal, env.baseIam, "");
    else findings.push(principal.problem);
  } catch (error) {
    report.errors.push(`no usable base AWS credentials: ${describeError(error)}`);
  }

  for (const role of await env.roles()) {
    if ("error" in role) {
      report.errors.push(`${role.label}: cannot assume ${role.roleArn}: ${describeError(role.error)}`);
      continue;
    }
    await check(role.label, role.roleArn, role.iam, "; wiam narrows each session with a read-only session policy, but anyone else who can assume the role gets all of it");
  }

  if (env.strict) report.errors.push(...findings);
  else report.warnings.push(...findings);
  return report;
}
