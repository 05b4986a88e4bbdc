/**
 * Shared plumbing for the demo estate modules: the collections being filled, a seeded generator,
 * a clock relative to `now`, and helpers that keep evidence and activity records uniform.
 */
import type { ActivityEvent, ActivitySource } from "../../model/activity-log.js";
import type {
  Activity,
  CollectionGap,
  Condition,
  Credential,
  Evidence,
  Grant,
  Policy,
  Principal,
  Scope,
  Statement,
  TrustEdge,
  VaultItem,
} from "../../model/inventory.js";
import { RelativeClock, SeededRandom } from "./random.js";

export class DemoEstate {
  readonly scopes: Scope[] = [];
  readonly principals: Principal[] = [];
  readonly credentials: Credential[] = [];
  readonly vaultItems: VaultItem[] = [];
  readonly policies: Policy[] = [];
  readonly grants: Grant[] = [];
  readonly trustEdges: TrustEdge[] = [];
  readonly gaps: CollectionGap[] = [];
  /** Activity from the clouds' logs (src/connectors/demo/activity.ts writes it). */
  readonly activityEvents: ActivityEvent[] = [];
  readonly activitySources: ActivitySource[] = [];
  readonly clock: RelativeClock;
  readonly random: SeededRandom;

  constructor(now: Date, seed: number) {
    this.clock = new RelativeClock(now);
    this.random = new SeededRandom(seed);
  }

  /** Evidence observed during the collection that produced the snapshot (a few minutes before now). */
  evidence(source: string, minutesAgo = 4): Evidence {
    return { source, observedAt: this.clock.minutesAgo(minutesAgo) };
  }

  /**
   * Last-use evidence. `lastUsedDaysAgo` undefined means the source holds no use: for a
   * lifetime source that is "never used", for a window source "not seen in the window".
   */
  activity(
    source: string,
    coverage: Activity["coverage"],
    lastUsedDaysAgo: number | undefined,
    options: { windowDays?: number; detail?: string; observedMinutesAgo?: number } = {},
  ): Activity {
    const activity: Activity = {
      coverage,
      source,
      observedAt: this.clock.minutesAgo(options.observedMinutesAgo ?? 4),
    };
    if (lastUsedDaysAgo !== undefined) activity.lastUsedAt = this.clock.daysAgo(lastUsedDaysAgo);
    if (options.windowDays !== undefined) activity.windowDays = options.windowDays;
    if (options.detail !== undefined && lastUsedDaysAgo !== undefined) activity.detail = options.detail;
    return activity;
  }

  /** Picks n distinct items (n capped at the list length). */
  sample<T>(items: readonly T[], n: number): T[] {
    return this.random.shuffled(items).slice(0, Math.min(n, items.length));
  }
}

export function allow(id: string, actions: string[], resources?: string[], conditions?: Condition[]): Statement {
  const statement: Statement = { id, effect: "Allow", actions };
  if (resources) statement.resources = resources;
  if (conditions) statement.conditions = conditions;
  return statement;
}

export function deny(id: string, actions: string[], resources?: string[], conditions?: Condition[]): Statement {
  const statement: Statement = { id, effect: "Deny", actions };
  if (resources) statement.resources = resources;
  if (conditions) statement.conditions = conditions;
  return statement;
}

/** A condition on one context key, written the way AWS policies read: `key Operator value`. */
export function condition(key: string, operator: string, values: string | string[]): Condition {
  const list = Array.isArray(values) ? values : [values];
  return { expression: `${key} ${operator} ${list.join(", ")}`, keys: [key], operator, values: list };
}

/** Realistic workload names: service × component, e.g. `orders-api`, `ledger-worker`. */
export const SERVICES = [
  "orders",
  "payments",
  "inventory",
  "checkout",
  "catalog",
  "search",
  "shipping",
  "billing",
  "ledger",
  "notifications",
  "fraud-scoring",
  "pricing",
  "recommendations",
  "invoicing",
  "refunds",
  "customer-profile",
  "loyalty",
  "media",
  "reporting",
  "identity",
] as const;

export const COMPONENTS = ["api", "worker", "consumer", "scheduler", "sync", "exporter", "ingest", "cron"] as const;

/** Every service-component pair in a seeded order, skipping names already taken. */
export function workloadNames(random: SeededRandom, taken: ReadonlySet<string>, count: number): string[] {
  const all: string[] = [];
  for (const service of SERVICES) for (const component of COMPONENTS) all.push(`${service}-${component}`);
  return random
    .shuffled(all)
    .filter((name) => !taken.has(name))
    .slice(0, count);
}
