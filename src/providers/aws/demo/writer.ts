/**
 * Helpers that write AWS entities into the demo estate with the identifier conventions analysis
 * relies on: ARNs for principals and policies, `aws:account/<id>` scopes, `service:<name>` trust
 * sources, trust policies as `trust` policies plus one trust edge per trusted principal.
 *
 * Ids that AWS does not define are built the same way everywhere:
 * - inline policy: `<principal ARN>#inline/<policy name>`
 * - trust policy: `<role ARN>#trust`
 * - console password: `<user ARN>#login-profile`
 * - grant: `<principal id>-><policy id>`
 */
import type { Condition, Principal, Statement } from "../../../model/inventory.js";
import type { DemoEstate } from "../../../connectors/demo/estate.js";
import { compactGrant } from "../../../model/compact-grant.js";

export const CREDENTIAL_REPORT = "iam:GetCredentialReport";
export const AUTHORIZATION_DETAILS = "iam:GetAccountAuthorizationDetails";
/** RoleLastUsed only covers the trailing 400 days. */
export const ROLE_LAST_USED_WINDOW_DAYS = 400;

export const accountScope = (account: string) => `aws:account/${account}`;
export const userArn = (account: string, name: string, path = "/") => `arn:aws:iam::${account}:user${path}${name}`;
export const roleArn = (account: string, name: string, path = "/") => `arn:aws:iam::${account}:role${path}${name}`;
export const groupArn = (account: string, name: string) => `arn:aws:iam::${account}:group/${name}`;
export const customerPolicyArn = (account: string, name: string) => `arn:aws:iam::${account}:policy/${name}`;
export const awsManagedPolicyArn = (name: string, path = "/") => `arn:aws:iam::aws:policy${path}${name}`;

function accountOf(arn: string): string {
  const account = arn.split(":")[4];
  if (!account) throw new Error(`not an account-scoped ARN: ${arn}`);
  return account;
}

export interface TrustStatement {
  sid: string;
  /** Principal ARNs, account roots, `service:<name>` or an OIDC provider ARN. */
  from: string[];
  action?: "sts:AssumeRole" | "sts:AssumeRoleWithWebIdentity";
  conditions?: Condition[];
}

export interface RoleOptions {
  createdDaysAgo: number;
  /** undefined: RoleLastUsed is empty, i.e. not seen in the 400-day window. */
  lastUsedDaysAgo: number | undefined;
  lastUsedRegion?: string;
  trust: TrustStatement[];
  path?: string;
  description?: string;
  boundary?: string;
  tags?: Record<string, string>;
}

export interface UserOptions {
  workload: boolean;
  createdDaysAgo: number;
  path?: string;
  tags?: Record<string, string>;
  groups?: string[];
  boundary?: string;
}

export interface AccessKeyOptions {
  status: "active" | "inactive";
  createdDaysAgo: number;
  /** undefined: the credential report says N/A, i.e. never used. */
  lastUsedDaysAgo: number | undefined;
  lastUsedService?: string;
}

export class AwsWriter {
  private readonly users = new Map<string, Principal>();

  constructor(private readonly estate: DemoEstate) {}

  user(account: string, name: string, options: UserOptions): string {
    const id = userArn(account, name, options.path);
    const principal: Principal = {
      id,
      provider: "aws",
      kind: options.workload ? "service_account" : "user",
      workload: options.workload,
      name,
      scopeId: accountScope(account),
      uniqueId: `AIDA${this.estate.random.fromAlphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 17)}`,
      createdAt: this.estate.clock.daysAgo(options.createdDaysAgo),
      evidence: this.estate.evidence(AUTHORIZATION_DETAILS),
    };
    if (options.tags) principal.tags = options.tags;
    if (options.groups) principal.memberOf = options.groups;
    if (options.boundary) principal.permissionsBoundary = options.boundary;
    this.estate.principals.push(principal);
    this.users.set(id, principal);
    return id;
  }

  group(account: string, name: string): string {
    const id = groupArn(account, name);
    this.estate.principals.push({
      id,
      provider: "aws",
      kind: "group",
      workload: false,
      name,
      scopeId: accountScope(account),
      uniqueId: `AGPA${this.estate.random.fromAlphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 17)}`,
      evidence: this.estate.evidence(AUTHORIZATION_DETAILS),
    });
    return id;
  }

  role(account: string, name: string, options: RoleOptions): string {
    const id = roleArn(account, name, options.path);
    const trustPolicyId = `${id}#trust`;
    const principal: Principal = {
      id,
      provider: "aws",
      kind: "role",
      workload: true,
      name,
      scopeId: accountScope(account),
      uniqueId: `AROA${this.estate.random.fromAlphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 17)}`,
      createdAt: this.estate.clock.daysAgo(options.createdDaysAgo),
      trustPolicyId,
      lastActivity: this.estate.activity(AUTHORIZATION_DETAILS, "window", options.lastUsedDaysAgo, {
        windowDays: ROLE_LAST_USED_WINDOW_DAYS,
        detail: options.lastUsedRegion ?? "us-east-1",
      }),
      evidence: this.estate.evidence(AUTHORIZATION_DETAILS),
    };
    if (options.description) principal.description = options.description;
    if (options.boundary) principal.permissionsBoundary = options.boundary;
    if (options.tags) principal.tags = options.tags;
    this.estate.principals.push(principal);

    const statements: Statement[] = options.trust.map((t) => {
      const statement: Statement = {
        id: t.sid,
        effect: "Allow",
        actions: [t.action ?? "sts:AssumeRole"],
        principals: t.from,
      };
      if (t.conditions) statement.conditions = t.conditions;
      return statement;
    });
    this.estate.policies.push({
      id: trustPolicyId,
      provider: "aws",
      kind: "trust",
      name: `${name} trust policy`,
      scopeId: accountScope(account),
      statements,
      evidence: this.estate.evidence(AUTHORIZATION_DETAILS),
    });
    for (const t of options.trust) {
      for (const from of t.from) {
        const federated = t.action === "sts:AssumeRoleWithWebIdentity";
        this.estate.trustEdges.push({
          id: `${trustPolicyId}/${t.sid}/${from}`,
          provider: "aws",
          kind: federated ? "federation" : "assume_role",
          from,
          to: id,
          policyId: trustPolicyId,
          statementId: t.sid,
          ...(t.conditions ? { conditions: t.conditions } : {}),
          evidence: this.estate.evidence(AUTHORIZATION_DETAILS),
        });
      }
    }
    return id;
  }

  /** A customer-managed policy (or a boundary, which is a managed policy used as a boundary). */
  customerPolicy(
    account: string,
    name: string,
    statements: Statement[],
    options: { description?: string; kind?: "managed" | "boundary" } = {},
  ): string {
    const id = customerPolicyArn(account, name);
    this.estate.policies.push({
      id,
      provider: "aws",
      kind: options.kind ?? "managed",
      name,
      scopeId: accountScope(account),
      ...(options.description ? { description: options.description } : {}),
      statements,
      evidence: this.estate.evidence(AUTHORIZATION_DETAILS),
    });
    return id;
  }

  /** An AWS managed policy: global, no defining scope. */
  awsManagedPolicy(name: string, statements: Statement[], path = "/"): string {
    const id = awsManagedPolicyArn(name, path);
    this.estate.policies.push({
      id,
      provider: "aws",
      kind: "managed",
      name,
      statements,
      evidence: this.estate.evidence(AUTHORIZATION_DETAILS),
    });
    return id;
  }

  attach(principalId: string, policyId: string): void {
    this.estate.grants.push(compactGrant({
      id: `${principalId}->${policyId}`,
      provider: "aws",
      kind: "attachment",
      principalId,
      policyId,
      evidence: this.estate.evidence(AUTHORIZATION_DETAILS),
    }));
  }

  inline(principalId: string, name: string, statements: Statement[]): string {
    const id = `${principalId}#inline/${name}`;
    this.estate.policies.push({
      id,
      provider: "aws",
      kind: "inline",
      name,
      scopeId: accountScope(accountOf(principalId)),
      statements,
      evidence: this.estate.evidence(AUTHORIZATION_DETAILS),
    });
    this.estate.grants.push(compactGrant({
      id: `${principalId}->${id}`,
      provider: "aws",
      kind: "inline",
      principalId,
      policyId: id,
      evidence: this.estate.evidence(AUTHORIZATION_DETAILS),
    }));
    return id;
  }

  accessKey(user: string, keyId: string, options: AccessKeyOptions): void {
    const { clock } = this.estate;
    // The credential report is generated at most every 4 hours: its facts are a little older.
    this.estate.credentials.push({
      id: keyId,
      provider: "aws",
      kind: "access_key",
      principalId: user,
      scopeId: accountScope(accountOf(user)),
      status: options.status,
      createdAt: clock.daysAgo(options.createdDaysAgo),
      lastActivity: this.estate.activity(CREDENTIAL_REPORT, "lifetime", options.lastUsedDaysAgo, {
        detail: `${options.lastUsedService ?? "sts"} in us-east-1`,
        observedMinutesAgo: 130,
      }),
      evidence: this.estate.evidence(CREDENTIAL_REPORT, 130),
    });
  }

  password(user: string, options: { createdDaysAgo: number; lastUsedDaysAgo: number | undefined }): void {
    this.estate.credentials.push({
      id: `${user}#login-profile`,
      provider: "aws",
      kind: "password",
      principalId: user,
      scopeId: accountScope(accountOf(user)),
      name: "console password",
      status: "active",
      createdAt: this.estate.clock.daysAgo(options.createdDaysAgo),
      lastActivity: this.estate.activity(CREDENTIAL_REPORT, "lifetime", options.lastUsedDaysAgo, {
        detail: "AWS Management Console",
        observedMinutesAgo: 130,
      }),
      evidence: this.estate.evidence(CREDENTIAL_REPORT, 130),
    });
  }

  /**
   * A user's own activity is the freshest use of any of its credentials, as the credential report
   * shows it; a user with no used credential has never been used (the report covers its lifetime).
   */
  finishUsers(): void {
    const latestUse = new Map<string, string>();
    for (const credential of this.estate.credentials) {
      const used = credential.lastActivity?.lastUsedAt;
      if (!credential.principalId || !used || !this.users.has(credential.principalId)) continue;
      const current = latestUse.get(credential.principalId);
      if (!current || used > current) latestUse.set(credential.principalId, used);
    }
    for (const [id, user] of this.users) {
      const lastUsedAt = latestUse.get(id);
      user.lastActivity = {
        coverage: "lifetime",
        source: CREDENTIAL_REPORT,
        observedAt: this.estate.clock.minutesAgo(130),
        ...(lastUsedAt ? { lastUsedAt } : {}),
      };
    }
  }
}
