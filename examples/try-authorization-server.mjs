// A throwaway OAuth 2.1 authorization server for trying `wiam serve --http` on one machine
// (README, "Serving over HTTP"). It is oidc-provider (a devDependency) on 127.0.0.1:9000 with two
// analysts as client-credentials clients, issuing RS256 JWT access tokens whose audience is the
// MCP server's resource URI and whose `groups` claim carries the analyst's group. Not for
// production: keys live in memory and the secrets below are fake.
import { createServer } from "node:http";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";

const ISSUER = process.env.ISSUER ?? "http://127.0.0.1:9000";
const RESOURCE = process.env.RESOURCE ?? "http://127.0.0.1:8787/mcp";
const CLIENTS = {
  "analyst-alice": { secret: "FAKE-client-secret-alice-EXAMPLE", groups: ["analysts"] },
  "secops-sam": { secret: "FAKE-client-secret-sam-EXAMPLE", groups: ["secops"] },
};

const { privateKey } = await generateKeyPair("RS256", { extractable: true });
const provider = new Provider(ISSUER, {
  clients: Object.entries(CLIENTS).map(([id, c]) => ({
    client_id: id,
    client_secret: c.secret,
    grant_types: ["client_credentials"],
    response_types: [],
    redirect_uris: [],
    scope: "wiam.read",
  })),
  scopes: ["openid", "wiam.read"],
  jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: "try-key", alg: "RS256", use: "sig" }] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({ scope: "wiam.read", audience: RESOURCE, accessTokenTTL: 3600, accessTokenFormat: "jwt", jwt: { sign: { alg: "RS256" } } }),
    },
  },
  extraTokenClaims: (_ctx, token) => ({ groups: CLIENTS[token.clientId]?.groups ?? [] }),
});
const { port, hostname } = new URL(ISSUER);
createServer(provider.callback()).listen(Number(port), hostname, () => {
  console.log(`authorization server ${ISSUER}; tokens for ${RESOURCE}`);
  for (const [id, c] of Object.entries(CLIENTS)) {
    console.log(`  ${id} (${c.groups.join(", ")}): curl -s -u ${id}:${c.secret} -d grant_type=client_credentials -d scope=wiam.read -d resource=${RESOURCE} ${ISSUER}/token`);
  }
});
