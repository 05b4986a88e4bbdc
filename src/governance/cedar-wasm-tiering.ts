/**
 * Imported (for its effect) before the Cedar engine, which compiles its WebAssembly as it loads.
 *
 * V8 starts every wasm function on its baseline compiler and re-compiles a function with its
 * optimizing compiler once it has run a while (its tiering budget). Checking the policy file
 * against the schema runs a large part of Cedar once, at start and at each reload, and with the
 * default budget that one pass sends hundreds of functions to the optimizer: about 50 MB of
 * resident memory that stays, in a process whose whole 10k-identity estate takes less. A budget
 * about 170 times the default keeps that one-off pass on baseline code, while the functions every
 * decision runs still reach the optimizer in a server that keeps answering (bench/policy.ts:
 * an uncached decision takes about 0.03 ms longer, a repeated one is cached either way).
 * The flag is read when a wasm module is compiled, so it must be set before Cedar loads; it
 * concerns WebAssembly only.
 */
import { setFlagsFromString } from "node:v8";

export const CEDAR_WASM_TIERING_BUDGET = 300_000_000;

setFlagsFromString(`--wasm-tiering-budget=${CEDAR_WASM_TIERING_BUDGET}`);
