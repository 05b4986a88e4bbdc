/**
 * The Cedar engine, as the rest of the server imports it: loaded after the wasm tiering setting
 * (cedar-wasm-tiering.ts) so its one-off schema check does not keep optimized code resident.
 * Import Cedar from here, never from the package directly.
 */
import "./cedar-wasm-tiering.js";

export * from "@cedar-policy/cedar-wasm/nodejs";
