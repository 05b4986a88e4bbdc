/**
 * Read-only indexes over a snapshot, built once per load so every query is a few map lookups
 * rather than a scan (the benchmark target is 100k identities and about 1M grants).
 */
import { providerModule, providerOwning } from "../providers/registry.js";
import type {
  CollectedResource,
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
import { GrantTable } from "./grant-table.js";
import { ActivityRecords } from "../activity/activity-records.js";
import { ActivityLog } from "../activity/log.js";

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Groups items by key, keeping input order, into lists of exactly their size. Lists grown by
 * push keep up to half again their length (at least 16 slots) as slack: at 100k identities, with
 * tens of thousands of short lists (grants, keys and trust edges per principal), about 8 MB of a
 * 53 MB index.
 * Collections usually list one key's items together (a principal's grants), so a run of equal
 * keys costs one map update instead of one per item.
 */
function groupBy<T>(items: readonly T[], keyOf: (item: T) => string | undefined): Map<string, T[]> {
  const sizes = new Map<string, number>();
  let runKey: string | undefined;
  let runLength = 0;
  const endRun = () => {
    if (runKey !== undefined) sizes.set(runKey, (sizes.get(runKey) ?? 0) + runLength);
  };
  for (const item of items) {
    const key = keyOf(item);
    if (key === runKey) {
      runLength++;
      continue;
    }
    endRun();
    runKey = key;
    runLength = 1;
  }
  endRun();

  const groups = new Map<string, T[]>();
  // Back to front, each item goes to the last free slot of its list, so input order is kept;
  // `sizes` becomes the count of slots still free.
  let group: T[] | undefined;
  let groupKey: string | undefined;
  let free = 0;
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i] as T;
    const key = keyOf(item);
    if (key === undefined) continue;
    if (key !== groupKey || group === undefined) {
      if (groupKey !== undefined) sizes.set(groupKey, free);
      groupKey = key;
      free = sizes.get(key) as number;
      group = groups.get(key);
      if (!group) {
        group = new Array<T>(free);
        groups.set(key, group);
      }
    }
    group[--free] = item;
  }
  return groups;
}

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * The snapshot as the inventory keeps it: every list as collected, except grants, which are read
 * from the table (spelled out as row views each time `grants` is read: rare, e.g. an export).
 */
function withGrantsFromTable(snapshot: InventorySnapshot, table: () => GrantTable): InventorySnapshot {
  const kept: Record<string, unknown> = {};
  // Same keys in the same order (an export writes them so), with `grants` read from the table.
  for (const [key, value] of Object.entries(snapshot)) {
    if (key === "grants") Object.defineProperty(kept, key, { get: () => table().toArray(), enumerable: true });
    else kept[key] = value;
  }
  return kept as InventorySnapshot;
}

export class Inventory {
  readonly snapshot: InventorySnapshot;
  /** The snapshot says it is demo data (a label: a snapshot file can say so too). */
  readonly demo: boolean;
  /**
   * Served from the built-in demo estate only, as the server itself generated it. Governance may
   * relax rules for this and nothing else: a file's own "demo" label is not trusted.
   */
  readonly builtInDemo: boolean;
  readonly scopes = new Map<string, Scope>();
  readonly principals = new Map<string, Principal>();
  readonly policies = new Map<string, Policy>();
  /** Scopes of providers whose ids compare case-insensitively, by lower-cased id. */
  private readonly scopesLower = new Map<string, Scope>();
  private readonly childScopes = new Map<string, Scope[]>();
  /** All grants, in columns (see grant-table.ts); `snapshot.grants` spells them out on demand. */
  readonly grants: GrantTable;
  private readonly policiesAttachedTo = new Map<string, Policy[]>();
  /*
   * Built on first use: a restart's first answer (a summary, one identity) needs few of them, and
   * at 100k identities building all of them was a quarter of loading a stored inventory.
   */
  private aliasIndex: { aliases: Map<string, Principal>; ambiguous: Map<string, Principal[]> } | undefined;
  private credentialGroups: Map<string, Credential[]> | undefined;
  private memberGroups: Map<string, Principal[]> | undefined;
  private trustGroupsTo: Map<string, TrustEdge[]> | undefined;
  private trustGroupsFrom: Map<string, TrustEdge[]> | undefined;
  private readonly vaultItemsById = new Map<string, VaultItem>();
  private readonly vaultItemsByScope = new Map<string, VaultItem[]>();
  private readonly resourcesById = new Map<string, CollectedResource>();
  /** Listed resources by their provider's listedResourceKey (a bucket's global name); the first listed wins. */
  private readonly resourcesByKey = new Map<string, CollectedResource>();

  /**
   * `grants`: the grant table when it is already built (a stored inventory loads its columns
   * directly); the snapshot's own `grants` are then not read.
   */
  constructor(snapshot: InventorySnapshot, options: { builtInDemo?: boolean; grants?: GrantTable } = {}) {
    // The collected grant objects are dropped once the table holds them: what stays is the table.
    this.snapshot = withGrantsFromTable(snapshot, () => this.grants);
    this.demo = snapshot.demo === true;
    this.builtInDemo = this.demo && options.builtInDemo === true;
    for (const scope of snapshot.scopes) {
      this.scopes.set(scope.id, scope);
      if (providerModule(scope.provider).ids.caseInsensitiveIds) this.scopesLower.set(scope.id.toLowerCase(), scope);
      if (scope.parentId) pushTo(this.childScopes, scope.parentId, scope);
    }
    for (const principal of snapshot.principals) this.principals.set(principal.id, principal);
    for (const policy of snapshot.policies) {
      this.policies.set(policy.id, policy);
      for (const scopeId of policy.attachedTo ?? []) pushTo(this.policiesAttachedTo, scopeId, policy);
    }
    this.grants = options.grants ?? new GrantTable(snapshot.grants);
    for (const item of snapshot.vaultItems) {
      this.vaultItemsById.set(item.id, item);
      pushTo(this.vaultItemsByScope, item.scopeId, item);
    }
    for (const resource of snapshot.resources ?? []) {
      this.resourcesById.set(resource.id, resource);
      const key = providerModule(resource.provider).ids.listedResourceKey?.(resource.id);
      if (key !== undefined && !this.resourcesByKey.has(key)) this.resourcesByKey.set(key, resource);
    }
  }

  /** Principals by email, unique id and name, and the aliases more than one identity shares. */
  private get aliases(): { aliases: Map<string, Principal>; ambiguous: Map<string, Principal[]> } {
    if (this.aliasIndex) return this.aliasIndex;
    const aliases = new Map<string, Principal>();
    const ambiguous = new Map<string, Principal[]>();
    for (const principal of this.snapshot.principals) {
      for (const alias of [principal.email, principal.uniqueId, principal.name]) {
        if (!alias) continue;
        const first = aliases.get(alias);
        if (first === undefined) aliases.set(alias, principal);
        else if (first !== principal) {
          const holders = ambiguous.get(alias);
          if (holders === undefined) ambiguous.set(alias, [first, principal]);
          else if (!holders.includes(principal)) holders.push(principal);
        }
      }
    }
    return (this.aliasIndex = { aliases, ambiguous });
  }

  private get membersByGroup(): Map<string, Principal[]> {
    if (this.memberGroups) return this.memberGroups;
    const groups = new Map<string, Principal[]>();
    for (const principal of this.snapshot.principals) for (const group of principal.memberOf ?? []) pushTo(groups, group, principal);
    return (this.memberGroups = groups);
  }

  private get credentialsByPrincipal(): Map<string, Credential[]> {
    return (this.credentialGroups ??= groupBy(this.snapshot.credentials, (credential) => credential.principalId || undefined));
  }

  private get trustByTo(): Map<string, TrustEdge[]> {
    return (this.trustGroupsTo ??= groupBy(this.snapshot.trustEdges, (edge) => edge.to));
  }

  private get trustByFrom(): Map<string, TrustEdge[]> {
    return (this.trustGroupsFrom ??= groupBy(this.snapshot.trustEdges, (edge) => edge.from));
  }

  private activityColumns: ActivityLog | undefined;

  /**
   * The activity log in columns, built on first use (most questions never need it) from the
   * records the readers collected, and shared by every inventory made from them.
   */
  get activity(): ActivityLog {
    this.activityColumns ??= this.snapshot.activityLog ? ActivityRecords.of(this.snapshot.activityLog).log() : ActivityLog.empty();
    return this.activityColumns;
  }

  get gaps(): readonly CollectionGap[] {
    return this.snapshot.gaps ?? EMPTY;
  }

  /** Finds a principal by id, email, unique id or name (ids win over aliases). */
  findPrincipal(reference: string): Principal | undefined {
    return this.principals.get(reference) ?? this.aliases.aliases.get(reference);
  }

  /**
   * Every identity `reference` could mean: the one with that id, else all whose email, unique id
   * or name it is. More than one means the reference is ambiguous and should not be guessed.
   */
  principalCandidates(reference: string): readonly Principal[] {
    const byId = this.principals.get(reference);
    if (byId) return [byId];
    const { aliases, ambiguous: shared } = this.aliases;
    const ambiguous = shared.get(reference);
    if (ambiguous) return ambiguous;
    const byAlias = aliases.get(reference);
    return byAlias ? [byAlias] : EMPTY;
  }

  credentialsOf(principalId: string): readonly Credential[] {
    return this.credentialsByPrincipal.get(principalId) ?? EMPTY;
  }

  grantsOf(principalId: string): readonly Grant[] {
    return this.grants.grantsOf(principalId);
  }

  grantCountOf(principalId: string): number {
    return this.grants.grantCountOf(principalId);
  }

  grantsOn(resource: string): readonly Grant[] {
    return this.grants.grantsOn(resource);
  }

  grantsOfPolicy(policyId: string): readonly Grant[] {
    return this.grants.grantsOfPolicy(policyId);
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

  /** A listed resource whose place or facts were collected (snapshot.resources). */
  collectedResource(id: string): CollectedResource | undefined {
    return this.resourcesById.get(id);
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
    const listed = this.resourcesById.get(resource);
    if (listed) return this.scopes.get(listed.scopeId);
    if (this.resourcesByKey.size > 0) {
      const key = providerOwning(resource)?.ids.listedResourceKey?.(resource);
      const listedUnder = key === undefined ? undefined : this.resourcesByKey.get(key);
      if (listedUnder) return this.scopes.get(listedUnder.scopeId);
    }
    const principal = this.findPrincipal(resource);
    if (principal) return this.scopes.get(principal.scopeId);
    const ids = providerOwning(resource)?.ids;
    if (!ids) return undefined;
    for (const candidate of ids.scopeCandidates(resource)) {
      const scope = ids.caseInsensitiveIds ? this.scopesLower.get(candidate.toLowerCase()) : this.scopes.get(candidate);
      if (scope) return scope;
    }
    return undefined;
  }

  /** Scopes a resource inherits from: its own scope and every ancestor, nearest first. */
  ancestorScopesOfResource(resource: string): Scope[] {
    const scope = this.scopeOfResource(resource);
    return scope ? this.scopeChain(scope.id) : [];
  }

  principalsOf(provider?: Provider): Principal[] {
    const all = this.snapshot.principals;
    return provider ? all.filter((p) => p.provider === provider) : all;
  }
}
