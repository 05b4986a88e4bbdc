/**
 * Activity log files on disk as a source (a synced trail bucket, an export of Cloud Audit Logs):
 * the provider reads its own format; the snapshot holds only the activity, no inventory.
 */
import type { ActivityIngestion, ProviderModule } from "../providers/provider.js";
import type { Connector } from "./connector.js";
import { emptySnapshot } from "../model/inventory.js";

export function createActivityFilesConnector(module: ProviderModule, paths: readonly string[], rangesFile: string | undefined, ingestion: ActivityIngestion = {}): Connector {
  return {
    id: `${module.id}-activity-files`,
    local: true,
    description: `${module.title} activity log files: ${paths.join(", ")}`,
    async collect(context) {
      const read = module.readActivityFiles;
      const snapshot = emptySnapshot(context.now.toISOString());
      if (!read) {
        snapshot.gaps = [{ provider: module.id, source: "activity files", reason: `${module.title} has no reader for activity log files` }];
        return snapshot;
      }
      const keepIdsSince = ingestion.keepIdsHours === undefined ? undefined : context.now.getTime() - ingestion.keepIdsHours * 3_600_000;
      const activityLog = await read(paths, { rangesFile, signal: context.signal, workers: ingestion.workers, keepIdsSince });
      context.recordOperation({ provider: "local", api: "activity-files:read", count: paths.length });
      return { ...snapshot, activityLog };
    },
  };
}
