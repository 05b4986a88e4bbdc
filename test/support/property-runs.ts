/**
 * Property tests run with a fixed seed, so CI is reproducible: a counterexample found once is
 * found again on every run until it is fixed. To search wider locally, set WIAM_PROPERTY_SEED to
 * another number (or `random`) and WIAM_PROPERTY_SCALE to multiply the number of runs.
 */
const DEFAULT_SEED = 20_261_205;

export interface PropertyRunOptions {
  numRuns: number;
  seed?: number;
}

export function propertyRuns(numRuns: number): PropertyRunOptions {
  const scale = Number(process.env["WIAM_PROPERTY_SCALE"] ?? 1);
  const runs = Math.max(1, Math.round(numRuns * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
  const seedSetting = process.env["WIAM_PROPERTY_SEED"];
  if (seedSetting === "random") return { numRuns: runs };
  const seed = seedSetting === undefined ? DEFAULT_SEED : Number(seedSetting);
  if (!Number.isSafeInteger(seed)) throw new Error(`WIAM_PROPERTY_SEED must be an integer or "random", not ${JSON.stringify(seedSetting)}`);
  return { numRuns: runs, seed };
}
