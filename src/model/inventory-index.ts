/**
 * Read-only indexes over a snapshot, built once per load so every query is a few map lookups
 * rather than a scan (the benchmark target is 100k identities and about 1M grants).
 */
import type {
  CollectionGap,
  Credential,
  Grant,
  InventorySnapshot,
  Policy,
  Principal,
  Provider,
  Scope,
  TrustEdge,
  VaultItem,
} from "./inventory.js";

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const EMPTY: readonly never[] = Object.freeze([]);

export class Inventory {
  readonly snapshot: InventorySnapshot;
  readonly demo: boolean;
  readonly scopes = new Map<string, Scope>();
  readonly principals = new Map<string, Principal>();
  readonly policies = new Map<string, Policy>();
  private readonly principalAliases = new Map<string, Principal>();
  private readonly azureScopesLower = new Map<string, Scope>();
  private readonly childScopes = new Map<string, Scope[]>();
  private readonly credentialsByPrincipal = new Map<string, Credential[]>();
  private readonly grantsByPrincipal = new Map<string, Grant[]>();
  private readonly grantsByResource = new Map<string, Grant[]>();
  private readonly grantsByPolicy = new Map<string, Grant[]>();
  private readonly membersByGroup = new Map<string, Principal[]>();
  private readonly trustByTo = new Map<string, TrustEdge[]>();
  private readonly trustByFrom = new Map<string, TrustEdge[]>();
  private readonly policiesAttachedTo = new Map<string, Policy[]>();
  private readonly vaultItemsById = new Map<string, VaultItem>();
  private readonly vaultItemsByScope = new Map<string, VaultItem[]>();

  constructor(snapshot: InventorySnapshot) {
    this.snapshot = snapshot;
    this.demo = snapshot.demo === true;
    for (const scope of snapshot.scopes) {
      this.scopes.set(scope.id, scope);
      if (scope.provider === "azure") this.azureScopesLower.set(scope.id.toLowerCase(), scope);
      if (scope.parentId) pushTo(this.childScopes, scope.parentId, scope);
    }
    for (const principal of snapshot.principals) {
      this.principals.set(principal.id, principal);
      for (const alias of [principal.email, principal.uniqueId, principal.name]) {
        if (alias && !this.principalAliases.has(alias)) this.principalAliases.set(alias, principal);
      }
      for (const group of principal.memberOf ?? []) pushTo(this.membersByGroup, group, principal);
    }
    for (const credential of snapshot.credentials) {
      if (credential.principalId) pushTo(this.credentialsByPrincipal, credential.principalId, credential);
    }
    for (const policy of snapshot.policies) {
      this.policies.set(policy.id, policy);
      for (const scopeId of policy.attachedTo ?? []) pushTo(this.policiesAttachedTo, scopeId, policy);
    }
    for (const grant of snapshot.grants) {
      pushTo(this.grantsByPrincipal, grant.principalId, grant);
      pushTo(this.grantsByPolicy, grant.policyId, grant);
      if (grant.resource) pushTo(this.grantsByResource, grant.resource, grant);
    }
    for (const edge of snapshot.trustEdges) {
      pushTo(this.trustByTo, edge.to, edge);
      pushTo(this.trustByFrom, edge.from, edge);
    }
    for (const item of snapshot.vaultItems) {
      this.vaultItemsById.set(item.id, item);
      pushTo(this.vaultItemsByScope, item.scopeId, item);
    }
  }

  get gaps(): readonly CollectionGap[] {
    return this.snapshot.gaps ?? EMPTY;
  }

  /** Finds a principal by id, email, unique id or name (ids win over aliases). */
  findPrincipal(reference: string): Principal | undefined {
    return this.principals.get(reference) ?? this.principalAliases.get(reference);
  }

  credentialsOf(principalId: string): readonly Credential[] {
    return this.credentialsByPrincipal.get(principalId) ?? EMPTY;
  }

  grantsOf(principalId: string): readonly Grant[] {
    return this.grantsByPrincipal.get(principalId) ?? EMPTY;
  }

  grantsOn(resource: string): readonly Grant[] {
    return this.grantsByResource.get(resource) ?? EMPTY;
  }

  grantsOfPolicy(policyId: string): readonly Grant[] {
    return this.grantsByPolicy.get(policyId) ?? EMPTY;
  }

  membersOf(groupId: string): readonly Principal[] {
    return this.membersByGroup.get(groupId) ?? EMPTY;
  }

  trustEdgesTo(principalId: string): readonly TrustEdge[] {
    return this.trustByTo.get(principalId) ?? EMPTY;
  }

  trustEdgesFrom(source: string): readonly TrustEdge[] {
    return this.trustByFrom.get(source) ?? EMPTY;
  }

  /** SCPs and deny policies attached directly to a scope. */
  policiesAttachedToScope(scopeId: string): readonly Policy[] {
    return this.policiesAttachedTo.get(scopeId) ?? EMPTY;
  }

  childrenOf(scopeId: string): readonly Scope[] {
    return this.childScopes.get(scopeId) ?? EMPTY;
  }

  vaultItem(id: string): VaultItem | undefined {
    return this.vaultItemsById.get(id);
  }

  vaultItemsIn(scopeId: string): readonly VaultItem[] {
    return this.vaultItemsByScope.get(scopeId) ?? EMPTY;
  }

  /** The scope and all its ancestors, nearest first. Stops on a cycle rather than looping. */
  scopeChain(scopeId: string): Scope[] {
    const chain: Scope[] = [];
    const seen = new Set<string>();
    let current = this.scopes.get(scopeId);
    while (current && !seen.has(current.id)) {
      chain.push(current);
      seen.add(current.id);
      current = current.parentId ? this.scopes.get(current.parentId) : undefined;
    }
    return chain;
  }

  /**
   * The scope a resource lives in, following the identifier conventions of each provider.
   * Returns undefined when the resource cannot be placed (analysis then reports `unknown`
   * for anything that depends on inherited policy).
   */
  scopeOfResource(resource: string): Scope | undefined {
    const direct = this.scopes.get(resource);
    if (direct) return direct;
    const item = this.vaultItemsById.get(resource);
    if (item) return this.scopes.get(item.scopeId);
    const principal = this.findPrincipal(resource);
    if (principal) return this.scopes.get(principal.scopeId);
    if (resource.startsWith("arn:")) {
      const account = resource.split(":")[4];
      return account ? this.scopes.get(`aws:account/${account}`) : undefined;
    }
    const gcp = /^(?:\/\/[a-z.]+\/)?projects\/([^/]+)/.exec(resource);
    if (gcp) return this.scopes.get(`projects/${gcp[1]}`);
    if (resource.startsWith("/")) return this.longestAzureScopePrefix(resource);
    return undefined;
  }

  /** Scopes a resource inherits from: its own scope and every ancestor, nearest first. */
  ancestorScopesOfResource(resource: string): Scope[] {
    const scope = this.scopeOfResource(resource);
    return scope ? this.scopeChain(scope.id) : [];
  }

  /** Azure ARM ids are case-insensitive; RBAC scopes inherit by path prefix. */
  private longestAzureScopePrefix(resource: string): Scope | undefined {
    let path = resource.toLowerCase().replace(/\/+$/, "");
    while (path.length > 0) {
      const scope = this.azureScopesLower.get(path);
      if (scope) return scope;
      const cut = path.lastIndexOf("/");
      if (cut <= 0) break;
      path = path.slice(0, cut);
    }
    return undefined;
  }

  principalsOf(provider?: Provider): Principal[] {
    const all = this.snapshot.principals;
    return provider ? all.filter((p) => p.provider === provider) : all;
  }
}
