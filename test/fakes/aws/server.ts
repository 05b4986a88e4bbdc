/**
 * A wire-level fake of IAM, STS and Organizations on node:http, so tests and the benchmark drive
 * the real SDK clients (serialization, signing, parsing, pagination) instead of mocks.
 *
 * IAM and STS speak the AWS Query protocol (form-encoded POST `Action=...&Version=...`, XML
 * answers); Organizations, KMS and Secrets Manager speak JSON 1.1 with `X-Amz-Target` (KMS and
 * Secrets Manager serve only listings and policies: no key use, no secret values). The account a request reads is
 * chosen by its access key: the base key maps to the base account, and each ASIA key issued by
 * the fake's AssumeRole maps to the assumed role's account and carries that session's policy,
 * which the fake enforces. Faults (throttling, 5xx, delays, truncated bodies) are injectable.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { lambdaAction, lambdaOperation, MessagingError, SNS_NAMESPACE, snsAction, sqsAction } from "./messaging.js";
import type { AddressInfo } from "node:net";
import {
  FAKE_BASE_ACCESS_KEY_ID,
  FAKE_RESOURCE_REGION,
  fakeKeyArn,
  fakeSecretArn,
  type FakeAccessKey,
  type FakeAccount,
  type FakeEstate,
  type FakeGroup,
  type FakeInlinePolicy,
  type FakeManagedPolicy,
  type FakeRole,
  type FakeUser,
  type PolicyDocumentJson,
} from "./estate.js";
import { queryError, queryResponse, type XmlValue } from "./xml.js";

const IAM_NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/";
const STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";

export type FakeService = "iam" | "sts" | "organizations" | "kms" | "secretsmanager" | "s3" | "cloudtrail" | "sqs" | "sns" | "lambda";

/** IAM actions whose name differs from the operation's (session policies name the IAM action). */
const IAM_ACTION_OF: Record<string, string> = { "s3:ListBuckets": "s3:ListAllMyBuckets", "s3:ListObjectsV2": "s3:ListBucket" };

/** JSON 1.1 services and the X-Amz-Target prefix each uses. */
const JSON_TARGETS: Record<string, FakeService> = { AWSOrganizationsV20161128: "organizations", TrentService: "kms", secretsmanager: "secretsmanager", AmazonSQS: "sqs" };

export interface FakeRequest {
  service: FakeService;
  action: string;
  accountId: string | undefined;
  accessKeyId: string | undefined;
  /** The region in the request's SigV4 credential scope (S3 answers a bucket only in its own region). */
  signingRegion: string | undefined;
  params: Record<string, string>;
}

export interface AssumeRoleCall {
  RoleArn: string;
  RoleSessionName: string;
  DurationSeconds: number | undefined;
  SourceIdentity: string | undefined;
  ExternalId: string | undefined;
  Policy: string | undefined;
  callerAccessKeyId: string | undefined;
  issuedAccessKeyId: string | undefined;
}

export interface FaultRule {
  /** Operation name, e.g. "ListServerCertificates"; "*" for any. */
  action: string;
  accountId?: string;
  /** Only requests whose parameters have these values. */
  params?: Record<string, string>;
  /** How many matching requests to affect (default: all). */
  times?: number;
  /** error: answer status/code; delay: wait delayMs before answering; truncate: cut the body and drop the connection. */
  kind: "error" | "delay" | "truncate";
  status?: number;
  code?: string;
  delayMs?: number;
}

interface IssuedSession {
  accountId: string;
  roleArn: string;
  sessionName: string;
  sessionToken: string;
  allowedActions: string[] | undefined;
  sourceIdentity: string | undefined;
}

interface ReportState {
  generated: boolean;
  pendingGenerates: number;
  getErrors: string[];
}

class FakeError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface FakeAwsOptions {
  /** Added to every request, to model network and service time. */
  latencyMs?: number;
}

export class FakeAwsServer {
  readonly requests: FakeRequest[] = [];
  readonly assumeRoleCalls: AssumeRoleCall[] = [];
  private readonly faults: FaultRule[] = [];
  private readonly sessions = new Map<string, IssuedSession>();
  private readonly reports = new Map<string, ReportState>();
  private requestCounter = 0;
  private sessionCounter = 0;
  latencyMs: number;
  /** Record full request details (tests); the benchmark turns this off to save memory. */
  recordRequests = true;
  private readonly actionCounts = new Map<string, number>();

  private constructor(
    readonly estate: FakeEstate,
    private readonly server: Server,
    options: FakeAwsOptions,
  ) {
    this.latencyMs = options.latencyMs ?? 0;
  }

  static async start(estate: FakeEstate, options: FakeAwsOptions = {}): Promise<FakeAwsServer> {
    const server = createServer();
    const fake = new FakeAwsServer(estate, server, options);
    server.on("request", (request, response) => void fake.handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get url(): string {
    const address = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  addFault(rule: FaultRule): void {
    this.faults.push({ ...rule });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Requests per operation name (all services). */
  callCounts(): Record<string, number> {
    return Object.fromEntries([...this.actionCounts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  callsOf(action: string, accountId?: string): FakeRequest[] {
    return this.requests.filter((request) => request.action === action && (accountId === undefined || request.accountId === accountId));
  }

  resetLog(): void {
    this.requests.length = 0;
    this.assumeRoleCalls.length = 0;
    this.actionCounts.clear();
  }

  private nextRequestId(): string {
    this.requestCounter += 1;
    return `fake-request-${String(this.requestCounter).padStart(8, "0")}`;
  }

  private takeFault(action: string, accountId: string | undefined, params: Record<string, string>): FaultRule | undefined {
    for (const rule of this.faults) {
      if (rule.action !== "*" && rule.action !== action) continue;
      if (rule.accountId !== undefined && rule.accountId !== accountId) continue;
      if (rule.params && Object.entries(rule.params).some(([name, value]) => params[name] !== value)) continue;
      if (rule.times !== undefined) {
        if (rule.times <= 0) continue;
        rule.times -= 1;
      }
      return rule;
    }
    return undefined;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const requestId = this.nextRequestId();
    const target = request.headers["x-amz-target"];
    // CloudTrail's target is namespaced (com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents).
    const jsonService = typeof target === "string" ? (target.includes("CloudTrail_20131101") ? "cloudtrail" : JSON_TARGETS[target.split(".")[0] ?? ""]) : undefined;
    // Lambda is REST JSON under /2015-03-31/functions; S3 is REST: GET requests, the operation in
    // the path and query (IAM, STS, SNS and the JSON services POST).
    const lambda = lambdaOperation(request.method ?? "GET", request.url ?? "/");
    const s3 = !lambda && request.method === "GET" ? s3Operation(request.url ?? "/") : undefined;
    const queryVersion = new URLSearchParams(body).get("Version");
    const service: FakeService = lambda ? "lambda" : s3 ? "s3" : (jsonService ?? (queryVersion === "2011-06-15" ? "sts" : queryVersion === "2010-03-31" ? "sns" : "iam"));
    const isJson = jsonService !== undefined || lambda !== undefined;
    const params: Record<string, string> = lambda ? lambda.params : s3 ? s3.params : jsonService !== undefined ? flattenJson(body) : Object.fromEntries(new URLSearchParams(body).entries());
    const action = lambda ? lambda.action : s3 ? s3.action : jsonService !== undefined ? String(target).split(".").pop() ?? "" : params.Action ?? "";
    const expectedOwner = request.headers["x-amz-expected-bucket-owner"];
    if (typeof expectedOwner === "string") params.ExpectedBucketOwner = expectedOwner;
    let contentType = isJson ? "application/x-amz-json-1.1" : "text/xml";
    const accessKeyId = /Credential=([A-Z0-9]+)\//.exec(String(request.headers.authorization ?? ""))?.[1];
    const signingRegion = /Credential=[A-Z0-9]+\/\d{8}\/([a-z0-9-]+)\//.exec(String(request.headers.authorization ?? ""))?.[1];
    const session = accessKeyId ? this.sessions.get(accessKeyId) : undefined;
    const accountId = accessKeyId === FAKE_BASE_ACCESS_KEY_ID ? this.estate.baseAccountId : session?.accountId;
    this.actionCounts.set(action, (this.actionCounts.get(action) ?? 0) + 1);
    if (this.recordRequests) this.requests.push({ service, action, accountId, accessKeyId, signingRegion, params });

    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const fault = this.takeFault(action, accountId, params);
    if (fault?.kind === "delay") await sleep(fault.delayMs ?? 0);

    let status = 200;
    let payload: string | Buffer;
    try {
      if (fault?.kind === "error") throw new FakeError(fault.status ?? 500, fault.code ?? "InternalFailure", "injected fault");
      if (!accountId) throw new FakeError(403, "InvalidClientTokenId", "The security token included in the request is invalid.");
      if (session && request.headers["x-amz-security-token"] !== session.sessionToken) {
        throw new FakeError(403, "InvalidClientTokenId", "The session token does not match the access key.");
      }
      if (session && service !== "sts" && !allowedBySessionPolicy(session, IAM_ACTION_OF[`${service}:${action}`] ?? `${service}:${action}`)) {
        throw new FakeError(403, isJson ? "AccessDeniedException" : "AccessDenied", `not authorized to perform ${service}:${action} (session policy)`);
      }
      const account = this.estate.accounts[accountId];
      if (service === "s3") {
        if (!account) throw new FakeError(403, "AccessDenied", `no such account ${accountId}`);
        const answer = s3Action(action, params, account);
        payload = answer.body;
        contentType = answer.contentType;
      } else if (service === "organizations") payload = JSON.stringify(this.organizations(action, params, accountId));
      else if (service === "cloudtrail") {
        if (!account) throw new FakeError(403, "AccessDeniedException", `no such account ${accountId}`);
        payload = JSON.stringify(lookupEvents(params, account, signingRegion ?? "us-east-1"));
      } else if (service === "sqs" || service === "sns" || service === "lambda") {
        if (!account) throw new FakeError(403, "AccessDenied", `no such account ${accountId}`);
        try {
          if (service === "sns") payload = snsAction(action, params, account, requestId);
          else payload = JSON.stringify(service === "sqs" ? sqsAction(action, params, account, `http://${request.headers.host ?? "localhost"}`) : lambdaAction(action, params, account));
        } catch (error) {
          if (error instanceof MessagingError) throw new FakeError(error.status, error.code, error.message);
          throw error;
        }
      } else if (service === "kms" || service === "secretsmanager") {
        if (!account) throw new FakeError(403, "AccessDeniedException", `no such account ${accountId}`);
        payload = JSON.stringify(service === "kms" ? kmsAction(action, params, account) : secretsManagerAction(action, params, account));
      }
      else if (service === "sts") payload = queryResponse(action, STS_NAMESPACE, this.sts(action, params, accountId, accessKeyId, session), requestId);
      else {
        if (!account) throw new FakeError(403, "AccessDenied", `no such account ${accountId}`);
        payload = queryResponse(action, IAM_NAMESPACE, this.iam(action, params, account), requestId);
      }
    } catch (error) {
      if (!(error instanceof FakeError)) throw error;
      status = error.status;
      payload =
        service === "s3"
          ? s3Error(error.code, error.message, requestId)
          : isJson
          ? JSON.stringify({ __type: error.code, message: error.message })
          : queryError(service === "sts" ? STS_NAMESPACE : service === "sns" ? SNS_NAMESPACE : IAM_NAMESPACE, error.status >= 500 ? "Receiver" : "Sender", error.code, error.message, requestId);
    }
    const bytes = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
    response.writeHead(status, {
      "content-type": status === 200 ? contentType : service === "s3" ? "application/xml" : isJson ? "application/x-amz-json-1.1" : "text/xml",
      "content-length": String(bytes.length),
      "x-amzn-requestid": requestId,
    });
    if (fault?.kind === "truncate") {
      response.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
      response.socket?.destroy();
      return;
    }
    response.end(bytes);
  }

  // ---------------------------------------------------------------- STS

  private sts(action: string, params: Record<string, string>, callerAccount: string, accessKeyId: string | undefined, session: IssuedSession | undefined): Record<string, XmlValue> {
    if (action === "GetCallerIdentity") {
      if (session) {
        return {
          UserId: `AROAEXAMPLE:${session.sessionName}`,
          Account: session.accountId,
          Arn: `arn:aws:sts::${session.accountId}:assumed-role/${session.roleArn.split("/").pop() ?? ""}/${session.sessionName}`,
        };
      }
      return { UserId: "AIDAEXAMPLEBASEUSER01", Account: callerAccount, Arn: this.estate.baseIdentityArn };
    }
    if (action !== "AssumeRole") throw new FakeError(400, "InvalidAction", `unsupported STS action ${action}`);
    const roleArn = params.RoleArn ?? "";
    const sessionName = params.RoleSessionName ?? "";
    const durationText = params.DurationSeconds;
    const duration = durationText === undefined ? 3600 : Number(durationText);
    const call: AssumeRoleCall = {
      RoleArn: roleArn,
      RoleSessionName: sessionName,
      DurationSeconds: durationText === undefined ? undefined : duration,
      SourceIdentity: params.SourceIdentity,
      ExternalId: params.ExternalId,
      Policy: params.Policy,
      callerAccessKeyId: accessKeyId,
      issuedAccessKeyId: undefined,
    };
    this.assumeRoleCalls.push(call);
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) throw new FakeError(400, "ValidationError", "invalid RoleSessionName");
    if (params.SourceIdentity !== undefined && !/^[\w+=,.@-]{2,64}$/.test(params.SourceIdentity)) throw new FakeError(400, "ValidationError", "invalid SourceIdentity");
    if (!(duration >= 900 && duration <= 43_200)) throw new FakeError(400, "ValidationError", "DurationSeconds out of range");
    let allowedActions: string[] | undefined;
    if (params.Policy !== undefined) {
      if (JSON.stringify(JSON.parse(params.Policy)).length > 2048) throw new FakeError(400, "PackedPolicyTooLarge", "session policy too large");
      allowedActions = sessionPolicyActions(JSON.parse(params.Policy) as PolicyDocumentJson);
    }
    const targetAccountId = roleArn.split(":")[4] ?? "";
    const roleName = roleArn.split("/").pop() ?? "";
    const role = this.estate.accounts[targetAccountId]?.roles.find((candidate) => candidate.name === roleName);
    if (!role) throw new FakeError(403, "AccessDenied", `User is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    if (role.externalId !== undefined && role.externalId !== params.ExternalId) {
      throw new FakeError(403, "AccessDenied", "external id does not match");
    }
    this.sessionCounter += 1;
    // ASIA + EXAMPLE + a counter: 20 characters like a real key id, obviously fake.
    const issued = `ASIAEXAMPLE${String(this.sessionCounter).padStart(9, "0")}`;
    call.issuedAccessKeyId = issued;
    const sessionToken = `FAKE-EXAMPLE-session-token-${this.sessionCounter}-${targetAccountId}`;
    this.sessions.set(issued, { accountId: targetAccountId, roleArn, sessionName, sessionToken, allowedActions, sourceIdentity: params.SourceIdentity });
    return {
      Credentials: {
        AccessKeyId: issued,
        SecretAccessKey: `EXAMPLEfakeSessionSecretKey${String(this.sessionCounter).padStart(13, "0")}`,
        SessionToken: sessionToken,
        Expiration: new Date(Date.now() + duration * 1000),
      },
      AssumedRoleUser: { AssumedRoleId: `${role.id}:${sessionName}`, Arn: `arn:aws:sts::${targetAccountId}:assumed-role/${roleName}/${sessionName}` },
      PackedPolicySize: params.Policy === undefined ? undefined : 10,
      SourceIdentity: params.SourceIdentity,
    };
  }

  // ---------------------------------------------------------------- IAM

  private iam(action: string, params: Record<string, string>, account: FakeAccount): Record<string, XmlValue> {
    switch (action) {
      case "GetAccountAuthorizationDetails":
        return this.authorizationDetails(params, account);
      case "GenerateCredentialReport":
        return this.generateReport(account);
      case "GetCredentialReport":
        return this.getReport(account);
      case "ListAccessKeys": {
        const user = findUser(account, params.UserName);
        const page = paginate(user.accessKeys ?? [], params, 100);
        return {
          AccessKeyMetadata: page.items.map((key) => ({ UserName: user.name, AccessKeyId: key.id, Status: key.status, CreateDate: key.created })),
          IsTruncated: page.isTruncated,
          Marker: page.marker,
        };
      }
      case "GetAccessKeyLastUsed": {
        for (const user of account.users) {
          const key = user.accessKeys?.find((candidate) => candidate.id === params.AccessKeyId);
          if (key) {
            return {
              UserName: user.name,
              AccessKeyLastUsed: key.lastUsed
                ? { LastUsedDate: key.lastUsed.date, ServiceName: key.lastUsed.service, Region: key.lastUsed.region }
                : { ServiceName: "N/A", Region: "N/A" },
            };
          }
        }
        throw new FakeError(404, "NoSuchEntity", "access key not found");
      }
      case "GetLoginProfile": {
        const user = findUser(account, params.UserName);
        if (!user.password) throw new FakeError(404, "NoSuchEntity", `Login Profile for User ${user.name} cannot be found.`);
        return { LoginProfile: { UserName: user.name, CreateDate: user.password.created, PasswordResetRequired: false } };
      }
      case "ListSigningCertificates": {
        const user = findUser(account, params.UserName);
        const page = paginate(user.signingCertificates ?? [], params, 100);
        return {
          Certificates: page.items.map((certificate) => ({
            UserName: user.name,
            CertificateId: certificate.id,
            CertificateBody: certificate.body,
            Status: certificate.status,
            UploadDate: certificate.uploaded,
          })),
          IsTruncated: page.isTruncated,
          Marker: page.marker,
        };
      }
      case "ListServerCertificates": {
        const page = paginate(account.serverCertificates ?? [], params, 100);
        return {
          ServerCertificateMetadataList: page.items.map((certificate) => ({
            Path: certificate.path ?? "/",
            ServerCertificateName: certificate.name,
            ServerCertificateId: certificate.id,
            Arn: `arn:aws:iam::${account.id}:server-certificate${certificate.path ?? "/"}${certificate.name}`,
            UploadDate: certificate.uploaded,
            Expiration: certificate.expiration,
          })),
          IsTruncated: page.isTruncated,
          Marker: page.marker,
        };
      }
      case "ListOpenIDConnectProviders":
        return { OpenIDConnectProviderList: (account.oidcProviders ?? []).map((url) => ({ Arn: `arn:aws:iam::${account.id}:oidc-provider/${url}` })) };
      case "ListSAMLProviders":
        return {
          SAMLProviderList: (account.samlProviders ?? []).map((provider) => ({
            Arn: `arn:aws:iam::${account.id}:saml-provider/${provider.name}`,
            ValidUntil: provider.validUntil,
            CreateDate: provider.created,
          })),
        };
      case "SimulatePrincipalPolicy": {
        const principal = params.PolicySourceArn ?? "";
        const exists =
          account.users.some((user) => userArn(account, user) === principal) ||
          account.roles.some((role) => roleArn(account, role) === principal) ||
          principal === this.estate.baseIdentityArn;
        if (!exists) throw new FakeError(400, "NoSuchEntity", `no principal ${principal}`);
        const allowed = new Set(account.simulation?.[principal] ?? []);
        const actions = listParam(params, "ActionNames");
        const page = paginate(actions, params, 100);
        return {
          EvaluationResults: page.items.map((action) => ({ EvalActionName: action, EvalResourceName: "*", EvalDecision: allowed.has(action) ? "allowed" : "implicitDeny" })),
          IsTruncated: page.isTruncated,
          Marker: page.marker,
        };
      }
      case "GetRole": {
        const role = account.roles.find((candidate) => candidate.name === params.RoleName);
        if (!role) throw new FakeError(404, "NoSuchEntity", `role ${params.RoleName ?? ""} not found`);
        return { Role: { Path: role.path ?? "/", RoleName: role.name, RoleId: role.id, Arn: roleArn(account, role), CreateDate: role.created, AssumeRolePolicyDocument: encodeDocument(role.trust) } };
      }
      default:
        throw new FakeError(400, "InvalidAction", `unsupported IAM action ${action}`);
    }
  }

  private authorizationDetails(params: Record<string, string>, account: FakeAccount): Record<string, XmlValue> {
    type Item = { kind: "user"; value: FakeUser } | { kind: "group"; value: FakeGroup } | { kind: "role"; value: FakeRole } | { kind: "policy"; value: FakeManagedPolicy };
    const items: Item[] = [
      ...account.users.map((value): Item => ({ kind: "user", value })),
      ...account.groups.map((value): Item => ({ kind: "group", value })),
      ...account.roles.map((value): Item => ({ kind: "role", value })),
      ...account.policies.map((value): Item => ({ kind: "policy", value })),
    ];
    const page = paginate(items, params, 100);
    const policyName = (arn: string) => arn.split("/").pop() ?? arn;
    const attached = (arns: string[] | undefined) => (arns ?? []).map((arn) => ({ PolicyName: policyName(arn), PolicyArn: arn }));
    const inline = (policies: FakeInlinePolicy[] | undefined) => (policies ?? []).map((policy) => ({ PolicyName: policy.name, PolicyDocument: encodeDocument(policy.document) }));
    const boundary = (arn: string | undefined) => (arn ? { PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: arn } : undefined);
    const tags = (record: Record<string, string> | undefined) => (record ? Object.entries(record).map(([Key, Value]) => ({ Key, Value })) : undefined);
    const users: XmlValue[] = [];
    const groups: XmlValue[] = [];
    const roles: XmlValue[] = [];
    const policies: XmlValue[] = [];
    for (const item of page.items) {
      if (item.kind === "user") {
        const user = item.value;
        users.push({
          Path: user.path ?? "/",
          UserName: user.name,
          UserId: user.id,
          Arn: userArn(account, user),
          CreateDate: user.created,
          UserPolicyList: inline(user.inline),
          GroupList: user.groups ?? [],
          AttachedManagedPolicies: attached(user.attached),
          PermissionsBoundary: boundary(user.boundary),
          Tags: tags(user.tags),
        });
      } else if (item.kind === "group") {
        const group = item.value;
        groups.push({
          Path: group.path ?? "/",
          GroupName: group.name,
          GroupId: group.id,
          Arn: `arn:aws:iam::${account.id}:group${group.path ?? "/"}${group.name}`,
          CreateDate: group.created,
          GroupPolicyList: inline(group.inline),
          AttachedManagedPolicies: attached(group.attached),
        });
      } else if (item.kind === "role") {
        const role = item.value;
        roles.push({
          Path: role.path ?? "/",
          RoleName: role.name,
          RoleId: role.id,
          Arn: roleArn(account, role),
          CreateDate: role.created,
          AssumeRolePolicyDocument: encodeDocument(role.trust),
          InstanceProfileList: (role.instanceProfiles ?? []).map((name, index) => ({
            Path: "/",
            InstanceProfileName: name,
            InstanceProfileId: `AIPAEXAMPLE${String(index).padStart(10, "0")}`,
            Arn: `arn:aws:iam::${account.id}:instance-profile/${name}`,
            CreateDate: role.created,
            Roles: [],
          })),
          RolePolicyList: inline(role.inline),
          AttachedManagedPolicies: attached(role.attached),
          PermissionsBoundary: boundary(role.boundary),
          Tags: tags(role.tags),
          RoleLastUsed: role.lastUsed ? { LastUsedDate: role.lastUsed.date, Region: role.lastUsed.region } : {},
        });
      } else {
        const policy = item.value;
        const older = policy.olderVersions ?? [];
        const defaultVersion = `v${older.length + 1}`;
        policies.push({
          PolicyName: policy.name,
          PolicyId: policy.id,
          Arn: policy.arn,
          Path: policy.path ?? "/",
          DefaultVersionId: defaultVersion,
          AttachmentCount: 1,
          PermissionsBoundaryUsageCount: 0,
          IsAttachable: true,
          Description: policy.description,
          CreateDate: policy.created ?? "2024-01-01T00:00:00Z",
          UpdateDate: policy.created ?? "2024-01-01T00:00:00Z",
          PolicyVersionList: [
            ...older.map((document, index) => ({ Document: encodeDocument(document), VersionId: `v${index + 1}`, IsDefaultVersion: false, CreateDate: "2023-01-01T00:00:00Z" })),
            { Document: encodeDocument(policy.document), VersionId: defaultVersion, IsDefaultVersion: true, CreateDate: "2024-01-01T00:00:00Z" },
          ],
        });
      }
    }
    return {
      UserDetailList: users,
      GroupDetailList: groups,
      RoleDetailList: roles,
      Policies: policies,
      IsTruncated: page.isTruncated,
      Marker: page.marker,
    };
  }

  private reportState(account: FakeAccount): ReportState {
    let state = this.reports.get(account.id);
    if (!state) {
      const behaviour = account.credentialReport ?? {};
      state = { generated: (behaviour.pendingGenerates ?? 0) === 0, pendingGenerates: behaviour.pendingGenerates ?? 0, getErrors: [...(behaviour.getErrors ?? [])] };
      this.reports.set(account.id, state);
    }
    return state;
  }

  private generateReport(account: FakeAccount): Record<string, XmlValue> {
    if (account.credentialReport?.denied) throw new FakeError(403, "AccessDenied", "not authorized to perform iam:GenerateCredentialReport");
    const state = this.reportState(account);
    if (state.generated) return { State: "COMPLETE", Description: "" };
    const first = state.pendingGenerates === (account.credentialReport?.pendingGenerates ?? 0);
    state.pendingGenerates -= 1;
    if (state.pendingGenerates <= 0) state.generated = true;
    return { State: first ? "STARTED" : "INPROGRESS", Description: "No report exists. Starting a new report generation task" };
  }

  private getReport(account: FakeAccount): Record<string, XmlValue> {
    if (account.credentialReport?.denied) throw new FakeError(403, "AccessDenied", "not authorized to perform iam:GetCredentialReport");
    const state = this.reportState(account);
    const error = state.getErrors.shift();
    if (error === "ReportExpired" || error === "ReportNotPresent") {
      state.generated = false;
      state.pendingGenerates = 1;
      throw new FakeError(410, error, "the credential report is not present or has expired");
    }
    if (error === "ReportInProgress") throw new FakeError(404, error, "the report is being generated");
    if (!state.generated) throw new FakeError(410, "ReportNotPresent", "no credential report; call GenerateCredentialReport");
    return {
      Content: Buffer.from(credentialReportCsv(account), "utf8").toString("base64"),
      ReportFormat: "text/csv",
      GeneratedTime: account.credentialReport?.generatedAt ?? new Date().toISOString(),
    };
  }

  // ---------------------------------------------------------------- Organizations

  private organizations(action: string, params: Record<string, string>, callerAccount: string): Record<string, unknown> {
    const organization = this.estate.organization;
    if (!organization) throw new FakeError(400, "AWSOrganizationsNotInUseException", "Your account is not a member of an organization.");
    if (callerAccount !== organization.managementAccountId) throw new FakeError(400, "AccessDeniedException", "only the management account may read the organization");
    const epoch = (iso: string) => Date.parse(iso) / 1000;
    const arnOf = (kind: string, id: string) => `arn:aws:organizations::${organization.managementAccountId}:${kind}/${organization.id}/${id}`;
    switch (action) {
      case "ListRoots": {
        const page = tokenPage([{ Id: organization.rootId, Arn: arnOf("root", organization.rootId), Name: "Root", PolicyTypes: [] }], params);
        return { Roots: page.items, NextToken: page.next };
      }
      case "ListOrganizationalUnitsForParent": {
        const units = organization.units.filter((unit) => unit.parentId === params.ParentId).map((unit) => ({ Id: unit.id, Arn: arnOf("ou", unit.id), Name: unit.name }));
        const page = tokenPage(units, params);
        return { OrganizationalUnits: page.items, NextToken: page.next };
      }
      case "ListAccountsForParent": {
        const accounts = organization.accounts
          .filter((account) => account.parentId === params.ParentId)
          .map((account) => ({
            Id: account.id,
            Arn: `arn:aws:organizations::${organization.managementAccountId}:account/${organization.id}/${account.id}`,
            Email: account.email,
            Name: account.name,
            Status: "ACTIVE",
            State: "ACTIVE",
            JoinedMethod: "CREATED",
            JoinedTimestamp: epoch("2023-01-01T00:00:00Z"),
          }));
        const page = tokenPage(accounts, params);
        return { Accounts: page.items, NextToken: page.next };
      }
      case "ListPolicies": {
        if (params.Filter !== "SERVICE_CONTROL_POLICY" && params.Filter !== "RESOURCE_CONTROL_POLICY") throw new FakeError(400, "InvalidInputException", "unsupported filter");
        const listed = params.Filter === "SERVICE_CONTROL_POLICY" ? organization.scps : (organization.rcps ?? []);
        const page = tokenPage(listed.map((scp) => policySummary(organization, scp, params.Filter === "RESOURCE_CONTROL_POLICY")), params);
        return { Policies: page.items, NextToken: page.next };
      }
      case "DescribePolicy": {
        const scp = [...organization.scps, ...(organization.rcps ?? [])].find((candidate) => candidate.id === params.PolicyId);
        if (!scp) throw new FakeError(400, "PolicyNotFoundException", "no such policy");
        const resourceControl = (organization.rcps ?? []).includes(scp);
        return { Policy: { PolicySummary: policySummary(organization, scp, resourceControl), Content: JSON.stringify(scp.content) } };
      }
      case "ListTargetsForPolicy": {
        const scp = [...organization.scps, ...(organization.rcps ?? [])].find((candidate) => candidate.id === params.PolicyId);
        if (!scp) throw new FakeError(400, "PolicyNotFoundException", "no such policy");
        const targets = scp.targets.map((id) => {
          const type = id.startsWith("r-") ? "ROOT" : id.startsWith("ou-") ? "ORGANIZATIONAL_UNIT" : "ACCOUNT";
          const name = organization.units.find((unit) => unit.id === id)?.name ?? organization.accounts.find((account) => account.id === id)?.name ?? "Root";
          return { TargetId: id, Arn: arnOf(type === "ROOT" ? "root" : type === "ACCOUNT" ? "account" : "ou", id), Name: name, Type: type };
        });
        const page = tokenPage(targets, params);
        return { Targets: page.items, NextToken: page.next };
      }
      default:
        throw new FakeError(400, "InvalidAction", `unsupported Organizations action ${action}`);
    }
  }
}

// ---------------------------------------------------------------- KMS and Secrets Manager (metadata and policies only)

function kmsAction(action: string, params: Record<string, string>, account: FakeAccount): Record<string, unknown> {
  const keys = account.kmsKeys ?? [];
  switch (action) {
    case "ListKeys": {
      // Pages of 2 (the real default is 100), so small estates still page.
      const start = params.Marker ? Number(params.Marker.replace("marker-", "")) : 0;
      const end = start + 2;
      const truncated = end < keys.length;
      return { Keys: keys.slice(start, end).map((key) => ({ KeyId: key.id, KeyArn: fakeKeyArn(account.id, key.id) })), Truncated: truncated, ...(truncated ? { NextMarker: `marker-${end}` } : {}) };
    }
    case "GetKeyPolicy": {
      const keyId = params.KeyId ?? "";
      const key = keys.find((candidate) => candidate.id === keyId || fakeKeyArn(account.id, candidate.id) === keyId);
      if (!key) throw new FakeError(400, "NotFoundException", `Key '${keyId}' does not exist`);
      if ((params.PolicyName ?? "default") !== "default") throw new FakeError(400, "NotFoundException", "No such policy exists");
      return { Policy: JSON.stringify(key.policy), PolicyName: "default" };
    }
    case "ListAliases": {
      // One page: fixtures hold few aliases.
      const aliases = Object.entries(account.kmsAliases ?? {}).map(([name, keyId]) => ({
        AliasName: name,
        AliasArn: `arn:aws:kms:${FAKE_RESOURCE_REGION}:${account.id}:${name}`,
        TargetKeyId: keyId,
      }));
      return { Aliases: aliases, Truncated: false };
    }
    case "ListGrants": {
      const keyId = params.KeyId ?? "";
      const key = keys.find((candidate) => candidate.id === keyId || fakeKeyArn(account.id, candidate.id) === keyId);
      if (!key) throw new FakeError(400, "NotFoundException", `Key '${keyId}' does not exist`);
      const grants = (key.grants ?? []).map((grant) => ({
        KeyId: fakeKeyArn(account.id, key.id),
        GrantId: grant.id,
        GranteePrincipal: grant.grantee,
        IssuingAccount: `arn:aws:iam::${account.id}:root`,
        Operations: grant.operations,
        ...(grant.encryptionContextEquals ? { Constraints: { EncryptionContextEquals: grant.encryptionContextEquals } } : {}),
      }));
      return { Grants: grants, Truncated: false };
    }
    default:
      throw new FakeError(400, "UnknownOperationException", `unsupported KMS action ${action}`);
  }
}

function secretsManagerAction(action: string, params: Record<string, string>, account: FakeAccount): Record<string, unknown> {
  const secrets = account.secrets ?? [];
  switch (action) {
    case "ListSecrets": {
      const page = tokenPage(secrets, { ...params, MaxResults: "2" });
      return {
        SecretList: page.items.map((secret) => ({
          ARN: fakeSecretArn(account.id, secret),
          Name: secret.name,
          ...(secret.kmsKeyId ? { KmsKeyId: secret.kmsKeyId } : {}),
          ...(secret.tags ? { Tags: Object.entries(secret.tags).map(([Key, Value]) => ({ Key, Value })) } : {}),
        })),
        ...(page.next ? { NextToken: page.next } : {}),
      };
    }
    case "GetResourcePolicy": {
      const id = params.SecretId ?? "";
      const secret = secrets.find((candidate) => candidate.name === id || fakeSecretArn(account.id, candidate) === id);
      if (!secret) throw new FakeError(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
      return { ARN: fakeSecretArn(account.id, secret), Name: secret.name, ...(secret.policy ? { ResourcePolicy: JSON.stringify(secret.policy) } : {}) };
    }
    default:
      throw new FakeError(400, "UnknownOperationException", `unsupported Secrets Manager action ${action}`);
  }
}

// ---------------------------------------------------------------- S3 (bucket list and bucket policies only)

function s3Operation(url: string): { action: string; params: Record<string, string> } | undefined {
  const parsed = new URL(url, "http://fake.invalid");
  const bucket = decodeURIComponent(parsed.pathname.replace(/^\//, "").split("/")[0] ?? "");
  const params: Record<string, string> = Object.fromEntries(parsed.searchParams.entries());
  if (bucket === "") return { action: "ListBuckets", params };
  if (parsed.searchParams.has("policy")) return { action: "GetBucketPolicy", params: { ...params, Bucket: bucket } };
  const key = decodeURIComponent(parsed.pathname.replace(/^\/[^/]*\/?/, ""));
  if (key.length > 0) return { action: "GetObject", params: { ...params, Bucket: bucket, Key: key } };
  if (parsed.searchParams.get("list-type") === "2") return { action: "ListObjectsV2", params: { ...params, Bucket: bucket } };
  return { action: `Unsupported:${parsed.search}`, params: { ...params, Bucket: bucket } };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function s3Error(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message><RequestId>${requestId}</RequestId></Error>`;
}

function s3Action(action: string, params: Record<string, string>, account: FakeAccount): { body: string | Buffer; contentType: string } {
  const buckets = account.buckets ?? [];
  switch (action) {
    case "ListBuckets": {
      // Pages of 2 (the real maximum is 10 000), so small estates still page.
      const start = params["continuation-token"] ? Number(params["continuation-token"].replace("bucket-", "")) : 0;
      const end = start + Math.min(2, Number(params["max-buckets"] ?? 2));
      const entries = buckets
        .slice(start, end)
        .map((bucket) => `<Bucket><Name>${escapeXml(bucket.name)}</Name><CreationDate>2025-01-01T00:00:00.000Z</CreationDate><BucketRegion>${bucket.region ?? "us-east-1"}</BucketRegion></Bucket>`)
        .join("");
      const next = end < buckets.length ? `<ContinuationToken>bucket-${end}</ContinuationToken>` : "";
      return {
        body: `<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>EXAMPLE-canonical-${account.id}</ID></Owner><Buckets>${entries}</Buckets>${next}</ListAllMyBucketsResult>`,
        contentType: "application/xml",
      };
    }
    case "ListObjectsV2": {
      // The trail bucket's log files (#18); pages of 2 so small fixtures still page.
      const prefix = `${params.Bucket ?? ""}/${params.prefix ?? ""}`;
      const keys = Object.keys(account.trailObjects ?? {}).filter((key) => key.startsWith(prefix)).sort();
      const start = params["continuation-token"] ? Number(params["continuation-token"].replace("objects-", "")) : 0;
      const end = start + 2;
      const contents = keys
        .slice(start, end)
        .map((key) => `<Contents><Key>${escapeXml(key.slice((params.Bucket ?? "").length + 1))}</Key><Size>${account.trailObjects?.[key]?.length ?? 0}</Size><LastModified>2026-03-10T00:00:00.000Z</LastModified></Contents>`)
        .join("");
      const truncated = end < keys.length;
      return {
        body: `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${escapeXml(params.Bucket ?? "")}</Name><Prefix>${escapeXml(params.prefix ?? "")}</Prefix><KeyCount>${Math.min(2, keys.length - start)}</KeyCount><IsTruncated>${truncated}</IsTruncated>${contents}${truncated ? `<NextContinuationToken>objects-${end}</NextContinuationToken>` : ""}</ListBucketResult>`,
        contentType: "application/xml",
      };
    }
    case "GetObject": {
      const object = account.trailObjects?.[`${params.Bucket ?? ""}/${params.Key ?? ""}`];
      if (object === undefined) throw new FakeError(404, "NoSuchKey", "The specified key does not exist.");
      const kmsDenied = account.trailObjectsKmsDenied?.[`${params.Bucket ?? ""}/${params.Key ?? ""}`];
      if (kmsDenied !== undefined) {
        throw new FakeError(
          403,
          kmsDenied,
          `User: arn:aws:sts::${account.id}:assumed-role/wiam-readonly/session is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:${account.id}:key/0a1b2c3d-EXAMPLE because no identity-based policy allows the kms:Decrypt action`,
        );
      }
      return { body: object, contentType: "application/octet-stream" };
    }
    case "GetBucketPolicy": {
      const bucket = buckets.find((candidate) => candidate.name === params.Bucket);
      if (!bucket) throw new FakeError(404, "NoSuchBucket", "The specified bucket does not exist");
      if (params.ExpectedBucketOwner !== undefined && params.ExpectedBucketOwner !== account.id) throw new FakeError(403, "AccessDenied", "Access Denied");
      if (!bucket.policy) throw new FakeError(404, "NoSuchBucketPolicy", "The bucket policy does not exist");
      return { body: JSON.stringify(bucket.policy), contentType: "application/json" };
    }
    default:
      throw new FakeError(400, "NotImplemented", `unsupported S3 request ${action}`);
  }
}

// ---------------------------------------------------------------- CloudTrail (event history, #18)

/** LookupEvents: the region's records newest first within [StartTime, EndTime], MaxResults a page. */
function lookupEvents(params: Record<string, string>, account: FakeAccount, region: string): Record<string, unknown> {
  const from = params.StartTime === undefined ? -Infinity : Number(params.StartTime) * 1000;
  const to = params.EndTime === undefined ? Infinity : Number(params.EndTime) * 1000;
  const records = (account.cloudTrailEvents?.[region] ?? [])
    .filter((record) => {
      const time = Date.parse(String(record.eventTime));
      return time >= from && time <= to;
    })
    .sort((a, b) => Date.parse(String(b.eventTime)) - Date.parse(String(a.eventTime)));
  const size = Math.min(50, Number(params.MaxResults ?? 50));
  const start = params.NextToken ? Number(params.NextToken.replace("events-", "")) : 0;
  const end = start + size;
  return {
    Events: records.slice(start, end).map((record) => ({
      EventId: record.eventID,
      EventName: record.eventName,
      EventTime: Date.parse(String(record.eventTime)) / 1000,
      EventSource: record.eventSource,
      CloudTrailEvent: JSON.stringify(record),
    })),
    ...(end < records.length ? { NextToken: `events-${end}` } : {}),
  };
}

function policySummary(organization: NonNullable<FakeEstate["organization"]>, scp: NonNullable<FakeEstate["organization"]>["scps"][number], resourceControl = false): Record<string, unknown> {
  const type = resourceControl ? "RESOURCE_CONTROL_POLICY" : "SERVICE_CONTROL_POLICY";
  return {
    Id: scp.id,
    Arn: `arn:aws:organizations::${organization.managementAccountId}:policy/${organization.id}/${type.toLowerCase()}/${scp.id}`,
    Name: scp.name,
    Description: scp.description ?? "",
    Type: type,
    AwsManaged: scp.awsManaged ?? false,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function flattenJson(body: string): Record<string, string> {
  const parsed = body.length > 0 ? (JSON.parse(body) as Record<string, unknown>) : {};
  return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]));
}

/** Query-protocol list parameters: Name.member.1, Name.member.2 ... */
function listParam(params: Record<string, string>, name: string): string[] {
  const values: string[] = [];
  for (let index = 1; params[`${name}.member.${index}`] !== undefined; index++) values.push(params[`${name}.member.${index}`] as string);
  return values;
}

/** IAM returns policy documents RFC 3986 URL-encoded. */
export function encodeDocument(document: PolicyDocumentJson): string {
  return encodeURIComponent(JSON.stringify(document));
}

function paginate<T>(items: readonly T[], params: Record<string, string>, defaultMax: number): { items: T[]; isTruncated: boolean; marker: string | undefined } {
  const start = params.Marker ? Number(Buffer.from(params.Marker, "base64").toString("utf8").replace("offset:", "")) : 0;
  const max = params.MaxItems ? Number(params.MaxItems) : defaultMax;
  const slice = items.slice(start, start + max);
  const end = start + slice.length;
  const isTruncated = end < items.length;
  return { items: slice, isTruncated, marker: isTruncated ? Buffer.from(`offset:${end}`).toString("base64") : undefined };
}

/** Organizations pages of at most 2 items (its real default is 20), so small estates still page. */
function tokenPage<T>(items: readonly T[], params: Record<string, string>): { items: T[]; next: string | undefined } {
  const start = params.NextToken ? Number(params.NextToken.replace("token-", "")) : 0;
  const max = params.MaxResults ? Number(params.MaxResults) : 2;
  const end = start + max;
  return { items: items.slice(start, end), next: end < items.length ? `token-${end}` : undefined };
}

function findUser(account: FakeAccount, userName: string | undefined): FakeUser {
  const user = account.users.find((candidate) => candidate.name === userName);
  if (!user) throw new FakeError(404, "NoSuchEntity", `The user with name ${userName ?? ""} cannot be found.`);
  return user;
}

function userArn(account: FakeAccount, user: FakeUser): string {
  return `arn:aws:iam::${account.id}:user${user.path ?? "/"}${user.name}`;
}

function roleArn(account: FakeAccount, role: FakeRole): string {
  return `arn:aws:iam::${account.id}:role${role.path ?? "/"}${role.name}`;
}

function sessionPolicyActions(document: PolicyDocumentJson): string[] {
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  const actions: string[] = [];
  for (const statement of statements as Array<Record<string, unknown>>) {
    if (statement.Effect !== "Allow") continue;
    const list = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
    for (const action of list) if (typeof action === "string") actions.push(action);
  }
  return actions;
}

function allowedBySessionPolicy(session: IssuedSession, action: string): boolean {
  if (!session.allowedActions) return true;
  return session.allowedActions.some((pattern) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`, "i").test(action));
}

// ---------------------------------------------------------------- credential report

const REPORT_COLUMNS = [
  "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed", "password_next_rotation", "mfa_active",
  "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
  "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date", "access_key_2_last_used_region", "access_key_2_last_used_service",
  "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
];

function keyColumns(key: FakeAccessKey | undefined): string[] {
  if (!key) return ["false", "N/A", "N/A", "N/A", "N/A"];
  return [key.status === "Active" ? "true" : "false", key.created, key.lastUsed?.date ?? "N/A", key.lastUsed?.region ?? "N/A", key.lastUsed?.service ?? "N/A"];
}

export function credentialReportCsv(account: FakeAccount): string {
  const rows = [REPORT_COLUMNS.join(",")];
  const root = [
    "<root_account>", `arn:aws:iam::${account.id}:root`, account.created ?? "2020-01-01T00:00:00+00:00", "not_supported", "2024-05-01T00:00:00+00:00", "not_supported", "not_supported", "true",
    ...keyColumns(account.rootAccessKeys?.[0]), ...keyColumns(account.rootAccessKeys?.[1]),
    "false", "N/A", "false", "N/A",
  ];
  rows.push(root.join(","));
  for (const user of account.users) {
    const certificates = user.signingCertificates ?? [];
    const certColumns = (index: number) => {
      const certificate = certificates[index];
      return certificate ? [certificate.status === "Active" ? "true" : "false", certificate.uploaded] : ["false", "N/A"];
    };
    rows.push(
      [
        user.name,
        userArn(account, user),
        user.created,
        user.password ? "true" : "false",
        user.password?.lastUsed ?? "N/A",
        user.password?.lastChanged ?? "N/A",
        "N/A",
        user.mfa ? "true" : "false",
        ...keyColumns(user.accessKeys?.[0]),
        ...keyColumns(user.accessKeys?.[1]),
        ...certColumns(0),
        ...certColumns(1),
      ].join(","),
    );
  }
  return `${rows.join("\n")}\n`;
}

