/**
 * The bearer token verifier on its own, with an injected clock and the issuer's documents served
 * by an injected fetch: discovery, the verified-token cache honouring exp, scopes in `scp`, groups.
 */
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { oauthConfigSchema } from "../src/config/http-schema.js";
import { TokenRejection, TokenVerifier } from "../src/http/token-verifier.js";

const ISSUER = "https://login.example.com/tenant-a/";
const RESOURCE = "https://wiam.example.com/mcp";
const T0 = 1_800_000_000;

describe("TokenVerifier", () => {
  let privateKey: CryptoKey;
  let documents: Record<string, unknown>;
  const fetched: string[] = [];
  const fetchFake: typeof fetch = (input) => {
    const url = String(input);
    fetched.push(url);
    const body = documents[url];
    return Promise.resolve(body === undefined ? new Response("not found", { status: 404 }) : Response.json(body));
  };

  beforeAll(async () => {
    const pair = await generateKeyPair("ES256", { extractable: true });
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    documents = {
      [`${ISSUER}.well-known/openid-configuration`]: { issuer: ISSUER, jwks_uri: "https://login.example.com/tenant-a/keys" },
      "https://login.example.com/tenant-a/keys": { keys: [jwk] },
    };
  });

  const token = (claims: Record<string, unknown>, exp = T0 + 600) =>
    new SignJWT({ sub: "user-1", ...claims }).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer(ISSUER).setAudience(RESOURCE).setIssuedAt(T0).setExpirationTime(exp).sign(privateKey);

  it("finds the keys through discovery, reads scopes from scp and groups from the configured claim", async () => {
    let now = T0;
    const config = oauthConfigSchema.parse({ type: "oauth", issuer: ISSUER, requiredScopes: ["wiam.read"], groupsClaim: "roles", callerClaim: "oid" });
    const verifier = new TokenVerifier(config, RESOURCE, { fetch: fetchFake, now: () => now });
    const bearer = await token({ oid: "0000-EXAMPLE", scp: "wiam.read other", roles: ["secops", "auditors"], azp: "cli-app" });
    expect(await verifier.verify(bearer)).toEqual({
      caller: `${ISSUER}|0000-EXAMPLE`,
      authenticated: { issuer: ISSUER, subject: "0000-EXAMPLE", clientId: "cli-app", groups: ["secops", "auditors"], scopes: ["wiam.read", "other"] },
      expiresAt: T0 + 600,
    });
    expect(fetched).toEqual([`${ISSUER}.well-known/openid-configuration`, "https://login.example.com/tenant-a/keys"]);

    // Verified once, the token is trusted from the cache for five minutes without reading any key.
    now = T0 + 300;
    expect((await verifier.verify(bearer)).caller).toBe(`${ISSUER}|0000-EXAMPLE`);
    expect(fetched.length).toBe(2);
    // Later it is verified again, against keys read again (they were five minutes old), up to its expiry plus the skew.
    now = T0 + 600 + 29;
    expect((await verifier.verify(bearer)).caller).toBe(`${ISSUER}|0000-EXAMPLE`);
    expect(fetched).toEqual([`${ISSUER}.well-known/openid-configuration`, "https://login.example.com/tenant-a/keys", "https://login.example.com/tenant-a/keys"]);
    now = T0 + 600 + 31;
    await expect(verifier.verify(bearer)).rejects.toMatchObject({ status: 401, errorCode: "invalid_token", publicDescription: "the access token is not valid" });
    expect(fetched.length).toBe(3);
  });

  it("refuses a token without a required scope with 403, and a discovery document naming another issuer with 503", async () => {
    const config = oauthConfigSchema.parse({ type: "oauth", issuer: ISSUER, requiredScopes: ["wiam.read", "wiam.audit"] });
    const verifier = new TokenVerifier(config, RESOURCE, { fetch: fetchFake, now: () => T0 });
    const refused = await verifier.verify(await token({ scope: "wiam.read" })).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TokenRejection);
    expect(refused).toMatchObject({ status: 403, errorCode: "insufficient_scope", publicDescription: "the access token lacks the scope wiam.audit" });

    const impostor = new TokenVerifier(oauthConfigSchema.parse({ type: "oauth", issuer: "https://login.example.com/tenant-b/" }), RESOURCE, {
      fetch: (input) => Promise.resolve(Response.json({ issuer: ISSUER, jwks_uri: "https://login.example.com/tenant-a/keys", requested: String(input) })),
      now: () => T0,
    });
    await expect(impostor.verify(await token({}))).rejects.toMatchObject({ status: 503, errorCode: "temporarily_unavailable" });
  });

  it("stops accepting a token, cached or not, once its signing key has left the issuer's JWKS", async () => {
    const second = await generateKeyPair("ES256", { extractable: true });
    const k2 = { ...(await exportJWK(second.publicKey)), kid: "k2", alg: "ES256", use: "sig" };
    let keys: unknown[] = (documents["https://login.example.com/tenant-a/keys"] as { keys: unknown[] }).keys;
    const rotating: typeof fetch = (input) =>
      Promise.resolve(String(input).endsWith("/keys") ? Response.json({ keys }) : Response.json(documents[String(input)] ?? {}, { status: documents[String(input)] ? 200 : 404 }));
    let now = T0;
    const config = oauthConfigSchema.parse({ type: "oauth", issuer: ISSUER, jwksUri: "https://login.example.com/tenant-a/keys" });
    const verifier = new TokenVerifier(config, RESOURCE, { fetch: rotating, now: () => now });
    const old = await token({}, T0 + 3600);
    expect((await verifier.verify(old)).caller).toBe(`${ISSUER}|user-1`);

    // The issuer withdraws k1 and signs with k2: the first k2 token makes the server read the keys
    // again, and the k1 token verified a minute ago is refused at once, not at its expiry an hour on.
    keys = [k2];
    now = T0 + 60;
    const fresh = await new SignJWT({ sub: "user-2" }).setProtectedHeader({ alg: "ES256", kid: "k2" }).setIssuer(ISSUER).setAudience(RESOURCE).setExpirationTime(T0 + 3600).sign(second.privateKey);
    expect((await verifier.verify(fresh)).caller).toBe(`${ISSUER}|user-2`);
    await expect(verifier.verify(old)).rejects.toMatchObject({ status: 401, errorCode: "invalid_token" });

    // Without any new key to trigger a read: after five minutes the keys are read again anyway.
    const quiet = new TokenVerifier(config, RESOURCE, { fetch: rotating, now: () => now });
    keys = [k2, (documents["https://login.example.com/tenant-a/keys"] as { keys: unknown[] }).keys[0]];
    now = T0;
    expect((await quiet.verify(old)).caller).toBe(`${ISSUER}|user-1`);
    keys = [k2];
    now = T0 + 299;
    expect((await quiet.verify(old)).caller).toBe(`${ISSUER}|user-1`);
    now = T0 + 301;
    await expect(quiet.verify(old)).rejects.toMatchObject({ status: 401, errorCode: "invalid_token" });
  });

  it("refuses a discovered jwks_uri that is not https, unless the issuer itself is http on loopback", async () => {
    const discovering = (issuer: string, jwksUri: string): typeof fetch => (input) =>
      Promise.resolve(String(input).includes("/.well-known/") ? Response.json({ issuer, jwks_uri: jwksUri }) : Response.json(documents["https://login.example.com/tenant-a/keys"]));
    const plain = new TokenVerifier(oauthConfigSchema.parse({ type: "oauth", issuer: ISSUER }), RESOURCE, { fetch: discovering(ISSUER, "http://login.example.com/tenant-a/keys"), now: () => T0 });
    const refused = await plain.verify(await token({})).catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 503, errorCode: "temporarily_unavailable" });
    expect((refused as TokenRejection).internalReason).toContain("jwks_uri http://login.example.com/tenant-a/keys is not https");

    const local = "http://127.0.0.1:9000";
    const loopback = new TokenVerifier(oauthConfigSchema.parse({ type: "oauth", issuer: local }), RESOURCE, { fetch: discovering(local, `${local}/jwks`), now: () => T0 });
    const localToken = await new SignJWT({ sub: "local-1" }).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer(local).setAudience(RESOURCE).setExpirationTime(T0 + 600).sign(privateKey);
    expect((await loopback.verify(localToken)).caller).toBe(`${local}|local-1`);
  });

  it("stops reading an issuer document past 256 KiB instead of buffering it whole", async () => {
    let pulled = 0;
    const endless: typeof fetch = () =>
      Promise.resolve(
        new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              pulled += 1;
              controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
            },
          }),
        ),
      );
    const verifier = new TokenVerifier(oauthConfigSchema.parse({ type: "oauth", issuer: ISSUER, jwksUri: "https://login.example.com/tenant-a/keys" }), RESOURCE, { fetch: endless, now: () => T0 });
    const refused = await verifier.verify(await token({})).catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 503, errorCode: "temporarily_unavailable" });
    expect((refused as TokenRejection).internalReason).toBe("JWKS unavailable: https://login.example.com/tenant-a/keys: document over 262144 bytes");
    // Five 64 KiB chunks pass the limit; the stream may have one more queued, never the rest.
    expect(pulled).toBeLessThanOrEqual(7);
  });
  it("reads groups from a nested claim path (Keycloak), prefers an exact claim name with dots (Okta), and serves an Entra groups overage without groups", async () => {
    const verifierFor = (groupsClaim: string, omitted: string[] = []) =>
      new TokenVerifier(oauthConfigSchema.parse({ type: "oauth", issuer: ISSUER, groupsClaim }), RESOURCE, { fetch: fetchFake, now: () => T0, onGroupsOmitted: (caller) => omitted.push(caller) });
    const groupsOf = async (verifier: TokenVerifier, claims: Record<string, unknown>) => (await verifier.verify(await token(claims))).authenticated.groups;

    const keycloak = { realm_access: { roles: ["secops", "offline_access"] }, resource_access: { "wiam-mcp": { roles: ["approver"] } } };
    expect(await groupsOf(verifierFor("realm_access.roles"), keycloak)).toEqual(["secops", "offline_access"]);
    expect(await groupsOf(verifierFor("resource_access.wiam-mcp.roles"), keycloak)).toEqual(["approver"]);
    // A path through something that is not an object, or past the end, is no groups.
    expect(await groupsOf(verifierFor("realm_access.roles.secops"), keycloak)).toEqual([]);
    expect(await groupsOf(verifierFor("realm_access.missing"), keycloak)).toEqual([]);
    // Okta names custom claims with URLs: the exact name wins over reading it as a path.
    expect(await groupsOf(verifierFor("https://example.com/groups"), { "https://example.com/groups": ["analysts"] })).toEqual(["analysts"]);
    expect(await groupsOf(verifierFor("team.roles"), { "team.roles": ["exact"], team: { roles: ["nested"] } })).toEqual(["exact"]);

    const omitted: string[] = [];
    const entra = verifierFor("groups", omitted);
    const overage = { _claim_names: { groups: "src1" }, _claim_sources: { src1: { endpoint: "https://graph.windows.net/EXAMPLE/users/EXAMPLE/getMemberObjects" } } };
    expect(await groupsOf(entra, overage)).toEqual([]);
    expect(omitted).toEqual([`${ISSUER}|user-1`]);
    expect(await groupsOf(entra, { groups: ["g-1"] })).toEqual(["g-1"]);
    expect(omitted.length).toBe(1);
  });
});
