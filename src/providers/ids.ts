/**
 * The providers the server knows, by id. This is a leaf module (no imports) because the inventory
 * model's schemas need the ids before anything else loads; `registry.ts` must hold exactly one
 * module per id here (its type says so), so adding a provider is this line plus its registry line.
 */
export const PROVIDER_IDS = ["aws", "gcp", "azure"] as const;

export type ProviderId = (typeof PROVIDER_IDS)[number];
