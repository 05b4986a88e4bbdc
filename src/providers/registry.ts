/**
 * The one list of providers. Everything that needs to know which providers exist reads it: the
 * model's and the tools' provider enums (through ids.ts), the config schema, app wiring, the audit
 * schema, scope placement, the entitlement engine and doctor. Its type demands exactly one module
 * per id of ids.ts.
 */
import { PROVIDER_IDS, type ProviderId } from "./ids.js";
import type { ProviderModule } from "./provider.js";
import { awsProvider } from "./aws/module.js";
import { azureProvider } from "./azure/module.js";
import { gcpProvider } from "./gcp/module.js";

export const PROVIDER_MODULES = {
  aws: awsProvider,
  gcp: gcpProvider,
  azure: azureProvider,
} as const satisfies { readonly [Id in ProviderId]: ProviderModule<Id, unknown> };

export type ProviderConfigs = { [Id in ProviderId]?: Parameters<(typeof PROVIDER_MODULES)[Id]["createConnector"]>[0] };

/** The modules in the order answers list providers. */
export const PROVIDERS: readonly ProviderModule[] = PROVIDER_IDS.map((id) => PROVIDER_MODULES[id]);

export function providerModule(id: ProviderId): ProviderModule {
  return PROVIDER_MODULES[id];
}

/** The provider whose id syntax a text is written in, if any. */
export function providerOwning(id: string): ProviderModule | undefined {
  return PROVIDERS.find((module) => module.ids.owns(id));
}

/**
 * Whether an action may belong to a provider: its syntax is the provider's own (s3:GetObject,
 * storage.objects.get, Microsoft.KeyVault/vaults/read), or no provider claims it (`*`, `*Secret*`).
 */
export function actionFitsProvider(action: string, provider: ProviderId): boolean {
  const owner = PROVIDERS.find((module) => module.ids.ownsAction(action));
  return owner === undefined || owner.id === provider;
}
