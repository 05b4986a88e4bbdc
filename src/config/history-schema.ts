/** `history:` in the config: the stored inventory, its refresh and its history (docs/history.md). */
import { z } from "zod";

export const historyConfigSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe("keep each cloud provider's collection in the state store: a restart serves the stored copy, what_changed reads the history"),
    refreshMinutes: z
      .number()
      .int()
      .min(0)
      .max(10_080)
      .default(60)
      .describe("wiam serve refreshes each cloud provider this often, in the background; 0: only `wiam collect` refreshes"),
    refreshTimeoutMinutes: z.number().int().min(1).max(1_440).default(30).describe("a background refresh that takes longer is abandoned (the previous copy stays)"),
    retentionDays: z.number().int().min(1).max(3_650).default(90).describe("changes of collections older than this are dropped"),
    keepCollections: z.number().int().min(1).max(100_000).default(10).describe("each provider keeps at least its latest this many collections, whatever their age"),
    sensitive: z
      .strictObject({
        tags: z
          .record(z.string().min(1), z.string())
          .default({ environment: "production" })
          .describe("a secret or vault item with one of these tags, or in a scope with one, is sensitive"),
        resources: z.array(z.string().min(1)).default([]).describe("resource ids that are sensitive whatever their tags"),
        action: z.string().min(1).max(256).default("*").describe("the access asked about (wildcards allowed)"),
        maxResources: z.number().int().min(0).max(100_000).default(200).describe("sensitive resources searched per collection at most"),
        maxPathsPerResource: z.number().int().min(1).max(10_000).default(200),
      })
      .prefault({})
      .describe("new or lost allowed paths to these resources are changes of their own in what_changed"),
  })
  .prefault({});

export type HistoryConfig = z.infer<typeof historyConfigSchema>;
