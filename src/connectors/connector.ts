/**
 * A connector turns one provider's data into the inventory model. Connectors only translate;
 * they never know about MCP, and they only ever call list/get/describe APIs.
 */
import type { CloudOperation } from "../model/cloud-operation.js";
import type { InventorySnapshot } from "../model/inventory.js";

export type { CloudOperation } from "../model/cloud-operation.js";

export interface CollectContext {
  /** The task (or MCP session) the collection runs for; credentials are scoped to it. */
  taskId: string;
  now: Date;
  signal?: AbortSignal;
  recordOperation(operation: CloudOperation): void;
  progress?(done: number, total: number | undefined, message: string): void;
}

export interface Connector {
  /** Stable name used in config and evidence, e.g. "snapshot", "demo", "aws". */
  readonly id: string;
  /** One line for `wiam tools`/status output: what the connector reads. */
  readonly description: string;
  /** True when collect() reads only local data (a file, the built-in demo): no cloud call, no credentials. */
  readonly local?: boolean;
  collect(context: CollectContext): Promise<InventorySnapshot>;
  /** The credentials a task uses (role session, token identity), for the audit record; never secrets. */
  describeCredentialScope?(taskId: string): string | null;
  /** Drops the task's short-lived sessions (task ended or expired). */
  endTask?(taskId: string): void;
}
