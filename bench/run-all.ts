/**
 * Runs every benchmark, each in its own process so timings and peak memory do not mix.
 * `npm run bench` builds first; each script can also be run alone from dist/bench/.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const BENCHES = ["core-queries.js", "history.js", "aws-resource-policies.js", "activity.js", "redaction.js", "audit.js", "policy.js", "state.js", "http.js", "aws-collect.js", "azure-collect.js", "gcp-collect.js"];

let failed = 0;
for (const bench of BENCHES) {
  console.log(`\n=== ${bench} ===`);
  const result = spawnSync(process.execPath, ["--max-old-space-size=4096", join(here, bench)], { stdio: "inherit" });
  if (result.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
