/**
 * AWS identifiers: ARNs (`arn:<partition>:<service>:<region>:<account>:<resource>`) and the
 * model's scope ids (`aws:organization/<o-id>`, `aws:ou/<ou-id>`, `aws:account/<12 digits>`).
 * The one place that takes an ARN apart.
 */
import type { ProviderIdGrammar } from "../provider.js";

const ACCOUNT_SCOPE = "aws:account/";

/** The parts of an ARN; undefined when the text is not an ARN. */
export function parseArn(id: string): { partition: string; service: string; region: string; account: string; resource: string } | undefined {
  if (!id.startsWith("arn:")) return undefined;
  const parts = id.split(":");
  if (parts.length < 6) return undefined;
  return { partition: parts[1] ?? "", service: parts[2] ?? "", region: parts[3] ?? "", account: parts[4] ?? "", resource: parts.slice(5).join(":") };
}

/**
 * The 12-digit account an ARN or account scope id names, if it names one. Asked on every request
 * a reverse question evaluates, so it finds the fifth field by position instead of splitting.
 */
export function awsAccountOf(id: string): string | undefined {
  if (id.startsWith(ACCOUNT_SCOPE)) return id.slice(ACCOUNT_SCOPE.length);
  if (!id.startsWith("arn:")) return undefined;
  let start = 0;
  for (let field = 0; field < 4; field++) {
    start = id.indexOf(":", start) + 1;
    if (start === 0) return undefined;
  }
  const end = id.indexOf(":", start);
  if (end - start !== 12) return undefined;
  for (let i = start; i < end; i++) {
    const code = id.charCodeAt(i);
    if (code < 48 || code > 57) return undefined;
  }
  return id.slice(start, end);
}

/** The account field of an ARN as written (may be empty, e.g. S3 buckets), or "" for other text. */
export function arnAccountField(arn: string | undefined): string {
  return (arn && parseArn(arn)?.account) ?? "";
}

export function awsPartitionOf(id: string | undefined): string {
  return (id && parseArn(id)?.partition) || "aws";
}

export function awsAccountScopeId(account: string): string {
  return `${ACCOUNT_SCOPE}${account}`;
}

export function awsAccountRoot(account: string, partition = "aws"): string {
  return `arn:${partition}:iam::${account}:root`;
}

export function isAwsRoleArn(id: string): boolean {
  return id.startsWith("arn:") && id.includes(":role/");
}

export function isAwsUserArn(id: string): boolean {
  return id.startsWith("arn:") && id.includes(":user/");
}

export const awsIds: ProviderIdGrammar = {
  owns: (id) => id.startsWith("arn:") || id.startsWith("aws:"),
  // Azure operations contain "/", so an action with a slash is never an AWS one.
  ownsAction: (action) => !action.includes("/") && action.includes(":"),
  caseInsensitiveIds: false,
  scopeCandidates(resource) {
    if (!resource.startsWith("arn:")) return [];
    const account = parseArn(resource)?.account ?? resource.split(":")[4];
    return account ? [awsAccountScopeId(account)] : [];
  },
  scopeNamedBy(id) {
    if (id.startsWith("aws:")) return id;
    const account = awsAccountOf(id);
    return account === undefined ? undefined : awsAccountScopeId(account);
  },
  policyVariables: true,
};
