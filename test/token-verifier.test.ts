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

    // Verified once, the token is not checked again until its expiry (plus the skew) has passed.
    now = T0 + 600 + 30;
    expect((await verifier.verify(bearer)).caller).toBe(`${ISSUER}|0000-EXAMPLE`);
    now = T0 + 600 + 31;
    await expect(verifier.verify(bearer)).rejects.toMatchObject({ status: 401, errorCode: "invalid_token", publicDescription: "the access token is not valid" });
    expect(fetched.length).toBe(2);
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
});
