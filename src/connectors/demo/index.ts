/**
 * The built-in demo estate: a realistic, multi-cloud inventory generated in memory, so the server
 * can be tried (and the README tour followed) without any cloud credentials. Everything is
 * derived from `now` and a fixed seed: the same `now` always yields the same estate, and
 * expiry dates stay "in 12 days" whenever it runs. Answers built on it say it is a demo.
 */
import { ActivityRecords } from "../../activity/activity-records.js";
import type { Connector } from "../connector.js";
import { SNAPSHOT_SCHEMA_VERSION, type InventorySnapshot } from "../../model/inventory.js";
import { PROVIDERS } from "../../providers/registry.js";
import { DemoEstate } from "./estate.js";

export { DEMO_ANCHORS, type DemoAnchors } from "./anchors.js";

const DEMO_SEED = 0x5eed_2024;

export function buildDemoEstate(now: Date): InventorySnapshot {
  const estate = new DemoEstate(now, DEMO_SEED);
  for (const module of PROVIDERS) module.addDemoEstate(estate);
  return {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    generatedAt: now.toISOString(),
    demo: true,
    description: "Built-in demo estate (Acme): AWS organization, Google Cloud organization and Azure tenant. Not real data.",
    scopes: estate.scopes,
    principals: estate.principals,
    credentials: estate.credentials,
    vaultItems: estate.vaultItems,
    policies: estate.policies,
    grants: estate.grants,
    trustEdges: estate.trustEdges,
    gaps: estate.gaps,
    activityLog: ActivityRecords.fromData({ sources: estate.activitySources, events: estate.activityEvents }),
  };
}

export function createDemoConnector(): Connector {
  return {
    id: "demo",
    local: true,
    description: "Built-in demo estate (AWS, Google Cloud, Azure); no cloud access",
    async collect(context) {
      context.recordOperation({ provider: "local", api: "demo:generate", count: 1 });
      return buildDemoEstate(context.now);
    },
  };
}
