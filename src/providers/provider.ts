/**
 * What one cloud (or any other home of machine identities) brings to the server. Everything
 * provider-specific sits behind this interface in `src/providers/<id>/`; neutral code asks the
 * registry and never switches on a provider's name.
 */
import type { z } from "zod";
import type { QueryContext } from "../analysis/entitlements/context.js";
import type { ProviderEvaluator } from "../analysis/entitlements/internal.js";
import type { Connector } from "../connectors/connector.js";
import type { DemoEstate } from "../connectors/demo/estate.js";
import type { Scope } from "../model/inventory.js";
import type { ActivityLogData } from "../model/activity-log.js";
import type { ProviderId } from "./ids.js";

/** How a provider writes its identifiers and actions, read from the text alone. */
export interface ProviderIdGrammar {
  /** True when a scope, principal, policy or resource id is written in this provider's syntax. */
  owns(id: string): boolean;
  /**
   * True when an action is written in this provider's syntax (s3:GetObject, storage.objects.get,
   * Microsoft.KeyVault/vaults/read). The grammars are exclusive; an action none owns (`*`) fits all.
   */
  ownsAction(action: string): boolean;
  /** Ids compare case-insensitively (Azure Resource Manager ids). */
  readonly caseInsensitiveIds: boolean;
  /**
   * Scope ids a resource may live in, read from its id, nearest first (an ARN's account, a Google
   * resource's project, every path prefix of an Azure resource id). The inventory picks the first
   * it collected.
   */
  scopeCandidates(resource: string): string[];
  /**
   * The scope an id names by itself, collected or not (`aws:account/<id>` for an ARN with an
   * account), so governance can place a resource before any collection. Undefined: the id alone
   * does not say (the inventory decides).
   */
  scopeNamedBy?(id: string): string | undefined;
  /** Other names a scope answers to (an Azure vault's host name), for ids that are URLs. */
  scopeAliases?(scope: Scope): string[];
  /** The alias key an id is found under (the host name of a Key Vault URL), if any. */
  aliasKeyOf?(id: string): string | undefined;
  /**
   * The key a listed resource (snapshot.resources) is found under whatever scope the id's text
   * names: a Cloud Storage bucket's global name, so `projects/_/buckets/b/...` and
   * `projects/<any>/buckets/b/...` are placed where the listing has `b`.
   */
  listedResourceKey?(id: string): string | undefined;
  /** An action as written in a policy, in the form matching compares (Google deny policies' service form). */
  normalizeAction?(action: string): string;
  /** Resource patterns may hold policy variables (`${aws:username}`), resolved per request. */
  readonly policyVariables: boolean;
}

export interface ConnectorDeps {
  /** Who asks (OS user or authenticated subject); becomes the session name or source identity. */
  caller: string;
  /** How activity log files and objects are parsed (config `activity.ingestion`). */
  activityIngestion?: ActivityIngestion | undefined;
}

export interface ActivityIngestion {
  /** Parsing threads (1: in process; default: one per core). */
  workers?: number | undefined;
  /** Event and credential ids are kept for events of this many hours before collection (default: all). */
  keepIdsHours?: number | undefined;
}

export type DoctorLevel = "ok" | "warning" | "error";

export interface DoctorCheck {
  level: DoctorLevel;
  check: string;
  detail: string;
}

export interface ProviderModule<Id extends ProviderId = ProviderId, Config = unknown> {
  readonly id: Id;
  /** The name people use: "AWS", "Google Cloud", "Azure". */
  readonly title: string;
  /** `providers.<id>` in the YAML config. */
  readonly configSchema: z.ZodType<Config>;
  readonly configDescription: string;
  /** One line for status output: what the connector reads. */
  readonly connectorDescription: string;
  readonly ids: ProviderIdGrammar;
  /** How a resource of this provider is named, for messages: "an ARN". */
  readonly resourceIdHint: string;
  /** The live connector; its SDKs load on the first collection (`lazyConnector`). */
  createConnector(config: Config, deps: ConnectorDeps): Connector;
  /** The privilege-escalation techniques its evaluator applies (ids and sentences, for docs and tests). */
  readonly escalationRules: readonly { readonly id: string; readonly technique: string }[];
  /** Access evaluation over one query's inventory: direct access, pivots, escalation rules, holders. */
  createEvaluator(ctx: QueryContext): ProviderEvaluator;
  /** Environments the config already gives scopes (an AWS account's `environment`), before any collection. */
  configuredEnvironments?(config: Config): Array<[scopeId: string, environment: string]>;
  /** `wiam doctor` checks of the configured connector (credentials, the identity the server uses, breadth). */
  doctorChecks(connector: Connector): Promise<DoctorCheck[]>;
  /** This provider's part of the built-in demo estate. */
  addDemoEstate(estate: DemoEstate): void;
  /**
   * Reads this provider's activity log files (config `activity.files.<id>`), metadata only.
   * `rangesFile` replaces the shipped snapshot of the provider's published address ranges;
   * `workers` is the number of parsing threads (1: in process; default: one per core); event and
   * credential ids of events before `keepIdsSince` (epoch ms) are not kept.
   */
  readActivityFiles?(
    paths: readonly string[],
    options: { rangesFile?: string | undefined; signal?: AbortSignal | undefined; workers?: number | undefined; keepIdsSince?: number | undefined },
  ): Promise<ActivityLogData>;
}
