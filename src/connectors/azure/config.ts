/**
 * Configuration of the Azure connector (`providers.azure` in the YAML config). Placeholder: the
 * connector's issue defines the real shape.
 */
import { z } from "zod";

export const azureProviderConfigSchema = z.strictObject({});

/** The config after defaults were applied. */
export type AzureProviderConfig = z.output<typeof azureProviderConfigSchema>;
/** The config as written by a user (defaults optional). */
export type AzureProviderConfigInput = z.input<typeof azureProviderConfigSchema>;
