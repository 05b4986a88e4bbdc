/**
 * A wire-level fake of the Google APIs the connector reads, on node:http, so tests and the
 * benchmark drive the real client libraries (googleapis REST, gax REST fallback, google-auth-library)
 * instead of mocks: Resource Manager v3, IAM v1/v2/v3, IAM Credentials and Policy Analyzer, with
 * pageToken paging, bearer-token checks, impersonated tokens that expire, injectable latency and
 * faults (quota errors, 5xx, permission denied, stalls), and a log of every request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FAKE_ADC_TOKEN, type FakeBinding, type FakeDenyPolicy, type FakeGcpEstate, type FakeProject, type FakeScopeData, type FakeServiceAccount } from "./estate.js";

export interface FakeGcpRequest {
  method: string;
  path: string;
  /** A label per API, e.g. "iam.serviceAccounts.list". */
  api: string;
  token: string | undefined;
}

export interface FakeGcpFault {
  /** API label ("iam.serviceAccounts.keys.list") or "*". */
  api: string;
  /** Only requests whose path contains this text. */
  pathIncludes?: string;
  times?: number;
  kind: "error" | "delay";
  status?: number;
  statusName?: string;
  message?: string;
  delayMs?: number;
}

export interface GenerateAccessTokenCall {
  serviceAccount: string;
  lifetime: string;
  scope: string[];
  callerToken: string | undefined;
  issuedToken: string;
}

export interface FakeGcpOptions {
  latencyMs?: number;
  /** Largest page the fake returns, whatever the client asks (to exercise paging). */
  maxPageSize?: number;
  now?: () => Date;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly statusName: string,
    message: string,
  ) {
    super(message);
  }
}

function decodeFully(text: string): string {
  let current = text;
  for (let i = 0; i < 3 && current.includes("%"); i++) current = decodeURIComponent(current);
  return current;
}

function policyJson(bindings: FakeBinding[] | undefined) {
  return { version: 3, etag: "BwFAKE=", bindings: (bindings ?? []).map((b) => ({ role: b.role, members: b.members, ...(b.condition ? { condition: b.condition } : {}) })) };
}

export class FakeGcpServer {
  readonly requests: FakeGcpRequest[] = [];
  readonly tokenCalls: GenerateAccessTokenCall[] = [];
  /** Requests that would have changed something (the connector must never send one). */
  readonly writeAttempts: FakeGcpRequest[] = [];
  /** Reads of secret or key material (a secret version's payload, an object): the connector must never send one. */
  readonly secretMaterialReads: FakeGcpRequest[] = [];
  faults: FakeGcpFault[] = [];
  recordRequests = true;
  /** Most requests the fake was answering at once. */
  maxInFlight = 0;
  private inFlight = 0;
  private readonly counts = new Map<string, number>();
  private readonly issuedTokens = new Map<string, number>();
  private tokenSerial = 0;

  private constructor(
    private readonly server: Server,
    readonly estate: FakeGcpEstate,
    private readonly options: FakeGcpOptions,
  ) {}

  static async start(estate: FakeGcpEstate, options: FakeGcpOptions = {}): Promise<FakeGcpServer> {
    // Requests arrive only after listen(), by when `fake` is set.
    const server = createServer((request, response) => {
      void fake.handle(request, response);
    });
    const fake = new FakeGcpServer(server, estate, options);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get url(): string {
    const address = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  callCounts(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  resetCounts(): void {
    this.counts.clear();
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(request.url ?? "/", "http://fake");
    const method = request.method ?? "GET";
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
    let api: string;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const route = this.route(method, url.pathname, url.searchParams, body);
      api = route.api;
      const entry = { method, path: url.pathname, api, token };
      if (this.recordRequests) this.requests.push(entry);
      this.counts.set(api, (this.counts.get(api) ?? 0) + 1);
      if (this.options.latencyMs) await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
      await this.applyFaults(api, url.pathname);
      this.checkToken(token, api);
      const payload = route.answer();
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(payload));
    } catch (error) {
      const failure = error instanceof HttpError ? error : new HttpError(500, "INTERNAL", error instanceof Error ? error.message : String(error));
      if (!response.headersSent) {
        response.writeHead(failure.status, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: { code: failure.status, status: failure.statusName, message: failure.message } }));
      }
    } finally {
      this.inFlight--;
    }
  }

  private async applyFaults(api: string, path: string): Promise<void> {
    for (const fault of this.faults) {
      if (fault.api !== "*" && fault.api !== api) continue;
      if (fault.pathIncludes && !path.includes(fault.pathIncludes)) continue;
      if (fault.times !== undefined) {
        if (fault.times <= 0) continue;
        fault.times--;
      }
      if (fault.kind === "delay") {
        await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 1000));
        continue;
      }
      throw new HttpError(fault.status ?? 429, fault.statusName ?? "RESOURCE_EXHAUSTED", fault.message ?? "Quota exceeded for quota metric 'Read requests' (FAKE)");
    }
  }

  private checkToken(token: string | undefined, api: string): void {
    if (api === "iamcredentials.generateAccessToken") {
      if (token !== FAKE_ADC_TOKEN) throw new HttpError(401, "UNAUTHENTICATED", "impersonation needs the source credentials");
      return;
    }
    if (token === FAKE_ADC_TOKEN) return;
    const expires = token ? this.issuedTokens.get(token) : undefined;
    if (expires === undefined) throw new HttpError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.");
    if (expires <= this.now().getTime()) throw new HttpError(401, "UNAUTHENTICATED", "Request had expired authentication credentials.");
  }

  private page<T>(items: readonly T[], params: URLSearchParams, key: string, fallbackSize: number): Record<string, unknown> {
    const requested = Number(params.get("pageSize") ?? fallbackSize) || fallbackSize;
    const size = Math.min(requested, this.options.maxPageSize ?? requested);
    const token = params.get("pageToken");
    const start = token ? Number(/^page-(\d+)$/.exec(token)?.[1] ?? Number.NaN) : 0;
    if (Number.isNaN(start)) throw new HttpError(400, "INVALID_ARGUMENT", "bad page token");
    const slice = items.slice(start, start + size);
    const next = start + size < items.length ? `page-${start + size}` : undefined;
    return { [key]: slice, ...(next ? { nextPageToken: next } : {}) };
  }

  private project(ref: string): FakeProject {
    const project = this.estate.projects.find((p) => p.projectId === ref || p.number === ref);
    if (!project) throw new HttpError(404, "NOT_FOUND", `project ${ref} not found`);
    return project;
  }

  private account(projectRef: string, email: string): FakeServiceAccount {
    const account = this.project(projectRef).serviceAccounts.find((sa) => sa.email === email || sa.uniqueId === email);
    if (!account) throw new HttpError(404, "NOT_FOUND", `service account ${email} not found`);
    return account;
  }

  private scopeData(scopeId: string): FakeScopeData {
    const [kind, id] = scopeId.split("/");
    const organization = this.estate.organization;
    if (kind === "organizations" && organization && organization.id === id) return organization;
    if (kind === "folders") {
      const folder = this.estate.folders.find((f) => f.id === id);
      if (folder) return folder;
    }
    if (kind === "projects" && id) return this.project(id);
    throw new HttpError(404, "NOT_FOUND", `${scopeId} not found`);
  }

  private projectJson(project: FakeProject) {
    return { name: `projects/${project.number}`, projectId: project.projectId, parent: project.parent, displayName: project.projectId, state: project.state ?? "ACTIVE", labels: project.labels ?? {} };
  }

  private denyJson(attachment: string, policy: FakeDenyPolicy, withRules: boolean) {
    return {
      name: `policies/${encodeURIComponent(attachment)}/denypolicies/${policy.id}`,
      uid: `uid-${policy.id}`,
      kind: "DenyPolicy",
      displayName: policy.displayName ?? policy.id,
      ...(withRules ? { rules: policy.rules.map((rule) => ({ description: rule.description ?? "", denyRule: rule })) } : {}),
    };
  }

  private route(method: string, path: string, params: URLSearchParams, body: string): { api: string; answer: () => unknown } {
    const estate = this.estate;
    const read = (api: string, answer: () => unknown) => ({ api, answer });
    let m: RegExpExecArray | null;

    if (method === "POST" && (m = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(path))) {
      const serviceAccount = decodeURIComponent(m[1] ?? "");
      return read("iamcredentials.generateAccessToken", () => {
        const request = JSON.parse(body || "{}") as { lifetime?: string; scope?: string[] };
        const seconds = Number(/^(\d+)s$/.exec(request.lifetime ?? "3600s")?.[1] ?? 3600);
        const issuedToken = `ya29.FAKE-impersonated-${++this.tokenSerial}-EXAMPLE`;
        const expireTime = new Date(this.now().getTime() + seconds * 1000);
        this.issuedTokens.set(issuedToken, expireTime.getTime());
        this.tokenCalls.push({ serviceAccount, lifetime: request.lifetime ?? "", scope: request.scope ?? [], callerToken: undefined, issuedToken });
        return { accessToken: issuedToken, expireTime: expireTime.toISOString() };
      });
    }

    // Resource Manager v3.
    if (method === "GET" && (m = /^\/v3\/organizations\/(\d+)$/.exec(path))) {
      const id = m[1];
      return read("cloudresourcemanager.organizations.get", () => {
        const organization = estate.organization;
        if (!organization || organization.id !== id) throw new HttpError(403, "PERMISSION_DENIED", "The caller does not have permission");
        return { name: `organizations/${id}`, displayName: organization.displayName, state: "ACTIVE", directoryCustomerId: "C0fake123" };
      });
    }
    if (method === "GET" && (m = /^\/v3\/folders\/(\d+)$/.exec(path))) {
      const id = m[1];
      return read("cloudresourcemanager.folders.get", () => {
        const folder = estate.folders.find((f) => f.id === id);
        if (!folder) throw new HttpError(403, "PERMISSION_DENIED", "The caller does not have permission");
        return { name: `folders/${folder.id}`, parent: folder.parent, displayName: folder.displayName, state: folder.state ?? "ACTIVE" };
      });
    }
    if (method === "GET" && path === "/v3/folders") {
      const parent = params.get("parent") ?? "";
      return read("cloudresourcemanager.folders.list", () =>
        this.page(
          estate.folders.filter((f) => f.parent === parent).map((f) => ({ name: `folders/${f.id}`, parent: f.parent, displayName: f.displayName, state: f.state ?? "ACTIVE" })),
          params,
          "folders",
          100,
        ),
      );
    }
    if (method === "GET" && (m = /^\/v3\/projects\/([^/:]+)$/.exec(path))) {
      const ref = m[1] ?? "";
      return read("cloudresourcemanager.projects.get", () => this.projectJson(this.project(ref)));
    }
    if (method === "GET" && path === "/v3/projects") {
      const parent = params.get("parent") ?? "";
      return read("cloudresourcemanager.projects.list", () =>
        this.page(estate.projects.filter((p) => p.parent === parent).map((p) => this.projectJson(p)), params, "projects", 100),
      );
    }
    if (method === "POST" && (m = /^\/v3\/(organizations|folders|projects)\/([^/:]+):getIamPolicy$/.exec(path))) {
      const scopeId = `${m[1]}/${m[2]}`;
      return read(`cloudresourcemanager.${m[1]}.getIamPolicy`, () => policyJson(this.scopeData(scopeId).bindings));
    }

    // IAM v2 deny policies.
    if (method === "GET" && (m = /^\/v2\/policies\/([^/]+)\/denypolicies(?:\/([^/]+))?$/.exec(path))) {
      const attachment = decodeFully(m[1] ?? "");
      const policyId = m[2];
      const scopeId = attachment.replace(/^cloudresourcemanager\.googleapis\.com\//, "");
      if (policyId) {
        return read("iam.v2.policies.get", () => {
          const policy = this.scopeData(scopeId).denyPolicies?.find((p) => p.id === policyId);
          if (!policy) throw new HttpError(404, "NOT_FOUND", `deny policy ${policyId} not found`);
          return this.denyJson(attachment, policy, true);
        });
      }
      return read("iam.v2.policies.list", () => this.page((this.scopeData(scopeId).denyPolicies ?? []).map((p) => this.denyJson(attachment, p, false)), params, "policies", 100));
    }

    // IAM v3 principal access boundaries.
    if (method === "GET" && (m = /^\/v3\/organizations\/(\d+)\/locations\/global\/principalAccessBoundaryPolicies$/.exec(path))) {
      const id = m[1];
      return read("iam.v3.principalAccessBoundaryPolicies.list", () =>
        this.page(
          (estate.organization && estate.organization.id === id ? (estate.organization.boundaryPolicies ?? []) : []).map((p) => ({
            name: `organizations/${id}/locations/global/principalAccessBoundaryPolicies/${p.id}`,
            displayName: p.displayName ?? p.id,
            details: { rules: [{ description: "", resources: p.resources, effect: "ALLOW" }], enforcementVersion: p.enforcementVersion ?? "4" },
          })),
          params,
          "principalAccessBoundaryPolicies",
          100,
        ),
      );
    }
    if (method === "GET" && (m = /^\/v3\/(organizations|folders|projects)\/([^/]+)\/locations\/global\/policyBindings$/.exec(path))) {
      const scopeId = `${m[1]}/${m[2]}`;
      return read("iam.v3.policyBindings.list", () =>
        this.page(
          (this.scopeData(scopeId).boundaryBindings ?? []).map((b) => ({
            name: `${scopeId}/locations/global/policyBindings/${b.id}`,
            target: { principalSet: b.principalSet },
            policyKind: "PRINCIPAL_ACCESS_BOUNDARY",
            policy: b.policy,
            ...(b.condition ? { condition: b.condition } : {}),
          })),
          params,
          "policyBindings",
          100,
        ),
      );
    }

    // IAM v1.
    if (method === "GET" && (m = /^\/v1\/projects\/([^/]+)\/serviceAccounts$/.exec(path))) {
      const ref = m[1] ?? "";
      return read("iam.serviceAccounts.list", () =>
        this.page(
          this.project(ref).serviceAccounts.map((sa) => ({
            name: `projects/${this.project(ref).projectId}/serviceAccounts/${sa.email}`,
            projectId: this.project(ref).projectId,
            uniqueId: sa.uniqueId,
            email: sa.email,
            displayName: sa.displayName ?? "",
            ...(sa.description ? { description: sa.description } : {}),
            ...(sa.disabled ? { disabled: true } : {}),
            etag: "MDEwMjE5MjA=",
            oauth2ClientId: sa.uniqueId,
          })),
          params,
          "accounts",
          20,
        ),
      );
    }
    if (method === "GET" && (m = /^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/]+)\/keys$/.exec(path))) {
      const [ref, email] = [m[1] ?? "", decodeURIComponent(m[2] ?? "")];
      return read("iam.serviceAccounts.keys.list", () => {
        const account = this.account(ref, email);
        return {
          keys: account.keys.map((key) => ({
            name: `projects/${this.project(ref).projectId}/serviceAccounts/${account.email}/keys/${key.keyId}`,
            validAfterTime: key.validAfterTime,
            validBeforeTime: key.validBeforeTime,
            keyAlgorithm: key.keyAlgorithm ?? "KEY_ALG_RSA_2048",
            keyOrigin: "GOOGLE_PROVIDED",
            keyType: key.keyType,
            ...(key.disabled ? { disabled: true } : {}),
            ...(key.privateKeyData ? { privateKeyData: key.privateKeyData } : {}),
          })),
        };
      });
    }
    if (method === "POST" && (m = /^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/:]+):getIamPolicy$/.exec(path))) {
      const [ref, email] = [m[1] ?? "", decodeURIComponent(m[2] ?? "")];
      return read("iam.serviceAccounts.getIamPolicy", () => policyJson(this.account(ref, email).bindings));
    }
    if (method === "GET" && (m = /^\/v1\/((?:organizations|projects)\/[^/]+\/)?roles\/([^/]+)$/.exec(path))) {
      const name = `${m[1] ?? ""}roles/${m[2] ?? ""}`;
      return read("iam.roles.get", () => {
        const role = estate.roles[name];
        if (!role) throw new HttpError(404, "NOT_FOUND", `role ${name} not found`);
        return { name, title: role.title, includedPermissions: role.includedPermissions, stage: "GA", etag: "BwFAKE=", ...(role.deleted ? { deleted: true } : {}) };
      });
    }
    if (method === "GET" && (m = /^\/v1\/projects\/([^/]+)\/locations\/global\/workloadIdentityPools$/.exec(path))) {
      const ref = m[1] ?? "";
      return read("iam.workloadIdentityPools.list", () => {
        const project = this.project(ref);
        return this.page(
          (project.pools ?? []).map((pool) => ({ name: `projects/${project.number}/locations/global/workloadIdentityPools/${pool.id}`, state: "ACTIVE", disabled: pool.disabled ?? false })),
          params,
          "workloadIdentityPools",
          50,
        );
      });
    }
    if (method === "GET" && (m = /^\/v1\/projects\/([^/]+)\/locations\/global\/workloadIdentityPools\/([^/]+)\/providers$/.exec(path))) {
      const [ref, poolId] = [m[1] ?? "", m[2] ?? ""];
      return read("iam.workloadIdentityPools.providers.list", () => {
        const project = this.project(ref);
        const pool = project.pools?.find((p) => p.id === poolId);
        if (!pool) throw new HttpError(404, "NOT_FOUND", `pool ${poolId} not found`);
        return this.page(
          pool.providers.map((provider) => ({
            name: `projects/${project.number}/locations/global/workloadIdentityPools/${pool.id}/providers/${provider.id}`,
            state: "ACTIVE",
            disabled: provider.disabled ?? false,
            attributeMapping: { "google.subject": "assertion.sub", "attribute.repository": "assertion.repository" },
            ...(provider.attributeCondition ? { attributeCondition: provider.attributeCondition } : {}),
            ...(provider.issuerUri ? { oidc: { issuerUri: provider.issuerUri } } : {}),
          })),
          params,
          "workloadIdentityPoolProviders",
          50,
        );
      });
    }

    // Secret Manager: secrets (named by project number, as Google does) and their IAM policies.
    if (method === "GET" && (m = /^\/v1\/projects\/([^/]+)\/secrets$/.exec(path))) {
      const ref = m[1] ?? "";
      return read("secretmanager.secrets.list", () => {
        const project = this.project(ref);
        return this.page((project.secrets ?? []).map((secret) => ({ name: `projects/${project.number}/secrets/${secret.id}`, replication: { automatic: {} } })), params, "secrets", 25);
      });
    }
    if (method === "GET" && (m = /^\/v1\/projects\/([^/]+)\/secrets\/([^/:]+):getIamPolicy$/.exec(path))) {
      const [ref, id] = [m[1] ?? "", m[2] ?? ""];
      return read("secretmanager.secrets.getIamPolicy", () => {
        const secret = this.project(ref).secrets?.find((s) => s.id === id);
        if (!secret) throw new HttpError(404, "NOT_FOUND", `secret ${id} not found`);
        return policyJson(secret.bindings);
      });
    }
    if (method === "GET" && (m = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/secrets$/.exec(path))) {
      const [ref, location] = [m[1] ?? "", m[2] ?? ""];
      return read("secretmanager.secrets.list", () => {
        const project = this.project(ref);
        const secrets = (project.regionalSecrets ?? []).filter((secret) => secret.location === location);
        return this.page(secrets.map((secret) => ({ name: `projects/${project.number}/locations/${location}/secrets/${secret.id}` })), params, "secrets", 25);
      });
    }
    if (method === "GET" && (m = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/secrets\/([^/:]+):getIamPolicy$/.exec(path))) {
      const [ref, location, id] = [m[1] ?? "", m[2] ?? "", m[3] ?? ""];
      return read("secretmanager.secrets.getIamPolicy", () => {
        const secret = this.project(ref).regionalSecrets?.find((s) => s.location === location && s.id === id);
        if (!secret) throw new HttpError(404, "NOT_FOUND", `secret ${id} not found in ${location}`);
        return policyJson(secret.bindings);
      });
    }
    if (method === "GET" && /\/secrets\/[^/]+\/versions\/[^/]+:access$/.test(path)) {
      this.secretMaterialReads.push({ method, path, api: "secretmanager.versions.access", token: undefined });
      return read("secretmanager.versions.access", () => ({ payload: { data: "RkFLRS1TRUNSRVQtRVhBTVBMRQ==" } }));
    }

    // Cloud KMS: locations, key rings, crypto keys, and the IAM policies of rings and keys.
    if (method === "GET" && (m = /^\/v1\/projects\/([^/]+)\/locations$/.exec(path))) {
      const ref = m[1] ?? "";
      return read("cloudkms.locations.list", () => {
        const project = this.project(ref);
        const locations = [...new Set(["global", "europe-west1", ...(project.keyRings ?? []).map((ring) => ring.location)])].sort();
        return this.page(locations.map((location) => ({ name: `projects/${project.projectId}/locations/${location}`, locationId: location })), params, "locations", 100);
      });
    }
    if (method === "GET" && (m = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/keyRings$/.exec(path))) {
      const [ref, location] = [m[1] ?? "", m[2] ?? ""];
      return read("cloudkms.keyRings.list", () => {
        const project = this.project(ref);
        const rings = (project.keyRings ?? []).filter((ring) => ring.location === location);
        return this.page(rings.map((ring) => ({ name: `projects/${project.projectId}/locations/${location}/keyRings/${ring.id}` })), params, "keyRings", 100);
      });
    }
    if (method === "GET" && (m = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/keyRings\/([^/:]+)\/cryptoKeys$/.exec(path))) {
      const [ref, location, ringId] = [m[1] ?? "", m[2] ?? "", m[3] ?? ""];
      return read("cloudkms.cryptoKeys.list", () => {
        const project = this.project(ref);
        const ring = project.keyRings?.find((r) => r.location === location && r.id === ringId);
        if (!ring) throw new HttpError(404, "NOT_FOUND", `key ring ${ringId} not found`);
        return this.page(ring.keys.map((key) => ({ name: `projects/${project.projectId}/locations/${location}/keyRings/${ring.id}/cryptoKeys/${key.id}`, purpose: "ENCRYPT_DECRYPT" })), params, "cryptoKeys", 100);
      });
    }
    if (method === "GET" && (m = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/keyRings\/([^/:]+)(?:\/cryptoKeys\/([^/:]+))?:getIamPolicy$/.exec(path))) {
      const [ref, location, ringId, keyId] = [m[1] ?? "", m[2] ?? "", m[3] ?? "", m[4]];
      return read(keyId ? "cloudkms.cryptoKeys.getIamPolicy" : "cloudkms.keyRings.getIamPolicy", () => {
        const ring = this.project(ref).keyRings?.find((r) => r.location === location && r.id === ringId);
        const held = keyId ? ring?.keys.find((key) => key.id === keyId) : ring;
        if (!held) throw new HttpError(404, "NOT_FOUND", `${path} not found`);
        return policyJson(held.bindings);
      });
    }

    // Cloud Storage JSON API: buckets and their IAM policies.
    if (method === "GET" && path === "/storage/v1/b") {
      return read("storage.buckets.list", () => {
        const project = this.project(params.get("project") ?? "");
        const size = Math.min(Number(params.get("maxResults") ?? 1000), this.options.maxPageSize ?? 1000);
        const start = Number(params.get("pageToken") ?? 0);
        const buckets = project.buckets ?? [];
        const next = start + size < buckets.length ? String(start + size) : undefined;
        return {
          kind: "storage#buckets",
          items: buckets.slice(start, start + size).map((bucket) => ({
            kind: "storage#bucket",
            name: bucket.name,
            id: bucket.name,
            projectNumber: project.number,
            iamConfiguration: { uniformBucketLevelAccess: { enabled: bucket.uniform ?? true }, publicAccessPrevention: "inherited" },
          })),
          ...(next ? { nextPageToken: next } : {}),
        };
      });
    }
    if (method === "GET" && (m = /^\/storage\/v1\/b\/([^/]+)\/iam$/.exec(path))) {
      const name = decodeURIComponent(m[1] ?? "");
      return read("storage.buckets.getIamPolicy", () => {
        const bucket = estate.projects.flatMap((project) => project.buckets ?? []).find((b) => b.name === name);
        if (!bucket) throw new HttpError(404, "NOT_FOUND", `bucket ${name} not found`);
        return { kind: "storage#policy", resourceId: `projects/_/buckets/${name}`, ...policyJson(bucket.bindings) };
      });
    }
    if (method === "GET" && (m = /^\/storage\/v1\/b\/([^/]+)\/managedFolders$/.exec(path))) {
      const name = decodeURIComponent(m[1] ?? "");
      return read("storage.managedFolders.list", () => {
        const bucket = estate.projects.flatMap((project) => project.buckets ?? []).find((b) => b.name === name);
        if (!bucket) throw new HttpError(404, "NOT_FOUND", `bucket ${name} not found`);
        if (bucket.uniform === false) throw new HttpError(400, "FAILED_PRECONDITION", "managed folders need uniform bucket-level access (FAKE)");
        const folders = (bucket.managedFolders ?? []).map((folder) => ({ kind: "storage#managedFolder", id: `${name}/${folder.name}`, name: folder.name, bucket: name }));
        return { kind: "storage#managedFolders", ...this.page(folders, params, "items", 1000) };
      });
    }
    if (method === "GET" && (m = /^\/storage\/v1\/b\/([^/]+)\/managedFolders\/(.+)\/iam$/.exec(path))) {
      const [name, folderName] = [decodeURIComponent(m[1] ?? ""), decodeURIComponent(m[2] ?? "")];
      return read("storage.managedFolders.getIamPolicy", () => {
        const folder = estate.projects.flatMap((project) => project.buckets ?? []).find((b) => b.name === name)?.managedFolders?.find((f) => f.name === folderName);
        if (!folder) throw new HttpError(404, "NOT_FOUND", `managed folder ${folderName} not found in ${name}`);
        return { kind: "storage#policy", resourceId: `projects/_/buckets/${name}/managedFolders/${folderName}`, ...policyJson(folder.bindings) };
      });
    }
    if (method === "GET" && /^\/(?:download\/)?storage\/v1\/b\/[^/]+\/o(?:\/|$)/.test(path)) {
      this.secretMaterialReads.push({ method, path, api: "storage.objects.get", token: undefined });
      return read("storage.objects.get", () => ({ items: [] }));
    }

    // Cloud Identity: groups.lookup and memberships.list (403 when the estate has no groups, as without the Groups Reader role).
    if (method === "GET" && path === "/v1/groups") {
      return read("cloudidentity.groups.list", () => {
        if (!estate.groups || params.get("parent") !== "customers/C0fake123") throw new HttpError(403, "PERMISSION_DENIED", "Error(2028): Permission denied for the resource (FAKE)");
        return this.page(estate.groups.map((group) => ({ name: `groups/${group.id}`, groupKey: { id: group.email } })), params, "groups", 200);
      });
    }
    if (method === "GET" && path === "/v1/groups:lookup") {
      return read("cloudidentity.groups.lookup", () => {
        if (!estate.groups) throw new HttpError(403, "PERMISSION_DENIED", "Error(2028): Permission denied for the resource (FAKE)");
        const group = estate.groups.find((g) => g.email === params.get("groupKey.id"));
        if (!group) throw new HttpError(404, "NOT_FOUND", "Error(2015): Resource not found (FAKE)");
        return { name: `groups/${group.id}` };
      });
    }
    if (method === "GET" && (m = /^\/v1\/groups\/([^/]+)\/memberships$/.exec(path))) {
      const id = m[1] ?? "";
      return read("cloudidentity.groups.memberships.list", () => {
        if (!estate.groups) throw new HttpError(403, "PERMISSION_DENIED", "Error(2028): Permission denied for the resource (FAKE)");
        const group = estate.groups.find((g) => g.id === id);
        if (!group) throw new HttpError(404, "NOT_FOUND", "Error(2015): Resource not found (FAKE)");
        return this.page(
          group.members.map((member, index) => ({
            name: `groups/${group.id}/memberships/${index}`,
            preferredMemberKey: { id: member.id },
            roles: [{ name: "MEMBER" }],
            type: member.type,
          })),
          params,
          "memberships",
          200,
        );
      });
    }

    // Cloud Logging entries.list (activity, #18): the project's audit log entries the filter names, newest first, pages of 2.
    if (method === "POST" && path === "/v2/entries:list") {
      return read("logging.entries.list", () => {
        const request = JSON.parse(body || "{}") as { resourceNames?: string[]; filter?: string; pageToken?: string; orderBy?: string };
        const project = this.project((request.resourceNames?.[0] ?? "").replace(/^projects\//, ""));
        const filter = request.filter ?? "";
        const logs = [...filter.matchAll(/log_id\("cloudaudit\.googleapis\.com\/(\w+)"\)/g)].map((match) => match[1]);
        const since = /timestamp>="([^"]+)"/.exec(filter)?.[1] ?? "";
        const entries = (project.auditLog ?? [])
          .filter((row) => logs.includes(row.log) && String(row.entry.timestamp) >= since)
          .filter((row) => !filter.includes('principalEmail:"gserviceaccount.com"') || String((row.entry.protoPayload as { authenticationInfo?: { principalEmail?: string } } | undefined)?.authenticationInfo?.principalEmail ?? "").includes("gserviceaccount.com"))
          .map((row) => row.entry)
          .sort((a, b) => (String(a.timestamp) < String(b.timestamp) ? 1 : -1));
        const start = Number(request.pageToken ?? 0);
        const next = start + 2;
        return { entries: entries.slice(start, next), ...(next < entries.length ? { nextPageToken: String(next) } : {}) };
      });
    }

    // Policy Analyzer.
    if (method === "GET" && (m = /^\/v1\/projects\/([^/]+)\/locations\/global\/activityTypes\/(serviceAccountLastAuthentication|serviceAccountKeyLastAuthentication)\/activities:query$/.exec(path))) {
      const [ref, type] = [m[1] ?? "", m[2] ?? ""];
      const api = `policyanalyzer.${type}`;
      return read(api, () => {
        const project = this.project(ref);
        const observationPeriod = { startTime: "2023-01-01T00:00:00Z", endTime: this.now().toISOString() };
        const activities: unknown[] =
          type === "serviceAccountLastAuthentication"
            ? project.serviceAccounts
                .filter((sa) => sa.lastAuthenticatedTime)
                .map((sa) => ({
                  fullResourceName: `//iam.googleapis.com/projects/${project.projectId}/serviceAccounts/${sa.uniqueId}`,
                  activityType: type,
                  observationPeriod,
                  activity: {
                    lastAuthenticatedTime: sa.lastAuthenticatedTime,
                    serviceAccount: { serviceAccountId: sa.uniqueId, projectNumber: project.number, fullResourceName: `//iam.googleapis.com/projects/${project.projectId}/serviceAccounts/${sa.email}` },
                  },
                }))
            : project.serviceAccounts.flatMap((sa) =>
                sa.keys
                  .filter((key) => key.lastAuthenticatedTime)
                  .map((key) => ({
                    fullResourceName: `//iam.googleapis.com/projects/${project.projectId}/serviceAccounts/${sa.email}/keys/${key.keyId}`,
                    activityType: type,
                    observationPeriod,
                    activity: {
                      lastAuthenticatedTime: key.lastAuthenticatedTime,
                      serviceAccountKey: {
                        serviceAccountId: sa.uniqueId,
                        projectNumber: project.number,
                        fullResourceName: `//iam.googleapis.com/projects/${project.projectId}/serviceAccounts/${sa.email}/keys/${key.keyId}`,
                      },
                    },
                  })),
              );
        return this.page(activities, params, "activities", 1000);
      });
    }

    const entry = { method, path, api: "unknown", token: undefined };
    if (method !== "GET") this.writeAttempts.push(entry);
    throw new HttpError(method === "GET" ? 404 : 405, "NOT_FOUND", `the fake does not serve ${method} ${path}`);
  }
}
