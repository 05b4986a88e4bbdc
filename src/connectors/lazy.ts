/**
 * Cloud connectors load their SDKs on first use: the AWS, Azure and Google clients take about
 * 65 MB of memory and a noticeable start-up time, which a server that reads only the demo estate,
 * snapshots or one cloud should not pay for the others.
 */
import type { CollectContext, Connector } from "./connector.js";

export interface LazyConnector<Loaded extends Connector> extends Connector {
  /** The real connector, loading its module on the first call. */
  load(): Promise<Loaded>;
}

export function lazyConnector<Loaded extends Connector>(id: string, description: string, load: () => Promise<Loaded>): LazyConnector<Loaded> {
  let loading: Promise<Loaded> | undefined;
  let loaded: Loaded | undefined;
  const get = (): Promise<Loaded> => {
    loading ??= load().then((connector) => (loaded = connector));
    return loading;
  };
  return {
    id,
    description,
    load: get,
    async collect(context: CollectContext) {
      return (await get()).collect(context);
    },
    // Before the first collection no task holds a session, so there is nothing to name or end.
    describeCredentialScope: (taskId) => loaded?.describeCredentialScope?.(taskId) ?? `${id}: no session yet`,
    endTask: (taskId) => loaded?.endTask?.(taskId),
  };
}

/** The real connector behind a lazy one (loading its module), or the connector itself. */
export async function loadedConnector<Loaded extends Connector>(connector: Connector): Promise<Loaded> {
  return ("load" in connector && typeof connector.load === "function" ? await (connector as LazyConnector<Loaded>).load() : connector) as Loaded;
}
