/**
 * Azure identifiers: Resource Manager ids (`/subscriptions/...`, `/providers/Microsoft.Management/
 * managementGroups/...`), compared case-insensitively and inherited by path prefix, Key Vault
 * data-plane URLs (`https://<vault>.vault.azure.net/...`) and operations (`Microsoft.X/y/read`).
 */
import type { Scope } from "../../model/inventory.js";
import type { ProviderIdGrammar } from "../provider.js";

/** Every path prefix of a Resource Manager id, longest first (RBAC scopes inherit by prefix). */
function pathPrefixes(resource: string): string[] {
  const prefixes: string[] = [];
  let path = resource.replace(/\/+$/, "");
  while (path.length > 0) {
    prefixes.push(path);
    const cut = path.lastIndexOf("/");
    if (cut <= 0) break;
    path = path.slice(0, cut);
  }
  return prefixes;
}

function hostOf(url: string): string | undefined {
  return /^https:\/\//i.test(url) && URL.canParse(url) ? new URL(url).hostname.toLowerCase() : undefined;
}

export const azureIds: ProviderIdGrammar = {
  owns: (id) => id.startsWith("/") || /^https:\/\//i.test(id),
  ownsAction: (action) => action.includes("/"),
  caseInsensitiveIds: true,
  scopeCandidates: (resource) => (resource.startsWith("/") ? pathPrefixes(resource) : []),
  scopeAliases(scope: Scope) {
    if (scope.kind !== "vault") return [];
    const aliases = [`${scope.name.toLowerCase()}.vault.azure.net`];
    const uri = scope.attributes?.vaultUri;
    const host = typeof uri === "string" ? hostOf(uri) : undefined;
    if (host !== undefined) aliases.unshift(host);
    return aliases;
  },
  aliasKeyOf: hostOf,
  policyVariables: false,
};
