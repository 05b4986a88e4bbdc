/**
 * The shared state store (PostgreSQL) when `state.postgres` is set, opened and migrated before an
 * app is built on it; undefined for the embedded SQLite one, which the app opens itself. Every
 * command that runs calls (`wiam serve`, `call`, `collect`, `export`) opens it the same way, so
 * their audit records, budgets and stored inventories land where the replicas' do.
 */
import { loadOrCreateRedactionKey } from "../../redaction/index.js";
import { createRedactorFor } from "../app.js";
import { ensureDataDir } from "../config/data-dir.js";
import { openStateStore } from "../state/open.js";
import { checkSharedRedactionKey } from "../state/shared-redaction-key.js";
import type { StateStore } from "../state/state-store.js";
import { createLogger } from "../util/logger.js";
import type { CliContext } from "./context.js";

export async function openSharedState(context: CliContext): Promise<StateStore | undefined> {
  if (context.config.state.postgres === undefined) return undefined;
  const dataDir = ensureDataDir(context.dataDir);
  const redactor = createRedactorFor(context.config, dataDir);
  const log = createLogger({ redactor, level: context.logLevel });
  const state = await openStateStore({ config: context.config, dataDir, redactor, warn: (message) => log.warning(message) });
  try {
    await checkSharedRedactionKey(state.tables, loadOrCreateRedactionKey(dataDir));
  } catch (error) {
    await state.close().catch(() => undefined);
    throw error;
  }
  return state;
}
