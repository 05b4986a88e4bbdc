/**
 * A wire-level fake of the Azure endpoints the connector reads, over HTTPS with a test CA:
 * - an Entra authority (OpenID metadata and the v2.0 token endpoint, client credentials grant),
 *   issuing unsigned JWTs whose claims name the client and its audience;
 * - Azure Resource Manager (role assignments, role definitions, deny assignments, Key Vault and
 *   managed identity resources, management groups) with nextLink paging;
 * - Microsoft Graph (organization, applications, service principals, sign-in activity, groups,
 *   users) with @odata.nextLink paging;
 * - one Key Vault data plane per vault, on its own port, with the challenge-based bearer flow
 *   (401 + WWW-Authenticate first), nextLink paging capped at 25 items, and certificate policies.
 *
 * Faults (status codes with Retry-After, delays) can be injected per route; latency for benchmarks.
 * Reading a secret value (GET /secrets/{name}[/{version}]) and any non-GET is answered with a
 * failure marker and recorded in `violations`, so a test can prove no value was ever read.
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import type { ArmResource, FakeAzureEstate, FakeCertificate, FakeKey, FakeSecret, FakeVault, GraphObject } from "./estate.js";
import { testTls } from "./tls.js";

export const VALUE_READ_MARKER = "WIAM-TEST-FAILURE: a secret value was requested";

export interface Fault {
  route: string;
  status?: number;
  /** Seconds, sent as Retry-After. */
  retryAfter?: number;
  delayMs?: number;
  /** Only the request for this page (0 = first). */
  page?: number;
  times?: number;
}

export interface FakeOptions {
  latencyMs?: number;
  armPageSize?: number;
  graphPageSize?: number;
  /** Token lifetime, seconds. */
  tokenLifetimeSeconds?: number;
}

export interface LoggedRequest {
  route: string;
  method: string;
  path: string;
  status: number;
  authorized: boolean;
}

type Service = { kind: "login" | "arm" | "graph" } | { kind: "vault"; vault: FakeVault };

interface Handled {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const VAULT_AUDIENCE = "https://vault.azure.net";
const ARM_AUDIENCE = "https://management.azure.com";
const GRAPH_AUDIENCE = "https://graph.microsoft.com";

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function claimsOf(header: string | undefined): Record<string, unknown> | undefined {
  const token = /^Bearer (.+)$/.exec(header ?? "")?.[1];
  const payload = token?.split(".")[1];
  if (!payload) return undefined;
  try {
    return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export class FakeAzureServer {
  readonly requests: LoggedRequest[] = [];
  readonly violations: string[] = [];
  readonly tokensIssued: Array<{ clientId: string; tenantId: string; audience: string }> = [];
  /** Audience of every bearer token a vault data plane was sent, per vault name. */
  readonly vaultTokenAudiences: Array<{ vault: string; audience: string }> = [];
  recordRequests = true;
  /** Routes (e.g. "servicePrincipals", "managementGroups.list") whose pages name themselves as nextLink: a server bug that must not loop forever. */
  readonly selfLinkingRoutes = new Set<string>();
  /** Most requests the fake was serving at once (bounded-concurrency checks). */
  maxInFlight = 0;
  private inFlight = 0;
  private faults: Array<Fault & { remaining: number }> = [];
  private counts = new Map<string, number>();
  private servers: Server[] = [];
  private readonly vaultUrls = new Map<string, string>();
  loginUrl = "";
  armUrl = "";
  graphUrl = "";

  private constructor(
    readonly estate: FakeAzureEstate,
    readonly options: FakeOptions,
  ) {}

  static async start(estate: FakeAzureEstate, options: FakeOptions = {}): Promise<FakeAzureServer> {
    const fake = new FakeAzureServer(estate, options);
    fake.loginUrl = await fake.listen({ kind: "login" });
    fake.armUrl = await fake.listen({ kind: "arm" });
    fake.graphUrl = await fake.listen({ kind: "graph" });
    for (const vault of estate.vaults) fake.vaultUrls.set(vault.name, await fake.listen({ kind: "vault", vault }));
    return fake;
  }

  /** Data-plane URL of a vault (https://localhost:<port>). */
  vaultUrl(name: string): string {
    const url = this.vaultUrls.get(name);
    if (!url) throw new Error(`no fake vault ${name}`);
    return url;
  }

  private async listen(service: Service): Promise<string> {
    const tls = testTls();
    const server = createServer({ cert: tls.cert, key: tls.key }, (request, response) => {
      void this.handle(service, request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.servers.push(server);
    return `https://localhost:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
  }

  addFault(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.times ?? Number.POSITIVE_INFINITY });
  }

  clearFaults(): void {
    this.faults = [];
  }

  resetLog(): void {
    this.requests.length = 0;
    this.violations.length = 0;
    this.tokensIssued.length = 0;
    this.vaultTokenAudiences.length = 0;
    this.counts = new Map();
    this.maxInFlight = 0;
  }

  /** Requests per route, 401 challenges included (route "challenge"). */
  callCounts(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  private async handle(service: Service, request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    response.once("finish", () => this.inFlight--);
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(request.url ?? "/", "https://localhost");
    const method = request.method ?? "GET";
    if (this.options.latencyMs) await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
    let route = "unknown";
    let result: Handled;
    try {
      const routed = this.route(service, method, url, body, request.headers.authorization);
      route = routed.route;
      const fault = this.takeFault(route, url);
      if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (response.destroyed) return;
      if (fault?.status) {
        result = {
          status: fault.status,
          body: { error: { code: fault.status === 429 ? "TooManyRequests" : "InternalServerError", message: "injected fault" } },
          ...(fault.retryAfter !== undefined ? { headers: { "retry-after": String(fault.retryAfter) } } : {}),
        };
      } else {
        result = routed.run();
      }
    } catch (error) {
      result = { status: 500, body: { error: { code: "FakeError", message: String(error) } } };
    }
    if (this.selfLinkingRoutes.has(route) && result.status === 200 && (service.kind === "arm" || service.kind === "graph")) {
      const self = `${service.kind === "arm" ? this.armUrl : this.graphUrl}${url.pathname}${url.search}`;
      result = { ...result, body: { ...(result.body as Record<string, unknown>), [service.kind === "arm" ? "nextLink" : "@odata.nextLink"]: self } };
    }
    this.counts.set(route, (this.counts.get(route) ?? 0) + 1);
    if (this.recordRequests) {
      this.requests.push({ route, method, path: url.pathname, status: result.status, authorized: request.headers.authorization !== undefined });
    }
    const payload = result.body === undefined ? "" : JSON.stringify(result.body);
    response.writeHead(result.status, {
      "content-type": "application/json; charset=utf-8",
      "x-ms-request-id": randomUUID(),
      ...result.headers,
    });
    response.end(payload);
  }

  private takeFault(route: string, url: URL): Fault | undefined {
    const page = Number(url.searchParams.get("$skiptoken") ?? url.searchParams.get("page") ?? 0);
    const fault = this.faults.find((f) => f.route === route && f.remaining > 0 && (f.page === undefined || f.page === page));
    if (fault) fault.remaining--;
    return fault;
  }

  private route(service: Service, method: string, url: URL, body: string, authorization: string | undefined): { route: string; run: () => Handled } {
    if (service.kind === "login") return this.loginRoute(method, url, body);
    if (method !== "GET") {
      this.violations.push(`${method} ${url.pathname}`);
      return { route: "violation", run: () => ({ status: 405, body: { error: { code: "WIAM-TEST-FAILURE", message: `${method} is not a read` } } }) };
    }
    const audience = service.kind === "vault" ? (service.vault.challengeResource ?? VAULT_AUDIENCE) : service.kind === "arm" ? ARM_AUDIENCE : GRAPH_AUDIENCE;
    const claims = claimsOf(authorization);
    if (service.kind === "vault" && claims) this.vaultTokenAudiences.push({ vault: service.vault.name, audience: String(claims.aud) });
    if (service.kind === "vault" && !claims) {
      return {
        route: "challenge",
        run: () => ({
          status: 401,
          body: { error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." } },
          headers: { "www-authenticate": `Bearer authorization="https://login.microsoftonline.com/${service.vault.tenantId}", resource="${service.vault.challengeResource ?? VAULT_AUDIENCE}"` },
        }),
      };
    }
    if (!claims || claims.aud !== audience) {
      return { route: "unauthorized", run: () => ({ status: 401, body: { error: { code: "InvalidAuthenticationToken", message: `expected a token for ${audience}` } } }) };
    }
    if (service.kind === "vault") return this.vaultRoute(service.vault, url);
    if (service.kind === "arm") return this.armRoute(url);
    return this.graphRoute(url, claims);
  }

  // ---- Entra authority -------------------------------------------------------------------

  private loginRoute(method: string, url: URL, body: string): { route: string; run: () => Handled } {
    const metadata = /^\/([\w.-]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
    if (method === "GET" && metadata) {
      const tenant = metadata[1] as string;
      const base = `${this.loginUrl}/${tenant}`;
      return {
        route: "openid-configuration",
        run: () => ({
          status: 200,
          body: {
            token_endpoint: `${base}/oauth2/v2.0/token`,
            authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
            end_session_endpoint: `${base}/oauth2/v2.0/logout`,
            device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
            jwks_uri: `${base}/discovery/v2.0/keys`,
            issuer: `${base}/v2.0`,
            response_types_supported: ["code", "id_token", "token"],
            token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
          },
        }),
      };
    }
    const token = /^\/([\w.-]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (method === "POST" && token) {
      return { route: "token", run: () => this.issueToken(token[1] as string, new URLSearchParams(body)) };
    }
    return { route: "login-unknown", run: () => ({ status: 404, body: { error: "not_found" } }) };
  }

  private issueToken(tenantId: string, form: URLSearchParams): Handled {
    const clientId = form.get("client_id") ?? "";
    const client = this.estate.clients.find((c) => c.clientId === clientId);
    if (form.get("grant_type") !== "client_credentials" || !client || client.secret !== form.get("client_secret")) {
      return { status: 401, body: { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided." } };
    }
    const audience = (form.get("scope") ?? "").split(" ")[0]?.replace(/\/\.default$/, "") ?? "";
    const lifetime = this.options.tokenLifetimeSeconds ?? 3600;
    const now = Math.floor(Date.now() / 1000);
    const accessToken = [
      base64url({ typ: "JWT", alg: "none" }),
      base64url({ aud: audience, iss: `https://sts.windows.net/${tenantId}/`, iat: now, nbf: now, exp: now + lifetime, tid: tenantId, appid: clientId, oid: client.objectId, idtyp: "app" }),
      "FAKE-signature",
    ].join(".");
    this.tokensIssued.push({ clientId, tenantId, audience });
    return { status: 200, body: { token_type: "Bearer", expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken } };
  }

  // ---- Key Vault data plane -----------------------------------------------------------------

  private vaultRoute(vault: FakeVault, url: URL): { route: string; run: () => Handled } {
    const base = this.vaultUrl(vault.name);
    const path = url.pathname.replace(/\/+$/, "");
    if (path === "/secrets") return { route: "secrets.list", run: () => this.vaultPage(url, base, vault.secrets, (s) => secretItem(base, s)) };
    if (path === "/certificates") return { route: "certificates.list", run: () => this.vaultPage(url, base, vault.certificates, (c) => certificateItem(base, c)) };
    if (path === "/keys") return { route: "keys.list", run: () => this.vaultPage(url, base, vault.keys, (k) => keyItem(base, k)) };
    const policy = /^\/certificates\/([^/]+)\/policy$/.exec(path);
    if (policy) {
      const certificate = vault.certificates.find((c) => c.name === policy[1]);
      return {
        route: "certificate.policy",
        run: () => (certificate ? { status: 200, body: policyBody(base, certificate) } : { status: 404, body: { error: { code: "CertificateNotFound", message: "not found" } } }),
      };
    }
    if (/^\/secrets\/[^/]+(\/[^/]+)?$/.test(path) && !path.endsWith("/versions")) {
      this.violations.push(`secret value read: GET ${path}`);
      return { route: "secret-value", run: () => ({ status: 500, body: { error: { code: "WIAM-TEST-FAILURE", message: VALUE_READ_MARKER } } }) };
    }
    this.violations.push(`unexpected vault read: GET ${path}`);
    return { route: "vault-unknown", run: () => ({ status: 404, body: { error: { code: "NotFound", message: path } } }) };
  }

  private vaultPage<T>(url: URL, base: string, items: readonly T[], map: (item: T) => unknown): Handled {
    const size = Math.min(25, Number(url.searchParams.get("maxresults") ?? 25) || 25);
    const start = Number(url.searchParams.get("$skiptoken") ?? 0);
    const slice = items.slice(start, start + size).map(map);
    const more = start + size < items.length;
    const apiVersion = url.searchParams.get("api-version") ?? "7.6";
    return {
      status: 200,
      body: { value: slice, nextLink: more ? `${base}${url.pathname}?api-version=${apiVersion}&$skiptoken=${start + size}&maxresults=${size}` : null },
    };
  }

  // ---- Azure Resource Manager ---------------------------------------------------------------

  private armRoute(url: URL): { route: string; run: () => Handled } {
    const path = url.pathname;
    const activityLog = /^\/subscriptions\/([0-9a-f-]{36})\/providers\/Microsoft\.Insights\/eventtypes\/management\/values$/i.exec(path);
    if (activityLog) {
      const found = this.estate.subscriptions.find((s) => s.id === activityLog[1]);
      // The window from the $filter as the collector writes it; only $select-ed fields come back.
      const filter = url.searchParams.get("$filter") ?? "";
      const since = /eventTimestamp ge '([^']+)'/.exec(filter)?.[1] ?? "";
      const fields = (url.searchParams.get("$select") ?? "").split(",").filter((field) => field.length > 0);
      return {
        route: "activityLogs",
        run: () =>
          this.armPage(
            url,
            (found?.activityLog ?? [])
              .filter((record) => String(record.eventTimestamp) >= since)
              .map((record) => (fields.length === 0 ? record : Object.fromEntries(Object.entries(record).filter(([key]) => fields.includes(key))))),
          ),
      };
    }
    const subscription = /^\/subscriptions\/([0-9a-f-]{36})\/providers\/([\w.]+)\/(\w+)$/i.exec(path);
    if (subscription) {
      const found = this.estate.subscriptions.find((s) => s.id === subscription[1]);
      const kind = `${subscription[2]}/${subscription[3]}`.toLowerCase();
      const table: Record<string, [string, (s: NonNullable<typeof found>) => ArmResource[]]> = {
        "microsoft.authorization/roleassignments": ["roleAssignments", (s) => s.roleAssignments],
        "microsoft.authorization/roledefinitions": ["roleDefinitions", (s) => s.roleDefinitions],
        "microsoft.authorization/denyassignments": ["denyAssignments", (s) => s.denyAssignments],
        "microsoft.authorization/roleeligibilityscheduleinstances": ["roleEligibilities", (s) => s.roleEligibilities ?? []],
        "microsoft.keyvault/vaults": ["vaults", (s) => s.vaults.map((v) => this.withVaultUri(v))],
        "microsoft.managedidentity/userassignedidentities": ["identities", (s) => s.identities],
      };
      const entry = table[kind];
      if (entry) {
        return {
          route: entry[0],
          run: () => (found ? this.armPage(url, entry[1](found)) : { status: 404, body: { error: { code: "SubscriptionNotFound", message: "not found" } } }),
        };
      }
    }
    if (/^\/providers\/Microsoft\.Management\/managementGroups$/i.test(path)) {
      return { route: "managementGroups.list", run: () => this.managementGroups(url, undefined) };
    }
    const group = /^\/providers\/Microsoft\.Management\/managementGroups\/([^/]+)$/i.exec(path);
    if (group) return { route: "managementGroups.get", run: () => this.managementGroups(url, group[1]) };
    this.violations.push(`unexpected ARM read: GET ${path}`);
    return { route: "arm-unknown", run: () => ({ status: 404, body: { error: { code: "NotFound", message: path } } }) };
  }

  private withVaultUri(vault: ArmResource): ArmResource {
    const url = this.vaultUrls.get(vault.name);
    return url ? { ...vault, properties: { ...vault.properties, vaultUri: `${url}/` } } : vault;
  }

  private armPage(url: URL, items: readonly unknown[]): Handled {
    const size = this.options.armPageSize ?? 100;
    const page = Number(url.searchParams.get("page") ?? 0);
    const slice = items.slice(page * size, (page + 1) * size);
    const more = (page + 1) * size < items.length;
    const next = new URL(url.pathname, this.armUrl);
    for (const [key, value] of url.searchParams) if (key !== "page") next.searchParams.set(key, value);
    next.searchParams.set("page", String(page + 1));
    return { status: 200, body: { value: slice, ...(more ? { nextLink: next.toString() } : {}) } };
  }

  private managementGroups(url: URL, name: string | undefined): Handled {
    const tenant = this.estate.tenants[0];
    if (!tenant || tenant.managementGroups === "forbidden") {
      return { status: 403, body: { error: { code: "AuthorizationFailed", message: "The client does not have authorization to perform action 'Microsoft.Management/managementGroups/read'." } } };
    }
    const resource = (group: (typeof tenant.managementGroups)[number], expand: boolean) => ({
      id: `/providers/Microsoft.Management/managementGroups/${group.name}`,
      type: "Microsoft.Management/managementGroups",
      name: group.name,
      properties: {
        tenantId: tenant.id,
        displayName: group.displayName,
        ...(expand
          ? {
              children: group.children.map((child) => ({
                id: child.kind === "subscription" ? `/subscriptions/${child.id}` : `/providers/Microsoft.Management/managementGroups/${child.id}`,
                type: child.kind === "subscription" ? "Microsoft.Management/managementGroups/subscriptions" : "Microsoft.Management/managementGroups",
                name: child.id,
                displayName: child.displayName,
              })),
            }
          : {}),
      },
    });
    if (name === undefined) return this.armPage(url, tenant.managementGroups.map((group) => resource(group, false)));
    const group = tenant.managementGroups.find((g) => g.name === name);
    if (!group) return { status: 404, body: { error: { code: "NotFound", message: name } } };
    return { status: 200, body: resource(group, url.searchParams.get("$expand") === "children") };
  }

  // ---- Microsoft Graph ----------------------------------------------------------------------

  private graphRoute(url: URL, claims: Record<string, unknown>): { route: string; run: () => Handled } {
    const tenant = this.estate.tenants.find((t) => t.id === claims.tid);
    const path = url.pathname;
    const list = (route: string, items: () => GraphObject[]) => ({ route, run: () => (tenant ? this.graphPage(url, items()) : { status: 401, body: {} }) });
    if (path === "/v1.0/organization") return list("organization", () => (tenant ? [{ id: tenant.id, displayName: tenant.displayName }] : []));
    // Owners come only when asked for with $expand=owners, as in Graph.
    const withOwners = (url.searchParams.get("$expand") ?? "").startsWith("owners");
    const owners = (objects: readonly GraphObject[]) => objects.map(({ owners: listed, ...rest }) => (withOwners ? { ...rest, owners: listed ?? [] } : rest));
    const ownersRoute = withOwners ? ".owners" : "";
    if (path === "/v1.0/applications") return list(`applications${ownersRoute}`, () => owners(tenant?.applications ?? []));
    if (path === "/v1.0/servicePrincipals") return list(`servicePrincipals${ownersRoute}`, () => owners(tenant?.servicePrincipals ?? []));
    const directory = /^\/v1\.0\/roleManagement\/directory\/(roleDefinitions|roleAssignments|roleEligibilityScheduleInstances)$/.exec(path);
    if (directory) {
      const rows = directory[1] === "roleDefinitions" ? tenant?.directoryRoleDefinitions : directory[1] === "roleAssignments" ? tenant?.directoryRoleAssignments : tenant?.directoryRoleEligibilities;
      if (rows === "forbidden") {
        return { route: directory[1] ?? "", run: () => ({ status: 403, body: { error: { code: "AadPremiumLicenseRequired", message: "The tenant needs an AAD Premium 2 license" } } }) };
      }
      return list(directory[1] ?? "", () => rows ?? []);
    }
    const assignedTo = /^\/v1\.0\/servicePrincipals\/([0-9a-f-]{36})\/appRoleAssignedTo$/.exec(path);
    if (assignedTo) return list("appRoleAssignedTo", () => (tenant?.appRoleAssignedTo ?? []).filter((row) => row.resourceId === assignedTo[1]));
    if (path === "/beta/reports/servicePrincipalSignInActivities") {
      if (tenant?.signIns === "forbidden") {
        return { route: "signIns", run: () => ({ status: 403, body: { error: { code: "Authentication_RequestFromNonPremiumTenantOrB2CTenant", message: "Neither tenant is B2C or tenant doesn't have premium license" } } }) };
      }
      return list("signIns", () => (tenant?.signIns === "forbidden" ? [] : (tenant?.signIns ?? [])));
    }
    if (path === "/beta/auditLogs/signIns") {
      const logs = tenant?.signInLogs;
      if (logs === "unlicensed") {
        return { route: "auditLogs.signIns", run: () => ({ status: 403, body: { error: { code: "Authentication_RequestFromNonPremiumTenantOrB2CTenant", message: "Neither tenant is B2C or tenant doesn't have premium license" } } }) };
      }
      if (logs === "forbidden") {
        return { route: "auditLogs.signIns", run: () => ({ status: 403, body: { error: { code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." } } }) };
      }
      // Graph's filter as the collector writes it: a start time and the service principal event types.
      const filter = url.searchParams.get("$filter") ?? "";
      const since = /createdDateTime ge (\S+)/.exec(filter)?.[1];
      const types = [...filter.matchAll(/t eq '(\w+)'/g)].map((match) => match[1]);
      return list("auditLogs.signIns", () =>
        (logs ?? []).filter((row) => {
          const rowTypes = (row.signInEventTypes as string[] | undefined) ?? ["interactiveUser"];
          return (since === undefined || String(row.createdDateTime) >= since) && rowTypes.some((type) => types.includes(type));
        }),
      );
    }
    const members = /^\/v1\.0\/groups\/([0-9a-f-]{36})\/transitiveMembers$/.exec(path);
    if (members) {
      return list("transitiveMembers", () => {
        const group = tenant?.groups.find((g) => g.id === members[1]);
        const everyone: GraphObject[] = [...(tenant?.users ?? []).map((u) => ({ ...u, "@odata.type": "#microsoft.graph.user" })), ...(tenant?.groups ?? []).map(({ members: _m, ...g }) => ({ ...g, "@odata.type": "#microsoft.graph.group" })), ...(tenant?.servicePrincipals ?? []).map((s) => ({ ...s, "@odata.type": "#microsoft.graph.servicePrincipal" }))];
        return (group?.members ?? []).map((id) => everyone.find((o) => o.id === id)).filter((o): o is GraphObject => o !== undefined);
      });
    }
    if (path === "/v1.0/groups" || path === "/v1.0/users") {
      const ids = [...(url.searchParams.get("$filter") ?? "").matchAll(/'([0-9a-f-]{36})'/g)].map((m) => m[1]);
      return list(path === "/v1.0/groups" ? "groups" : "users", () =>
        (path === "/v1.0/groups" ? (tenant?.groups ?? []).map(({ members: _m, ...g }) => g) : (tenant?.users ?? [])).filter((o) => ids.includes(o.id)),
      );
    }
    this.violations.push(`unexpected Graph read: GET ${path}`);
    return { route: "graph-unknown", run: () => ({ status: 404, body: { error: { code: "Request_ResourceNotFound", message: path } } }) };
  }

  private graphPage(url: URL, items: readonly GraphObject[]): Handled {
    const size = Math.min(Number(url.searchParams.get("$top") ?? 100) || 100, this.options.graphPageSize ?? 999);
    const start = Number(url.searchParams.get("$skiptoken") ?? 0);
    const slice = items.slice(start, start + size);
    const next = new URL(url.pathname, this.graphUrl);
    for (const [key, value] of url.searchParams) if (key !== "$skiptoken") next.searchParams.set(key, value);
    next.searchParams.set("$skiptoken", String(start + size));
    return { status: 200, body: { value: slice, ...(start + size < items.length ? { "@odata.nextLink": next.toString() } : {}) } };
  }
}

function attributes(item: { attributes: FakeSecret["attributes"] }) {
  const a = item.attributes;
  return {
    enabled: a.enabled,
    created: a.created,
    updated: a.updated,
    ...(a.nbf !== undefined ? { nbf: a.nbf } : {}),
    ...(a.exp !== undefined ? { exp: a.exp } : {}),
    recoveryLevel: a.recoveryLevel ?? "Recoverable+Purgeable",
    recoverableDays: 90,
  };
}

function secretItem(base: string, secret: FakeSecret) {
  return {
    id: `${base}/secrets/${secret.name}`,
    attributes: attributes(secret),
    ...(secret.contentType ? { contentType: secret.contentType } : {}),
    ...(secret.managed ? { managed: true } : {}),
    ...(secret.tags ? { tags: secret.tags } : {}),
  };
}

function certificateItem(base: string, certificate: FakeCertificate) {
  return {
    id: `${base}/certificates/${certificate.name}`,
    x5t: Buffer.from(`FAKE-thumbprint-${certificate.name}`).toString("base64url"),
    attributes: attributes(certificate),
    ...(certificate.tags ? { tags: certificate.tags } : {}),
  };
}

function keyItem(base: string, key: FakeKey) {
  return {
    kid: `${base}/keys/${key.name}`,
    attributes: attributes(key),
    ...(key.managed ? { managed: true } : {}),
    ...(key.tags ? { tags: key.tags } : {}),
  };
}

function policyBody(base: string, certificate: FakeCertificate) {
  return {
    id: `${base}/certificates/${certificate.name}/policy`,
    key_props: { exportable: true, kty: "RSA", key_size: 2048, reuse_key: false },
    secret_props: { contentType: "application/x-pkcs12" },
    x509_props: { subject: `CN=${certificate.name}`, validity_months: certificate.policy.validityMonths },
    lifetime_actions: certificate.policy.lifetimeActions.map((action) => ({
      trigger: action.lifetimePercentage !== undefined ? { lifetime_percentage: action.lifetimePercentage } : { days_before_expiry: action.daysBeforeExpiry },
      action: { action_type: action.action },
    })),
    issuer: { name: certificate.policy.issuer },
    attributes: { enabled: true, created: certificate.attributes.created, updated: certificate.attributes.updated },
  };
}
