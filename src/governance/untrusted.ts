// The untrusted-text helpers moved to src/text/untrusted.ts (they serve rendering, not governance).
// This re-export keeps src/analysis/entitlements/hops.ts compiling until the provider move rewrites
// its import; delete it then.
export { capText, stripInvisible } from "../text/untrusted.js";
