/** The cloud calls a collection made, as connectors report them and the audit records them. */
import type { Provider } from "./inventory.js";

/** One kind of cloud API call made while collecting, for the audit record. */
export interface CloudOperation {
  provider: Provider | "local";
  api: string;
  scopeId?: string;
  count: number;
  /** Provider request ids (x-amzn-RequestId, x-ms-request-id, ...) so audit rows join cloud logs. */
  requestIds?: string[];
}
