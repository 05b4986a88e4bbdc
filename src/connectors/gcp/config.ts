/**
 * Configuration of the Gcp connector (`providers.gcp` in the YAML config). Placeholder: the
 * connector's issue defines the real shape.
 */
import { z } from "zod";

export const gcpProviderConfigSchema = z.strictObject({});

/** The config after defaults were applied. */
export type GcpProviderConfig = z.output<typeof gcpProviderConfigSchema>;
/** The config as written by a user (defaults optional). */
export type GcpProviderConfigInput = z.input<typeof gcpProviderConfigSchema>;
